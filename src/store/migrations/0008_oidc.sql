-- OpenID Connect sign-in. external_id: who the provider says the user is (the ID token's
-- "sub", stable and never reassigned by the provider), so a user found by the provider is
-- matched by it, never by a name a provider could choose to collide with a local account.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external ON users (source, external_id) WHERE external_id IS NOT NULL;

-- Sign-ins started and not yet finished: the BLAKE2b hash (hex) of the "state" sent to the
-- provider, where to go afterwards, the client address that began it (a few at a time per
-- address), and until when the state may come back. A row is deleted when its state comes
-- back, so a state works once. The nonce and the PKCE verifier are derived from the state
-- with the site key and never stored.
CREATE TABLE oidc_states (
    state_hash TEXT PRIMARY KEY,
    return_to  TEXT NOT NULL,
    address    TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL
);
CREATE INDEX oidc_states_address ON oidc_states (address);
