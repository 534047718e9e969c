/*
 * import.c: applying a parsed HR roster to the store, all or nothing.
 *
 * The design is simple: one write transaction around everything. Each row is upserted by
 * employee id (created, updated or unchanged); a manager named by a row that comes later
 * in the file is set in a second pass. A newly terminated person (by status, or by absence
 * from a --full feed) has every active or suspended credential revoked in the same
 * transaction, and a department change opens an access review. Every revocation, review
 * and the import summary are appended to the event log inside the transaction too, so the
 * log and the data cannot disagree. Any error rolls everything back.
 */
#include "interop/interop.h"

#include <stdlib.h>
#include <string.h>

/* Person ids touched by the file, sorted at the end for --full membership tests. */
struct idset {
    int64_t *v;
    size_t n, cap;
};

static void idset_add(struct idset *s, int64_t id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = xreallocarray(s->v, s->cap, sizeof(int64_t));
    }
    s->v[s->n++] = id;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static bool idset_has(const struct idset *s, int64_t id)
{
    /* bsearch and qsort with a NULL array (no rows) are undefined even for n == 0 */
    return s->n > 0 && bsearch(&id, s->v, s->n, sizeof(int64_t), cmp_i64) != NULL;
}

struct import {
    struct store *st;
    const struct roster *r;
    int64_t now;
    struct roster_summary *sum;
    struct gh_err *err;
    struct idset seen;
    int64_t max_terminations;
    /* a one-entry department cache: rosters are usually grouped by department */
    char last_dept[MODEL_NAME_MAX];
    int64_t last_dept_id;
};

/* Fails with "line L, column C (field): ..." for a row. */
static int row_fail(struct import *im, const struct roster_row *row, enum roster_field f,
                    int code, const char *what)
{
    unsigned col = im->r->field_column[f];
    char text[sizeof(im->err->msg)];
    gh_strlcpy(text, what, sizeof(text)); /* `what` may be im->err->msg itself */
    return gh_fail(im->err, code, "%u:%u: %s: %s", row->line, col, roster_field_name(f), text);
}

static int append_event(struct import *im, enum event_type type, int64_t person_id,
                        json_t *payload)
{
    struct event ev;
    int r;
    memset(&ev, 0, sizeof(ev));
    ev.time_us = im->now;
    ev.type = type;
    ev.person_id = person_id;
    ev.decision = -1;
    ev.reason = -1;
    r = event_payload_set(&ev, payload);
    if (r < 0)
        return gh_fail(im->err, r, "building the %s event: %s", event_type_name(type),
                       gh_strerror(r));
    r = store_event_append(im->st, &ev);
    if (r < 0)
        return gh_fail(im->err, r, "writing the event log: %s", store_errmsg(im->st));
    return 0;
}

/* Revokes a person's credentials and logs it. */
static int terminate(struct import *im, const struct person *p, const char *why)
{
    int changed = 0;
    int r = store_credential_revoke_person(im->st, p->id, CRED_REVOKED, &changed);
    if (r < 0)
        return gh_fail(im->err, r, "revoking credentials of '%s': %s", p->employee_id,
                       store_errmsg(im->st));
    im->sum->terminated++;
    im->sum->credentials_revoked += (size_t)changed;
    if (changed > 0)
        r = append_event(im, EV_CREDENTIAL_REVOKED, p->id,
                         json_pack("{s:s, s:s, s:i}", "employee_id", p->employee_id, "why", why,
                                   "credentials", changed));
    return r;
}

static int department_id(struct import *im, const char *name, int64_t *id)
{
    int r;
    if (name[0] == '\0') {
        *id = 0;
        return 0;
    }
    if (im->last_dept_id != 0 && strcmp(name, im->last_dept) == 0) {
        *id = im->last_dept_id;
        return 0;
    }
    r = store_department_ensure(im->st, name, id, im->err);
    if (r == 0) {
        gh_strlcpy(im->last_dept, name, sizeof(im->last_dept));
        im->last_dept_id = *id;
    }
    return r;
}

static bool same_person(const struct person *a, const struct person *b)
{
    return strcmp(a->first_name, b->first_name) == 0 && strcmp(a->last_name, b->last_name) == 0 &&
           strcmp(a->email, b->email) == 0 && a->department_id == b->department_id &&
           strcmp(a->title, b->title) == 0 && a->manager_id == b->manager_id &&
           a->kind == b->kind && a->status == b->status && a->valid_from == b->valid_from &&
           a->valid_until == b->valid_until;
}

/* Whether the file has a column for field f. */
static bool has(const struct import *im, enum roster_field f)
{
    return im->r->field_column[f] != 0;
}

