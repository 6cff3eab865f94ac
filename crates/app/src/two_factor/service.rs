//! The rules of two-factor sign-in: setting it up (a pending secret, then a
//! confirming code, then ten recovery codes shown once), checking a code
//! (each TOTP step and each recovery code is accepted once), turning it off
//! (password and code), and the workspace requirement.
use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_db::Tx;

use super::model;
use super::store;
use crate::audit::{self, Action, Changes, Origin, Target};
use crate::auth::users;
use crate::auth::{Session, password};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::sealed::{self, Secret};
use crate::state::AppState;
use crate::web::ClientMeta;

/// The purpose the TOTP secrets are sealed under (see `sealed`).
pub const PURPOSE: &str = "two-factor-totp/v1";

/// What the set-up page shows: the secret three ways.
pub struct Enrolment {
    pub secret_base32: Secret<String>,
    pub otpauth_uri: Secret<String>,
    pub qr_svg: Secret<String>,
}

fn open_secret(state: &AppState, user_id: &UserId, sealed_text: &str) -> AppResult<Secret<Vec<u8>>> {
    let text = sealed::open(&state.server_key, PURPOSE, user_id.as_str().as_bytes(), sealed_text)
        .map_err(|e| anyhow::anyhow!("two-factor secret of {user_id} does not open: {e}"))?;
    let bytes = totp_rs::Secret::try_from_base32(text.expose())
        .map_err(|_| anyhow::anyhow!("two-factor secret of {user_id} is not base32"))?;
    Ok(Secret::new(bytes.as_bytes().to_vec()))
}

fn enrolment(secret: &[u8], account: &str) -> AppResult<Enrolment> {
    let uri = model::otpauth_uri(secret, account).map_err(anyhow::Error::msg)?;
    let svg = model::qr_svg(&uri).map_err(anyhow::Error::msg)?;
    Ok(Enrolment {
        secret_base32: Secret::new(model::base32(secret)),
        otpauth_uri: Secret::new(uri),
        qr_svg: Secret::new(svg),
    })
}

pub async fn is_enabled(state: &AppState, user_id: &UserId) -> AppResult<bool> {
    Ok(store::is_enabled(&state.db, user_id).await?)
}

/// The pending secret to scan, made now if there is none; `None` when
/// two-factor sign-in is already on.
pub async fn pending_enrolment(state: &AppState, session: &Session) -> AppResult<Option<Enrolment>> {
    let user_id = &session.user_id;
    if let Some(row) = store::find_secret(&state.db, user_id).await? {
        if row.enabled_at.is_some() {
            return Ok(None);
        }
        let secret = open_secret(state, user_id, &row.secret_sealed)?;
        return enrolment(secret.expose(), &session.user_email).map(Some);
    }
    let secret = model::new_secret();
    let sealed = sealed::seal(&state.server_key, PURPOSE, user_id.as_str().as_bytes(), &model::base32(secret.expose()))
        .map_err(anyhow::Error::from)?;
    if !store::put_pending(&state.db, user_id, sealed.as_str(), state.clock.now()).await? {
        return Ok(None);
    }
    enrolment(secret.expose(), &session.user_email).map(Some)
}

fn bad_code() -> AppError {
    AppError::field("code", "That code is not right, or was already used. Enter the current code from your app.")
}

/// Confirms set-up with a code from the app: two-factor sign-in is on,
/// audited in every workspace of the user, and the ten recovery codes are
/// returned (shown once; stored as hashes).
pub async fn confirm(
    state: &AppState,
    session: &Session,
    meta: &ClientMeta,
    code: &str,
) -> AppResult<Vec<Secret<String>>> {
    let user_id = &session.user_id;
    let code =
        model::totp_input(code).ok_or_else(|| AppError::field("code", "Enter the six-digit code from your app."))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = store::find_secret(&mut tx, user_id).await?.ok_or_else(|| {
        AppError::conflict("two_factor_not_started", "Start the set-up again: open Two-factor sign-in in your Profile.")
    })?;
    if row.enabled_at.is_some() {
        return Err(AppError::conflict("two_factor_already_enabled", "Two-factor sign-in is already on."));
    }
    let secret = open_secret(state, user_id, &row.secret_sealed)?;
    let step = model::matching_step(secret.expose(), &code, now).ok_or_else(bad_code)?;
    if !store::use_step(&mut tx, user_id, step).await? || !store::enable(&mut tx, user_id, now).await? {
        return Err(bad_code());
    }
    let codes = model::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().filter_map(|c| model::recovery_hash(c.expose())).collect();
    store::replace_recovery_codes(&mut tx, user_id, &hashes, now).await?;
    audit_everywhere(&mut tx, session, meta, &super::ENABLED, true, now).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Records `action` in every workspace the user is an active member of.
async fn audit_everywhere(
    tx: &mut Tx,
    session: &Session,
    meta: &ClientMeta,
    action: &Action,
    enabled: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for entry in crate::tenancy::workspaces_of(&mut *tx, &session.user_id).await? {
        let ws = entry.workspace.id;
        let Some(membership) = crate::members::store::find(&mut *tx, &ws, &session.user_id).await? else {
            continue;
        };
        let origin = Origin::user(ws, &session.user_id, &session.user_name, meta);
        let target = Target::new("member", &membership.id, session.user_email.clone());
        let changes = Changes::new().field("two_factor", !enabled, enabled);
        audit::record(tx, &origin, action, &target, &changes, now).await?;
    }
    Ok(())
}

/// Which second factor was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Totp,
    RecoveryCode,
}

