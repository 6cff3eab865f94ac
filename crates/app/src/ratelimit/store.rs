//! The `rate_limits` table: one row per bucket holding its theoretical
//! arrival time (GCRA's TAT, in Unix milliseconds) and whether the last
//! request was allowed. Nothing else reads or writes it.
use switchboard_db::{Db, execute, fetch_one};

/// A bucket's row after a request was counted against it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Counted {
    pub tat_ms: i64,
    pub allowed: bool,
}

/// Decides and records one request in a single statement.
///
/// With `t` the emission interval and `tolerance` the burst tolerance, a
/// request is allowed when the stored TAT is at most `now + tolerance`; the
/// new TAT is then `max(tat, now) + t`. A refused request leaves the TAT as
/// it was, so `RETURNING` gives the allowed TAT or the blocking one.
///
/// Why one upsert: the row lock that `ON CONFLICT DO UPDATE` takes (and
/// SQLite's single writer) make the read-decide-write atomic, so several
/// processes on one PostgreSQL share a bucket's budget exactly; a
/// SELECT-then-UPDATE would let two of them spend the same slot. The SET
/// expressions read the old row on both backends, and CASE instead of
/// GREATEST/MAX keeps the text portable. A new bucket is always allowed.
pub(super) async fn count(
    db: &Db,
    bucket: &str,
    now_ms: i64,
    t_ms: i64,
    tolerance_ms: i64,
) -> Result<Counted, sqlx::Error> {
    fetch_one!(
        db,
        Counted,
        "INSERT INTO rate_limits (bucket, tat_ms, allowed) VALUES ($1, $2 + $3, TRUE)
         ON CONFLICT (bucket) DO UPDATE SET
             tat_ms = CASE
                 WHEN rate_limits.tat_ms < $2 THEN $2 + $3
                 WHEN rate_limits.tat_ms <= $2 + $4 THEN rate_limits.tat_ms + $3
                 ELSE rate_limits.tat_ms
             END,
             allowed = CASE WHEN rate_limits.tat_ms <= $2 + $4 THEN TRUE ELSE FALSE END
         RETURNING tat_ms, allowed",
        bucket,
        now_ms,
        t_ms,
        tolerance_ms
    )
}

/// Deletes the rows whose TAT has passed: such a bucket has its whole burst
/// back, exactly as if it had no row. Returns how many went.
pub(super) async fn delete_idle(db: &Db, now_ms: i64) -> Result<u64, sqlx::Error> {
    execute!(db, "DELETE FROM rate_limits WHERE tat_ms <= $1", now_ms)
}
