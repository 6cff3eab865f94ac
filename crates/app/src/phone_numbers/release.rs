//! Releasing a number: by an Admin, after an unpaid renewal's grace period
//! ([`super::renewal`]), or with its workspace ([`on_workspace_deleted`]).
//!
//! The database side is one transaction: renewal stops, the agents are
//! unassigned, the number is `RELEASED` (its E.164 free for anyone again),
//! audited as `phone_number.released`, and a `phone_number.release` job is
//! enqueued that gives the number back to the carrier. The request then
//! tries that release at once; if the carrier fails, the job retries it and
//! the number's `status_detail` says so until it succeeds. The job carries
//! everything it needs (carrier, its ID for the number, the E.164), because
//! after a workspace's deletion the row is gone.
//!
//! Imported (BYOC) numbers: the database side is the same; at the
//! customer's own carrier the number stays theirs and only its callbacks
//! are reset, through the connected account (`byoc::release_imported`).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use switchboard_core::{PhoneNumberId, WorkspaceId};
use switchboard_db::Tx;

use super::lifecycle_store as lifecycle;
use super::model::{NumberSource, NumberStatus, PhoneNumber};
use super::store;
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, JobError, JobHandler, NewJob};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

pub const RELEASE_JOB: &str = "phone_number.release";

/// What the release job needs, the row being possibly gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CarrierRelease {
    pub workspace_id: String,
    pub number_id: String,
    pub carrier: String,
    pub carrier_ref: Option<String>,
    pub e164: String,
    /// Imported numbers: the connected account whose callbacks to reset.
    #[serde(default)]
    pub carrier_account_id: Option<String>,
}

impl CarrierRelease {
    fn of(number: &PhoneNumber) -> CarrierRelease {
        CarrierRelease {
            workspace_id: number.workspace_id.to_string(),
            number_id: number.id.to_string(),
            carrier: number.carrier.clone(),
            carrier_ref: number.carrier_ref.clone(),
            e164: number.e164.clone(),
            carrier_account_id: number.carrier_account_id.as_ref().map(ToString::to_string),
        }
    }
}

/// Enqueues the carrier side of releasing `number` in the caller's
/// transaction. `with_workspace`: the job goes with the workspace if it is
/// deleted (false for the deletion hook's own jobs, which must outlive it).
async fn enqueue(
    tx: &mut Tx,
    number: &PhoneNumber,
    with_workspace: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_value(CarrierRelease::of(number)).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let workspace_id = with_workspace.then(|| number.workspace_id.clone());
    crate::jobs::enqueue(tx, NewJob { kind: RELEASE_JOB, payload, workspace_id, run_at: now }).await?;
    Ok(())
}

/// The database side of a release, in the caller's transaction, on the
/// locked row `before` (see the module header).
pub async fn release_in(tx: &mut Tx, origin: &Origin, before: &PhoneNumber, now: DateTime<Utc>) -> AppResult<()> {
    let ws = &before.workspace_id;
    lifecycle::released(tx, ws, &before.id, now).await?;
    let changes = Changes::new().field("status", before.status.as_str(), NumberStatus::Released.as_str());
    let target = Target::new("phone_number", &before.id, before.display());
    audit::record(tx, origin, &super::RELEASED, &target, &changes, now).await?;
    enqueue(tx, before, true, now).await?;
    Ok(())
}

/// Releases the number (Admins): renewal stops, the carrier gets it back
/// (platform numbers) or its callbacks are reset (imported ones).
pub async fn release(state: &AppState, ctx: &WorkspaceCtx, id: &PhoneNumberId) -> AppResult<PhoneNumber> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = store::find_for_update(&mut tx, ws, id).await?.ok_or_else(|| AppError::not_found("The number"))?;
    match before.status {
        NumberStatus::Released | NumberStatus::Failed => {
            return Err(AppError::conflict("number_not_held", "That number is no longer held: nothing to release."));
        }
        NumberStatus::Pending => {
            return Err(AppError::conflict(
                "number_pending",
                "The carrier is still completing this number's order. Release it once it is active.",
            ));
        }
        NumberStatus::Active | NumberStatus::PastDue | NumberStatus::Disconnected => {}
    }
    release_in(&mut tx, &Origin::from_ctx(ctx), &before, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    // Try the carrier now; a failure stays visible and the job retries it.
    if let Err(err) = carrier_side(state, &CarrierRelease::of(&before)).await {
        tracing::warn!(number = %before.id, error = %err, "release at the carrier failed; the job retries it");
    }
    state.jobs_wakeup.notify_one();
    store::find(&state.db, ws, id).await?.ok_or_else(|| AppError::not_found("The number"))
}

/// Gives the number back to the carrier (platform numbers). A failure is
/// written on the number (when it still exists) and returned, for the job
/// to retry; success clears it.
pub async fn carrier_side(state: &AppState, job: &CarrierRelease) -> Result<(), String> {
    let ws: Option<WorkspaceId> = job.workspace_id.parse().ok();
    let id: Option<PhoneNumberId> = job.number_id.parse().ok();
    let result = if job.carrier_account_id.is_some() {
        // Imported: the number stays the customer's at their carrier; its
        // callbacks are reset through the connected account (BYOC). The
        // row is gone only with its workspace, whose numbers are not
        // released one by one.
        match (&ws, &id) {
            (Some(ws), Some(id)) => match store::find(&state.db, ws, id).await.map_err(|e| e.to_string())? {
                Some(number) => super::byoc::release_imported(state, &number).await.map_err(|e| e.to_string()),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    } else if job.carrier != state.carrier.name() {
        // Bought through another platform carrier than this server's (the
        // configuration changed): nothing this server can reach.
        Ok(())
    } else {
        let carrier = &state.carrier;
        let carrier_ref = match &job.carrier_ref {
            Some(r) => Some(r.clone()),
            // Released before its order was recorded: whatever the carrier holds.
            None => {
                carrier.find_number(&job.e164).await.map(|n| n.map(|n| n.carrier_ref)).map_err(|e| e.to_string())?
            }
        };
        match carrier_ref {
            Some(r) => carrier.release(&r).await.map_err(|e| e.to_string()),
            None => Ok(()),
        }
    };
    if let (Some(ws), Some(id)) = (ws, id) {
        let detail = result.as_ref().err().map(|e| format!("The carrier has not confirmed the release yet: {e}"));
        let now = state.clock.now();
        lifecycle::set_detail(&state.db, &ws, &id, detail.as_deref(), now).await.map_err(|e| e.to_string())?;
    }
    result
}

/// The `phone_number.release` job.
pub struct ReleaseJob;

#[async_trait]
impl JobHandler for ReleaseJob {
    fn kind(&self) -> &'static str {
        RELEASE_JOB
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let payload: CarrierRelease = job.payload_as()?;
        carrier_side(state, &payload).await.map_err(JobError::Retry)
    }
}

/// The deletion hook: every platform number the workspace holds is
/// released at the carrier by a job that outlives the workspace's rows.
pub fn on_workspace_deleted<'a>(
    tx: &'a mut Tx,
    ws: &'a WorkspaceId,
    now: DateTime<Utc>,
) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    async move {
        for number in lifecycle::held_platform_numbers(&mut *tx, ws).await? {
            if number.source == NumberSource::Platform {
                enqueue(tx, &number, false, now).await?;
            }
        }
        Ok(())
    }
    .boxed()
}
