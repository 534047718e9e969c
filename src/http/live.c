/*
 * live.c: the live event stream (Server-Sent Events) and its hub.
 *
 * The design is simple: a stream is a cursor (the last offset it sent) and a filter. It
 * only ever reads committed events from the store, by cursor, a page at a time, so a
 * slow client costs a cursor and one small page of text, never a queue: libmicrohttpd asks
 * for more data only when the socket can take it, and the cursor catches up from the store.
 * When a stream has sent everything up to the newest committed offset it parks: it joins
 * the hub's wait list and suspends its connection (from inside the content reader callback,
 * which libmicrohttpd allows; the daemon runs with MHD_USE_ITC so a resume is seen at once).
 * The hub learns of new offsets from the event writer (after each commit), from API writes
 * and from the timer (commits by other processes), and resumes every parked stream. The
 * check "is there more?" and the parking happen under the hub's lock, so no wake-up is lost.
 *
 * A heartbeat comment every sse_heartbeat seconds keeps proxies from closing idle streams
 * and lets a parked stream notice a client that went away (a suspended connection cannot).
 */
#include "http/handlers/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_PAGE     64          /* events read from the store per refill */
#define LIVE_BLOCK    (16u << 10) /* bytes libmicrohttpd asks for at most */
#define LIVE_TEXT_MAX (1u << 20)  /* a page of text, at most (64 events of <= 1 KiB payload) */

struct stream {
    struct http_stream_hub *hub;
    struct MHD_Connection *conn;
    struct store_event_filter filter;
    int64_t cursor;     /* last offset sent (or skipped by the filter) */
    uint64_t beat;      /* the hub's heartbeat count this stream has answered */
    struct gh_buf text; /* what is ready to send */
    size_t sent;        /* bytes of text already handed to libmicrohttpd */
    bool parked;
    struct stream *next; /* in the wait list while parked */
};

struct http_stream_hub {
    struct http_server *srv;
    pthread_mutex_t mu;
    int64_t last;  /* newest committed offset known */
    uint64_t beat; /* heartbeats so far */
    bool closing;
    struct stream *waiting;
};

int http_stream_hub_new(struct http_server *srv, struct http_stream_hub **out)
{
    struct http_stream_hub *hub = xcalloc(1, sizeof(*hub));
    struct store *st = NULL;
    struct gh_err err = {{0}};
    hub->srv = srv;
    pthread_mutex_init(&hub->mu, NULL);
    if (store_open(srv->db_path, STORE_READONLY, &st, &err) < 0) {
        log_error("live streams: %s", err.msg);
        pthread_mutex_destroy(&hub->mu);
        free(hub);
        return -EIO;
    }
    hub->last = store_event_last_offset(st);
    store_close(st);
    if (hub->last < 0)
        hub->last = 0;
    *out = hub;
    return 0;
}

/* Resumes every parked stream; the caller holds the lock. */
static void wake_all(struct http_stream_hub *hub)
{
    struct stream *s = hub->waiting;
    hub->waiting = NULL;
    while (s != NULL) {
        struct stream *next = s->next;
        s->next = NULL;
        s->parked = false;
        MHD_resume_connection(s->conn);
        s = next;
    }
}

void http_stream_notify(struct http_stream_hub *hub, int64_t offset)
{
    if (hub == NULL)
        return;
    pthread_mutex_lock(&hub->mu);
    if (offset > hub->last) {
        hub->last = offset;
        wake_all(hub);
    }
    pthread_mutex_unlock(&hub->mu);
}

void http_stream_heartbeat(struct http_stream_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
    hub->beat++;
    wake_all(hub);
    pthread_mutex_unlock(&hub->mu);
}

void http_stream_close_all(struct http_stream_hub *hub)
{
    pthread_mutex_lock(&hub->mu);
    hub->closing = true;
    wake_all(hub);
    pthread_mutex_unlock(&hub->mu);
}

void http_stream_hub_free(struct http_stream_hub *hub)
{
    if (hub == NULL)
        return;
    pthread_mutex_destroy(&hub->mu);
    free(hub);
}

/* ---- one stream --------------------------------------------------------------------------- */

struct refill {
    struct stream *s;
    int n;
};

