-- API tokens: bearer credentials for the HTTP API. Only a hash of the secret is stored
-- (BLAKE2b-256 of the whole token, hex); the token itself is shown once, at creation.
-- scopes is the space-separated list of permission names the token carries.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER,
    revoked_us INTEGER
);
