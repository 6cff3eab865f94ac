//! Opaque, prefixed, sortable IDs: a ULID behind a short type prefix
//! (`ws_01J…`). Each kind of ID is its own type, so a `UserId` can never be
//! passed where a `WorkspaceId` is expected.
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {expected} ID")]
pub struct IdParseError {
    pub expected: &'static str,
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered ID.
            pub fn new() -> Self {
                Self(format!("{}_{}", $prefix, ulid::Ulid::new()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let body = s
                    .strip_prefix($prefix)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .ok_or(IdParseError { expected: $prefix })?;
                let ulid = ulid::Ulid::from_string(body).map_err(|_| IdParseError { expected: $prefix })?;
                // Re-render so that a lower-case input maps to one canonical ID.
                Ok(Self(format!("{}_{}", $prefix, ulid)))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

prefixed_id!(
    /// A user account (`usr_…`).
    UserId,
    "usr"
);
prefixed_id!(
    /// A workspace, the "team ID" of the public API (`ws_…`).
    WorkspaceId,
    "ws"
);
prefixed_id!(
    /// A user's membership in a workspace (`mem_…`).
    MembershipId,
    "mem"
);
prefixed_id!(
    /// An invitation to join a workspace (`inv_…`).
    InvitationId,
    "inv"
);
prefixed_id!(
    /// An audit log entry (`aud_…`).
    AuditEntryId,
    "aud"
);
prefixed_id!(
    /// An API token (`tok_…`); the ID, not the secret.
    ApiTokenId,
    "tok"
);
prefixed_id!(
    /// A background job (`job_…`).
    JobId,
    "job"
);
prefixed_id!(
    /// A webhook endpoint (`ep_…`).
    WebhookEndpointId,
    "ep"
);
prefixed_id!(
    /// A webhook message: one event, the same `webhook-id` on every
    /// endpoint and every retry (`msg_…`).
    WebhookMessageId,
    "msg"
);
prefixed_id!(
    /// One message's delivery to one endpoint (`whd_…`).
    WebhookDeliveryId,
    "whd"
);
prefixed_id!(
    /// One HTTP attempt of a delivery (`atm_…`).
    WebhookAttemptId,
    "atm"
);

prefixed_id!(
    /// An invoice (`bill_…`; `inv_` is taken by invitations).
    InvoiceId,
    "bill"
);
prefixed_id!(
    /// An entry of a workspace's credits ledger (`cre_…`).
    CreditEntryId,
    "cre"
);
prefixed_id!(
    /// An agent (`agt_…`): what numbers, voices and usage attach to.
    AgentId,
    "agt"
);
prefixed_id!(
    /// One usage event reported through the API (`use_…`).
    UsageEventId,
    "use"
);
prefixed_id!(
    /// A phone number of a workspace, bought or imported (`pn_…`).
    PhoneNumberId,
    "pn"
);
prefixed_id!(
    /// A carrier account a workspace connected (BYOC, `cac_…`).
    CarrierAccountId,
    "cac"
);
prefixed_id!(
    /// An SMS that came in to one of a workspace's numbers (`msg_` is
    /// taken by webhook messages: `sms_…`).
    InboundMessageId,
    "sms"
);
prefixed_id!(
    /// A workspace's custom (cloned) voice (`vce_…`).
    VoiceId,
    "vce"
);
prefixed_id!(
    /// One sample a custom voice was cloned from (`vsm_…`).
    VoiceSampleId,
    "vsm"
);
prefixed_id!(
    /// One of a workspace's custom contact attributes (`cat_…`).
    ContactAttributeId,
    "cat"
);
prefixed_id!(
    /// A contact of the workspace's audience (`con_…`).
    ContactId,
    "con"
);
prefixed_id!(
    /// One consent record: a contact opted in or out of a channel (`cns_…`).
    ConsentRecordId,
    "cns"
);
prefixed_id!(
    /// An entry of the suppression list (`sup_…`).
    SuppressionId,
    "sup"
);
prefixed_id!(
    /// A CSV import of contacts or suppressions (`imp_…`).
    ImportId,
    "imp"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_prefixes() {
        let id = WorkspaceId::new();
        assert!(id.as_str().starts_with("ws_"));
        assert_eq!(id.as_str().len(), 3 + 26);
        let parsed: WorkspaceId = id.as_str().parse().expect("parses");
        assert_eq!(parsed, id);
        assert!(id.as_str().replace("ws_", "usr_").parse::<WorkspaceId>().is_err());
        assert!("ws_".parse::<WorkspaceId>().is_err());
        assert!("ws_not-a-ulid".parse::<WorkspaceId>().is_err());
        assert!(id.as_str().parse::<UserId>().is_err());
    }

    #[test]
    fn lower_case_input_is_canonicalised() {
        let id = UserId::new();
        let lower = id.as_str().to_ascii_lowercase();
        assert_eq!(lower.parse::<UserId>().expect("parses"), id);
    }

    #[test]
    fn ids_sort_by_creation_time() {
        let a = UserId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = UserId::new();
        assert!(a < b);
    }
}
