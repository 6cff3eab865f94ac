//! Which agents a number serves, and its details: the one place the
//! number's page, the agent's page and the API call to change them.
//!
//! - [`assign`]: a number's agent per role (Members and Admins). The agents
//!   must be this workspace's, the number live (`PENDING`, `ACTIVE` or
//!   `PAST_DUE`: a pending number is paid for and gets its calls once the
//!   carrier completes the order; a past-due one still serves until its
//!   grace ends), and SMS only on an SMS-capable number. "An agent has at
//!   most one number per role" is the database's (one unique index per
//!   role column): its violation becomes an error naming the agent and the
//!   number that already serves it.
//! - [`assign_agent`]: the same seen from an agent (the agent's page): the
//!   number of each role moves to the one chosen, the old one is unassigned.
//! - [`update_details`]: the friendly name and the outbound toggle (Admins).
//!
//! Each changed number gets its audit entry in the same transaction:
//! `phone_number.assignment_changed` (published as a webhook event) with the
//! roles before and after, `phone_number.updated` for a new name. Nothing
//! changed, no entry.
use chrono::{DateTime, SubsecRound, Utc};
use switchboard_core::{AgentId, PhoneNumberId, WorkspaceId};
use switchboard_db::{Tx, is_unique_violation};

use super::model::{PhoneNumber, Role};
use super::store;
use crate::agents::store as agents;
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// The longest friendly name, in characters.
pub const MAX_FRIENDLY_NAME_CHARS: usize = 64;

pub fn not_found() -> AppError {
    AppError::not_found("The phone number")
}

/// The number ID in a path; anything that is not one is simply not found.
pub fn parse_id(raw: &str) -> AppResult<PhoneNumberId> {
    raw.parse().map_err(|_| not_found())
}

/// The request field naming a role's agent (`inbound_agent_id`, …).
pub fn field(role: Role) -> &'static str {
    role.column()
}

/// The agent of each role (`None`: nobody).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub inbound: Option<AgentId>,
    pub outbound: Option<AgentId>,
    pub sms: Option<AgentId>,
}

impl Assignment {
    pub fn of(number: &PhoneNumber) -> Assignment {
        Assignment {
            inbound: number.inbound_agent_id.clone(),
            outbound: number.outbound_agent_id.clone(),
            sms: number.sms_agent_id.clone(),
        }
    }

    pub fn get(&self, role: Role) -> Option<&AgentId> {
        match role {
            Role::Inbound => self.inbound.as_ref(),
            Role::Outbound => self.outbound.as_ref(),
            Role::Sms => self.sms.as_ref(),
        }
    }

    /// From raw IDs as a form or request sends them (blank: nobody); a
    /// malformed ID is a message by its field.
    pub fn parse(raw: [Option<&str>; 3]) -> AppResult<Assignment> {
        let mut errors = Vec::new();
        let mut ids: Vec<Option<AgentId>> = Vec::new();
        for (role, raw) in Role::ALL.into_iter().zip(raw) {
            match raw.map(str::trim).filter(|s| !s.is_empty()) {
                None => ids.push(None),
                Some(s) => match s.parse::<AgentId>() {
                    Ok(id) => ids.push(Some(id)),
                    Err(_) => {
                        errors.push(FieldError::new(field(role), format!("“{s}” is not an agent ID (agt_…).")));
                        ids.push(None);
                    }
                },
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let mut ids = ids.into_iter();
        Ok(Assignment { inbound: ids.next().flatten(), outbound: ids.next().flatten(), sms: ids.next().flatten() })
    }
}

fn target(number: &PhoneNumber) -> Target {
    Target::new("phone_number", &number.id, number.display())
}

/// The roles (and the outbound toggle) that differ between two states of a number.
fn assignment_changes(before: &PhoneNumber, after: &PhoneNumber) -> Changes {
    let mut changes = Changes::new();
    for role in Role::ALL {
        changes = changes.field(field(role), before.agent(role), after.agent(role));
    }
    changes.field("allow_outbound", before.allow_outbound, after.allow_outbound)
}

/// Why setting a role failed: the database's word that the agent has a
/// number in that role already, or anything else.
enum SetError {
    Taken { role: Role, agent: AgentId },
    Other(AppError),
}

impl<E: Into<AppError>> From<E> for SetError {
    fn from(err: E) -> Self {
        SetError::Other(err.into())
    }
}

/// Sets `role` of `number` to `agent` in `tx`.
async fn set_role(
    tx: &mut Tx,
    ws: &WorkspaceId,
    number: &PhoneNumberId,
    role: Role,
    agent: Option<&AgentId>,
    now: DateTime<Utc>,
) -> Result<(), SetError> {
    match store::set_agent(tx, ws, number, role, agent, now).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            let agent = agent.cloned().ok_or_else(|| SetError::Other(AppError::from(e)))?;
            Err(SetError::Taken { role, agent })
        }
        Err(e) => Err(SetError::Other(e.into())),
    }
}

