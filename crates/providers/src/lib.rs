//! Outside services behind small traits, each with a built-in default that
//! works offline and a real client chosen by configuration.
pub mod carriers;
pub mod email;
mod form;
mod fs_util;
mod http;
pub mod payments;
pub mod storage;
pub mod voices;
