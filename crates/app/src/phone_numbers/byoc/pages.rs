//! Settings → Phone Numbers → Bring your own carrier: the accounts, a
//! connect form per carrier (secrets in password inputs, never echoed
//! back), an account's page with the import picker and the Danger Zone,
//! and [`card`], the summary the main Phone Numbers page shows.
use std::collections::BTreeMap;

use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::Serialize;

use super::import::{self, ListedNumber, Outcome};
use super::model::{CarrierKind, RawConnection, masked_ref};
use super::service;
use super::store::Account;
use crate::error::{AppError, AppResult};
use crate::phone_numbers::model::display;
use crate::phone_numbers::store as numbers;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{Flash, Page, redirect_with_flash, time};

pub const CARRIERS: &str = "/settings/phone-numbers/carriers";
const SECTION: &str = "phone-numbers";

fn account_path(id: &str) -> String {
    format!("{CARRIERS}/{id}")
}

/// One account as the list and the card show it.
#[derive(Serialize)]
pub struct AccountView {
    id: String,
    url: String,
    carrier: &'static str,
    carrier_label: &'static str,
    label: String,
    account: String,
    connected: bool,
    verified: time::TimeView,
    numbers: i64,
}

fn view(state: &AppState, ctx: &WorkspaceCtx, a: &Account, numbers: i64) -> AccountView {
    AccountView {
        id: a.id.to_string(),
        url: account_path(a.id.as_str()),
        carrier: a.carrier.as_str(),
        carrier_label: a.carrier.label(),
        label: a.label.clone(),
        account: masked_ref(a.carrier, &a.account_ref),
        connected: a.connected,
        verified: time::view(a.verified_at, ctx.workspace.tz(), state.clock.now()),
        numbers,
    }
}

#[derive(Serialize)]
struct CarrierChoice {
    slug: &'static str,
    label: &'static str,
    url: String,
}

fn choices() -> Vec<CarrierChoice> {
    CarrierKind::ALL
        .into_iter()
        .map(|c| CarrierChoice {
            slug: c.as_str(),
            label: c.label(),
            url: format!("{CARRIERS}/connect/{}", c.as_str()),
        })
        .collect()
}

/// What `phone_numbers/byoc_card.html` shows: the connected accounts and
/// the Connect link. The main Phone Numbers page passes it as `byoc`.
#[derive(Serialize)]
pub struct Card {
    accounts: Vec<AccountView>,
    url: &'static str,
}

pub async fn card(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Card> {
    let accounts = service::list(state, ctx).await?;
    let accounts = accounts.iter().filter(|(a, _)| a.connected).map(|(a, n)| view(state, ctx, a, *n)).collect();
    Ok(Card { accounts, url: CARRIERS })
}

pub async fn carriers_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let accounts = service::list(&state, &ctx).await?;
    let accounts: Vec<AccountView> = accounts.iter().map(|(a, n)| view(&state, &ctx, a, *n)).collect();
    let value = context! {
        title => "Bring your own carrier",
        ws_id => ctx.workspace.id.to_string(),
        accounts => accounts,
        carriers => choices(),
    };
    crate::settings::render(&state, &page, StatusCode::OK, SECTION, "phone_numbers/carriers.html", value).await
}

/// Where the carrier should send calls (shown for Telnyx's TeXML Application).
fn callback_urls(state: &AppState, carrier: CarrierKind) -> Value {
    let urls = crate::phone_numbers::carrier::callbacks(state, carrier.as_str());
    context! { voice_url => urls.voice_url, status_url => urls.status_url, sms_url => urls.sms_url }
}

fn carrier_of(raw: &str) -> AppResult<CarrierKind> {
    CarrierKind::parse(raw).ok_or_else(|| AppError::not_found("The carrier"))
}

async fn render_connect(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    carrier: CarrierKind,
    form: &RawConnection,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> AppResult<Response> {
    // Only what is not secret goes back into the form.
    let values = context! {
        account_sid => form.account_sid,
        api_key_sid => form.api_key_sid,
        connection_id => form.connection_id,
        termination_uri => form.termination_uri,
        username => form.username,
        allowed_origins => form.allowed_origins,
    };
    let value = context! {
        title => format!("Connect {}", carrier.label()),
        ws_id => ctx.workspace.id.to_string(),
        carrier => carrier.as_str(),
        carrier_label => carrier.label(),
        action => format!("{CARRIERS}/connect/{}", carrier.as_str()),
        values => values,
        errors => errors,
        telnyx_key_configured => state.config.inbound.telnyx_public_key.is_some(),
        callbacks => callback_urls(state, carrier),
    };
    crate::settings::render(state, page, status, SECTION, "phone_numbers/carrier_connect.html", value).await
}

pub async fn connect_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(carrier): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let carrier = carrier_of(&carrier)?;
    let form = RawConnection::default();
    render_connect(&state, &ctx, &page, carrier, &form, BTreeMap::new(), StatusCode::OK).await
}

