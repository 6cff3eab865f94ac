//! The plan's limits, enforced where they bite: inviting past the member
//! limit (members plus open invitations), buying past the phone-number
//! limit and cloning past the custom-voice limit (for the numbers and
//! voices features), and the API rate of the workspace's tokens. A refusal
//! is a 403 `plan_limit` naming the plan and the way up.
//!
//! The API rate is read on every token request, so it comes from a small
//! per-process cache (30 s); a plan change in this process forgets the
//! workspace's entry at once, other processes see it within the TTL.
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use switchboard_core::WorkspaceId;
use switchboard_db::Tx;

use super::plans::{Catalogue, Limits, Plan};
use super::store;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The problem code of a refusal.
pub const PLAN_LIMIT: &str = "plan_limit";

/// How long a workspace's API rate is trusted without reading it again.
const RATE_TTL: Duration = Duration::from_secs(30);

/// The workspace's current plan, read in `tx` (the trial plan for a
/// workspace that has no subscription yet: it starts one when first read).
pub async fn plan_of<'c>(catalogue: &'c Catalogue, tx: &mut Tx, ws: &WorkspaceId) -> AppResult<&'c Plan> {
    Ok(match store::find(&mut *tx, ws).await? {
        Some(row) => catalogue.resolve(&row.plan_key),
        None => catalogue.trial(),
    })
}

/// The refusal when `current` already reaches `plan`'s limit (picked by
/// `limit` from a plan's limits); `what` names the thing counted, plural.
pub fn check(
    catalogue: &Catalogue,
    plan: &Plan,
    current: i64,
    what: &str,
    limit: fn(&Limits) -> Option<u32>,
) -> AppResult<()> {
    let Some(max) = limit(&plan.limits) else { return Ok(()) };
    if current < i64::from(max) {
        return Ok(());
    }
    let allows = match max {
        0 => format!("The {} plan does not include {what}.", plan.name),
        n => format!("The {} plan allows {n} {what}.", plan.name),
    };
    let up = catalogue.all().iter().filter(|p| p.rank > plan.rank).find(|p| limit(&p.limits).is_none_or(|m| m > max));
    let way = match up {
        Some(p) => match limit(&p.limits) {
            Some(m) => format!(" Upgrade to {} for {m} in Settings → Subscription.", p.name),
            None => format!(" Upgrade to {} for unlimited {what} in Settings → Subscription.", p.name),
        },
        None => String::new(),
    };
    Err(AppError::forbidden_code(PLAN_LIMIT, format!("{allows}{way}")))
}

/// Refuses one more member when `current` (members plus open invitations)
/// reaches the plan's member limit.
pub async fn check_members(state: &AppState, tx: &mut Tx, ws: &WorkspaceId, current: i64) -> AppResult<()> {
    let catalogue = &state.config.billing.catalogue;
    let plan = plan_of(catalogue, tx, ws).await?;
    check(catalogue, plan, current, "members", |l| l.members)
}

/// Refuses one more phone number when the workspace has `current`.
pub async fn check_phone_numbers(state: &AppState, tx: &mut Tx, ws: &WorkspaceId, current: i64) -> AppResult<()> {
    let catalogue = &state.config.billing.catalogue;
    let plan = plan_of(catalogue, tx, ws).await?;
    check(catalogue, plan, current, "phone numbers", |l| l.phone_numbers)
}

/// Refuses one more custom voice when the workspace has `current`.
pub async fn check_custom_voices(state: &AppState, tx: &mut Tx, ws: &WorkspaceId, current: i64) -> AppResult<()> {
    let catalogue = &state.config.billing.catalogue;
    let plan = plan_of(catalogue, tx, ws).await?;
    check(catalogue, plan, current, "custom voices", |l| l.custom_voices)
}

type RateCache = Mutex<HashMap<WorkspaceId, (Instant, Option<u32>)>>;

fn rate_cache() -> &'static RateCache {
    static CACHE: OnceLock<RateCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Forgets the cached API rate of `ws` (after its plan changed).
pub fn forget(ws: &WorkspaceId) {
    rate_cache().lock().unwrap_or_else(|p| p.into_inner()).remove(ws);
}

