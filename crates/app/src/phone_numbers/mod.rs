//! Phone numbers and BYOC (SPEC §8, Settings → Phone Numbers): numbers
//! bought through the platform's carrier (sandbox, Twilio or Telnyx) and
//! renewed monthly in credits, numbers imported from a carrier account the
//! workspace connected, their assignment to agents, and the carriers'
//! callbacks that turn calls into usage.
//!
//! - [`model`], [`store`]: a number and the `phone_numbers` table.
//! - [`carrier`]: the platform's carrier and the callback URLs.
//! - [`settings`]: the `[carrier]` configuration table.
//!
//! What other features may use: [`store::serving_agents`] (the Agents
//! pages' numbers, through `agents::numbers`).
pub mod api;
pub mod api_assign;
pub mod assign;
pub mod buy;
pub mod byoc;
pub mod carrier;
pub mod inbound;
pub mod lifecycle_store;
pub mod model;
pub mod orders;
pub mod pages;
pub mod release;
pub mod renewal;
pub mod settings;
pub mod store;

use switchboard_core::Permission;

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use crate::feature::{Feature, Step};
use crate::routes::Routes;

pub const GROUP: ActionGroup = ActionGroup { title: "Phone numbers", filter: "phone_number.*" };
pub const ACCOUNTS: ActionGroup = ActionGroup { title: "Carrier accounts", filter: "carrier_account.*" };

const FIELDS: &[&str] = &[
    "e164",
    "friendly_name",
    "country",
    "number_type",
    "capabilities",
    "source",
    "carrier",
    "monthly_price",
    "status",
];
const ASSIGNMENT_FIELDS: &[&str] = &["inbound_agent_id", "outbound_agent_id", "sms_agent_id", "allow_outbound"];

pub const PURCHASED_EVENT: EventType = EventType::change(
    "phone_number.purchased",
    "A number was bought through the platform's carrier; the first month was charged in credits.",
    "phone_number",
    FIELDS,
);
pub const RELEASED_EVENT: EventType = EventType::change(
    "phone_number.released",
    "A number was released (by an Admin, after an unpaid renewal's grace period, or with its workspace).",
    "phone_number",
    &["status"],
);
pub const IMPORTED_EVENT: EventType = EventType::change(
    "phone_number.imported",
    "A number was imported from a connected carrier account; its calls now come to Switchboard.",
    "phone_number",
    FIELDS,
);
pub const ASSIGNMENT_CHANGED_EVENT: EventType = EventType::change(
    "phone_number.assignment_changed",
    "The agents a number serves for inbound calls, outbound calls or SMS, or its outbound toggle, changed.",
    "phone_number",
    ASSIGNMENT_FIELDS,
);

pub const PURCHASED: Action = Action::publishing("phone_number.purchased", "Number bought", &GROUP, &PURCHASED_EVENT);
pub const RELEASED: Action = Action::publishing("phone_number.released", "Number released", &GROUP, &RELEASED_EVENT);
pub const IMPORTED: Action = Action::publishing("phone_number.imported", "Number imported", &GROUP, &IMPORTED_EVENT);
pub const ASSIGNMENT_CHANGED: Action = Action::publishing(
    "phone_number.assignment_changed",
    "Number assignment changed",
    &GROUP,
    &ASSIGNMENT_CHANGED_EVENT,
);
pub const ORDERED: Action = Action::new("phone_number.ordered", "Number ordered (first month charged)", &GROUP);
pub const UPDATED: Action = Action::new("phone_number.updated", "Number renamed", &GROUP);
pub const ACTIVATED: Action = Action::new("phone_number.activated", "Number order completed", &GROUP);
pub const ORDER_FAILED: Action = Action::new("phone_number.order_failed", "Number order failed (refunded)", &GROUP);
pub const RENEWED: Action = Action::new("phone_number.renewed", "Number renewed", &GROUP);
pub const PAST_DUE: Action = Action::new("phone_number.past_due", "Number renewal unpaid", &GROUP);
pub const DISCONNECTED: Action = Action::new("phone_number.disconnected", "Number disconnected", &GROUP);
pub const ACCOUNT_CONNECTED: Action = Action::new("carrier_account.connected", "Carrier account connected", &ACCOUNTS);
pub const ACCOUNT_DISCONNECTED: Action =
    Action::new("carrier_account.disconnected", "Carrier account disconnected", &ACCOUNTS);

pub const ACTIONS: &[&Action] = &[
    &PURCHASED,
    &RELEASED,
    &IMPORTED,
    &ASSIGNMENT_CHANGED,
    &UPDATED,
    &ACTIVATED,
    &ORDER_FAILED,
    &RENEWED,
    &PAST_DUE,
    &DISCONNECTED,
    &ACCOUNT_CONNECTED,
    &ACCOUNT_DISCONNECTED,
    &ORDERED,
];

/// Settings → Phone Numbers (`pages`).
pub const SECTION: crate::feature::Section = crate::feature::Section {
    slug: "phone-numbers",
    title: "Phone Numbers",
    summary: "Manage and buy phone numbers for your workspace.",
    order: 30,
};

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[
        ("phone-numbers", "Phone numbers: search, buy, assign to agents, release"),
        ("carrier-accounts", "Bring your own carrier: connect Twilio, Telnyx or a SIP trunk and import its numbers"),
    ],
    actions: ACTIONS,
    targets: &[("phone_number", "Phone number"), ("carrier_account", "Carrier account")],
    sealed_columns: &byoc::SEALED_COLUMNS,
    section: Some(SECTION),
    getting_started: Some(&PHONE_NUMBER_STEP),
    jobs,
    worker: Some(renewal::spawn),
    on_workspace_deleted: Some(release::on_workspace_deleted),
    ..Feature::new("phone_numbers")
};

pub const PHONE_NUMBER_STEP: Step = Step {
    key: "phone_number",
    order: 10,
    title: "Get a phone number",
    description: "Buy a number, or import one from your own Twilio or Telnyx account, and assign it to an agent.",
    href: "/settings/phone-numbers",
    permission: Permission::ManageSettings,
    done: |state, ws| {
        use futures_util::FutureExt;
        store::count_live(&state.db, ws).map(|n| n.map(|n| n > 0)).boxed()
    },
};

fn jobs(registry: crate::jobs::Registry) -> crate::jobs::Registry {
    registry.with(orders::ReconcileJob).with(release::ReleaseJob)
}

fn routes(r: &mut Routes) {
    api::routes(r);
    api_assign::routes(r);
    pages::routes(r);
    byoc::routes(r);
    inbound::routes(r);
}
