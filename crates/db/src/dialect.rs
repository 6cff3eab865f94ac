//! The only place where SQL or error handling differs per backend.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// True when `err` is a unique-constraint violation. SQLite names the
/// violated columns rather than the constraint, so callers match on the
/// kind of error within the one insert that can raise it.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// The row lock a job claim's inner `SELECT` takes. On PostgreSQL, `FOR
/// UPDATE SKIP LOCKED` lets several processes claim at once without ever
/// taking the same row; SQLite has no row locks (and needs none: its
/// writers are serialised by `BEGIN IMMEDIATE`).
pub fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
    }
}

/// Work that must not run in two transactions at once, in any process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serialized {
    /// Claiming webhook deliveries: a claim counts each endpoint's attempts
    /// in flight and then adds to them, which two claims side by side
    /// would both do from the same count.
    WebhookClaims,
}

/// Said first inside such a transaction: on PostgreSQL a transaction-scoped
/// advisory lock (released at commit or rollback) that every other claim
/// waits for. SQLite needs none: [`crate::Db::begin`] is `BEGIN IMMEDIATE`,
/// which already admits one writing transaction at a time.
pub fn serialize(backend: Backend, work: Serialized) -> Option<&'static str> {
    match (backend, work) {
        (Backend::Sqlite, _) => None,
        // The key is arbitrary; it only has to be the same in every process.
        (Backend::Postgres, Serialized::WebhookClaims) => Some("SELECT pg_advisory_xact_lock(7219001)"),
    }
}

/// Said inside a transaction before it deletes a workspace's audit entries:
/// PostgreSQL's append-only trigger on `audit_log` refuses every UPDATE and
/// DELETE otherwise. (SQLite has no such trigger; the code has no other
/// path that deletes entries.)
pub fn allow_audit_deletion(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SELECT set_config('switchboard.audit_delete', 'workspace', true)"),
    }
}

/// Said inside a transaction before retention deletes old audit entries:
/// PostgreSQL's trigger then lets a DELETE through only for entries that a
/// stored checkpoint (`audit_checkpoints`) covers.
pub fn allow_audit_retention(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SELECT set_config('switchboard.audit_delete', 'retention', true)"),
    }
}

/// Maps a unique-constraint violation where the insert happens:
/// `store::insert(..).await.on_unique(|| AppError::conflict(..))?`.
/// The violation is decoded by [`is_unique_violation`] for both backends.
pub trait UniqueViolationExt<T>: Sized {
    /// `Err(conflict())` on a unique violation; any other error converts with `From`.
    fn on_unique<E: From<sqlx::Error>>(self, conflict: impl FnOnce() -> E) -> Result<T, E>;

    /// `Ok(None)` on a unique violation: the row was there already.
    fn none_on_unique(self) -> Result<Option<T>, sqlx::Error>;
}

impl<T> UniqueViolationExt<T> for Result<T, sqlx::Error> {
    fn on_unique<E: From<sqlx::Error>>(self, conflict: impl FnOnce() -> E) -> Result<T, E> {
        match self {
            Ok(v) => Ok(v),
            Err(e) if is_unique_violation(&e) => Err(conflict()),
            Err(e) => Err(E::from(e)),
        }
    }

    fn none_on_unique(self) -> Result<Option<T>, sqlx::Error> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
