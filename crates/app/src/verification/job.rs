//! The `email.verification` job: sends the verification email unless the
//! address was verified in the meantime (say, by accepting an invitation
//! right after signing up from it), so nobody is asked to prove what they
//! already proved.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_db::Tx;
use switchboard_providers::email::EmailMessage;

use crate::auth::users;
use crate::jobs::{self, Job, JobError, JobHandler, NewJob};
use crate::state::AppState;

pub const KIND: &str = "email.verification";

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    user_id: String,
    message: EmailMessage,
}

pub async fn enqueue(
    tx: &mut Tx,
    user_id: &UserId,
    message: EmailMessage,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_value(Payload { user_id: user_id.to_string(), message })
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    jobs::enqueue(tx, NewJob { kind: KIND, payload, workspace_id: None, run_at: now }).await?;
    Ok(())
}

pub struct SendVerification;

#[async_trait]
impl JobHandler for SendVerification {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let payload: Payload = job.payload_as()?;
        let user_id: UserId =
            payload.user_id.parse().map_err(|_| JobError::Permanent("the payload's user ID does not parse".into()))?;
        if users::email_verified_at(&state.db, &user_id).await.map_err(|e| JobError::Retry(e.to_string()))?.is_some() {
            return Ok(());
        }
        jobs::email::send(state, &payload.message).await
    }
}
