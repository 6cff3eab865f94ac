//! The same query text behaves the same on both backends: numbered
//! placeholders (reused and out of order), timestamps, unique violations,
//! transactions and migrations. Runs on SQLite, and on PostgreSQL when
//! `SWITCHBOARD_TEST_POSTGRES_URL` is set.
use chrono::{DateTime, TimeZone, Utc};
use sqlx::Connection;
use switchboard_db::{Db, Query, UniqueViolationExt, execute, fetch_all, fetch_one, fetch_scalar, is_unique_violation};

async fn databases() -> Vec<(Db, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = Db::connect(&format!("sqlite:{}", dir.path().join("t.db").display()), 4).await.expect("sqlite");
    let mut all = vec![(sqlite, dir)];
    if let Some(admin) = std::env::var("SWITCHBOARD_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty()) {
        let name = format!("sb_db_{}", ulid::Ulid::new().to_string().to_lowercase());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("pg");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("create");
        let url = format!("{}/{name}", admin.rsplit_once('/').expect("url").0);
        all.push((Db::connect(&url, 4).await.expect("postgres"), tempfile::tempdir().expect("dir")));
    }
    for (db, _) in &all {
        db.migrate().await.expect("migrate");
    }
    all
}

#[derive(sqlx::FromRow, Debug, PartialEq)]
struct Row {
    id: String,
    name: String,
    created_at: DateTime<Utc>,
}

