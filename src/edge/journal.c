/*
 * journal.c: the controller's durable journal (see edge.h): SQLite in WAL mode with
 * synchronous=FULL, events keyed by an AUTOINCREMENT sequence (never reused, also after
 * pruning), group commit per turn, upload in order, pruning on acknowledgement, and the
 * overflow event that counts what a full journal could not keep.
 */
#include "edge/edge.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum q {
    Q_INSERT,
    Q_UPDATE_PAYLOAD,
    Q_PENDING,
    Q_PRUNE,
    Q_META_SET,
    Q_META_GET,
    Q_COUNT,
    Q_LAST,
    Q_N
};

static const char *const sql[Q_N] = {
    [Q_INSERT] = "INSERT INTO events (time_us, type, door_id, credential, decision, reason, "
                 "payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_UPDATE_PAYLOAD] = "UPDATE events SET payload = ?2 WHERE seq = ?1",
    [Q_PENDING] = "SELECT seq, time_us, type, door_id, credential, decision, reason, payload "
                  "FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [Q_PRUNE] = "DELETE FROM events WHERE seq <= ?1",
    [Q_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_COUNT] = "SELECT count(*) FROM events",
    [Q_LAST] = "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS events ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_us INTEGER NOT NULL, type TEXT NOT NULL, door_id INTEGER NOT NULL,"
    " credential TEXT NOT NULL, decision INTEGER NOT NULL, reason INTEGER NOT NULL,"
    " payload TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) "
    "WITHOUT ROWID;";

struct edge_journal {
    sqlite3 *db;
    sqlite3_stmt *st[Q_N];
    int64_t capacity;
    int64_t depth;
    int64_t last_seq;
    int64_t acked;
    bool in_turn;
    /* the open overflow event (0: none) and what it counts */
    int64_t ov_seq, ov_dropped, ov_first_us, ov_last_us;
};

static int db_fail(struct edge_journal *j, struct gh_err *err, const char *what)
{
    return gh_fail(err, -EIO, "journal: %s: %s", what, sqlite3_errmsg(j->db));
}

static int exec(struct edge_journal *j, const char *text, struct gh_err *err)
{
    if (sqlite3_exec(j->db, text, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(j, err, text);
    return 0;
}

/* Runs a statement that returns no row (or ignores it); the statement is reset. */
static int run(struct edge_journal *j, enum q q, struct gh_err *err)
{
    int rc = sqlite3_step(j->st[q]);
    sqlite3_reset(j->st[q]);
    sqlite3_clear_bindings(j->st[q]);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail(j, err, sql[q]);
    return 0;
}

/* One integer from a query (0 when it returns no row). */
static int get_int(struct edge_journal *j, enum q q, const char *key, int64_t *out,
                   struct gh_err *err)
{
    int rc;
    if (key != NULL)
        sqlite3_bind_text(j->st[q], 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(j->st[q]);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(j->st[q], 0) : 0;
    sqlite3_reset(j->st[q]);
    sqlite3_clear_bindings(j->st[q]);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(j, err, sql[q]);
    return 0;
}

static int meta_set(struct edge_journal *j, const char *key, int64_t v, struct gh_err *err)
{
    sqlite3_bind_text(j->st[Q_META_SET], 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(j->st[Q_META_SET], 2, v);
    return run(j, Q_META_SET, err);
}

static int load_state(struct edge_journal *j, struct gh_err *err)
{
    int rc;
    if ((rc = get_int(j, Q_COUNT, NULL, &j->depth, err)) < 0 ||
        (rc = get_int(j, Q_LAST, NULL, &j->last_seq, err)) < 0 ||
        (rc = get_int(j, Q_META_GET, "acked", &j->acked, err)) < 0 ||
        (rc = get_int(j, Q_META_GET, "ov_seq", &j->ov_seq, err)) < 0 ||
        (rc = get_int(j, Q_META_GET, "ov_dropped", &j->ov_dropped, err)) < 0 ||
        (rc = get_int(j, Q_META_GET, "ov_first_us", &j->ov_first_us, err)) < 0 ||
        (rc = get_int(j, Q_META_GET, "ov_last_us", &j->ov_last_us, err)) < 0)
        return rc;
    return 0;
}

int edge_journal_open(const char *path, int64_t capacity, struct edge_journal **out,
                      struct gh_err *err)
{
    struct edge_journal *j;
    sqlite3_stmt *check = NULL;
    int rc = -EIO;

    *out = NULL;
    if (capacity < 1)
        return gh_fail(err, -EINVAL, "journal: the capacity must be at least 1 event");
    j = xmalloc(sizeof(*j));
    memset(j, 0, sizeof(*j));
    j->capacity = capacity;
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = gh_fail(err, -EIO, "journal %s: %s", path,
                     j->db ? sqlite3_errmsg(j->db) : "cannot be opened");
        goto fail;
    }
    sqlite3_busy_timeout(j->db, 5000);
    /* a journal that does not pass the check is not used: the controller says so */
    if (sqlite3_prepare_v2(j->db, "PRAGMA quick_check", -1, &check, NULL) != SQLITE_OK ||
        sqlite3_step(check) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(check, 0), "ok") != 0) {
        rc = gh_fail(err, -EIO, "journal %s is damaged: %s", path,
                     check && sqlite3_column_text(check, 0)
                         ? (const char *)sqlite3_column_text(check, 0)
                         : sqlite3_errmsg(j->db));
        goto fail;
    }
    sqlite3_finalize(check);
    check = NULL;
    if ((rc = exec(j, "PRAGMA journal_mode = WAL", err)) < 0 ||
        (rc = exec(j, "PRAGMA synchronous = FULL", err)) < 0 || (rc = exec(j, schema, err)) < 0)
        goto fail;
    for (int q = 0; q < Q_N; q++) {
        if (sqlite3_prepare_v2(j->db, sql[q], -1, &j->st[q], NULL) != SQLITE_OK) {
            rc = db_fail(j, err, sql[q]);
            goto fail;
        }
    }
    if ((rc = load_state(j, err)) < 0)
        goto fail;
    *out = j;
    return 0;
fail:
    sqlite3_finalize(check);
    edge_journal_close(j);
    return rc;
}

void edge_journal_close(struct edge_journal *j)
{
    if (j == NULL)
        return;
    if (j->in_turn)
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    for (int q = 0; q < Q_N; q++)
        sqlite3_finalize(j->st[q]);
    sqlite3_close(j->db);
    free(j);
}

int edge_journal_begin(struct edge_journal *j, struct gh_err *err)
{
    int rc;
    if (j->in_turn)
        return gh_fail(err, -EINVAL, "journal: a turn is already open");
    if ((rc = exec(j, "BEGIN IMMEDIATE", err)) < 0)
        return rc;
    j->in_turn = true;
    return 0;
}

static int insert(struct edge_journal *j, const struct edge_event *ev, struct gh_err *err)
{
    sqlite3_stmt *s = j->st[Q_INSERT];
    int rc;
    sqlite3_bind_int64(s, 1, ev->time_us);
    sqlite3_bind_text(s, 2, ev->type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, ev->door_id);
    sqlite3_bind_text(s, 4, ev->credential, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, ev->decision);
    sqlite3_bind_int(s, 6, ev->reason);
    sqlite3_bind_text(s, 7, ev->payload, -1, SQLITE_STATIC);
    if ((rc = run(j, Q_INSERT, err)) < 0)
        return rc;
    j->last_seq = sqlite3_last_insert_rowid(j->db);
    j->depth++;
    return 0;
}

static void overflow_payload(const struct edge_journal *j, char *out, size_t len)
{
    snprintf(out, len, "{\"dropped\":%" PRId64 ",\"first_us\":%" PRId64 ",\"last_us\":%" PRId64 "}",
             j->ov_dropped, j->ov_first_us, j->ov_last_us);
}

static int save_overflow(struct edge_journal *j, struct gh_err *err)
{
    int rc;
    if ((rc = meta_set(j, "ov_seq", j->ov_seq, err)) < 0 ||
        (rc = meta_set(j, "ov_dropped", j->ov_dropped, err)) < 0 ||
        (rc = meta_set(j, "ov_first_us", j->ov_first_us, err)) < 0 ||
        (rc = meta_set(j, "ov_last_us", j->ov_last_us, err)) < 0)
        return rc;
    return 0;
}

/* A full journal: ev is counted in the overflow event, which is the newest event (a new
 * one is made when events were kept after the last one). */
static int overflow(struct edge_journal *j, struct edge_event *ev, struct gh_err *err)
{
    struct edge_event marker;
    int rc;
    if (j->ov_seq != 0 && j->ov_seq == j->last_seq) {
        char payload[EDGE_PAYLOAD_MAX];
        j->ov_dropped++;
        j->ov_last_us = ev->time_us;
        overflow_payload(j, payload, sizeof(payload));
        sqlite3_bind_int64(j->st[Q_UPDATE_PAYLOAD], 1, j->ov_seq);
        sqlite3_bind_text(j->st[Q_UPDATE_PAYLOAD], 2, payload, -1, SQLITE_STATIC);
        if ((rc = run(j, Q_UPDATE_PAYLOAD, err)) < 0)
            return rc;
    } else {
        memset(&marker, 0, sizeof(marker));
        marker.time_us = ev->time_us;
        gh_strlcpy(marker.type, EDGE_OVERFLOW_TYPE, sizeof(marker.type));
        marker.decision = marker.reason = -1;
        j->ov_dropped = 1;
        j->ov_first_us = j->ov_last_us = ev->time_us;
        overflow_payload(j, marker.payload, sizeof(marker.payload));
        if ((rc = insert(j, &marker, err)) < 0) /* one event past the capacity */
            return rc;
        j->ov_seq = j->last_seq;
    }
    if ((rc = save_overflow(j, err)) < 0)
        return rc;
    ev->seq = j->ov_seq;
    return 1;
}

int edge_journal_append(struct edge_journal *j, struct edge_event *ev, struct gh_err *err)
{
    int rc;
    if (!j->in_turn)
        return gh_fail(err, -EINVAL, "journal: append outside a turn");
    if (j->depth >= j->capacity)
        return overflow(j, ev, err);
    if ((rc = insert(j, ev, err)) < 0)
        return rc;
    ev->seq = j->last_seq;
    return 0;
}

int edge_journal_commit(struct edge_journal *j, struct gh_err *err)
{
    int rc;
    if (!j->in_turn)
        return gh_fail(err, -EINVAL, "journal: commit outside a turn");
    rc = exec(j, "COMMIT", err);
    if (rc < 0) {
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        j->in_turn = false;
        load_state(j, NULL); /* what is on disk again */
        return rc;
    }
    j->in_turn = false;
    return 0;
}

static void read_event(sqlite3_stmt *s, struct edge_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->seq = sqlite3_column_int64(s, 0);
    ev->time_us = sqlite3_column_int64(s, 1);
    gh_strlcpy(ev->type, (const char *)sqlite3_column_text(s, 2), sizeof(ev->type));
    ev->door_id = sqlite3_column_int64(s, 3);
    gh_strlcpy(ev->credential, (const char *)sqlite3_column_text(s, 4), sizeof(ev->credential));
    ev->decision = sqlite3_column_int(s, 5);
    ev->reason = sqlite3_column_int(s, 6);
    gh_strlcpy(ev->payload, (const char *)sqlite3_column_text(s, 7), sizeof(ev->payload));
}

int edge_journal_pending(struct edge_journal *j, int64_t after, size_t max, edge_event_cb cb,
                         void *ctx, struct gh_err *err)
{
    sqlite3_stmt *s = j->st[Q_PENDING];
    struct edge_event ev;
    int rc, r = 0;
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int64(s, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_event(s, &ev);
        if ((r = cb(ctx, &ev)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        r = db_fail(j, err, sql[Q_PENDING]);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return r;
}

int edge_journal_ack(struct edge_journal *j, int64_t seq, struct gh_err *err)
{
    bool own = !j->in_turn;
    int64_t depth;
    int rc;
    if (seq > j->last_seq)
        return gh_fail(err, -EINVAL,
                       "journal: acknowledgement of %" PRId64 " past the last event %" PRId64, seq,
                       j->last_seq);
    if (seq <= j->acked)
        return 0;
    if (own && (rc = edge_journal_begin(j, err)) < 0)
        return rc;
    sqlite3_bind_int64(j->st[Q_PRUNE], 1, seq);
    if ((rc = run(j, Q_PRUNE, err)) < 0 || (rc = meta_set(j, "acked", seq, err)) < 0)
        goto fail;
    if (j->ov_seq != 0 && j->ov_seq <= seq) { /* the server has the overflow count */
        j->ov_seq = j->ov_dropped = j->ov_first_us = j->ov_last_us = 0;
        if ((rc = save_overflow(j, err)) < 0)
            goto fail;
    }
    if ((rc = get_int(j, Q_COUNT, NULL, &depth, err)) < 0)
        goto fail;
    if (own && (rc = edge_journal_commit(j, err)) < 0)
        return rc;
    j->depth = depth;
    j->acked = seq;
    return 0;
fail:
    if (own) {
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        j->in_turn = false;
        load_state(j, NULL);
    }
    return rc;
}

int64_t edge_journal_depth(const struct edge_journal *j)
{
    return j->depth;
}

int64_t edge_journal_last_seq(const struct edge_journal *j)
{
    return j->last_seq;
}

int64_t edge_journal_acked(const struct edge_journal *j)
{
    return j->acked;
}