/* Upserts one row. *deferred is set when its manager comes later in the file. */
static int apply_row(struct import *im, const struct roster_row *row, bool *deferred)
{
    struct person old, p;
    bool exists;
    int r;

    *deferred = false;
    memset(&p, 0, sizeof(p));
    r = store_person_find(im->st, row->field[RF_EMPLOYEE_ID], &old);
    if (r < 0 && r != -ENOENT)
        return row_fail(im, row, RF_EMPLOYEE_ID, r, store_errmsg(im->st));
    exists = r == 0;
    if (exists) {
        p = old;
    } else {
        p.valid_from = GH_TIME_MIN;
        p.valid_until = GH_TIME_MAX;
    }
    /* Only the columns the file has are written; the rest keep what the store has. */
    gh_strlcpy(p.employee_id, row->field[RF_EMPLOYEE_ID], sizeof(p.employee_id));
    gh_strlcpy(p.first_name, row->field[RF_FIRST_NAME], sizeof(p.first_name));
    gh_strlcpy(p.last_name, row->field[RF_LAST_NAME], sizeof(p.last_name));
    if (has(im, RF_EMAIL))
        gh_strlcpy(p.email, row->field[RF_EMAIL], sizeof(p.email));
    if (has(im, RF_TITLE))
        gh_strlcpy(p.title, row->field[RF_TITLE], sizeof(p.title));
    if (has(im, RF_KIND) || !exists)
        p.kind = row->kind;
    if (has(im, RF_STATUS) || !exists)
        p.status = row->status;
    if (has(im, RF_START_DATE))
        p.valid_from = row->valid_from;
    if (has(im, RF_END_DATE))
        p.valid_until = row->valid_until;
    if (has(im, RF_DEPARTMENT)) {
        r = department_id(im, row->field[RF_DEPARTMENT], &p.department_id);
        if (r < 0)
            return row_fail(im, row, RF_DEPARTMENT, r, im->err->msg);
    }
    if (has(im, RF_MANAGER_ID))
        p.manager_id = 0;
    if (has(im, RF_MANAGER_ID) && row->field[RF_MANAGER_ID][0] != '\0') {
        struct person m;
        if (strcmp(row->field[RF_MANAGER_ID], p.employee_id) == 0)
            return row_fail(im, row, RF_MANAGER_ID, -EINVAL, "a person cannot manage themself");
        r = store_person_find(im->st, row->field[RF_MANAGER_ID], &m);
        if (r == 0)
            p.manager_id = m.id;
        else if (r == -ENOENT)
            *deferred = true;
        else
            return row_fail(im, row, RF_MANAGER_ID, r, store_errmsg(im->st));
        /* Settled in the second pass. The row counts as updated: a manager not in the
         * store yet is never the old one. */
        if (*deferred && exists)
            p.manager_id = old.manager_id;
    }

    if (!exists) {
        r = store_person_insert(im->st, &p, im->err);
        if (r < 0)
            return row_fail(im, row, RF_EMPLOYEE_ID, r, im->err->msg);
        im->sum->created++;
    } else if (!*deferred && same_person(&old, &p)) {
        im->sum->unchanged++;
    } else {
        r = store_person_update(im->st, &p, im->err);
        if (r < 0)
            return row_fail(im, row, RF_EMPLOYEE_ID, r, im->err->msg);
        im->sum->updated++;
        if (p.status == PERSON_TERMINATED && old.status != PERSON_TERMINATED) {
            r = terminate(im, &p, "terminated in the HR roster");
            if (r < 0)
                return r;
        }
        if (old.department_id != 0 && old.department_id != p.department_id) {
            struct department from, to;
            char reason[2 * MODEL_NAME_MAX + 48];
            if (store_department_get(im->st, old.department_id, &from) < 0)
                gh_strlcpy(from.name, "?", sizeof(from.name));
            if (p.department_id == 0 || store_department_get(im->st, p.department_id, &to) < 0)
                gh_strlcpy(to.name, "(none)", sizeof(to.name));
            snprintf(reason, sizeof(reason), "department changed from '%s' to '%s'", from.name,
                     to.name);
            r = store_review_open(im->st, p.id, reason, im->now);
            if (r == 0)
                r = append_event(im, EV_ACCESS_REVIEW, p.id,
                                 json_pack("{s:s, s:s}", "employee_id", p.employee_id, "reason",
                                           reason));
            if (r < 0)
                return r;
            im->sum->reviews_opened++;
        }
    }
    idset_add(&im->seen, p.id);
    return 0;
}

/* Second pass: managers that appear later in the file than their reports. */
static int apply_manager(struct import *im, const struct roster_row *row)
{
    struct person p, m;
    int r = store_person_find(im->st, row->field[RF_EMPLOYEE_ID], &p);
    if (r < 0)
        return row_fail(im, row, RF_EMPLOYEE_ID, r, store_errmsg(im->st));
    r = store_person_find(im->st, row->field[RF_MANAGER_ID], &m);
    if (r == -ENOENT) {
        char msg[160];
        snprintf(msg, sizeof(msg), "no person with employee id '%s' in the file or the store",
                 row->field[RF_MANAGER_ID]);
        return row_fail(im, row, RF_MANAGER_ID, -EINVAL, msg);
    }
    if (r < 0)
        return row_fail(im, row, RF_MANAGER_ID, r, store_errmsg(im->st));
    if (p.manager_id == m.id)
        return 0;
    p.manager_id = m.id;
    return store_person_update(im->st, &p, im->err);
}

