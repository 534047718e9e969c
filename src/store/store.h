/*
 * store.h: the storage interface. One SQLite database in the data dir (WAL, foreign keys
 * on), numbered migrations embedded in the binary, every policy table guarded by triggers
 * that bump the policy version, and an append-only event table whose INTEGER PRIMARY KEY
 * AUTOINCREMENT is the global event offset.
 *
 * Ownership: a struct store is one connection; the caller closes it with store_close().
 * Rows are returned by value into caller-provided structs (they hold no pointers).
 * Thread-safety: a struct store must be used by one thread at a time. Open one store per
 * thread (SQLite WAL allows many readers and one writer).
 *
 * Errors: -ENOENT (no such row), -EEXIST (a unique name or id taken), -EINVAL (a
 * reference that does not exist, a constraint), -EIO (SQLite failed; err says why),
 * -EPROTO (schema newer than this binary).
 */
#ifndef GH_STORE_H
#define GH_STORE_H

#include "model/model.h"

struct store;

enum store_flags {
    STORE_CREATE = 1u << 0,   /* create the file and migrate if missing */
    STORE_READONLY = 1u << 1, /* open read-only (no migration) */
    STORE_DURABLE = 1u << 2   /* synchronous=FULL (default NORMAL, still durable in WAL mode
                                 across crashes of the process, not power loss) */
};

int store_open(const char *path, unsigned flags, struct store **out, struct gh_err *err);
void store_close(struct store *st);
/* Schema version of the open database and the newest this binary knows. */
int store_schema_version(struct store *st);
int store_schema_latest(void);
/* The policy version: bumped by every change to policy data. */
int64_t store_policy_version(struct store *st);
/* Path of the database file. */
const char *store_path(const struct store *st);

