/*
 * event.c: the event log: a filtered query paged by offset, and the live stream (see
 * live.c) with the same filters, resumable with Last-Event-ID.
 */
#include "http/handlers/shared.h"

#include <stdio.h>
#include <string.h>

/* ?type=a or ?type=a,b,c: one type, or a set of them. */
static int query_types(struct http_req *r, struct store_event_filter *f)
{
    const char *v = http_query(r, "type");
    if (v == NULL || strchr(v, ',') == NULL) {
        int type = -1;
        if (http_query_enum(r, "type", &model_enum_event_type, &type) < 0)
            return -EINVAL;
        f->type = type;
        return 0;
    }
    for (const char *p = v; *p;) {
        char name[48];
        size_t n = strcspn(p, ",");
        enum event_type t;
        if (n >= sizeof(name) ||
            (memcpy(name, p, n), name[n] = '\0', event_type_parse(name, &t, NULL) < 0)) {
            http_problem(r, 400, "bad-request",
                         json_pack("[{s:s, s:s}]", "field", "type", "detail",
                                   "must be event types separated by commas"),
                         "query parameter 'type': '%.*s' is not an event type", (int)n, p);
            return -EINVAL;
        }
        f->types |= UINT64_C(1) << t;
        p += n + (p[n] == ',');
    }
    return 0;
}

int event_filter_from_query(struct http_req *r, struct store_event_filter *f)
{
    const char *decision;
    store_event_filter_init(f);
    if (http_query_time(r, "from", &f->from_us) < 0 || http_query_time(r, "to", &f->to_us) < 0 ||
        http_query_int(r, "person_id", 1, INT64_MAX, &f->person_id) < 0 ||
        http_query_int(r, "credential_id", 1, INT64_MAX, &f->credential_id) < 0 ||
        http_query_int(r, "door_id", 1, INT64_MAX, &f->door_id) < 0 || query_types(r, f) < 0)
        return -EINVAL;
    decision = http_query(r, "decision");
    if (decision != NULL) {
        if (strcmp(decision, "granted") == 0)
            f->decision = 1;
        else if (strcmp(decision, "denied") == 0)
            f->decision = 0;
        else {
            http_problem(r, 400, "bad-request",
                         json_pack("[{s:s, s:s}]", "field", "decision", "detail",
                                   "must be granted or denied"),
                         "query parameter 'decision' must be granted or denied");
            return -EINVAL;
        }
    }
    if (f->from_us != GH_TIME_MIN && f->to_us != GH_TIME_MAX && f->to_us <= f->from_us) {
        http_problem(r, 400, "bad-request",
                     json_pack("[{s:s, s:s}]", "field", "to", "detail", "must be after from"),
                     "query parameter 'to' must be after 'from'");
        return -EINVAL;
    }
    return 0;
}

static int add_event(void *ctx, const struct event *ev)
{
    struct page *p = ctx;
    return page_add(p, ev->offset, http_json_event(ev));
}

HTTP_HANDLER(h_event_list)
{
    struct store_event_filter f;
    struct page p;
    if (page_begin(&p, r) < 0 || event_filter_from_query(r, &f) < 0)
        return 0;
    f.after_offset = p.after;
    f.limit = p.limit + 1; /* one more tells whether there is a next page */
    return page_reply(&p, store_event_query(http_store(r), &f, add_event, &p));
}

/* Starts a live stream of f from where the client asks. */
static int stream_from(struct http_req *r, struct store_event_filter *f)
{
    const char *last_id;
    int64_t cursor = -1;
    int rc;
    /* where to start: Last-Event-ID (a reconnecting client), else ?cursor=, else the start of
     * ?from= when given, else now (only new events) */
    last_id = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (last_id != NULL && gh_parse_i64(last_id, 0, INT64_MAX, &cursor) < 0)
        return http_problem(r, 400, "bad-request", NULL,
                            "Last-Event-ID must be an event offset (a whole number)");
    if (cursor < 0 && (rc = http_query_int(r, "cursor", 0, INT64_MAX, &cursor)) < 0)
        return 0;
    if (cursor < 0) {
        if (f->from_us != GH_TIME_MIN) {
            cursor = 0;
        } else {
            cursor = store_event_last_offset(http_store(r));
            if (cursor < 0)
                return http_problem_from(r, -EIO, NULL);
        }
    }
    return http_stream_start(r, f, cursor);
}

HTTP_HANDLER(h_event_stream)
{
    struct store_event_filter f;
    if (event_filter_from_query(r, &f) < 0)
        return 0;
    return stream_from(r, &f);
}

/* Alarm and incident changes only, for who works incidents (no events.read needed). */
HTTP_HANDLER(h_incident_stream)
{
    struct store_event_filter f;
    store_event_filter_init(&f);
    f.types = (UINT64_C(1) << EV_ALARM) | (UINT64_C(1) << EV_INCIDENT);
    return stream_from(r, &f);
}
