//! Connecting and disconnecting carrier accounts: the one place pages and
//! the API call. Admins only (`ManageSettings`).
//!
//! Credentials are verified at the carrier before anything is saved, then
//! sealed under the server key (purpose [`PURPOSE`], the row's ID as
//! associated data) and never read back except to talk to the carrier.
//!
//! Disconnecting commits first (the account and its numbers
//! `DISCONNECTED`, assignments cleared, audited), then resets each
//! number's callbacks at the carrier (best effort) and finally wipes the
//! credentials (a sealed empty value): they are kept exactly as long as
//! the reset needs them. What could not be reset stays listed on the
//! account (`settings.reset_failures`) so the Admin can clear it in the
//! carrier's console; a process killed between the commit and the wipe
//! leaves the sealed credentials on a DISCONNECTED row, which nothing
//! reads again.
use std::sync::Arc;

use switchboard_core::{CarrierAccountId, WorkspaceId};
use switchboard_db::is_unique_violation;
use switchboard_providers::carriers::{Carrier, CarrierError};

use super::model::{AccountSettings, CarrierKind, Connection, Credentials, ResetFailure, masked_ref, sip_account_ref};
use super::store::{self, Account, NewAccount};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::phone_numbers::model::{NumberStatus, PhoneNumber};
use crate::phone_numbers::store as numbers;
use crate::policy::{Permission, WorkspaceCtx};
use crate::sealed::{self, SecretString};
use crate::state::AppState;

/// The sealing purpose of `carrier_accounts.credentials_sealed`.
pub const PURPOSE: &str = "carrier_account";

pub fn not_found() -> AppError {
    AppError::not_found("The carrier account")
}

pub fn parse_id(raw: &str) -> AppResult<CarrierAccountId> {
    raw.parse().map_err(|_| not_found())
}

pub fn target(account: &CarrierAccountId, label: &str) -> Target {
    Target::new("carrier_account", account, label.to_string())
}

fn seal(state: &AppState, id: &CarrierAccountId, credentials: Option<&Credentials>) -> anyhow::Result<String> {
    let plain = match credentials {
        Some(c) => serde_json::to_string(c)?,
        None => String::new(),
    };
    Ok(sealed::seal(&state.server_key, PURPOSE, id.as_str().as_bytes(), &plain)?.into_string())
}

/// The account's credentials; `None` once wiped.
pub async fn credentials(
    state: &AppState,
    ws: &WorkspaceId,
    id: &CarrierAccountId,
) -> anyhow::Result<Option<Credentials>> {
    let Some(stored) = store::find_sealed(&state.db, ws, id).await? else { return Ok(None) };
    let plain = sealed::open(&state.server_key, PURPOSE, id.as_str().as_bytes(), &stored)
        .map_err(|e| anyhow::anyhow!("credentials of carrier account {id}: {e}"))?;
    if plain.expose().is_empty() {
        return Ok(None);
    }
    Ok(Some(serde_json::from_str(plain.expose())?))
}

/// The carrier client the credentials open; `None` for a SIP trunk (no API).
pub fn carrier_for(
    state: &AppState,
    credentials: &Credentials,
    settings: &AccountSettings,
) -> Result<Option<Arc<dyn Carrier>>, CarrierError> {
    crate::phone_numbers::byoc::clients::carrier_for(state, credentials, settings)
}

/// A carrier's refusal of the credentials, by the field that holds them.
fn refused(carrier: CarrierKind, credentials: &Credentials, err: CarrierError) -> AppError {
    let field = match credentials {
        Credentials::TwilioToken { .. } => "auth_token",
        Credentials::TwilioKey { .. } => "api_key_secret",
        Credentials::Telnyx { .. } => "api_key",
        Credentials::Sip { .. } => "password",
    };
    let name = carrier.label();
    match err {
        CarrierError::Unauthorized | CarrierError::NotFound => AppError::field(
            field,
            format!("{name} refused these credentials. Check them in the {name} console and paste them again."),
        ),
        CarrierError::Rejected(msg) => AppError::field(field, format!("{name} refused these credentials: {msg}")),
        CarrierError::Unavailable(_) => AppError::unprocessable(
            "carrier_unavailable",
            format!("{name} could not be reached to check the credentials; nothing was saved. Try again in a minute."),
        ),
    }
}