pub async fn connect(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(carrier): Path<String>,
    Form(mut form): Form<RawConnection>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let carrier = carrier_of(&carrier)?;
    form.carrier = carrier.as_str().to_string();
    let done = match form.parse() {
        Ok(conn) => service::connect(&state, &ctx, conn).await,
        Err(err) => Err(err),
    };
    match done {
        Ok(account) => Ok(redirect_with_flash(
            &account_path(account.id.as_str()),
            Flash::success(format!("{} account “{}” connected.", carrier.label(), account.label)),
        )),
        Err(err) => {
            let errors = match (err.field_messages(), err.problem()) {
                (Some(errors), _) => errors,
                // A conflict or an unreachable carrier: shown at the top.
                (None, Some(problem)) => BTreeMap::from([("form".to_string(), problem.detail.clone())]),
                (None, None) => return Err(err),
            };
            render_connect(&state, &ctx, &page, carrier, &form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Serialize)]
struct NumberRow {
    e164: String,
    display: String,
    friendly_name: Option<String>,
    capabilities: String,
    state: &'static str,
    url: Option<String>,
}

fn number_rows(listed: Vec<ListedNumber>) -> Vec<NumberRow> {
    listed
        .into_iter()
        .map(|n| NumberRow {
            state: match n.state {
                import::ListedState::Importable => "importable",
                import::ListedState::ImportedHere => "here",
                import::ListedState::InAnotherWorkspace => "elsewhere",
            },
            url: n.phone_number_id.map(|id| format!("/settings/phone-numbers/{id}")),
            capabilities: n.capabilities.to_list().replace(',', ", ").to_uppercase(),
            e164: n.e164,
            display: n.display,
            friendly_name: n.friendly_name,
        })
        .collect()
}

#[derive(Serialize)]
struct ResultRow {
    display: String,
    result: &'static str,
    reason: Option<String>,
}

async fn render_account(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    id: &str,
    results: Option<Vec<ResultRow>>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> AppResult<Response> {
    let account = service::find(state, ctx, id).await?;
    let ws = &ctx.workspace.id;
    let imported = numbers::live_of_account(&state.db, ws, &account.id).await?;
    let imported: Vec<Value> = imported
        .iter()
        .map(|n| context! { display => n.display(), url => format!("/settings/phone-numbers/{}", n.id), name => n.friendly_name })
        .collect();
    let (listed, list_error) = match (account.connected, account.carrier) {
        (true, CarrierKind::Twilio | CarrierKind::Telnyx) => match import::account_numbers(state, ctx, id).await {
            Ok((_, listed)) => (number_rows(listed), None),
            Err(err) => match err.problem() {
                Some(p) => (Vec::new(), Some(p.detail.clone())),
                None => return Err(err),
            },
        },
        _ => (Vec::new(), None),
    };
    let signatures = account.connected && service::signatures_checked(state, &account).await?;
    let failures: Vec<Value> = account
        .settings
        .reset_failures
        .iter()
        .map(|f| context! { display => display(&f.e164), reason => f.reason })
        .collect();
    let sip = account.settings.sip.clone();
    let telnyx_connection_id = account.settings.telnyx_connection_id.clone();
    let value = context! {
        title => account.label.clone(),
        ws_id => ctx.workspace.id.to_string(),
        account => view(state, ctx, &account, imported.len() as i64),
        disconnected => account.disconnected_at.map(|at| time::view(at, ctx.workspace.tz(), state.clock.now())),
        sip => sip.map(|s| context! { termination_uri => s.termination_uri, allowed_origins => s.allowed_origins }),
        signatures => signatures,
        telnyx_connection_id => telnyx_connection_id,
        imported => imported,
        listed => listed,
        list_error => list_error,
        results => results,
        errors => errors,
        failures => failures,
        import_url => format!("{}/import", account_path(account.id.as_str())),
        disconnect_url => format!("{}/disconnect", account_path(account.id.as_str())),
    };
    crate::settings::render(state, page, status, SECTION, "phone_numbers/carrier_account.html", value).await
}

pub async fn account_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render_account(&state, &ctx, &page, &id, None, BTreeMap::new(), StatusCode::OK).await
}

/// The picker's checked numbers (`phone_numbers`, repeated) or the typed
/// list of a SIP trunk (the same name, one text area).
pub async fn import(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let raw: Vec<String> =
        url::form_urlencoded::parse(&body).filter(|(k, _)| k == "phone_numbers").map(|(_, v)| v.into_owned()).collect();
    let e164s = match import::parse_list(&raw) {
        Ok(list) => list,
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            return render_account(&state, &ctx, &page, &id, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let results = import::import(&state, &ctx, &id, &e164s).await?;
    let rows = results
        .into_iter()
        .map(|r| {
            let (result, reason) = match r.outcome {
                Outcome::Imported(_) => ("Imported", None),
                Outcome::Unchanged(_) => ("Already imported here", None),
                Outcome::Refused(reason) => ("Not imported", Some(reason)),
            };
            ResultRow { display: display(&r.e164), result, reason }
        })
        .collect();
    render_account(&state, &ctx, &page, &id, Some(rows), BTreeMap::new(), StatusCode::OK).await
}

pub async fn disconnect(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let done = service::disconnect(&state, &ctx, &id).await?;
    let n = done.numbers.len();
    let flash = if done.failures.is_empty() {
        Flash::success(format!("“{}” disconnected; {n} number(s) disconnected.", done.account.label))
    } else {
        Flash::error(format!(
            "“{}” disconnected, but the callbacks of {} number(s) could not be reset at the carrier: see below.",
            done.account.label,
            done.failures.len()
        ))
    };
    Ok(redirect_with_flash(&account_path(done.account.id.as_str()), flash))
}