/// The error for an agent that has a number in `role` already, named.
/// Runs after the failed transaction is gone (PostgreSQL refuses every
/// statement of a transaction after a violation).
async fn taken(state: &AppState, ws: &WorkspaceId, role: Role, agent: &AgentId) -> AppError {
    let names = agents::names(&state.db, ws, &[agent.as_str()]).await.unwrap_or_default();
    let name = names.get(agent.as_str()).cloned().unwrap_or_else(|| agent.to_string());
    let serving = store::serving(&state.db, ws, agent, role).await.ok().flatten();
    let number = serving.map(|n| n.display()).unwrap_or_else(|| "another number".to_string());
    let message = format!(
        "{name} already has {number} for {}; an agent has one number per role. Unassign it there first.",
        role.label().to_lowercase()
    );
    AppError::Client(Problem {
        status: axum::http::StatusCode::CONFLICT,
        code: "agent_has_number",
        detail: message.clone(),
        fields: vec![FieldError::new(field(role), message)],
        retry_after_secs: None,
    })
}

async fn fail(state: &AppState, ws: &WorkspaceId, tx: Tx, err: SetError) -> AppError {
    drop(tx);
    match err {
        SetError::Taken { role, agent } => taken(state, ws, role, &agent).await,
        SetError::Other(e) => e,
    }
}

/// Refuses agents that are not the workspace's, each by its field.
async fn check_agents(tx: &mut Tx, ws: &WorkspaceId, wanted: &Assignment) -> AppResult<()> {
    let ids: Vec<&str> = Role::ALL.into_iter().filter_map(|r| wanted.get(r)).map(AgentId::as_str).collect();
    let known = agents::names(&mut *tx, ws, &ids).await?;
    let errors: Vec<FieldError> = Role::ALL
        .into_iter()
        .filter_map(|r| wanted.get(r).filter(|a| !known.contains_key(a.as_str())).map(|a| (r, a)))
        .map(|(r, a)| FieldError::new(field(r), format!("There is no agent {a} in this workspace.")))
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(AppError::validation(errors)) }
}

/// Whether `number` may take `agent` in `role` (clearing is always allowed).
fn check_number(number: &PhoneNumber, role: Role, agent: Option<&AgentId>) -> AppResult<()> {
    if agent.is_none() || number.agent(role) == agent {
        return Ok(());
    }
    if !number.status.is_live() {
        return Err(AppError::conflict(
            "number_not_live",
            format!(
                "{} is {}: only active, pending or past-due numbers can serve agents.",
                number.display(),
                number.status.label().to_lowercase()
            ),
        ));
    }
    if role == Role::Sms && !number.capabilities.sms {
        return Err(AppError::field(
            field(role),
            format!("{} cannot send or receive SMS; choose an SMS-capable number.", number.display()),
        ));
    }
    Ok(())
}

