//! The kinds' targets: the one place that names them. [`with_target!`]
//! runs generic code over the target of an import's kind:
//!
//! ```ignore
//! with_target!(kind, |target| service::fields_of(state, target, ws).await)
//! ```

/// `with_target!(kind, |t| body)`: `body` with `t` the kind's target.
#[macro_export]
macro_rules! with_target {
    ($kind:expr, |$t:ident| $body:expr) => {{
        match $kind {
            $crate::imports::target::ImportKind::Contacts => {
                let $t = &$crate::contacts::import::ContactsTarget;
                $body
            }
            $crate::imports::target::ImportKind::Suppressions => {
                let $t = &$crate::suppressions::import::SuppressionsTarget;
                $body
            }
        }
    }};
}
pub use with_target;