fn taken(here: bool) -> AppError {
    if here {
        AppError::conflict("carrier_account_connected", "This carrier account is already connected to this workspace.")
    } else {
        AppError::conflict(
            "carrier_account_taken",
            "This carrier account is already connected to another Switchboard workspace. Disconnect it there first.",
        )
    }
}

/// What an account was connected with, for the audit entry: never a secret.
fn connect_changes(conn: &Connection, account_ref: &str, label: &str) -> Changes {
    let how = match &conn.credentials {
        Credentials::TwilioToken { .. } => "Account SID and Auth Token",
        Credentials::TwilioKey { auth_token: Some(_), .. } => "API key, with the Auth Token for signatures",
        Credentials::TwilioKey { auth_token: None, .. } => "API key",
        Credentials::Telnyx { .. } => "API key",
        Credentials::Sip { .. } => "username and password",
    };
    let none: Option<&str> = None;
    let mut changes = Changes::new()
        .field("carrier", none, Some(conn.carrier.as_str()))
        .field("account", none, Some(masked_ref(conn.carrier, account_ref)))
        .field("label", none, Some(label))
        .field("credentials", none, Some(how))
        .field("status", none, Some("CONNECTED"));
    if let Some(sip) = &conn.sip {
        changes = changes.field("termination_uri", none, Some(&sip.termination_uri)).field(
            "allowed_origins",
            none,
            Some(&sip.allowed_origins),
        );
    }
    if let Some(connection) = &conn.telnyx_connection_id {
        changes = changes.field("connection_id", none, Some(connection));
    }
    changes
}

/// Verifies the credentials at the carrier, then saves the account sealed.
pub async fn connect(state: &AppState, ctx: &WorkspaceCtx, conn: Connection) -> AppResult<Account> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let settings = AccountSettings {
        sip: conn.sip.clone(),
        telnyx_connection_id: conn.telnyx_connection_id.clone(),
        reset_failures: Vec::new(),
    };
    let (account_ref, label) = match &conn.sip {
        Some(sip) => {
            let host = sip_account_ref(&sip.termination_uri);
            (host.clone(), host)
        }
        None => {
            let carrier = carrier_for(state, &conn.credentials, &settings)
                .map_err(|e| refused(conn.carrier, &conn.credentials, e))?
                .ok_or_else(|| anyhow::anyhow!("no client for {}", conn.carrier.as_str()))?;
            let info = carrier.verify().await.map_err(|e| refused(conn.carrier, &conn.credentials, e))?;
            // An API-key connection's optional auth token is what callbacks
            // are checked with: a wrong one would refuse every call later.
            if let Credentials::TwilioKey { account_sid, auth_token: Some(token), .. } = &conn.credentials {
                let check = Credentials::TwilioToken { account_sid: account_sid.clone(), auth_token: token.clone() };
                if let Some(carrier) =
                    carrier_for(state, &check, &settings).map_err(|e| refused(conn.carrier, &check, e))?
                {
                    carrier.verify().await.map_err(|e| refused(conn.carrier, &check, e))?;
                }
            }
            (info.account_ref, info.label)
        }
    };
    if let Some(existing) = store::find_connected(&state.db, conn.carrier, &account_ref).await? {
        return Err(taken(&existing.workspace_id == ws));
    }
    let now = state.clock.now();
    let id = CarrierAccountId::new();
    let sealed = seal(state, &id, Some(&conn.credentials))?;
    let new = NewAccount {
        id: &id,
        carrier: conn.carrier,
        account_ref: &account_ref,
        label: &label,
        credentials_sealed: &sealed,
        settings: &settings,
    };
    let mut tx = state.db.begin().await?;
    if let Err(err) = store::insert(&mut tx, ws, &new, now).await {
        // Connected elsewhere between the check and the insert.
        return Err(if is_unique_violation(&err) { taken(false) } else { err.into() });
    }
    let changes = connect_changes(&conn, &account_ref, &label);
    audit::record(
        &mut tx,
        &Origin::from_ctx(ctx),
        &super::super::ACCOUNT_CONNECTED,
        &target(&id, &label),
        &changes,
        now,
    )
    .await?;
    let account = store::find(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(account)
}

