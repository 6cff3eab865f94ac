//! The credits ledger (SPEC §11): append-only entries whose sum is the
//! balance ([`ledger`]), the low-balance line ([`low_balance`]), top-ups and
//! auto-recharge. Subscriptions grant and expire cycle credits through
//! [`ledger::post`]; numbers, voices and usage debit through it.
pub mod ledger;
pub mod low_balance;
pub mod view;

use serde_json::json;

use crate::events::EventType;
use crate::feature::Feature;

pub const CREDITS_LOW: EventType = EventType::custom(
    "credits.low",
    "A debit took the balance below the auto-recharge threshold (or, without auto-recharge, below a tenth of the \
     cycle's credits). Amounts are milli-credits.",
    "credit_balance",
    &["balance", "threshold", "auto_recharge"],
    || {
        json!({
            "type": "object",
            "required": ["balance", "threshold", "auto_recharge"],
            "properties": {
                "balance": {"type": "integer", "description": "The balance after the debit, in milli-credits."},
                "threshold": {"type": "integer", "description": "The line it crossed, in milli-credits."},
                "auto_recharge": {"type": "boolean", "description": "Whether a recharge was started."}
            }
        })
    },
);

pub const FEATURE: Feature = Feature { events: &[&CREDITS_LOW], ..Feature::new("credits") };
