/*
 * export.c: the access-log export, streamed in offset order in constant memory.
 *
 * CSV (RFC 4180, header EXPORT_CSV_HEADER, fixed column order) or JSON lines. Each event
 * is written as it is read from the store; the door, credential and person it names are
 * looked up by primary key (with a one-entry cache each, since consecutive events often
 * share them). Text fields that a spreadsheet would run as a formula (starting with
 * = + - @ or a tab/CR) are prefixed with a single quote in CSV, the usual defence against
 * CSV injection.
 */
#include "interop/interop.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct exporter {
    struct export_names names;
    FILE *out;
    enum export_format fmt;
    bool all_types;
    int64_t count;
};

static void csv_field(FILE *out, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    bool formula =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    if (quote)
        fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    if (quote)
        fputc('"', out);
}

/* A read that matched no credential keeps what was read in its payload ("card" or
 * "bits"): the badge_id column shows it. */
static void badge_from_payload(const char *payload, char *badge, size_t len)
{
    json_t *p = json_loads(payload, 0, NULL);
    const char *v = NULL;
    if (p == NULL)
        return;
    v = json_string_value(json_object_get(p, "card"));
    if (v == NULL)
        v = json_string_value(json_object_get(p, "bits"));
    if (v != NULL)
        gh_strlcpy(badge, v, len);
    json_decref(p);
}

void export_names_init(struct export_names *n, struct store *st)
{
    memset(n, 0, sizeof(*n));
    n->st = st;
}

void export_row(struct export_names *x, const struct event *ev, struct export_row *row)
{
    memset(row, 0, sizeof(*row));
    row->door_name = row->employee_id = row->decision = row->reason = "";
    gh_format_iso(ev->time_us, row->timestamp);
    if (ev->door_id != 0) {
        if (x->door.id != ev->door_id && store_door_get(x->st, ev->door_id, &x->door) < 0)
            x->door.id = 0;
        snprintf(row->door_id, sizeof(row->door_id), "%lld", (long long)ev->door_id);
        if (x->door.id == ev->door_id)
            row->door_name = x->door.name;
    }
    if (ev->credential_id != 0) {
        if (x->cred.id != ev->credential_id &&
            store_credential_get(x->st, ev->credential_id, &x->cred) < 0)
            x->cred.id = 0;
        if (x->cred.id == ev->credential_id)
            snprintf(row->badge, sizeof(row->badge), "%s:%u:%llu", cred_format_name(x->cred.format),
                     x->cred.facility, (unsigned long long)x->cred.number);
    } else if (ev->payload[0] != '\0') {
        badge_from_payload(ev->payload, row->badge, sizeof(row->badge));
    }
    if (ev->person_id != 0) {
        if (x->person.id != ev->person_id && store_person_get(x->st, ev->person_id, &x->person) < 0)
            x->person.id = 0;
        snprintf(row->person_id, sizeof(row->person_id), "%lld", (long long)ev->person_id);
        if (x->person.id == ev->person_id)
            row->employee_id = x->person.employee_id;
    }
    if (ev->decision >= 0)
        row->decision = ev->decision ? "granted" : "denied";
    if (ev->reason >= 0)
        row->reason = access_reason_name((enum access_reason)ev->reason);
}

json_t *export_row_json(const struct export_row *row, const struct event *ev)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "offset", (json_int_t)ev->offset, "timestamp",
                          row->timestamp, "type", event_type_name(ev->type));
    if (o == NULL)
        return NULL;
    if (row->badge[0])
        json_object_set_new(o, "badge_id", json_string(row->badge));
    if (ev->door_id)
        json_object_set_new(o, "door_id", json_integer(ev->door_id));
    if (row->door_name[0])
        json_object_set_new(o, "door_name", json_string(row->door_name));
    if (ev->person_id)
        json_object_set_new(o, "person_id", json_integer(ev->person_id));
    if (row->employee_id[0])
        json_object_set_new(o, "employee_id", json_string(row->employee_id));
    if (row->decision[0])
        json_object_set_new(o, "decision", json_string(row->decision));
    if (row->reason[0])
        json_object_set_new(o, "reason", json_string(row->reason));
    if (ev->payload[0]) {
        json_t *p = json_loads(ev->payload, 0, NULL);
        if (p != NULL)
            json_object_set_new(o, "payload", p);
    }
    return o;
}

