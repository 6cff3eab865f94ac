//! What a feature declares about itself, once, in its `mod.rs`: its
//! Settings section, its routes (each mounted with its access kind), its
//! OpenAPI tags, its job kinds, its periodic maintenance, what must happen
//! when a workspace is deleted, its audit actions and its events. The
//! router, the Settings sidebar, the OpenAPI document, the job registry,
//! the hourly cleanup and workspace deletion iterate over the registered
//! features (`crate::registry`), so adding a feature is its folder, its
//! migrations, its templates and one line in that list.
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use switchboard_core::{Permission, WorkspaceId};
use switchboard_db::Tx;

use crate::audit::Action;
use crate::audit::catalogue::TargetType;
use crate::events::{EventType, Outbox};
use crate::jobs::Registry;
use crate::routes::Routes;
use crate::state::AppState;

/// A Settings section: its place in the sidebar and its landing page
/// (`/settings/<slug>`, mounted by the feature's routes).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Section {
    pub slug: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// Position in the sidebar (the seed's order: 10 General … 80 Audit Log).
    pub order: u16,
}

/// An OpenAPI tag: `(name, description)`.
pub type ApiTag = (&'static str, &'static str);

/// Periodic work the worker runs about once an hour (deleting what has
/// expired, applying retention). Errors are logged and retried next hour.
pub type Maintenance = for<'a> fn(&'a AppState) -> BoxFuture<'a, anyhow::Result<()>>;

/// Runs in the transaction that deletes a workspace, before its rows go
/// (they cascade). A feature holding resources outside the database
/// (numbers at a carrier, voices at a provider, a payment subscription)
/// enqueues the jobs that release them here, so they are released exactly
/// when the deletion commits.
pub type DeletionHook =
    for<'a> fn(&'a mut Tx, &'a WorkspaceId, DateTime<Utc>) -> BoxFuture<'a, Result<(), sqlx::Error>>;

/// Runs in the transaction that creates a workspace, after its row and its
/// first Admin are written: the feature's own rows every workspace has
/// (its subscription and credit balance).
pub type CreationHook =
    for<'a> fn(&'a AppState, &'a mut Tx, &'a WorkspaceId, DateTime<Utc>) -> BoxFuture<'a, crate::error::AppResult<()>>;

/// A background loop of the feature's own, started by `serve` (the job
/// worker covers most background work; the webhook sender has its own for
/// concurrency per endpoint). It stops when `shutdown` turns true.
pub type Worker =
    fn(AppState, tokio::sync::watch::Receiver<bool>) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>>;

/// Runs before every handler of the workspace route kinds (member, editor,
/// admin), once the caller's workspace and role are known; an answer stops
/// the request there (say, a redirect to a set-up step the workspace
/// requires).
pub type WorkspaceGuard = for<'a> fn(
    &'a AppState,
    &'a crate::policy::WorkspaceCtx,
    &'a axum::http::request::Parts,
) -> BoxFuture<'a, Option<axum::response::Response>>;

/// A number a workspace's plan decides (`None`: the plan sets no limit):
/// its tokens' API requests per minute, its audit retention in days.
pub type PlanNumber = for<'a> fn(&'a AppState, &'a WorkspaceId) -> BoxFuture<'a, Option<u32>>;

/// Asks the feature whether the workspace has done the step.
pub type StepCheck = for<'a> fn(&'a AppState, &'a WorkspaceId) -> BoxFuture<'a, Result<bool, sqlx::Error>>;

/// A step of the home page's getting-started checklist a feature declares
/// (see `home::checklist`).
#[derive(Clone, Copy)]
pub struct Step {
    /// Matches a [`PLANNED`] entry the feature replaces.
    pub key: &'static str,
    /// Position in the list.
    pub order: u16,
    pub title: &'static str,
    pub description: &'static str,
    /// Where the step is done.
    pub href: &'static str,
    /// Who may do it: the others do not see the step.
    pub permission: Permission,
    pub done: StepCheck,
}

#[derive(Clone, Copy)]
pub struct Feature {
    /// The feature's folder name, for logs.
    pub name: &'static str,
    pub section: Option<Section>,
    pub routes: fn(&mut Routes),
    pub api_tags: &'static [ApiTag],
    /// Adds the feature's job handlers.
    pub jobs: fn(Registry) -> Registry,
    pub maintenance: Option<Maintenance>,
    pub worker: Option<Worker>,
    pub on_workspace_deleted: Option<DeletionHook>,
    pub on_workspace_created: Option<CreationHook>,
    pub actions: &'static [&'static Action],
    /// Target types of its audit entries, for the Audit Log filter.
    pub targets: &'static [TargetType],
    /// Events it emits that are not audit entries (`credits.low`, …); the
    /// events of its actions are found through the actions.
    pub events: &'static [&'static EventType],
    /// Columns of its tables that hold values sealed under the server key,
    /// re-sealed after `key rotate`.
    pub sealed_columns: &'static [crate::key_rotation::SealedColumn],
    /// The outbox `events::emit` writes to (one feature provides it).
    pub outbox: Option<&'static dyn Outbox>,
    pub workspace_guard: Option<WorkspaceGuard>,
    /// The rate of a workspace's API tokens, under `--api-rate-limit`
    /// (one feature provides it).
    pub api_rate: Option<PlanNumber>,
    /// Days a workspace's audit entries are kept, under `--audit-retention`
    /// (one feature provides it).
    pub audit_retention_days: Option<PlanNumber>,
    /// Its step of the home page's getting-started checklist.
    pub getting_started: Option<&'static Step>,
}

fn no_routes(_: &mut Routes) {}

fn no_jobs(registry: Registry) -> Registry {
    registry
}

impl Feature {
    /// A feature that declares nothing yet; fill in what it has with
    /// `Feature { routes: …, ..Feature::new("name") }`.
    pub const fn new(name: &'static str) -> Self {
        Feature {
            name,
            section: None,
            routes: no_routes,
            api_tags: &[],
            jobs: no_jobs,
            maintenance: None,
            worker: None,
            on_workspace_deleted: None,
            on_workspace_created: None,
            actions: &[],
            targets: &[],
            events: &[],
            sealed_columns: &[],
            outbox: None,
            workspace_guard: None,
            api_rate: None,
            audit_retention_days: None,
            getting_started: None,
        }
    }
}

/// Every event type the features raise: those of their actions, then the
/// others they declare.
pub fn event_types(features: &[Feature]) -> Vec<&'static EventType> {
    let mut out: Vec<&'static EventType> = Vec::new();
    let from_actions = features.iter().flat_map(|f| f.actions.iter().filter_map(|a| a.event));
    for event in from_actions.chain(features.iter().flat_map(|f| f.events.iter().copied())) {
        if !out.iter().any(|e| e.name == event.name) {
            out.push(event);
        }
    }
    out
}

/// Makes the features' catalogues (audit actions, event types, outbox)
/// known to the process-wide modules that need them without a state.
pub fn install(features: &[Feature]) {
    let actions: Vec<&'static Action> = features.iter().flat_map(|f| f.actions.iter().copied()).collect();
    let targets: Vec<TargetType> = features.iter().flat_map(|f| f.targets.iter().copied()).collect();
    crate::audit::catalogue::install(&actions, &targets);
    crate::events::install(&event_types(features), features.iter().find_map(|f| f.outbox));
}
