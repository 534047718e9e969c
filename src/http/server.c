/*
 * server.c: `gatehouse serve`. The design is simple: libmicrohttpd runs the sockets, TLS
 * and an epoll thread pool; every request gets a struct http_req on its first callback,
 * where the route is matched and the caller authenticated and authorized before any body
 * is read (so a refused upload costs nothing); the body is then accumulated up to the
 * route's limit; on the last callback the handler runs and its reply is queued with the
 * common headers. Logging and metrics happen when libmicrohttpd reports the request done.
 *
 * Threads: the HTTP pool (each worker has its own store connection, see
 * http_thread_store), the event writer (src/ingest), the policy thread (recompiles and
 * publishes the decision snapshot when the policy version moves) and a timer thread
 * (stream heartbeats, noticing events committed by other processes, policy polling).
 */
#include "audit/audit.h"
#include "http/handlers/handlers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- per-thread store ------------------------------------------------------------------- */

/* What each worker thread keeps: its store connection and its token cache. */
struct http_thread {
    struct store *st;
    struct identity_token_cache tokens;
    uint64_t tokens_gen; /* the server's write_gen when the cache was last emptied */
};

static void free_thread(void *p)
{
    struct http_thread *t = p;
    store_close(t->st);
    sodium_memzero(t, sizeof(*t));
    free(t);
}

static struct http_thread *thread_ctx(struct http_server *srv)
{
    struct http_thread *t = pthread_getspecific(srv->store_key);
    struct gh_err err = {{0}};
    if (t != NULL)
        return t;
    t = xcalloc(1, sizeof(*t));
    if (store_open(srv->db_path, 0, &t->st, &err) < 0) {
        log_error("opening a store connection: %s", err.msg);
        free(t);
        return NULL;
    }
    store_track_changes(t->st, true); /* the audit entries' before and after */
    pthread_setspecific(srv->store_key, t);
    return t;
}

struct store *http_thread_store(struct http_server *srv)
{
    struct http_thread *t = thread_ctx(srv);
    return t ? t->st : NULL;
}

/* ---- policy thread ------------------------------------------------------------------------ */

