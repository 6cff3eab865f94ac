//! Settings → Voices (Admins): the landing page with the workspace's own
//! voices, the provider's library (filtered by a GET form) and the
//! ElevenLabs key card ([`index`], [`key`]); Clone a voice with its quality
//! check ([`clone`], upload routes); a voice's page with its consent record,
//! rename, default and delete ([`voice`]). Forms redirect with a toast; a
//! refused form is shown again with its messages by the fields. The pages
//! call the feature's services (`library`, `analyze`, `create`, `manage`,
//! `byok`); previews play from the API's preview routes.
mod clone;
mod index;
mod key;
mod views;
mod voice;

use axum::routing::post;

use crate::feature::Section;
use crate::routes::{Access, Routes};

pub const VOICES: &str = "/settings/voices";
pub const CLONE: &str = "/settings/voices/clone";
pub const CHECK: &str = "/settings/voices/clone/check";
pub const KEY: &str = "/settings/voices/elevenlabs-key";

/// The Settings section (`/settings/voices`).
pub const SECTION: Option<Section> = Some(super::SECTION);

pub fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get(VOICES, index::voices_page)
        .post("/settings/voices/default", index::set_default_voice)
        .get(CLONE, clone::clone_page)
        .post(KEY, key::set_key)
        .get("/settings/voices/elevenlabs-key/remove", key::remove_page)
        .post("/settings/voices/elevenlabs-key/remove", key::remove_key)
        .get("/settings/voices/{id}", voice::voice_page)
        .post("/settings/voices/{id}", voice::update_voice)
        .get("/settings/voices/{id}/status", voice::voice_status)
        .get("/settings/voices/{id}/delete", voice::delete_page)
        .post("/settings/voices/{id}/delete", voice::delete_voice);
    // Samples are large: the upload route kind streams them to storage.
    let limit = super::analyze::UPLOAD_LIMIT;
    r.upload(Access::Admin, "POST", CLONE, post(clone::clone_voice), limit);
    r.upload(Access::Admin, "POST", CHECK, post(clone::check_quality), limit);
}

/// The page's script and the recorder's worklet, with their versions.
fn scripts() -> minijinja::Value {
    use crate::web::assets::url;
    minijinja::context! { voices_js => url("voices.js"), worklet_url => url("voices-worklet.js") }
}
