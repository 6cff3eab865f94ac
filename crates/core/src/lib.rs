//! Domain types shared by every crate, with no IO: prefixed IDs, money
//! and credits, the role → permission table, and the rule for display names.
pub mod ids;
pub mod money;
pub mod policy;
pub mod text;

pub use ids::*;
pub use money::{Cents, Credits, MoneyError};
pub use policy::{Permission, Role};
