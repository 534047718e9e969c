-- Alarms and incidents (issue 8).
--
-- An alarm is a condition a detector (src/rules) or a Lua rule raised. Its key names the
-- condition and its subject ("badge_cloning:credential:8"): while an alarm with that key is
-- not cleared and was last raised within the de-duplication window, raising it again
-- updates it (count, last time, last event) instead of making a new one.
CREATE TABLE alarms (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    type          TEXT NOT NULL,
    key           TEXT NOT NULL,
    severity      INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 5),
    status        INTEGER NOT NULL DEFAULT 0, -- 0 open, 1 acknowledged, 2 cleared
    detail        TEXT NOT NULL,
    door_id       INTEGER REFERENCES doors (id) ON DELETE SET NULL,
    person_id     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    credential_id INTEGER REFERENCES credentials (id) ON DELETE SET NULL,
    controller_id INTEGER REFERENCES controllers (id) ON DELETE SET NULL,
    first_us      INTEGER NOT NULL, -- the time of the event that raised it
    last_us       INTEGER NOT NULL,
    raised_us     INTEGER NOT NULL, -- when the alarm store recorded it
    count         INTEGER NOT NULL DEFAULT 1,
    first_offset  INTEGER, -- the event that raised it (NULL: raised by a clock, e.g. offline)
    last_offset   INTEGER,
    acked_us      INTEGER,
    acked_by      TEXT,
    cleared_us    INTEGER,
    cleared_by    TEXT,
    incident_id   INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    drill_id      INTEGER REFERENCES drills (id) ON DELETE SET NULL
);
CREATE INDEX alarms_key ON alarms (key, last_us);
CREATE INDEX alarms_status ON alarms (status, id);
CREATE INDEX alarms_incident ON alarms (incident_id);

-- What kinds of incident there are: who owns them, how severe they start, which alarm
-- types open one, and the standard operating procedure (an ordered checklist, JSON:
-- [{"text": "...", "required": true}, ...]).
CREATE TABLE incident_types (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    severity      INTEGER NOT NULL DEFAULT 3 CHECK (severity BETWEEN 1 AND 5),
    alarm_types   TEXT NOT NULL DEFAULT '', -- space-separated; each in one type at most
    steps         TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE drills (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario   TEXT NOT NULL,
    started_us INTEGER NOT NULL,
    by         TEXT NOT NULL
);

CREATE TABLE incidents (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    type_id          INTEGER REFERENCES incident_types (id) ON DELETE SET NULL,
    type             TEXT NOT NULL, -- the type's name when it was opened
    title            TEXT NOT NULL,
    severity         INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 5),
    status           INTEGER NOT NULL DEFAULT 0, -- new, acknowledged, investigating, resolved, closed
    department_id    INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    opened_us        INTEGER NOT NULL,
    updated_us       INTEGER NOT NULL,
    acked_us         INTEGER,
    resolved_us      INTEGER,
    closed_us        INTEGER,
    escalation_level INTEGER NOT NULL DEFAULT 0, -- the directory level last notified
    escalate_at_us   INTEGER,                    -- next level, if still not acknowledged
    drill_id         INTEGER REFERENCES drills (id) ON DELETE SET NULL
);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_escalate ON incidents (escalate_at_us) WHERE escalate_at_us IS NOT NULL;

-- An incident's copy of its type's procedure, step by step.
CREATE TABLE incident_steps (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    text        TEXT NOT NULL,
    required    INTEGER NOT NULL,
    state       INTEGER NOT NULL DEFAULT 0, -- 0 open, 1 done, 2 skipped
    reason      TEXT,                       -- why it was skipped
    by          TEXT,
    time_us     INTEGER,
    PRIMARY KEY (incident_id, idx)
) WITHOUT ROWID;

CREATE TABLE incident_assignees (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, user_id)
) WITHOUT ROWID;

-- What an incident is about: events, people, doors, controllers, alarms, video clips.
CREATE TABLE incident_links (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('event', 'person', 'door', 'controller', 'alarm',
                                              'clip')),
    ref         TEXT NOT NULL, -- an id, or a clip's URL
    PRIMARY KEY (incident_id, kind, ref)
) WITHOUT ROWID;

-- Every change and note, in order.
CREATE TABLE incident_timeline (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    time_us     INTEGER NOT NULL,
    who         TEXT NOT NULL,
    kind        TEXT NOT NULL, -- opened, status, note, step, assign, link, alarm, notify, escalate
    text        TEXT NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, id);

CREATE TABLE incident_attachments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    data        BLOB NOT NULL,
    by          TEXT NOT NULL,
    time_us     INTEGER NOT NULL
);
CREATE INDEX incident_attachments_incident ON incident_attachments (incident_id);

-- The directory ("who to call"): per department, its liaison (level 0) and on-call
-- contacts in escalation order (levels 1, 2, ...), each with their channels.
ALTER TABLE departments ADD COLUMN escalate_after_s INTEGER NOT NULL DEFAULT 900;
CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    level         INTEGER NOT NULL CHECK (level >= 0),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    webhook       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    UNIQUE (department_id, level, name)
);
CREATE INDEX contacts_department ON contacts (department_id, level);

