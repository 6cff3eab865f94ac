//! An account's numbers and their import. The picker lists what the
//! carrier says the account holds, each marked imported here, in another
//! workspace, or importable. Importing is idempotent per number: one
//! already live here is reported unchanged, one live in another workspace
//! is refused (a number lives in one workspace only: a unique index), and
//! each new one has its callbacks pointed at Switchboard at the carrier,
//! then is inserted ACTIVE, IMPORTED, at no platform price, and audited
//! (`phone_number.imported`, which publishes the webhook event). A SIP
//! trunk has no listing API: its numbers are typed.
use chrono::SubsecRound;
use serde::Serialize;
use switchboard_core::{PhoneNumberId, WorkspaceId};
use switchboard_db::is_unique_violation;
use switchboard_providers::carriers::{Capabilities, CarrierError, NumberType, OwnedNumber, country_of};

use super::model::CarrierKind;
use super::service::{self, carrier_for, not_found, parse_id};
use super::store::{self, Account};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::phone_numbers::model::{NumberSource, NumberStatus, PhoneNumber, display, parse_e164};
use crate::phone_numbers::store::{self as numbers, NewNumber};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// At most this many numbers per import request.
pub const MAX_IMPORT: usize = 100;

/// Where a number of the account stands here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CarrierNumberState)]
pub enum ListedState {
    Importable,
    ImportedHere,
    /// Live in another workspace: cannot be imported here.
    InAnotherWorkspace,
}

/// A number the account holds at the carrier.
#[derive(Debug, Clone)]
pub struct ListedNumber {
    pub e164: String,
    pub display: String,
    pub friendly_name: Option<String>,
    pub capabilities: Capabilities,
    pub state: ListedState,
    /// The number's ID here, when imported here.
    pub phone_number_id: Option<PhoneNumberId>,
}

fn carrier_problem(carrier: CarrierKind, err: CarrierError) -> AppError {
    let name = carrier.label();
    match err {
        CarrierError::Unauthorized => AppError::unprocessable(
            "carrier_refused",
            format!("{name} refused the account's credentials; disconnect it and connect it again with new ones."),
        ),
        CarrierError::NotFound => {
            AppError::unprocessable("carrier_refused", format!("{name} did not find the account."))
        }
        CarrierError::Rejected(msg) => AppError::unprocessable("carrier_refused", format!("{name}: {msg}")),
        CarrierError::Unavailable(_) => AppError::unprocessable(
            "carrier_unavailable",
            format!("{name} could not be reached; try again in a minute."),
        ),
    }
}

