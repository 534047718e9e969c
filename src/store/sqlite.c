/*
 * sqlite.c: the SQLite backend of store.h.
 *
 * The design is simple: every SQL statement that reads or writes data is in one table
 * (sql_text[]), prepared on first use and cached on the connection; transaction control,
 * PRAGMAs and the migrations are fixed text in the functions below. No SQL text is ever
 * built from data. Rows are read by one reader function per entity. Constraint failures
 * are turned into -EEXIST / -EINVAL with a sentence naming the field.
 *
 * Open: WAL, foreign keys on, a busy timeout, then the schema version (PRAGMA
 * user_version) is compared with the embedded migrations: older is migrated (each
 * migration in its own transaction), newer is refused.
 */
#include "store/store.h"
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sql_id {
    Q_META_GET,
    Q_META_SET,
    Q_POLICY_VERSION,
    Q_SITE_INSERT,
    Q_SITE_GET,
    Q_SITE_FIND,
    Q_SITE_LIST,
    Q_SITE_UPDATE,
    Q_AREA_INSERT,
    Q_AREA_UPDATE,
    Q_AREA_GET,
    Q_AREA_FIND,
    Q_AREA_LIST,
    Q_DOOR_INSERT,
    Q_DOOR_UPDATE,
    Q_DOOR_GET,
    Q_DOOR_FIND,
    Q_DOOR_LIST,
    Q_CAL_INSERT,
    Q_CAL_FIND,
    Q_CAL_LIST,
    Q_CAL_GET,
    Q_CAL_UPDATE,
    Q_HOLIDAY_INSERT,
    Q_HOLIDAY_LIST,
    Q_HOLIDAY_REMOVE,
    Q_SCHED_INSERT,
    Q_SCHED_UPDATE,
    Q_SCHED_GET,
    Q_SCHED_FIND,
    Q_SCHED_LIST,
    Q_SCHED_IV_DELETE,
    Q_SCHED_IV_INSERT,
    Q_SCHED_IV_GET,
    Q_LEVEL_INSERT,
    Q_LEVEL_GET,
    Q_LEVEL_FIND,
    Q_LEVEL_LIST,
    Q_LEVEL_UPDATE,
    Q_LEVEL_DOOR_SET,
    Q_LEVEL_DOOR_REMOVE,
    Q_LEVEL_DOOR_LIST,
    Q_DEPT_INSERT,
    Q_DEPT_GET,
    Q_DEPT_FIND,
    Q_DEPT_LIST,
    Q_DEPT_UPDATE,
    Q_PERSON_INSERT,
    Q_PERSON_UPDATE,
    Q_PERSON_GET,
    Q_PERSON_FIND,
    Q_PERSON_LIST,
    Q_PERSON_COUNT,
    Q_CRED_INSERT,
    Q_CRED_UPDATE,
    Q_CRED_GET,
    Q_CRED_FIND,
    Q_CRED_LIST,
    Q_CRED_LIST_PERSON,
    Q_CRED_REVOKE_PERSON,
    Q_ASSIGN_SET,
    Q_ASSIGN_REMOVE,
    Q_ASSIGN_LIST,
    Q_REVIEW_OPEN,
    Q_REVIEW_COUNT,
    Q_EVENT_APPEND,
    Q_EVENT_QUERY,
    Q_EVENT_QUERY_PERSON,
    Q_EVENT_QUERY_DOOR,
    Q_EVENT_LAST,
    Q_DATA_VERSION,
    Q_TOKEN_INSERT,
    Q_TOKEN_BY_HASH,
    Q_TOKEN_FIND,
    Q_TOKEN_LIST,
    Q_TOKEN_REVOKE,
    Q_USER_INSERT,
    Q_USER_GET,
    Q_USER_FIND,
    Q_USER_LIST,
    Q_USER_UPDATE,
    Q_USER_TOTP,
    Q_SETUP_INSERT,
    Q_SETUP_USE,
    Q_RECOVERY_CLEAR,
    Q_RECOVERY_ADD,
    Q_RECOVERY_USE,
    Q_RECOVERY_LEFT,
    Q_SESSION_INSERT,
    Q_SESSION_BY_HASH,
    Q_SESSION_TOUCH,
    Q_SESSION_END,
    Q_SESSION_END_USER,
    Q_SESSION_LIST_USER,
    Q_THROTTLE_GET,
    Q_THROTTLE_SET,
    Q_THROTTLE_CLEAR,
    Q_USER_FIND_EXTERNAL,
    Q_OIDC_USED_PURGE,
    Q_OIDC_USED_INSERT,
    Q_CTRL_INSERT,
    Q_CTRL_GET,
    Q_CTRL_FIND,
    Q_CTRL_LIST,
    Q_CTRL_SET_ENROLL,
    Q_CTRL_BY_ENROLL,
    Q_CTRL_KEY_INSERT,
    Q_CTRL_ENROLLED,
    Q_CTRL_SEEN,
    Q_CTRL_HEALTH,
    Q_CDOOR_SET,
    Q_CDOOR_REMOVE,
    Q_CDOOR_LIST,
    Q_EDGE_ACKED,
    Q_CDOOR_OWNER,
    Q_AUDIT_SIZE,
    Q_AUDIT_ENTRY_PUT,
    Q_AUDIT_ENTRY_GET,
    Q_AUDIT_ENTRY_LIST,
    Q_AUDIT_NODE_PUT,
    Q_AUDIT_NODE_GET,
    Q_AUDIT_LEAF_RANGE,
    Q_AUDIT_HEAD_PUT,
    Q_AUDIT_HEAD_LATEST,
    Q_AUDIT_HEAD_LIST,
    Q_DELETE_FIRST,
    Q_DELETE_LAST = Q_DELETE_FIRST + ST_TABLE_COUNT - 1,
    Q_COUNT
};

#define AREA_COLS "id, site_id, parent_id, name, apb, locked_down"
#define DOOR_COLS                                                                                  \
    "id, site_id, name, from_area_id, to_area_id, mode, unlock_schedule_id, unlock_ms, "           \
    "held_open_s, fail, escort_required, entry_reader, exit_reader, x_m, y_m"
#define PERSON_COLS                                                                                \
    "id, employee_id, first_name, last_name, email, department_id, title, manager_id, "            \
    "kind, status, valid_from, valid_until"
#define CRED_COLS                                                                                  \
    "id, person_id, format, facility, number, status, valid_from, valid_until, pin_hash"
#define TOKEN_COLS "id, name, token_hash, scopes, created_us, expires_us, revoked_us, user_id"
#define SESSION_COLS                                                                               \
    "id, id_hash, user_id, csrf, address, created_us, last_seen_us, expires_us, ended_us"
#define USER_COLS                                                                                  \
    "id, name, display_name, email, source, roles, password_hash, password_changed_us, "           \
    "disabled_us, created_us, updated_us, totp_secret, totp_pending, totp_last_step, external_id"
#define CTRL_COLS                                                                                  \
    "c.id, c.name, c.key_id, k.public_key, c.enroll_expires_us, c.created_us, c.last_seen_us, "    \
    "c.health, c.applied_version, c.applied_us, c.lag_ms FROM controllers c "                      \
    "LEFT JOIN controller_keys k ON k.id = c.key_id"
#define EVENT_COLS                                                                                 \
    "seq, time_us, type, door_id, person_id, credential_id, decision, reason, payload, source, "   \
    "source_seq"

