/*
 * incidents.c: the rows of alarms, incident types, incidents and what hangs on them
 * (steps, timeline, links, assignees). Plain reads and writes; the rules (de-duplication,
 * allowed transitions, what a resolve needs) are src/incident's.
 */
#include "store/store.h"
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    S_ALARM_FIND_OPEN = STORE_SLOTS_INCIDENT,
    S_ALARM_INSERT,
    S_ALARM_UPDATE,
    S_ALARM_GET,
    S_ALARM_LIST,
    S_TYPE_INSERT,
    S_TYPE_UPDATE,
    S_TYPE_GET,
    S_TYPE_FIND,
    S_TYPE_DELETE,
    S_TYPE_LIST,
    S_INC_INSERT,
    S_INC_UPDATE,
    S_INC_GET,
    S_INC_LIST,
    S_INC_DUE,
    S_STEP_PUT,
    S_STEP_GET,
    S_STEP_LIST,
    S_NOTE,
    S_TIMELINE,
    S_LINK_ADD,
    S_LINK_DEL,
    S_LINKS,
    S_ASSIGN_ADD,
    S_ASSIGN_DEL,
    S_ASSIGNEES,
    S_DEPT_ESC_GET,
    S_DEPT_ESC_SET,
    S_REVIEW_LIST,
    S_REVIEW_CLOSE,
    S_CONTACT_INSERT,
    S_CONTACT_UPDATE,
    S_CONTACT_GET,
    S_CONTACT_DELETE,
    S_CONTACT_LIST,
    S_TEMPLATE_GET,
    S_TEMPLATE_PUT,
    S_TEMPLATE_LIST,
    S_NOTE_INSERT,
    S_NOTE_UPDATE,
    S_NOTE_DUE,
    S_NOTE_NEXT,
    S_NOTE_LIST,
    S_INC_NEXT_ESC,
    S_DRILL_INSERT,
    S_DRILL_GET,
    S_DRILL_LIST,
    S_ATT_INSERT,
    S_ATT_LIST,
    S_ATT_GET,
    S_INCIDENT_END
};
_Static_assert(S_INCIDENT_END <= STORE_SLOTS_INCIDENT + 64, "incidents.c owns 64 slots");

/* ---- small helpers ------------------------------------------------------------------------ */

/* Steps a statement that returns one row into read(); -ENOENT without one. */
static int get_one(struct store *st, sqlite3_stmt *s, void (*read)(sqlite3_stmt *, void *),
                   void *out)
{
    int rc;
    if (s == NULL)
        return -EIO;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        read(s, out);
        sqlite3_reset(s);
        return 0;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? -ENOENT : store_step_error(st, rc, NULL, "reading");
}

/* Steps through every row, read() into a row buffer of size bytes, then cb(ctx, row);
 * stops at the first cb that returns non-zero (returned). */
