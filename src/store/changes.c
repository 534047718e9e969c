/*
 * changes.c: the rows a write transaction changed, for the audit log's before and after.
 * SQLite's session extension records every insert, update and delete on the connection
 * (cascades and trigger actions included) from BEGIN on; store_changes_foreach() reads its
 * changeset back with the column names, and commit or rollback discards it.
 */
#include "store/store.h"
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* struct store begins with its struct store_conn (sqlite.c) */
static struct store_conn *conn(struct store *st)
{
    return (struct store_conn *)st;
}

/* Tables whose changes are not worth an audit line: logs of their own, and bookkeeping. */
static int table_filter(void *ctx, const char *table)
{
    static const char *const skip[] = {"events",         "audit_entries",  "audit_nodes",
                                       "audit_heads",    "login_throttle", "oidc_used_states",
                                       "policy_version", "sqlite_sequence"};
    (void)ctx;
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strcmp(table, skip[i]) == 0)
            return 0;
    return 1;
}

void store_track_changes(struct store *st, bool on)
{
    conn(st)->track = on;
}

int store_changes_start(struct store_conn *c)
{
    if (!c->track)
        return 0;
    store_changes_stop(c);
    if (sqlite3session_create(c->db, "main", &c->sess) != SQLITE_OK) {
        c->sess = NULL;
        log_error("%s: cannot record the transaction's changes: %s", c->path,
                  sqlite3_errmsg(c->db));
        return -EIO;
    }
    sqlite3session_table_filter(c->sess, table_filter, NULL);
    if (sqlite3session_attach(c->sess, NULL) != SQLITE_OK) {
        store_changes_stop(c);
        log_error("%s: cannot record the transaction's changes", c->path);
        return -EIO;
    }
    return 0;
}

void store_changes_stop(struct store_conn *c)
{
    if (c->sess != NULL)
        sqlite3session_delete(c->sess);
    c->sess = NULL;
}

/* Column names of the tables met in one changeset walk (our tables: a few dozen columns). */
#define NAMES_MAX_COLS 64
struct table_names {
    char *table;
    int ncol;
    char *names[NAMES_MAX_COLS];
    struct table_names *next;
};

static void names_free(struct table_names *t)
{
    while (t != NULL) {
        struct table_names *next = t->next;
        for (int i = 0; i < t->ncol; i++)
            free(t->names[i]);
        free(t->table);
        free(t);
        t = next;
    }
}

static const struct table_names *names_of(struct store_conn *c, struct table_names **cache,
                                          const char *table, int ncol)
{
    struct table_names *t;
    sqlite3_stmt *s = NULL;
    for (t = *cache; t != NULL; t = t->next)
        if (strcmp(t->table, table) == 0)
            return t->ncol == ncol ? t : NULL;
    if (ncol > NAMES_MAX_COLS ||
        sqlite3_prepare_v2(c->db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1, &s,
                           NULL) != SQLITE_OK)
        return NULL;
    t = xcalloc(1, sizeof(*t));
    t->table = xstrdup(table);
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    while (t->ncol < ncol && sqlite3_step(s) == SQLITE_ROW)
        t->names[t->ncol++] = xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    t->next = *cache;
    *cache = t;
    return t->ncol == ncol ? t : NULL;
}

static void read_value(sqlite3_value *v, struct store_value *out)
{
    memset(out, 0, sizeof(*out));
    if (v == NULL)
        return; /* STORE_ABSENT */
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        out->type = STORE_INT;
        out->i = sqlite3_value_int64(v);
        break;
    case SQLITE_FLOAT:
        out->type = STORE_REAL;
        out->f = sqlite3_value_double(v);
        break;
    case SQLITE_TEXT:
        out->type = STORE_TEXT;
        out->p = sqlite3_value_text(v);
        out->len = (size_t)sqlite3_value_bytes(v);
        break;
    case SQLITE_BLOB:
        out->type = STORE_BLOB;
        out->p = sqlite3_value_blob(v);
        out->len = (size_t)sqlite3_value_bytes(v);
        break;
    default:
        out->type = STORE_NULL;
    }
}

int store_changes_foreach(struct store *st, int (*fn)(void *ctx, const struct store_change *c),
                          void *ctx)
{
    struct store_conn *c = conn(st);
    struct table_names *cache = NULL;
    struct store_value before[NAMES_MAX_COLS], after[NAMES_MAX_COLS];
    sqlite3_changeset_iter *it = NULL;
    void *buf = NULL;
    int n = 0, rc, r = 0;

    if (c->sess == NULL || sqlite3_get_autocommit(c->db))
        return -ENOENT;
    if (sqlite3session_changeset(c->sess, &n, &buf) != SQLITE_OK ||
        sqlite3changeset_start(&it, n, buf) != SQLITE_OK) {
        r = -EIO;
        goto out;
    }
    while ((rc = sqlite3changeset_next(it)) == SQLITE_ROW) {
        const char *table;
        int ncol, op, indirect, npk;
        unsigned char *pk;
        const struct table_names *names;
        struct store_change ch;
        if (sqlite3changeset_op(it, &table, &ncol, &op, &indirect) != SQLITE_OK ||
            sqlite3changeset_pk(it, &pk, &npk) != SQLITE_OK ||
            (names = names_of(c, &cache, table, ncol)) == NULL) {
            r = -EIO;
            goto out;
        }
        for (int i = 0; i < ncol; i++) {
            sqlite3_value *v = NULL;
            if (op != SQLITE_INSERT && sqlite3changeset_old(it, i, &v) != SQLITE_OK)
                v = NULL;
            read_value(op != SQLITE_INSERT ? v : NULL, &before[i]);
            v = NULL;
            if (op != SQLITE_DELETE && sqlite3changeset_new(it, i, &v) != SQLITE_OK)
                v = NULL;
            read_value(op != SQLITE_DELETE ? v : NULL, &after[i]);
        }
        ch.table = table;
        ch.op = op == SQLITE_INSERT ? 'I' : op == SQLITE_DELETE ? 'D' : 'U';
        ch.ncol = ncol;
        ch.names = (const char *const *)names->names;
        ch.pk = pk;
        ch.before = before;
        ch.after = after;
        if ((r = fn(ctx, &ch)) != 0)
            goto out;
    }
    if (rc != SQLITE_DONE)
        r = -EIO;
out:
    if (it != NULL)
        sqlite3changeset_finalize(it);
    sqlite3_free(buf);
    names_free(cache);
    return r;
}