static const char *const sql_text[Q_COUNT] = {
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [Q_POLICY_VERSION] = "SELECT version FROM policy_version WHERE id = 1",
    [Q_SITE_INSERT] = "INSERT INTO sites (name, timezone) VALUES (?1, ?2)",
    [Q_SITE_GET] = "SELECT id, name, timezone FROM sites WHERE id = ?1",
    [Q_SITE_FIND] = "SELECT id, name, timezone FROM sites WHERE name = ?1",
    [Q_SITE_LIST] = "SELECT id, name, timezone FROM sites ORDER BY id",
    [Q_SITE_UPDATE] = "UPDATE sites SET name = ?2, timezone = ?3 WHERE id = ?1",
    [Q_AREA_INSERT] = "INSERT INTO areas (site_id, parent_id, name, apb, locked_down) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_AREA_UPDATE] = "UPDATE areas SET site_id = ?2, parent_id = ?3, name = ?4, apb = ?5, "
                      "locked_down = ?6 WHERE id = ?1",
    [Q_AREA_GET] = "SELECT " AREA_COLS " FROM areas WHERE id = ?1",
    [Q_AREA_FIND] = "SELECT " AREA_COLS " FROM areas WHERE name = ?1",
    [Q_AREA_LIST] = "SELECT " AREA_COLS " FROM areas ORDER BY id",
    [Q_DOOR_INSERT] = "INSERT INTO doors (site_id, name, from_area_id, to_area_id, mode, "
                      "unlock_schedule_id, unlock_ms, held_open_s, fail, escort_required, "
                      "entry_reader, exit_reader, x_m, y_m) "
                      "VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [Q_DOOR_UPDATE] = "UPDATE doors SET site_id = ?2, name = ?3, from_area_id = ?4, "
                      "to_area_id = ?5, mode = ?6, unlock_schedule_id = ?7, unlock_ms = ?8, "
                      "held_open_s = ?9, fail = ?10, escort_required = ?11, "
                      "entry_reader = ?12, exit_reader = ?13, x_m = ?14, y_m = ?15 "
                      "WHERE id = ?1",
    [Q_DOOR_GET] = "SELECT " DOOR_COLS " FROM doors WHERE id = ?1",
    [Q_DOOR_FIND] = "SELECT " DOOR_COLS " FROM doors WHERE name = ?1",
    [Q_DOOR_LIST] = "SELECT " DOOR_COLS " FROM doors ORDER BY id",
    [Q_CAL_INSERT] = "INSERT INTO holiday_calendars (name) VALUES (?1)",
    [Q_CAL_FIND] = "SELECT id, name FROM holiday_calendars WHERE name = ?1",
    [Q_CAL_LIST] = "SELECT id, name FROM holiday_calendars ORDER BY id",
    [Q_CAL_GET] = "SELECT id, name FROM holiday_calendars WHERE id = ?1",
    [Q_CAL_UPDATE] = "UPDATE holiday_calendars SET name = ?2 WHERE id = ?1",
    [Q_HOLIDAY_INSERT] = "INSERT INTO holidays (calendar_id, day, name) VALUES (?1, ?2, ?3)",
    [Q_HOLIDAY_LIST] = "SELECT calendar_id, day, name FROM holidays ORDER BY calendar_id, day",
    [Q_HOLIDAY_REMOVE] = "DELETE FROM holidays WHERE calendar_id = ?1 AND day = ?2",
    [Q_SCHED_INSERT] = "INSERT INTO schedules (name, calendar_id) VALUES (?1, ?2)",
    [Q_SCHED_UPDATE] = "UPDATE schedules SET name = ?2, calendar_id = ?3 WHERE id = ?1",
    [Q_SCHED_GET] = "SELECT id, name, calendar_id FROM schedules WHERE id = ?1",
    [Q_SCHED_FIND] = "SELECT id, name, calendar_id FROM schedules WHERE name = ?1",
    [Q_SCHED_LIST] = "SELECT id, name, calendar_id FROM schedules ORDER BY id",
    [Q_SCHED_IV_DELETE] = "DELETE FROM schedule_intervals WHERE schedule_id = ?1",
    [Q_SCHED_IV_INSERT] = "INSERT INTO schedule_intervals (schedule_id, idx, days, start_min, "
                          "end_min) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_SCHED_IV_GET] = "SELECT days, start_min, end_min FROM schedule_intervals "
                       "WHERE schedule_id = ?1 ORDER BY idx",
    [Q_LEVEL_INSERT] = "INSERT INTO access_levels (name) VALUES (?1)",
    [Q_LEVEL_GET] = "SELECT id, name FROM access_levels WHERE id = ?1",
    [Q_LEVEL_FIND] = "SELECT id, name FROM access_levels WHERE name = ?1",
    [Q_LEVEL_LIST] = "SELECT id, name FROM access_levels ORDER BY id",
    [Q_LEVEL_UPDATE] = "UPDATE access_levels SET name = ?2 WHERE id = ?1",
    [Q_LEVEL_DOOR_SET] = "INSERT INTO level_doors (level_id, door_id, schedule_id) "
                         "VALUES (?1, ?2, ?3) ON CONFLICT (level_id, door_id) "
                         "DO UPDATE SET schedule_id = excluded.schedule_id",
    [Q_LEVEL_DOOR_REMOVE] = "DELETE FROM level_doors WHERE level_id = ?1 AND door_id = ?2",
    [Q_LEVEL_DOOR_LIST] = "SELECT level_id, door_id, schedule_id FROM level_doors "
                          "ORDER BY level_id, door_id",
    [Q_DEPT_INSERT] = "INSERT INTO departments (name) VALUES (?1)",
    [Q_DEPT_GET] = "SELECT id, name FROM departments WHERE id = ?1",
    [Q_DEPT_FIND] = "SELECT id, name FROM departments WHERE name = ?1",
    [Q_DEPT_LIST] = "SELECT id, name FROM departments ORDER BY id",
    [Q_DEPT_UPDATE] = "UPDATE departments SET name = ?2 WHERE id = ?1",
    [Q_PERSON_INSERT] = "INSERT INTO people (employee_id, first_name, last_name, email, "
                        "department_id, title, manager_id, kind, status, valid_from, "
                        "valid_until) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [Q_PERSON_UPDATE] = "UPDATE people SET employee_id = ?2, first_name = ?3, last_name = ?4, "
                        "email = ?5, department_id = ?6, title = ?7, manager_id = ?8, "
                        "kind = ?9, status = ?10, valid_from = ?11, valid_until = ?12 "
                        "WHERE id = ?1",
    [Q_PERSON_GET] = "SELECT " PERSON_COLS " FROM people WHERE id = ?1",
    [Q_PERSON_FIND] = "SELECT " PERSON_COLS " FROM people WHERE employee_id = ?1",
    [Q_PERSON_LIST] = "SELECT " PERSON_COLS " FROM people ORDER BY id",
    [Q_PERSON_COUNT] = "SELECT count(*) FROM people",
    [Q_CRED_INSERT] = "INSERT INTO credentials (person_id, format, facility, number, status, "
                      "valid_from, valid_until, pin_hash) "
                      "VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_CRED_UPDATE] = "UPDATE credentials SET person_id = ?2, format = ?3, facility = ?4, "
                      "number = ?5, status = ?6, valid_from = ?7, valid_until = ?8, "
                      "pin_hash = ?9 WHERE id = ?1",
    [Q_CRED_GET] = "SELECT " CRED_COLS " FROM credentials WHERE id = ?1",
    [Q_CRED_FIND] = "SELECT " CRED_COLS " FROM credentials "
                    "WHERE format = ?1 AND facility = ?2 AND number = ?3",
    [Q_CRED_LIST] = "SELECT " CRED_COLS " FROM credentials ORDER BY id",
    [Q_CRED_LIST_PERSON] = "SELECT " CRED_COLS " FROM credentials WHERE person_id = ?1 "
                           "ORDER BY id",
    [Q_CRED_REVOKE_PERSON] = "UPDATE credentials SET status = ?2 "
                             "WHERE person_id = ?1 AND status IN (0, 1)",
    [Q_ASSIGN_SET] = "INSERT INTO assignments (person_id, level_id, expires) "
                     "VALUES (?1, ?2, ?3) ON CONFLICT (person_id, level_id) "
                     "DO UPDATE SET expires = excluded.expires RETURNING id",
    [Q_ASSIGN_REMOVE] = "DELETE FROM assignments WHERE person_id = ?1 AND level_id = ?2",
    [Q_ASSIGN_LIST] = "SELECT id, person_id, level_id, expires FROM assignments ORDER BY id",
    [Q_REVIEW_OPEN] = "INSERT INTO access_reviews (person_id, reason, opened_us) "
                      "VALUES (?1, ?2, ?3)",
    [Q_REVIEW_COUNT] = "SELECT count(*) FROM access_reviews WHERE closed_us IS NULL",
    [Q_EVENT_APPEND] = "INSERT INTO events (time_us, type, door_id, person_id, credential_id, "
                       "decision, reason, payload, source, source_seq) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                       "ON CONFLICT (source, source_seq) WHERE source IS NOT NULL DO NOTHING",
    [Q_EVENT_QUERY] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 AND seq <= ?11 "
                      "AND time_us >= ?2 AND time_us < ?3 "
                      "AND (?6 = 0 OR credential_id = ?6) AND (?7 < 0 OR type = ?7) "
                      "AND (?8 < 0 OR decision = ?8) AND (?12 = 0 OR ((1 << type) & ?12) != 0) "
                      "ORDER BY seq LIMIT ?9",
    /* one bucket of offsets (see STORE_EVENT_BUCKET_BITS) for a person or a door */
    [Q_EVENT_QUERY_PERSON] = "SELECT " EVENT_COLS " FROM events WHERE (seq >> 14) = ?10 "
                             "AND person_id = ?4 AND seq > ?1 AND seq <= ?11 AND time_us >= ?2 "
                             "AND time_us < ?3 AND (?5 = 0 OR door_id = ?5) "
                             "AND (?6 = 0 OR credential_id = ?6) AND (?7 < 0 OR type = ?7) "
                             "AND (?8 < 0 OR decision = ?8) "
                             "AND (?12 = 0 OR ((1 << type) & ?12) != 0) ORDER BY seq LIMIT ?9",
    [Q_EVENT_QUERY_DOOR] = "SELECT " EVENT_COLS " FROM events WHERE (seq >> 14) = ?10 "
                           "AND door_id = ?5 AND seq > ?1 AND seq <= ?11 AND time_us >= ?2 "
                           "AND time_us < ?3 AND (?6 = 0 OR credential_id = ?6) "
                           "AND (?7 < 0 OR type = ?7) AND (?8 < 0 OR decision = ?8) "
                           "AND (?12 = 0 OR ((1 << type) & ?12) != 0) ORDER BY seq LIMIT ?9",
    [Q_EVENT_LAST] = "SELECT coalesce(max(seq), 0) FROM events",
    [Q_DATA_VERSION] = "PRAGMA data_version",
    [Q_TOKEN_INSERT] = "INSERT INTO api_tokens (name, token_hash, scopes, created_us, expires_us, "
                       "user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_TOKEN_BY_HASH] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE token_hash = ?1",
    [Q_TOKEN_FIND] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE name = ?1",
    [Q_TOKEN_LIST] = "SELECT " TOKEN_COLS " FROM api_tokens ORDER BY id",
    [Q_TOKEN_REVOKE] = "UPDATE api_tokens SET revoked_us = ?2 WHERE id = ?1 AND revoked_us IS NULL",
    [Q_USER_INSERT] = "INSERT INTO users (name, display_name, email, source, roles, password_hash, "
                      "password_changed_us, disabled_us, created_us, updated_us, external_id) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12)",
    [Q_USER_TOTP] = "UPDATE users SET totp_secret = ?2, totp_pending = ?3, totp_last_step = ?4 "
                    "WHERE id = ?1",
    [Q_SETUP_INSERT] = "INSERT INTO setup_tokens (token_hash, created_us, expires_us) "
                       "VALUES (?1, ?2, ?3)",
    [Q_SETUP_USE] = "UPDATE setup_tokens SET used_us = ?2 WHERE token_hash = ?1 AND used_us IS "
                    "NULL AND expires_us > ?2",
    [Q_RECOVERY_CLEAR] = "DELETE FROM recovery_codes WHERE user_id = ?1",
    [Q_RECOVERY_ADD] = "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)",
    [Q_RECOVERY_USE] = "UPDATE recovery_codes SET used_us = ?3 WHERE id = (SELECT id FROM "
                       "recovery_codes WHERE user_id = ?1 AND code_hash = ?2 AND used_us IS NULL "
                       "LIMIT 1)",
    [Q_RECOVERY_LEFT] =
        "SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_us IS NULL",
    [Q_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
    [Q_USER_FIND] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
    [Q_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY id",
    [Q_USER_UPDATE] = "UPDATE users SET name = ?1, display_name = ?2, email = ?3, source = ?4, "
                      "roles = ?5, password_hash = ?6, password_changed_us = ?7, disabled_us = ?8, "
                      "updated_us = ?10, external_id = ?12 WHERE id = ?11",
    [Q_SESSION_INSERT] = "INSERT INTO sessions (id_hash, user_id, csrf, address, created_us, "
                         "last_seen_us, expires_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_SESSION_BY_HASH] = "SELECT " SESSION_COLS " FROM sessions WHERE id_hash = ?1",
    [Q_SESSION_TOUCH] = "UPDATE sessions SET last_seen_us = ?2 WHERE id = ?1",
    [Q_SESSION_END] = "UPDATE sessions SET ended_us = ?2 WHERE id = ?1 AND ended_us IS NULL",
    [Q_SESSION_END_USER] =
        "UPDATE sessions SET ended_us = ?2 WHERE user_id = ?1 AND ended_us IS NULL",
    [Q_SESSION_LIST_USER] = "SELECT " SESSION_COLS " FROM sessions WHERE user_id = ?1 AND "
                            "ended_us IS NULL AND expires_us > ?2 ORDER BY id",
    [Q_THROTTLE_GET] = "SELECT failures, last_failure_us, blocked_until_us FROM login_throttle "
                       "WHERE key = ?1",
    [Q_THROTTLE_SET] = "INSERT INTO login_throttle (key, failures, last_failure_us, "
                       "blocked_until_us) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE "
                       "SET failures = ?2, last_failure_us = ?3, blocked_until_us = ?4",
    [Q_THROTTLE_CLEAR] = "DELETE FROM login_throttle WHERE key = ?1",
    [Q_USER_FIND_EXTERNAL] = "SELECT " USER_COLS " FROM users WHERE source = ?1 AND "
                             "external_id = ?2",
    [Q_OIDC_USED_PURGE] = "DELETE FROM oidc_used_states WHERE expires_us <= ?1",
    [Q_OIDC_USED_INSERT] = "INSERT INTO oidc_used_states (state_hash, expires_us) VALUES (?1, ?2)",
    [Q_CTRL_INSERT] = "INSERT INTO controllers (name, created_us) VALUES (?1, ?2)",
    [Q_CTRL_GET] = "SELECT " CTRL_COLS " WHERE c.id = ?1",
    [Q_CTRL_FIND] = "SELECT " CTRL_COLS " WHERE c.name = ?1",
    [Q_CTRL_LIST] = "SELECT " CTRL_COLS " ORDER BY c.id",
    [Q_CTRL_SET_ENROLL] = "UPDATE controllers SET enroll_hash = ?2, enroll_expires_us = ?3 "
                          "WHERE id = ?1",
    [Q_CTRL_BY_ENROLL] = "SELECT " CTRL_COLS " WHERE c.enroll_hash = ?1",
    [Q_CTRL_KEY_INSERT] = "INSERT INTO controller_keys (controller_id, public_key, created_us) "
                          "VALUES (?1, ?2, ?3)",
    [Q_CTRL_ENROLLED] = "UPDATE controllers SET key_id = ?2, enroll_hash = NULL, "
                        "enroll_expires_us = NULL WHERE id = ?1",
    [Q_CTRL_SEEN] = "UPDATE controllers SET last_seen_us = ?2 WHERE id = ?1",
    [Q_CTRL_HEALTH] = "UPDATE controllers SET last_seen_us = ?2, health = ?3, "
                      "applied_us = CASE WHEN applied_version = ?4 THEN applied_us ELSE ?2 END, "
                      "lag_ms = CASE WHEN applied_version = ?4 THEN lag_ms ELSE ?5 END, "
                      "applied_version = ?4 WHERE id = ?1",
    [Q_CDOOR_SET] = "INSERT INTO controller_doors (controller_id, door_id, offline_pin_after_s, "
                    "offline_deny_after_s) VALUES (?1, ?2, ?3, ?4) "
                    "ON CONFLICT (controller_id, door_id) DO UPDATE SET "
                    "offline_pin_after_s = excluded.offline_pin_after_s, "
                    "offline_deny_after_s = excluded.offline_deny_after_s",
    [Q_CDOOR_REMOVE] = "DELETE FROM controller_doors WHERE controller_id = ?1 AND door_id = ?2",
    [Q_CDOOR_LIST] = "SELECT controller_id, door_id, offline_pin_after_s, offline_deny_after_s "
                     "FROM controller_doors WHERE ?1 = 0 OR controller_id = ?1 "
                     "ORDER BY controller_id, door_id",
    [Q_AUDIT_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM audit_entries",
    [Q_AUDIT_ENTRY_PUT] = "INSERT INTO audit_entries (idx, time_us, entry) VALUES (?1, ?2, ?3)",
    [Q_AUDIT_ENTRY_GET] = "SELECT time_us, entry FROM audit_entries WHERE idx = ?1",
    [Q_AUDIT_ENTRY_LIST] = "SELECT idx, time_us, entry FROM audit_entries WHERE idx >= ?1 "
                           "ORDER BY idx",
    [Q_AUDIT_NODE_PUT] = "INSERT INTO audit_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
    [Q_AUDIT_NODE_GET] = "SELECT hash FROM audit_nodes WHERE level = ?1 AND idx = ?2",
    [Q_AUDIT_LEAF_RANGE] = "SELECT idx, hash FROM audit_nodes WHERE level = 0 AND idx >= ?1 "
                           "AND idx < ?2 ORDER BY idx",
    [Q_AUDIT_HEAD_PUT] = "INSERT INTO audit_heads (size, time_us, root, signature) "
                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (size) DO NOTHING",
    [Q_AUDIT_HEAD_LATEST] = "SELECT size, time_us, root, signature FROM audit_heads "
                            "ORDER BY size DESC LIMIT 1",
    [Q_AUDIT_HEAD_LIST] = "SELECT size, time_us, root, signature FROM audit_heads ORDER BY size",
    [Q_CDOOR_OWNER] = "SELECT controller_id FROM controller_doors WHERE door_id = ?1",
    [Q_EDGE_ACKED] = "SELECT coalesce(max(source_seq), 0) FROM events WHERE source = ?1",
    [Q_DELETE_FIRST + ST_SITE] = "DELETE FROM sites WHERE id = ?1",
    [Q_DELETE_FIRST + ST_AREA] = "DELETE FROM areas WHERE id = ?1",
    [Q_DELETE_FIRST + ST_DOOR] = "DELETE FROM doors WHERE id = ?1",
    [Q_DELETE_FIRST + ST_SCHEDULE] = "DELETE FROM schedules WHERE id = ?1",
    [Q_DELETE_FIRST + ST_CALENDAR] = "DELETE FROM holiday_calendars WHERE id = ?1",
    [Q_DELETE_FIRST + ST_LEVEL] = "DELETE FROM access_levels WHERE id = ?1",
    [Q_DELETE_FIRST + ST_DEPARTMENT] = "DELETE FROM departments WHERE id = ?1",
    [Q_DELETE_FIRST + ST_PERSON] = "DELETE FROM people WHERE id = ?1",
    [Q_DELETE_FIRST + ST_CREDENTIAL] = "DELETE FROM credentials WHERE id = ?1",
    [Q_DELETE_FIRST + ST_CONTROLLER] = "DELETE FROM controllers WHERE id = ?1",
};

struct store {
    struct store_conn c; /* first: changes.c sees only this part */
    sqlite3_stmt *stmts[Q_COUNT];
    sqlite3_stmt *ext[STORE_EXT_STMTS]; /* the other files' statements (store_int.h) */
};

const char *store_errmsg(struct store *st)
{
    return st && st->c.db ? sqlite3_errmsg(st->c.db) : "no database";
}

const char *store_path(const struct store *st)
{
    return st->c.path;
}

/* The cached statement for q, reset and unbound; NULL (logged) if it does not prepare. */
static sqlite3_stmt *stmt(struct store *st, enum sql_id q)
{
    sqlite3_stmt *s = st->stmts[q];
    if (s == NULL) {
        int rc = sqlite3_prepare_v3(st->c.db, sql_text[q], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (rc != SQLITE_OK) {
            log_error("preparing statement %d: %s", (int)q, sqlite3_errmsg(st->c.db));
            return NULL;
        }
        st->stmts[q] = s;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

sqlite3_stmt *store_ext_stmt(struct store *st, int slot, const char *sql)
{
    sqlite3_stmt *s;
    if (slot < 0 || slot >= STORE_EXT_STMTS) {
        log_error("statement slot %d is out of range", slot);
        return NULL;
    }
    s = st->ext[slot];
    if (s == NULL) {
        int rc = sqlite3_prepare_v3(st->c.db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
        if (rc != SQLITE_OK) {
            log_error("preparing statement %d: %s", slot, sqlite3_errmsg(st->c.db));
            return NULL;
        }
        st->ext[slot] = s;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

sqlite3 *store_db(struct store *st)
{
    return st->c.db;
}

/* Maps a failed step to a code and a sentence naming `what` (e.g. "site 'HQ'"). */
static int step_error(struct store *st, int rc, struct gh_err *err, const char *what)
{
    int ext = sqlite3_extended_errcode(st->c.db);
    rc &= 0xff; /* extended result codes are on: compare the primary code */
    if (rc == SQLITE_CONSTRAINT) {
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return gh_fail(err, -EEXIST, "%s already exists", what);
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
            return gh_fail(err, -EINVAL, "%s refers to something that does not exist", what);
        return gh_fail(err, -EINVAL, "%s: %s", what, sqlite3_errmsg(st->c.db));
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return gh_fail(err, -EBUSY, "%s: database is busy", what);
    return gh_fail(err, -EIO, "%s: %s", what, sqlite3_errmsg(st->c.db));
}

int store_step_error(struct store *st, int rc, struct gh_err *err, const char *what)
{
    return step_error(st, rc, err, what);
}

/* Runs a statement that returns no rows. */
int store_exec_stmt(struct store *st, sqlite3_stmt *s, struct gh_err *err, const char *what)
{
    int rc;
    if (s == NULL)
        return gh_fail(err, -EIO, "%s: statement failed to prepare", what);
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        int r = step_error(st, rc, err, what);
        sqlite3_reset(s);
        return r;
    }
    sqlite3_reset(s);
    return 0;
}

static int exec_sql(struct store *st, const char *sql, struct gh_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->c.db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int r = gh_fail(err, -EIO, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return r;
    }
    return 0;
}

/* Binds an optional time bound: GH_TIME_MIN / GH_TIME_MAX are NULL. */
static void bind_time(sqlite3_stmt *s, int i, int64_t v)
{
    if (v == GH_TIME_MIN || v == GH_TIME_MAX)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, v);
}

static int64_t col_time(sqlite3_stmt *s, int i, int64_t if_null)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? if_null : sqlite3_column_int64(s, i);
}

/* ---- open, migrate, close ------------------------------------------------------------ */

int store_schema_latest(void)
{
    int v = 0;
    for (int i = 0; i < store_migration_count; i++)
        if (store_migrations[i].version > v)
            v = store_migrations[i].version;
    return v;
}

int store_schema_version(struct store *st)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(st->c.db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int migrate(struct store *st, struct gh_err *err)
{
    int have = store_schema_version(st);
    int latest = store_schema_latest();
    int r;

    if (have < 0)
        return gh_fail(err, -EIO, "%s: cannot read the schema version: %s", st->c.path,
                       sqlite3_errmsg(st->c.db));
    if (have > latest)
        return gh_fail(err, -EPROTO,
                       "%s: database schema version %d is newer than this gatehouse knows "
                       "(%d); use a newer gatehouse or restore a backup",
                       st->c.path, have, latest);
    for (int i = 0; i < store_migration_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        char pragma[64];
        if (m->version <= have)
            continue;
        r = exec_sql(st, "BEGIN IMMEDIATE", err);
        if (r < 0)
            return r;
        /* another process may have migrated while we waited for the write lock */
        if (store_schema_version(st) >= m->version) {
            exec_sql(st, "ROLLBACK", NULL);
            continue;
        }
        r = exec_sql(st, m->sql, err);
        if (r == 0) {
            snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
            r = exec_sql(st, pragma, err);
        }
        if (r == 0)
            r = exec_sql(st, "COMMIT", err);
        if (r < 0) {
            sqlite3_exec(st->c.db, "ROLLBACK", NULL, NULL, NULL);
            gh_err_prefix(err, "%s: migration %04d_%s", st->c.path, m->version, m->name);
            return r;
        }
        log_info("%s: applied migration %04d_%s", st->c.path, m->version, m->name);
    }
    return 0;
}

int store_open(const char *path, unsigned flags, struct store **out, struct gh_err *err)
{
    struct store *st = xcalloc(1, sizeof(*st));
    int oflags = SQLITE_OPEN_NOMUTEX;
    int rc, r;

    st->c.path = xstrdup(path);
    if (flags & STORE_READONLY)
        oflags |= SQLITE_OPEN_READONLY;
    else
        oflags |= SQLITE_OPEN_READWRITE | ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
    rc = sqlite3_open_v2(path, &st->c.db, oflags, NULL);
    if (rc != SQLITE_OK) {
        r = gh_fail(err, rc == SQLITE_CANTOPEN ? -ENOENT : -EIO, "%s: cannot open: %s", path,
                    st->c.db ? sqlite3_errmsg(st->c.db) : sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_extended_result_codes(st->c.db, 1);
    sqlite3_busy_timeout(st->c.db, 10000);
    if (!(flags & STORE_READONLY)) {
        r = exec_sql(st, "PRAGMA journal_mode = WAL", err);
        if (r < 0)
            goto out;
    }
    /* cache_size: SQLite's default page cache is 2 MB. Events (events_person) and cards
     * (the credentials unique index) are inserted in random key order, so a large write
     * transaction outgrows 2 MB at once; SQLite then spills dirty pages to the WAL and
     * reads them back one syscall each. Up to 64 MiB (allocated only as pages are used)
     * made the ingest pipeline ~30% faster and a 1M-person policy load 167 s -> 60 s
     * (bench/, docs/benchmarks.md). */
    r = exec_sql(st,
                 (flags & STORE_DURABLE) ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
                                           "PRAGMA cache_size = -65536"
                                         : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                                           "PRAGMA cache_size = -65536",
                 err);
    if (r < 0)
        goto out;
    if (flags & STORE_READONLY) {
        int have = store_schema_version(st);
        if (have != store_schema_latest()) {
            r = gh_fail(err, -EPROTO, "%s: schema version %d, this gatehouse expects %d", path,
                        have, store_schema_latest());
            goto out;
        }
    } else {
        r = migrate(st, err);
        if (r < 0)
            goto out;
    }
    *out = st;
    st = NULL; /* transferred */
    r = 0;
out:
    store_close(st);
    return r;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(st->stmts[i]);
    for (int i = 0; i < STORE_EXT_STMTS; i++)
        sqlite3_finalize(st->ext[i]);
    store_changes_stop(&st->c);
    sqlite3_close(st->c.db);
    free(st->c.path);
    free(st);
}

bool store_in_transaction(struct store *st)
{
    return !sqlite3_get_autocommit(st->c.db);
}

int store_begin_read(struct store *st)
{
    return exec_sql(st, "BEGIN DEFERRED", NULL);
}

int store_begin_write(struct store *st)
{
    int r = exec_sql(st, "BEGIN IMMEDIATE", NULL);
    if (r == 0 && (r = store_changes_start(&st->c)) < 0)
        store_rollback(st);
    return r;
}

int store_commit(struct store *st)
{
    int r = exec_sql(st, "COMMIT", NULL);
    if (r < 0)
        log_error("%s: commit failed: %s", st->c.path, sqlite3_errmsg(st->c.db));
    else
        store_changes_stop(&st->c);
    return r;
}

void store_rollback(struct store *st)
{
    store_changes_stop(&st->c);
    if (!sqlite3_get_autocommit(st->c.db))
        sqlite3_exec(st->c.db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- single values -------------------------------------------------------------------- */

/* Steps a one-row one-column integer query. */
static int query_int(struct store *st, sqlite3_stmt *s, int64_t *out)
{
    int rc;
    if (s == NULL)
        return -EIO;
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? -ENOENT : step_error(st, rc, NULL, "query");
    }
    *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int64_t store_policy_version(struct store *st)
{
    int64_t v = 0;
    if (query_int(st, stmt(st, Q_POLICY_VERSION), &v) < 0)
        return -1;
    return v;
}

int store_meta_get(struct store *st, const char *key, char *val, size_t len)
{
    sqlite3_stmt *s = stmt(st, Q_META_GET);
    int rc;
    if (s == NULL)
        return -EIO;
    bind_text(s, 1, key);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        col_text(s, 0, val, len);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_meta_set(struct store *st, const char *key, const char *val)
{
    sqlite3_stmt *s = stmt(st, Q_META_SET);
    if (s) {
        bind_text(s, 1, key);
        bind_text(s, 2, val);
    }
    return store_exec_stmt(st, s, NULL, "meta");
}

/* ---- generic get / list ---------------------------------------------------------------- */

typedef void (*row_reader)(struct store *st, sqlite3_stmt *s, void *row);
typedef int (*row_cb)(void *ctx, const void *row);

/* Steps s expecting at most one row; reads it with rd. -ENOENT when none. */
static int get_one(struct store *st, sqlite3_stmt *s, row_reader rd, void *row)
{
    int rc;
    if (s == NULL)
        return -EIO;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rd(st, s, row);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -ENOENT : step_error(st, rc, NULL, "read");
}

/* Steps s calling cb for each row (read into a scratch row of row_size bytes). */
static int list_rows(struct store *st, sqlite3_stmt *s, row_reader rd, size_t row_size, row_cb cb,
                     void *ctx)
{
    void *row;
    int rc, r = 0;
    if (s == NULL)
        return -EIO;
    row = xmalloc(row_size);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        rd(st, s, row);
        r = cb(ctx, row);
        if (r != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = step_error(st, rc, NULL, "list");
    sqlite3_reset(s);
    free(row);
    return r;
}

/* Typed callbacks are called through a small adapter so no function pointer is cast. */
#define LIST_ADAPTER(type, cbtype)                                                                 \
    struct type##_list_ctx {                                                                       \
        cbtype cb;                                                                                 \
        void *ctx;                                                                                 \
    };                                                                                             \
    static int type##_list_call(void *c, const void *row)                                          \
    {                                                                                              \
        struct type##_list_ctx *lc = c;                                                            \
        return lc->cb(lc->ctx, row);                                                               \
    }

/* Runs an insert, fills *id with the new row id. */
static int insert_row(struct store *st, sqlite3_stmt *s, int64_t *id, struct gh_err *err,
                      const char *what)
{
    int r = store_exec_stmt(st, s, err, what);
    if (r == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(st->c.db);
    return r;
}

/* Runs an update by id; -ENOENT when no row changed. */
static int update_row(struct store *st, sqlite3_stmt *s, struct gh_err *err, const char *what)
{
    int r = store_exec_stmt(st, s, err, what);
    if (r == 0 && sqlite3_changes(st->c.db) == 0)
        return gh_fail(err, -ENOENT, "%s does not exist", what);
    return r;
}

/* Renames a row of a table whose only field is its name (calendar, level, department). */
static int rename_row(struct store *st, enum sql_id q, int64_t id, const char *name,
                      struct gh_err *err, const char *kind)
{
    sqlite3_stmt *s = stmt(st, q);
    char what[MODEL_NAME_MAX + 32];
    snprintf(what, sizeof(what), "%s '%s'", kind, name);
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        bind_text(s, 2, name);
    }
    return update_row(st, s, err, what);
}

/* ---- sites ------------------------------------------------------------------------------ */

static void read_site(struct store *st, sqlite3_stmt *s, void *row)
{
    struct site *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
    col_text(s, 2, x->timezone, sizeof(x->timezone));
}
LIST_ADAPTER(site, store_site_cb)

int store_site_insert(struct store *st, struct site *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_SITE_INSERT);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "site '%s'", row->name);
    if (s) {
        bind_text(s, 1, row->name);
        bind_text(s, 2, row->timezone);
    }
    return insert_row(st, s, &row->id, err, what);
}

int store_site_get(struct store *st, int64_t id, struct site *out)
{
    sqlite3_stmt *s = stmt(st, Q_SITE_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_site, out);
}

int store_site_find(struct store *st, const char *name, struct site *out)
{
    sqlite3_stmt *s = stmt(st, Q_SITE_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_site, out);
}

int store_site_update(struct store *st, const struct site *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_SITE_UPDATE);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "site '%s'", row->name);
    if (s) {
        sqlite3_bind_int64(s, 1, row->id);
        bind_text(s, 2, row->name);
        bind_text(s, 3, row->timezone);
    }
    return update_row(st, s, err, what);
}

int store_site_list(struct store *st, store_site_cb cb, void *ctx)
{
    struct site_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_SITE_LIST), read_site, sizeof(struct site), site_list_call,
                     &lc);
}

/* ---- areas ------------------------------------------------------------------------------- */

static void read_area(struct store *st, sqlite3_stmt *s, void *row)
{
    struct area *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    x->site_id = sqlite3_column_int64(s, 1);
    x->parent_id = sqlite3_column_int64(s, 2);
    col_text(s, 3, x->name, sizeof(x->name));
    x->apb = (enum apb_mode)sqlite3_column_int(s, 4);
    x->locked_down = sqlite3_column_int(s, 5) != 0;
}
LIST_ADAPTER(area, store_area_cb)

static void bind_area(sqlite3_stmt *s, const struct area *row, int first)
{
    sqlite3_bind_int64(s, first, row->site_id);
    bind_ref(s, first + 1, row->parent_id);
    bind_text(s, first + 2, row->name);
    sqlite3_bind_int(s, first + 3, (int)row->apb);
    sqlite3_bind_int(s, first + 4, row->locked_down);
}

int store_area_insert(struct store *st, struct area *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_AREA_INSERT);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "area '%s'", row->name);
    if (s)
        bind_area(s, row, 1);
    return insert_row(st, s, &row->id, err, what);
}

int store_area_update(struct store *st, const struct area *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_AREA_UPDATE);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "area '%s'", row->name);
    if (s) {
        sqlite3_bind_int64(s, 1, row->id);
        bind_area(s, row, 2);
    }
    return update_row(st, s, err, what);
}

int store_area_get(struct store *st, int64_t id, struct area *out)
{
    sqlite3_stmt *s = stmt(st, Q_AREA_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_area, out);
}

int store_area_find(struct store *st, const char *name, struct area *out)
{
    sqlite3_stmt *s = stmt(st, Q_AREA_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_area, out);
}

int store_area_list(struct store *st, store_area_cb cb, void *ctx)
{
    struct area_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_AREA_LIST), read_area, sizeof(struct area), area_list_call,
                     &lc);
}

/* ---- doors ------------------------------------------------------------------------------- */

static void read_door(struct store *st, sqlite3_stmt *s, void *row)
{
    struct door *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    x->site_id = sqlite3_column_int64(s, 1);
    col_text(s, 2, x->name, sizeof(x->name));
    x->from_area_id = sqlite3_column_int64(s, 3);
    x->to_area_id = sqlite3_column_int64(s, 4);
    x->mode = (enum door_mode)sqlite3_column_int(s, 5);
    x->unlock_schedule_id = sqlite3_column_int64(s, 6);
    x->unlock_ms = sqlite3_column_int(s, 7);
    x->held_open_s = sqlite3_column_int(s, 8);
    x->fail = (enum door_fail)sqlite3_column_int(s, 9);
    x->escort_required = sqlite3_column_int(s, 10) != 0;
    x->has_entry_reader = sqlite3_column_int(s, 11) != 0;
    x->has_exit_reader = sqlite3_column_int(s, 12) != 0;
    x->has_position = sqlite3_column_type(s, 13) != SQLITE_NULL &&
                      sqlite3_column_type(s, 14) != SQLITE_NULL;
    x->x_m = x->has_position ? sqlite3_column_int(s, 13) : 0;
    x->y_m = x->has_position ? sqlite3_column_int(s, 14) : 0;
}
LIST_ADAPTER(door, store_door_cb)

static void bind_door(sqlite3_stmt *s, const struct door *row)
{
    sqlite3_bind_int64(s, 2, row->site_id);
    bind_text(s, 3, row->name);
    sqlite3_bind_int64(s, 4, row->from_area_id);
    sqlite3_bind_int64(s, 5, row->to_area_id);
    sqlite3_bind_int(s, 6, (int)row->mode);
    bind_ref(s, 7, row->unlock_schedule_id);
    sqlite3_bind_int(s, 8, row->unlock_ms);
    sqlite3_bind_int(s, 9, row->held_open_s);
    sqlite3_bind_int(s, 10, (int)row->fail);
    sqlite3_bind_int(s, 11, row->escort_required);
    sqlite3_bind_int(s, 12, row->has_entry_reader);
    sqlite3_bind_int(s, 13, row->has_exit_reader);
    if (row->has_position) {
        sqlite3_bind_int(s, 14, row->x_m);
        sqlite3_bind_int(s, 15, row->y_m);
    } else {
        sqlite3_bind_null(s, 14);
        sqlite3_bind_null(s, 15);
    }
}

int store_door_insert(struct store *st, struct door *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_DOOR_INSERT);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "door '%s'", row->name);
    if (s)
        bind_door(s, row);
    return insert_row(st, s, &row->id, err, what);
}