void http_policy_poke(struct http_server *srv)
{
    pthread_mutex_lock(&srv->policy_mu);
    srv->policy_wake = true;
    pthread_cond_broadcast(&srv->policy_cond);
    pthread_mutex_unlock(&srv->policy_mu);
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int http_policy_wait(struct http_server *srv, int64_t version, int timeout_ms, struct gh_err *err)
{
    struct timespec ts;
    int r = 0;
    deadline_after(&ts, timeout_ms);
    pthread_mutex_lock(&srv->policy_mu);
    srv->policy_wake = true;
    pthread_cond_broadcast(&srv->policy_cond);
    while (srv->snapshot_version < version) {
        if (srv->failed_version >= version) {
            r = gh_fail(err, -EIO, "the policy does not compile: %s", srv->snapshot_error);
            break;
        }
        if (pthread_cond_timedwait(&srv->policy_cond, &srv->policy_mu, &ts) != 0) {
            r = gh_fail(err, -ETIMEDOUT, "the decision snapshot is still being compiled");
            break;
        }
    }
    pthread_mutex_unlock(&srv->policy_mu);
    return r;
}

static void *policy_main(void *arg)
{
    struct http_server *srv = arg;
    struct store *st = NULL;
    struct gh_err err = {{0}};

    if (store_open(srv->db_path, 0, &st, &err) < 0) {
        log_error("policy thread: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&srv->policy_mu);
    while (!srv->policy_stop) {
        int64_t want, have = srv->snapshot_version;
        struct access_snapshot *snap = NULL;
        int r;
        srv->policy_wake = false;
        pthread_mutex_unlock(&srv->policy_mu);

        want = store_policy_version(st);
        r = 0;
        if (want >= 0 && want != have && want != srv->failed_version) {
            int64_t t0 = gh_monotonic_us();
            memset(&err, 0, sizeof(err));
            r = access_compile(st, srv->site_key, &snap, &err);
            if (r == 0) {
                want = access_snapshot_version(snap);
                access_engine_publish(srv->engine, snap);
                log_info("decision snapshot version %lld published (%zu credentials, %.1f ms)",
                         (long long)want, access_snapshot_credentials(snap),
                         (double)(gh_monotonic_us() - t0) / 1000.0);
            } else {
                log_error("the policy (version %lld) does not compile: %s", (long long)want,
                          err.msg);
            }
        }

        pthread_mutex_lock(&srv->policy_mu);
        if (want >= 0 && want != have && want != srv->failed_version) {
            if (r == 0) {
                srv->snapshot_version = want;
                srv->snapshot_error[0] = '\0';
            } else {
                srv->failed_version = want;
                gh_strlcpy(srv->snapshot_error, err.msg, sizeof(srv->snapshot_error));
            }
            pthread_cond_broadcast(&srv->policy_cond);
            if (r == 0) {
                /* controllers waiting in a long poll learn of the new version now */
                pthread_mutex_unlock(&srv->policy_mu);
                http_edge_wake(srv, false);
                pthread_mutex_lock(&srv->policy_mu);
            }
        }
        if (!srv->policy_wake && !srv->policy_stop) {
            struct timespec ts;
            deadline_after(&ts, 1000); /* also notice changes made by the CLI */
            pthread_cond_timedwait(&srv->policy_cond, &srv->policy_mu, &ts);
        }
    }
    pthread_mutex_unlock(&srv->policy_mu);
    store_close(st);
    return NULL;
}

/* ---- timer thread ------------------------------------------------------------------------- */

/* The timer checks SQLite's data_version every tick (a read of shared memory) and reads the
 * last event offset only when another connection committed: events written by other
 * processes (the CLI, an import, a simulator) reach live streams within a tick. */
#define TIMER_TICK_MS 10

/* Signs a tree head of the audit log when it grew since the last one: at least once a
 * second while entries arrive (RFC 9162's signed tree heads), with its own connection. */
static void sign_audit_head(struct http_server *srv, struct store **signer)
{
    struct store_audit_head last;
    struct audit_sth h;
    struct gh_err err = {{0}};
    int64_t size;
    int r;
    if (*signer == NULL && store_open(srv->db_path, 0, signer, &err) < 0) {
        log_error("audit signer: %s", err.msg);
        return;
    }
    size = store_audit_size(*signer);
    r = store_audit_head_latest(*signer, &last);
    if (size < 0 || (r == 0 && last.size >= size) || (r == -ENOENT && size == 0))
        return;
    if (store_begin_write(*signer) < 0 ||
        audit_log_sign_head(*signer, srv->server_sk, gh_now_us(), &h, &err) < 0 ||
        store_commit(*signer) < 0) {
        log_error("audit signer: %s", err.msg[0] ? err.msg : store_errmsg(*signer));
        store_rollback(*signer);
    }
}

static void *timer_main(void *arg)
{
    struct http_server *srv = arg;
    struct store *st = NULL;
    struct gh_err err = {{0}};
    int64_t next_beat = gh_monotonic_us() + (int64_t)srv->cfg.sse_heartbeat_s * GH_USEC_PER_SEC;
    int64_t seen_version = -1, next_poll = 0, next_sign = 0;
    struct store *signer = NULL;

    if (store_open(srv->db_path, STORE_READONLY, &st, &err) < 0)
        log_error("timer thread: %s (events from other processes are not noticed)", err.msg);
    while (!atomic_load(&srv->stopping)) {
        struct timespec ts = {0, TIMER_TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (atomic_load(&srv->stopping))
            break;
        /* events committed by other processes (the CLI, an import) */
        if (st != NULL) {
            int64_t v = store_data_version(st);
            if (v != seen_version) {
                int64_t last = store_event_last_offset(st);
                seen_version = v;
                if (last > 0) {
                    http_stream_notify(srv->hub, last);
                    incident_runner_wake(srv->runner);
                }
            }
        }
        if (gh_monotonic_us() >= next_sign) {
            sign_audit_head(srv, &signer);
            next_sign = gh_monotonic_us() + GH_USEC_PER_SEC;
        }
        if (gh_monotonic_us() >= next_poll) {
            http_edge_wake(srv, false); /* long polls whose time is up */
            next_poll = gh_monotonic_us() + 250000;
        }
        if (gh_monotonic_us() >= next_beat) {
            http_stream_heartbeat(srv->hub);
            next_beat = gh_monotonic_us() + (int64_t)srv->cfg.sse_heartbeat_s * GH_USEC_PER_SEC;
        }
    }
    store_close(st);
    store_close(signer);
    return NULL;
}

/* ---- requests ----------------------------------------------------------------------------- */

static void on_ingest_commit(void *ctx, const struct event *evs, size_t n)
{
    struct http_server *srv = ctx;
    if (n > 0) {
        http_stream_notify(srv->hub, evs[n - 1].offset);
        incident_runner_wake(srv->runner);
    }
}

/* The rules thread committed alarms (as events): the live streams are told at once. */
static void on_alarms(void *ctx, int64_t last_offset)
{
    struct http_server *srv = ctx;
    http_stream_notify(srv->hub, last_offset);
}

static bool safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

/* A signed-in user's request (the session cookie): the session must be live, and a
 * request that may change something must carry the session's CSRF token. 0, or a reply
 * was set. */
static int authorize_session(struct http_req *r, struct http_thread *t, const char *cookie)
{
    struct gh_err err = {{0}};
    struct session *s = &r->session;
    const char *token;
    int rc = identity_session_authenticate(t->st, cookie, gh_now_us(),
                                           (int64_t)r->srv->cfg.session_idle_s * 1000000,
                                           &r->caller, s, &err);
    if (rc < 0) {
        log_info("request %s: session refused: %s", r->id, err.msg);
        http_problem(r, 401, "unauthorized", NULL,
                     "the session has ended or expired: sign in again");
        return -EACCES;
    }
    if (safe_method(r->method))
        return 0;
    token = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
    if (token == NULL || strlen(token) != strlen(s->csrf) ||
        sodium_memcmp(token, s->csrf, strlen(s->csrf)) != 0) {
        http_problem(r, 403, "csrf", NULL,
                     "a change made with a session needs the X-CSRF-Token header of that "
                     "session (GET /api/v1/auth/session gives it)");
        return -EPERM;
    }
    return 0;
}

/* Authenticates the caller and checks the route's permission. 0, or a reply was set. */
static int authorize(struct http_req *r)
{
    struct gh_err err = {{0}};
    const char *auth, *cookie;
    struct http_thread *t;
    int rc;

    /* a controller's request is checked by its handler: the signature is over the body */
    if (r->route->perm == PERM_NONE || r->route->perm == PERM_CONTROLLER)
        return 0;
    auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, IDENTITY_SESSION_COOKIE);
    t = thread_ctx(r->srv);
    if (t == NULL)
        return http_problem(r, 503, "not-ready", NULL, "the store is not available"), -EIO;
    if (auth == NULL && cookie != NULL) {
        if ((rc = authorize_session(r, t, cookie)) < 0)
            return rc;
    } else {
        uint64_t gen = atomic_load(&r->srv->write_gen);
        if (gen != t->tokens_gen) {
            sodium_memzero(&t->tokens, sizeof(t->tokens));
            t->tokens_gen = gen;
        }
        rc = identity_authenticate_cached(&t->tokens, t->st, auth, gh_now_us(), &r->caller, &err);
        if (rc == -EIO)
            return http_problem_from(r, -EIO, &err), rc;
        if (rc < 0) {
            log_info("request %s: authentication refused: %s", r->id, err.msg);
            http_reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"gatehouse\"");
            http_problem(r, 401, "unauthorized", NULL,
                         auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0
                             ? "this route needs a bearer token (Authorization: Bearer ...) "
                               "or a signed-in session"
                             : "the bearer token is not valid (unknown, expired or revoked)");
            return rc;
        }
    }
    if (!perm_has(r->caller.perms, r->route->perm)) {
        http_problem(r, 403, "forbidden", NULL, "%s lacks the permission %s", r->caller.name,
                     perm_name(r->route->perm));
        return -EPERM;
    }
    return 0;
}

static bool content_type_is(struct http_req *r, const char *want)
{
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = strlen(want);
    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct http_req *r = cls;
    (void)kind;
    if (http_query_add(r, key, value) == 0)
        return MHD_YES;
    r->query_overflow = true;
    return MHD_NO;
}

/* First callback: route, caller, permission, body limits. 0 to go on, or a reply was set. */
static int begin_request(struct http_req *r)
{
    char allow[128];
    const char *cl;
    int idx = http_route_match(r->method, r->url, r->path_buf, sizeof(r->path_buf), r->params,
                               &r->n_params, allow, sizeof(allow));
    if (idx == -EPERM) {
        http_reply_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        return http_problem(r, 405, "method-not-allowed", NULL,
                            "%s is not allowed on %s (allowed: %s)", r->method, r->url, allow),
               -EPERM;
    }
    if (idx < 0 && http_console_reply(r) == 0)
        return -ENOENT; /* a console file: replied */
    if (idx < 0)
        return http_problem(r, 404, "not-found", NULL, "there is no route %s %s", r->method,
                            r->url),
               -ENOENT;
    r->route = &http_routes[idx];
    r->route_index = (size_t)idx;
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, on_query_arg, r);
    if (r->query_overflow)
        return http_problem(r, 400, "bad-request", NULL, "too many query parameters (at most %zu)",
                            GH_ARRAY_LEN(r->query)),
               -E2BIG;
    if (authorize(r) < 0)
        return -EACCES;

    r->body_max = (r->route->flags & (HTTP_ROUTE_CSV_BODY | HTTP_ROUTE_FILE_BODY))
                      ? r->srv->cfg.max_upload
                      : r->srv->cfg.max_body;
    cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        uint64_t n;
        if (gh_parse_u64(cl, UINT64_MAX, &n) < 0)
            return http_problem(r, 400, "bad-request", NULL, "Content-Length is not a number"),
                   -EINVAL;
        if (n > r->body_max)
            return http_problem(r, 413, "too-large", NULL,
                                "the body is %llu bytes; this route takes at most %zu",
                                (unsigned long long)n, r->body_max),
                   -EFBIG;
    }
    gh_buf_init(&r->body, r->body_max);
    return 0;
}

