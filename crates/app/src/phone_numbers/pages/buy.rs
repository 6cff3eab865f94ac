//! The Buy flow: the search form (a GET form; its messages by the fields),
//! the results with their monthly price in credits, and for each a confirm
//! dialog (or, without JavaScript, a confirmation page) showing the price,
//! the balance and what remains. Confirming posts; a refusal (the plan's
//! limit, not enough credits, the carrier) comes back to the results as a
//! toast and nothing changes.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use switchboard_core::Credits;
use switchboard_providers::carriers::{Capabilities, NumberType, SearchQuery};

use super::views::capabilities;
use super::{BUY, NUMBERS};
use crate::api::ApiQuery;
use crate::error::{AppError, AppResult, FieldError};
use crate::phone_numbers::buy;
use crate::phone_numbers::model::{NumberStatus, display, parse_e164};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::format::credits;
use crate::web::{Flash, Page, redirect_with_flash};

/// The countries the form offers (ISO 3166-1 alpha-2, with their names).
const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("AU", "Australia"),
    ("IE", "Ireland"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
];

/// At most this many results.
const RESULTS: usize = 20;

/// The search as the form sends it; every field optional. `country` is
/// what makes it a search (the form always sends it).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    country: Option<String>,
    #[serde(default, rename = "type")]
    number_type: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    contains: String,
    #[serde(default)]
    voice: Option<String>,
    #[serde(default)]
    sms: Option<String>,
    #[serde(default)]
    mms: Option<String>,
}

fn digits(field: &str, raw: &str, max: usize, what: &str) -> Result<Option<String>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if !raw.chars().all(|c| c.is_ascii_digit()) || raw.len() > max {
        return Err(FieldError::new(field, format!("{what} is up to {max} digits, e.g. 415.")));
    }
    Ok(Some(raw.to_string()))
}

impl SearchForm {
    fn searched(&self) -> bool {
        self.country.is_some()
    }

    fn country(&self) -> String {
        self.country.as_deref().unwrap_or("US").trim().to_ascii_uppercase()
    }

    /// The query, or the messages by field.
    fn parse(&self) -> AppResult<SearchQuery> {
        let mut errors = Vec::new();
        let country = self.country();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            errors.push(FieldError::new("country", "Choose a country."));
        }
        let number_type = match self.number_type.trim() {
            "" => Some(NumberType::Local),
            raw => NumberType::parse(raw),
        };
        if number_type.is_none() {
            errors.push(FieldError::new("type", "Choose a type: local, national, mobile or toll-free."));
        }
        let area_code = digits("area_code", &self.area_code, 5, "An area code").unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let contains = digits("contains", &self.contains, 10, "“Contains”").unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let capabilities =
            Capabilities { voice: self.voice.is_some(), sms: self.sms.is_some(), mms: self.mms.is_some() };
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        Ok(SearchQuery {
            country,
            number_type: number_type.unwrap_or(NumberType::Local),
            area_code,
            contains,
            capabilities,
            limit: RESULTS,
        })
    }

    /// The form's values as the page shows them (a first visit: US, local, voice).
    fn values(&self) -> BTreeMap<&'static str, String> {
        let first = !self.searched();
        let on = |v: &Option<String>| if v.is_some() { "on".to_string() } else { String::new() };
        BTreeMap::from([
            ("country", self.country()),
            (
                "type",
                if self.number_type.trim().is_empty() { "LOCAL".into() } else { self.number_type.trim().to_string() },
            ),
            ("area_code", self.area_code.trim().to_string()),
            ("contains", self.contains.trim().to_string()),
            ("voice", if first { "on".into() } else { on(&self.voice) }),
            ("sms", on(&self.sms)),
            ("mms", on(&self.mms)),
        ])
    }

    /// The query string that repeats this search (after a refused buy).
    fn query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        out.append_pair("country", &self.country());
        for (k, v) in [("type", &self.number_type), ("area_code", &self.area_code), ("contains", &self.contains)] {
            if !v.trim().is_empty() {
                out.append_pair(k, v.trim());
            }
        }
        for (k, v) in [("voice", &self.voice), ("sms", &self.sms), ("mms", &self.mms)] {
            if v.is_some() {
                out.append_pair(k, "on");
            }
        }
        out.finish()
    }
}

/// What buying costs against the balance.
#[derive(Serialize)]
struct Cost {
    price: String,
    balance: String,
    after: String,
    /// Credits missing, when the balance does not cover the price.
    shortfall: Option<String>,
}