int store_door_update(struct store *st, const struct door *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_DOOR_UPDATE);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "door '%s'", row->name);
    if (s) {
        sqlite3_bind_int64(s, 1, row->id);
        bind_door(s, row);
    }
    return update_row(st, s, err, what);
}

int store_door_get(struct store *st, int64_t id, struct door *out)
{
    sqlite3_stmt *s = stmt(st, Q_DOOR_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_door, out);
}

int store_door_find(struct store *st, const char *name, struct door *out)
{
    sqlite3_stmt *s = stmt(st, Q_DOOR_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_door, out);
}

int store_door_list(struct store *st, store_door_cb cb, void *ctx)
{
    struct door_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_DOOR_LIST), read_door, sizeof(struct door), door_list_call,
                     &lc);
}

/* ---- holiday calendars and holidays --------------------------------------------------- */

static void read_calendar(struct store *st, sqlite3_stmt *s, void *row)
{
    struct holiday_calendar *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
}
LIST_ADAPTER(calendar, store_calendar_cb)

int store_calendar_insert(struct store *st, struct holiday_calendar *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_CAL_INSERT);
    char what[MODEL_NAME_MAX + 32];
    snprintf(what, sizeof(what), "holiday calendar '%s'", row->name);
    if (s)
        bind_text(s, 1, row->name);
    return insert_row(st, s, &row->id, err, what);
}

