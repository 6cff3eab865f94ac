//! The kinds' targets: the one place that names them. [`with_target!`]
//! runs generic code over the target of an import's kind:
//!
//! ```ignore
//! with_target!(kind, |target| service::fields_of(state, target, ws).await)
//! ```
//!
//! Integration adds one arm per feature, for instance
//! `ImportKind::Contacts => { let $t = &crate::contacts::import::ContactsTarget; $body }`
//! and `ImportKind::Suppressions => { let $t = &crate::suppressions::import::SuppressionsTarget; $body }`.
//! Until a kind has its arm, its imports are refused with
//! `import_kind_unavailable`.
use async_trait::async_trait;
use switchboard_core::WorkspaceId;
use switchboard_db::Tx;

use super::target::{ImportKind, ImportTarget, MappedRow, OnDuplicate, RowError, RowOutcome, TargetField};
use crate::audit::Origin;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// `with_target!(kind, |t| body)`: `body` with `t` the kind's target. A
/// kind without a target on this server gets [`Unavailable`], whose
/// `prepare` refuses, so every body (which prepares first) answers
/// `import_kind_unavailable`.
#[macro_export]
macro_rules! with_target {
    ($kind:expr, |$t:ident| $body:expr) => {{
        #[allow(unreachable_patterns)]
        match $kind {
            kind => {
                let $t = &$crate::imports::targets::Unavailable(kind);
                $body
            }
        }
    }};
}
pub use with_target;

/// The refusal for a kind without a target on this server.
pub fn unavailable(kind: ImportKind) -> AppError {
    AppError::unprocessable(
        "import_kind_unavailable",
        format!("Importing {} is not available on this server yet.", kind.as_str()),
    )
}

/// The target of a kind this server cannot import: it refuses to prepare.
pub struct Unavailable(pub ImportKind);

#[async_trait]
impl ImportTarget for Unavailable {
    type Context = ();

    fn kind(&self) -> ImportKind {
        self.0
    }

    async fn prepare(&self, _: &AppState, _: &WorkspaceId, _: OnDuplicate) -> AppResult<()> {
        Err(unavailable(self.0))
    }

    fn fields(&self, _: &()) -> Vec<TargetField> {
        Vec::new()
    }

    fn dedup_key(&self, _: &(), _: &MappedRow) -> Option<String> {
        None
    }

    fn validate_row(&self, _: &(), _: &MappedRow) -> Result<(), Vec<FieldError>> {
        Err(vec![FieldError::new("row", "This kind of import is not available.")])
    }

    async fn apply_row(&self, _: &mut Tx, _: &(), _: &Origin, _: &MappedRow) -> Result<RowOutcome, RowError> {
        Err(RowError::Invalid(vec![FieldError::new("row", "This kind of import is not available.")]))
    }
}
