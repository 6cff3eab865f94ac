-- Email verification and two-factor sign-in (TOTP). Kept in step with
-- postgres/0011_verification_two_factor.sql.

-- NULL until the address is proven (a verification link, or accepting an
-- invitation sent to it). Accounts from before this migration count as
-- verified.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;
UPDATE users SET email_verified_at = created_at;

-- Verification links: only the SHA-256 of the token is stored; single use.
CREATE TABLE email_verifications (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash       TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    used_at          TEXT,
    CONSTRAINT email_verifications_token_key UNIQUE (token_hash)
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id, created_at);

-- A user's TOTP secret, sealed under the server key with the row's id (the
-- user's id) as associated data. enabled_at is NULL while set-up waits for
-- its confirming code. last_step is the last accepted 30-second step, so a
-- code is accepted once.
CREATE TABLE two_factor_secrets (
    id            TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    enabled_at    TEXT,
    last_step     BIGINT,
    created_at    TEXT NOT NULL
);

-- Ten single-use recovery codes per user, stored as SHA-256 hashes.
CREATE TABLE two_factor_recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX two_factor_recovery_codes_user_idx ON two_factor_recovery_codes (user_id);

-- The pending second step of a sign-in: the password was right, the code is
-- still to come. The browser holds a random token; this row holds its hash.
CREATE TABLE two_factor_challenges (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next_path  TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX two_factor_challenges_user_idx ON two_factor_challenges (user_id);

-- Settings → General: every member must sign in with a second factor.
ALTER TABLE workspaces ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
