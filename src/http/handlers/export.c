/*
 * export.c: the access-log export, streamed: CSV (the columns of `gatehouse export events`,
 * with the CSV-injection defence) or JSON lines. The extent is fixed when the request
 * arrives; rows are read from the store a page at a time when libmicrohttpd can send
 * more, so an export of any size holds one page in memory and no thread waits on a slow
 * client.
 */
#include "http/handlers/shared.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT_PAGE_ROWS 500

struct export_stream {
    struct http_server *srv;
    struct export_cursor *cur;
    struct gh_buf text;
    size_t sent;
    bool finished; /* the last page is in text */
};

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct export_stream *e = cls;
    (void)pos;
    for (;;) {
        struct store *st;
        if (e->sent < e->text.len) {
            size_t n = e->text.len - e->sent;
            if (n > max)
                n = max;
            memcpy(buf, e->text.data + e->sent, n);
            e->sent += n;
            return (ssize_t)n;
        }
        if (e->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        e->text.len = 0;
        e->sent = 0;
        st = http_thread_store(e->srv);
        if (st == NULL || export_cursor_next(e->cur, st, EXPORT_PAGE_ROWS, &e->text) < 0) {
            log_error("export: reading events failed");
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        e->finished = export_cursor_done(e->cur);
    }
}

static void export_free(void *cls)
{
    struct export_stream *e = cls;
    atomic_fetch_sub(&e->srv->metrics.exports_running, 1);
    export_cursor_free(e->cur);
    gh_buf_free(&e->text);
    free(e);
}

HTTP_HANDLER(h_export_events)
{
    struct store_event_filter f;
    struct export_stream *e;
    struct MHD_Response *resp;
    const char *format = http_query(r, "format");
    enum export_format fmt = EXPORT_CSV;
    bool all_types = false;
    uint_fast64_t running;

    if (event_filter_from_query(r, &f) < 0 || http_query_bool(r, "all_types", &all_types) < 0)
        return 0;
    if (format != NULL && strcmp(format, "jsonl") == 0)
        fmt = EXPORT_JSONL;
    else if (format != NULL && strcmp(format, "csv") != 0)
        return http_problem(
            r, 400, "bad-request",
            json_pack("[{s:s, s:s}]", "field", "format", "detail", "must be csv or jsonl"),
            "query parameter 'format' must be csv or jsonl");
    running = atomic_fetch_add(&r->srv->metrics.exports_running, 1);
    if (running >= r->srv->cfg.max_exports) {
        atomic_fetch_sub(&r->srv->metrics.exports_running, 1);
        http_reply_header(r, "Retry-After", "5");
        return http_problem(r, 503, "busy", NULL, "%u exports are running; try again later",
                            r->srv->cfg.max_exports);
    }
    if (http_audit_read(r) < 0) { /* an export is audited before its first byte */
        atomic_fetch_sub(&r->srv->metrics.exports_running, 1);
        return http_problem_from(r, -EBUSY, NULL);
    }
    e = xcalloc(1, sizeof(*e));
    e->srv = r->srv;
    gh_buf_init(&e->text, 4u << 20);
    if (export_cursor_new(http_store(r), &f, fmt, all_types, &e->cur) < 0) {
        export_free(e);
        return http_problem_from(r, -EIO, NULL);
    }
    resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64u << 10, export_read, e, export_free);
    if (resp == NULL) {
        export_free(e);
        return -ENOMEM;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            fmt == EXPORT_CSV ? "text/csv; charset=utf-8" : "application/x-ndjson");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
                            fmt == EXPORT_CSV ? "attachment; filename=\"events.csv\""
                                              : "attachment; filename=\"events.jsonl\"");
    r->stream = true;
    return http_reply_response(r, 200, resp);
}