int store_calendar_find(struct store *st, const char *name, struct holiday_calendar *out)
{
    sqlite3_stmt *s = stmt(st, Q_CAL_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_calendar, out);
}

int store_calendar_get(struct store *st, int64_t id, struct holiday_calendar *out)
{
    sqlite3_stmt *s = stmt(st, Q_CAL_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_calendar, out);
}

int store_calendar_update(struct store *st, const struct holiday_calendar *row, struct gh_err *err)
{
    return rename_row(st, Q_CAL_UPDATE, row->id, row->name, err, "holiday calendar");
}

int store_calendar_list(struct store *st, store_calendar_cb cb, void *ctx)
{
    struct calendar_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_CAL_LIST), read_calendar, sizeof(struct holiday_calendar),
                     calendar_list_call, &lc);
}

static void read_holiday(struct store *st, sqlite3_stmt *s, void *row)
{
    struct holiday *x = row;
    (void)st;
    x->calendar_id = sqlite3_column_int64(s, 0);
    x->day = sqlite3_column_int64(s, 1);
    col_text(s, 2, x->name, sizeof(x->name));
}
LIST_ADAPTER(holiday, store_holiday_cb)

int store_holiday_insert(struct store *st, const struct holiday *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_HOLIDAY_INSERT);
    char what[MODEL_NAME_MAX + 32];
    snprintf(what, sizeof(what), "holiday '%s' on that day", row->name);
    if (s) {
        sqlite3_bind_int64(s, 1, row->calendar_id);
        sqlite3_bind_int64(s, 2, row->day);
        bind_text(s, 3, row->name);
    }
    return insert_row(st, s, NULL, err, what);
}

int store_holiday_list(struct store *st, store_holiday_cb cb, void *ctx)
{
    struct holiday_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_HOLIDAY_LIST), read_holiday, sizeof(struct holiday),
                     holiday_list_call, &lc);
}

int store_holiday_remove(struct store *st, int64_t calendar_id, int64_t day)
{
    sqlite3_stmt *s = stmt(st, Q_HOLIDAY_REMOVE);
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, calendar_id);
        sqlite3_bind_int64(s, 2, day);
    }
    r = store_exec_stmt(st, s, NULL, "holiday");
    if (r == 0 && sqlite3_changes(st->c.db) == 0)
        return -ENOENT;
    return r;
}

/* ---- schedules --------------------------------------------------------------------------- */

