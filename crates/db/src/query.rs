//! [`Query`]: SQL assembled at run time (optional filters, a column list
//! kept in one constant, a table named in a list), run on either backend.
//!
//! Text goes in only as `&'static str`, so a fragment is always something
//! written in the source, never a value someone typed; values go in only
//! through [`Query::bind`], which writes the `$n` placeholder itself. That
//! is why nothing outside this crate needs `sqlx::AssertSqlSafe`.
use std::fmt;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, FromRow, Postgres, Sqlite, Type};

use crate::IntoExec;

/// A value bound to a [`Query`]. `None` binds a typed NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
}

macro_rules! arg_from {
    ($variant:ident: $($t:ty => $conv:expr),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::$variant(Some(($conv)(v)))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Arg {
                Arg::$variant(v.map($conv))
            }
        }
    )*};
}

arg_from!(Text: String => |v| v, &str => str::to_string, &String => |v: &String| v.clone());
arg_from!(Int: i64 => |v| v, i32 => i64::from, u32 => i64::from);
arg_from!(Bool: bool => |v| v);
arg_from!(Time: DateTime<Utc> => |v| v);

/// A placeholder already bound, to use again (`$3` twice in one text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param(usize);

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.0)
    }
}

/// A query text and its values, built piece by piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    sql: String,
    args: Vec<Arg>,
}

/// Runs `$body` once per backend with `$q` a `query_as`/`query_scalar`
/// carrying every bound value.
macro_rules! run {
    ($self:ident, $ex:ident, $make:expr, $q:ident, $e:ident => $body:expr) => {{
        let Query { sql, args } = $self;
        $crate::__dispatch!($ex, $e => {
            let mut $q = ($make)(sqlx::AssertSqlSafe(sql));
            for arg in args {
                $q = match arg {
                    Arg::Text(v) => $q.bind(v),
                    Arg::Int(v) => $q.bind(v),
                    Arg::Bool(v) => $q.bind(v),
                    Arg::Time(v) => $q.bind(v),
                };
            }
            $body
        })
    }};
}

impl Query {
    pub fn new(sql: &'static str) -> Query {
        Query { sql: sql.to_string(), args: Vec::new() }
    }

    /// Appends text as written (mind the spaces between fragments).
    pub fn push(&mut self, sql: &'static str) -> &mut Query {
        self.sql.push_str(sql);
        self
    }

    /// Binds `value` as the next number without writing it; write it with
    /// [`Query::push_param`] (once or more). Text that writes its own `$1…`
    /// binds its values with this, in the order of their numbers.
    pub fn param(&mut self, value: impl Into<Arg>) -> Param {
        self.args.push(value.into());
        Param(self.args.len())
    }

    /// Writes a placeholder bound earlier.
    pub fn push_param(&mut self, param: Param) -> &mut Query {
        self.sql.push_str(&param.to_string());
        self
    }

    /// Binds `value` and writes its placeholder.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Query {
        let p = self.param(value);
        self.push_param(p)
    }

    /// Writes `?, ?, …` for `values`, separated by commas (for `IN (…)`).
    pub fn bind_list<V: Into<Arg>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Query {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(v);
        }
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// The same query behind `prefix`, e.g. `EXPLAIN QUERY PLAN ` (the
    /// placeholders keep their numbers).
    #[must_use]
    pub fn prefixed(self, prefix: &'static str) -> Query {
        Query { sql: format!("{prefix}{}", self.sql), args: self.args }
    }

    /// Rows affected.
    pub async fn execute<'a>(self, ex: impl IntoExec<'a>) -> Result<u64, sqlx::Error> {
        run!(self, ex, sqlx::query, q, e => q.execute(e).await.map(|r| r.rows_affected()))
    }

    pub async fn fetch_all<'a, T>(self, ex: impl IntoExec<'a>) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        run!(self, ex, sqlx::query_as::<_, T>, q, e => q.fetch_all(e).await)
    }

    pub async fn fetch_optional<'a, T>(self, ex: impl IntoExec<'a>) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        run!(self, ex, sqlx::query_as::<_, T>, q, e => q.fetch_optional(e).await)
    }

    pub async fn fetch_one<'a, T>(self, ex: impl IntoExec<'a>) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        run!(self, ex, sqlx::query_as::<_, T>, q, e => q.fetch_one(e).await)
    }

    /// The first column of the one row, e.g. a `count(*)`.
    pub async fn fetch_scalar<'a, T>(self, ex: impl IntoExec<'a>) -> Result<T, sqlx::Error>
    where
        T: Type<Sqlite> + for<'r> Decode<'r, Sqlite> + Type<Postgres> + for<'r> Decode<'r, Postgres> + Send + Unpin,
    {
        run!(self, ex, sqlx::query_scalar::<_, T>, q, e => q.fetch_one(e).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order_and_reusable() {
        let mut q = Query::new("SELECT id FROM t WHERE a = ");
        q.bind("x").push(" AND b IN (").bind_list([1i64, 2]).push(")");
        let t = q.param(Some(true));
        q.push(" AND (c = ").push_param(t).push(" OR d = ").push_param(t).push(")");
        assert_eq!(q.sql(), "SELECT id FROM t WHERE a = $1 AND b IN ($2, $3) AND (c = $4 OR d = $4)");
        assert_eq!(q.args(), [Arg::from("x"), Arg::Int(Some(1)), Arg::Int(Some(2)), Arg::Bool(Some(true))]);
        assert_eq!(Arg::from(None::<&str>), Arg::Text(None));
        assert!(q.prefixed("EXPLAIN ").sql().starts_with("EXPLAIN SELECT"));
    }
}
