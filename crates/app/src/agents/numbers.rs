//! The phone numbers assigned to agents, as the Agents pages and API show
//! them: read through `phone_numbers::store`, the one owner of that table.
use std::collections::HashMap;

use switchboard_core::{AgentId, WorkspaceId};
use switchboard_db::IntoExec;

use crate::phone_numbers::model::{PhoneNumber, Role};
use crate::phone_numbers::store;

/// A number assigned to an agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssignedNumber {
    /// E.164, e.g. `+14155550100`.
    pub e164: String,
    /// Grouped for people, e.g. `+1 415 555 0100`.
    pub display: String,
    /// What it does for the agent: `inbound`, `outbound`, `sms`.
    pub roles: Vec<&'static str>,
}

fn assigned(number: &PhoneNumber, agent: &AgentId) -> AssignedNumber {
    let roles = Role::ALL.into_iter().filter(|r| number.agent(*r) == Some(agent)).map(Role::as_str).collect();
    AssignedNumber { e164: number.e164.clone(), display: number.display(), roles }
}

/// The numbers assigned to `agent` (unassigned when it is deleted).
pub async fn assigned_numbers<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    agent: &AgentId,
) -> Result<Vec<AssignedNumber>, sqlx::Error> {
    let mut by_agent = assigned_numbers_of(ex, workspace_id, &[agent]).await?;
    Ok(by_agent.remove(agent).unwrap_or_default())
}

/// The numbers of each of `agents`, for a list (one query).
pub async fn assigned_numbers_of<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    agents: &[&AgentId],
) -> Result<HashMap<AgentId, Vec<AssignedNumber>>, sqlx::Error> {
    let numbers = store::serving_agents(ex, workspace_id, agents).await?;
    Ok(numbers
        .into_iter()
        .map(|(agent, numbers)| {
            let list = numbers.iter().map(|n| assigned(n, &agent)).collect();
            (agent, list)
        })
        .collect())
}

/// A live number of the workspace as the agent's page offers it, with the
/// roles it serves this agent in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NumberChoice {
    pub id: String,
    pub display: String,
    pub friendly_name: String,
    pub sms: bool,
    /// The roles (`inbound`, `outbound`, `sms`) it serves the agent in.
    pub roles: Vec<&'static str>,
}

/// How many numbers the agent's page offers (a larger workspace assigns
/// from the number's page or the API).
const CHOICES: i64 = 500;

/// The workspace's live numbers, for the agent's page's selects.
pub async fn number_choices<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    agent: &AgentId,
) -> Result<Vec<NumberChoice>, sqlx::Error> {
    let filter = store::ListFilter { hide_ended: true, ..Default::default() };
    let numbers = store::list(ex, workspace_id, &filter, None, CHOICES).await?;
    let mut choices: Vec<NumberChoice> = numbers
        .into_iter()
        .filter(|n| n.status.is_live())
        .map(|n| NumberChoice {
            id: n.id.to_string(),
            display: n.display(),
            roles: Role::ALL.into_iter().filter(|r| n.agent(*r) == Some(agent)).map(Role::as_str).collect(),
            sms: n.capabilities.sms,
            friendly_name: n.friendly_name,
        })
        .collect();
    choices.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(choices)
}

/// What the delete confirmation says about the agent's numbers.
pub fn unassign_sentence(numbers: &[AssignedNumber]) -> String {
    match numbers {
        [] => "No phone numbers are assigned to it, so none get unassigned.".to_string(),
        [one] => format!("Its phone number {} gets unassigned.", one.display),
        many => {
            let list: Vec<&str> = many.iter().map(|n| n.display.as_str()).collect();
            format!("Its phone numbers {} get unassigned.", list.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(display: &str) -> AssignedNumber {
        AssignedNumber { e164: display.replace(' ', ""), display: display.into(), roles: vec!["inbound"] }
    }

    #[test]
    fn the_confirmation_names_each_number_that_gets_unassigned() {
        assert!(unassign_sentence(&[]).contains("none get unassigned"));
        assert_eq!(
            unassign_sentence(&[number("+1 415 555 0100")]),
            "Its phone number +1 415 555 0100 gets unassigned."
        );
        let two = unassign_sentence(&[number("+1 415 555 0100"), number("+44 20 7946 0000")]);
        assert_eq!(two, "Its phone numbers +1 415 555 0100, +44 20 7946 0000 get unassigned.");
    }
}
