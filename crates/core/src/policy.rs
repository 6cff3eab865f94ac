//! The one table from role to permission. Pages, the API and the CLI all ask
//! [`Role::can`]; nothing else decides who may do what.
use std::fmt;
use std::str::FromStr;

/// A member's role in a workspace, ordered from least to most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Admin,
}

/// Everything a request may need permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the workspace and its resources.
    ViewWorkspace,
    /// Change day-to-day resources (agents, number assignment, contacts).
    EditResources,
    /// Open any Settings page or call any settings API.
    ManageSettings,
    /// Invite, change roles, remove members.
    ManageMembers,
    /// Delete the workspace.
    DeleteWorkspace,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Member, Role::Viewer];

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ViewWorkspace => true,
            EditResources => self >= Role::Member,
            ManageSettings | ManageMembers | DeleteWorkspace => self == Role::Admin,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// The word shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Viewer => "Viewer",
        }
    }
}

impl Permission {
    /// The stable snake_case name, as audit entries record it.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewWorkspace => "view_workspace",
            Permission::EditResources => "edit_resources",
            Permission::ManageSettings => "manage_settings",
            Permission::ManageMembers => "manage_members",
            Permission::DeleteWorkspace => "delete_workspace",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role must be one of admin, member or viewer")]
pub struct RoleParseError;

impl FromStr for Role {
    type Err = RoleParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "viewer" => Ok(Role::Viewer),
            _ => Err(RoleParseError),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = RoleParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_settings() {
        assert!(Role::Admin.can(Permission::ManageSettings));
        assert!(!Role::Member.can(Permission::ManageSettings));
        assert!(!Role::Viewer.can(Permission::ManageSettings));
    }

    #[test]
    fn viewers_are_read_only() {
        assert!(Role::Viewer.can(Permission::ViewWorkspace));
        assert!(!Role::Viewer.can(Permission::EditResources));
        assert!(Role::Member.can(Permission::EditResources));
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert_eq!(" viewer ".parse::<Role>(), Ok(Role::Viewer));
        assert!("owner".parse::<Role>().is_err());
    }
}
