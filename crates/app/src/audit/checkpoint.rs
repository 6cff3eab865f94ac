//! Signed checkpoints of a workspace's audit chain: "entry N had hash H",
//! signed with HMAC-SHA256 under a subkey of the server key. An Admin
//! exports one for an auditor; later, the auditor hands it back and the
//! server shows that the chain still recomputes to H at entry N (so
//! nothing up to N changed) and that the checkpoint is its own.
//!
//! Retention ([`super::retention`]) stores the checkpoint it cut the chain
//! at; verification starts from the newest stored one.
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::WorkspaceId;
use switchboard_db::{Db, IntoExec, fetch_optional};
use utoipa::{IntoParams, ToSchema};

use super::chain::{self, GENESIS};
use crate::api::ApiQuery;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::secrets::constant_time_eq;
use crate::server_key::{ServerKey, ServerKeys, hmac_sha256};
use crate::state::AppState;

/// The subkey's purpose; changing it invalidates every checkpoint.
const PURPOSE: &str = "audit-checkpoint/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, IntoParams, sqlx::FromRow)]
#[into_params(parameter_in = Query)]
#[schema(example = json!({
    "workspace_id": "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "seq": 1284,
    "hash": "9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d",
    "signed_at": "2026-11-28T12:00:00.000000Z",
    "key_id": "3f9a0c1d2e4b5a69",
    "signature": "5b1e0d7c9a8f6e4d2c0b1a3f5e7d9c8b6a4f2e0d1c3b5a7f9e8d6c4b2a0f1e3d"
}))]
pub struct Checkpoint {
    pub workspace_id: String,
    /// The sequence number of the entry the checkpoint covers (0: empty log).
    pub seq: i64,
    /// That entry's hash.
    pub hash: String,
    /// When the server signed it (RFC 3339, UTC, microseconds).
    pub signed_at: String,
    /// Which server key signed it.
    pub key_id: String,
    /// HMAC-SHA256 over the fields above, in hex.
    pub signature: String,
}

/// The exact bytes the signature covers.
fn message(workspace_id: &str, seq: i64, hash: &str, signed_at: &str) -> String {
    format!("switchboard-audit-checkpoint/v1\n{workspace_id}\n{seq}\n{hash}\n{signed_at}")
}

/// Signs "entry `seq` of `workspace_id` has hash `hash`", now.
pub fn sign(key: &ServerKey, workspace_id: &str, seq: i64, hash: &str, now: DateTime<Utc>) -> Checkpoint {
    let signed_at = now.trunc_subsecs(6).to_rfc3339_opts(SecondsFormat::Micros, true);
    let signature =
        hex::encode(hmac_sha256(&key.subkey(PURPOSE), message(workspace_id, seq, hash, &signed_at).as_bytes()));
    Checkpoint {
        workspace_id: workspace_id.to_string(),
        seq,
        hash: hash.to_string(),
        signed_at,
        key_id: key.key_id(),
        signature,
    }
}

/// Whether one of this server's keys (the current one, or one kept in the
/// keyring since a rotation) made `checkpoint`, and nothing in it changed.
/// The checkpoint names its key; an unknown key ID is an invalid signature.
pub fn signature_valid(keys: &ServerKeys, checkpoint: &Checkpoint) -> bool {
    let Some(key) = keys.find(&checkpoint.key_id) else {
        return false;
    };
    let expected = sign_fields(&key, checkpoint);
    constant_time_eq(&expected, &checkpoint.signature.to_ascii_lowercase())
}

fn sign_fields(key: &ServerKey, c: &Checkpoint) -> String {
    hex::encode(hmac_sha256(&key.subkey(PURPOSE), message(&c.workspace_id, c.seq, &c.hash, &c.signed_at).as_bytes()))
}

/// A signed checkpoint of the workspace's chain head.
pub async fn of_head(
    db: &Db,
    keys: &ServerKeys,
    workspace_id: &WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Checkpoint, sqlx::Error> {
    let head: Option<(i64, String)> = fetch_optional!(
        db,
        (i64, String),
        "SELECT seq, hash FROM audit_chain_heads WHERE workspace_id = $1",
        workspace_id.as_str()
    )?;
    let (seq, hash) = head.unwrap_or((0, GENESIS.to_string()));
    Ok(sign(&keys.current(), workspace_id.as_str(), seq, &hash, now))
}

/// The newest checkpoint retention cut the chain at, if any.
pub async fn latest_cut<'a>(ex: impl IntoExec<'a>, workspace_id: &str) -> Result<Option<Checkpoint>, sqlx::Error> {
    fetch_optional!(
        ex,
        Checkpoint,
        "SELECT workspace_id, seq, hash, signed_at, key_id, signature FROM audit_checkpoints
         WHERE workspace_id = $1 ORDER BY seq DESC LIMIT 1",
        workspace_id
    )
}