static int add_event(void *ctx, const struct event *ev)
{
    struct refill *rf = ctx;
    json_t *j = http_json_event(ev);
    char *data = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    int r;
    json_decref(j);
    if (data == NULL)
        return -ENOMEM;
    r = gh_buf_printf(&rf->s->text, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)ev->offset,
                      event_type_name(ev->type), data);
    free(data);
    rf->s->cursor = ev->offset;
    rf->n++;
    return r;
}

/* Reads the next page of matching events in (cursor, upto] into the text buffer. */
static int refill(struct stream *s, int64_t upto)
{
    struct store *st = http_thread_store(s->hub->srv);
    struct store_event_filter f = s->filter;
    struct refill rf = {s, 0};
    int r;
    if (st == NULL)
        return -EIO;
    f.after_offset = s->cursor;
    f.until_offset = upto;
    f.limit = LIVE_PAGE;
    r = store_event_query(st, &f, add_event, &rf);
    if (r < 0)
        return r;
    if (rf.n < LIVE_PAGE)
        s->cursor = upto; /* nothing else matches up to there */
    atomic_fetch_add(&s->hub->srv->metrics.sse_sent, (uint_fast64_t)rf.n);
    return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    struct http_stream_hub *hub = s->hub;
    (void)pos;
    for (;;) {
        int64_t last;
        uint64_t beat;
        bool closing;
        if (s->sent < s->text.len) {
            size_t n = s->text.len - s->sent;
            if (n > max)
                n = max;
            memcpy(buf, s->text.data + s->sent, n);
            s->sent += n;
            return (ssize_t)n;
        }
        s->text.len = 0;
        s->sent = 0;

        pthread_mutex_lock(&hub->mu);
        last = hub->last;
        beat = hub->beat;
        closing = hub->closing;
        if (!closing && last <= s->cursor && beat == s->beat) {
            /* nothing to send: park until notified (no wake-up can be lost: notify
             * takes this lock to raise `last` and resume the wait list) */
            s->parked = true;
            s->next = hub->waiting;
            hub->waiting = s;
            MHD_suspend_connection(s->conn);
            pthread_mutex_unlock(&hub->mu);
            return 0;
        }
        pthread_mutex_unlock(&hub->mu);
        if (closing)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (last > s->cursor) {
            if (refill(s, last) < 0) {
                log_error("live stream: reading events after %lld failed", (long long)s->cursor);
                return MHD_CONTENT_READER_END_WITH_ERROR;
            }
        } else if (beat != s->beat) {
            s->beat = beat;
            if (gh_buf_printf(&s->text, ": keep-alive\n\n") < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    struct http_stream_hub *hub = s->hub;
    pthread_mutex_lock(&hub->mu);
    if (s->parked) { /* cannot be while its response is freed, but never leave it listed */
        struct stream **pp = &hub->waiting;
        while (*pp != NULL && *pp != s)
            pp = &(*pp)->next;
        if (*pp == s)
            *pp = s->next;
    }
    pthread_mutex_unlock(&hub->mu);
    atomic_fetch_sub(&hub->srv->metrics.sse_clients, 1);
    gh_buf_free(&s->text);
    free(s);
}

int http_stream_start(struct http_req *r, const struct store_event_filter *f, int64_t cursor)
{
    struct http_server *srv = r->srv;
    struct MHD_Response *resp;
    struct stream *s;
    uint_fast64_t n = atomic_fetch_add(&srv->metrics.sse_clients, 1);
    if (n >= srv->cfg.max_sse_clients) {
        atomic_fetch_sub(&srv->metrics.sse_clients, 1);
        http_reply_header(r, "Retry-After", "5");
        return http_problem(r, 503, "busy", NULL,
                            "too many live streams are open (%u); try again later",
                            srv->cfg.max_sse_clients);
    }
    s = xcalloc(1, sizeof(*s));
    s->hub = srv->hub;
    s->conn = r->conn;
    s->filter = *f;
    s->cursor = cursor;
    pthread_mutex_lock(&srv->hub->mu);
    s->beat = srv->hub->beat;
    pthread_mutex_unlock(&srv->hub->mu);
    gh_buf_init(&s->text, LIVE_TEXT_MAX);
    /* the first bytes tell the client it is connected and how fast to reconnect */
    gh_buf_printf(&s->text, ": gatehouse live events after offset %lld\nretry: 2000\n\n",
                  (long long)cursor);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, LIVE_BLOCK, stream_read, s,
                                             stream_free);
    if (resp == NULL) {
        stream_free(s);
        return -ENOMEM;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    r->stream = true;
    return http_reply_response(r, 200, resp);
}
