-- Sign-in throttling counts each attempt before its password is checked,
-- in one atomic upsert per counter (auth/throttle.rs), instead of logging
-- failures after the check. A counter is keyed by account and client
-- together (or by client alone), so a stranger's wrong guesses lock only
-- the stranger out. Kept in step with postgres/0012_sign_in_attempts.sql.
DROP TABLE sign_in_failures;

CREATE TABLE sign_in_attempts (
    throttle_key    TEXT PRIMARY KEY,
    -- The normalised email, for clearing every client's counter of one
    -- account (a used password-reset link); NULL on per-client counters.
    account         TEXT,
    attempts        INTEGER NOT NULL,
    -- Start of the counter's fixed window, in Unix milliseconds.
    window_start_ms INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_account_idx ON sign_in_attempts (account);
CREATE INDEX sign_in_attempts_window_idx ON sign_in_attempts (window_start_ms);
