//! Agents (SPEC §7): the minimal resource numbers, voices and usage attach
//! to (being written).
use crate::feature::Feature;

pub const FEATURE: Feature = Feature { ..Feature::new("agents") };
