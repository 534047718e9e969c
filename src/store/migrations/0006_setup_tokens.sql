-- One-time setup tokens: `gatehouse init` makes one so that the first administrator can be
-- created over the API (POST /api/v1/setup) with a password of their choosing; there is no
-- default account or password. Stored as BLAKE2b-256 (hex); usable once, before expires_us,
-- and only while no administrator exists.
CREATE TABLE setup_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    used_us    INTEGER
);