-- Message templates: {{variables}} filled from the incident.
CREATE TABLE templates (
    name    TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    body    TEXT NOT NULL
);

-- Every message sent or to be sent (the notifier's queue and its record).
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE,
    contact_id  INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    target      TEXT NOT NULL,
    template    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_us  INTEGER NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0, -- 0 pending, 1 sent, 2 failed (gave up)
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_us     INTEGER NOT NULL,
    sent_us     INTEGER,
    last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notifications_due ON notifications (next_us) WHERE status = 0;
CREATE INDEX notifications_incident ON notifications (incident_id);

-- A working start: the departments the built-in types route to, the types and their
-- procedures, and the templates. All of it can be changed.
INSERT OR IGNORE INTO departments (name) VALUES ('Security'), ('IT'), ('Facilities'),
    ('Human Resources');

INSERT INTO incident_types (name, title, department_id, severity, alarm_types, steps) VALUES
 ('badge_cloning', 'Suspected cloned badge',
  (SELECT id FROM departments WHERE name = 'Security'), 4, 'badge_cloning',
  '[{"text":"Check both doors'' cameras at the two read times","required":true},' ||
  '{"text":"Contact the card holder and confirm where they are","required":true},' ||
  '{"text":"Suspend the card if the holder was not at both doors","required":true},' ||
  '{"text":"Issue a new card to the holder","required":false}]'),
 ('credential_misuse', 'Inactive credential presented',
  (SELECT id FROM departments WHERE name = 'Security'), 3, 'credential_misuse',
  '[{"text":"Check the door''s camera at the read time","required":true},' ||
  '{"text":"Send an officer to the door if the person is still there","required":false},' ||
  '{"text":"Tell HR if the holder left the organization","required":true}]'),
 ('forced_door', 'Door forced open',
  (SELECT id FROM departments WHERE name = 'Security'), 4, 'door_forced tailgating',
  '[{"text":"Check the door''s camera","required":true},' ||
  '{"text":"Send an officer to the door","required":true},' ||
  '{"text":"Ask Facilities to inspect the door and its lock","required":false}]'),
 ('door_held', 'Door held open',
  (SELECT id FROM departments WHERE name = 'Facilities'), 2, 'door_held',
  '[{"text":"Check why the door is held (delivery, wedge, fault)","required":true},' ||
  '{"text":"Close the door or repair its closer","required":true}]'),
 ('tamper', 'Reader or controller tampered with',
  (SELECT id FROM departments WHERE name = 'Security'), 4, 'tamper',
  '[{"text":"Check the device''s camera","required":true},' ||
  '{"text":"Send an officer to the device","required":true},' ||
  '{"text":"Ask IT to check the device''s integrity","required":true}]'),
 ('device_offline', 'Controller offline',
  (SELECT id FROM departments WHERE name = 'IT'), 3, 'device_offline',
  '[{"text":"Check the controller''s power and network link","required":true},' ||
  '{"text":"Confirm its doors still decide from their last snapshot","required":true}]'),
 ('stale_access', 'Access review overdue',
  (SELECT id FROM departments WHERE name = 'Human Resources'), 2, 'stale_access',
  '[{"text":"Review the person''s access levels with their new manager","required":true},' ||
  '{"text":"Close the access review","required":true}]');

INSERT INTO templates (name, subject, body) VALUES
 ('incident', '[gatehouse] {{severity_name}}: {{title}} (incident {{id}})',
  'Incident {{id}}: {{title}}' || char(10) || 'Severity: {{severity_name}}' || char(10) ||
  'Department: {{department}}' || char(10) || 'Opened: {{opened}}' || char(10) ||
  'What happened: {{detail}}' || char(10) || char(10) || 'Open it: {{url}}' || char(10)),
 ('escalation', '[gatehouse] ESCALATED: {{title}} (incident {{id}}) is not acknowledged',
  'Incident {{id}}, {{title}}, opened {{opened}}, has not been acknowledged.' || char(10) ||
  'You are level {{level}} of {{department}}''s escalation.' || char(10) || char(10) ||
  'What happened: {{detail}}' || char(10) || 'Open it: {{url}}' || char(10)),
 ('lockdown', '[gatehouse] LOCKDOWN at {{site}}',
  'A lockdown is in effect at {{site}}. Stay where you are, away from doors and windows, '
  || 'until the all-clear.' || char(10) || '{{message}}' || char(10)),
 ('evacuation', '[gatehouse] EVACUATE {{site}}',
  'Leave {{site}} now by the nearest exit and go to your assembly point.' || char(10) ||
  '{{message}}' || char(10)),
 ('all_clear', '[gatehouse] All clear at {{site}}',
  'The situation at {{site}} is over; normal operations resume.' || char(10) ||
  '{{message}}' || char(10));