static int each_row(struct store *st, sqlite3_stmt *s, void (*read)(sqlite3_stmt *, void *),
                    size_t size, int (*cb)(void *, const void *), void *ctx)
{
    void *row;
    int rc, r = 0;
    if (s == NULL)
        return -EIO;
    row = xcalloc(1, size);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(row, 0, size);
        read(s, row);
        if ((r = cb(ctx, row)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = store_step_error(st, rc, NULL, "listing");
    sqlite3_reset(s);
    free(row);
    return r;
}

/* The row of the statement's ?1 = id. */
static int get_by_id(struct store *st, int slot, const char *sql, int64_t id,
                     void (*read)(sqlite3_stmt *, void *), void *out)
{
    sqlite3_stmt *s = store_ext_stmt(st, slot, sql);
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return get_one(st, s, read, out);
}

/* Calls a typed row callback through each_row's untyped one. */
#define ADAPTER(name, cbtype, rowtype)                                                             \
    struct name##_call {                                                                           \
        cbtype cb;                                                                                 \
        void *ctx;                                                                                 \
    };                                                                                             \
    static int name##_call_fn(void *c, const void *row)                                            \
    {                                                                                              \
        struct name##_call *l = c;                                                                 \
        return l->cb(l->ctx, (const rowtype *)row);                                                \
    }

ADAPTER(alarm, store_alarm_cb, struct alarm)
ADAPTER(incident, store_incident_cb, struct incident)
ADAPTER(step, store_incident_step_cb, struct incident_step)
ADAPTER(entry, store_incident_entry_cb, struct incident_entry)
ADAPTER(review, store_review_cb, struct access_review)
ADAPTER(contact, store_contact_cb, struct contact)
ADAPTER(template, store_template_cb, struct message_template)
ADAPTER(notification, store_notification_cb, struct notification)
ADAPTER(drill, store_drill_cb, struct drill)
ADAPTER(attachment, store_attachment_cb, struct attachment)

static int insert(struct store *st, sqlite3_stmt *s, int64_t *id, struct gh_err *err,
                  const char *what)
{
    int r = store_exec_stmt(st, s, err, what);
    if (r == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(store_db(st));
    return r;
}

static int update(struct store *st, sqlite3_stmt *s, struct gh_err *err, const char *what)
{
    int r = store_exec_stmt(st, s, err, what);
    if (r == 0 && sqlite3_changes(store_db(st)) == 0)
        return gh_fail(err, -ENOENT, "%s does not exist", what);
    return r;
}

/* Binds a row's columns from ?2 on (?1 is its id). */
typedef void (*bind_fn)(sqlite3_stmt *s, const void *row);

/* An insert (id 0: *new_id gets the row's id) or an update of row id, by the same binder. */
static int save(struct store *st, int slot, const char *sql, bind_fn bind, const void *row,
                int64_t id, int64_t *new_id, struct gh_err *err, const char *what)
{
    sqlite3_stmt *s = store_ext_stmt(st, slot, sql);
    if (s != NULL) {
        if (id != 0)
            sqlite3_bind_int64(s, 1, id);
        bind(s, row);
    }
    return id == 0 ? insert(st, s, new_id, err, what) : update(st, s, err, what);
}

/* ---- alarms ------------------------------------------------------------------------------- */

#define ALARM_COLS                                                                                 \
    "id, type, key, severity, status, detail, door_id, person_id, credential_id, controller_id, "  \
    "first_us, last_us, count, first_offset, last_offset, acked_us, acked_by, cleared_us, "        \
    "cleared_by, incident_id, drill_id, raised_us"

static void read_alarm(sqlite3_stmt *s, void *row)
{
    struct alarm *a = row;
    a->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, a->type, sizeof(a->type));
    col_text(s, 2, a->key, sizeof(a->key));
    a->severity = sqlite3_column_int(s, 3);
    a->status = (enum alarm_status)sqlite3_column_int(s, 4);
    col_text(s, 5, a->detail, sizeof(a->detail));
    a->door_id = sqlite3_column_int64(s, 6);
    a->person_id = sqlite3_column_int64(s, 7);
    a->credential_id = sqlite3_column_int64(s, 8);
    a->controller_id = sqlite3_column_int64(s, 9);
    a->first_us = sqlite3_column_int64(s, 10);
    a->last_us = sqlite3_column_int64(s, 11);
    a->count = sqlite3_column_int64(s, 12);
    a->first_offset = sqlite3_column_int64(s, 13);
    a->last_offset = sqlite3_column_int64(s, 14);
    a->acked_us = sqlite3_column_int64(s, 15);
    col_text(s, 16, a->acked_by, sizeof(a->acked_by));
    a->cleared_us = sqlite3_column_int64(s, 17);
    col_text(s, 18, a->cleared_by, sizeof(a->cleared_by));
    a->incident_id = sqlite3_column_int64(s, 19);
    a->drill_id = sqlite3_column_int64(s, 20);
    a->raised_us = sqlite3_column_int64(s, 21);
}

/* Binds ?2.. in ALARM_COLS order (?1 is the id). */
static void bind_alarm(sqlite3_stmt *s, const void *row)
{
    const struct alarm *a = row;
    bind_text(s, 2, a->type);
    bind_text(s, 3, a->key);
    sqlite3_bind_int(s, 4, a->severity);
    sqlite3_bind_int(s, 5, (int)a->status);
    bind_text(s, 6, a->detail);
    bind_ref(s, 7, a->door_id);
    bind_ref(s, 8, a->person_id);
    bind_ref(s, 9, a->credential_id);
    bind_ref(s, 10, a->controller_id);
    sqlite3_bind_int64(s, 11, a->first_us);
    sqlite3_bind_int64(s, 12, a->last_us);
    sqlite3_bind_int64(s, 13, a->count);
    bind_ref(s, 14, a->first_offset);
    bind_ref(s, 15, a->last_offset);
    bind_ref(s, 16, a->acked_us);
    if (a->acked_by[0])
        bind_text(s, 17, a->acked_by);
    bind_ref(s, 18, a->cleared_us);
    if (a->cleared_by[0])
        bind_text(s, 19, a->cleared_by);
    bind_ref(s, 20, a->incident_id);
    bind_ref(s, 21, a->drill_id);
    sqlite3_bind_int64(s, 22, a->raised_us);
}

int store_alarm_find_open(struct store *st, const char *key, int64_t since_us, struct alarm *out)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_ALARM_FIND_OPEN,
                                     "SELECT " ALARM_COLS " FROM alarms WHERE key = ?1 AND "
                                     "status != 2 AND last_us >= ?2 ORDER BY id DESC LIMIT 1");
    if (s) {
        bind_text(s, 1, key);
        sqlite3_bind_int64(s, 2, since_us);
    }
    return get_one(st, s, read_alarm, out);
}

int store_alarm_insert(struct store *st, struct alarm *row, struct gh_err *err)
{
    return save(
        st, S_ALARM_INSERT,
        "INSERT INTO alarms (type, key, severity, status, detail, door_id, person_id, "
        "credential_id, controller_id, first_us, last_us, count, first_offset, last_offset, "
        "acked_us, acked_by, cleared_us, cleared_by, incident_id, drill_id, raised_us) VALUES "
        "(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
        "?21, ?22)",
        bind_alarm, row, 0, &row->id, err, "alarm");
}

int store_alarm_update(struct store *st, const struct alarm *row, struct gh_err *err)
{
    return save(
        st, S_ALARM_UPDATE,
        "UPDATE alarms SET type = ?2, key = ?3, severity = ?4, status = ?5, detail = ?6, "
        "door_id = ?7, person_id = ?8, credential_id = ?9, controller_id = ?10, first_us = ?11, "
        "last_us = ?12, count = ?13, first_offset = ?14, last_offset = ?15, acked_us = ?16, "
        "acked_by = ?17, cleared_us = ?18, cleared_by = ?19, incident_id = ?20, drill_id = ?21, "
        "raised_us = ?22 WHERE id = ?1",
        bind_alarm, row, row->id, NULL, err, "alarm");
}

