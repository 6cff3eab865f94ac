//! Settings → Audit Log: the filtered list (a GET form, so it works without
//! JavaScript), keyset "Load more", export links through the API's streamed
//! export, and the detail view of one entry with its before/after diff.
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::catalogue::{action_label, target_label};
use super::query::{self, Filter, decode_cursor};
use super::view::{self, EntryRow};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::Page;

const PAGE_SIZE: i64 = 50;
/// The actor select lists at most this many members and tokens each.
const MAX_ACTORS: i64 = 500;

/// The filter form's fields as typed; all optional, blanks mean "any".
#[derive(Debug, Default, Deserialize)]
pub struct AuditPageQuery {
    actor: Option<String>,
    action: Option<String>,
    target_type: Option<String>,
    /// A date (`YYYY-MM-DD`) in the workspace timezone: from its start.
    from: Option<String>,
    /// A date in the workspace timezone: up to its end.
    to: Option<String>,
    search: Option<String>,
    cursor: Option<String>,
}

impl AuditPageQuery {
    fn value(field: &Option<String>) -> &str {
        field.as_deref().map(str::trim).unwrap_or("")
    }

    /// The filters as typed, for the form, links and "Load more".
    fn typed(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("actor", Self::value(&self.actor)),
            ("action", Self::value(&self.action)),
            ("target_type", Self::value(&self.target_type)),
            ("from", Self::value(&self.from)),
            ("to", Self::value(&self.to)),
            ("search", Self::value(&self.search)),
        ]
    }

    /// The filter, or the message for each field that is not valid.
    fn filter(&self, tz: Tz) -> Result<Filter, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let mut day = |field: &str, raw: &str, next: bool| -> Option<DateTime<Utc>> {
            if raw.is_empty() {
                return None;
            }
            let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| if next { d.checked_add_days(Days::new(1)) } else { Some(d) });
            match parsed {
                Some(date) => Some(start_of_day(date, tz)),
                None => {
                    errors.insert(field.to_string(), "Enter a date as YYYY-MM-DD, e.g. 2026-11-28.".to_string());
                    None
                }
            }
        };
        let from = day("from", Self::value(&self.from), false);
        let to = day("to", Self::value(&self.to), true);
        if !errors.is_empty() {
            return Err(errors);
        }
        let filter = Filter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            target_type: self.target_type.clone(),
            from,
            to,
            search: self.search.clone(),
        };
        filter.normalised().map_err(|err| err.field_messages().unwrap_or_default())
    }
}

/// Where `date` begins in `tz`, as a UTC instant. Where a clock change
/// skips midnight, the day begins at the first local time that exists.
fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    (0..=3)
        .find_map(|h| {
            let time = NaiveTime::from_hms_opt(h, 0, 0)?;
            date.and_time(time).and_local_timezone(tz).earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc())
}

/// `a=1&b=2` from the non-empty pairs.
fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.into_iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(key, value);
    }
    out.finish()
}