/* Transactions (not nested). store_begin_write takes the write lock at once. */
bool store_in_transaction(struct store *st);
int store_begin_read(struct store *st);
int store_begin_write(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Change tracking, for the audit log's before and after. With it on, each write transaction
 * on this connection records the rows it inserts, updates and deletes (SQLite's session
 * extension, so rows changed by cascades and triggers too), until commit or rollback. Not
 * recorded: the events (they are a log already), the audit log's own tables, and the
 * bookkeeping of sign-in throttling and used OpenID states. */
void store_track_changes(struct store *st, bool on);

enum store_value_type { STORE_ABSENT, STORE_NULL, STORE_INT, STORE_REAL, STORE_TEXT, STORE_BLOB };
struct store_value {
    enum store_value_type type; /* STORE_ABSENT: not part of this change (an unchanged column) */
    int64_t i;
    double f;
    const void *p; /* TEXT (not NUL-terminated) or BLOB bytes, len of them */
    size_t len;
};
/* One changed row. An insert has after values, a delete before values, an update the key
 * and the changed columns in both. Valid during the callback only. */
struct store_change {
    const char *table;
    char op; /* 'I', 'U' or 'D' */
    int ncol;
    const char *const *names; /* column names */
    const unsigned char *pk;  /* non-zero: the column is part of the primary key */
    const struct store_value *before, *after;
};
/* Calls fn for each row changed so far in this write transaction (grouped by table); a
 * non-zero return from fn stops and is returned. -ENOENT when not tracking or no write
 * transaction is open. */
int store_changes_foreach(struct store *st, int (*fn)(void *ctx, const struct store_change *c),
                          void *ctx);

/* Key/value settings (e.g. the data dir's site key id, import stamps). */
int store_meta_get(struct store *st, const char *key, char *val, size_t len);
int store_meta_set(struct store *st, const char *key, const char *val);

/* ---- policy rows ---------------------------------------------------------------------
 * *_insert fills the id; *_update writes every field by id; *_get reads by id; *_find
 * reads by unique name (or employee id, or format+facility+number). Listing calls cb for
 * every row in id order; a non-zero return from cb stops and is returned. */

typedef int (*store_site_cb)(void *ctx, const struct site *row);
int store_site_insert(struct store *st, struct site *row, struct gh_err *err);
int store_site_get(struct store *st, int64_t id, struct site *out);
int store_site_find(struct store *st, const char *name, struct site *out);
int store_site_list(struct store *st, store_site_cb cb, void *ctx);
int store_site_update(struct store *st, const struct site *row, struct gh_err *err);

typedef int (*store_area_cb)(void *ctx, const struct area *row);
int store_area_insert(struct store *st, struct area *row, struct gh_err *err);
int store_area_update(struct store *st, const struct area *row, struct gh_err *err);
int store_area_get(struct store *st, int64_t id, struct area *out);
int store_area_find(struct store *st, const char *name, struct area *out);
int store_area_list(struct store *st, store_area_cb cb, void *ctx);

typedef int (*store_door_cb)(void *ctx, const struct door *row);
int store_door_insert(struct store *st, struct door *row, struct gh_err *err);
int store_door_update(struct store *st, const struct door *row, struct gh_err *err);
int store_door_get(struct store *st, int64_t id, struct door *out);
int store_door_find(struct store *st, const char *name, struct door *out);
int store_door_list(struct store *st, store_door_cb cb, void *ctx);

typedef int (*store_calendar_cb)(void *ctx, const struct holiday_calendar *row);
int store_calendar_insert(struct store *st, struct holiday_calendar *row, struct gh_err *err);
int store_calendar_find(struct store *st, const char *name, struct holiday_calendar *out);
int store_calendar_list(struct store *st, store_calendar_cb cb, void *ctx);
int store_calendar_get(struct store *st, int64_t id, struct holiday_calendar *out);
int store_calendar_update(struct store *st, const struct holiday_calendar *row, struct gh_err *err);
typedef int (*store_holiday_cb)(void *ctx, const struct holiday *row);
int store_holiday_insert(struct store *st, const struct holiday *row, struct gh_err *err);
int store_holiday_list(struct store *st, store_holiday_cb cb, void *ctx);
/* Removes one holiday of a calendar; -ENOENT if there is none that day. */
int store_holiday_remove(struct store *st, int64_t calendar_id, int64_t day);

typedef int (*store_schedule_cb)(void *ctx, const struct schedule *row);
int store_schedule_insert(struct store *st, struct schedule *row, struct gh_err *err);
int store_schedule_update(struct store *st, const struct schedule *row, struct gh_err *err);
int store_schedule_get(struct store *st, int64_t id, struct schedule *out);
int store_schedule_find(struct store *st, const char *name, struct schedule *out);
int store_schedule_list(struct store *st, store_schedule_cb cb, void *ctx);

typedef int (*store_level_cb)(void *ctx, const struct access_level *row);
int store_level_insert(struct store *st, struct access_level *row, struct gh_err *err);
int store_level_find(struct store *st, const char *name, struct access_level *out);
int store_level_get(struct store *st, int64_t id, struct access_level *out);
int store_level_list(struct store *st, store_level_cb cb, void *ctx);
int store_level_update(struct store *st, const struct access_level *row, struct gh_err *err);
typedef int (*store_level_door_cb)(void *ctx, const struct level_door *row);
/* Adds or replaces (level, door) with its schedule. */
int store_level_door_set(struct store *st, const struct level_door *row, struct gh_err *err);
int store_level_door_remove(struct store *st, int64_t level_id, int64_t door_id);
int store_level_door_list(struct store *st, store_level_door_cb cb, void *ctx);

typedef int (*store_department_cb)(void *ctx, const struct department *row);
int store_department_insert(struct store *st, struct department *row, struct gh_err *err);
int store_department_find(struct store *st, const char *name, struct department *out);
int store_department_get(struct store *st, int64_t id, struct department *out);
int store_department_list(struct store *st, store_department_cb cb, void *ctx);
int store_department_update(struct store *st, const struct department *row, struct gh_err *err);
/* Finds a department by name, creating it if missing. */
int store_department_ensure(struct store *st, const char *name, int64_t *id, struct gh_err *err);

typedef int (*store_person_cb)(void *ctx, const struct person *row);
int store_person_insert(struct store *st, struct person *row, struct gh_err *err);
int store_person_update(struct store *st, const struct person *row, struct gh_err *err);
int store_person_get(struct store *st, int64_t id, struct person *out);
int store_person_find(struct store *st, const char *employee_id, struct person *out);
int store_person_list(struct store *st, store_person_cb cb, void *ctx);
int store_person_count(struct store *st, int64_t *count);

typedef int (*store_credential_cb)(void *ctx, const struct credential *row);
int store_credential_insert(struct store *st, struct credential *row, struct gh_err *err);
int store_credential_update(struct store *st, const struct credential *row, struct gh_err *err);
int store_credential_get(struct store *st, int64_t id, struct credential *out);
int store_credential_find(struct store *st, enum cred_format f, uint32_t facility, uint64_t number,
                          struct credential *out);
int store_credential_list(struct store *st, store_credential_cb cb, void *ctx);
int store_credential_list_person(struct store *st, int64_t person_id, store_credential_cb cb,
                                 void *ctx);
/* Sets status of every credential of a person that is active or suspended to `status`;
 * *changed counts them. */
int store_credential_revoke_person(struct store *st, int64_t person_id, enum cred_status status,
                                   int *changed);

typedef int (*store_assignment_cb)(void *ctx, const struct assignment *row);
/* Adds or replaces (person, level) with its expiry. */
int store_assignment_set(struct store *st, struct assignment *row, struct gh_err *err);
int store_assignment_remove(struct store *st, int64_t person_id, int64_t level_id);
int store_assignment_list(struct store *st, store_assignment_cb cb, void *ctx);

/* ---- deleting policy rows ------------------------------------------------------------ */

enum store_table {
    ST_SITE = 0,
    ST_AREA,
    ST_DOOR,
    ST_SCHEDULE,
    ST_CALENDAR,
    ST_LEVEL,
    ST_DEPARTMENT,
    ST_PERSON,
    ST_CREDENTIAL,
    ST_CONTROLLER,
    ST_TABLE_COUNT
};
/* Deletes one row by id. -ENOENT if there is none; -EINVAL with err saying so when other
 * rows still refer to it (nothing is deleted in cascade except a level's door list and a
 * person's assignments, a schedule's intervals and a calendar's holidays). */
int store_delete(struct store *st, enum store_table t, int64_t id, struct gh_err *err);

/* ---- door controllers (gatehouse edge) ------------------------------------------------ */

#define STORE_HEALTH_MAX 16384 /* 64 doors and their states fit */
struct controller {
    int64_t id;
    char name[MODEL_NAME_MAX];
    int64_t key_id;            /* the current key's id (its events' source), 0: not enrolled */
    uint8_t public_key[32];    /* when key_id != 0 */
    int64_t enroll_expires_us; /* an enrollment token is waiting until then, 0: none */
    int64_t created_us;
    int64_t last_seen_us;          /* 0: never */
    char health[STORE_HEALTH_MAX]; /* the last heartbeat, a JSON object ("" none) */
    int64_t applied_version;
    int64_t applied_us;
    int64_t lag_ms; /* -1: not known */
};
typedef int (*store_controller_cb)(void *ctx, const struct controller *row);
struct controller_door {
    int64_t controller_id;
    int64_t door_id;
    int32_t offline_pin_after_s; /* 0: never */
    int32_t offline_deny_after_s;
};
typedef int (*store_controller_door_cb)(void *ctx, const struct controller_door *row);

/* Adds a controller record (row->name, row->created_us); sets row->id. */
int store_controller_insert(struct store *st, struct controller *row, struct gh_err *err);
int store_controller_get(struct store *st, int64_t id, struct controller *out);
int store_controller_find(struct store *st, const char *name, struct controller *out);
int store_controller_list(struct store *st, store_controller_cb cb, void *ctx);
/* Sets (hash_hex non-NULL) or clears the one-time enrollment token's hash and expiry. */
int store_controller_set_enroll(struct store *st, int64_t id, const char *hash_hex,
                                int64_t expires_us);
/* The controller waiting with this token hash (any expiry: the caller checks it). */
int store_controller_by_enroll(struct store *st, const char *hash_hex, struct controller *out);
/* Registers a new key for the controller, makes it current and uses up the token; sets
 * *key_id. Call inside a write transaction. */
int store_controller_enroll(struct store *st, int64_t id, const uint8_t public_key[32],
                            int64_t now_us, int64_t *key_id, struct gh_err *err);
/* A signed request was accepted now. */
int store_controller_seen(struct store *st, int64_t id, int64_t now_us);
/* A heartbeat: health (JSON text), the version it applies; when the version is new,
 * applied_us = now and lag_ms as given. */
int store_controller_health(struct store *st, int64_t id, int64_t now_us, const char *health,
                            int64_t applied_version, int64_t lag_ms);
/* Adds or changes a door of a controller. -EEXIST (err says which) when another controller
 * drives the door. */
int store_controller_door_set(struct store *st, const struct controller_door *row,
                              struct gh_err *err);
int store_controller_door_remove(struct store *st, int64_t controller_id, int64_t door_id);
/* One controller's doors (controller_id > 0) or all, by controller then door. */
int store_controller_door_list(struct store *st, int64_t controller_id, store_controller_door_cb cb,
                               void *ctx);
/* The controller driving a door (0: none; negative: an error). */
int64_t store_controller_of_door(struct store *st, int64_t door_id);
/* The highest journal sequence stored for a controller key (0: none): with events
 * uploaded only in order, the highest with no gap. */
int64_t store_edge_acked(struct store *st, int64_t key_id);

/* ---- the audit log's rows (src/audit builds the tree on them) ---------------------------- */

/* The number of entries (the next index). */
int64_t store_audit_size(struct store *st);
/* Appends entry idx (in the caller's write transaction). */
int store_audit_entry_put(struct store *st, int64_t idx, int64_t time_us, const char *entry);
/* Entry idx (*out: a NUL-terminated copy the caller frees) and *time_us; -ENOENT when
 * absent. */
int store_audit_entry_get(struct store *st, int64_t idx, int64_t *time_us, char **out);
typedef int (*store_audit_entry_cb)(void *ctx, int64_t idx, int64_t time_us, const char *entry);
/* Entries with idx >= from, in index order (stops when cb returns non-zero). */
int store_audit_entry_list(struct store *st, int64_t from, store_audit_entry_cb cb, void *ctx);
int store_audit_node_put(struct store *st, unsigned level, int64_t idx, const uint8_t hash[32]);
/* The leaf hashes (level-0 nodes) from index `from`, up to count, into out; the number read
 * (fewer when the log ends, or at a gap or a malformed row), or -EIO. */
int64_t store_audit_leaf_hashes(struct store *st, int64_t from, int64_t count, uint8_t (*out)[32]);
/* -ENOENT when absent. */
int store_audit_node_get(struct store *st, unsigned level, int64_t idx, uint8_t hash[32]);
struct store_audit_head {
    int64_t size;
    int64_t time_us;
    uint8_t root[32];
    uint8_t signature[64];
};
int store_audit_head_put(struct store *st, const struct store_audit_head *h);
/* The head of the largest size; -ENOENT when none. */
int store_audit_head_latest(struct store *st, struct store_audit_head *out);
typedef int (*store_audit_head_cb)(void *ctx, const struct store_audit_head *h);
int store_audit_head_list(struct store *st, store_audit_head_cb cb, void *ctx);

/* ---- access reviews: a finding that someone's access needs review ------------------- */
int store_review_open(struct store *st, int64_t person_id, const char *reason, int64_t time_us);
int store_review_count_open(struct store *st, int64_t *count);
struct access_review {
    int64_t id, person_id, opened_us, closed_us; /* closed_us 0: open */
    char reason[2 * MODEL_NAME_MAX + 64];
};
typedef int (*store_review_cb)(void *ctx, const struct access_review *row);
/* Oldest first; only the open ones when open_only. */
int store_review_list(struct store *st, bool open_only, store_review_cb cb, void *ctx);
/* Closes an open review; -ENOENT when there is no such open review. */
int store_review_close(struct store *st, int64_t id, int64_t time_us, struct gh_err *err);

/* ---- events -------------------------------------------------------------------------- */

/* Appends one event inside the caller's write transaction; fills ev->offset. An event
 * from a controller (ev->source != 0) whose (source, source_seq) is already stored is not
 * stored again: 1, with ev->offset 0. */
int store_event_append(struct store *st, struct event *ev);

struct store_event_filter {
    int64_t from_us;       /* inclusive; GH_TIME_MIN for none */
    int64_t to_us;         /* exclusive; GH_TIME_MAX for none */
    int64_t after_offset;  /* only offsets > this (cursor); 0 for all */
    int64_t until_offset;  /* only offsets <= this; 0 for no bound */
    int64_t person_id;     /* 0: any */
    int64_t door_id;       /* 0: any */
    int64_t credential_id; /* 0: any */
    int type;              /* -1: any */
    uint64_t types;        /* bit per type (1 << EV_...): one of them; 0: any */
    int decision;          /* -1: any */
    int64_t limit;         /* 0: no limit */
};
void store_event_filter_init(struct store_event_filter *f);
typedef int (*store_event_cb)(void *ctx, const struct event *ev);
/* Streams matching events in offset order (constant memory). */
int store_event_query(struct store *st, const struct store_event_filter *f, store_event_cb cb,
                      void *ctx);
/* Highest stored offset, 0 when empty. */
int64_t store_event_last_offset(struct store *st);
/* A number that changes whenever another connection (thread or process) commits to the
 * database: a cheap way (shared memory, no I/O) to notice changes. -1 on error. */
int64_t store_data_version(struct store *st);

/* ---- API tokens (see src/identity) -------------------------------------------------- */

#define STORE_TOKEN_HASH_HEX   65 /* BLAKE2b-256 as hex, with NUL */
#define STORE_TOKEN_SCOPES_MAX 1024

struct api_token {
    int64_t id;
    char name[MODEL_NAME_MAX];
    char hash_hex[STORE_TOKEN_HASH_HEX];
    char scopes[STORE_TOKEN_SCOPES_MAX]; /* space-separated permission names */
    int64_t created_us;
    int64_t expires_us; /* GH_TIME_MAX: never */
    int64_t revoked_us; /* 0: not revoked */
    int64_t user_id;    /* the owner, 0 for a server token (made on the host) */
};
typedef int (*store_token_cb)(void *ctx, const struct api_token *row);
int store_token_insert(struct store *st, struct api_token *row, struct gh_err *err);
int store_token_by_hash(struct store *st, const char *hash_hex, struct api_token *out);
int store_token_find(struct store *st, const char *name, struct api_token *out);
int store_token_list(struct store *st, store_token_cb cb, void *ctx);
/* Marks a token revoked; -ENOENT if there is none, or it already is. */
int store_token_revoke(struct store *st, int64_t id, int64_t time_us);

/* ---- users (see src/identity) ---------------------------------------------------------- */

enum user_source { USER_LOCAL = 0, USER_LDAP, USER_OIDC };
#define STORE_USER_ROLES_MAX  256
#define STORE_USER_HASH_MAX   128
#define STORE_TOTP_BOX_MAX    96  /* nonce + MAC + a key of up to 56 bytes */
#define STORE_EXTERNAL_ID_MAX 256 /* OIDC Core: "sub" is at most 255 ASCII characters */

struct user {
    int64_t id;
    char name[MODEL_NAME_MAX]; /* sign-in name, unique regardless of case */
    char display_name[MODEL_NAME_MAX];
    char email[MODEL_EMAIL_MAX + 1];
    enum user_source source;
    char roles[STORE_USER_ROLES_MAX];        /* space-separated role names */
    char password_hash[STORE_USER_HASH_MAX]; /* Argon2id string, "" for none */
    int64_t password_changed_us;
    int64_t disabled_us; /* 0: enabled */
    int64_t created_us;
    int64_t updated_us;
    /* TOTP keys, sealed (src/identity/mfa.c); length 0: none */
    uint8_t totp_secret[STORE_TOTP_BOX_MAX];
    size_t totp_secret_len;
    uint8_t totp_pending[STORE_TOTP_BOX_MAX];
    size_t totp_pending_len;
    int64_t totp_last_step;
    char external_id[STORE_EXTERNAL_ID_MAX]; /* OIDC: the provider's "sub"; "" otherwise */
};
typedef int (*store_user_cb)(void *ctx, const struct user *row);
/* Inserts (sets id; created_us/updated_us as given). -EEXIST when the name is taken. */
int store_user_insert(struct store *st, struct user *row, struct gh_err *err);
int store_user_get(struct store *st, int64_t id, struct user *out);
int store_user_find(struct store *st, const char *name, struct user *out);
/* The user a provider knows by external_id (an OIDC "sub"). -ENOENT when none. */
int store_user_find_external(struct store *st, enum user_source source, const char *external_id,
                             struct user *out);
int store_user_list(struct store *st, store_user_cb cb, void *ctx);
/* Writes every column but id and created_us. -ENOENT when there is no such user. */
int store_user_update(struct store *st, const struct user *row, struct gh_err *err);
const char *user_source_name(enum user_source s);
/* Replaces a user's recovery codes with n new hashes (hex). */
int store_recovery_replace(struct store *st, int64_t user_id, const char *const *hashes, int n);
/* Marks the unused code with this hash used; -ENOENT when there is none. */
int store_recovery_use(struct store *st, int64_t user_id, const char *hash_hex, int64_t time_us);
/* Unused recovery codes of a user. */
int store_recovery_left(struct store *st, int64_t user_id, int64_t *n);

/* One-time setup tokens (the first administrator). */
int store_setup_insert(struct store *st, const char *hash_hex, int64_t created_us,
                       int64_t expires_us);
/* Marks the token used if it is unused and unexpired at time_us; -ENOENT otherwise. */
int store_setup_use(struct store *st, const char *hash_hex, int64_t time_us);

/* ---- sessions and sign-in throttling (see src/identity) -------------------------------- */

#define STORE_SESSION_HASH_HEX 65
#define STORE_CSRF_LEN         44 /* 43 base64url characters + NUL */

struct session {
    int64_t id;
    char id_hash[STORE_SESSION_HASH_HEX];
    int64_t user_id;
    char csrf[STORE_CSRF_LEN];
    char address[64];
    int64_t created_us;
    int64_t last_seen_us;
    int64_t expires_us;
    int64_t ended_us; /* 0: live */
};
int store_session_insert(struct store *st, struct session *row, struct gh_err *err);
int store_session_by_hash(struct store *st, const char *hash_hex, struct session *out);
int store_session_touch(struct store *st, int64_t id, int64_t time_us);
/* Ends one session; -ENOENT when it is not live. */
int store_session_end(struct store *st, int64_t id, int64_t time_us);
/* Ends every live session of a user; *n (may be NULL) gets how many. */
int store_session_end_user(struct store *st, int64_t user_id, int64_t time_us, int *n);
typedef int (*store_session_cb)(void *ctx, const struct session *row);
/* The sessions of a user not ended and not past their absolute end at now_us, oldest
 * first (the caller applies the idle limit). */
int store_session_list_user(struct store *st, int64_t user_id, int64_t now_us, store_session_cb cb,
                            void *ctx);

struct login_throttle {
    int64_t failures;
    int64_t last_failure_us;
    int64_t blocked_until_us;
};
/* The row for key, or all zeros when there is none (never -ENOENT). */
int store_throttle_get(struct store *st, const char *key, struct login_throttle *out);
int store_throttle_set(struct store *st, const char *key, const struct login_throttle *t);
int store_throttle_clear(struct store *st, const char *key);

/* Marks an OpenID Connect sign-in's state (hash) used until expires_us, dropping rows
 * past their time first. -EEXIST when it was used already. */
int store_oidc_state_use(struct store *st, const char *hash_hex, int64_t now_us,
                         int64_t expires_us);

/* ---- alarms and incidents (incidents.c) ---------------------------------------------- */

/* The alarm with this key that is not cleared and was last raised at or after since_us
 * (the de-duplication window), the newest; -ENOENT when there is none. */
int store_alarm_find_open(struct store *st, const char *key, int64_t since_us, struct alarm *out);
int store_alarm_insert(struct store *st, struct alarm *row, struct gh_err *err);
int store_alarm_update(struct store *st, const struct alarm *row, struct gh_err *err);
int store_alarm_get(struct store *st, int64_t id, struct alarm *out);
struct store_alarm_filter {
    unsigned statuses;   /* bit per enum alarm_status; 0: any */
    int64_t before_id;   /* only ids < this (paging, newest first); 0: none */
    int64_t incident_id; /* 0: any */
    int64_t limit;       /* 0: no limit */
};
typedef int (*store_alarm_cb)(void *ctx, const struct alarm *row);
/* Newest first. */
int store_alarm_list(struct store *st, const struct store_alarm_filter *f, store_alarm_cb cb,
                     void *ctx);

/* Incident types own their steps text (free it with store_incident_type_free). */
int store_incident_type_insert(struct store *st, struct incident_type *row, struct gh_err *err);
int store_incident_type_update(struct store *st, const struct incident_type *row,
                               struct gh_err *err);
int store_incident_type_get(struct store *st, int64_t id, struct incident_type *out);
int store_incident_type_find(struct store *st, const char *name, struct incident_type *out);
int store_incident_type_delete(struct store *st, int64_t id, struct gh_err *err);
typedef int (*store_incident_type_cb)(void *ctx, const struct incident_type *row);
int store_incident_type_list(struct store *st, store_incident_type_cb cb, void *ctx);
void store_incident_type_free(struct incident_type *t);

int store_incident_insert(struct store *st, struct incident *row, struct gh_err *err);
int store_incident_update(struct store *st, const struct incident *row, struct gh_err *err);
int store_incident_get(struct store *st, int64_t id, struct incident *out);
struct store_incident_filter {
    unsigned statuses;     /* bit per enum incident_status; 0: any */
    int64_t department_id; /* 0: any */
    int64_t before_id;     /* paging, newest first; 0: none */
    int64_t drill_id;      /* 0: any; -1: none */
    int64_t limit;         /* 0: no limit */
};
typedef int (*store_incident_cb)(void *ctx, const struct incident *row);
int store_incident_list(struct store *st, const struct store_incident_filter *f,
                        store_incident_cb cb, void *ctx);
/* The soonest escalation deadline of any incident (0: none). */
int64_t store_incident_next_escalation(struct store *st);
/* Incidents whose escalation is due at now_us (escalate_at_us <= now_us), oldest first. */
int store_incident_list_due(struct store *st, int64_t now_us, store_incident_cb cb, void *ctx);

int store_incident_step_put(struct store *st, const struct incident_step *row, struct gh_err *err);
int store_incident_step_get(struct store *st, int64_t incident_id, int idx,
                            struct incident_step *out);
typedef int (*store_incident_step_cb)(void *ctx, const struct incident_step *row);
int store_incident_step_list(struct store *st, int64_t incident_id, store_incident_step_cb cb,
                             void *ctx);

/* A department's escalation delay: an incident not acknowledged this long after its last
 * notification goes to the next level of the directory. */
int store_department_escalation(struct store *st, int64_t department_id, int64_t *after_s);
int store_department_set_escalation(struct store *st, int64_t department_id, int64_t after_s,
                                    struct gh_err *err);

int store_incident_note(struct store *st, int64_t incident_id, int64_t time_us, const char *who,
                        const char *kind, const char *text, int64_t *id);
struct incident_entry {
    int64_t id, incident_id, time_us;
    char who[MODEL_NAME_MAX];
    char kind[16];
    char text[INCIDENT_TEXT_MAX + 256];
};
typedef int (*store_incident_entry_cb)(void *ctx, const struct incident_entry *row);
int store_incident_timeline(struct store *st, int64_t incident_id, store_incident_entry_cb cb,
                            void *ctx);

/* Links: kind is event, person, door, controller, alarm or clip. 1 when it was there. */
int store_incident_link(struct store *st, int64_t incident_id, const char *kind, const char *ref,
                        bool add, struct gh_err *err);
typedef int (*store_incident_link_cb)(void *ctx, const char *kind, const char *ref);
int store_incident_links(struct store *st, int64_t incident_id, store_incident_link_cb cb,
                         void *ctx);
/* Assignees (user ids). 1 when nothing changed. */
int store_incident_assign(struct store *st, int64_t incident_id, int64_t user_id, bool add,
                          struct gh_err *err);
typedef int (*store_id_cb)(void *ctx, int64_t id);
int store_incident_assignees(struct store *st, int64_t incident_id, store_id_cb cb, void *ctx);

/* ---- the directory, templates and notifications (incidents.c) ---------------------------- */

int store_contact_insert(struct store *st, struct contact *row, struct gh_err *err);
int store_contact_update(struct store *st, const struct contact *row, struct gh_err *err);
int store_contact_get(struct store *st, int64_t id, struct contact *out);
int store_contact_delete(struct store *st, int64_t id, struct gh_err *err);
typedef int (*store_contact_cb)(void *ctx, const struct contact *row);
/* By department, level, name; department_id 0: every department's. */
int store_contact_list(struct store *st, int64_t department_id, store_contact_cb cb, void *ctx);

struct message_template {
    char name[48];
    char subject[256];
    char body[4096];
};
int store_template_get(struct store *st, const char *name, struct message_template *out);
int store_template_put(struct store *st, const struct message_template *t, struct gh_err *err);
typedef int (*store_template_cb)(void *ctx, const struct message_template *row);
int store_template_list(struct store *st, store_template_cb cb, void *ctx);

enum notification_status { NOTE_PENDING = 0, NOTE_SENT, NOTE_FAILED };
struct notification {
    int64_t id;
    int64_t incident_id, contact_id; /* 0: none */
    char channel[8];                 /* email, webhook */
    char target[512];                /* the address or URL */
    char template_name[48];
    char subject[256];
    char body[4096];
    int64_t created_us;
    enum notification_status status;
    int attempts;
    int64_t next_us, sent_us;
    char last_error[256];
};
int store_notification_insert(struct store *st, struct notification *row, struct gh_err *err);
int store_notification_update(struct store *st, const struct notification *row, struct gh_err *err);
typedef int (*store_notification_cb)(void *ctx, const struct notification *row);
/* Pending ones due at now_us (next_us <= now_us), oldest first, at most limit. */
int store_notification_due(struct store *st, int64_t now_us, int limit, store_notification_cb cb,
                           void *ctx);
/* The next time one is due (0: none pending). */
int64_t store_notification_next(struct store *st);
/* An incident's, oldest first (incident_id 0: those of no incident). */
int store_notification_list(struct store *st, int64_t incident_id, store_notification_cb cb,
                            void *ctx);

/* An incident's attachment; data only from store_attachment_get. */
struct attachment {
    int64_t id, incident_id;
    char name[MODEL_NAME_MAX];
    char mime[96];
    char sha256[65];
    int64_t size;
    char by[MODEL_NAME_MAX];
    int64_t time_us;
};
int store_attachment_insert(struct store *st, struct attachment *row, const void *data, size_t len,
                            struct gh_err *err);
typedef int (*store_attachment_cb)(void *ctx, const struct attachment *row);
int store_attachment_list(struct store *st, int64_t incident_id, store_attachment_cb cb, void *ctx);
/* The attachment id of incident_id, and its bytes (*data: malloc'd, the caller frees). */
int store_attachment_get(struct store *st, int64_t incident_id, int64_t id, struct attachment *out,
                         void **data, size_t *len);

struct drill {
    int64_t id;
    char scenario[32];
    int64_t started_us;
    char by[MODEL_NAME_MAX];
};
int store_drill_insert(struct store *st, const char *scenario, int64_t started_us, const char *by,
                       int64_t *id, struct gh_err *err);
int store_drill_get(struct store *st, int64_t id, struct drill *out);
typedef int (*store_drill_cb)(void *ctx, const struct drill *row);
/* Newest first. */
int store_drill_list(struct store *st, store_drill_cb cb, void *ctx);

/* Last SQLite error text for messages (valid until the next call). */
const char *store_errmsg(struct store *st);

#endif