/// What checking a checkpoint found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckpointCheck {
    /// True when the signature is this server's, the chain verifies, and
    /// the entry at `seq` still has the checkpoint's hash.
    pub valid: bool,
    /// Why not: `signature_invalid`, `other_workspace`, `beyond_head`,
    /// `removed_by_retention`, `hash_mismatch` or `chain_broken`.
    pub reason: Option<&'static str>,
    /// The chain verification it rests on.
    pub chain: chain::Report,
}

/// Checks a checkpoint an auditor kept against the workspace's log today.
pub async fn check(
    db: &Db,
    keys: &ServerKeys,
    workspace_id: &WorkspaceId,
    checkpoint: &Checkpoint,
) -> Result<CheckpointCheck, sqlx::Error> {
    let report = chain::verify(db, keys, workspace_id).await?;
    let ws = workspace_id.as_str();
    let stored: Option<(String,)> = fetch_optional!(
        db,
        (String,),
        "SELECT hash FROM audit_log WHERE workspace_id = $1 AND seq = $2",
        ws,
        checkpoint.seq
    )?;
    let cut = latest_cut(db, ws).await?;
    let reason = if !signature_valid(keys, checkpoint) {
        Some("signature_invalid")
    } else if checkpoint.workspace_id != ws {
        Some("other_workspace")
    } else if !report.is_valid() {
        Some("chain_broken")
    } else if checkpoint.seq > report.head_seq {
        Some("beyond_head")
    } else if checkpoint.seq == 0 {
        (checkpoint.hash != GENESIS).then_some("hash_mismatch")
    } else if let Some(cut) = cut.as_ref().filter(|c| checkpoint.seq <= c.seq) {
        // The entry is gone, but the cut itself still proves the chain up
        // to it when the checkpoint is the cut (or the hashes agree).
        (!(checkpoint.seq == cut.seq && checkpoint.hash == cut.hash)).then_some("removed_by_retention")
    } else {
        match stored {
            Some((hash,)) if hash == checkpoint.hash => None,
            _ => Some("hash_mismatch"),
        }
    };
    Ok(CheckpointCheck { valid: reason.is_none(), reason, chain: report })
}

/// A signed checkpoint of the chain head, to keep outside Switchboard; hand
/// it to `/audit-log/checkpoint/verify` later to show nothing up to it changed.
#[utoipa::path(get, path = "/api/v1/audit-log/checkpoint", tag = "audit",
    responses((status = 200, body = Checkpoint)))]
pub async fn export_checkpoint(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<Checkpoint>> {
    ctx.require(Permission::ManageSettings)?;
    Ok(Json(of_head(&state.db, &state.server_key, &ctx.workspace.id, state.clock.now()).await?))
}

/// Checks a checkpoint exported earlier: its signature, and that the chain
/// still recomputes to its hash at its entry.
#[utoipa::path(get, path = "/api/v1/audit-log/checkpoint/verify", tag = "audit", params(Checkpoint),
    responses(
        (status = 200, body = CheckpointCheck),
        (status = 422, body = crate::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn verify_checkpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(checkpoint): ApiQuery<Checkpoint>,
) -> AppResult<Json<CheckpointCheck>> {
    ctx.require(Permission::ManageSettings)?;
    if checkpoint.seq < 0 {
        return Err(AppError::field("seq", "seq must be 0 or more."));
    }
    Ok(Json(check(&state.db, &state.server_key, &ctx.workspace.id, &checkpoint).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_signature_covers_every_field() {
        let key = ServerKey::parse(&"A".repeat(43).chars().chain("=".chars()).collect::<String>()).expect("key");
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).single().expect("time");
        let c = sign(&key, "ws_1", 42, &"a".repeat(64), at);
        let keys = ServerKeys::single(key);
        assert!(signature_valid(&keys, &c));
        for edit in [
            Checkpoint { seq: 43, ..c.clone() },
            Checkpoint { hash: "b".repeat(64), ..c.clone() },
            Checkpoint { workspace_id: "ws_2".into(), ..c.clone() },
            Checkpoint { signed_at: "2026-11-29T12:00:01.000000Z".into(), ..c.clone() },
        ] {
            assert!(!signature_valid(&keys, &edit), "{edit:?}");
        }
        let other = ServerKey::parse(&format!("{}=", "Q".repeat(43))).expect("key");
        assert!(!signature_valid(&ServerKeys::single(other.clone()), &c));
        // Another key under this key's name does not pass either.
        let renamed = Checkpoint { key_id: other.key_id(), ..c.clone() };
        assert!(!signature_valid(&ServerKeys::single(other), &renamed));
    }
}
