-- Voices (SPEC §9): the workspace's custom voices cloned from samples,
-- their samples (kept in object storage until the clone is made), the
-- consent record confirmed before cloning, and the workspace's voice
-- settings (default voice, its own ElevenLabs key).
-- Kept in step with sqlite/0017_voices.sql.

CREATE TABLE voices (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    -- BCP 47 (`en`, `es`, `pt-BR`…) of the samples.
    language          TEXT NOT NULL,
    gender            TEXT NOT NULL CHECK (gender IN ('MALE', 'FEMALE', 'NOT_SPECIFIED')),
    -- The provider that holds the clone (sandbox or elevenlabs) and whose
    -- account: the platform's, or the workspace's own key.
    provider          TEXT NOT NULL,
    provider_account  TEXT NOT NULL CHECK (provider_account IN ('PLATFORM', 'WORKSPACE')),
    -- The provider's voice ID, once the clone exists.
    provider_voice_id TEXT,
    status            TEXT NOT NULL CHECK (status IN ('PROCESSING', 'READY', 'FAILED')),
    -- Why cloning failed, for people.
    failure_reason    TEXT,
    -- Totals of the quality report the clone was made from.
    speech_ms         BIGINT NOT NULL DEFAULT 0,
    duration_ms       BIGINT NOT NULL DEFAULT 0,
    created_by        TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    ready_at          TIMESTAMPTZ
);
CREATE INDEX voices_workspace_idx ON voices (workspace_id, created_at);

CREATE TABLE voice_samples (
    id            TEXT PRIMARY KEY,
    voice_id      TEXT NOT NULL REFERENCES voices (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    -- Hex SHA-256 of the file as received: the consent record's proof.
    sha256        TEXT NOT NULL,
    -- Where the bytes are kept (crate::files) until the clone is made;
    -- NULL once removed.
    object_key    TEXT,
    -- JSON of the sample's quality report (analysis::SampleReport).
    report        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (voice_id, position)
);
CREATE INDEX voice_samples_workspace_idx ON voice_samples (workspace_id, voice_id);

-- One per voice, written with it: who confirmed the statement, when, from
-- where, over which samples.
CREATE TABLE voice_consents (
    voice_id      TEXT PRIMARY KEY REFERENCES voices (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    statement     TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- Kept when the user is later deleted.
    user_email    TEXT NOT NULL,
    ip            TEXT,
    -- JSON array of the samples' hex SHA-256, in order.
    sample_sha256 TEXT NOT NULL,
    confirmed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX voice_consents_workspace_idx ON voice_consents (workspace_id);

CREATE TABLE workspace_voice_settings (
    workspace_id          TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    -- A library voice's provider ID or a custom voice's ID (`vce_…`);
    -- agents without a voice use it.
    default_voice         TEXT,
    -- The workspace's own ElevenLabs key, sealed (crate::sealed) for
    -- purpose "elevenlabs_key" with the workspace ID; never shown.
    elevenlabs_key_sealed TEXT,
    -- Whose account the key opens (ElevenLabs' user ID) and what to show.
    elevenlabs_account    TEXT,
    elevenlabs_label      TEXT,
    updated_at            TIMESTAMPTZ NOT NULL
);