/* Last callback: parse the body, run the handler. */
static void run_handler(struct http_req *r)
{
    struct gh_err err = {{0}};
    int rc;
    if (r->body_too_large) {
        http_problem(r, 413, "too-large", NULL, "the body is larger than %zu bytes", r->body_max);
        return;
    }
    /* the type is checked once there is a body: an action (lockdown) may have none */
    if (r->body.len > 0 && (r->route->flags & HTTP_ROUTE_JSON_BODY) &&
        !(content_type_is(r, "application/json") ||
          content_type_is(r, "application/merge-patch+json"))) {
        http_problem(r, 415, "unsupported-media-type", NULL, "the body must be application/json");
        return;
    }
    if ((r->route->flags & HTTP_ROUTE_CSV_BODY) && !content_type_is(r, "text/csv")) {
        http_problem(r, 415, "unsupported-media-type", NULL, "the body must be text/csv (UTF-8)");
        return;
    }
    if ((r->route->flags & HTTP_ROUTE_JSON_BODY) && r->body.len == 0) {
        r->json = json_object(); /* no body: no fields (a create then names what is missing) */
    } else if (r->route->flags & HTTP_ROUTE_JSON_BODY) {
        if (http_json_parse(r->body.data ? r->body.data : "", r->body.len,
                            r->srv->cfg.max_json_depth, &r->json, &err) < 0) {
            http_problem(r, 400, "bad-request", NULL, "the body is not valid JSON: %s", err.msg);
            return;
        }
    }
    rc = r->route->handler(r);
    if (r->deferred)
        return;             /* a worker owns the request now; it sets the reply and resumes it */
    http_write_rollback(r); /* a handler that failed half-way leaves nothing behind */
    if (rc < 0 && !r->replied) {
        log_error("request %s %s %s: handler failed: %s", r->id, r->method, r->url,
                  gh_strerror(rc));
        http_problem(r, 500, "internal", NULL, "the server failed to complete the request (%s)",
                     r->id);
    } else if (!r->replied) {
        log_error("request %s %s %s: handler set no reply", r->id, r->method, r->url);
        http_problem(r, 500, "internal", NULL, "the server failed to complete the request (%s)",
                     r->id);
    }
}

