//! Cloning a voice (Admins): the samples streamed to storage, every one
//! analysed again here (whatever the page showed before), the consent
//! confirmed, then ONE transaction writes the voice `PROCESSING`, its
//! samples, the consent record (who, email, when, IP, every sample's
//! SHA-256), the audit entry and webhook event `voice.created`, and the
//! clone job ([`super::clone_job`]).
//!
//! **Credits.** The clone is charged when it turns READY, not here, as a
//! `voice_clone` usage event recorded in the READY transaction
//! (`usage::ingest::record_in`, idempotency key `voice_clone:<voice id>`):
//! the unique key makes it exactly once however often the job runs, it
//! shows in Settings → Usage like any usage, and a FAILED clone is never
//! charged (nothing to refund). So that a workspace cannot start more
//! clones than it can pay for, creating one needs the balance to cover the
//! price of every clone still PROCESSING plus this one (checked with the
//! balance row locked, so concurrent requests queue).
use switchboard_core::{Credits, VoiceId};

use super::analyze::{self, Analysis};
use super::model::{CONSENT_STATEMENT, Consent, RawVoice, Voice, confirmed};
use super::{clone_job, provider, store};
use crate::audit::{self, Changes, Origin, Target};
use crate::credits::ledger;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::uploads::{UploadForm, UploadedForm};
use crate::usage::types::UsageType;

/// The price of one clone on the workspace's plan.
pub async fn clone_price(
    state: &AppState,
    tx: &mut switchboard_db::Tx,
    ws: &switchboard_core::WorkspaceId,
) -> AppResult<Credits> {
    let plan = crate::subscription::limits::plan_of(&state.config.billing.catalogue, tx, ws).await?;
    plan.rate_card
        .price(UsageType::VoiceClone, 1)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the voice clone price of plan {} overflows", plan.key)))
}

fn field<'a>(form: &'a UploadedForm, name: &str) -> Option<&'a str> {
    form.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Clones a voice from the multipart `form` (fields `name`, `language`,
/// `gender`, `description`, `consent`; the files in any field). Returns the
/// voice, `PROCESSING`. Refusals: 422 `validation_failed` for a bad field,
/// a bad file (`files[i]`, naming it) or too little speech (`files`), or
/// consent not confirmed (`consent`); 403 `plan_limit`; 402
/// `insufficient_credits`. A refusal leaves nothing behind.
pub async fn create_clone(state: &AppState, ctx: &WorkspaceCtx, form: UploadForm) -> AppResult<Voice> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let id = VoiceId::new();
    let uploaded = analyze::store_form(state, ws, id.as_str(), form).await?;
    create_stored(state, ctx, &id, &uploaded).await
}

/// [`create_clone`] once the form's files are stored under `id`
/// ([`analyze::store_form`]): the clone page stores them itself, to show a
/// refused form again with its text fields. A refusal removes the files.
pub async fn create_stored(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &VoiceId,
    uploaded: &UploadedForm,
) -> AppResult<Voice> {
    ctx.require(Permission::ManageSettings)?;
    let result = create_from(state, ctx, id, uploaded).await;
    if result.is_err() {
        analyze::remove_files(state, &uploaded.files).await;
    }
    result
}