/// Sets the agent of each role of the number (Members and Admins). Returns
/// the number as it is now.
pub async fn assign(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &PhoneNumberId,
    wanted: &Assignment,
) -> AppResult<PhoneNumber> {
    ctx.require(Permission::EditResources)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let before = store::find_for_update(&mut tx, ws, id).await?.ok_or_else(not_found)?;
    check_agents(&mut tx, ws, wanted).await?;
    for role in Role::ALL {
        check_number(&before, role, wanted.get(role))?;
    }
    // Clear first, then set: two roles of this number trading agents never
    // meet themselves in the index.
    for role in Role::ALL.into_iter().filter(|r| before.agent(*r) != wanted.get(*r)) {
        if let Err(e) = set_role(&mut tx, ws, id, role, None, now).await {
            return Err(fail(state, ws, tx, e).await);
        }
    }
    for role in Role::ALL.into_iter().filter(|r| before.agent(*r) != wanted.get(*r)) {
        if let Some(agent) = wanted.get(role)
            && let Err(e) = set_role(&mut tx, ws, id, role, Some(agent), now).await
        {
            return Err(fail(state, ws, tx, e).await);
        }
    }
    let after = store::find(&mut tx, ws, id).await?.ok_or_else(not_found)?;
    let changes = assignment_changes(&before, &after);
    if !changes.is_empty() {
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::ASSIGNMENT_CHANGED, &target(&after), &changes, now)
            .await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Seen from the agent (its page): for each `(role, number)`, the agent's
/// number in that role becomes `number` (`None`: none); the number it had
/// there is unassigned, and an agent the chosen number served in that
/// role is replaced. Members and Admins.
pub async fn assign_agent(
    state: &AppState,
    ctx: &WorkspaceCtx,
    agent: &AgentId,
    wanted: &[(Role, Option<PhoneNumberId>)],
) -> AppResult<Vec<PhoneNumber>> {
    ctx.require(Permission::EditResources)?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    if !agents::exists(&mut tx, ws, agent).await? {
        return Err(AppError::not_found("The agent"));
    }
    // Each number touched, as it was before the first change.
    let mut touched: Vec<PhoneNumber> = Vec::new();
    for (role, number) in wanted {
        let current = store::serving(&mut tx, ws, agent, *role).await?;
        if current.as_ref().map(|n| &n.id) == number.as_ref() {
            continue;
        }
        let chosen = match number {
            Some(id) => {
                let n = store::find_for_update(&mut tx, ws, id).await?.ok_or_else(|| {
                    AppError::field(field(*role), "That phone number is not one of this workspace's.")
                })?;
                check_number(&n, *role, Some(agent))?;
                Some(n)
            }
            None => None,
        };
        for n in current.iter().chain(chosen.iter()) {
            if !touched.iter().any(|t| t.id == n.id) {
                touched.push(n.clone());
            }
        }
        if let Some(old) = &current
            && let Err(e) = set_role(&mut tx, ws, &old.id, *role, None, now).await
        {
            return Err(fail(state, ws, tx, e).await);
        }
        if let Some(new) = &chosen
            && let Err(e) = set_role(&mut tx, ws, &new.id, *role, Some(agent), now).await
        {
            return Err(fail(state, ws, tx, e).await);
        }
    }
    let mut changed = Vec::new();
    for before in &touched {
        let after = store::find(&mut tx, ws, &before.id).await?.ok_or_else(not_found)?;
        let changes = assignment_changes(before, &after);
        if !changes.is_empty() {
            let origin = Origin::from_ctx(ctx);
            audit::record(&mut tx, &origin, &super::ASSIGNMENT_CHANGED, &target(&after), &changes, now).await?;
            changed.push(after);
        }
    }
    tx.commit().await?;
    Ok(changed)
}

/// A friendly name as typed: trimmed, 1 to [`MAX_FRIENDLY_NAME_CHARS`]
/// characters, no control characters.
pub fn parse_friendly_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::field("friendly_name", "Enter a friendly name, e.g. Main line."));
    }
    if name.chars().count() > MAX_FRIENDLY_NAME_CHARS {
        return Err(AppError::field(
            "friendly_name",
            format!("A friendly name has at most {MAX_FRIENDLY_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::field("friendly_name", "A friendly name cannot contain control characters."));
    }
    Ok(name.to_string())
}

/// What [`update_details`] changes; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub friendly_name: Option<String>,
    pub allow_outbound: Option<bool>,
}

/// Renames the number and sets its outbound toggle (Admins). A new name
/// is audited as `phone_number.updated`, the toggle as
/// `phone_number.assignment_changed`.
pub async fn update_details(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &PhoneNumberId,
    details: &Details,
) -> AppResult<PhoneNumber> {
    ctx.require(Permission::ManageSettings)?;
    let name = details.friendly_name.as_deref().map(parse_friendly_name).transpose()?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let before = store::find_for_update(&mut tx, ws, id).await?.ok_or_else(not_found)?;
    let name = name.unwrap_or_else(|| before.friendly_name.clone());
    let allow_outbound = details.allow_outbound.unwrap_or(before.allow_outbound);
    if name == before.friendly_name && allow_outbound == before.allow_outbound {
        tx.commit().await?;
        return Ok(before);
    }
    store::update_details(&mut tx, ws, id, &name, allow_outbound, now).await?;
    let after = store::find(&mut tx, ws, id).await?.ok_or_else(not_found)?;
    let origin = Origin::from_ctx(ctx);
    let renamed = Changes::new().field("friendly_name", &before.friendly_name, &after.friendly_name);
    if !renamed.is_empty() {
        audit::record(&mut tx, &origin, &super::UPDATED, &target(&after), &renamed, now).await?;
    }
    let toggled = Changes::new().field("allow_outbound", before.allow_outbound, after.allow_outbound);
    if !toggled.is_empty() {
        audit::record(&mut tx, &origin, &super::ASSIGNMENT_CHANGED, &target(&after), &toggled, now).await?;
    }
    tx.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friendly_names_are_trimmed_and_bounded() {
        assert_eq!(parse_friendly_name("  Main line ").ok().as_deref(), Some("Main line"));
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(MAX_FRIENDLY_NAME_CHARS + 1)] {
            let err = parse_friendly_name(bad).expect_err(bad);
            assert!(err.field_message("friendly_name").is_some(), "{bad:?}");
        }
    }

    #[test]
    fn raw_assignments_parse_with_errors_by_field() {
        let id = AgentId::new();
        let a = Assignment::parse([Some(id.as_str()), Some(" "), None]).expect("parses");
        assert_eq!(a, Assignment { inbound: Some(id), outbound: None, sms: None });
        let err = Assignment::parse([None, Some("nope"), Some("agt_bad")]).expect_err("malformed");
        let fields = err.field_messages().expect("fields");
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["outbound_agent_id", "sms_agent_id"]);
    }
}