int store_alarm_get(struct store *st, int64_t id, struct alarm *out)
{
    return get_by_id(st, S_ALARM_GET, "SELECT " ALARM_COLS " FROM alarms WHERE id = ?1", id,
                     read_alarm, out);
}

int store_alarm_list(struct store *st, const struct store_alarm_filter *f, store_alarm_cb cb,
                     void *ctx)
{
    sqlite3_stmt *s = store_ext_stmt(
        st, S_ALARM_LIST,
        "SELECT " ALARM_COLS " FROM alarms WHERE (?1 = 0 OR ((1 << status) & ?1) != 0) AND "
        "(?2 = 0 OR id < ?2) AND (?3 = 0 OR incident_id = ?3) ORDER BY id DESC LIMIT ?4");
    if (s) {
        sqlite3_bind_int64(s, 1, f->statuses);
        sqlite3_bind_int64(s, 2, f->before_id);
        sqlite3_bind_int64(s, 3, f->incident_id);
        sqlite3_bind_int64(s, 4, f->limit > 0 ? f->limit : -1);
    }
    struct alarm_call l = {cb, ctx};
    return each_row(st, s, read_alarm, sizeof(struct alarm), alarm_call_fn, &l);
}

/* ---- incident types ----------------------------------------------------------------------- */

#define TYPE_COLS "id, name, title, department_id, severity, alarm_types, steps"

static void read_type(sqlite3_stmt *s, void *row)
{
    struct incident_type *t = row;
    const unsigned char *steps = sqlite3_column_text(s, 6);
    t->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, t->name, sizeof(t->name));
    col_text(s, 2, t->title, sizeof(t->title));
    t->department_id = sqlite3_column_int64(s, 3);
    t->severity = sqlite3_column_int(s, 4);
    col_text(s, 5, t->alarm_types, sizeof(t->alarm_types));
    t->steps = xstrdup(steps ? (const char *)steps : "[]");
}

void store_incident_type_free(struct incident_type *t)
{
    if (t != NULL) {
        free(t->steps);
        t->steps = NULL;
    }
}

static void bind_type(sqlite3_stmt *s, const void *row)
{
    const struct incident_type *t = row;
    bind_text(s, 2, t->name);
    bind_text(s, 3, t->title);
    bind_ref(s, 4, t->department_id);
    sqlite3_bind_int(s, 5, t->severity);
    bind_text(s, 6, t->alarm_types);
    bind_text(s, 7, t->steps ? t->steps : "[]");
}

int store_incident_type_insert(struct store *st, struct incident_type *row, struct gh_err *err)
{
    char what[ALARM_TYPE_MAX + 32];
    snprintf(what, sizeof(what), "incident type '%s'", row->name);
    return save(st, S_TYPE_INSERT,
                "INSERT INTO incident_types (name, title, department_id, "
                "severity, alarm_types, steps) VALUES (?2, ?3, ?4, ?5, ?6, "
                "?7)",
                bind_type, row, 0, &row->id, err, what);
}

int store_incident_type_update(struct store *st, const struct incident_type *row,
                               struct gh_err *err)
{
    char what[ALARM_TYPE_MAX + 32];
    snprintf(what, sizeof(what), "incident type '%s'", row->name);
    return save(st, S_TYPE_UPDATE,
                "UPDATE incident_types SET name = ?2, title = ?3, "
                "department_id = ?4, severity = ?5, alarm_types = ?6, "
                "steps = ?7 WHERE id = ?1",
                bind_type, row, row->id, NULL, err, what);
}

int store_incident_type_get(struct store *st, int64_t id, struct incident_type *out)
{
    return get_by_id(st, S_TYPE_GET, "SELECT " TYPE_COLS " FROM incident_types WHERE id = ?1", id,
                     read_type, out);
}

int store_incident_type_find(struct store *st, const char *name, struct incident_type *out)
{
    sqlite3_stmt *s =
        store_ext_stmt(st, S_TYPE_FIND, "SELECT " TYPE_COLS " FROM incident_types WHERE name = ?1");
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_type, out);
}

int store_incident_type_delete(struct store *st, int64_t id, struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_TYPE_DELETE, "DELETE FROM incident_types WHERE id = ?1");
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return update(st, s, err, "incident type");
}

struct type_list {
    store_incident_type_cb cb;
    void *ctx;
};

static int type_row(void *ctx, const void *row)
{
    struct type_list *l = ctx;
    struct incident_type *t = (struct incident_type *)row;
    int r = l->cb(l->ctx, t);
    store_incident_type_free(t);
    return r;
}

int store_incident_type_list(struct store *st, store_incident_type_cb cb, void *ctx)
{
    struct type_list l = {cb, ctx};
    sqlite3_stmt *s =
        store_ext_stmt(st, S_TYPE_LIST, "SELECT " TYPE_COLS " FROM incident_types ORDER BY id");
    return each_row(st, s, read_type, sizeof(struct incident_type), type_row, &l);
}

/* ---- incidents ---------------------------------------------------------------------------- */

#define INC_COLS                                                                                   \
    "id, type_id, type, title, severity, status, department_id, opened_us, updated_us, "           \
    "acked_us, resolved_us, closed_us, escalation_level, escalate_at_us, drill_id"

