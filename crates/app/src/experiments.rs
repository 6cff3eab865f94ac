//! Experimental features: the catalogue, and the one question code asks
//! about them: [`is_enabled`]. A feature is added here, with its default;
//! Admins switch it per workspace on Settings → Developer.
use crate::tenancy::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Feature {
    /// Stable identifier, used in the API and stored per workspace.
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Whether the feature is on in workspaces that never chose.
    pub default: bool,
}

/// Denser tables: smaller row padding and type in every table of the app.
pub const COMPACT_TABLES: Feature = Feature {
    key: "compact_tables",
    name: "Compact tables",
    description: "Denser rows in every table (members, invitations, API tokens), to see more at once. \
                  Applies to everyone in this workspace.",
    default: false,
};

/// Every experimental feature, in the order the page lists them.
pub const CATALOGUE: &[Feature] = &[COMPACT_TABLES];

pub fn find(key: &str) -> Option<&'static Feature> {
    CATALOGUE.iter().find(|f| f.key == key)
}

/// Whether `feature` is on in `workspace`: its choice, else the default.
pub fn is_enabled(workspace: &Workspace, feature: &Feature) -> bool {
    workspace.experimental_features.get(feature.key).copied().unwrap_or(feature.default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_snake_case() {
        for (i, f) in CATALOGUE.iter().enumerate() {
            assert!(f.key.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{}", f.key);
            assert!(CATALOGUE[i + 1..].iter().all(|g| g.key != f.key), "duplicate {}", f.key);
            assert_eq!(find(f.key), Some(f));
        }
        assert_eq!(find("warp_drive"), None);
    }
}