/* Reads the schedule row; its intervals come from a second statement. */
static void read_schedule(struct store *st, sqlite3_stmt *s, void *row)
{
    struct schedule *x = row;
    sqlite3_stmt *iv;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
    x->calendar_id = sqlite3_column_int64(s, 2);
    x->n_intervals = 0;
    iv = stmt(st, Q_SCHED_IV_GET);
    if (iv == NULL)
        return;
    sqlite3_bind_int64(iv, 1, x->id);
    while (sqlite3_step(iv) == SQLITE_ROW && x->n_intervals < SCHEDULE_MAX_INTERVALS) {
        struct sched_interval *i = &x->intervals[x->n_intervals++];
        i->days = (uint8_t)sqlite3_column_int(iv, 0);
        i->start_min = (uint16_t)sqlite3_column_int(iv, 1);
        i->end_min = (uint16_t)sqlite3_column_int(iv, 2);
    }
    sqlite3_reset(iv);
}
LIST_ADAPTER(schedule, store_schedule_cb)

static int write_intervals(struct store *st, const struct schedule *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_SCHED_IV_DELETE);
    int r;
    if (s)
        sqlite3_bind_int64(s, 1, row->id);
    r = store_exec_stmt(st, s, err, "schedule intervals");
    for (int i = 0; r == 0 && i < row->n_intervals; i++) {
        s = stmt(st, Q_SCHED_IV_INSERT);
        if (s) {
            sqlite3_bind_int64(s, 1, row->id);
            sqlite3_bind_int(s, 2, i);
            sqlite3_bind_int(s, 3, row->intervals[i].days);
            sqlite3_bind_int(s, 4, row->intervals[i].start_min);
            sqlite3_bind_int(s, 5, row->intervals[i].end_min);
        }
        r = store_exec_stmt(st, s, err, "schedule interval");
    }
    return r;
}

int store_schedule_insert(struct store *st, struct schedule *row, struct gh_err *err)
{
    sqlite3_stmt *s;
    char what[MODEL_NAME_MAX + 16];
    int r = model_check_schedule(row, err);
    if (r < 0)
        return r;
    snprintf(what, sizeof(what), "schedule '%s'", row->name);
    s = stmt(st, Q_SCHED_INSERT);
    if (s) {
        bind_text(s, 1, row->name);
        bind_ref(s, 2, row->calendar_id);
    }
    r = insert_row(st, s, &row->id, err, what);
    if (r == 0)
        r = write_intervals(st, row, err);
    return r;
}

int store_schedule_update(struct store *st, const struct schedule *row, struct gh_err *err)
{
    sqlite3_stmt *s;
    char what[MODEL_NAME_MAX + 16];
    int r = model_check_schedule(row, err);
    if (r < 0)
        return r;
    snprintf(what, sizeof(what), "schedule '%s'", row->name);
    s = stmt(st, Q_SCHED_UPDATE);
    if (s) {
        sqlite3_bind_int64(s, 1, row->id);
        bind_text(s, 2, row->name);
        bind_ref(s, 3, row->calendar_id);
    }
    r = update_row(st, s, err, what);
    if (r == 0)
        r = write_intervals(st, row, err);
    return r;
}

int store_schedule_get(struct store *st, int64_t id, struct schedule *out)
{
    sqlite3_stmt *s = stmt(st, Q_SCHED_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_schedule, out);
}

int store_schedule_find(struct store *st, const char *name, struct schedule *out)
{
    sqlite3_stmt *s = stmt(st, Q_SCHED_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_schedule, out);
}

int store_schedule_list(struct store *st, store_schedule_cb cb, void *ctx)
{
    struct schedule_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_SCHED_LIST), read_schedule, sizeof(struct schedule),
                     schedule_list_call, &lc);
}

/* ---- access levels and their doors ----------------------------------------------------- */

static void read_level(struct store *st, sqlite3_stmt *s, void *row)
{
    struct access_level *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
}
LIST_ADAPTER(level, store_level_cb)

int store_level_insert(struct store *st, struct access_level *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_LEVEL_INSERT);
    char what[MODEL_NAME_MAX + 24];
    snprintf(what, sizeof(what), "access level '%s'", row->name);
    if (s)
        bind_text(s, 1, row->name);
    return insert_row(st, s, &row->id, err, what);
}

int store_level_get(struct store *st, int64_t id, struct access_level *out)
{
    sqlite3_stmt *s = stmt(st, Q_LEVEL_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_level, out);
}

int store_level_update(struct store *st, const struct access_level *row, struct gh_err *err)
{
    return rename_row(st, Q_LEVEL_UPDATE, row->id, row->name, err, "access level");
}

int store_level_find(struct store *st, const char *name, struct access_level *out)
{
    sqlite3_stmt *s = stmt(st, Q_LEVEL_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_level, out);
}

int store_level_list(struct store *st, store_level_cb cb, void *ctx)
{
    struct level_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_LEVEL_LIST), read_level, sizeof(struct access_level),
                     level_list_call, &lc);
}

static void read_level_door(struct store *st, sqlite3_stmt *s, void *row)
{
    struct level_door *x = row;
    (void)st;
    x->level_id = sqlite3_column_int64(s, 0);
    x->door_id = sqlite3_column_int64(s, 1);
    x->schedule_id = sqlite3_column_int64(s, 2);
}
LIST_ADAPTER(level_door, store_level_door_cb)

int store_level_door_set(struct store *st, const struct level_door *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_LEVEL_DOOR_SET);
    if (s) {
        sqlite3_bind_int64(s, 1, row->level_id);
        sqlite3_bind_int64(s, 2, row->door_id);
        sqlite3_bind_int64(s, 3, row->schedule_id);
    }
    return store_exec_stmt(st, s, err, "access level door");
}

int store_level_door_remove(struct store *st, int64_t level_id, int64_t door_id)
{
    sqlite3_stmt *s = stmt(st, Q_LEVEL_DOOR_REMOVE);
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, level_id);
        sqlite3_bind_int64(s, 2, door_id);
    }
    r = store_exec_stmt(st, s, NULL, "access level door");
    if (r == 0 && sqlite3_changes(st->c.db) == 0)
        return -ENOENT;
    return r;
}

int store_level_door_list(struct store *st, store_level_door_cb cb, void *ctx)
{
    struct level_door_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_LEVEL_DOOR_LIST), read_level_door, sizeof(struct level_door),
                     level_door_list_call, &lc);
}

/* ---- departments ------------------------------------------------------------------------- */

static void read_department(struct store *st, sqlite3_stmt *s, void *row)
{
    struct department *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
}
LIST_ADAPTER(department, store_department_cb)

int store_department_insert(struct store *st, struct department *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_DEPT_INSERT);
    char what[MODEL_NAME_MAX + 24];
    snprintf(what, sizeof(what), "department '%s'", row->name);
    if (s)
        bind_text(s, 1, row->name);
    return insert_row(st, s, &row->id, err, what);
}

int store_department_get(struct store *st, int64_t id, struct department *out)
{
    sqlite3_stmt *s = stmt(st, Q_DEPT_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_department, out);
}

int store_department_update(struct store *st, const struct department *row, struct gh_err *err)
{
    return rename_row(st, Q_DEPT_UPDATE, row->id, row->name, err, "department");
}

int store_department_find(struct store *st, const char *name, struct department *out)
{
    sqlite3_stmt *s = stmt(st, Q_DEPT_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_department, out);
}

int store_department_list(struct store *st, store_department_cb cb, void *ctx)
{
    struct department_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_DEPT_LIST), read_department, sizeof(struct department),
                     department_list_call, &lc);
}

int store_department_ensure(struct store *st, const char *name, int64_t *id, struct gh_err *err)
{
    struct department d;
    int r = store_department_find(st, name, &d);
    if (r == -ENOENT) {
        memset(&d, 0, sizeof(d));
        gh_strlcpy(d.name, name, sizeof(d.name));
        r = store_department_insert(st, &d, err);
    }
    if (r == 0)
        *id = d.id;
    return r;
}

/* ---- people -------------------------------------------------------------------------------- */

static void read_person(struct store *st, sqlite3_stmt *s, void *row)
{
    struct person *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->employee_id, sizeof(x->employee_id));
    col_text(s, 2, x->first_name, sizeof(x->first_name));
    col_text(s, 3, x->last_name, sizeof(x->last_name));
    col_text(s, 4, x->email, sizeof(x->email));
    x->department_id = sqlite3_column_int64(s, 5);
    col_text(s, 6, x->title, sizeof(x->title));
    x->manager_id = sqlite3_column_int64(s, 7);
    x->kind = (enum person_kind)sqlite3_column_int(s, 8);
    x->status = (enum person_status)sqlite3_column_int(s, 9);
    x->valid_from = col_time(s, 10, GH_TIME_MIN);
    x->valid_until = col_time(s, 11, GH_TIME_MAX);
}
LIST_ADAPTER(person, store_person_cb)

static void bind_person(sqlite3_stmt *s, const struct person *row)
{
    bind_text(s, 2, row->employee_id);
    bind_text(s, 3, row->first_name);
    bind_text(s, 4, row->last_name);
    bind_text(s, 5, row->email);
    bind_ref(s, 6, row->department_id);
    bind_text(s, 7, row->title);
    bind_ref(s, 8, row->manager_id);
    sqlite3_bind_int(s, 9, (int)row->kind);
    sqlite3_bind_int(s, 10, (int)row->status);
    bind_time(s, 11, row->valid_from);
    bind_time(s, 12, row->valid_until);
}

int store_person_insert(struct store *st, struct person *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_PERSON_INSERT);
    char what[MODEL_ID_MAX + 32];
    snprintf(what, sizeof(what), "person with employee id '%s'", row->employee_id);
    if (s)
        bind_person(s, row);
    return insert_row(st, s, &row->id, err, what);
}

int store_person_update(struct store *st, const struct person *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_PERSON_UPDATE);
    char what[MODEL_ID_MAX + 32];
    snprintf(what, sizeof(what), "person with employee id '%s'", row->employee_id);
    if (s) {
        sqlite3_bind_int64(s, 1, row->id);
        bind_person(s, row);
    }
    return update_row(st, s, err, what);
}

int store_person_get(struct store *st, int64_t id, struct person *out)
{
    sqlite3_stmt *s = stmt(st, Q_PERSON_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_person, out);
}

int store_person_find(struct store *st, const char *employee_id, struct person *out)
{
    sqlite3_stmt *s = stmt(st, Q_PERSON_FIND);
    if (s)
        bind_text(s, 1, employee_id);
    return get_one(st, s, read_person, out);
}

int store_person_list(struct store *st, store_person_cb cb, void *ctx)
{
    struct person_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_PERSON_LIST), read_person, sizeof(struct person),
                     person_list_call, &lc);
}

int store_person_count(struct store *st, int64_t *count)
{
    return query_int(st, stmt(st, Q_PERSON_COUNT), count);
}

/* ---- credentials ------------------------------------------------------------------------ */

static void read_credential(struct store *st, sqlite3_stmt *s, void *row)
{
    struct credential *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    x->person_id = sqlite3_column_int64(s, 1);
    x->format = (enum cred_format)sqlite3_column_int(s, 2);
    x->facility = (uint32_t)sqlite3_column_int64(s, 3);
    x->number = (uint64_t)sqlite3_column_int64(s, 4);
    x->status = (enum cred_status)sqlite3_column_int(s, 5);
    x->valid_from = col_time(s, 6, GH_TIME_MIN);
    x->valid_until = col_time(s, 7, GH_TIME_MAX);
    x->has_pin = sqlite3_column_type(s, 8) == SQLITE_BLOB && sqlite3_column_bytes(s, 8) == 32;
    if (x->has_pin)
        memcpy(x->pin_hash, sqlite3_column_blob(s, 8), 32);
    else
        memset(x->pin_hash, 0, sizeof(x->pin_hash));
}
LIST_ADAPTER(credential, store_credential_cb)

static void bind_credential(sqlite3_stmt *s, const struct credential *row)
{
    sqlite3_bind_int64(s, 2, row->person_id);
    sqlite3_bind_int(s, 3, (int)row->format);
    sqlite3_bind_int64(s, 4, row->facility);
    sqlite3_bind_int64(s, 5, (int64_t)row->number);
    sqlite3_bind_int(s, 6, (int)row->status);
    bind_time(s, 7, row->valid_from);
    bind_time(s, 8, row->valid_until);
    if (row->has_pin)
        sqlite3_bind_blob(s, 9, row->pin_hash, 32, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 9);
}