static void read_incident(sqlite3_stmt *s, void *row)
{
    struct incident *x = row;
    x->id = sqlite3_column_int64(s, 0);
    x->type_id = sqlite3_column_int64(s, 1);
    col_text(s, 2, x->type, sizeof(x->type));
    col_text(s, 3, x->title, sizeof(x->title));
    x->severity = sqlite3_column_int(s, 4);
    x->status = (enum incident_status)sqlite3_column_int(s, 5);
    x->department_id = sqlite3_column_int64(s, 6);
    x->opened_us = sqlite3_column_int64(s, 7);
    x->updated_us = sqlite3_column_int64(s, 8);
    x->acked_us = sqlite3_column_int64(s, 9);
    x->resolved_us = sqlite3_column_int64(s, 10);
    x->closed_us = sqlite3_column_int64(s, 11);
    x->escalation_level = sqlite3_column_int(s, 12);
    x->escalate_at_us = sqlite3_column_int64(s, 13);
    x->drill_id = sqlite3_column_int64(s, 14);
}

static void bind_incident(sqlite3_stmt *s, const void *row)
{
    const struct incident *x = row;
    bind_ref(s, 2, x->type_id);
    bind_text(s, 3, x->type);
    bind_text(s, 4, x->title);
    sqlite3_bind_int(s, 5, x->severity);
    sqlite3_bind_int(s, 6, (int)x->status);
    bind_ref(s, 7, x->department_id);
    sqlite3_bind_int64(s, 8, x->opened_us);
    sqlite3_bind_int64(s, 9, x->updated_us);
    bind_ref(s, 10, x->acked_us);
    bind_ref(s, 11, x->resolved_us);
    bind_ref(s, 12, x->closed_us);
    sqlite3_bind_int(s, 13, x->escalation_level);
    bind_ref(s, 14, x->escalate_at_us);
    bind_ref(s, 15, x->drill_id);
}

int store_incident_insert(struct store *st, struct incident *row, struct gh_err *err)
{
    return save(
        st, S_INC_INSERT,
        "INSERT INTO incidents (type_id, type, title, severity, status, department_id, "
        "opened_us, updated_us, acked_us, resolved_us, closed_us, escalation_level, "
        "escalate_at_us, drill_id) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15)",
        bind_incident, row, 0, &row->id, err, "incident");
}

int store_incident_update(struct store *st, const struct incident *row, struct gh_err *err)
{
    return save(
        st, S_INC_UPDATE,
        "UPDATE incidents SET type_id = ?2, type = ?3, title = ?4, severity = ?5, status = ?6, "
        "department_id = ?7, opened_us = ?8, updated_us = ?9, acked_us = ?10, resolved_us = ?11, "
        "closed_us = ?12, escalation_level = ?13, escalate_at_us = ?14, drill_id = ?15 "
        "WHERE id = ?1",
        bind_incident, row, row->id, NULL, err, "incident");
}

int store_incident_get(struct store *st, int64_t id, struct incident *out)
{
    return get_by_id(st, S_INC_GET, "SELECT " INC_COLS " FROM incidents WHERE id = ?1", id,
                     read_incident, out);
}

int store_incident_list(struct store *st, const struct store_incident_filter *f,
                        store_incident_cb cb, void *ctx)
{
    sqlite3_stmt *s = store_ext_stmt(
        st, S_INC_LIST,
        "SELECT " INC_COLS " FROM incidents WHERE (?1 = 0 OR ((1 << status) & ?1) != 0) AND "
        "(?2 = 0 OR department_id = ?2) AND (?3 = 0 OR id < ?3) AND "
        "(?4 = 0 OR (?4 = -1 AND drill_id IS NULL) OR drill_id = ?4) ORDER BY id DESC LIMIT ?5");
    if (s) {
        sqlite3_bind_int64(s, 1, f->statuses);
        sqlite3_bind_int64(s, 2, f->department_id);
        sqlite3_bind_int64(s, 3, f->before_id);
        sqlite3_bind_int64(s, 4, f->drill_id);
        sqlite3_bind_int64(s, 5, f->limit > 0 ? f->limit : -1);
    }
    struct incident_call l = {cb, ctx};
    return each_row(st, s, read_incident, sizeof(struct incident), incident_call_fn, &l);
}

int64_t store_incident_next_escalation(struct store *st)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_INC_NEXT_ESC,
                                     "SELECT min(escalate_at_us) FROM incidents WHERE "
                                     "escalate_at_us IS NOT NULL");
    int64_t t = 0;
    if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
        t = sqlite3_column_int64(s, 0);
    if (s != NULL)
        sqlite3_reset(s);
    return t;
}

int store_incident_list_due(struct store *st, int64_t now_us, store_incident_cb cb, void *ctx)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_INC_DUE,
                                     "SELECT " INC_COLS " FROM incidents WHERE escalate_at_us "
                                     "IS NOT NULL AND escalate_at_us <= ?1 ORDER BY "
                                     "escalate_at_us");
    if (s)
        sqlite3_bind_int64(s, 1, now_us);
    struct incident_call l = {cb, ctx};
    return each_row(st, s, read_incident, sizeof(struct incident), incident_call_fn, &l);
}

/* ---- steps, timeline, links, assignees -------------------------------------------------- */

static void read_step(sqlite3_stmt *s, void *row)
{
    struct incident_step *x = row;
    x->incident_id = sqlite3_column_int64(s, 0);
    x->idx = sqlite3_column_int(s, 1);
    col_text(s, 2, x->text, sizeof(x->text));
    x->required = sqlite3_column_int(s, 3) != 0;
    x->state = (enum step_state)sqlite3_column_int(s, 4);
    col_text(s, 5, x->reason, sizeof(x->reason));
    col_text(s, 6, x->by, sizeof(x->by));
    x->time_us = sqlite3_column_int64(s, 7);
}

