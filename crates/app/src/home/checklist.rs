//! The home page's getting-started checklist: one step per feature that
//! declares one (`Feature::getting_started`), ticked off by asking that
//! feature whether the workspace has done it, so the list needs no
//! bookkeeping of its own and a step undone elsewhere (every token
//! revoked) stays done. Steps of sections still to come are listed as
//! coming soon until their feature declares the step under the same key.
use serde::Serialize;
use switchboard_core::{Permission, Role, WorkspaceId};

pub use crate::feature::{Step, StepCheck};

use crate::feature::Feature;
use crate::state::AppState;

/// A step of a section not built yet: shown, greyed, never ticked.
#[derive(Clone, Copy)]
pub struct PlannedStep {
    pub key: &'static str,
    pub order: u16,
    pub title: &'static str,
    pub description: &'static str,
    pub permission: Permission,
}

pub const PLANNED: &[PlannedStep] = &[
    PlannedStep {
        key: "phone_number",
        order: 10,
        title: "Buy or import a phone number",
        description: "A number your agents answer and call from.",
        permission: Permission::ManageSettings,
    },
    PlannedStep {
        key: "voice",
        order: 30,
        title: "Clone a voice",
        description: "Your agents can speak in a voice of your own.",
        permission: Permission::ManageSettings,
    },
];

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StepView {
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// `None` for a step that cannot be taken yet.
    pub href: Option<&'static str>,
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Checklist {
    pub steps: Vec<StepView>,
    /// Steps done, of the ones that can be taken today.
    pub done: usize,
    pub total: usize,
    pub complete: bool,
}

/// The steps `role` may take, in order, each asked whether it is done;
/// `None` when the role may take none (a Viewer).
pub async fn load(state: &AppState, ws: &WorkspaceId, role: Role) -> Result<Option<Checklist>, sqlx::Error> {
    let features: &[Feature] = &state.features;
    let declared: Vec<&Step> =
        features.iter().filter_map(|f| f.getting_started).filter(|s| role.can(s.permission)).collect();
    let planned = PLANNED
        .iter()
        .filter(|p| role.can(p.permission))
        .filter(|p| !features.iter().filter_map(|f| f.getting_started).any(|s| s.key == p.key));
    let mut steps: Vec<(u16, StepView)> = Vec::new();
    for step in declared {
        let done = (step.done)(state, ws).await?;
        let view =
            StepView { key: step.key, title: step.title, description: step.description, href: Some(step.href), done };
        steps.push((step.order, view));
    }
    for step in planned {
        let view =
            StepView { key: step.key, title: step.title, description: step.description, href: None, done: false };
        steps.push((step.order, view));
    }
    if steps.is_empty() {
        return Ok(None);
    }
    steps.sort_by_key(|(order, _)| *order);
    let steps: Vec<StepView> = steps.into_iter().map(|(_, s)| s).collect();
    let total = steps.iter().filter(|s| s.href.is_some()).count();
    let done = steps.iter().filter(|s| s.done).count();
    Ok(Some(Checklist { complete: total > 0 && done == total, steps, done, total }))
}
