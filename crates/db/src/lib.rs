//! One database handle over SQLite and PostgreSQL.
//!
//! Feature code writes one query text (portable SQL with `$1` placeholders)
//! and runs it on either backend through the macros below, or, when the
//! text is assembled at run time, through a [`Query`]; anything that must
//! differ per backend lives in [`dialect`]. sqlx's `Any` driver is the
//! rejected alternative: it cannot decode TIMESTAMPTZ.
pub mod dialect;
mod pool;
mod query;

pub use dialect::{Backend, UniqueViolationExt, is_unique_violation};
pub use pool::{Db, DbError, Exec, IntoExec, Tx};
pub use query::{Arg, Param, Query};
/// Re-exported so the macros work in crates that do not name sqlx.
pub use sqlx;

/// Internal: runs `$body` with `$e` bound to the executor of whichever
/// backend `$ex` is on. Each arm is type-checked for its own backend.
#[doc(hidden)]
#[macro_export]
macro_rules! __dispatch {
    ($ex:expr, $e:ident => $body:expr) => {{
        match $crate::IntoExec::into_exec($ex) {
            $crate::Exec::SqlitePool($e) => $body,
            $crate::Exec::PgPool($e) => $body,
            $crate::Exec::Sqlite($e) => $body,
            $crate::Exec::Postgres($e) => $body,
        }
    }};
}

/// `execute!(ex, "UPDATE …", a, b)` → `Result<u64 rows affected, sqlx::Error>`.
#[macro_export]
macro_rules! execute {
    ($ex:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::__dispatch!($ex, e => $crate::sqlx::query($sql)$(.bind($arg))*.execute(e).await.map(|r| r.rows_affected()))
    };
}

/// `fetch_one!(ex, Row, "SELECT …", a)` → `Result<Row, sqlx::Error>`.
#[macro_export]
macro_rules! fetch_one {
    ($ex:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::__dispatch!($ex, e => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*.fetch_one(e).await)
    };
}

/// `fetch_optional!(ex, Row, "SELECT …", a)` → `Result<Option<Row>, sqlx::Error>`.
#[macro_export]
macro_rules! fetch_optional {
    ($ex:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::__dispatch!($ex, e => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*.fetch_optional(e).await)
    };
}

/// `fetch_all!(ex, Row, "SELECT …", a)` → `Result<Vec<Row>, sqlx::Error>`.
#[macro_export]
macro_rules! fetch_all {
    ($ex:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::__dispatch!($ex, e => $crate::sqlx::query_as::<_, $t>($sql)$(.bind($arg))*.fetch_all(e).await)
    };
}

/// `fetch_scalar!(ex, i64, "SELECT count(*) …", a)` → `Result<i64, sqlx::Error>`.
#[macro_export]
macro_rules! fetch_scalar {
    ($ex:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::__dispatch!($ex, e => $crate::sqlx::query_scalar::<_, $t>($sql)$(.bind($arg))*.fetch_one(e).await)
    };
}
