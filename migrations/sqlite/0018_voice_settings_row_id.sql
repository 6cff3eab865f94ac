-- Workspace voice settings get a row ID of their own (the workspace's ID
-- again): key rotation re-seals a sealed column by its row's `id`, and the
-- sealed ElevenLabs key takes that ID as associated data (purpose
-- "voices.elevenlabs_key"). Nothing wrote to the 0017 table before this
-- release, so it is made again rather than altered.
DROP TABLE workspace_voice_settings;

CREATE TABLE workspace_voice_settings (
    id                    TEXT PRIMARY KEY,
    workspace_id          TEXT NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE,
    -- A library voice's provider ID or a custom voice's ID (`vce_…`);
    -- agents without a voice use it.
    default_voice         TEXT,
    -- The workspace's own ElevenLabs key, sealed (crate::sealed); never shown.
    elevenlabs_key_sealed TEXT,
    -- Whose account the key opens (ElevenLabs' user ID) and what to show.
    elevenlabs_account    TEXT,
    elevenlabs_label      TEXT,
    updated_at            TEXT NOT NULL
);
