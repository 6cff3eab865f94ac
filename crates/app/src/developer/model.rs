//! API tokens as people see them: the create form's rules, and why a
//! token works or stopped working. Pure; unit-tested here.
use chrono::{DateTime, Duration, Utc};
use switchboard_core::Role;

use crate::error::{AppError, FieldError};

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_EXPIRY_DAYS: i64 = 366;
/// The expiry choices the page offers (the API takes any 1–366 days).
pub const EXPIRY_CHOICES: [(i64, &str); 5] =
    [(0, "Never"), (7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")];

/// A valid request to create a token.
#[derive(Debug, Clone, PartialEq)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewToken {
    /// `expires_in_days`: `None` or `0` for a token that does not expire.
    pub fn parse(name: &str, role: &str, expires_in_days: Option<i64>, now: DateTime<Utc>) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "Give the token a name, e.g. “Production server”."));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new("name", format!("Use at most {MAX_NAME_CHARS} characters.")));
        } else if let Err(problem) = switchboard_core::text::check_display_text(name) {
            errors.push(FieldError::new("name", format!("The name {problem}; remove it.")));
        }
        let role = role.parse::<Role>();
        if role.is_err() {
            errors.push(FieldError::new("role", "Choose Admin, Member or Viewer."));
        }
        let expires_at = match expires_in_days {
            None | Some(0) => None,
            Some(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => Some(now + Duration::days(days)),
            Some(_) => {
                errors.push(FieldError::new(
                    "expires_in_days",
                    format!("Choose between 1 and {MAX_EXPIRY_DAYS} days, or no expiry."),
                ));
                None
            }
        };
        match role {
            Ok(role) if errors.is_empty() => Ok(NewToken { name: name.to_string(), role, expires_at }),
            _ => Err(AppError::validation(errors)),
        }
    }
}

pub use crate::auth::token_facts::{TokenFacts, TokenStatus};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("valid")
    }

    fn facts(role: Role, creator: Role) -> TokenFacts {
        TokenFacts {
            role,
            expires_at: None,
            revoked_reason: None,
            creator_role: Some(creator),
            creator_status: Some("active".into()),
        }
    }

    #[test]
    fn a_new_token_needs_a_name_a_role_and_a_sane_expiry() {
        let ok = NewToken::parse("  CI deploys ", "Member", Some(30), now()).expect("valid");
        assert_eq!(ok.name, "CI deploys");
        assert_eq!(ok.role, Role::Member);
        assert_eq!(ok.expires_at, Some(now() + Duration::days(30)));
        assert_eq!(NewToken::parse("x", "viewer", Some(0), now()).expect("valid").expires_at, None);
        let Err(AppError::Client(problem)) = NewToken::parse("", "owner", Some(400), now()) else { panic!("refused") };
        let fields: Vec<_> = problem.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "role", "expires_in_days"]);
        assert!(NewToken::parse(&"n".repeat(65), "admin", None, now()).is_err());
        assert!(NewToken::parse("a\u{7}b", "admin", None, now()).is_err());
        assert!(NewToken::parse("x", "admin", Some(-1), now()).is_err());
    }

    #[test]
    fn the_effective_role_is_the_lower_of_token_and_creator() {
        assert_eq!(facts(Role::Admin, Role::Viewer).effective_role(now()), Some(Role::Viewer));
        assert_eq!(facts(Role::Viewer, Role::Admin).effective_role(now()), Some(Role::Viewer));
        assert_eq!(facts(Role::Member, Role::Admin).effective_role(now()), Some(Role::Member));
    }

    #[test]
    fn a_token_stops_with_its_creator_its_expiry_or_its_revocation() {
        let mut left = facts(Role::Admin, Role::Admin);
        left.creator_status = Some("left".into());
        assert_eq!(left.status(now()), TokenStatus::CreatorLeft);
        assert_eq!(left.effective_role(now()), None);
        let mut removed = facts(Role::Admin, Role::Admin);
        removed.revoked_reason = Some("creator_removed".into());
        assert_eq!(removed.status(now()), TokenStatus::CreatorRemoved);
        let mut expired = facts(Role::Admin, Role::Admin);
        expired.expires_at = Some(now());
        assert_eq!(expired.status(now()), TokenStatus::Expired);
        assert_eq!(expired.status(now() - Duration::seconds(1)), TokenStatus::Active);
        let mut revoked = facts(Role::Admin, Role::Admin);
        revoked.revoked_reason = Some("revoked".into());
        assert_eq!(revoked.effective_role(now()), None);
        let mut gone = facts(Role::Admin, Role::Admin);
        gone.creator_status = None;
        assert_eq!(gone.status(now()), TokenStatus::CreatorRemoved);
    }
}
