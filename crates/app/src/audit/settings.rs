//! The audit log's settings: `--audit-retention`, its environment variable
//! and the TOML `[audit]` table (`retention`).
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::values::parse_duration;

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditArgs {
    /// How long audit entries are kept, e.g. `400d`; `forever` (the default)
    /// keeps them all. Older entries are removed as whole chain prefixes.
    #[arg(
        id = "audit_retention",
        value_name = "DURATION",
        long = "audit-retention",
        env = "SWITCHBOARD_AUDIT_RETENTION",
        global = true
    )]
    pub retention: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditSettings {
    /// Audit entries older than this are removed; `None` keeps them forever.
    pub retention: Option<Duration>,
}

impl AuditArgs {
    pub fn resolve(&self) -> anyhow::Result<AuditSettings> {
        let retention = match self.retention.as_deref().map(str::trim) {
            None | Some("forever") => None,
            Some(raw) => Some(parse_duration(raw).with_context(|| {
                format!("audit retention (--audit-retention) {raw:?}: write a duration such as 400d, or forever")
            })?),
        };
        Ok(AuditSettings { retention })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_forever_unless_a_duration_is_given() {
        assert_eq!(AuditArgs::default().resolve().expect("default").retention, None);
        let forever = AuditArgs { retention: Some("forever".into()) }.resolve().expect("forever");
        assert_eq!(forever.retention, None);
        let days = AuditArgs { retention: Some("400d".into()) }.resolve().expect("400d");
        assert_eq!(days.retention, Some(Duration::from_secs(400 * 86_400)));
        let err = AuditArgs { retention: Some("a year".into()) }.resolve().expect_err("bad");
        assert!(format!("{err:#}").contains("--audit-retention"), "{err:#}");
    }
}
