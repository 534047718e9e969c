-- Door controllers (gatehouse edge). A controller record names the doors it drives, each
-- with its offline policy; it is enrolled with a one-time token (stored as its SHA-256,
-- hex; valid until enroll_expires_us) which the controller trades for registering its
-- Ed25519 public key. Each enrollment adds a row to controller_keys: its id is the
-- source of the events that key uploads, so a replaced board (a new key, a new journal
-- whose sequence starts again at 1) never collides with its predecessor's events.
CREATE TABLE controllers (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL UNIQUE COLLATE NOCASE,
    key_id            INTEGER,              -- the current controller_keys row, NULL: not enrolled
    enroll_hash       TEXT UNIQUE,
    enroll_expires_us INTEGER,
    created_us        INTEGER NOT NULL,
    last_seen_us      INTEGER,              -- the last signed request that was accepted
    health            TEXT,                 -- the last heartbeat (JSON object)
    applied_version   INTEGER NOT NULL DEFAULT 0, -- the snapshot version it reported
    applied_us        INTEGER,              -- when it applied it (the server's clock)
    lag_ms            INTEGER               -- from the server issuing that version to then
);

CREATE TABLE controller_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    controller_id INTEGER NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    public_key    BLOB NOT NULL CHECK (length(public_key) = 32),
    created_us    INTEGER NOT NULL
);

-- A door is driven by one controller at most.
CREATE TABLE controller_doors (
    controller_id        INTEGER NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    door_id              INTEGER NOT NULL UNIQUE REFERENCES doors (id) ON DELETE CASCADE,
    offline_pin_after_s  INTEGER NOT NULL DEFAULT 0 CHECK (offline_pin_after_s >= 0),
    offline_deny_after_s INTEGER NOT NULL DEFAULT 0 CHECK (offline_deny_after_s >= 0),
    PRIMARY KEY (controller_id, door_id)
) WITHOUT ROWID;

-- What a controller's doors are and do is part of its snapshot: changes bump the version.
CREATE TRIGGER controller_doors_pv_i AFTER INSERT ON controller_doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER controller_doors_pv_u AFTER UPDATE ON controller_doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER controller_doors_pv_d AFTER DELETE ON controller_doors
BEGIN UPDATE policy_version SET version = version + 1; END;

-- An event a controller uploaded: its key (controller_keys.id) and its journal sequence.
-- Each (source, source_seq) is stored once: a batch sent again changes nothing.
ALTER TABLE events ADD COLUMN source INTEGER;
ALTER TABLE events ADD COLUMN source_seq INTEGER;
CREATE UNIQUE INDEX events_source ON events (source, source_seq) WHERE source IS NOT NULL;
