//! Checks on the migrated schema itself, read back from the live database
//! on each backend (never by parsing the migration files), so that what
//! nobody remembered to write is found by a test:
//!
//! - every table with a `workspace_id` column cascades from `workspaces`
//!   and has an index that starts with `workspace_id` (deleting a workspace
//!   is one statement, and every tenant query has an index to start from);
//! - both migration folders hold the same files and end in the same tables
//!   with the same columns.
//!
//! [`Schema::read`] is shared with the cross-tenant walk, which snapshots
//! every workspace-owned table.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use switchboard_db::Db;

use crate::harness::fresh_postgres_url;

/// Tables that carry a `workspace_id` but have no cascading foreign key on
/// purpose: audit evidence must outlive the workspace's row (the entry that
/// records a workspace's deletion is kept, and the chain head and signed
/// checkpoints are what that evidence is verified against). The workspace
/// deletion removes what it must from them explicitly. Keep this list short;
/// a table here must still have its `workspace_id` index.
pub const OUTLIVE_THEIR_WORKSPACE: &[&str] = &[
    // 0003_members: rebuilt without the foreign key.
    "audit_log",
    // 0005_audit_chain: one row per workspace, verified with the log.
    "audit_chain_heads",
    // 0006_audit_retention: signed cut points of the chain.
    "audit_checkpoints",
];

/// sqlx's bookkeeping and SQLite's own tables are not ours.
const INTERNAL_TABLES: &[&str] = &["_sqlx_migrations", "sqlite_sequence"];

/// SQLite's full-text indexes (FTS5 tables and their shadow tables, named
/// after them): where PostgreSQL has trigram indexes (migrations 0023, 0024).
const SQLITE_SEARCH_INDEXES: &[&str] = &["audit_log_search", "memberships_search"];

fn is_ours(table: &str) -> bool {
    !INTERNAL_TABLES.contains(&table) && !SQLITE_SEARCH_INDEXES.iter().any(|index| table.starts_with(index))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// `CASCADE`, `SET NULL`, `NO ACTION`, `RESTRICT` or `SET DEFAULT`.
    pub on_delete: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    /// Key columns in order; an expression shows as `<expr>`.
    pub columns: Vec<String>,
    /// Has a `WHERE`: it does not cover every row.
    pub partial: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    /// In the table's own order.
    pub columns: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
}

/// The tables of one migrated database, by name.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

impl Schema {
    /// Reads tables, columns, foreign keys and indexes from the catalogue
    /// of whichever backend `db` is on.
    pub async fn read(db: &Db) -> Schema {
        match db {
            Db::Sqlite(pool) => read_sqlite(pool).await,
            Db::Postgres(pool) => read_postgres(pool).await,
        }
    }

    /// The tables with a `workspace_id` column.
    pub fn workspace_tables(&self) -> impl Iterator<Item = (&String, &Table)> {
        self.tables.iter().filter(|(_, t)| t.columns.iter().any(|c| c == "workspace_id"))
    }
}

async fn read_sqlite(pool: &sqlx::SqlitePool) -> Schema {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .fetch_all(pool)
            .await
            .expect("sqlite tables");
    let mut schema = Schema::default();
    for name in names.into_iter().filter(|n| is_ours(n)) {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
            .bind(&name)
            .fetch_all(pool)
            .await
            .expect("sqlite columns");
        // One row per column pair; `id` groups the pairs of one key.
        let fk_rows: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .expect("sqlite foreign keys");
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for (id, ref_table, from, to, on_delete) in fk_rows {
            let fk = by_id.entry(id).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                ref_table,
                ref_columns: Vec::new(),
                on_delete,
            });
            fk.columns.push(from);
            // A reference without columns means the parent's primary key.
            fk.ref_columns.push(to.unwrap_or_else(|| "id".to_string()));
        }
        let index_rows: Vec<(String, bool)> = sqlx::query_as("SELECT name, partial FROM pragma_index_list($1)")
            .bind(&name)
            .fetch_all(pool)
            .await
            .expect("sqlite indexes");
        let mut indexes = Vec::new();
        for (index, partial) in index_rows {
            let cols: Vec<Option<String>> = sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&index)
                .fetch_all(pool)
                .await
                .expect("sqlite index columns");
            let columns = cols.into_iter().map(|c| c.unwrap_or_else(|| "<expr>".to_string())).collect();
            indexes.push(Index { name: index, columns, partial });
        }
        schema.tables.insert(name, Table { columns, foreign_keys: by_id.into_values().collect(), indexes });
    }
    schema
}