static enum MHD_Result queue_reply(struct http_req *r)
{
    struct MHD_Response *resp = r->response;
    enum MHD_Result ok;
    if (resp == NULL) {
        http_problem(r, 500, "internal", NULL, "no reply (%s)", r->id);
        resp = r->response;
        if (resp == NULL)
            return MHD_NO;
    }
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    /* the console's scripts and styles come only from here; nothing inline, no framing */
    MHD_add_response_header(resp, "Content-Security-Policy", HTTP_CSP);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    if (MHD_get_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL) == NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (!r->srv->cfg.plain_http)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY,
                                "max-age=31536000");
    ok = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    r->response = NULL;
    return ok;
}

/* The peer's numeric address ("" if unknown). */
static void client_address(struct MHD_Connection *conn, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    buf[0] = '\0';
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)len);
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)len);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct http_req *r = *con_cls;
    (void)version;

    if (r == NULL) {
        r = xcalloc(1, sizeof(*r));
        r->srv = srv;
        r->conn = conn;
        r->method = method;
        r->url = url;
        r->start_us = gh_monotonic_us();
        r->route_index = http_routes_count;
        snprintf(r->id, sizeof(r->id), "r%llu",
                 (unsigned long long)atomic_fetch_add(&srv->request_seq, 1) + 1);
        client_address(conn, r->client_addr, sizeof(r->client_addr));
        *con_cls = r;
        atomic_fetch_add(&srv->inflight, 1);
        if (atomic_load(&srv->stopping)) {
            http_reply_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
            http_problem(r, 503, "not-ready", NULL, "the server is shutting down");
            return queue_reply(r);
        }
        if (begin_request(r) < 0)
            return queue_reply(r);
        return MHD_YES;
    }
    if (r->handled) /* a deferred request, resumed by its worker with the reply set */
        return r->deferred && !r->replied ? MHD_YES : queue_reply(r);
    if (r->replied && r->response == NULL)
        return MHD_YES; /* already queued (early refusal); ignore the rest of the body */
    if (*upload_data_size > 0) {
        if (!r->body_too_large && gh_buf_append(&r->body, upload_data, *upload_data_size) < 0)
            r->body_too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    r->handled = true;
    run_handler(r);
    if (r->deferred)
        return MHD_YES; /* suspended: the worker may already be answering it */
    return queue_reply(r);
}