#define STEP_COLS "incident_id, idx, text, required, state, reason, by, time_us"

int store_incident_step_put(struct store *st, const struct incident_step *row, struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(
        st, S_STEP_PUT,
        "INSERT INTO incident_steps (" STEP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (incident_id, idx) DO UPDATE SET text = excluded.text, required = "
        "excluded.required, state = excluded.state, reason = excluded.reason, by = excluded.by, "
        "time_us = excluded.time_us");
    if (s) {
        sqlite3_bind_int64(s, 1, row->incident_id);
        sqlite3_bind_int(s, 2, row->idx);
        bind_text(s, 3, row->text);
        sqlite3_bind_int(s, 4, row->required);
        sqlite3_bind_int(s, 5, (int)row->state);
        if (row->reason[0])
            bind_text(s, 6, row->reason);
        if (row->by[0])
            bind_text(s, 7, row->by);
        bind_ref(s, 8, row->time_us);
    }
    return store_exec_stmt(st, s, err, "incident step");
}

int store_incident_step_get(struct store *st, int64_t incident_id, int idx,
                            struct incident_step *out)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_STEP_GET,
                                     "SELECT " STEP_COLS " FROM incident_steps WHERE "
                                     "incident_id = ?1 AND idx = ?2");
    if (s) {
        sqlite3_bind_int64(s, 1, incident_id);
        sqlite3_bind_int(s, 2, idx);
    }
    return get_one(st, s, read_step, out);
}

int store_incident_step_list(struct store *st, int64_t incident_id, store_incident_step_cb cb,
                             void *ctx)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_STEP_LIST,
                                     "SELECT " STEP_COLS " FROM incident_steps WHERE "
                                     "incident_id = ?1 ORDER BY idx");
    if (s)
        sqlite3_bind_int64(s, 1, incident_id);
    struct step_call l = {cb, ctx};
    return each_row(st, s, read_step, sizeof(struct incident_step), step_call_fn, &l);
}

int store_incident_note(struct store *st, int64_t incident_id, int64_t time_us, const char *who,
                        const char *kind, const char *text, int64_t *id)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_NOTE,
                                     "INSERT INTO incident_timeline (incident_id, time_us, who, "
                                     "kind, text) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (s) {
        sqlite3_bind_int64(s, 1, incident_id);
        sqlite3_bind_int64(s, 2, time_us);
        bind_text(s, 3, who);
        bind_text(s, 4, kind);
        bind_text(s, 5, text);
    }
    return insert(st, s, id, NULL, "incident timeline");
}

static void read_entry(sqlite3_stmt *s, void *row)
{
    struct incident_entry *x = row;
    x->id = sqlite3_column_int64(s, 0);
    x->incident_id = sqlite3_column_int64(s, 1);
    x->time_us = sqlite3_column_int64(s, 2);
    col_text(s, 3, x->who, sizeof(x->who));
    col_text(s, 4, x->kind, sizeof(x->kind));
    col_text(s, 5, x->text, sizeof(x->text));
}

int store_incident_timeline(struct store *st, int64_t incident_id, store_incident_entry_cb cb,
                            void *ctx)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_TIMELINE,
                                     "SELECT id, incident_id, time_us, who, kind, text FROM "
                                     "incident_timeline WHERE incident_id = ?1 ORDER BY id");
    if (s)
        sqlite3_bind_int64(s, 1, incident_id);
    struct entry_call l = {cb, ctx};
    return each_row(st, s, read_entry, sizeof(struct incident_entry), entry_call_fn, &l);
}

int store_incident_link(struct store *st, int64_t incident_id, const char *kind, const char *ref,
                        bool add, struct gh_err *err)
{
    sqlite3_stmt *s = add ? store_ext_stmt(st, S_LINK_ADD,
                                           "INSERT OR IGNORE INTO incident_links (incident_id, "
                                           "kind, ref) VALUES (?1, ?2, ?3)")
                          : store_ext_stmt(st, S_LINK_DEL,
                                           "DELETE FROM incident_links WHERE incident_id = ?1 "
                                           "AND kind = ?2 AND ref = ?3");
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, incident_id);
        bind_text(s, 2, kind);
        bind_text(s, 3, ref);
    }
    r = store_exec_stmt(st, s, err, "incident link");
    return r < 0 ? r : sqlite3_changes(store_db(st)) == 0;
}

int store_incident_links(struct store *st, int64_t incident_id, store_incident_link_cb cb,
                         void *ctx)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_LINKS,
                                     "SELECT kind, ref FROM incident_links WHERE incident_id = "
                                     "?1 ORDER BY kind, ref");
    int rc, r = 0;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, incident_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((r = cb(ctx, (const char *)sqlite3_column_text(s, 0),
                    (const char *)sqlite3_column_text(s, 1))) != 0)
            break;
    if (r == 0 && rc != SQLITE_DONE)
        r = store_step_error(st, rc, NULL, "incident links");
    sqlite3_reset(s);
    return r;
}

int store_incident_assign(struct store *st, int64_t incident_id, int64_t user_id, bool add,
                          struct gh_err *err)
{
    sqlite3_stmt *s = add ? store_ext_stmt(st, S_ASSIGN_ADD,
                                           "INSERT OR IGNORE INTO incident_assignees "
                                           "(incident_id, user_id) VALUES (?1, ?2)")
                          : store_ext_stmt(st, S_ASSIGN_DEL,
                                           "DELETE FROM incident_assignees WHERE incident_id = "
                                           "?1 AND user_id = ?2");
    int r;
    if (s) {
        sqlite3_bind_int64(s, 1, incident_id);
        sqlite3_bind_int64(s, 2, user_id);
    }
    r = store_exec_stmt(st, s, err, "incident assignee");
    return r < 0 ? r : sqlite3_changes(store_db(st)) == 0;
}

