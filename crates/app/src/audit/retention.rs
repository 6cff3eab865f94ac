//! Retention: the worker's hourly cleanup ([`apply_configured`]) removes
//! each workspace's entries older than its period (the shorter of
//! `--audit-retention` and its plan's retention) — always a whole
//! prefix of the chain, never a hole in it. First it stores a signed
//! checkpoint of the last entry it removes and writes an
//! `audit_log.retention_applied` entry (one transaction); then it deletes
//! up to that checkpoint in batches. Verification starts from the newest
//! checkpoint, so it passes before, during and after the deletion. On
//! PostgreSQL the append-only trigger lets a deletion through only for
//! entries a stored checkpoint covers.
use std::time::Duration;

use chrono::{DateTime, Utc};
use switchboard_core::WorkspaceId;
use switchboard_db::{Db, execute, fetch_optional, fetch_scalar};

use super::checkpoint::{self, Checkpoint};
use super::{Changes, Origin, Target, chain};
use crate::server_key::ServerKeys;

/// Rows deleted per transaction, so a first run over years of entries
/// never holds a long lock or a huge transaction.
const DELETE_BATCH: i64 = 5_000;

/// What one run removed in one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    pub workspace_id: String,
    pub checkpoint: Checkpoint,
    pub entries_removed: u64,
}

async fn cut_workspace(
    db: &Db,
    key: &ServerKeys,
    ws: &str,
    cutoff: DateTime<Utc>,
    retention: Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Cut>> {
    let previous = checkpoint::latest_cut(db, ws).await?;
    let previous_seq = previous.as_ref().map_or(0, |c| c.seq);
    // The prefix ends just before the first entry that is young enough.
    // (Entries are numbered in commit order, and their times follow it to
    // within a transaction's length.)
    let first_kept: Option<i64> = fetch_scalar!(
        db,
        Option<i64>,
        "SELECT MIN(seq) FROM audit_log WHERE workspace_id = $1 AND seq > $2 AND created_at >= $3",
        ws,
        previous_seq,
        cutoff
    )?;
    let last_removed = match first_kept {
        Some(seq) => seq - 1,
        None => fetch_scalar!(db, i64, "SELECT seq FROM audit_chain_heads WHERE workspace_id = $1", ws)?,
    };
    let mut cut = None;
    if last_removed > previous_seq {
        let mut tx = db.begin().await?;
        let hash: Option<(String,)> = fetch_optional!(
            &mut tx,
            (String,),
            "SELECT hash FROM audit_log WHERE workspace_id = $1 AND seq = $2",
            ws,
            last_removed
        )?;
        let Some((hash,)) = hash else {
            anyhow::bail!("audit entry {last_removed} of {ws} is missing; run `switchboard audit verify`");
        };
        let signed = checkpoint::sign(&key.current(), ws, last_removed, &hash, now);
        execute!(
            &mut tx,
            "INSERT INTO audit_checkpoints (workspace_id, seq, hash, signed_at, key_id, signature, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            ws,
            signed.seq,
            &signed.hash,
            &signed.signed_at,
            &signed.key_id,
            &signed.signature,
            now
        )?;
        let removed = last_removed - previous_seq;
        let changes = Changes::new()
            .field("kept_from_seq", previous_seq + 1, last_removed + 1)
            .field("entries_removed", (), removed)
            .field("checkpoint_hash", (), &hash)
            .field("retention", (), humantime_days(retention));
        let workspace_id: WorkspaceId = ws.parse().map_err(|e| anyhow::anyhow!("stored workspace ID {ws:?}: {e}"))?;
        let target = Target::new("audit_log", ws, "Audit log");
        super::record(
            &mut tx,
            &Origin::system(workspace_id),
            &super::catalogue::RETENTION_APPLIED,
            &target,
            &changes,
            now,
        )
        .await?;
        tx.commit().await?;
        cut = Some(Cut { workspace_id: ws.to_string(), checkpoint: signed, entries_removed: 0 });
    }
    // Deletes whatever the newest checkpoint covers (this run's, or one an
    // earlier run stored but did not finish deleting), and entries from
    // before the chain existed that are past the period.
    let Some(covered) = checkpoint::latest_cut(db, ws).await? else { return Ok(cut) };
    let removed = delete_covered(db, ws, covered.seq, cutoff).await?;
    Ok(match cut {
        Some(cut) => Some(Cut { entries_removed: removed, ..cut }),
        None if removed > 0 => {
            Some(Cut { workspace_id: ws.to_string(), checkpoint: covered, entries_removed: removed })
        }
        None => None,
    })
}

async fn delete_covered(db: &Db, ws: &str, up_to_seq: i64, cutoff: DateTime<Utc>) -> anyhow::Result<u64> {
    let mut removed = 0;
    loop {
        let mut tx = db.begin().await?;
        if let Some(allow) = switchboard_db::dialect::allow_audit_retention(tx.backend()) {
            execute!(&mut tx, allow)?;
        }
        let n = execute!(
            &mut tx,
            "DELETE FROM audit_log WHERE id IN (
                 SELECT id FROM audit_log
                 WHERE workspace_id = $1 AND ((seq IS NOT NULL AND seq <= $2) OR (seq IS NULL AND created_at < $3))
                 LIMIT $4)",
            ws,
            up_to_seq,
            cutoff,
            DELETE_BATCH
        )?;
        tx.commit().await?;
        removed += n;
        if n < DELETE_BATCH as u64 {
            return Ok(removed);
        }
    }
}

/// `400d`, the way `--audit-retention` is written (whole days, else seconds).
fn humantime_days(d: Duration) -> String {
    let secs = d.as_secs();
    if secs.is_multiple_of(86_400) { format!("{}d", secs / 86_400) } else { format!("{secs}s") }
}

/// The worker's hourly run: applies to each workspace the shorter of
/// `--audit-retention` and its plan's retention (the feature providing
/// `audit_retention_days`); neither set, its log is kept.
pub async fn apply_configured(state: &crate::state::AppState) -> anyhow::Result<()> {
    let plan_days = state.features.iter().find_map(|f| f.audit_retention_days);
    if state.config.audit.retention.is_none() && plan_days.is_none() {
        return Ok(());
    }
    let now = state.clock.now();
    for ws in chain::chained_workspaces(&state.db).await? {
        let plan = match (plan_days, ws.parse::<WorkspaceId>()) {
            (Some(hook), Ok(id)) => hook(state, &id).await.map(|days| Duration::from_secs(u64::from(days) * 86_400)),
            _ => None,
        };
        let retention = match (state.config.audit.retention, plan) {
            (Some(configured), Some(plan)) => Some(configured.min(plan)),
            (configured, plan) => configured.or(plan),
        };
        let Some(retention) = retention else { continue };
        let cutoff = now - chrono::Duration::from_std(retention)?;
        if let Some(cut) = cut_workspace(&state.db, &state.server_key, &ws, cutoff, retention, now).await? {
            tracing::info!(workspace_id = %cut.workspace_id, up_to_seq = cut.checkpoint.seq,
                removed = cut.entries_removed, "audit retention applied");
        }
    }
    Ok(())
}
