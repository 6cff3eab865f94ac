//! (being written)
use crate::routes::Routes;

pub fn routes(_r: &mut Routes) {}