async fn cost(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<(Credits, Cost)> {
    let ws = &ctx.workspace.id;
    crate::subscription::trial::load_or_start(state, ws).await?;
    let balance = crate::credits::ledger::read_balance(&state.db, ws).await?.map(|r| r.balance().total());
    let balance = balance.unwrap_or(Credits::ZERO);
    let price = buy::monthly_price(state, ctx).await?;
    let after = balance.checked_sub(price).unwrap_or(Credits::ZERO);
    let shortfall = after.is_negative().then(|| credits(Credits::ZERO.checked_sub(after).unwrap_or(price)));
    Ok((price, Cost { price: credits(price), balance: credits(balance), after: credits(after), shortfall }))
}

#[derive(Serialize)]
struct OfferView {
    e164: String,
    display: String,
    locality: Option<String>,
    number_type: &'static str,
    capabilities: String,
    price: String,
}

pub async fn buy_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    ApiQuery(form): ApiQuery<SearchForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let mut errors = BTreeMap::new();
    let mut search_error = None;
    let mut offers: Option<Vec<OfferView>> = None;
    if form.searched() {
        match form.parse() {
            Ok(query) => match buy::search(&state, &ctx, &query).await {
                Ok(found) => {
                    offers = Some(
                        found
                            .into_iter()
                            .map(|o| OfferView {
                                display: display(&o.number.e164),
                                e164: o.number.e164,
                                locality: o.number.locality,
                                number_type: o.number.number_type.label(),
                                capabilities: capabilities(o.number.capabilities),
                                price: credits(o.monthly_price),
                            })
                            .collect(),
                    )
                }
                Err(err) => match (err.field_messages(), err.problem()) {
                    (Some(fields), _) => errors = fields,
                    (None, Some(p)) => search_error = Some(p.detail.clone()),
                    (None, None) => return Err(err),
                },
            },
            Err(err) => errors = err.field_messages().unwrap_or_default(),
        }
    }
    let (_, cost) = cost(&state, &ctx).await?;
    let types: Vec<(&str, &str)> = NumberType::ALL.iter().map(|t| (t.as_str(), t.label())).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    crate::settings::render(
        &state,
        &page,
        status,
        super::super::SECTION.slug,
        "phone_numbers/buy.html",
        context! {
            title => "Buy a number",
            workspace_id => ctx.workspace.id.to_string(),
            values => form.values(),
            hidden => hidden(&form),
            errors => errors,
            search_error => search_error,
            searched => form.searched(),
            offers => offers,
            cost => cost,
            countries => COUNTRIES,
            types => types,
        },
    )
    .await
}

/// The search's fields as hidden inputs, so a buy can come back to it.
fn hidden(form: &SearchForm) -> Vec<(String, String)> {
    url::form_urlencoded::parse(form.query().as_bytes()).map(|(k, v)| (format!("search_{k}"), v.into_owned())).collect()
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    number: String,
}

/// The confirmation as a page of its own: where a result's Buy leads
/// without JavaScript (with it, the same content opens as a dialog).
pub async fn confirm_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    ApiQuery(form): ApiQuery<ConfirmForm>,
    ApiQuery(search): ApiQuery<SearchForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let e164 = parse_e164(&form.number).ok_or_else(|| AppError::field("number", "That is not a phone number."))?;
    let (_, cost) = cost(&state, &ctx).await?;
    crate::settings::render(
        &state,
        &page,
        StatusCode::OK,
        super::super::SECTION.slug,
        "phone_numbers/buy_confirm.html",
        context! {
            title => format!("Buy {}", display(&e164)),
            workspace_id => ctx.workspace.id.to_string(),
            number => context! { e164 => e164.clone(), display => display(&e164) },
            cost => cost,
            hidden => hidden(&search),
            back => format!("{BUY}?{}", search.query()),
        },
    )
    .await
}

/// The confirm button's post: the number, and the search to come back to
/// (each field prefixed `search_`).
#[derive(Debug, Deserialize)]
pub struct BuyForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    search_country: Option<String>,
    #[serde(default)]
    search_type: String,
    #[serde(default)]
    search_area_code: String,
    #[serde(default)]
    search_contains: String,
    #[serde(default)]
    search_voice: Option<String>,
    #[serde(default)]
    search_sms: Option<String>,
    #[serde(default)]
    search_mms: Option<String>,
}

impl BuyForm {
    fn search(&self) -> SearchForm {
        SearchForm {
            country: self.search_country.clone(),
            number_type: self.search_type.clone(),
            area_code: self.search_area_code.clone(),
            contains: self.search_contains.clone(),
            voice: self.search_voice.clone(),
            sms: self.search_sms.clone(),
            mms: self.search_mms.clone(),
        }
    }
}

pub async fn buy_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Form(form): Form<BuyForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let back = format!("{BUY}?{}", form.search().query());
    let Some(e164) = parse_e164(&form.number) else {
        return Ok(redirect_with_flash(&back, Flash::error("That is not a phone number; pick one from the results.")));
    };
    match buy::buy(&state, &ctx, &e164).await {
        Ok(number) => {
            let to = format!("{NUMBERS}/{}", number.id);
            let flash = match number.status {
                NumberStatus::Failed => Flash::error(format!(
                    "The carrier refused the order for {}: {} The charge was refunded.",
                    number.display(),
                    number.status_detail.as_deref().unwrap_or("no reason given.")
                )),
                NumberStatus::Pending => Flash::success(format!(
                    "Ordered {} for {} credits; the carrier is completing the order.",
                    number.display(),
                    credits(Credits::from_millis(number.monthly_price))
                )),
                _ => Flash::success(format!(
                    "Bought {} for {} credits.",
                    number.display(),
                    credits(Credits::from_millis(number.monthly_price))
                )),
            };
            Ok(redirect_with_flash(&to, flash))
        }
        Err(err) => match err.problem() {
            // Refused (the plan's limit, the balance, the carrier, taken
            // meanwhile): nothing changed; back to the results, saying why.
            Some(p) => Ok(redirect_with_flash(&back, Flash::error(p.detail.clone()))),
            None => Err(err),
        },
    }
}
