//! The phone numbers assigned to agents, as the Agents pages and API show
//! them. There is no phone numbers table yet: issue 15 adds numbers and
//! their assignment to agents and wires these two functions to it. Until
//! then every agent has none, and the pages say so ("No phone numbers
//! assigned"); nothing here invents numbers.
use std::collections::HashMap;

use switchboard_core::{AgentId, WorkspaceId};
use switchboard_db::IntoExec;

/// A number assigned to an agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssignedNumber {
    /// E.164, e.g. `+14155550100`.
    pub e164: String,
    /// Grouped for people, e.g. `+1 415 555 0100`.
    pub display: String,
}

/// The numbers assigned to `agent` (unassigned when it is deleted).
pub async fn assigned_numbers<'a>(
    _ex: impl IntoExec<'a>,
    _workspace_id: &WorkspaceId,
    _agent: &AgentId,
) -> Result<Vec<AssignedNumber>, sqlx::Error> {
    // Issue 15: SELECT the workspace's numbers whose agent is `agent`.
    Ok(Vec::new())
}

/// The numbers of each of `agents`, for a list (one query once wired).
pub async fn assigned_numbers_of<'a>(
    _ex: impl IntoExec<'a>,
    _workspace_id: &WorkspaceId,
    _agents: &[&AgentId],
) -> Result<HashMap<AgentId, Vec<AssignedNumber>>, sqlx::Error> {
    // Issue 15: one query over the workspace's numbers with an agent in `agents`.
    Ok(HashMap::new())
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
        AssignedNumber { e164: display.replace(' ', ""), display: display.into() }
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