static int on_event(void *ctx, const struct event *ev)
{
    struct exporter *x = ctx;
    struct export_row row;

    if (!x->all_types && ev->type != EV_ACCESS_DECISION)
        return 0;
    export_row(&x->names, ev, &row);
    if (x->fmt == EXPORT_CSV) {
        fputs(row.timestamp, x->out);
        fputc(',', x->out);
        csv_field(x->out, row.badge);
        fprintf(x->out, ",%s,", row.door_id);
        csv_field(x->out, row.door_name);
        fprintf(x->out, ",%s,", row.person_id);
        csv_field(x->out, row.employee_id);
        fprintf(x->out, ",%s,%s\n", row.decision, row.reason);
    } else {
        json_t *o = export_row_json(&row, ev);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (line == NULL)
            return -ENOMEM;
        fputs(line, x->out);
        fputc('\n', x->out);
        free(line);
    }
    x->count++;
    return ferror(x->out) ? -EIO : 0;
}

int export_events(struct store *st, const struct store_event_filter *f, enum export_format fmt,
                  bool all_types, int fd, int64_t *count, struct gh_err *err)
{
    struct exporter x;
    struct store_event_filter filter = *f;
    int dupfd, r;

    memset(&x, 0, sizeof(x));
    export_names_init(&x.names, st);
    x.fmt = fmt;
    x.all_types = all_types;
    if (!all_types)
        filter.type = EV_ACCESS_DECISION;
    dupfd = dup(fd);
    if (dupfd < 0 || (x.out = fdopen(dupfd, "w")) == NULL) {
        if (dupfd >= 0)
            close(dupfd);
        return gh_fail(err, -errno, "export: cannot write to the output");
    }
    if (fmt == EXPORT_CSV)
        fputs(EXPORT_CSV_HEADER "\n", x.out);
    r = store_begin_read(st);
    if (r == 0) {
        r = store_event_query(st, &filter, on_event, &x);
        store_rollback(st);
    }
    if (fclose(x.out) != 0 && r == 0)
        r = -EIO;
    if (r < 0)
        return gh_fail(err, r, "export: %s",
                       r == -EIO ? "writing the output failed" : store_errmsg(st));
    if (count)
        *count = x.count;
    return 0;
}

/* ---- export by pages (for the HTTP server: no thread, no file) ------------------------ */

struct export_cursor {
    struct exporter x;
    struct store_event_filter filter; /* after_offset moves; until_offset fixed at start */
    bool header_done;
    bool done;
};

int export_cursor_new(struct store *st, const struct store_event_filter *f, enum export_format fmt,
                      bool all_types, struct export_cursor **out)
{
    struct export_cursor *c = xcalloc(1, sizeof(*c));
    int64_t last = store_event_last_offset(st);
    if (last < 0) {
        free(c);
        return -EIO;
    }
    c->x.fmt = fmt;
    c->x.all_types = all_types;
    c->filter = *f;
    if (!all_types)
        c->filter.type = EV_ACCESS_DECISION;
    /* what was committed when the export began, and nothing after: a fixed extent */
    if (c->filter.until_offset == 0 || c->filter.until_offset > last)
        c->filter.until_offset = last;
    if (last == 0 || c->filter.after_offset >= c->filter.until_offset)
        c->done = true;
    *out = c;
    return 0;
}

static int track_offset(void *ctx, const struct event *ev)
{
    struct export_cursor *c = ctx;
    int r = on_event(&c->x, ev);
    c->filter.after_offset = ev->offset;
    return r;
}

int export_cursor_next(struct export_cursor *c, struct store *st, size_t max_rows,
                       struct gh_buf *out)
{
    char *text = NULL;
    size_t len = 0;
    struct store_event_filter f;
    int64_t before;
    int r = 0;

    c->x.names.st = st;
    c->x.out = open_memstream(&text, &len);
    if (c->x.out == NULL)
        return -ENOMEM;
    if (!c->header_done) {
        if (c->x.fmt == EXPORT_CSV)
            fputs(EXPORT_CSV_HEADER "\n", c->x.out);
        c->header_done = true;
    }
    if (!c->done) {
        f = c->filter;
        f.limit = (int64_t)max_rows;
        before = c->x.count;
        r = store_event_query(st, &f, track_offset, c);
        /* a short page means the extent is exhausted */
        if (r == 0 && c->x.count - before < (int64_t)max_rows)
            c->done = true;
    }
    if (fclose(c->x.out) != 0 && r == 0)
        r = -EIO;
    c->x.out = NULL;
    if (r == 0 && len > 0)
        r = gh_buf_append(out, text, len);
    free(text);
    return r;
}

bool export_cursor_done(const struct export_cursor *c)
{
    return c->done;
}

int64_t export_cursor_count(const struct export_cursor *c)
{
    return c->x.count;
}

void export_cursor_free(struct export_cursor *c)
{
    free(c);
}
