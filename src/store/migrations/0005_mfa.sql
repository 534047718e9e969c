-- Two-factor sign-in (TOTP, RFC 6238). totp_secret: the user's key sealed with a key
-- derived from the site key (crypto_secretbox: nonce then ciphertext), NULL without MFA.
-- totp_pending: a key being enrolled, until a first code confirms it. totp_last_step: the
-- time step of the last code accepted (each code works once).
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_pending BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Single-use recovery codes, stored as keyed BLAKE2b-256 (hex).
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_us   INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