async fn create_from(state: &AppState, ctx: &WorkspaceCtx, id: &VoiceId, uploaded: &UploadedForm) -> AppResult<Voice> {
    let ws = &ctx.workspace.id;
    let raw = RawVoice {
        name: field(uploaded, "name").unwrap_or(""),
        description: field(uploaded, "description").unwrap_or(""),
        language: field(uploaded, "language").unwrap_or(""),
        gender: field(uploaded, "gender").unwrap_or(""),
    };
    let mut errors = match raw.parse() {
        Ok(_) => Vec::new(),
        Err(AppError::Client(problem)) => problem.fields,
        Err(err) => return Err(err),
    };
    if uploaded.files.is_empty() {
        errors.push(crate::error::FieldError::new("files", "Add at least one sample."));
    }
    if !confirmed(field(uploaded, "consent")) {
        errors.push(crate::error::FieldError::new("consent", "Confirm the consent statement to clone a voice."));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let fields = raw.parse()?;
    // The cheap checks before decoding anything; the transaction repeats them.
    precheck(state, ws).await?;
    let analysis = analyze::analyze_stored(state, &uploaded.files).await?;
    if !analysis.acceptable() {
        return Err(analysis.refusal());
    }
    let user = crate::auth::users::find(&state.db, &ctx.user_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the acting user {} is gone", ctx.user_id)))?;
    let (client, account) = provider::for_new_clone(state, ws).await?;
    let now = state.clock.now();

    let mut tx = state.db.begin().await?;
    // The balance row first: two clones of one workspace queue here, so the
    // count and the balance they check are the ones they change.
    let balance = ledger::lock_balance(&mut tx, ws, now).await?.balance().total();
    let live = store::count_live(&mut tx, ws).await?;
    crate::subscription::limits::check_custom_voices(state, &mut tx, ws, live).await?;
    let price = clone_price(state, &mut tx, ws).await?;
    let processing = store::count_processing(&mut tx, ws).await?;
    let reserved = Credits::from_millis(price.millis().saturating_mul(processing.saturating_add(1)));
    if balance < reserved {
        return Err(ledger::insufficient(balance, reserved));
    }
    let speech_ms = i64::try_from(analysis.summary.speech_ms).unwrap_or(i64::MAX);
    let duration_ms = i64::try_from(analysis.summary.duration_ms).unwrap_or(i64::MAX);
    let new = store::NewVoice {
        id,
        name: &fields.name,
        description: &fields.description,
        language: fields.language,
        gender: fields.gender,
        provider: client.name(),
        provider_account: account,
        speech_ms,
        duration_ms,
        created_by: &ctx.user_id,
    };
    store::insert(&mut tx, ws, &new, now).await?;
    insert_samples(&mut tx, ws, id, uploaded, &analysis, now).await?;
    let consent = Consent {
        voice_id: id.clone(),
        statement: CONSENT_STATEMENT.to_string(),
        user_id: Some(ctx.user_id.clone()),
        user_email: user.email,
        ip: ctx.meta.ip.clone(),
        sample_sha256: uploaded.files.iter().map(|f| f.sha256.clone()).collect(),
        confirmed_at: now,
    };
    store::insert_consent(&mut tx, ws, &consent).await?;
    let changes = Changes::new()
        .field("name", (), &fields.name)
        .field("description", (), &fields.description)
        .field("language", (), fields.language)
        .field("gender", (), fields.gender.as_str())
        .field("provider", (), client.name())
        .field("status", (), "PROCESSING")
        .field("samples", (), uploaded.files.len())
        .field("speech_ms", (), speech_ms);
    audit::record(
        &mut tx,
        &Origin::from_ctx(ctx),
        &super::CREATED,
        &Target::new("voice", id, &fields.name),
        &changes,
        now,
    )
    .await?;
    clone_job::enqueue(&mut tx, ws, id, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    state.jobs_wakeup.notify_one();
    store::find(&state.db, ws, id).await?.ok_or_else(|| AppError::not_found("The voice"))
}

async fn insert_samples(
    tx: &mut switchboard_db::Tx,
    ws: &switchboard_core::WorkspaceId,
    id: &VoiceId,
    uploaded: &UploadedForm,
    analysis: &Analysis,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    for (file, result) in uploaded.files.iter().zip(&analysis.files) {
        let report = serde_json::to_string(&result.report).map_err(|e| AppError::Internal(e.into()))?;
        let sample = store::NewSample {
            position: i32::try_from(result.index).unwrap_or(i32::MAX),
            filename: &result.filename,
            content_type: &file.content_type,
            size_bytes: i64::try_from(file.size).unwrap_or(i64::MAX),
            sha256: &file.sha256,
            object_key: &file.key,
            report: &report,
        };
        store::insert_sample(tx, ws, id, &sample, now).await?;
    }
    Ok(())
}

/// The plan's voice limit and the balance, without holding anything: a
/// request that will be refused is refused before its samples are decoded.
async fn precheck(state: &AppState, ws: &switchboard_core::WorkspaceId) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let balance = ledger::lock_balance(&mut tx, ws, now).await?.balance().total();
    let live = store::count_live(&mut tx, ws).await?;
    crate::subscription::limits::check_custom_voices(state, &mut tx, ws, live).await?;
    let price = clone_price(state, &mut tx, ws).await?;
    let processing = store::count_processing(&mut tx, ws).await?;
    tx.rollback().await?;
    let reserved = Credits::from_millis(price.millis().saturating_mul(processing.saturating_add(1)));
    if balance < reserved {
        return Err(ledger::insufficient(balance, reserved));
    }
    Ok(())
}