int store_incident_assignees(struct store *st, int64_t incident_id, store_id_cb cb, void *ctx)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_ASSIGNEES,
                                     "SELECT user_id FROM incident_assignees WHERE incident_id "
                                     "= ?1 ORDER BY user_id");
    int rc, r = 0;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, incident_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((r = cb(ctx, sqlite3_column_int64(s, 0))) != 0)
            break;
    if (r == 0 && rc != SQLITE_DONE)
        r = store_step_error(st, rc, NULL, "incident assignees");
    sqlite3_reset(s);
    return r;
}

int store_department_escalation(struct store *st, int64_t department_id, int64_t *after_s)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_DEPT_ESC_GET,
                                     "SELECT escalate_after_s FROM departments WHERE id = ?1");
    int rc;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, department_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *after_s = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_department_set_escalation(struct store *st, int64_t department_id, int64_t after_s,
                                    struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_DEPT_ESC_SET,
                                     "UPDATE departments SET escalate_after_s = ?2 WHERE id = ?1");
    if (s) {
        sqlite3_bind_int64(s, 1, department_id);
        sqlite3_bind_int64(s, 2, after_s);
    }
    return update(st, s, err, "department");
}

/* ---- access reviews ------------------------------------------------------------------------ */

static void read_review(sqlite3_stmt *s, void *row)
{
    struct access_review *x = row;
    x->id = sqlite3_column_int64(s, 0);
    x->person_id = sqlite3_column_int64(s, 1);
    col_text(s, 2, x->reason, sizeof(x->reason));
    x->opened_us = sqlite3_column_int64(s, 3);
    x->closed_us = sqlite3_column_int64(s, 4);
}

int store_review_list(struct store *st, bool open_only, store_review_cb cb, void *ctx)
{
    struct review_call l = {cb, ctx};
    sqlite3_stmt *s = store_ext_stmt(st, S_REVIEW_LIST,
                                     "SELECT id, person_id, reason, opened_us, closed_us FROM "
                                     "access_reviews WHERE ?1 = 0 OR closed_us IS NULL ORDER BY "
                                     "id");
    if (s)
        sqlite3_bind_int(s, 1, open_only);
    return each_row(st, s, read_review, sizeof(struct access_review), review_call_fn, &l);
}

int store_review_close(struct store *st, int64_t id, int64_t time_us, struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_REVIEW_CLOSE,
                                     "UPDATE access_reviews SET closed_us = ?2 WHERE id = ?1 AND "
                                     "closed_us IS NULL");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, time_us);
    }
    return update(st, s, err, "open access review");
}

/* ---- the directory --------------------------------------------------------------------------- */

#define CONTACT_COLS "id, department_id, level, name, role, email, webhook, phone"

static void read_contact(sqlite3_stmt *s, void *row)
{
    struct contact *x = row;
    x->id = sqlite3_column_int64(s, 0);
    x->department_id = sqlite3_column_int64(s, 1);
    x->level = sqlite3_column_int(s, 2);
    col_text(s, 3, x->name, sizeof(x->name));
    col_text(s, 4, x->role, sizeof(x->role));
    col_text(s, 5, x->email, sizeof(x->email));
    col_text(s, 6, x->webhook, sizeof(x->webhook));
    col_text(s, 7, x->phone, sizeof(x->phone));
}

static void bind_contact(sqlite3_stmt *s, const void *row)
{
    const struct contact *x = row;
    sqlite3_bind_int64(s, 2, x->department_id);
    sqlite3_bind_int(s, 3, x->level);
    bind_text(s, 4, x->name);
    bind_text(s, 5, x->role);
    bind_text(s, 6, x->email);
    bind_text(s, 7, x->webhook);
    bind_text(s, 8, x->phone);
}

int store_contact_insert(struct store *st, struct contact *row, struct gh_err *err)
{
    char what[MODEL_NAME_MAX + 32];
    snprintf(what, sizeof(what), "contact '%s' at that level", row->name);
    return save(st, S_CONTACT_INSERT,
                "INSERT INTO contacts (department_id, level, name, role, "
                "email, webhook, phone) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                bind_contact, row, 0, &row->id, err, what);
}

int store_contact_update(struct store *st, const struct contact *row, struct gh_err *err)
{
    char what[MODEL_NAME_MAX + 32];
    snprintf(what, sizeof(what), "contact '%s' at that level", row->name);
    return save(st, S_CONTACT_UPDATE,
                "UPDATE contacts SET department_id = ?2, level = ?3, name = "
                "?4, role = ?5, email = ?6, webhook = ?7, phone = ?8 WHERE "
                "id = ?1",
                bind_contact, row, row->id, NULL, err, what);
}

int store_contact_get(struct store *st, int64_t id, struct contact *out)
{
    return get_by_id(st, S_CONTACT_GET, "SELECT " CONTACT_COLS " FROM contacts WHERE id = ?1", id,
                     read_contact, out);
}

int store_contact_delete(struct store *st, int64_t id, struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_CONTACT_DELETE, "DELETE FROM contacts WHERE id = ?1");
    if (s)
        sqlite3_bind_int64(s, 1, id);
    return update(st, s, err, "contact");
}

