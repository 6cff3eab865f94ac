//! Audit actions are typed values: [`Action`] carries its name, its label,
//! the filter group the Audit Log page offers it in, and the webhook event
//! it publishes, if any. `audit::record` takes only an `&Action`, so an
//! action without its label or event does not compile. Each feature
//! declares its actions and lists them in its registration; [`install`]
//! gathers them into the catalogue the page's filters show.
use std::sync::OnceLock;

use serde::Serialize;

use crate::events::EventType;

/// A group of actions: the page offers "All <title>" (`filter`) and each
/// action on its own.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct ActionGroup {
    pub title: &'static str,
    /// The filter value meaning the whole group: a `prefix.*` group, or the
    /// one action when the group has no prefix of its own.
    pub filter: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct Action {
    /// `resource.verb`, as stored and as the API shows it.
    pub name: &'static str,
    pub label: &'static str,
    pub group: &'static ActionGroup,
    /// The webhook event an entry of this action publishes (besides
    /// `audit.entry_created`, which every entry publishes).
    pub event: Option<&'static EventType>,
}

impl Action {
    /// An action that publishes no event of its own.
    pub const fn new(name: &'static str, label: &'static str, group: &'static ActionGroup) -> Self {
        Action { name, label, group, event: None }
    }

    /// An action whose entries publish `event`.
    pub const fn publishing(
        name: &'static str,
        label: &'static str,
        group: &'static ActionGroup,
        event: &'static EventType,
    ) -> Self {
        Action { name, label, group, event: Some(event) }
    }
}

/// A kind of thing changed: `(target_type, label)`.
pub type TargetType = (&'static str, &'static str);

pub const ACCESS: ActionGroup = ActionGroup { title: "Access", filter: "access.*" };
pub const AUDIT_LOG: ActionGroup = ActionGroup { title: "Audit log", filter: "audit_log.*" };
pub const ACCESS_DENIED: Action = Action::new("access.denied", "Access denied", &ACCESS);
pub const RETENTION_APPLIED: Action = Action::new("audit_log.retention_applied", "Retention applied", &AUDIT_LOG);

/// The platform's own actions and target types; features add theirs.
pub const PLATFORM_ACTIONS: &[&Action] = &[&ACCESS_DENIED, &RETENTION_APPLIED];
pub const PLATFORM_TARGETS: &[TargetType] = &[("user", "User"), ("route", "Route"), ("audit_log", "Audit log")];

/// One group as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub title: &'static str,
    pub filter: &'static str,
    /// `(action, label)`.
    pub actions: Vec<(&'static str, &'static str)>,
}

struct Catalogue {
    actions: Vec<&'static Action>,
    groups: Vec<GroupView>,
    targets: Vec<TargetType>,
}

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

/// Gathers the features' actions and target types, then the platform's
/// (the feature registration calls it when the app is built; later calls
/// keep the first).
pub fn install(feature_actions: &[&'static Action], feature_targets: &[TargetType]) {
    let _ = CATALOGUE.get_or_init(|| build(feature_actions, feature_targets));
}

fn build(feature_actions: &[&'static Action], feature_targets: &[TargetType]) -> Catalogue {
    let mut actions: Vec<&'static Action> = Vec::new();
    let mut groups: Vec<GroupView> = Vec::new();
    for action in feature_actions.iter().chain(PLATFORM_ACTIONS) {
        if actions.iter().any(|a| a.name == action.name) {
            continue;
        }
        actions.push(action);
        match groups.iter_mut().find(|g| g.filter == action.group.filter) {
            Some(group) => group.actions.push((action.name, action.label)),
            None => groups.push(GroupView {
                title: action.group.title,
                filter: action.group.filter,
                actions: vec![(action.name, action.label)],
            }),
        }
    }
    let mut targets: Vec<TargetType> = Vec::new();
    for target in feature_targets.iter().chain(PLATFORM_TARGETS) {
        if !targets.iter().any(|(k, _)| *k == target.0) {
            targets.push(*target);
        }
    }
    Catalogue { actions, groups, targets }
}

fn catalogue() -> &'static Catalogue {
    CATALOGUE.get_or_init(|| build(&[], &[]))
}

/// Every catalogued action.
pub fn actions() -> &'static [&'static Action] {
    &catalogue().actions
}

pub fn groups() -> &'static [GroupView] {
    &catalogue().groups
}

pub fn target_types() -> &'static [TargetType] {
    &catalogue().targets
}

/// The label of an action, or the action itself when not catalogued
/// (entries outlive the code that wrote them).
pub fn action_label(action: &str) -> &str {
    actions().iter().find(|a| a.name == action).map_or(action, |a| a.label)
}

pub fn target_label(kind: &str) -> &str {
    target_types().iter().find(|(k, _)| *k == kind).map_or(kind, |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THINGS: ActionGroup = ActionGroup { title: "Things", filter: "thing.*" };
    const THING_MADE: Action = Action::new("thing.made", "Thing made", &THINGS);

    #[test]
    fn groups_gather_their_actions_once() {
        let catalogue = build(&[&THING_MADE, &THING_MADE, &ACCESS_DENIED], &[("thing", "Thing")]);
        assert_eq!(catalogue.actions.len(), 3);
        assert_eq!(catalogue.groups[0].title, "Things");
        assert_eq!(catalogue.groups[0].actions, vec![("thing.made", "Thing made")]);
        assert!(catalogue.targets.contains(&("thing", "Thing")));
        assert_eq!(action_label("something.new"), "something.new");
    }
}
