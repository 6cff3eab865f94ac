//! The [`Db`] pool handle and the [`Tx`] transaction, each an enum over the
//! two backends.
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

use crate::dialect::Backend;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL (use sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connection pool on one of the two backends. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Whatever a query can run on: a pool or an open transaction.
pub enum Exec<'a> {
    SqlitePool(&'a SqlitePool),
    PgPool(&'a PgPool),
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Lets store functions take `&db`, `&mut tx` or an [`Exec`] alike.
pub trait IntoExec<'a> {
    fn into_exec(self) -> Exec<'a>;
}

impl<'a> IntoExec<'a> for Exec<'a> {
    fn into_exec(self) -> Exec<'a> {
        self
    }
}

impl<'a> IntoExec<'a> for &'a Db {
    fn into_exec(self) -> Exec<'a> {
        match self {
            Db::Sqlite(p) => Exec::SqlitePool(p),
            Db::Postgres(p) => Exec::PgPool(p),
        }
    }
}

impl<'a> IntoExec<'a> for &'a mut Tx {
    fn into_exec(self) -> Exec<'a> {
        match self {
            Tx::Sqlite(t) => Exec::Sqlite(&mut *t),
            Tx::Postgres(t) => Exec::Postgres(&mut *t),
        }
    }
}

impl Db {
    /// Connects to `sqlite:PATH` (created if missing; WAL, foreign keys on)
    /// or `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new().max_connections(max_connections.max(1)).connect_with(options).await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    /// Applies the migrations of this backend that have not run yet.
    /// Safe to call from several processes at once (sqlx takes a lock).
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so two
    /// writers queue on the busy timeout instead of failing when a deferred
    /// read lock cannot be upgraded.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// `SELECT 1`, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        crate::execute!(self, "SELECT 1")?;
        Ok(())
    }

    /// (open connections, idle connections) for metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}
