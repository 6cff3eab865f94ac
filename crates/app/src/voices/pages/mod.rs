//! Settings → Voices (the pages engineer's folder): the library, the
//! clone form with its quality report, a voice's page. Empty until the
//! pages land: [`routes`] mounts nothing and [`SECTION`] is `None`, so the
//! Settings sidebar keeps its planned "Voices" entry. The pages call the
//! services of the sibling modules (`library`, `analyze`, `create`,
//! `manage`, `byok`, `preview`).
use crate::feature::Section;
use crate::routes::Routes;

/// The Settings section, once its landing page `/settings/voices` is
/// mounted here: `Some(super::SECTION)`.
pub const SECTION: Option<Section> = None;

pub fn routes(_r: &mut Routes) {}