struct absent_ctx {
    struct import *im;
    struct person *list;
    size_t n, cap;
};

static int collect_absent(void *ctx, const struct person *p)
{
    struct absent_ctx *a = ctx;
    if (p->kind == PERSON_VISITOR || p->status == PERSON_TERMINATED ||
        idset_has(&a->im->seen, p->id))
        return 0;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->list = xreallocarray(a->list, a->cap, sizeof(struct person));
    }
    a->list[a->n++] = *p;
    return 0;
}

/* --full: everyone (employee or contractor) not in the file is terminated. */
static int apply_absent(struct import *im)
{
    struct absent_ctx a = {im, NULL, 0, 0};
    int64_t active = 0, limit;
    int r = store_person_list(im->st, collect_absent, &a);
    if (r == 0 && a.n > 0) {
        if (im->r->n_rows == 0) {
            free(a.list);
            return gh_fail(im->err, -EINVAL,
                           "the roster has no rows: with --full it would terminate everyone "
                           "(%zu people); nothing was changed",
                           a.n);
        }
        active = (int64_t)(a.n + im->seen.n);
        limit = im->max_terminations >= 0 ? im->max_terminations
                                          : (active / 10 > 5 ? active / 10 : 5);
        if ((int64_t)a.n > limit) {
            free(a.list);
            return gh_fail(im->err, -EINVAL,
                           "--full would terminate %zu people absent from the file, more than "
                           "the limit of %lld; if that is intended, pass --max-terminations %zu",
                           a.n, (long long)limit, a.n);
        }
    }
    for (size_t i = 0; r == 0 && i < a.n; i++) {
        a.list[i].status = PERSON_TERMINATED;
        r = store_person_update(im->st, &a.list[i], im->err);
        if (r == 0)
            r = terminate(im, &a.list[i], "absent from a full HR feed");
        im->sum->absent++;
    }
    free(a.list);
    return r;
}

int roster_apply(struct store *st, const struct roster *r, const struct roster_apply_opts *opt,
                 int64_t now_us, struct roster_summary *sum, roster_progress_cb progress,
                 void *pctx, struct gh_err *err)
{
    static const struct roster_apply_opts defaults = {false, false, -1, NULL, NULL};
    struct import im = {.st = st, .r = r, .now = now_us, .sum = sum, .err = err};
    bool *deferred = NULL, full;
    int rc;

    if (opt == NULL)
        opt = &defaults;
    full = opt->full;
    im.max_terminations = opt->max_terminations;
    memset(sum, 0, sizeof(*sum));
    if (r->n_errors > 0)
        return gh_fail(err, -EINVAL, "the roster has %zu errors; nothing was imported",
                       r->n_errors);
    rc = store_begin_write(st);
    if (rc < 0)
        return gh_fail(err, rc, "cannot begin the import transaction: %s", store_errmsg(st));
    deferred = xcalloc(r->n_rows ? r->n_rows : 1, sizeof(bool));
    for (size_t i = 0; i < r->n_rows; i++) {
        rc = apply_row(&im, &r->rows[i], &deferred[i]);
        if (rc < 0)
            goto out;
        if (progress != NULL && (i % 1000 == 999 || i + 1 == r->n_rows))
            progress(pctx, i + 1, r->n_rows);
    }
    for (size_t i = 0; i < r->n_rows; i++) {
        if (deferred[i] && (rc = apply_manager(&im, &r->rows[i])) < 0)
            goto out;
    }
    if (im.seen.n > 0)
        qsort(im.seen.v, im.seen.n, sizeof(int64_t), cmp_i64);
    if (full && (rc = apply_absent(&im)) < 0)
        goto out;
    sum->rows = r->n_rows;
    rc = append_event(&im, EV_ROSTER_IMPORT, 0,
                      json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "rows",
                                (json_int_t)sum->rows, "created", (json_int_t)sum->created,
                                "updated", (json_int_t)sum->updated, "unchanged",
                                (json_int_t)sum->unchanged, "terminated",
                                (json_int_t)sum->terminated, "credentials_revoked",
                                (json_int_t)sum->credentials_revoked, "reviews_opened",
                                (json_int_t)sum->reviews_opened, "full", full));
    if (rc < 0)
        goto out;
    if (opt->dry_run) {
        store_rollback(st); /* a rehearsal: the summary says what would have happened */
        goto out;
    }
    rc = opt->commit != NULL ? opt->commit(opt->commit_ctx, st) : store_commit(st);
    if (rc < 0)
        rc = gh_fail(err, rc, "committing the import: %s", store_errmsg(st));
out:
    if (rc < 0) {
        store_rollback(st);
        memset(sum, 0, sizeof(*sum));
    }
    free(deferred);
    free(im.seen.v);
    return rc;
}
