//! The `rate_limits` table: one row per bucket holding its theoretical
//! arrival time (GCRA's TAT, in Unix milliseconds), whether the last
//! request was allowed and how many the last reservation got. Nothing else reads or writes it.
use switchboard_db::{Db, execute, fetch_one};

/// A bucket's row after a reservation.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct Reserved {
    pub tat_ms: i64,
    /// Requests granted, from 0 (refused) to the number asked for.
    pub granted: i64,
}

/// Reserves up to `want` requests of a bucket in a single statement.
///
/// With `t` the emission interval and `tolerance` the burst tolerance,
/// GCRA allows one request while the TAT is at most `now + tolerance`, and
/// moves the TAT to `max(tat, now) + t`. Asking for `want` at once grants
/// as many as would pass one after another at `now`: with `base =
/// max(tat, now)`, that is `(now + tolerance + t − base) / t` (integer
/// division), capped at `want` and at least 0, and the TAT moves by that
/// many intervals. `want = 1` is the plain algorithm: a request is allowed
/// exactly when `tat ≤ now + tolerance`. A refusal leaves the TAT as it was,
/// so `RETURNING` gives the TAT after the grant, or the blocking one.
///
/// Why one upsert: the row lock that `ON CONFLICT DO UPDATE` takes (and
/// SQLite's single writer) make the read-decide-write atomic, so several
/// processes on one PostgreSQL share a bucket's budget exactly; a
/// SELECT-then-UPDATE would let two of them spend the same slot. The SET
/// expressions all read the old row on both backends, and CASE instead of
/// GREATEST/MAX keeps the text portable. A new bucket grants
/// `first_grant = min(want, requests)`, computed by the caller.
pub(super) async fn reserve(
    db: &Db,
    bucket: &str,
    now_ms: i64,
    gcra: super::Gcra,
    want: i64,
    first_grant: i64,
) -> Result<Reserved, sqlx::Error> {
    fetch_one!(
        db,
        Reserved,
        "INSERT INTO rate_limits (bucket, tat_ms, allowed, granted) VALUES ($1, $2 + $6 * $3, TRUE, $6)
         ON CONFLICT (bucket) DO UPDATE SET
             tat_ms = (CASE WHEN rate_limits.tat_ms < $2 THEN $2 ELSE rate_limits.tat_ms END) + $3 * (CASE
                 WHEN ($2 + $4 + $3 - CASE WHEN rate_limits.tat_ms < $2 THEN $2 ELSE rate_limits.tat_ms END) / $3 >= $5 THEN $5
                 WHEN rate_limits.tat_ms <= $2 + $4
                     THEN ($2 + $4 + $3 - CASE WHEN rate_limits.tat_ms < $2 THEN $2 ELSE rate_limits.tat_ms END) / $3
                 ELSE 0
             END),
             granted = CASE
                 WHEN ($2 + $4 + $3 - CASE WHEN rate_limits.tat_ms < $2 THEN $2 ELSE rate_limits.tat_ms END) / $3 >= $5 THEN $5
                 WHEN rate_limits.tat_ms <= $2 + $4
                     THEN ($2 + $4 + $3 - CASE WHEN rate_limits.tat_ms < $2 THEN $2 ELSE rate_limits.tat_ms END) / $3
                 ELSE 0
             END,
             allowed = CASE WHEN rate_limits.tat_ms <= $2 + $4 THEN TRUE ELSE FALSE END
         RETURNING tat_ms, granted",
        bucket,
        now_ms,
        gcra.emission_ms,
        gcra.tolerance_ms,
        want,
        first_grant
    )
}

/// Deletes the rows whose TAT has passed: such a bucket has its whole burst
/// back, exactly as if it had no row. Returns how many went.
pub(super) async fn delete_idle(db: &Db, now_ms: i64) -> Result<u64, sqlx::Error> {
    execute!(db, "DELETE FROM rate_limits WHERE tat_ms <= $1", now_ms)
}