/* One log line per request (logfmt), then metrics, then the request is freed. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct http_req *r = *con_cls;
    int64_t dur;
    char line[1400];
    bool stream;
    (void)conn;
    if (r == NULL)
        return;
    atomic_fetch_sub(&srv->inflight, 1);
    dur = gh_monotonic_us() - r->start_us;
    stream = r->route != NULL && (r->route->flags & HTTP_ROUTE_STREAM) != 0;
    http_metrics_observe(&srv->metrics, r->route_index, r->status, dur, stream);
    if (log_get_level() >= LOG_INFO) {
        char ts[GH_ISO_LEN];
        gh_format_iso(gh_now_us(), ts);
        snprintf(line, sizeof(line),
                 "%s level=info msg=request id=%s method=%s route=\"%s\" path=\"%.400s\" "
                 "status=%u duration_ms=%.3f caller=\"%s\"%s\n",
                 ts, r->id, r->method, r->route ? r->route->pattern : "-", r->url, r->status,
                 (double)dur / 1000.0,
                 r->caller.kind == CALLER_ANONYMOUS ? "anonymous" : r->caller.name,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
        fputs(line, stderr);
    }
    json_decref(r->json);
    gh_buf_free(&r->body);
    if (r->response)
        MHD_destroy_response(r->response);
    free(r);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages (its format strings), at debug level. */
