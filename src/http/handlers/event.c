/*
 * event.c: the event log: a filtered query paged by offset, and the live stream (see
 * live.c) with the same filters, resumable with Last-Event-ID.
 */
#include "http/handlers/shared.h"

#include <stdio.h>
#include <string.h>

int event_filter_from_query(struct http_req *r, struct store_event_filter *f)
{
    const char *decision;
    int type = -1;
    store_event_filter_init(f);
    if (http_query_time(r, "from", &f->from_us) < 0 || http_query_time(r, "to", &f->to_us) < 0 ||
        http_query_int(r, "person_id", 1, INT64_MAX, &f->person_id) < 0 ||
        http_query_int(r, "credential_id", 1, INT64_MAX, &f->credential_id) < 0 ||
        http_query_int(r, "door_id", 1, INT64_MAX, &f->door_id) < 0 ||
        http_query_enum(r, "type", &model_enum_event_type, &type) < 0)
        return -EINVAL;
    f->type = type;
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

HTTP_HANDLER(h_event_stream)
{
    struct store_event_filter f;
    const char *last_id;
    int64_t cursor = -1;
    int rc;
    if (event_filter_from_query(r, &f) < 0)
        return 0;
    /* where to start: Last-Event-ID (a reconnecting client), else ?cursor=, else the start of
     * ?from= when given, else now (only new events) */
    last_id = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (last_id != NULL && gh_parse_i64(last_id, 0, INT64_MAX, &cursor) < 0)
        return http_problem(r, 400, "bad-request", NULL,
                            "Last-Event-ID must be an event offset (a whole number)");
    if (cursor < 0 && (rc = http_query_int(r, "cursor", 0, INT64_MAX, &cursor)) < 0)
        return 0;
    if (cursor < 0) {
        if (f.from_us != GH_TIME_MIN) {
            cursor = 0;
        } else {
            cursor = store_event_last_offset(http_store(r));
            if (cursor < 0)
                return http_problem_from(r, -EIO, NULL);
        }
    }
    return http_stream_start(r, &f, cursor);
}
