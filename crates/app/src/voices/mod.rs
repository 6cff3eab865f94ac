//! Voices (SPEC §9, Settings → Voices): the provider's library of stock
//! voices, custom voices cloned from samples recorded in the browser or
//! uploaded, the quality report made before anything is sent, the consent
//! record, and managing clones.
//!
//! - [`analysis`]: decoding a sample and measuring it (pure, CPU-bound).
//! - [`model`], [`store`]: a voice, its samples and consent, the workspace's
//!   voice settings, and their tables.
//! - [`settings`]: the `[voices]` table; [`provider`]: which provider
//!   account a call goes to (the platform's, or the workspace's own key).
//! - Services (what the pages and the API call): [`library`] (stock voices,
//!   filtered), [`analyze`] (quality report, nothing stored),
//!   [`create`] (a clone: checks, consent, charge reservation, the job),
//!   [`clone_job`] (PROCESSING → READY/FAILED), [`manage`] (rename, delete,
//!   default voice), [`byok`] (the workspace's own ElevenLabs key),
//!   [`preview`] (preview audio, cached in the file store).
//! - [`api`], [`api_upload`]: `/api/v1/voices`; [`pages`]: Settings → Voices.
//!
//! What other features may use: [`resolve_voice`] (is this a voice an
//! agent may use?) and [`default_voice`] (what agents without one use).
pub mod analysis;
pub mod analyze;
pub mod api;
pub mod api_upload;
pub mod byok;
pub mod clone_job;
pub mod create;
pub mod library;
pub mod manage;
pub mod model;
pub mod pages;
pub mod preview;
pub mod provider;
pub mod settings;
pub mod store;

use switchboard_core::{Permission, WorkspaceId};

use crate::audit::{Action, ActionGroup};
use crate::events::EventType;
use crate::feature::{Feature, Step};
use crate::key_rotation::SealedColumn;
use crate::routes::Routes;
use crate::state::AppState;

pub const GROUP: ActionGroup = ActionGroup { title: "Voices", filter: "voice.*" };

const FIELDS: &[&str] = &["name", "description", "language", "gender", "provider", "status", "samples", "speech_ms"];

pub const CREATED_EVENT: EventType = EventType::change(
    "voice.created",
    "A custom voice was submitted for cloning (status PROCESSING), with the consent record and its samples' hashes.",
    "voice",
    FIELDS,
);
pub const READY_EVENT: EventType = EventType::change(
    "voice.ready",
    "A custom voice's clone is ready at the provider; agents can use it. The clone was charged in credits.",
    "voice",
    &["status", "provider_voice_id", "charged"],
);
pub const FAILED_EVENT: EventType = EventType::change(
    "voice.failed",
    "The provider refused to clone a custom voice; `failure_reason` says why. Nothing was charged.",
    "voice",
    &["status", "failure_reason"],
);
pub const DELETED_EVENT: EventType =
    EventType::change("voice.deleted", "A custom voice was deleted (also at its provider).", "voice", &["status"]);

pub const CREATED: Action = Action::publishing("voice.created", "Voice clone requested", &GROUP, &CREATED_EVENT);
pub const READY: Action = Action::publishing("voice.ready", "Voice clone ready", &GROUP, &READY_EVENT);
pub const FAILED: Action = Action::publishing("voice.failed", "Voice clone failed", &GROUP, &FAILED_EVENT);
pub const DELETED: Action = Action::publishing("voice.deleted", "Voice deleted", &GROUP, &DELETED_EVENT);
pub const UPDATED: Action = Action::new("voice.updated", "Voice renamed or described", &GROUP);
pub const DEFAULT_CHANGED: Action = Action::new("voice.default_changed", "Default voice changed", &GROUP);
pub const KEY_SET: Action = Action::new("voice.provider_key_set", "ElevenLabs key connected", &GROUP);
pub const KEY_REMOVED: Action = Action::new("voice.provider_key_removed", "ElevenLabs key removed", &GROUP);

pub const ACTIONS: &[&Action] =
    &[&CREATED, &READY, &FAILED, &DELETED, &UPDATED, &DEFAULT_CHANGED, &KEY_SET, &KEY_REMOVED];

/// Settings → Voices (`pages`).
pub const SECTION: crate::feature::Section =
    crate::feature::Section { slug: "voices", title: "Voices", summary: "Manage and clone voices.", order: 40 };

pub const SEALED_COLUMNS: [SealedColumn; 1] =
    [SealedColumn { table: "workspace_voice_settings", column: "elevenlabs_key_sealed", purpose: byok::PURPOSE }];

pub const FEATURE: Feature = Feature {
    routes,
    api_tags: &[("voices", "Voices: the provider's library, custom voices cloned from samples, the default voice")],
    actions: ACTIONS,
    targets: &[("voice", "Voice"), ("voice_settings", "Voice settings")],
    sealed_columns: &SEALED_COLUMNS,
    section: pages::SECTION,
    getting_started: Some(&VOICE_STEP),
    jobs,
    on_workspace_deleted: Some(manage::on_workspace_deleted),
    ..Feature::new("voices")
};

/// Done once the workspace has a custom voice agents can speak with.
pub const VOICE_STEP: Step = Step {
    key: "voice",
    order: 30,
    title: "Clone a voice",
    description: "Record or upload a minute of speech, and your agents can speak in a voice of your own.",
    href: "/settings/voices/clone",
    permission: Permission::ManageSettings,
    done: |state, ws| {
        use futures_util::FutureExt;
        store::count_ready(&state.db, ws).map(|n| n.map(|n| n > 0)).boxed()
    },
};

fn jobs(registry: crate::jobs::Registry) -> crate::jobs::Registry {
    registry.with(clone_job::CloneJob).with(manage::DeleteJob)
}

fn routes(r: &mut Routes) {
    api::routes(r);
    api_upload::routes(r);
    pages::routes(r);
}

/// Whether `id` is a voice agents of `ws` may use: a stock voice of the
/// platform's library (or of the sandbox's fixed catalogue that agents
/// stored before the library existed), or one of the workspace's READY
/// custom voices (`vce_…`).
pub async fn resolve_voice(state: &AppState, ws: &WorkspaceId, id: &str) -> crate::error::AppResult<bool> {
    if model::is_custom_id(id) {
        return Ok(!store::ready_ids(&state.db, ws, &[id]).await?.is_empty());
    }
    if switchboard_providers::voices::find(id).is_some() {
        return Ok(true);
    }
    Ok(library::find(state, id).await?.is_some())
}

/// The workspace's default voice (agents without a voice of their own use it).
pub async fn default_voice(state: &AppState, ws: &WorkspaceId) -> Result<Option<String>, sqlx::Error> {
    Ok(store::settings(&state.db, ws).await?.default_voice)
}
