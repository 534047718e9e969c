-- Sign-in sessions (the gh_session cookie). id_hash: BLAKE2b-256 (hex) of the 32 random
-- bytes the cookie carries; the cookie value itself is never stored. csrf: the token a
-- cookie-authenticated client sends back in X-CSRF-Token with every change.
-- expires_us is the absolute end; ended_us is set by sign-out, disabling the user,
-- changing their roles or an administrator.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    id_hash      TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    created_us   INTEGER NOT NULL,
    last_seen_us INTEGER NOT NULL,
    expires_us   INTEGER NOT NULL,
    ended_us     INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per account name as typed ('user:NAME', lower-case) and per client
-- address ('addr:ADDRESS'): after a few, each further attempt waits longer.
CREATE TABLE login_throttle (
    key              TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL,
    last_failure_us  INTEGER NOT NULL,
    blocked_until_us INTEGER NOT NULL
);