int store_contact_list(struct store *st, int64_t department_id, store_contact_cb cb, void *ctx)
{
    struct contact_call l = {cb, ctx};
    sqlite3_stmt *s = store_ext_stmt(st, S_CONTACT_LIST,
                                     "SELECT " CONTACT_COLS " FROM contacts WHERE ?1 = 0 OR "
                                     "department_id = ?1 ORDER BY department_id, level, name");
    if (s)
        sqlite3_bind_int64(s, 1, department_id);
    return each_row(st, s, read_contact, sizeof(struct contact), contact_call_fn, &l);
}

/* ---- templates ------------------------------------------------------------------------------- */

static void read_template(sqlite3_stmt *s, void *row)
{
    struct message_template *x = row;
    col_text(s, 0, x->name, sizeof(x->name));
    col_text(s, 1, x->subject, sizeof(x->subject));
    col_text(s, 2, x->body, sizeof(x->body));
}

int store_template_get(struct store *st, const char *name, struct message_template *out)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_TEMPLATE_GET,
                                     "SELECT name, subject, body FROM templates WHERE name = ?1");
    if (s)
        bind_text(s, 1, name);
    return get_one(st, s, read_template, out);
}

int store_template_put(struct store *st, const struct message_template *t, struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_TEMPLATE_PUT,
                                     "INSERT INTO templates (name, subject, body) VALUES (?1, "
                                     "?2, ?3) ON CONFLICT (name) DO UPDATE SET subject = "
                                     "excluded.subject, body = excluded.body");
    if (s) {
        bind_text(s, 1, t->name);
        bind_text(s, 2, t->subject);
        bind_text(s, 3, t->body);
    }
    return store_exec_stmt(st, s, err, "template");
}

int store_template_list(struct store *st, store_template_cb cb, void *ctx)
{
    struct template_call l = {cb, ctx};
    sqlite3_stmt *s = store_ext_stmt(st, S_TEMPLATE_LIST,
                                     "SELECT name, subject, body FROM templates ORDER BY name");
    return each_row(st, s, read_template, sizeof(struct message_template), template_call_fn, &l);
}

/* ---- notifications --------------------------------------------------------------------------- */

#define NOTE_COLS                                                                                  \
    "id, incident_id, contact_id, channel, target, template, subject, body, created_us, status, "  \
    "attempts, next_us, sent_us, last_error"

static void read_notification(sqlite3_stmt *s, void *row)
{
    struct notification *x = row;
    x->id = sqlite3_column_int64(s, 0);
    x->incident_id = sqlite3_column_int64(s, 1);
    x->contact_id = sqlite3_column_int64(s, 2);
    col_text(s, 3, x->channel, sizeof(x->channel));
    col_text(s, 4, x->target, sizeof(x->target));
    col_text(s, 5, x->template_name, sizeof(x->template_name));
    col_text(s, 6, x->subject, sizeof(x->subject));
    col_text(s, 7, x->body, sizeof(x->body));
    x->created_us = sqlite3_column_int64(s, 8);
    x->status = (enum notification_status)sqlite3_column_int(s, 9);
    x->attempts = sqlite3_column_int(s, 10);
    x->next_us = sqlite3_column_int64(s, 11);
    x->sent_us = sqlite3_column_int64(s, 12);
    col_text(s, 13, x->last_error, sizeof(x->last_error));
}

static void bind_notification(sqlite3_stmt *s, const void *row)
{
    const struct notification *x = row;
    bind_ref(s, 2, x->incident_id);
    bind_ref(s, 3, x->contact_id);
    bind_text(s, 4, x->channel);
    bind_text(s, 5, x->target);
    bind_text(s, 6, x->template_name);
    bind_text(s, 7, x->subject);
    bind_text(s, 8, x->body);
    sqlite3_bind_int64(s, 9, x->created_us);
    sqlite3_bind_int(s, 10, (int)x->status);
    sqlite3_bind_int(s, 11, x->attempts);
    sqlite3_bind_int64(s, 12, x->next_us);
    bind_ref(s, 13, x->sent_us);
    bind_text(s, 14, x->last_error);
}

int store_notification_insert(struct store *st, struct notification *row, struct gh_err *err)
{
    return save(st, S_NOTE_INSERT,
                "INSERT INTO notifications (incident_id, contact_id, channel, target, template, "
                "subject, body, created_us, status, attempts, next_us, sent_us, last_error) VALUES "
                "(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                bind_notification, row, 0, &row->id, err, "notification");
}

int store_notification_update(struct store *st, const struct notification *row, struct gh_err *err)
{
    return save(
        st, S_NOTE_UPDATE,
        "UPDATE notifications SET incident_id = ?2, contact_id = ?3, channel = ?4, target = ?5, "
        "template = ?6, subject = ?7, body = ?8, created_us = ?9, status = ?10, attempts = ?11, "
        "next_us = ?12, sent_us = ?13, last_error = ?14 WHERE id = ?1",
        bind_notification, row, row->id, NULL, err, "notification");
}

int store_notification_due(struct store *st, int64_t now_us, int limit, store_notification_cb cb,
                           void *ctx)
{
    struct notification_call l = {cb, ctx};
    sqlite3_stmt *s = store_ext_stmt(st, S_NOTE_DUE,
                                     "SELECT " NOTE_COLS " FROM notifications WHERE status = 0 "
                                     "AND next_us <= ?1 ORDER BY next_us, id LIMIT ?2");
    if (s) {
        sqlite3_bind_int64(s, 1, now_us);
        sqlite3_bind_int(s, 2, limit);
    }
    return each_row(st, s, read_notification, sizeof(struct notification), notification_call_fn,
                    &l);
}

int64_t store_notification_next(struct store *st)
{
    sqlite3_stmt *s =
        store_ext_stmt(st, S_NOTE_NEXT, "SELECT min(next_us) FROM notifications WHERE status = 0");
    int64_t t = 0;
    if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
        t = sqlite3_column_int64(s, 0);
    if (s != NULL)
        sqlite3_reset(s);
    return t;
}

int store_notification_list(struct store *st, int64_t incident_id, store_notification_cb cb,
                            void *ctx)
{
    struct notification_call l = {cb, ctx};
    sqlite3_stmt *s = store_ext_stmt(st, S_NOTE_LIST,
                                     "SELECT " NOTE_COLS " FROM notifications WHERE "
                                     "coalesce(incident_id, 0) = ?1 ORDER BY id");
    if (s)
        sqlite3_bind_int64(s, 1, incident_id);
    return each_row(st, s, read_notification, sizeof(struct notification), notification_call_fn,
                    &l);
}

/* ---- drills ---------------------------------------------------------------------------------- */

static void read_drill(sqlite3_stmt *s, void *row)
{
    struct drill *x = row;
    x->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, x->scenario, sizeof(x->scenario));
    x->started_us = sqlite3_column_int64(s, 2);
    col_text(s, 3, x->by, sizeof(x->by));
}