async fn connected(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Account> {
    let id = parse_id(id)?;
    let account = store::find(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    if !account.connected {
        return Err(AppError::conflict("carrier_account_disconnected", "This carrier account is disconnected."));
    }
    Ok(account)
}

async fn client(
    state: &AppState,
    account: &Account,
) -> AppResult<Option<std::sync::Arc<dyn switchboard_providers::carriers::Carrier>>> {
    let Some(credentials) = service::credentials(state, &account.workspace_id, &account.id).await? else {
        return Err(AppError::conflict("carrier_account_disconnected", "This carrier account is disconnected."));
    };
    carrier_for(state, &credentials, &account.settings).map_err(|e| carrier_problem(account.carrier, e))
}

/// The account's numbers at the carrier, marked. A SIP trunk has no list.
pub async fn account_numbers(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
) -> AppResult<(Account, Vec<ListedNumber>)> {
    ctx.require(Permission::ManageSettings)?;
    let account = connected(state, ctx, id).await?;
    let Some(carrier) = client(state, &account).await? else {
        return Err(AppError::unprocessable(
            "no_number_listing",
            "A SIP trunk has no API to list its numbers: import them by typing them in E.164 (+14155550100).",
        ));
    };
    let owned = carrier.list_numbers().await.map_err(|e| carrier_problem(account.carrier, e))?;
    let e164s: Vec<String> = owned.iter().map(|o| o.e164.clone()).collect();
    let live = numbers::live_among(&state.db, &e164s).await?;
    let mut listed: Vec<ListedNumber> = owned
        .into_iter()
        .map(|o| {
            let here = live.iter().find(|n| n.e164 == o.e164);
            let state = match here {
                None => ListedState::Importable,
                Some(n) if n.workspace_id == ctx.workspace.id => ListedState::ImportedHere,
                Some(_) => ListedState::InAnotherWorkspace,
            };
            ListedNumber {
                display: display(&o.e164),
                phone_number_id: here.filter(|n| n.workspace_id == ctx.workspace.id).map(|n| n.id.clone()),
                e164: o.e164,
                friendly_name: o.friendly_name,
                capabilities: o.capabilities,
                state,
            }
        })
        .collect();
    listed.sort_by(|a, b| a.e164.cmp(&b.e164));
    Ok((account, listed))
}

/// What importing one number did.
#[derive(Debug, Clone)]
pub enum Outcome {
    Imported(PhoneNumber),
    /// Already live in this workspace: unchanged.
    Unchanged(PhoneNumber),
    /// Not imported, with the reason for people.
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct ImportResult {
    pub e164: String,
    pub outcome: Outcome,
}

/// The typed or chosen numbers as E.164, deduplicated; the first that is
/// not one is an error by the field.
pub fn parse_list(raw: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in raw.iter().flat_map(|r| r.split([',', '\n', ';'])).map(str::trim).filter(|s| !s.is_empty()) {
        let e164 = parse_e164(item).ok_or_else(|| {
            AppError::field("phone_numbers", format!("{item} is not a phone number in E.164, e.g. +14155550100."))
        })?;
        if !out.contains(&e164) {
            out.push(e164);
        }
    }
    if out.is_empty() {
        return Err(AppError::field("phone_numbers", "Choose at least one number to import."));
    }
    if out.len() > MAX_IMPORT {
        return Err(AppError::field("phone_numbers", format!("Import at most {MAX_IMPORT} numbers at a time.")));
    }
    Ok(out)
}

/// Imports `e164s` (already parsed) from the account; one result per number.
pub async fn import(state: &AppState, ctx: &WorkspaceCtx, id: &str, e164s: &[String]) -> AppResult<Vec<ImportResult>> {
    ctx.require(Permission::ManageSettings)?;
    let account = connected(state, ctx, id).await?;
    let carrier = client(state, &account).await?;
    let callbacks = crate::phone_numbers::carrier::callbacks(state, account.carrier.as_str());
    let mut results = Vec::with_capacity(e164s.len());
    for e164 in e164s {
        let outcome = match numbers::find_live_by_e164(&state.db, e164).await? {
            Some(n) if n.workspace_id == ctx.workspace.id => Outcome::Unchanged(n),
            Some(_) => Outcome::Refused(elsewhere()),
            None => import_one(state, ctx, &account, carrier.as_deref(), &callbacks, e164).await?,
        };
        results.push(ImportResult { e164: e164.clone(), outcome });
    }
    Ok(results)
}

fn elsewhere() -> String {
    "This number is in use in another Switchboard workspace; release it there first.".to_string()
}

fn plan_limit_message(err: AppError) -> AppResult<String> {
    match err.problem() {
        Some(p) if p.code == "plan_limit" => Ok(p.detail.clone()),
        _ => Err(err),
    }
}

async fn import_one(
    state: &AppState,
    ctx: &WorkspaceCtx,
    account: &Account,
    carrier: Option<&dyn switchboard_providers::carriers::Carrier>,
    callbacks: &switchboard_providers::carriers::Callbacks,
    e164: &str,
) -> AppResult<Outcome> {
    let ws = &ctx.workspace.id;
    // The plan's limit first, so nothing is changed at the carrier for a
    // number that cannot come in; checked again in the insert's transaction.
    {
        let mut tx = state.db.begin().await?;
        let current = numbers::count_live(&mut tx, ws).await?;
        if let Err(err) = crate::subscription::limits::check_phone_numbers(state, &mut tx, ws, current).await {
            return Ok(Outcome::Refused(plan_limit_message(err)?));
        }
    }
    let owned = match carrier {
        Some(carrier) => {
            let found = match carrier.find_number(e164).await {
                Ok(Some(owned)) => owned,
                Ok(None) | Err(CarrierError::NotFound) => {
                    return Ok(Outcome::Refused(format!(
                        "{} does not hold this number in this account.",
                        account.carrier.label()
                    )));
                }
                Err(err) => return Ok(Outcome::Refused(err.to_string())),
            };
            if let Err(err) = carrier.set_callbacks(&found.carrier_ref, Some(callbacks)).await {
                return Ok(Outcome::Refused(format!("Its callbacks could not be pointed at Switchboard: {err}")));
            }
            found
        }
        None => OwnedNumber {
            carrier_ref: e164.to_string(),
            e164: e164.to_string(),
            friendly_name: None,
            country: None,
            number_type: None,
            capabilities: Capabilities::VOICE,
            voice_url: None,
        },
    };
    insert(state, ctx, ws, account, &owned).await
}

fn country(owned: &OwnedNumber) -> String {
    owned
        .country
        .clone()
        .or_else(|| country_of(&owned.e164).map(str::to_string))
        .or_else(|| {
            phonenumber::parse(None, &owned.e164).ok().and_then(|n| n.country().id()).map(|id| format!("{id:?}"))
        })
        .unwrap_or_else(|| "ZZ".to_string())
}

async fn insert(
    state: &AppState,
    ctx: &WorkspaceCtx,
    ws: &WorkspaceId,
    account: &Account,
    owned: &OwnedNumber,
) -> AppResult<Outcome> {
    let now = state.clock.now().trunc_subsecs(6);
    let id = PhoneNumberId::new();
    let friendly_name: String = owned.friendly_name.clone().unwrap_or_default().chars().take(80).collect();
    let country = country(owned);
    let new = NewNumber {
        id: &id,
        e164: &owned.e164,
        friendly_name: &friendly_name,
        country: &country,
        number_type: owned.number_type.unwrap_or(NumberType::Local),
        capabilities: owned.capabilities,
        source: NumberSource::Imported,
        carrier: account.carrier.as_str(),
        carrier_account_id: Some(&account.id),
        carrier_ref: Some(&owned.carrier_ref),
        monthly_price: 0,
        status: NumberStatus::Active,
        period_start: None,
        renews_on: None,
    };
    let mut tx = state.db.begin().await?;
    let current = numbers::count_live(&mut tx, ws).await?;
    if let Err(err) = crate::subscription::limits::check_phone_numbers(state, &mut tx, ws, current).await {
        return Ok(Outcome::Refused(plan_limit_message(err)?));
    }
    if let Err(err) = numbers::insert(&mut tx, ws, &new, now).await {
        if !is_unique_violation(&err) {
            return Err(err.into());
        }
        drop(tx);
        // Imported at the same moment, here or elsewhere.
        return Ok(match numbers::find_live_by_e164(&state.db, &owned.e164).await? {
            Some(n) if &n.workspace_id == ws => Outcome::Unchanged(n),
            _ => Outcome::Refused(elsewhere()),
        });
    }
    let none: Option<&str> = None;
    let changes = Changes::new()
        .field("e164", none, Some(&new.e164))
        .field("friendly_name", none, Some(new.friendly_name))
        .field("country", none, Some(&country))
        .field("number_type", none, Some(new.number_type.as_str()))
        .field("capabilities", none, Some(new.capabilities.to_list()))
        .field("source", none, Some(NumberSource::Imported.as_str()))
        .field("carrier", none, Some(account.carrier.as_str()))
        .field("monthly_price", None::<i64>, Some(0))
        .field("status", none, Some(NumberStatus::Active.as_str()));
    let target = Target::new("phone_number", &id, owned.e164.clone());
    audit::record(&mut tx, &Origin::from_ctx(ctx), &crate::phone_numbers::IMPORTED, &target, &changes, now).await?;
    let number = numbers::find(&mut tx, ws, &id).await?.ok_or_else(|| AppError::not_found("The number"))?;
    tx.commit().await?;
    Ok(Outcome::Imported(number))
}