static void credential_what(const struct credential *row, char *buf, size_t len)
{
    snprintf(buf, len, "credential %s %u:%llu", cred_format_name(row->format), row->facility,
             (unsigned long long)row->number);
}

int store_credential_insert(struct store *st, struct credential *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_CRED_INSERT);
    char what[96];
    credential_what(row, what, sizeof(what));
    if (s)
        bind_credential(s, row);
    return insert_row(st, s, &row->id, err, what);
}

int store_credential_update(struct store *st, const struct credential *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_CRED_UPDATE);
    char what[96];
    credential_what(row, what, sizeof(what));
    if (s) {
        sqlite3_bind_int64(s, 1, row->id);
        bind_credential(s, row);
    }
    return update_row(st, s, err, what);
}

int store_credential_get(struct store *st, int64_t id, struct credential *out)
{
    sqlite3_stmt *s = stmt(st, Q_CRED_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_credential, out);
}

int store_credential_find(struct store *st, enum cred_format f, uint32_t facility, uint64_t number,
                          struct credential *out)
{
    sqlite3_stmt *s = stmt(st, Q_CRED_FIND);
    if (s) {
        sqlite3_bind_int(s, 1, (int)f);
        sqlite3_bind_int64(s, 2, facility);
        sqlite3_bind_int64(s, 3, (int64_t)number);
    }
    return get_one(st, s, read_credential, out);
}

int store_credential_list(struct store *st, store_credential_cb cb, void *ctx)
{
    struct credential_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_CRED_LIST), read_credential, sizeof(struct credential),
                     credential_list_call, &lc);
}

int store_credential_list_person(struct store *st, int64_t person_id, store_credential_cb cb,
                                 void *ctx)
{
    struct credential_list_ctx lc = {cb, ctx};
    sqlite3_stmt *s = stmt(st, Q_CRED_LIST_PERSON);
    if (s)
        sqlite3_bind_int64(s, 1, person_id);
    return list_rows(st, s, read_credential, sizeof(struct credential), credential_list_call, &lc);
}

int store_credential_revoke_person(struct store *st, int64_t person_id, enum cred_status status,
                                   int *changed)
{
    sqlite3_stmt *s = stmt(st, Q_CRED_REVOKE_PERSON);
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, person_id);
        sqlite3_bind_int(s, 2, (int)status);
    }
    r = store_exec_stmt(st, s, NULL, "revoking credentials");
    if (r == 0 && changed != NULL)
        *changed = sqlite3_changes(st->c.db);
    return r;
}

/* ---- assignments --------------------------------------------------------------------------- */

static void read_assignment(struct store *st, sqlite3_stmt *s, void *row)
{
    struct assignment *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    x->person_id = sqlite3_column_int64(s, 1);
    x->level_id = sqlite3_column_int64(s, 2);
    x->expires = col_time(s, 3, GH_TIME_MAX);
}
LIST_ADAPTER(assignment, store_assignment_cb)

int store_assignment_set(struct store *st, struct assignment *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_ASSIGN_SET);
    int rc;
    if (s == NULL)
        return gh_fail(err, -EIO, "assignment: statement failed to prepare");
    sqlite3_bind_int64(s, 1, row->person_id);
    sqlite3_bind_int64(s, 2, row->level_id);
    bind_time(s, 3, row->expires);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        int r = step_error(st, rc, err, "assignment");
        sqlite3_reset(s);
        return r;
    }
    row->id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int store_assignment_remove(struct store *st, int64_t person_id, int64_t level_id)
{
    sqlite3_stmt *s = stmt(st, Q_ASSIGN_REMOVE);
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, person_id);
        sqlite3_bind_int64(s, 2, level_id);
    }
    r = store_exec_stmt(st, s, NULL, "assignment");
    if (r == 0 && sqlite3_changes(st->c.db) == 0)
        return -ENOENT;
    return r;
}

int store_assignment_list(struct store *st, store_assignment_cb cb, void *ctx)
{
    struct assignment_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_ASSIGN_LIST), read_assignment, sizeof(struct assignment),
                     assignment_list_call, &lc);
}

/* ---- deleting ---------------------------------------------------------------------------- */

int store_delete(struct store *st, enum store_table t, int64_t id, struct gh_err *err)
{
    static const char *const what[ST_TABLE_COUNT] = {
        "site",         "area",       "door",   "schedule",   "holiday calendar",
        "access level", "department", "person", "credential", "controller"};
    static const char *const users[ST_TABLE_COUNT] = {
        "areas or doors", "doors or other areas",
        "other rows",     "doors or access levels",
        "schedules",      "other rows",
        "people",         "credentials, access reviews or reports",
        "other rows",     "other rows"};
    sqlite3_stmt *s;
    int rc;
    if ((unsigned)t >= ST_TABLE_COUNT)
        return gh_fail(err, -EINVAL, "unknown table");
    s = stmt(st, (enum sql_id)(Q_DELETE_FIRST + t));
    if (s == NULL)
        return gh_fail(err, -EIO, "delete: statement failed to prepare");
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return gh_fail(err, -EINVAL, "%s %lld is still used by %s; remove or change those first",
                       what[t], (long long)id, users[t]);
    if (rc != SQLITE_DONE)
        return step_error(st, rc, err, what[t]);
    if (sqlite3_changes(st->c.db) == 0)
        return gh_fail(err, -ENOENT, "%s %lld does not exist", what[t], (long long)id);
    return 0;
}

/* ---- door controllers ------------------------------------------------------------------- */

static void read_controller(struct store *st, sqlite3_stmt *s, void *row)
{
    struct controller *x = row;
    (void)st;
    memset(x, 0, sizeof(*x));
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
    x->key_id = sqlite3_column_int64(s, 2);
    if (sqlite3_column_bytes(s, 3) == 32)
        memcpy(x->public_key, sqlite3_column_blob(s, 3), 32);
    x->enroll_expires_us = sqlite3_column_int64(s, 4);
    x->created_us = sqlite3_column_int64(s, 5);
    x->last_seen_us = sqlite3_column_int64(s, 6);
    col_text(s, 7, x->health, sizeof(x->health));
    x->applied_version = sqlite3_column_int64(s, 8);
    x->applied_us = sqlite3_column_int64(s, 9);
    x->lag_ms = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 10);
}
LIST_ADAPTER(controller, store_controller_cb)

int store_controller_insert(struct store *st, struct controller *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_INSERT);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "controller '%s'", row->name);
    if (s) {
        bind_text(s, 1, row->name);
        sqlite3_bind_int64(s, 2, row->created_us);
    }
    return insert_row(st, s, &row->id, err, what);
}

int store_controller_get(struct store *st, int64_t id, struct controller *out)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_controller, out);
}

int store_controller_find(struct store *st, const char *name, struct controller *out)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_controller, out);
}

int store_controller_list(struct store *st, store_controller_cb cb, void *ctx)
{
    struct controller_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_CTRL_LIST), read_controller, sizeof(struct controller),
                     controller_list_call, &lc);
}

int store_controller_set_enroll(struct store *st, int64_t id, const char *hash_hex,
                                int64_t expires_us)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_SET_ENROLL);
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    if (hash_hex != NULL) {
        bind_text(s, 2, hash_hex);
        sqlite3_bind_int64(s, 3, expires_us);
    }
    return store_exec_stmt(st, s, NULL, "controller");
}

int store_controller_by_enroll(struct store *st, const char *hash_hex, struct controller *out)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_BY_ENROLL);
    if (s)
        bind_text(s, 1, hash_hex);
    return get_one(st, s, read_controller, out);
}

int store_controller_enroll(struct store *st, int64_t id, const uint8_t public_key[32],
                            int64_t now_us, int64_t *key_id, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_KEY_INSERT);
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_blob(s, 2, public_key, 32, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now_us);
    }
    if ((r = insert_row(st, s, key_id, err, "controller key")) < 0)
        return r;
    if ((s = stmt(st, Q_CTRL_ENROLLED)) == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, *key_id);
    return store_exec_stmt(st, s, err, "controller");
}

int store_controller_seen(struct store *st, int64_t id, int64_t now_us)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_SEEN);
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now_us);
    return store_exec_stmt(st, s, NULL, "controller");
}

int store_controller_health(struct store *st, int64_t id, int64_t now_us, const char *health,
                            int64_t applied_version, int64_t lag_ms)
{
    sqlite3_stmt *s = stmt(st, Q_CTRL_HEALTH);
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now_us);
    bind_text(s, 3, health);
    sqlite3_bind_int64(s, 4, applied_version);
    if (lag_ms >= 0)
        sqlite3_bind_int64(s, 5, lag_ms);
    return store_exec_stmt(st, s, NULL, "controller");
}

int store_controller_door_set(struct store *st, const struct controller_door *row,
                              struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_CDOOR_SET);
    int rc;
    if (s == NULL)
        return gh_fail(err, -EIO, "controller door: statement failed to prepare");
    sqlite3_bind_int64(s, 1, row->controller_id);
    sqlite3_bind_int64(s, 2, row->door_id);
    sqlite3_bind_int(s, 3, row->offline_pin_after_s);
    sqlite3_bind_int(s, 4, row->offline_deny_after_s);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return gh_fail(err, -EEXIST, "door %lld is driven by another controller",
                       (long long)row->door_id);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return gh_fail(err, -ENOENT, "door %lld or controller %lld does not exist",
                       (long long)row->door_id, (long long)row->controller_id);
    if (rc != SQLITE_DONE)
        return step_error(st, rc, err, "controller door");
    return 0;
}

int store_controller_door_remove(struct store *st, int64_t controller_id, int64_t door_id)
{
    sqlite3_stmt *s = stmt(st, Q_CDOOR_REMOVE);
    int r;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, controller_id);
    sqlite3_bind_int64(s, 2, door_id);
    r = store_exec_stmt(st, s, NULL, "controller door");
    if (r == 0 && sqlite3_changes(st->c.db) == 0)
        return -ENOENT;
    return r;
}

static void read_controller_door(struct store *st, sqlite3_stmt *s, void *row)
{
    struct controller_door *x = row;
    (void)st;
    x->controller_id = sqlite3_column_int64(s, 0);
    x->door_id = sqlite3_column_int64(s, 1);
    x->offline_pin_after_s = sqlite3_column_int(s, 2);
    x->offline_deny_after_s = sqlite3_column_int(s, 3);
}
LIST_ADAPTER(controller_door, store_controller_door_cb)

int store_controller_door_list(struct store *st, int64_t controller_id, store_controller_door_cb cb,
                               void *ctx)
{
    struct controller_door_list_ctx lc = {cb, ctx};
    sqlite3_stmt *s = stmt(st, Q_CDOOR_LIST);
    if (s)
        sqlite3_bind_int64(s, 1, controller_id);
    return list_rows(st, s, read_controller_door, sizeof(struct controller_door),
                     controller_door_list_call, &lc);
}

/* The one number a query answers (bound to arg as ?1 when it has one), or none when it
 * answers no row, -EIO when it fails. */
static int64_t one_number(struct store *st, enum sql_id q, int64_t arg, int64_t none)
{
    sqlite3_stmt *s = stmt(st, q);
    int64_t v = none;
    int rc;
    if (s == NULL)
        return -EIO;
    if (sqlite3_bind_parameter_count(s) > 0)
        sqlite3_bind_int64(s, 1, arg);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        v = -EIO;
    sqlite3_reset(s);
    return v;
}

int64_t store_controller_of_door(struct store *st, int64_t door_id)
{
    return one_number(st, Q_CDOOR_OWNER, door_id, 0);
}

int64_t store_edge_acked(struct store *st, int64_t key_id)
{
    return one_number(st, Q_EDGE_ACKED, key_id, -EIO);
}

/* ---- the audit log's rows -------------------------------------------------------------- */

int64_t store_audit_size(struct store *st)
{
    return one_number(st, Q_AUDIT_SIZE, 0, -EIO);
}

int store_audit_entry_put(struct store *st, int64_t idx, int64_t time_us, const char *entry)
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_ENTRY_PUT);
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, idx);
    sqlite3_bind_int64(s, 2, time_us);
    bind_text(s, 3, entry);
    return store_exec_stmt(st, s, NULL, "audit entry");
}

