//! The agent form's voice select and the voice names the Agents pages
//! show: the workspace's READY custom voices, then the provider's library
//! (the sandbox's fixed catalogue when the provider cannot be reached), and
//! the empty choice naming the workspace's default voice, which agents
//! without a voice speak with. Read through the voices feature's services.
use std::collections::HashMap;

use serde::Serialize;
use switchboard_providers::voices;

use crate::error::AppResult;
use crate::policy::WorkspaceCtx;
use crate::state::AppState;
use crate::voices::model::{VoiceStatus, language_label};

#[derive(Debug, Serialize)]
pub struct VoiceOption {
    pub id: String,
    pub label: String,
}

/// An `<optgroup>`.
#[derive(Debug, Serialize)]
pub struct VoiceGroup {
    pub label: &'static str,
    pub voices: Vec<VoiceOption>,
}

#[derive(Debug, Serialize)]
pub struct VoiceChoices {
    pub groups: Vec<VoiceGroup>,
    /// The empty choice: `Workspace default (Aria)` or `No voice`.
    pub none_label: String,
    /// Every voice's name by ID, for showing an agent's voice.
    #[serde(skip)]
    pub names: HashMap<String, String>,
}

impl VoiceChoices {
    /// Keeps an agent's voice selectable when no list offers it any more
    /// (a deleted clone, another provider's voice), so saving the form
    /// does not drop it silently.
    pub fn keep(&mut self, id: &str) {
        let offered = self.groups.iter().any(|g| g.voices.iter().any(|v| v.id == id));
        if !id.is_empty() && !offered {
            let label = format!("{} (no longer offered)", self.name(id));
            self.groups
                .push(VoiceGroup { label: "Current voice", voices: vec![VoiceOption { id: id.to_string(), label }] });
        }
    }

    /// The name of a voice ID (the ID itself when no list has it).
    pub fn name(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

pub async fn voice_choices(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<VoiceChoices> {
    let mut names: HashMap<String, String> = HashMap::new();
    for v in voices::catalogue() {
        names.insert(v.id.to_string(), v.name.to_string());
    }
    let mut custom = Vec::new();
    for v in crate::voices::manage::list(state, ctx).await? {
        names.insert(v.id.to_string(), v.name.clone());
        if v.status == VoiceStatus::Ready {
            let label = format!("{} — your voice ({})", v.name, language_label(&v.language));
            custom.push(VoiceOption { id: v.id.to_string(), label });
        }
    }
    let library: Vec<VoiceOption> = match crate::voices::library::list(state, ctx, &Default::default()).await {
        Ok(all) => all
            .into_iter()
            .map(|v| {
                names.insert(v.id.clone(), v.name.clone());
                let accent = v.accent.map(|a| format!("{a}, ")).unwrap_or_default();
                let label = format!(
                    "{} — {} ({accent}{}, {})",
                    v.name,
                    v.description,
                    language_label(&v.language),
                    v.gender.label()
                );
                VoiceOption { id: v.id, label }
            })
            .collect(),
        Err(err) => {
            tracing::warn!(error = ?err, "the voice library is unavailable; offering the fixed catalogue");
            voices::catalogue()
                .iter()
                .map(|v| VoiceOption {
                    id: v.id.to_string(),
                    label: format!("{} — {} ({})", v.name, v.description, v.language),
                })
                .collect()
        }
    };
    let default = crate::voices::default_voice(state, &ctx.workspace.id).await?;
    let none_label = match default {
        Some(id) => format!("Workspace default ({})", names.get(&id).cloned().unwrap_or(id)),
        None => "No voice (the workspace has no default voice)".to_string(),
    };
    let mut groups = Vec::new();
    if !custom.is_empty() {
        groups.push(VoiceGroup { label: "Your voices", voices: custom });
    }
    groups.push(VoiceGroup { label: "Library", voices: library });
    Ok(VoiceChoices { groups, none_label, names })
}
