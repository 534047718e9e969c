-- OpenID Connect sign-in. external_id: who the provider says the user is (the ID token's
-- "sub", stable and never reassigned by the provider), so a user found by the provider is
-- matched by it, never by a name a provider could choose to collide with a local account.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external ON users (source, external_id) WHERE external_id IS NOT NULL;

-- States of single sign-ons that came back (BLAKE2b hash, hex), kept until the state
-- would have expired anyway, so each state works once. Nothing is stored when a sign-in
-- begins: the state, where to go afterwards and the deadline travel in the browser's
-- cookie, sealed with a key derived from the site key; the nonce and the PKCE verifier
-- are derived from the state with the site key and never stored.
CREATE TABLE oidc_used_states (
    state_hash TEXT PRIMARY KEY,
    expires_us INTEGER NOT NULL
);
CREATE INDEX oidc_used_states_expiry ON oidc_used_states (expires_us);