int store_audit_entry_get(struct store *st, int64_t idx, int64_t *time_us, char **out)
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_ENTRY_GET);
    int rc, r = -ENOENT;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, idx);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 1);
        size_t n = (size_t)sqlite3_column_bytes(s, 1);
        *time_us = sqlite3_column_int64(s, 0);
        *out = xmalloc(n + 1);
        memcpy(*out, t ? (const char *)t : "", n);
        (*out)[n] = '\0';
        r = 0;
    } else if (rc != SQLITE_DONE) {
        r = -EIO;
    }
    sqlite3_reset(s);
    return r;
}

int store_audit_entry_list(struct store *st, int64_t from, store_audit_entry_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_ENTRY_LIST);
    int rc, r = 0;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, from);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 2);
        if ((r = cb(ctx, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                    t ? (const char *)t : "")) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = -EIO;
    sqlite3_reset(s);
    return r;
}

int store_audit_node_put(struct store *st, unsigned level, int64_t idx, const uint8_t hash[32])
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_NODE_PUT);
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int(s, 1, (int)level);
    sqlite3_bind_int64(s, 2, idx);
    sqlite3_bind_blob(s, 3, hash, 32, SQLITE_STATIC);
    return store_exec_stmt(st, s, NULL, "audit node");
}

int store_audit_node_get(struct store *st, unsigned level, int64_t idx, uint8_t hash[32])
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_NODE_GET);
    int rc, r = -ENOENT;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int(s, 1, (int)level);
    sqlite3_bind_int64(s, 2, idx);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
        memcpy(hash, sqlite3_column_blob(s, 0), 32);
        r = 0;
    } else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        r = -EIO;
    }
    sqlite3_reset(s);
    return r;
}

int64_t store_audit_leaf_hashes(struct store *st, int64_t from, int64_t count, uint8_t (*out)[32])
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_LEAF_RANGE);
    int64_t n = 0;
    int rc;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, from + count);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        /* a gap or a malformed hash ends the run: the caller sees fewer than it asked */
        if (sqlite3_column_int64(s, 0) != from + n || sqlite3_column_bytes(s, 1) != 32)
            break;
        memcpy(out[n++], sqlite3_column_blob(s, 1), 32);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -EIO;
}

int store_audit_head_put(struct store *st, const struct store_audit_head *h)
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_HEAD_PUT);
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, h->size);
    sqlite3_bind_int64(s, 2, h->time_us);
    sqlite3_bind_blob(s, 3, h->root, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, h->signature, 64, SQLITE_STATIC);
    return store_exec_stmt(st, s, NULL, "audit tree head");
}

static int read_head(sqlite3_stmt *s, struct store_audit_head *h)
{
    if (sqlite3_column_bytes(s, 2) != 32 || sqlite3_column_bytes(s, 3) != 64)
        return -EIO;
    h->size = sqlite3_column_int64(s, 0);
    h->time_us = sqlite3_column_int64(s, 1);
    memcpy(h->root, sqlite3_column_blob(s, 2), 32);
    memcpy(h->signature, sqlite3_column_blob(s, 3), 64);
    return 0;
}

int store_audit_head_latest(struct store *st, struct store_audit_head *out)
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_HEAD_LATEST);
    int rc, r = -ENOENT;
    if (s == NULL)
        return -EIO;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        r = read_head(s, out);
    else if (rc != SQLITE_DONE)
        r = -EIO;
    sqlite3_reset(s);
    return r;
}

int store_audit_head_list(struct store *st, store_audit_head_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, Q_AUDIT_HEAD_LIST);
    int rc, r = 0;
    if (s == NULL)
        return -EIO;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_audit_head h;
        if ((r = read_head(s, &h)) != 0 || (r = cb(ctx, &h)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = -EIO;
    sqlite3_reset(s);
    return r;
}

/* ---- access reviews -------------------------------------------------------------------- */

int store_review_open(struct store *st, int64_t person_id, const char *reason, int64_t time_us)
{
    sqlite3_stmt *s = stmt(st, Q_REVIEW_OPEN);
    if (s) {
        sqlite3_bind_int64(s, 1, person_id);
        bind_text(s, 2, reason);
        sqlite3_bind_int64(s, 3, time_us);
    }
    return store_exec_stmt(st, s, NULL, "access review");
}

int store_review_count_open(struct store *st, int64_t *count)
{
    return query_int(st, stmt(st, Q_REVIEW_COUNT), count);
}

/* ---- events ------------------------------------------------------------------------------- */

int store_event_append(struct store *st, struct event *ev)
{
    sqlite3_stmt *s = stmt(st, Q_EVENT_APPEND);
    int r;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, ev->time_us);
    sqlite3_bind_int(s, 2, (int)ev->type);
    bind_ref(s, 3, ev->door_id);
    bind_ref(s, 4, ev->person_id);
    bind_ref(s, 5, ev->credential_id);
    if (ev->decision >= 0)
        sqlite3_bind_int(s, 6, ev->decision);
    if (ev->reason >= 0)
        sqlite3_bind_int(s, 7, ev->reason);
    if (ev->payload[0] != '\0')
        sqlite3_bind_text(s, 8, ev->payload, -1, SQLITE_STATIC);
    if (ev->source != 0) {
        sqlite3_bind_int64(s, 9, ev->source);
        sqlite3_bind_int64(s, 10, ev->source_seq);
    }
    r = store_exec_stmt(st, s, NULL, "event");
    if (r == 0 && sqlite3_changes(st->c.db) == 0) {
        ev->offset = 0; /* a controller's event stored before */
        return 1;
    }
    if (r == 0)
        ev->offset = sqlite3_last_insert_rowid(st->c.db);
    return r;
}

void store_event_filter_init(struct store_event_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->from_us = GH_TIME_MIN;
    f->to_us = GH_TIME_MAX;
    f->type = -1;
    f->decision = -1;
}

static void read_event(struct store *st, sqlite3_stmt *s, void *row)
{
    struct event *x = row;
    (void)st;
    x->offset = sqlite3_column_int64(s, 0);
    x->time_us = sqlite3_column_int64(s, 1);
    x->type = (enum event_type)sqlite3_column_int(s, 2);
    x->door_id = sqlite3_column_int64(s, 3);
    x->person_id = sqlite3_column_int64(s, 4);
    x->credential_id = sqlite3_column_int64(s, 5);
    x->decision = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 6);
    x->reason = sqlite3_column_type(s, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 7);
    col_text(s, 8, x->payload, sizeof(x->payload));
    x->source = sqlite3_column_int64(s, 9); /* NULL reads as 0 */
    x->source_seq = sqlite3_column_int64(s, 10);
}

/* The events_person / events_door indexes are keyed by seq >> STORE_EVENT_BUCKET_BITS
 * (the migration's literal 14 must match). */
#define STORE_EVENT_BUCKET_BITS 14

static void bind_event_filter(sqlite3_stmt *s, const struct store_event_filter *f, int64_t limit)
{
    sqlite3_bind_int64(s, 1, f->after_offset);
    sqlite3_bind_int64(s, 2, f->from_us);
    sqlite3_bind_int64(s, 3, f->to_us);
    sqlite3_bind_int64(s, 4, f->person_id);
    sqlite3_bind_int64(s, 5, f->door_id);
    sqlite3_bind_int64(s, 6, f->credential_id);
    sqlite3_bind_int(s, 7, f->type);
    sqlite3_bind_int(s, 8, f->decision);
    sqlite3_bind_int64(s, 9, limit);
    sqlite3_bind_int64(s, 11, f->until_offset > 0 ? f->until_offset : INT64_MAX);
    sqlite3_bind_int64(s, 12, (int64_t)f->types);
}

/* Passes rows to the caller's callback and counts them (for the limit across buckets). */
struct event_query_ctx {
    store_event_cb cb;
    void *ctx;
    int64_t rows;
};

static int event_query_call(void *c, const void *row)
{
    struct event_query_ctx *q = c;
    q->rows++;
    return q->cb(q->ctx, row);
}

int store_event_query(struct store *st, const struct store_event_filter *f, store_event_cb cb,
                      void *ctx)
{
    struct event_query_ctx qc = {cb, ctx, 0};
    int64_t first, last;
    sqlite3_stmt *s;
    int r = 0;

    if (f->person_id == 0 && f->door_id == 0) {
        s = stmt(st, Q_EVENT_QUERY);
        if (s)
            bind_event_filter(s, f, f->limit > 0 ? f->limit : -1);
        return list_rows(st, s, read_event, sizeof(struct event), event_query_call, &qc);
    }
    /* A person or a door: one indexed lookup per bucket of offsets, in offset order. */
    last = store_event_last_offset(st);
    if (last < 0)
        return -EIO;
    if (f->until_offset > 0 && f->until_offset < last)
        last = f->until_offset;
    first = f->after_offset > 0 ? f->after_offset + 1 : 0;
    for (int64_t b = first >> STORE_EVENT_BUCKET_BITS;
         r == 0 && b <= last >> STORE_EVENT_BUCKET_BITS; b++) {
        int64_t left = f->limit > 0 ? f->limit - qc.rows : -1;
        if (f->limit > 0 && left <= 0)
            break;
        s = stmt(st, f->person_id != 0 ? Q_EVENT_QUERY_PERSON : Q_EVENT_QUERY_DOOR);
        if (s) {
            bind_event_filter(s, f, left);
            sqlite3_bind_int64(s, 10, b);
        }
        r = list_rows(st, s, read_event, sizeof(struct event), event_query_call, &qc);
    }
    return r;
}

int64_t store_event_last_offset(struct store *st)
{
    int64_t v = 0;
    if (query_int(st, stmt(st, Q_EVENT_LAST), &v) < 0)
        return -1;
    return v;
}

int64_t store_data_version(struct store *st)
{
    int64_t v = 0;
    if (query_int(st, stmt(st, Q_DATA_VERSION), &v) < 0)
        return -1;
    return v;
}

/* ---- API tokens ------------------------------------------------------------------------- */

static void read_token(struct store *st, sqlite3_stmt *s, void *row)
{
    struct api_token *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
    col_text(s, 2, x->hash_hex, sizeof(x->hash_hex));
    col_text(s, 3, x->scopes, sizeof(x->scopes));
    x->created_us = sqlite3_column_int64(s, 4);
    x->expires_us =
        sqlite3_column_type(s, 5) == SQLITE_NULL ? GH_TIME_MAX : sqlite3_column_int64(s, 5);
    x->revoked_us = sqlite3_column_type(s, 6) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 6);
    x->user_id = sqlite3_column_int64(s, 7); /* NULL reads as 0 */
}
LIST_ADAPTER(token, store_token_cb)

int store_token_insert(struct store *st, struct api_token *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_TOKEN_INSERT);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "token '%s'", row->name);
    if (s) {
        bind_text(s, 1, row->name);
        bind_text(s, 2, row->hash_hex);
        bind_text(s, 3, row->scopes);
        sqlite3_bind_int64(s, 4, row->created_us);
        if (row->expires_us != GH_TIME_MAX)
            sqlite3_bind_int64(s, 5, row->expires_us);
        if (row->user_id != 0)
            sqlite3_bind_int64(s, 6, row->user_id);
    }
    return insert_row(st, s, &row->id, err, what);
}

int store_token_by_hash(struct store *st, const char *hash_hex, struct api_token *out)
{
    sqlite3_stmt *s = stmt(st, Q_TOKEN_BY_HASH);
    if (s)
        bind_text(s, 1, hash_hex);
    return get_one(st, s, read_token, out);
}

int store_token_find(struct store *st, const char *name, struct api_token *out)
{
    sqlite3_stmt *s = stmt(st, Q_TOKEN_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_token, out);
}

int store_token_list(struct store *st, store_token_cb cb, void *ctx)
{
    struct token_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_TOKEN_LIST), read_token, sizeof(struct api_token),
                     token_list_call, &lc);
}

int store_token_revoke(struct store *st, int64_t id, int64_t time_us)
{
    sqlite3_stmt *s = stmt(st, Q_TOKEN_REVOKE);
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, time_us);
    }
    r = store_exec_stmt(st, s, NULL, "token");
    if (r == 0 && sqlite3_changes(st->c.db) == 0)
        return -ENOENT;
    return r;
}

/* ---- users ------------------------------------------------------------------------------ */

static const char *const user_sources[] = {"local", "ldap", "oidc"};

const char *user_source_name(enum user_source v)
{
    return (unsigned)v < GH_ARRAY_LEN(user_sources) ? user_sources[v] : "?";
}

