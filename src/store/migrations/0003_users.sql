-- Users: people who sign in to the console and API. source says who vouches for them:
-- 'local' (a password kept here), 'ldap' or 'oidc' (the directory or provider).
-- roles: space-separated role names (src/identity/role.c is the one table of what each
-- grants). password_hash: an Argon2id string (crypto_pwhash_str), NULL without a local
-- password. disabled_us: when the account was disabled, NULL while it is enabled.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name        TEXT NOT NULL DEFAULT '',
    email               TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap', 'oidc')),
    roles               TEXT NOT NULL DEFAULT '',
    password_hash       TEXT,
    password_changed_us INTEGER NOT NULL DEFAULT 0,
    disabled_us         INTEGER,
    created_us          INTEGER NOT NULL,
    updated_us          INTEGER NOT NULL
);
