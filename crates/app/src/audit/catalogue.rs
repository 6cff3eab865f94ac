//! Every action and target type the audit log records, grouped as the
//! Audit Log page's filters offer them. A new `audit::record` call with a
//! new action adds it here, so the page can offer it.

/// A group of actions: the page offers "All <title>" (`filter`) and each
/// action on its own.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ActionGroup {
    pub title: &'static str,
    /// The filter value meaning the whole group: a `prefix.*` group, or the
    /// one action when the group has no prefix of its own.
    pub filter: &'static str,
    /// `(action, label)`.
    pub actions: &'static [(&'static str, &'static str)],
}

pub const ACTION_GROUPS: &[ActionGroup] = &[
    ActionGroup {
        title: "Workspace",
        filter: "workspace.*",
        actions: &[
            ("workspace.created", "Workspace created"),
            ("workspace.updated", "Workspace updated"),
            ("workspace.logo_updated", "Logo updated"),
            ("workspace.logo_removed", "Logo removed"),
            ("workspace.deleted", "Workspace deleted"),
        ],
    },
    ActionGroup {
        title: "Members",
        filter: "member.*",
        actions: &[
            ("member.invited", "Member invited"),
            ("member.joined", "Member joined"),
            ("member.added", "Member added"),
            ("member.role_changed", "Role changed"),
            ("member.removed", "Member removed"),
            ("member.left", "Member left"),
            ("member.signed_in", "Signed in"),
        ],
    },
    ActionGroup {
        title: "Invitations",
        filter: "invitation.*",
        actions: &[("invitation.resent", "Invitation resent"), ("invitation.revoked", "Invitation revoked")],
    },
    ActionGroup {
        title: "API tokens",
        filter: "api_token.*",
        actions: &[("api_token.created", "Token created"), ("api_token.revoked", "Token revoked")],
    },
    ActionGroup {
        title: "Experimental features",
        filter: "experimental_feature.*",
        actions: &[("experimental_feature.updated", "Feature switched")],
    },
    ActionGroup {
        title: "Webhooks",
        filter: "webhook_endpoint.*",
        actions: &[
            ("webhook_endpoint.created", "Endpoint added"),
            ("webhook_endpoint.updated", "Endpoint changed"),
            ("webhook_endpoint.deleted", "Endpoint deleted"),
            ("webhook_endpoint.disabled", "Endpoint disabled automatically"),
            ("webhook_endpoint.secret_viewed", "Secret viewed"),
            ("webhook_endpoint.secret_rotated", "Secret rotated"),
            ("webhook_endpoint.test_sent", "Test event sent"),
            ("webhook_endpoint.delivery_resent", "Delivery resent"),
            ("webhook_endpoint.recovered", "Failed messages recovered"),
        ],
    },
    ActionGroup { title: "Access", filter: "access.*", actions: &[("access.denied", "Access denied")] },
    ActionGroup {
        title: "Audit log",
        filter: "audit_log.*",
        actions: &[("audit_log.retention_applied", "Retention applied")],
    },
];

/// `(target_type, label)`.
pub const TARGET_TYPES: &[(&str, &str)] = &[
    ("workspace", "Workspace"),
    ("member", "Member"),
    ("invitation", "Invitation"),
    ("api_token", "API token"),
    ("experimental_feature", "Experimental feature"),
    ("user", "User"),
    ("webhook_endpoint", "Webhook endpoint"),
    ("route", "Route"),
    ("audit_log", "Audit log"),
];

/// The label of an action, or the action itself when not catalogued.
pub fn action_label(action: &str) -> &str {
    ACTION_GROUPS.iter().flat_map(|g| g.actions.iter()).find(|(a, _)| *a == action).map_or(action, |(_, label)| label)
}

pub fn target_label(kind: &str) -> &str {
    TARGET_TYPES.iter().find(|(k, _)| *k == kind).map_or(kind, |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_its_group_once() {
        let mut seen = std::collections::BTreeSet::new();
        for group in ACTION_GROUPS {
            for (action, _) in group.actions {
                assert!(seen.insert(*action), "{action} twice");
                let prefix = group.filter.strip_suffix(".*");
                assert!(
                    prefix.is_none_or(|p| action.starts_with(&format!("{p}."))),
                    "{action} outside {}",
                    group.title
                );
            }
        }
        assert_eq!(action_label("workspace.updated"), "Workspace updated");
        assert_eq!(action_label("something.new"), "something.new");
    }
}
