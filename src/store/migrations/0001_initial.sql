-- 0001_initial: the access-control model, the policy version and the event log.
-- Enumerations are stored as the numbers of the enums in src/model/model.h.
-- Times are UTC microseconds; NULL validity bounds mean "open".
-- Row ids are AUTOINCREMENT: an id is never reused after a delete, so the event log (which
-- keeps ids, not foreign keys) can never point at a different row than it recorded.
-- Names are unique and looked up ignoring ASCII case ("Main Entrance" = "main entrance").

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE policy_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO policy_version (id, version) VALUES (1, 1);

CREATE TABLE sites (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    name     TEXT NOT NULL UNIQUE COLLATE NOCASE,
    timezone TEXT NOT NULL
);

CREATE TABLE areas (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    parent_id   INTEGER REFERENCES areas (id),
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    apb         INTEGER NOT NULL DEFAULT 0 CHECK (apb BETWEEN 0 AND 2),
    locked_down INTEGER NOT NULL DEFAULT 0 CHECK (locked_down IN (0, 1)),
    CHECK (parent_id IS NULL OR parent_id <> id)
);

CREATE TABLE holiday_calendars (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE holidays (
    calendar_id INTEGER NOT NULL REFERENCES holiday_calendars (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (calendar_id, day)
) WITHOUT ROWID;

CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    calendar_id INTEGER REFERENCES holiday_calendars (id)
);

CREATE TABLE schedule_intervals (
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    days        INTEGER NOT NULL CHECK (days BETWEEN 1 AND 255),
    start_min   INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min     INTEGER NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
    PRIMARY KEY (schedule_id, idx)
) WITHOUT ROWID;

CREATE TABLE doors (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id            INTEGER NOT NULL REFERENCES sites (id),
    name               TEXT NOT NULL UNIQUE COLLATE NOCASE,
    from_area_id       INTEGER NOT NULL REFERENCES areas (id),
    to_area_id         INTEGER NOT NULL REFERENCES areas (id),
    mode               INTEGER NOT NULL CHECK (mode BETWEEN 0 AND 3),
    unlock_schedule_id INTEGER REFERENCES schedules (id),
    unlock_ms          INTEGER NOT NULL CHECK (unlock_ms BETWEEN 100 AND 600000),
    held_open_s        INTEGER NOT NULL CHECK (held_open_s BETWEEN 1 AND 86400),
    fail               INTEGER NOT NULL CHECK (fail IN (0, 1)),
    escort_required    INTEGER NOT NULL DEFAULT 0 CHECK (escort_required IN (0, 1)),
    entry_reader       INTEGER NOT NULL DEFAULT 1 CHECK (entry_reader IN (0, 1)),
    exit_reader        INTEGER NOT NULL DEFAULT 1 CHECK (exit_reader IN (0, 1)),
    CHECK (from_area_id <> to_area_id),
    CHECK (mode <> 2 OR unlock_schedule_id IS NOT NULL)
);

CREATE TABLE access_levels (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE level_doors (
    level_id    INTEGER NOT NULL REFERENCES access_levels (id) ON DELETE CASCADE,
    door_id     INTEGER NOT NULL REFERENCES doors (id) ON DELETE CASCADE,
    schedule_id INTEGER NOT NULL REFERENCES schedules (id),
    PRIMARY KEY (level_id, door_id)
) WITHOUT ROWID;

CREATE TABLE departments (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_id   TEXT NOT NULL UNIQUE,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    department_id INTEGER REFERENCES departments (id),
    title         TEXT NOT NULL DEFAULT '',
    manager_id    INTEGER REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    kind          INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 2),
    status        INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
    valid_from    INTEGER,
    valid_until   INTEGER,
    CHECK (manager_id IS NULL OR manager_id <> id)
);

-- The deferred manager key is checked on every insert: without this index each check
-- scans the whole table.
CREATE INDEX people_manager ON people (manager_id) WHERE manager_id IS NOT NULL;

CREATE TABLE credentials (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    format      INTEGER NOT NULL CHECK (format BETWEEN 0 AND 3),
    facility    INTEGER NOT NULL CHECK (facility >= 0),
    number      INTEGER NOT NULL CHECK (number >= 0),
    status      INTEGER NOT NULL CHECK (status BETWEEN 0 AND 5),
    valid_from  INTEGER,
    valid_until INTEGER,
    pin_hash    BLOB CHECK (pin_hash IS NULL OR length(pin_hash) = 32),
    UNIQUE (format, facility, number)
);
CREATE INDEX credentials_person ON credentials (person_id);

CREATE TABLE assignments (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    level_id  INTEGER NOT NULL REFERENCES access_levels (id) ON DELETE CASCADE,
    expires   INTEGER,
    UNIQUE (person_id, level_id)
);
CREATE INDEX assignments_level ON assignments (level_id);

CREATE TABLE access_reviews (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id INTEGER NOT NULL REFERENCES people (id),
    reason    TEXT NOT NULL,
    opened_us INTEGER NOT NULL,
    closed_us INTEGER
);
CREATE INDEX access_reviews_person ON access_reviews (person_id);

-- The event log: append-only; seq is the global, monotonic event offset.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    time_us       INTEGER NOT NULL,
    type          INTEGER NOT NULL,
    door_id       INTEGER,
    person_id     INTEGER,
    credential_id INTEGER,
    decision      INTEGER,
    reason        INTEGER,
    payload       TEXT
);
CREATE INDEX events_time ON events (time_us);
-- Who and where: keyed by (bucket of 16384 offsets, person or door) rather than by person
-- or door alone, so new events only touch the newest bucket's part of each index and a
-- commit writes a bounded number of pages however large the log is (a (person, seq)
-- index scatters every batch over the whole index: 65k against 250k events/s here). A
-- lookup walks the buckets (src/store/sqlite.c, STORE_EVENT_BUCKET_BITS must match).
CREATE INDEX events_person ON events (seq >> 14, person_id) WHERE person_id IS NOT NULL;
CREATE INDEX events_door ON events (seq >> 14, door_id) WHERE door_id IS NOT NULL;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Every change to policy data bumps the policy version (the decision snapshot's key).
CREATE TRIGGER sites_pv_i AFTER INSERT ON sites
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER sites_pv_u AFTER UPDATE ON sites
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER sites_pv_d AFTER DELETE ON sites
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER areas_pv_i AFTER INSERT ON areas
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER areas_pv_u AFTER UPDATE ON areas
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER areas_pv_d AFTER DELETE ON areas
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER holiday_calendars_pv_i AFTER INSERT ON holiday_calendars
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER holiday_calendars_pv_u AFTER UPDATE ON holiday_calendars
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER holiday_calendars_pv_d AFTER DELETE ON holiday_calendars
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER holidays_pv_i AFTER INSERT ON holidays
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER holidays_pv_u AFTER UPDATE ON holidays
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER holidays_pv_d AFTER DELETE ON holidays
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER schedules_pv_i AFTER INSERT ON schedules
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER schedules_pv_u AFTER UPDATE ON schedules
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER schedules_pv_d AFTER DELETE ON schedules
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER schedule_intervals_pv_i AFTER INSERT ON schedule_intervals
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER schedule_intervals_pv_u AFTER UPDATE ON schedule_intervals
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER schedule_intervals_pv_d AFTER DELETE ON schedule_intervals
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER doors_pv_i AFTER INSERT ON doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER doors_pv_u AFTER UPDATE ON doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER doors_pv_d AFTER DELETE ON doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER access_levels_pv_i AFTER INSERT ON access_levels
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER access_levels_pv_u AFTER UPDATE ON access_levels
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER access_levels_pv_d AFTER DELETE ON access_levels
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER level_doors_pv_i AFTER INSERT ON level_doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER level_doors_pv_u AFTER UPDATE ON level_doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER level_doors_pv_d AFTER DELETE ON level_doors
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER departments_pv_i AFTER INSERT ON departments
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER departments_pv_u AFTER UPDATE ON departments
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER departments_pv_d AFTER DELETE ON departments
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER people_pv_i AFTER INSERT ON people
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER people_pv_u AFTER UPDATE ON people
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER people_pv_d AFTER DELETE ON people
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER credentials_pv_i AFTER INSERT ON credentials
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER credentials_pv_u AFTER UPDATE ON credentials
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER credentials_pv_d AFTER DELETE ON credentials
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER assignments_pv_i AFTER INSERT ON assignments
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER assignments_pv_u AFTER UPDATE ON assignments
BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER assignments_pv_d AFTER DELETE ON assignments
BEGIN UPDATE policy_version SET version = version + 1; END;