#[tokio::test]
async fn placeholders_timestamps_and_constraints_match_across_backends() {
    for (db, _dir) in databases().await {
        let backend = db.backend().name();
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("time");
        // $3 before $1 and $2 reused: SQLite must bind by number, not by order.
        execute!(
            &db,
            "INSERT INTO users (id, name, email, email_normalized, password_hash, created_at, updated_at)
             VALUES ($3, $1, $2, $2, 'x', $4, $4)",
            "Ada",
            "ada@example.com",
            "usr_1",
            at
        )
        .expect(backend);
        let row = fetch_one!(
            &db,
            Row,
            "SELECT id, name, created_at FROM users WHERE email_normalized = $1",
            "ada@example.com"
        )
        .expect(backend);
        assert_eq!(row, Row { id: "usr_1".into(), name: "Ada".into(), created_at: at }, "{backend}");

        let dup = execute!(
            &db,
            "INSERT INTO users (id, name, email, email_normalized, password_hash, created_at, updated_at)
             VALUES ($1, 'Ada 2', 'ADA@example.com', 'ada@example.com', 'x', $2, $2)",
            "usr_2",
            at
        )
        .expect_err("duplicate email");
        assert!(is_unique_violation(&dup), "{backend}: {dup}");

        // Timestamps compare in SQL on both (TEXT in SQLite, TIMESTAMPTZ in PostgreSQL).
        let later = fetch_all!(
            &db,
            Row,
            "SELECT id, name, created_at FROM users WHERE created_at > $1",
            at - chrono::Duration::seconds(1)
        )
        .expect(backend);
        assert_eq!(later.len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn dropped_transactions_roll_back() {
    for (db, _dir) in databases().await {
        let backend = db.backend().name();
        let at = Utc::now();
        {
            let mut tx = db.begin().await.expect("begin");
            execute!(
                &mut tx,
                "INSERT INTO users (id, name, email, email_normalized, password_hash, created_at, updated_at)
                 VALUES ('usr_x', 'X', 'x@example.com', 'x@example.com', 'x', $1, $1)",
                at
            )
            .expect(backend);
            // dropped without commit
        }
        let count = fetch_scalar!(&db, i64, "SELECT COUNT(*) FROM users").expect(backend);
        assert_eq!(count, 0, "{backend}");
        db.ping().await.expect(backend);
        // Migrating twice is a no-op.
        db.migrate().await.expect(backend);
    }
}

/// A built query: optional conditions, a reused placeholder, typed NULLs,
/// an `IN` list, in a transaction and on the pool.
#[tokio::test]
async fn built_queries_run_the_same_on_both_backends() {
    for (db, _dir) in databases().await {
        let backend = db.backend().name();
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("time");
        let mut tx = db.begin().await.expect("begin");
        for (id, name, phone) in [("usr_a", "Ada", Some("+15550100")), ("usr_b", "Bob", None), ("usr_c", "Cy", None)] {
            let mut q = Query::new(
                "INSERT INTO users (id, name, email, email_normalized, password_hash, phone_e164, created_at, updated_at)
                 VALUES (",
            );
            let email = format!("{id}@example.com");
            let t = q.param(at);
            q.bind(id).push(", ").bind(name).push(", ").bind(email.as_str()).push(", ").bind(email.as_str());
            q.push(", 'x', ").bind(phone).push(", ").push_param(t).push(", ").push_param(t).push(")");
            assert_eq!(q.execute(&mut tx).await.expect(backend), 1, "{backend}");
        }
        tx.commit().await.expect(backend);

        let filtered = |phone: bool, ids: &[&'static str]| {
            let mut q = Query::new("SELECT id, name, created_at FROM users WHERE created_at = ");
            q.bind(at);
            if phone {
                q.push(" AND phone_e164 IS NOT NULL");
            }
            if !ids.is_empty() {
                q.push(" AND id IN (").bind_list(ids.iter().copied()).push(")");
            }
            q.push(" ORDER BY id");
            q
        };
        let all: Vec<Row> = filtered(false, &[]).fetch_all(&db).await.expect(backend);
        assert_eq!(all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["usr_a", "usr_b", "usr_c"], "{backend}");
        let some: Vec<Row> = filtered(false, &["usr_b", "usr_c", "usr_z"]).fetch_all(&db).await.expect(backend);
        assert_eq!(some.len(), 2, "{backend}");
        let with_phone: Row = filtered(true, &[]).fetch_one(&db).await.expect(backend);
        assert_eq!((with_phone.id.as_str(), with_phone.created_at), ("usr_a", at), "{backend}");
        let none: Option<Row> = filtered(true, &["usr_b"]).fetch_optional(&db).await.expect(backend);
        assert!(none.is_none(), "{backend}");
        let mut count = Query::new("SELECT COUNT(*) FROM users WHERE phone_e164 IS NULL AND name <> ");
        count.bind("Bob");
        assert_eq!(count.fetch_scalar::<i64>(&db).await.expect(backend), 1, "{backend}");
    }
}

#[tokio::test]
async fn a_unique_violation_maps_to_the_callers_error_and_others_pass_through() {
    #[derive(Debug, PartialEq)]
    enum E {
        Taken,
        Db(String),
    }
    impl From<sqlx::Error> for E {
        fn from(e: sqlx::Error) -> E {
            E::Db(e.to_string())
        }
    }
    for (db, _dir) in databases().await {
        let backend = db.backend().name();
        let insert = |id: &'static str| {
            let mut q = Query::new(
                "INSERT INTO users (id, name, email, email_normalized, password_hash, created_at, updated_at)
                 VALUES (",
            );
            let t = q.param(Utc::now());
            q.bind(id).push(", 'Ada', 'ada@example.com', 'ada@example.com', 'x', ").push_param(t).push(", ");
            q.push_param(t).push(")");
            q
        };
        assert_eq!(insert("usr_1").execute(&db).await.on_unique(|| E::Taken), Ok(1), "{backend}");
        assert_eq!(insert("usr_2").execute(&db).await.on_unique(|| E::Taken), Err(E::Taken), "{backend}");
        assert_eq!(insert("usr_3").execute(&db).await.none_on_unique().expect(backend), None, "{backend}");
        // Not a unique violation: passed through as the caller's error.
        let other = Query::new("SELECT no_such_column FROM users").execute(&db).await.on_unique(|| E::Taken);
        assert!(matches!(other, Err(E::Db(_))), "{backend}: {other:?}");
    }
}