GH_PRINTF(2, 0) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("libmicrohttpd: %s", msg);
}

/* ---- start and stop ------------------------------------------------------------------------- */

static int bind_address(const struct http_config *c, struct sockaddr_storage *ss, bool *v6,
                        struct gh_err *err)
{
    memset(ss, 0, sizeof(*ss));
    *v6 = false;
    if (inet_pton(AF_INET, c->listen_addr, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)c->port);
        return 0;
    }
    if (inet_pton(AF_INET6, c->listen_addr, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)c->port);
        *v6 = true;
        return 0;
    }
    return gh_fail(err, -EINVAL, "'%s' is not a numeric address", c->listen_addr);
}

/* TLS 1.2 and 1.3 only, AEAD ciphers only. */
#define TLS_PRIORITIES                                                                             \
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"         \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD"

struct tls_mem {
    char *cert;
    char *key;
    size_t key_len;
};

static int start_daemon(struct http_server *srv, struct tls_mem *tls, struct gh_err *err)
{
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;
    bool v6;
    int r;

    if ((r = bind_address(&srv->cfg, &ss, &v6, err)) < 0)
        return r;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (!srv->cfg.plain_http)
        flags |= MHD_USE_TLS;
    {
        struct MHD_OptionItem tls_opts[] = {
            {MHD_OPTION_HTTPS_MEM_CERT, 0, tls->cert},
            {MHD_OPTION_HTTPS_MEM_KEY, 0, tls->key},
            {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
            {MHD_OPTION_END, 0, NULL}};
        struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
        srv->mhd = MHD_start_daemon(
            flags, (uint16_t)srv->cfg.port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, srv->cfg.threads,
            MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
            srv->cfg.request_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            srv->cfg.max_header + (size_t)(16u << 10), MHD_OPTION_NOTIFY_COMPLETED, on_completed,
            srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
            MHD_OPTION_ARRAY, srv->cfg.plain_http ? none : tls_opts, MHD_OPTION_END);
    }
    if (srv->mhd == NULL)
        return gh_fail(err, -EADDRINUSE,
                       "cannot listen on %s port %u (in use, not permitted, or the TLS "
                       "files were refused)",
                       srv->cfg.listen_addr, srv->cfg.port);
    info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : srv->cfg.port;
    return 0;
}

unsigned http_server_port(const struct http_server *srv)
{
    return srv->port;
}

int http_server_start(const struct http_config *c, struct http_server **out, struct gh_err *err)
{
    struct http_server *srv = xcalloc(1, sizeof(*srv));
    struct ingest_options io;
    struct tls_mem tls = {NULL, NULL, 0};
    char path[HTTP_PATH_MAX + 32];
    struct store *st = NULL;
    bool policy_started = false, timer_started = false;
    size_t len;
    int r;

    srv->cfg = *c;
    srv->snapshot_version = -1;
    srv->failed_version = -1;
    srv->started_us = gh_now_us();
    pthread_mutex_init(&srv->policy_mu, NULL);
    pthread_cond_init(&srv->policy_cond, NULL);
    pthread_key_create(&srv->store_key, free_thread);
    http_metrics_init(&srv->metrics);
    signal(SIGPIPE, SIG_IGN);

    if (gh_snprintf(srv->db_path, sizeof(srv->db_path), "%s/gatehouse.db", c->data_dir) < 0 ||
        gh_snprintf(path, sizeof(path), "%s/keys/site.key", c->data_dir) < 0) {
        r = gh_fail(err, -ENAMETOOLONG, "data dir path too long");
        goto fail;
    }
    if ((r = access_site_key_load(path, srv->site_key, err)) < 0)
        goto fail;
    {
        bool made = false;
        char keys[HTTP_PATH_MAX + 8];
        if (gh_snprintf(keys, sizeof(keys), "%s/keys", c->data_dir) < 0) {
            r = gh_fail(err, -ENAMETOOLONG, "data dir path too long");
            goto fail;
        }
        if ((r = gh_sign_key_load_or_create(keys, "server.key", srv->server_pk, srv->server_sk,
                                            &made, err)) < 0)
            goto fail;
        if (made)
            log_info("made the server's signing key %s/server.key", keys);
    }
    http_edge_new(&srv->edge);
    identity_mfa_policy_set(c->mfa_roles);
    if (c->oidc.issuer[0]) {
        /* single sign-on never takes the last worker: password sign-in keeps one */
        srv->cfg.oidc.max_concurrent = c->workers > 1 ? c->workers - 1 : 1;
        if ((r = identity_oidc_new(&srv->cfg.oidc, &srv->oidc, err)) < 0)
            goto fail;
    }
    /* migrate before anything else opens the database */
    if ((r = store_open(srv->db_path, 0, &st, err)) < 0)
        goto fail;
    store_close(st);
    st = NULL;

    srv->engine = access_engine_new();
    if ((r = http_stream_hub_new(srv, &srv->hub)) < 0) {
        gh_fail(err, r, "starting the live stream hub");
        goto fail;
    }
    /* the rules thread before the threads that wake it */
    if (!c->rules.disabled &&
        (r = incident_runner_start(srv->db_path, &c->rules, on_alarms, srv, &srv->runner, err)) < 0)
        goto fail;
    if ((r = incident_notifier_start(srv->db_path, &c->notify, on_alarms, srv, &srv->notifier,
                                     err)) < 0)
        goto fail;
    ingest_options_init(&io);
    if ((r = ingest_start(srv->db_path, &io, &srv->ing, err)) < 0)
        goto fail;
    ingest_subscribe(srv->ing, on_ingest_commit, srv);
    if ((r = http_pool_new(srv, c->workers, c->max_queue, &srv->pool)) < 0) {
        gh_fail(err, r, "cannot start the worker threads");
        goto fail;
    }

    if (pthread_create(&srv->policy_thread, NULL, policy_main, srv) != 0) {
        r = gh_fail(err, -EAGAIN, "cannot start the policy thread");
        goto fail;
    }
    policy_started = true;
    /* the first snapshot is compiled before the server answers: /readyz depends on it */
    pthread_mutex_lock(&srv->policy_mu);
    while (srv->snapshot_version < 0 && srv->failed_version < 0) {
        struct timespec ts;
        deadline_after(&ts, 1000);
        pthread_cond_timedwait(&srv->policy_cond, &srv->policy_mu, &ts);
    }
    pthread_mutex_unlock(&srv->policy_mu);
    if (pthread_create(&srv->timer_thread, NULL, timer_main, srv) != 0) {
        r = gh_fail(err, -EAGAIN, "cannot start the timer thread");
        goto fail;
    }
    timer_started = true;
    if (c->siem.target[0] &&
        (r = audit_forwarder_start(srv->db_path, &c->siem, &srv->forwarder, err)) < 0)
        goto fail;
    if ((r = http_dumper_start(srv, err)) < 0)
        goto fail;
    /* made anew from the store at every start: a cache, never the truth */
    if (gh_snprintf(path, sizeof(path), "%s/audit-nodes.cache", c->data_dir) < 0) {
        r = gh_fail(err, -ENAMETOOLONG, "data dir path too long");
        goto fail;
    }
    if ((r = audit_nodecache_open(path, &srv->nodes, err)) < 0)
        goto fail;

    if (!c->plain_http) {
        if ((r = http_tls_read_pem(c->tls_cert, &tls.cert, &len, err)) < 0 ||
            (r = http_tls_read_pem(c->tls_key, &tls.key, &tls.key_len, err)) < 0)
            goto fail;
    }
    r = start_daemon(srv, &tls, err);
    /* libmicrohttpd has loaded the credentials into GnuTLS: wipe our copy */
    if (tls.key) {
        sodium_memzero(tls.key, tls.key_len);
        free(tls.key);
    }
    free(tls.cert);
    if (r < 0)
        goto fail;
    *out = srv;
    return 0;

fail:
    audit_nodecache_close(srv->nodes);
    http_dumper_stop(srv);
    audit_forwarder_stop(srv->forwarder);
    if (timer_started || policy_started) {
        atomic_store(&srv->stopping, true);
        pthread_mutex_lock(&srv->policy_mu);
        srv->policy_stop = true;
        pthread_cond_broadcast(&srv->policy_cond);
        pthread_mutex_unlock(&srv->policy_mu);
        if (policy_started)
            pthread_join(srv->policy_thread, NULL);
        if (timer_started)
            pthread_join(srv->timer_thread, NULL);
    }
    http_pool_stop(srv->pool);
    if (srv->ing)
        ingest_stop(srv->ing);
    incident_runner_stop(srv->runner); /* after what wakes it, before the hub it tells */
    incident_notifier_stop(srv->notifier);
    if (srv->hub)
        http_stream_hub_free(srv->hub);
    if (srv->engine)
        access_engine_free(srv->engine);
    http_metrics_free(&srv->metrics);
    sodium_memzero(srv->site_key, sizeof(srv->site_key));
    sodium_memzero(srv->server_sk, sizeof(srv->server_sk));
    http_edge_free(srv->edge);
    http_config_wipe(&srv->cfg);
    identity_oidc_free(srv->oidc);
    pthread_key_delete(srv->store_key);
    free(srv);
    return r;
}

#define SHUTDOWN_GRACE_MS 10000

void http_server_stop(struct http_server *srv)
{
    if (srv == NULL)
        return;
    atomic_store(&srv->stopping, true);
    /* new requests are refused from here on (503 with Connection: close); live streams are
     * told to end; in-flight requests get up to SHUTDOWN_GRACE_MS to finish. The listening
     * socket stays open until MHD_stop_daemon: libmicrohttpd 0.9.75's MHD_quiesce_daemon
     * races its own epoll workers (both remove the listen FD; the loser panics). */
    http_stream_close_all(srv->hub);
    http_edge_wake(srv, true); /* long polls answer now */
    {
        int64_t deadline = gh_monotonic_us() + SHUTDOWN_GRACE_MS * 1000;
        while (atomic_load(&srv->inflight) > 0 && gh_monotonic_us() < deadline) {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (atomic_load(&srv->inflight) > 0)
            log_warn("%d requests still running after %d ms; closing them",
                     atomic_load(&srv->inflight), SHUTDOWN_GRACE_MS);
    }
    /* workers finish what they hold and resume their connections before the daemon goes */
    http_pool_stop(srv->pool);
    srv->pool = NULL;
    MHD_stop_daemon(srv->mhd);

    pthread_mutex_lock(&srv->policy_mu);
    srv->policy_stop = true;
    pthread_cond_broadcast(&srv->policy_cond);
    pthread_mutex_unlock(&srv->policy_mu);
    pthread_join(srv->policy_thread, NULL);
    pthread_join(srv->timer_thread, NULL);

    ingest_stop(srv->ing);                /* drains and commits what was submitted */
    incident_runner_stop(srv->runner);    /* its cursor is saved; before the hub goes */
    incident_notifier_stop(srv->notifier);
    audit_forwarder_stop(srv->forwarder); /* after the last commit: its cursor is saved */
    http_dumper_stop(srv);
    audit_nodecache_close(srv->nodes);
    http_stream_hub_free(srv->hub);
    access_engine_free(srv->engine);
    http_metrics_free(&srv->metrics);
    {
        struct http_thread *t = pthread_getspecific(srv->store_key);
        if (t) {
            free_thread(t);
            pthread_setspecific(srv->store_key, NULL);
        }
    }
    pthread_key_delete(srv->store_key);
    sodium_memzero(srv->site_key, sizeof(srv->site_key));
    sodium_memzero(srv->server_sk, sizeof(srv->server_sk));
    http_edge_free(srv->edge);
    http_config_wipe(&srv->cfg);
    identity_oidc_free(srv->oidc);
    pthread_mutex_destroy(&srv->policy_mu);
    pthread_cond_destroy(&srv->policy_cond);
    log_info("server stopped");
    free(srv);
}
