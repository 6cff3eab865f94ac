//! Domain types shared by every crate, with no IO: prefixed IDs and the
//! role → permission table.
pub mod ids;
pub mod policy;

pub use ids::*;
pub use policy::{Permission, Role};
