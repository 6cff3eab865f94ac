//! `switchboard key rotate` and what follows it: a new current server key
//! ([`crate::server_key::rotate`]), then the re-seal job, which rewrites
//! every stored sealed value under the new key so that old keys can leave
//! the keyring one day.
//!
//! What is stored sealed is declared by each feature's registration
//! (`Feature::sealed_columns`); a feature that stores a sealed value (BYOC
//! credentials, provider API keys) lists its column there, sealed with its
//! row's `id` as associated data.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_db::{Db, Query};

use crate::config::Config;
use crate::jobs::{self, Job, JobError, JobHandler, NewJob};
use crate::sealed;
use crate::server_key::ServerKeys;
use crate::state::AppState;

/// A column of sealed values: `table.column`, keyed by `table.id`, which is
/// also the associated data the value was sealed with.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    pub purpose: &'static str,
}

/// Every column that holds sealed values, as the features declare them.
pub fn sealed_columns(features: &[crate::feature::Feature]) -> Vec<SealedColumn> {
    features.iter().flat_map(|f| f.sealed_columns.iter().copied()).collect::<Vec<_>>()
}

/// The job kind of [`Reseal`].
pub const RESEAL: &str = "server_key.reseal";

/// Rows read per statement while re-sealing.
const BATCH: i64 = 200;

/// What a re-seal did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    pub resealed: u64,
    /// Values no key in the keyring opens (left as they are, and logged).
    pub unreadable: u64,
}

#[derive(sqlx::FromRow)]
struct SealedRow {
    id: String,
    value: String,
}

/// Rewrites every value of `columns` not sealed with the current key.
pub async fn reseal(db: &Db, keys: &ServerKeys, columns: &[SealedColumn]) -> anyhow::Result<Resealed> {
    let mut done = Resealed::default();
    let current = keys.key_id();
    for col in columns {
        let mut after = String::new();
        loop {
            // Keyset pages by ID, so a value that does not open is passed
            // over rather than read again forever.
            let mut q = Query::new("SELECT id, ");
            q.push(col.column).push(" AS value FROM ").push(col.table).push(" WHERE ").push(col.column);
            q.push(" IS NOT NULL AND ").push(col.column).push(" NOT LIKE ").bind(format!("v2.{current}.%"));
            q.push(" AND id > ").bind(after.as_str()).push(" ORDER BY id LIMIT ").bind(BATCH);
            let rows: Vec<SealedRow> = q.fetch_all(db).await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            for row in rows {
                let plain = match sealed::open(keys, col.purpose, row.id.as_bytes(), &row.value) {
                    Ok(plain) => plain,
                    Err(err) => {
                        tracing::error!(table = col.table, column = col.column, id = %row.id, error = %err,
                            "a sealed value opens with no key in the keyring; left as it is");
                        done.unreadable += 1;
                        continue;
                    }
                };
                let fresh = sealed::seal(keys, col.purpose, row.id.as_bytes(), plain.expose())?;
                // Only if nobody changed it meanwhile (a webhook secret rotated
                // by its Admin is sealed with whichever key that process has).
                let mut update = Query::new("UPDATE ");
                update.push(col.table).push(" SET ").push(col.column).push(" = ").bind(fresh.into_string());
                update.push(" WHERE id = ").bind(row.id.as_str()).push(" AND ").push(col.column).push(" = ");
                update.bind(row.value);
                done.resealed += update.execute(db).await?;
            }
        }
    }
    Ok(done)
}

/// The re-seal job: reads the key files again (the rotation was likely
/// made by another process), then re-seals every sealed column.
pub struct Reseal;

#[async_trait]
impl JobHandler for Reseal {
    fn kind(&self) -> &'static str {
        RESEAL
    }

    async fn run(&self, state: &AppState, _job: &Job) -> Result<(), JobError> {
        state.server_key.reload()?;
        let done = reseal(&state.db, &state.server_key, &sealed_columns(&state.features)).await?;
        tracing::info!(resealed = done.resealed, unreadable = done.unreadable, key_id = %state.server_key.key_id(),
            "re-sealed stored secrets under the current server key");
        if done.unreadable > 0 {
            return Err(JobError::Permanent(format!(
                "{} sealed values open with no key in the keyring (see the log for their rows)",
                done.unreadable
            )));
        }
        Ok(())
    }
}

/// `switchboard key rotate`: a new current key, the old one kept in the
/// keyring, and the re-seal job enqueued. Returns the (old, new) key IDs.
pub async fn rotate(config: &Config) -> anyhow::Result<(String, String)> {
    let db = crate::server::connect(config).await?;
    let (old, new) = crate::server_key::rotate(&config.server_key_file)?;
    let mut tx = db.begin().await?;
    // Due at once whatever a worker's clock says.
    let run_at = DateTime::<Utc>::UNIX_EPOCH;
    jobs::enqueue(&mut tx, NewJob { kind: RESEAL, payload: serde_json::json!({}), workspace_id: None, run_at }).await?;
    tx.commit().await?;
    db.close().await;
    Ok((old, new))
}