/* A BLOB column into buf; its length, or 0 when NULL or larger than buf. */
static size_t col_blob(sqlite3_stmt *s, int col, uint8_t *buf, size_t len)
{
    const void *p = sqlite3_column_blob(s, col);
    int n = sqlite3_column_bytes(s, col);
    if (p == NULL || n <= 0 || (size_t)n > len)
        return 0;
    memcpy(buf, p, (size_t)n);
    return (size_t)n;
}

static void read_user(struct store *st, sqlite3_stmt *s, void *row)
{
    struct user *x = row;
    char src[16];
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->name, sizeof(x->name));
    col_text(s, 2, x->display_name, sizeof(x->display_name));
    col_text(s, 3, x->email, sizeof(x->email));
    col_text(s, 4, src, sizeof(src));
    x->source = USER_LOCAL;
    for (size_t i = 0; i < GH_ARRAY_LEN(user_sources); i++)
        if (strcmp(src, user_sources[i]) == 0)
            x->source = (enum user_source)i;
    col_text(s, 5, x->roles, sizeof(x->roles));
    col_text(s, 6, x->password_hash, sizeof(x->password_hash));
    x->password_changed_us = sqlite3_column_int64(s, 7);
    x->disabled_us = sqlite3_column_type(s, 8) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 8);
    x->created_us = sqlite3_column_int64(s, 9);
    x->updated_us = sqlite3_column_int64(s, 10);
    x->totp_secret_len = col_blob(s, 11, x->totp_secret, sizeof(x->totp_secret));
    x->totp_pending_len = col_blob(s, 12, x->totp_pending, sizeof(x->totp_pending));
    x->totp_last_step = sqlite3_column_int64(s, 13);
    col_text(s, 14, x->external_id, sizeof(x->external_id));
}

LIST_ADAPTER(user, store_user_cb)

/* Parameters 1..10 and 12 of Q_USER_INSERT and Q_USER_UPDATE (which skips 9, created_us;
 * 11 is the id there). */
static void bind_user(sqlite3_stmt *s, const struct user *u)
{
    bind_text(s, 1, u->name);
    bind_text(s, 2, u->display_name);
    bind_text(s, 3, u->email);
    bind_text(s, 4, user_source_name(u->source));
    bind_text(s, 5, u->roles);
    if (u->password_hash[0] != '\0')
        bind_text(s, 6, u->password_hash);
    sqlite3_bind_int64(s, 7, u->password_changed_us);
    if (u->disabled_us != 0)
        sqlite3_bind_int64(s, 8, u->disabled_us);
    sqlite3_bind_int64(s, 9, u->created_us);
    sqlite3_bind_int64(s, 10, u->updated_us);
    if (u->external_id[0] != '\0')
        bind_text(s, 12, u->external_id);
}

int store_user_insert(struct store *st, struct user *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_USER_INSERT);
    char what[MODEL_NAME_MAX + 16];
    snprintf(what, sizeof(what), "user '%s'", row->name);
    if (s)
        bind_user(s, row);
    return insert_row(st, s, &row->id, err, what);
}

int store_user_get(struct store *st, int64_t id, struct user *out)
{
    sqlite3_stmt *s = stmt(st, Q_USER_GET);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read_user, out);
}

int store_user_find(struct store *st, const char *name, struct user *out)
{
    sqlite3_stmt *s = stmt(st, Q_USER_FIND);
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_user, out);
}

int store_user_find_external(struct store *st, enum user_source source, const char *external_id,
                             struct user *out)
{
    sqlite3_stmt *s = stmt(st, Q_USER_FIND_EXTERNAL);
    if (s) {
        bind_text(s, 1, user_source_name(source));
        bind_text(s, 2, external_id);
    }
    return get_one(st, s, read_user, out);
}

int store_user_list(struct store *st, store_user_cb cb, void *ctx)
{
    struct user_list_ctx lc = {cb, ctx};
    return list_rows(st, stmt(st, Q_USER_LIST), read_user, sizeof(struct user), user_list_call,
                     &lc);
}

int store_user_update(struct store *st, const struct user *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_USER_UPDATE);
    char what[MODEL_NAME_MAX + 16];
    int r;
    snprintf(what, sizeof(what), "user '%s'", row->name);
    if (s) {
        bind_user(s, row);
        sqlite3_bind_int64(s, 11, row->id);
    }
    if ((r = update_row(st, s, err, what)) < 0)
        return r;
    s = stmt(st, Q_USER_TOTP);
    if (s) {
        sqlite3_bind_int64(s, 1, row->id);
        if (row->totp_secret_len > 0)
            sqlite3_bind_blob(s, 2, row->totp_secret, (int)row->totp_secret_len, SQLITE_TRANSIENT);
        if (row->totp_pending_len > 0)
            sqlite3_bind_blob(s, 3, row->totp_pending, (int)row->totp_pending_len,
                              SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 4, row->totp_last_step);
    }
    return store_exec_stmt(st, s, err, what);
}

int store_recovery_replace(struct store *st, int64_t user_id, const char *const *hashes, int n)
{
    sqlite3_stmt *s = stmt(st, Q_RECOVERY_CLEAR);
    int r;
    if (s)
        sqlite3_bind_int64(s, 1, user_id);
    if ((r = store_exec_stmt(st, s, NULL, "recovery codes")) < 0)
        return r;
    for (int i = 0; i < n; i++) {
        s = stmt(st, Q_RECOVERY_ADD);
        if (s) {
            sqlite3_bind_int64(s, 1, user_id);
            bind_text(s, 2, hashes[i]);
        }
        if ((r = store_exec_stmt(st, s, NULL, "recovery codes")) < 0)
            return r;
    }
    return 0;
}

int store_recovery_use(struct store *st, int64_t user_id, const char *hash_hex, int64_t time_us)
{
    sqlite3_stmt *s = stmt(st, Q_RECOVERY_USE);
    if (s) {
        sqlite3_bind_int64(s, 1, user_id);
        bind_text(s, 2, hash_hex);
        sqlite3_bind_int64(s, 3, time_us);
    }
    return update_row(st, s, NULL, "recovery code");
}

int store_recovery_left(struct store *st, int64_t user_id, int64_t *n)
{
    sqlite3_stmt *s = stmt(st, Q_RECOVERY_LEFT);
    if (s)
        sqlite3_bind_int64(s, 1, user_id);
    return query_int(st, s, n);
}

/* ---- sessions and sign-in throttling ----------------------------------------------------- */

static void read_session(struct store *st, sqlite3_stmt *s, void *row)
{
    struct session *x = row;
    (void)st;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->id_hash, sizeof(x->id_hash));
    x->user_id = sqlite3_column_int64(s, 2);
    col_text(s, 3, x->csrf, sizeof(x->csrf));
    col_text(s, 4, x->address, sizeof(x->address));
    x->created_us = sqlite3_column_int64(s, 5);
    x->last_seen_us = sqlite3_column_int64(s, 6);
    x->expires_us = sqlite3_column_int64(s, 7);
    x->ended_us = sqlite3_column_type(s, 8) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 8);
}

int store_session_insert(struct store *st, struct session *row, struct gh_err *err)
{
    sqlite3_stmt *s = stmt(st, Q_SESSION_INSERT);
    if (s) {
        bind_text(s, 1, row->id_hash);
        sqlite3_bind_int64(s, 2, row->user_id);
        bind_text(s, 3, row->csrf);
        bind_text(s, 4, row->address);
        sqlite3_bind_int64(s, 5, row->created_us);
        sqlite3_bind_int64(s, 6, row->last_seen_us);
        sqlite3_bind_int64(s, 7, row->expires_us);
    }
    return insert_row(st, s, &row->id, err, "session");
}

int store_session_by_hash(struct store *st, const char *hash_hex, struct session *out)
{
    sqlite3_stmt *s = stmt(st, Q_SESSION_BY_HASH);
    if (s)
        bind_text(s, 1, hash_hex);
    return get_one(st, s, read_session, out);
}

/* An update of one session by id with a time: -ENOENT when no row changed. */
static int session_update(struct store *st, enum sql_id q, int64_t id, int64_t time_us)
{
    sqlite3_stmt *s = stmt(st, q);
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, time_us);
    }
    return update_row(st, s, NULL, "session");
}

int store_session_touch(struct store *st, int64_t id, int64_t time_us)
{
    return session_update(st, Q_SESSION_TOUCH, id, time_us);
}

int store_session_end(struct store *st, int64_t id, int64_t time_us)
{
    return session_update(st, Q_SESSION_END, id, time_us);
}

int store_session_end_user(struct store *st, int64_t user_id, int64_t time_us, int *n)
{
    int r = session_update(st, Q_SESSION_END_USER, user_id, time_us);
    if (n != NULL)
        *n = r == 0 ? sqlite3_changes(st->c.db) : 0;
    return r == -ENOENT ? 0 : r;
}

LIST_ADAPTER(session, store_session_cb)

int store_session_list_user(struct store *st, int64_t user_id, int64_t now_us, store_session_cb cb,
                            void *ctx)
{
    struct session_list_ctx lc = {cb, ctx};
    sqlite3_stmt *s = stmt(st, Q_SESSION_LIST_USER);
    if (s) {
        sqlite3_bind_int64(s, 1, user_id);
        sqlite3_bind_int64(s, 2, now_us);
    }
    return list_rows(st, s, read_session, sizeof(struct session), session_list_call, &lc);
}

static void read_throttle(struct store *st, sqlite3_stmt *s, void *row)
{
    struct login_throttle *x = row;
    (void)st;
    x->failures = sqlite3_column_int64(s, 0);
    x->last_failure_us = sqlite3_column_int64(s, 1);
    x->blocked_until_us = sqlite3_column_int64(s, 2);
}

int store_throttle_get(struct store *st, const char *key, struct login_throttle *out)
{
    sqlite3_stmt *s = stmt(st, Q_THROTTLE_GET);
    int r;
    if (s)
        bind_text(s, 1, key);
    r = get_one(st, s, read_throttle, out);
    if (r == -ENOENT) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    return r;
}

int store_throttle_set(struct store *st, const char *key, const struct login_throttle *t)
{
    sqlite3_stmt *s = stmt(st, Q_THROTTLE_SET);
    if (s) {
        bind_text(s, 1, key);
        sqlite3_bind_int64(s, 2, t->failures);
        sqlite3_bind_int64(s, 3, t->last_failure_us);
        sqlite3_bind_int64(s, 4, t->blocked_until_us);
    }
    return store_exec_stmt(st, s, NULL, "sign-in throttle");
}

int store_throttle_clear(struct store *st, const char *key)
{
    sqlite3_stmt *s = stmt(st, Q_THROTTLE_CLEAR);
    if (s)
        bind_text(s, 1, key);
    return store_exec_stmt(st, s, NULL, "sign-in throttle");
}

/* ---- setup tokens ----------------------------------------------------------------------- */

int store_setup_insert(struct store *st, const char *hash_hex, int64_t created_us,
                       int64_t expires_us)
{
    sqlite3_stmt *s = stmt(st, Q_SETUP_INSERT);
    if (s) {
        bind_text(s, 1, hash_hex);
        sqlite3_bind_int64(s, 2, created_us);
        sqlite3_bind_int64(s, 3, expires_us);
    }
    return insert_row(st, s, NULL, NULL, "setup token");
}

int store_setup_use(struct store *st, const char *hash_hex, int64_t time_us)
{
    sqlite3_stmt *s = stmt(st, Q_SETUP_USE);
    if (s) {
        bind_text(s, 1, hash_hex);
        sqlite3_bind_int64(s, 2, time_us);
    }
    return update_row(st, s, NULL, "setup token");
}

/* ---- OpenID Connect states that came back -------------------------------------------- */

int store_oidc_state_use(struct store *st, const char *hash_hex, int64_t now_us, int64_t expires_us)
{
    sqlite3_stmt *s = stmt(st, Q_OIDC_USED_PURGE);
    int r;
    if (s)
        sqlite3_bind_int64(s, 1, now_us);
    if ((r = store_exec_stmt(st, s, NULL, "used sign-in states")) < 0)
        return r;
    s = stmt(st, Q_OIDC_USED_INSERT);
    if (s) {
        bind_text(s, 1, hash_hex);
        sqlite3_bind_int64(s, 2, expires_us);
    }
    return insert_row(st, s, NULL, NULL, "sign-in state");
}
