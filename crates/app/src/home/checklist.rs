//! The home page's getting-started checklist: one step per feature that
//! declares one (`Feature::getting_started`), ticked off by asking that
//! feature whether the workspace has done it, so the list needs no
//! bookkeeping of its own and a step undone elsewhere (every token
//! revoked) stays done.
use serde::Serialize;
use switchboard_core::{Role, WorkspaceId};

pub use crate::feature::{Step, StepCheck};

use crate::feature::Feature;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StepView {
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub href: &'static str,
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Checklist {
    pub steps: Vec<StepView>,
    /// Steps done, of all the steps.
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
    let mut steps: Vec<(u16, StepView)> = Vec::new();
    for step in declared {
        let done = (step.done)(state, ws).await?;
        let view = StepView { key: step.key, title: step.title, description: step.description, href: step.href, done };
        steps.push((step.order, view));
    }
    if steps.is_empty() {
        return Ok(None);
    }
    steps.sort_by_key(|(order, _)| *order);
    let steps: Vec<StepView> = steps.into_iter().map(|(_, s)| s).collect();
    let total = steps.len();
    let done = steps.iter().filter(|s| s.done).count();
    Ok(Some(Checklist { complete: total > 0 && done == total, steps, done, total }))
}
