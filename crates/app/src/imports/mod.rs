//! CSV imports (issue 17): a file uploaded through the large-upload route
//! kind, its columns mapped to a target's fields, a preview of the first
//! rows with their errors, then the `import.run` job that writes the rows
//! in batches with progress, and the failed rows as a CSV.
//!
//! Generic over what is imported: a feature implements
//! [`target::ImportTarget`] and gets an arm in [`targets`].
//!
//! - [`parse`]: the CSV as a stream of records (separator, quotes, BOM,
//!   row numbers, byte offsets); [`mapping`]: columns → fields.
//! - [`target`]: the trait and the row types; [`targets`]: the kinds'
//!   targets (the one place that names them).
//! - [`pipeline`]: batches, savepoints, duplicates in the file, progress,
//!   resuming; the preview's validation.
//! - [`model`], [`store`]: the `imports` and `import_row_errors` tables.
pub mod api;
pub mod job;
pub mod mapping;
pub mod model;
pub mod pages;
pub mod parse;
pub mod pipeline;
pub mod service;
pub mod store;
pub mod target;
pub mod targets;

use futures_util::FutureExt;

use crate::audit::{Action, ActionGroup};
use crate::feature::Feature;
use crate::routes::Routes;

pub const GROUP: ActionGroup = ActionGroup { title: "Imports", filter: "import.*" };

/// One entry when an import starts (kind, file, mapped fields, duplicate
/// policy) and one when it settles (counts, or why it failed); the rows'
/// own entries and events are the targets'.
pub const STARTED: Action = Action::new("import.started", "Import started", &GROUP);
pub const FINISHED: Action = Action::new("import.finished", "Import finished", &GROUP);

pub const ACTIONS: &[&Action] = &[&STARTED, &FINISHED];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("imports", "CSV imports of contacts and suppressions: upload, mapping, preview, progress, errors")],
    actions: ACTIONS,
    targets: &[("import", "Import")],
    jobs,
    maintenance: Some(|state| service::delete_abandoned(state).boxed()),
    ..Feature::new("imports")
};

fn jobs(registry: crate::jobs::Registry) -> crate::jobs::Registry {
    registry.with(job::RunImport)
}

fn routes(r: &mut Routes) {
    api::routes(r);
    pages::routes(r);
}