int store_drill_insert(struct store *st, const char *scenario, int64_t started_us, const char *by,
                       int64_t *id, struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_DRILL_INSERT,
                                     "INSERT INTO drills (scenario, started_us, by) VALUES (?1, "
                                     "?2, ?3)");
    if (s) {
        bind_text(s, 1, scenario);
        sqlite3_bind_int64(s, 2, started_us);
        bind_text(s, 3, by);
    }
    return insert(st, s, id, err, "drill");
}

int store_drill_get(struct store *st, int64_t id, struct drill *out)
{
    return get_by_id(st, S_DRILL_GET,
                     "SELECT id, scenario, started_us, by FROM drills WHERE id = ?1", id,
                     read_drill, out);
}

int store_drill_list(struct store *st, store_drill_cb cb, void *ctx)
{
    struct drill_call l = {cb, ctx};
    sqlite3_stmt *s = store_ext_stmt(st, S_DRILL_LIST,
                                     "SELECT id, scenario, started_us, by FROM drills ORDER BY "
                                     "id DESC");
    return each_row(st, s, read_drill, sizeof(struct drill), drill_call_fn, &l);
}

/* ---- attachments ----------------------------------------------------------------------------- */

#define ATT_COLS "id, incident_id, name, mime, sha256, length(data), by, time_us"

static void read_attachment(sqlite3_stmt *s, void *row)
{
    struct attachment *x = row;
    x->id = sqlite3_column_int64(s, 0);
    x->incident_id = sqlite3_column_int64(s, 1);
    col_text(s, 2, x->name, sizeof(x->name));
    col_text(s, 3, x->mime, sizeof(x->mime));
    col_text(s, 4, x->sha256, sizeof(x->sha256));
    x->size = sqlite3_column_int64(s, 5);
    col_text(s, 6, x->by, sizeof(x->by));
    x->time_us = sqlite3_column_int64(s, 7);
}

int store_attachment_insert(struct store *st, struct attachment *row, const void *data, size_t len,
                            struct gh_err *err)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_ATT_INSERT,
                                     "INSERT INTO incident_attachments (incident_id, name, mime, "
                                     "sha256, data, by, time_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                                     "?7)");
    if (s) {
        sqlite3_bind_int64(s, 1, row->incident_id);
        bind_text(s, 2, row->name);
        bind_text(s, 3, row->mime);
        bind_text(s, 4, row->sha256);
        sqlite3_bind_blob64(s, 5, len ? data : "", (sqlite3_uint64)len, SQLITE_STATIC);
        bind_text(s, 6, row->by);
        sqlite3_bind_int64(s, 7, row->time_us);
    }
    row->size = (int64_t)len;
    return insert(st, s, &row->id, err, "attachment");
}

int store_attachment_list(struct store *st, int64_t incident_id, store_attachment_cb cb, void *ctx)
{
    struct attachment_call l = {cb, ctx};
    sqlite3_stmt *s = store_ext_stmt(st, S_ATT_LIST,
                                     "SELECT " ATT_COLS " FROM incident_attachments WHERE "
                                     "incident_id = ?1 ORDER BY id");
    if (s)
        sqlite3_bind_int64(s, 1, incident_id);
    return each_row(st, s, read_attachment, sizeof(struct attachment), attachment_call_fn, &l);
}

int store_attachment_get(struct store *st, int64_t incident_id, int64_t id, struct attachment *out,
                         void **data, size_t *len)
{
    sqlite3_stmt *s = store_ext_stmt(st, S_ATT_GET,
                                     "SELECT " ATT_COLS ", data FROM incident_attachments WHERE "
                                     "incident_id = ?1 AND id = ?2");
    int rc;
    *data = NULL;
    *len = 0;
    if (s == NULL)
        return -EIO;
    sqlite3_bind_int64(s, 1, incident_id);
    sqlite3_bind_int64(s, 2, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(s, 8);
        size_t n = (size_t)sqlite3_column_bytes(s, 8);
        read_attachment(s, out);
        *data = xmalloc(n ? n : 1);
        if (n)
            memcpy(*data, b, n);
        *len = n;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}