/// The workspace's accounts (connected and disconnected) with their live numbers.
pub async fn list(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Vec<(Account, i64)>> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let accounts = store::list(&state.db, ws).await?;
    let counts = numbers::live_counts_by_account(&state.db, ws).await?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let n = counts.get(a.id.as_str()).copied().unwrap_or(0);
            (a, n)
        })
        .collect())
}

pub async fn find(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Account> {
    ctx.require(Permission::ManageSettings)?;
    let id = parse_id(id)?;
    store::find(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)
}

/// What a disconnection did.
#[derive(Debug)]
pub struct Disconnected {
    pub account: Account,
    pub numbers: Vec<PhoneNumber>,
    /// Numbers whose callbacks still point at Switchboard at the carrier.
    pub failures: Vec<ResetFailure>,
}

/// The account and its live numbers DISCONNECTED (assignments cleared),
/// then their callbacks reset at the carrier and the credentials wiped.
pub async fn disconnect(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Disconnected> {
    ctx.require(Permission::ManageSettings)?;
    let id = parse_id(id)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now();
    let origin = Origin::from_ctx(ctx);
    let mut tx = state.db.begin().await?;
    let account = store::find_for_update(&mut tx, ws, &id).await?.ok_or_else(not_found)?;
    if !account.connected {
        return Err(AppError::conflict(
            "carrier_account_disconnected",
            "This carrier account is already disconnected.",
        ));
    }
    let live = numbers::live_of_account(&mut tx, ws, &id).await?;
    for n in &live {
        numbers::disconnect(&mut tx, ws, &n.id, now).await?;
        let mut changes =
            Changes::new().field("status", Some(n.status.as_str()), Some(NumberStatus::Disconnected.as_str()));
        for role in crate::phone_numbers::model::Role::ALL {
            if let Some(agent) = n.agent(role) {
                changes = changes.field(role.column(), Some(agent.as_str()), None::<&str>);
            }
        }
        let number_target = Target::new("phone_number", &n.id, n.e164.clone());
        audit::record(&mut tx, &origin, &super::super::DISCONNECTED, &number_target, &changes, now).await?;
    }
    store::set_disconnected(&mut tx, ws, &id, now).await?;
    let changes = Changes::new().field("status", Some("CONNECTED"), Some("DISCONNECTED"));
    audit::record(&mut tx, &origin, &super::super::ACCOUNT_DISCONNECTED, &target(&id, &account.label), &changes, now)
        .await?;
    tx.commit().await?;

    let failures = reset_callbacks(state, &account, &live).await;
    let mut settings = account.settings.clone();
    settings.reset_failures = failures.clone();
    store::finish_disconnect(&state.db, ws, &id, &seal(state, &id, None)?, &settings).await?;
    let account = store::find(&state.db, ws, &id).await?.ok_or_else(not_found)?;
    Ok(Disconnected { account, numbers: live, failures })
}

/// Clears the callbacks of `numbers` at the account's carrier; what failed,
/// with the carrier's reason. A SIP trunk has nothing to reset.
async fn reset_callbacks(state: &AppState, account: &Account, list: &[PhoneNumber]) -> Vec<ResetFailure> {
    let fail_all = |reason: &str| {
        list.iter().map(|n| ResetFailure { e164: n.e164.clone(), reason: reason.to_string() }).collect::<Vec<_>>()
    };
    if account.carrier == CarrierKind::Sip || list.is_empty() {
        return Vec::new();
    }
    let credentials = match credentials(state, &account.workspace_id, &account.id).await {
        Ok(Some(c)) => c,
        Ok(None) => return fail_all("The account's credentials were already removed."),
        Err(err) => {
            tracing::error!(account = %account.id, error = %err, "carrier account credentials do not open");
            return fail_all("The account's stored credentials could not be read.");
        }
    };
    let carrier = match carrier_for(state, &credentials, &account.settings) {
        Ok(Some(c)) => c,
        Ok(None) => return Vec::new(),
        Err(err) => return fail_all(&err.to_string()),
    };
    let mut failures = Vec::new();
    for n in list {
        let Some(carrier_ref) = n.carrier_ref.as_deref() else { continue };
        match carrier.set_callbacks(carrier_ref, None).await {
            Ok(()) | Err(CarrierError::NotFound) => {}
            Err(err) => failures.push(ResetFailure { e164: n.e164.clone(), reason: err.to_string() }),
        }
    }
    failures
}

/// Releasing an imported number (`release.rs`): its callbacks are reset at
/// its account's carrier; the number stays the customer's there. An
/// account already disconnected had its numbers reset then.
pub async fn release_imported(state: &AppState, number: &PhoneNumber) -> Result<(), CarrierError> {
    let (Some(account_id), Some(carrier_ref)) = (&number.carrier_account_id, number.carrier_ref.as_deref()) else {
        return Ok(());
    };
    let ws = &number.workspace_id;
    let unavailable = |e: anyhow::Error| CarrierError::Unavailable(e.to_string());
    let account = store::find(&state.db, ws, account_id).await.map_err(|e| unavailable(e.into()))?;
    let Some(account) = account.filter(|a| a.connected) else { return Ok(()) };
    let Some(credentials) = credentials(state, ws, &account.id).await.map_err(unavailable)? else { return Ok(()) };
    let Some(carrier) = carrier_for(state, &credentials, &account.settings)? else { return Ok(()) };
    match carrier.set_callbacks(carrier_ref, None).await {
        Ok(()) | Err(CarrierError::NotFound) => Ok(()),
        Err(err) => Err(err),
    }
}

/// Workspace deletion: resets the callbacks of every live imported number
/// of the workspace's connected accounts. Call it before the deletion
/// commits (the rows and the credentials go with the workspace); best
/// effort, what failed is returned (and logged).
pub async fn reset_for_deletion(state: &AppState, ws: &WorkspaceId) -> anyhow::Result<Vec<ResetFailure>> {
    let mut failures = Vec::new();
    for account in store::list(&state.db, ws).await?.into_iter().filter(|a| a.connected) {
        let live = numbers::live_of_account(&state.db, ws, &account.id).await?;
        failures.extend(reset_callbacks(state, &account, &live).await);
    }
    for f in &failures {
        tracing::warn!(workspace = %ws, e164 = %f.e164, reason = %f.reason, "imported number's callbacks not reset");
    }
    Ok(failures)
}

/// The inbound callbacks' secret for a connected account: the auth token
/// Twilio signs `account_ref`'s callbacks with (opened from its sealed
/// column), with the account's ID (a callback it signs may speak only for
/// that account's numbers); `None` when no connected account
/// has that reference or its token is unknown (an API-key connection
/// without the optional auth token). Telnyx signs with the platform's key.
pub async fn callback_secret(
    state: &AppState,
    carrier: &str,
    account_ref: &str,
) -> anyhow::Result<Option<(CarrierAccountId, SecretString)>> {
    if CarrierKind::parse(carrier) != Some(CarrierKind::Twilio) {
        return Ok(None);
    }
    let Some(account) = store::find_connected(&state.db, CarrierKind::Twilio, account_ref).await? else {
        return Ok(None);
    };
    let creds = credentials(state, &account.workspace_id, &account.id).await?;
    Ok(creds
        .as_ref()
        .and_then(Credentials::twilio_signing_token)
        .map(|token| (account.id.clone(), SecretString::new(token.to_string()))))
}

/// Whether callbacks of this account can be checked (Twilio: the auth
/// token is known; Telnyx: the platform's public key; SIP: no callbacks).
pub async fn signatures_checked(state: &AppState, account: &Account) -> anyhow::Result<bool> {
    Ok(match account.carrier {
        CarrierKind::Twilio => credentials(state, &account.workspace_id, &account.id)
            .await?
            .is_some_and(|c| c.twilio_signing_token().is_some()),
        CarrierKind::Telnyx => state.config.inbound.telnyx_public_key.is_some(),
        CarrierKind::Sip => false,
    })
}
