//! Domain types shared by every crate, with no IO: prefixed IDs, money
//! and credits, and the role → permission table.
pub mod ids;
pub mod money;
pub mod policy;

pub use ids::*;
pub use money::{Cents, Credits, MoneyError};
pub use policy::{Permission, Role};