/// The API requests per minute the workspace's plan allows (`None`: no
/// limit of the plan's own), cached.
pub async fn api_requests_per_minute(state: &AppState, ws: &WorkspaceId) -> Option<u32> {
    if let Some((at, rate)) = rate_cache().lock().unwrap_or_else(|p| p.into_inner()).get(ws).copied()
        && at.elapsed() < RATE_TTL
    {
        return rate;
    }
    let catalogue = &state.config.billing.catalogue;
    let rate = match store::find(&state.db, ws).await {
        Ok(Some(row)) => catalogue.resolve(&row.plan_key).limits.api_requests_per_minute,
        Ok(None) => catalogue.trial().limits.api_requests_per_minute,
        Err(err) => {
            tracing::warn!(error = %err, "plan rate unavailable; the configured API rate applies");
            return None;
        }
    };
    let mut cache = rate_cache().lock().unwrap_or_else(|p| p.into_inner());
    // Entries of other workspaces expire by being replaced; keep the map small.
    if cache.len() > 10_000 {
        cache.retain(|_, (at, _)| at.elapsed() < RATE_TTL);
    }
    cache.insert(ws.clone(), (Instant::now(), rate));
    rate
}

/// The feature's `api_rate` hook.
pub fn api_rate<'a>(state: &'a AppState, ws: &'a WorkspaceId) -> BoxFuture<'a, Option<u32>> {
    api_requests_per_minute(state, ws).boxed()
}

/// The feature's `audit_retention_days` hook: the plan's retention (read
/// once per workspace by the hourly retention run, so not cached).
pub fn audit_retention_days<'a>(state: &'a AppState, ws: &'a WorkspaceId) -> BoxFuture<'a, Option<u32>> {
    async move {
        let catalogue = &state.config.billing.catalogue;
        match store::find(&state.db, ws).await {
            Ok(Some(row)) => catalogue.resolve(&row.plan_key).limits.audit_retention_days,
            Ok(None) => catalogue.trial().limits.audit_retention_days,
            // Keep entries rather than cut by a guess.
            Err(err) => {
                tracing::warn!(error = %err, "plan retention unavailable; the configured retention applies");
                None
            }
        }
    }
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(plan: &str, current: i64, what: &str, limit: fn(&Limits) -> Option<u32>) -> Option<String> {
        let c = Catalogue::builtin();
        check(&c, c.resolve(plan), current, what, limit).err().map(|e| match e.problem() {
            Some(p) => format!("{} {}: {}", p.status.as_u16(), p.code, p.detail),
            None => format!("{e:?}"),
        })
    }

    #[test]
    fn limits_name_the_plan_and_the_way_up() {
        assert_eq!(refusal("free", 1, "members", |l| l.members), None);
        assert_eq!(
            refusal("free", 2, "members", |l| l.members).as_deref(),
            Some("403 plan_limit: The Free plan allows 2 members. Upgrade to Basic for 5 in Settings → Subscription.")
        );
        assert_eq!(
            refusal("pro", 20, "members", |l| l.members).as_deref(),
            Some(
                "403 plan_limit: The Pro plan allows 20 members. Upgrade to Business for unlimited members in \
                 Settings → Subscription."
            )
        );
        assert_eq!(refusal("business", 5_000, "members", |l| l.members), None);
    }

    #[test]
    fn phone_numbers_and_custom_voices_follow_the_plan() {
        assert_eq!(refusal("basic", 2, "phone numbers", |l| l.phone_numbers), None);
        assert_eq!(
            refusal("basic", 3, "phone numbers", |l| l.phone_numbers).as_deref(),
            Some(
                "403 plan_limit: The Basic plan allows 3 phone numbers. Upgrade to Pro for 10 in Settings → \
                 Subscription."
            )
        );
        assert_eq!(
            refusal("free", 0, "custom voices", |l| l.custom_voices).as_deref(),
            Some(
                "403 plan_limit: The Free plan does not include custom voices. Upgrade to Basic for 2 in Settings \
                 → Subscription."
            )
        );
        assert!(refusal("business", 50, "custom voices", |l| l.custom_voices).is_some_and(|m| !m.contains("Upgrade")));
    }
}