/// The API export of `filter`, in `format`.
fn export_url(filter: &Filter, format: &str) -> String {
    let time = |t: Option<DateTime<Utc>>| t.map(|t| query::rfc3339(t, chrono_tz::UTC)).unwrap_or_default();
    let (from, to) = (time(filter.from), time(filter.to));
    let pairs = [
        ("format", format),
        ("actor", filter.actor.as_deref().unwrap_or("")),
        ("action", filter.action.as_deref().unwrap_or("")),
        ("target_type", filter.target_type.as_deref().unwrap_or("")),
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("search", filter.search.as_deref().unwrap_or("")),
    ];
    format!("/api/v1/audit-log/export?{}", query_string(pairs))
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// The actor select: members (whatever their status, so past members'
/// entries stay findable), tokens (revoked ones too), and System.
async fn actor_choices(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<(Vec<Choice>, Vec<Choice>)> {
    let (people, tokens) = crate::tenancy::actors(&state.db, &ctx.workspace.id, MAX_ACTORS).await?;
    let choice = |(value, label): (String, String)| Choice { value, label };
    Ok((people.into_iter().map(choice).collect(), tokens.into_iter().map(choice).collect()))
}

pub async fn audit_log_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Query(q): Query<AuditPageQuery>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let tz = ctx.workspace.tz();
    let filter = q.filter(tz);
    let cursor = q.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(decode_cursor).transpose();
    let mut errors = BTreeMap::new();
    let mut rows = Vec::new();
    let mut next_cursor = None;
    let mut exports = None;
    match (&filter, cursor) {
        (Ok(filter), Ok(cursor)) => {
            let found = query::page(&state.db, &ctx.workspace.id, filter, cursor.as_ref(), PAGE_SIZE + 1).await?;
            let (found, next) = crate::api::pagination::page(found, PAGE_SIZE, query::cursor_key);
            next_cursor = next;
            rows = found.into_iter().map(|e| EntryRow::new(e, tz)).collect();
            exports = Some(context! { csv => export_url(filter, "csv"), jsonl => export_url(filter, "jsonl") });
        }
        (Err(field_errors), _) => errors.extend(field_errors.clone()),
        (Ok(_), Err(err)) => errors.extend(err.field_messages().unwrap_or_default()),
    }
    let typed = q.typed();
    let filters_qs = query_string(typed.iter().copied());
    let load_more = next_cursor.map(|c| {
        let mut pairs = typed.clone();
        pairs.push(("cursor", c.as_str()));
        format!("/settings/audit-log?{}", query_string(pairs))
    });
    let (people, tokens) = actor_choices(&state, &ctx).await?;
    let values: BTreeMap<&str, &str> = typed.iter().copied().collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    crate::settings::render(
        &state,
        &page,
        status,
        "audit-log",
        "audit/list.html",
        context! {
            title => "Audit Log",
            entries => rows,
            values => values,
            errors => errors,
            filtered => !filters_qs.is_empty(),
            filters_qs => filters_qs,
            continued => q.cursor.as_deref().is_some_and(|c| !c.trim().is_empty()),
            load_more => load_more,
            exports => exports,
            people => people,
            tokens => tokens,
            action_groups => super::catalogue::groups(),
            target_types => super::catalogue::target_types(),
            timezone => ctx.workspace.timezone.clone(),
        },
    )
    .await
}

pub async fn audit_entry_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<AuditPageQuery>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let found = query::find(&state.db, &ctx.workspace.id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("That audit log entry"))?;
    let tz = ctx.workspace.tz();
    let e = &found.entry;
    let back_qs = query_string(q.typed());
    crate::settings::render(
        &state,
        &page,
        StatusCode::OK,
        "audit-log",
        "audit/detail.html",
        context! {
            title => format!("{} · Audit Log", action_label(&e.action)),
            back => if back_qs.is_empty() { "/settings/audit-log".to_string() } else { format!("/settings/audit-log?{back_qs}") },
            entry => context! {
                id => e.id.clone(),
                action => e.action.clone(),
                action_label => action_label(&e.action),
                actor_type => e.actor_type.clone(),
                actor_type_label => view::actor_type_label(&e.actor_type),
                actor_id => e.actor_id.clone(),
                actor_name => e.actor_name.clone(),
                target_type => e.target_type.clone(),
                target_label => target_label(&e.target_type),
                target_id => e.target_id.clone(),
                target_name => e.target_name.clone(),
                time => view::stamp(e.created_at, tz),
                ip => e.ip.clone(),
                user_agent => e.user_agent.clone(),
                seq => found.seq,
                hash => found.hash.clone(),
            },
            diff => view::diff(e),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn date_range_is_whole_local_days() {
        let q = AuditPageQuery { from: Some("2026-11-28".into()), to: Some("2026-11-28".into()), ..Default::default() };
        let f = q.filter(chrono_tz::Europe::Paris).expect("valid");
        assert_eq!(f.from, Utc.with_ymd_and_hms(2026, 11, 27, 23, 0, 0).single());
        assert_eq!(f.to, Utc.with_ymd_and_hms(2026, 11, 28, 23, 0, 0).single());
    }

    #[test]
    fn bad_dates_and_backwards_ranges_name_their_field() {
        let q = AuditPageQuery { from: Some("28/11/2026".into()), ..Default::default() };
        assert!(q.filter(chrono_tz::UTC).expect_err("invalid").contains_key("from"));
        let q = AuditPageQuery { from: Some("2026-11-28".into()), to: Some("2026-11-01".into()), ..Default::default() };
        assert!(q.filter(chrono_tz::UTC).expect_err("backwards").contains_key("to"));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_one() {
        // Santiago moved clocks from 00:00 to 01:00 on 2026-09-06.
        let start = start_of_day(NaiveDate::from_ymd_opt(2026, 9, 6).expect("date"), chrono_tz::America::Santiago);
        assert_eq!(start.with_timezone(&chrono_tz::America::Santiago).format("%H:%M").to_string(), "01:00");
    }

    #[test]
    fn export_links_carry_the_filter_in_utc() {
        let q =
            AuditPageQuery { action: Some("member.*".into()), from: Some("2026-11-28".into()), ..Default::default() };
        let url = export_url(&q.filter(chrono_tz::Asia::Tokyo).expect("valid"), "csv");
        assert_eq!(url, "/api/v1/audit-log/export?format=csv&action=member.*&from=2026-11-27T15%3A00%3A00.000000Z");
    }
}