/// Checks a TOTP code (a step not used before) or an unused recovery code,
/// and uses it up, in the caller's transaction.
pub async fn check_code(
    state: &AppState,
    tx: &mut Tx,
    user_id: &UserId,
    raw: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Accepted>> {
    let Some(row) = store::find_secret(&mut *tx, user_id).await? else { return Ok(None) };
    if row.enabled_at.is_none() {
        return Ok(None);
    }
    if let Some(code) = model::totp_input(raw) {
        let secret = open_secret(state, user_id, &row.secret_sealed)?;
        let Some(step) = model::matching_step(secret.expose(), &code, now) else { return Ok(None) };
        return Ok(store::use_step(&mut *tx, user_id, step).await?.then_some(Accepted::Totp));
    }
    match model::recovery_hash(raw) {
        Some(hash) => {
            Ok(store::use_recovery_code(&mut *tx, user_id, &hash, now).await?.then_some(Accepted::RecoveryCode))
        }
        None => Ok(None),
    }
}

/// Turns two-factor sign-in off: the password and a current code (or a
/// recovery code) are both needed.
pub async fn disable(
    state: &AppState,
    session: &Session,
    meta: &ClientMeta,
    password_raw: &str,
    code: &str,
) -> AppResult<()> {
    let user_id = &session.user_id;
    let email = crate::auth::model::EmailAddress::parse(&session.user_email)
        .map_err(|m| anyhow::anyhow!("stored email invalid: {m}"))?;
    let credentials = users::credentials(&state.db, &email).await?;
    let hash = credentials.as_ref().filter(|(id, _)| id == user_id).map(|(_, h)| h.as_str());
    if !password::verify(password_raw, hash).await? {
        return Err(AppError::field("password", "That password is not right."));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !store::is_enabled(&mut tx, user_id).await? {
        return Err(AppError::conflict("two_factor_not_enabled", "Two-factor sign-in is already off."));
    }
    if check_code(state, &mut tx, user_id, code, now).await?.is_none() {
        return Err(bad_code());
    }
    store::delete_all(&mut tx, user_id).await?;
    audit_everywhere(&mut tx, session, meta, &super::DISABLED, false, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Settings → General: require (or stop requiring) a second factor of
/// every member. An Admin without one cannot require it (they would be
/// sent to set it up at once).
pub async fn set_workspace_requirement(state: &AppState, ctx: &WorkspaceCtx, required: bool) -> AppResult<bool> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = store::workspace_requires(&mut tx, &ctx.workspace.id).await?;
    if before == required {
        return Ok(required);
    }
    if required && ctx.token.is_none() && !store::is_enabled(&mut tx, &ctx.user_id).await? {
        return Err(AppError::conflict(
            "two_factor_not_enabled",
            "Turn on two-factor sign-in for your own account first (Profile → Two-factor sign-in).",
        ));
    }
    store::set_workspace_requires(&mut tx, &ctx.workspace.id, required, now).await?;
    let target = Target::new("workspace", &ctx.workspace.id, ctx.workspace.name.clone());
    let changes = Changes::new().field("require_two_factor", before, required);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::REQUIRED, &target, &changes, now).await?;
    tx.commit().await?;
    Ok(required)
}

pub async fn workspace_requires(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<bool> {
    Ok(store::workspace_requires(&state.db, &ctx.workspace.id).await?)
}

pub async fn unused_recovery_codes(state: &AppState, user_id: &UserId) -> AppResult<i64> {
    Ok(store::unused_recovery_codes(&state.db, user_id).await?)
}

/// Hourly: pending sign-in steps that expired go.
pub async fn delete_expired(state: &AppState) -> anyhow::Result<()> {
    store::delete_expired_challenges(&state.db, state.clock.now()).await?;
    Ok(())
}