async fn read_postgres(pool: &sqlx::PgPool) -> Schema {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .expect("postgres tables");
    let mut schema = Schema::default();
    for name in names.into_iter().filter(|n| is_ours(n)) {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .expect("postgres columns");
        let fk_rows: Vec<(Vec<String>, String, Vec<String>, String)> = sqlx::query_as(
            "SELECT
                 (SELECT array_agg(a.attname::text ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
                 p.relname::text,
                 (SELECT array_agg(a.attname::text ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum),
                 CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT'
                      WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END
             FROM pg_constraint c
             JOIN pg_class t ON t.oid = c.conrelid
             JOIN pg_class p ON p.oid = c.confrelid
             WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND t.relname = $1
             ORDER BY c.conname",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .expect("postgres foreign keys");
        let foreign_keys = fk_rows
            .into_iter()
            .map(|(columns, ref_table, ref_columns, on_delete)| ForeignKey {
                columns,
                ref_table,
                ref_columns,
                on_delete,
            })
            .collect();
        let index_rows: Vec<(String, bool, Vec<String>)> = sqlx::query_as(
            "SELECT i.relname::text, x.indpred IS NOT NULL,
                 (SELECT array_agg(coalesce(a.attname::text, '<expr>') ORDER BY k.n)
                    FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0
                   WHERE k.n <= x.indnkeyatts)
             FROM pg_index x
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_class i ON i.oid = x.indexrelid
             WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = $1
             ORDER BY i.relname",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .expect("postgres indexes");
        let indexes = index_rows.into_iter().map(|(name, partial, columns)| Index { name, columns, partial }).collect();
        schema.tables.insert(name, Table { columns, foreign_keys, indexes });
    }
    schema
}

/// A migrated database on SQLite (in `dir`) or, with a URL, PostgreSQL.
pub async fn migrated(postgres_url: Option<String>, dir: &Path) -> Db {
    let url = postgres_url.unwrap_or_else(|| format!("sqlite:{}", dir.join("schema.db").display()));
    let db = Db::connect(&url, 2).await.expect("connect");
    db.migrate().await.expect("migrate");
    db
}

/// What is wrong with the workspace tables of `schema`, one line each.
fn workspace_table_problems(schema: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, table) in schema.workspace_tables() {
        let cascades = table.foreign_keys.iter().any(|fk| {
            fk.columns == ["workspace_id"]
                && fk.ref_table == "workspaces"
                && fk.ref_columns == ["id"]
                && fk.on_delete == "CASCADE"
        });
        let exempt = OUTLIVE_THEIR_WORKSPACE.contains(&name.as_str());
        match (cascades, exempt) {
            (false, false) => problems.push(format!(
                "{name}: no FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE \
                 (has {:?})",
                table.foreign_keys
            )),
            (true, true) => problems.push(format!(
                "{name}: cascades from workspaces but is listed in OUTLIVE_THEIR_WORKSPACE; take it off the list"
            )),
            _ => {}
        }
        // A partial index does not cover the rows a cascade or a list must find.
        let indexed =
            table.indexes.iter().any(|i| !i.partial && i.columns.first().is_some_and(|c| c == "workspace_id"));
        if !indexed {
            problems.push(format!(
                "{name}: no index starting with workspace_id (has {:?})",
                table.indexes.iter().map(|i| (&i.name, &i.columns, i.partial)).collect::<Vec<_>>()
            ));
        }
    }
    for name in OUTLIVE_THEIR_WORKSPACE {
        if !schema.tables.get(*name).is_some_and(|t| t.columns.iter().any(|c| c == "workspace_id")) {
            problems.push(format!("{name} is in OUTLIVE_THEIR_WORKSPACE but has no workspace_id column any more"));
        }
    }
    problems
}

async fn check_workspace_tables(postgres_url: Option<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = migrated(postgres_url, dir.path()).await;
    let schema = Schema::read(&db).await;
    assert!(schema.tables.contains_key("workspaces"), "the schema was read: {:?}", schema.tables.keys());
    assert!(schema.workspace_tables().count() >= 8, "the workspace tables were found");
    let problems = workspace_table_problems(&schema);
    assert!(problems.is_empty(), "on {}:\n{}", db.backend().name(), problems.join("\n"));
    db.close().await;
}

#[tokio::test]
async fn every_workspace_table_cascades_from_workspaces_and_is_indexed() {
    // On the backend of this test run, like every other test.
    check_workspace_tables(fresh_postgres_url().await).await;
}

/// The migration file names (`0001_foundation.sql`, …) in a folder.
fn migration_files(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn both_migration_folders_have_the_same_files() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    assert!(sqlite.len() >= 8, "migrations were found: {sqlite:?}");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "every migration needs its twin: only in sqlite/: {only_sqlite:?}; only in postgres/: {only_postgres:?}"
    );
}

#[tokio::test]
async fn both_backends_end_in_the_same_tables_and_columns() {
    let Some(pg_url) = fresh_postgres_url().await else {
        println!("note: SWITCHBOARD_TEST_POSTGRES_URL is unset; the table and column comparison was skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = migrated(None, dir.path()).await;
    let postgres = migrated(Some(pg_url), dir.path()).await;
    let columns = |s: Schema| -> BTreeMap<String, BTreeSet<String>> {
        s.tables.into_iter().map(|(name, t)| (name, t.columns.into_iter().collect())).collect()
    };
    let on_sqlite = columns(Schema::read(&sqlite).await);
    let on_postgres = columns(Schema::read(&postgres).await);
    let mut differences = Vec::new();
    for table in on_sqlite.keys().chain(on_postgres.keys()).collect::<BTreeSet<_>>() {
        match (on_sqlite.get(table), on_postgres.get(table)) {
            (Some(a), Some(b)) if a != b => differences.push(format!(
                "{table}: only on sqlite {:?}, only on postgres {:?}",
                a.difference(b).collect::<Vec<_>>(),
                b.difference(a).collect::<Vec<_>>()
            )),
            (Some(_), None) => differences.push(format!("{table}: a table on sqlite only")),
            (None, Some(_)) => differences.push(format!("{table}: a table on postgres only")),
            _ => {}
        }
    }
    assert!(on_sqlite.len() >= 10, "the tables were read: {:?}", on_sqlite.keys());
    assert!(differences.is_empty(), "the two backends' schemas differ:\n{}", differences.join("\n"));
    sqlite.close().await;
    postgres.close().await;
}
