/*
 * http_int.h: private to src/http. The server context, the request every handler gets,
 * the route table and the helpers handlers use to read input and write replies.
 *
 * A handler is thin: read path, query and body through the helpers below (each records a
 * per-field error or replies 400/422 itself), call the store or one module, render with
 * http_reply_json(). It returns 0 once a reply is set, or a negative code for an internal
 * failure (the server answers 500 and logs it). Handlers run on libmicrohttpd's worker
 * threads and must not block for long: slow work (exports) goes to a thread of its own.
 */
#ifndef GH_HTTP_INT_H
#define GH_HTTP_INT_H

#include "http/http.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

struct http_req;
typedef int (*http_handler_fn)(struct http_req *r);

/* ---- route table (routes.c) ------------------------------------------------------------ */

enum http_route_flags {
    HTTP_ROUTE_JSON_BODY = 1u << 0, /* a JSON object body is required */
    HTTP_ROUTE_CSV_BODY = 1u << 1,  /* a text/csv body up to max_upload */
    HTTP_ROUTE_STREAM = 1u << 2,    /* long-lived response (SSE): not counted in latency */
    HTTP_ROUTE_FILE_BODY = 1u << 3, /* a body of any type up to max_upload (attachments) */
};

struct http_route {
    const char *method;
    const char *pattern;
    http_handler_fn handler;
    enum perm perm;
    const char *request;
    const char *response;
    const char *summary;
    unsigned flags;
};

extern const struct http_route http_routes[];
extern const size_t http_routes_count;

#define HTTP_MAX_PARAMS   4
#define HTTP_MAX_SEGMENTS 12

/* Finds the route for method and path. Returns its index and fills params (pointing into
 * `scratch`, a copy of the path the caller provides); -ENOENT when no pattern matches the
 * path, -EPERM (allow filled with "GET, POST") when the path matches with other methods. */
struct http_param {
    const char *name; /* "id" (points into the pattern, up to name_len) */
    size_t name_len;
    const char *value;
};
int http_route_match(const char *method, const char *path, char *scratch, size_t scratch_len,
                     struct http_param params[HTTP_MAX_PARAMS], int *n_params, char *allow,
                     size_t allow_len);

/* ---- TLS files (tls.c) ---------------------------------------------------------------- */

/* Loads a certificate and key pair and checks that they belong together. */
int http_tls_check_pair(const char *cert_path, const char *key_path, struct gh_err *err);
/* Reads a PEM file into memory (caller frees, wiping key material). */
int http_tls_read_pem(const char *path, char **out, size_t *len, struct gh_err *err);

/* ---- metrics (metrics.c) ---------------------------------------------------------------- */

#define HTTP_LATENCY_BUCKETS 12
enum { HTTP_STATUS_SLOTS = 16 };

struct http_route_metrics {
    atomic_uint_fast64_t by_status[HTTP_STATUS_SLOTS];
    atomic_uint_fast64_t latency[HTTP_LATENCY_BUCKETS + 1]; /* last: +Inf */
    atomic_uint_fast64_t latency_sum_us;
};

struct http_metrics {
    struct http_route_metrics *routes; /* http_routes_count + 1 (the last: no route) */
    atomic_uint_fast64_t sse_clients;
    atomic_uint_fast64_t sse_sent;
    atomic_uint_fast64_t exports_running;
};
void http_metrics_init(struct http_metrics *m);
void http_metrics_free(struct http_metrics *m);
/* route_index: index in http_routes, or http_routes_count for "no route". */
void http_metrics_observe(struct http_metrics *m, size_t route_index, unsigned status,
                          int64_t duration_us, bool stream);
/* The Prometheus text of every metric. */
struct http_server;
int http_metrics_render(struct http_server *srv, struct gh_buf *out);

/* ---- the daily access dump (dumper.c) ------------------------------------------------ */
int http_dumper_start(struct http_server *srv, struct gh_err *err);
void http_dumper_stop(struct http_server *srv); /* a server whose dumper never started: ok */

/* ---- live stream hub (stream.c) ------------------------------------------------------ */

struct http_stream_hub;
int http_stream_hub_new(struct http_server *srv, struct http_stream_hub **out);
/* Events up to `offset` are committed: wake every stream that waits. Thread-safe. */
void http_stream_notify(struct http_stream_hub *hub, int64_t offset);
/* Wakes every stream so that it sends a heartbeat (timer). */
void http_stream_heartbeat(struct http_stream_hub *hub);
/* Ends every stream (shutdown). */
void http_stream_close_all(struct http_stream_hub *hub);
void http_stream_hub_free(struct http_stream_hub *hub);
/* Replies with a live stream of the events matching f after offset `cursor` (503 when
 * max_sse_clients are open). */
int http_stream_start(struct http_req *r, const struct store_event_filter *f, int64_t cursor);

/* ---- the worker pool (pool.c) ------------------------------------------------------------ */

#define HTTP_POOL_MAX_THREADS 16
struct http_pool;
int http_pool_new(struct http_server *srv, unsigned threads, unsigned max_queue,
                  struct http_pool **out);
/* Finishes the queued and running jobs, then frees the pool. */
void http_pool_stop(struct http_pool *p);
/* Hands the request to a worker: fn(r) runs there (with that thread's store), sets the
 * reply, and the connection is resumed. The handler returns what this returns: 0 (the
 * request is deferred, or refused with 503 when the queue is full). */
int http_defer(struct http_req *r, http_handler_fn fn);

/* ---- door controllers' state (handlers/edge.c) ------------------------------------------ */

/* Controllers send a heartbeat this often unless they say otherwise (heartbeat_s). */
#define HTTP_EDGE_HEARTBEAT_S 10
struct http_edge;
int http_edge_new(struct http_edge **out);
void http_edge_free(struct http_edge *e);
/* Answers the long polls whose version is out of date or whose time is up (all: every
 * one, and no new ones wait: shutdown). Thread-safe; call without policy_mu held. */
struct http_server;
void http_edge_wake(struct http_server *srv, bool all);
/* A controller's upload, {"events": [...]}: at most 1,000 events in order with no gap, each
 * of a type a controller sends, fields in range. 0 with *out (caller frees) and *n, or
 * -EINVAL with err naming the event and field; nothing is returned half parsed. */
int http_edge_events_parse(json_t *body, int64_t source, struct event **out, size_t *n,
                           struct gh_err *err);

/* ---- the server context (server.c) ------------------------------------------------------ */

struct http_server {
    struct http_config cfg;
    char db_path[HTTP_PATH_MAX + 32];
    struct MHD_Daemon *mhd;
    unsigned port;
    struct ingest *ing;
    struct access_engine *engine;
    uint8_t site_key[ACCESS_SITE_KEY_LEN];
    uint8_t server_pk[32]; /* keys/server.key: signs controllers' snapshots */
    uint8_t server_sk[64];
    struct http_edge *edge;
    pthread_key_t store_key; /* each worker thread's connection and token cache */
    struct http_stream_hub *hub;
    struct http_pool *pool;     /* slow work: password hashing */
    struct identity_oidc *oidc; /* [oidc] configured, else NULL */
    struct http_metrics metrics;
    atomic_bool stopping;
    atomic_uint_fast64_t request_seq;
    /* moves at every change a signed-in caller commits through the API: workers drop
     * their token caches, so a revoked token, a disabled owner or a role taken away counts
     * from the next request (changes made by another process, or by a directory at
     * sign-in, count within IDENTITY_CACHE_TTL_US) */
    atomic_uint_fast64_t write_gen;
    atomic_int inflight; /* requests begun and not completed (graceful shutdown waits) */
    int64_t started_us;

    /* The policy thread recompiles the decision snapshot when the policy version moves. */
    pthread_t policy_thread;
    pthread_mutex_t policy_mu;
    pthread_cond_t policy_cond; /* signalled on wake-up requests and on each publish */
    bool policy_wake;
    bool policy_stop;
    int64_t snapshot_version; /* published; -1 before the first */
    int64_t failed_version;   /* whose compile failed last (waiters stop waiting), or -1 */
    char snapshot_error[512]; /* why the last compile failed, "" if it did not */

    /* The timer thread: stream heartbeats and a periodic policy check. */
    pthread_t timer_thread;
    struct audit_forwarder *forwarder; /* [siem] target set: sends events and audit entries */
    struct incident_runner *runner;    /* the rules thread (NULL with [rules] enabled = false) */
    struct incident_notifier *notifier; /* sends the queued e-mails and webhooks */
    struct audit_nodecache *nodes;     /* the audit tree's nodes for proofs (DATA/audit-nodes.cache) */
    /* [dump] dir set: the daily dump thread (dumper.c) */
    pthread_t dump_thread;
    bool dump_started, dump_stop; /* dump_stop under dump_mu */
    pthread_mutex_t dump_mu;
    pthread_cond_t dump_cond;
    struct gh_tz *dump_tz;
};

/* This thread's store connection (opened on first use, closed when the thread exits);
 * NULL (logged) if it cannot be opened. */
struct store *http_thread_store(struct http_server *srv);
/* Asks the policy thread to look at the policy version now. */
void http_policy_poke(struct http_server *srv);
/* Waits (up to timeout_ms) until a snapshot of at least `version` is published. 0 when it
 * is; -ETIMEDOUT; -EIO with the compile error in err when the policy does not compile. */
int http_policy_wait(struct http_server *srv, int64_t version, int timeout_ms, struct gh_err *err);

/* ---- the console (console.c; the table is generated by cmake/embed_console.cmake) -------- */

/* Every reply's Content-Security-Policy: same-origin scripts, styles and API calls only,
 * images also as data: URLs (the MFA QR code), no plugins, no framing, no <base>. */
#define HTTP_CSP                                                                                   \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"

struct http_console_file {
    const char *path; /* "/index.html", "/assets/index-HASH.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
};
extern const struct http_console_file http_console_files[];
extern const size_t http_console_count;

/* Replies with a console file for a GET outside /api/ (index.html for console routes).
 * 0 when a reply was set; -ENOENT when the path is not the console's. */
struct http_req;
int http_console_reply(struct http_req *r);

/* ---- the request (server.c, reply.c) --------------------------------------------------- */

struct http_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const struct http_route *route; /* NULL until matched */
    size_t route_index;
    char id[20];      /* request id, "r" + counter, echoed as X-Request-Id */
    int64_t start_us; /* monotonic */
    const char *method;
    const char *url;
    char path_buf[1024]; /* scratch for route params */
    struct http_param params[HTTP_MAX_PARAMS];
    int n_params;
    struct identity_caller caller;
    char client_addr[64];   /* the peer's numeric address */
    struct session session; /* CALLER_USER: the session (its CSRF token, its end) */
    /* query arguments (decoded), in order; at most HTTP_MAX_QUERY */
    struct {
        const char *key, *value;
    } query[32];
    int n_query;
    bool query_overflow;

    /* body */
    struct gh_buf body;
    size_t body_max;
    bool body_too_large;
    json_t *json; /* parsed body of HTTP_ROUTE_JSON_BODY routes */
    char audit_outcome[200]; /* how the request ended, for its audit entry ("" none) */

    /* reply */
    struct {
        char name[32];
        char value[1024]; /* a sealed single sign-on cookie is the longest */
    } headers[4];         /* added by http_reply_header() */
    int n_headers;
    unsigned status;
    struct MHD_Response *response; /* set by http_reply_* */
    bool replied;
    bool stream;   /* a long-lived response was queued */
    bool handled;  /* the handler ran (a resumed deferred request comes back) */
    bool deferred; /* handed to the worker pool (http_defer) */
};

/* The calling thread's store (the server's per-thread connection). */
struct store *http_store(struct http_req *r);

/* Path parameter by name, or NULL. */
const char *http_param(struct http_req *r, const char *name);
/* A path id: a positive integer. Replies 404 and returns -ENOENT when it is not one. */
int http_param_id(struct http_req *r, const char *name, int64_t *out);
/* A query argument, or NULL. */
const char *http_query(struct http_req *r, const char *name);
/* Records a query argument (the server does it for each one; -E2BIG past the limit). */
int http_query_add(struct http_req *r, const char *key, const char *value);
/* Typed query arguments: 0 when absent (out untouched), 1 when present and valid, or
 * -EINVAL after replying 400 `bad-request` naming the parameter and what it must be. */
int http_query_int(struct http_req *r, const char *name, int64_t min, int64_t max, int64_t *out);
int http_query_bool(struct http_req *r, const char *name, bool *out);
int http_query_time(struct http_req *r, const char *name, int64_t *out);
int http_query_enum(struct http_req *r, const char *name, const struct model_enum *e, int *out);

/* Replies (each takes ownership of what it is given; status 2xx). */
int http_reply_json(struct http_req *r, unsigned status, json_t *body);
int http_reply_empty(struct http_req *r, unsigned status);
/* An empty reply with Location (any length) and Cache-Control: no-store (303, 302...). */
int http_reply_redirect(struct http_req *r, unsigned status, const char *location);
int http_reply_text(struct http_req *r, unsigned status, const char *content_type, const char *text,
                    size_t len);
/* Queues a prepared MHD response (streams, exports); takes the reference. */
int http_reply_response(struct http_req *r, unsigned status, struct MHD_Response *resp);
/* Adds a header to the reply queued next (Location, Allow ...). Call before http_reply_*. */
void http_reply_header(struct http_req *r, const char *name, const char *value);

/* problem+json: type is a short slug ("validation", "not-found") made into the URI
 * "https://gatehouse.dev/problems/<slug>"; detail is the human sentence. errors (may be
 * NULL, reference taken) is an array of {"field", "detail"}. Returns 0 (a reply was set). */
int http_problem(struct http_req *r, unsigned status, const char *slug, json_t *errors,
                 const char *fmt, ...) GH_PRINTF(5, 6);
/* Maps a negative store/module code to a reply: -ENOENT 404, -EEXIST 409, -EINVAL 422 (or
 * 409 `conflict` when what is still in use), -EBUSY 503, else 500. detail from err. */
int http_problem_from(struct http_req *r, int code, const struct gh_err *err);

/* ---- reading a JSON body (form.c) ------------------------------------------------------ */

/* A form walks r->json, records one error per bad field and remembers which keys were
 * read, so unknown keys can be refused. Getters return true when the field is present and
 * valid (and set *out), false when it is absent (out untouched) or bad (error recorded). */
struct http_form {
    struct http_req *r;
    json_t *obj;
    json_t *errors; /* array of {"field", "detail"} */
    const char *seen[48];
    size_t n_seen;
    bool overflow; /* more fields read than seen[] holds (a handler bug; logged) */
};
void http_form_init(struct http_form *f, struct http_req *r);
bool http_form_string(struct http_form *f, const char *key, bool required, char *dst, size_t len);
/* The raw value of a field the caller checks itself (marked seen); NULL when absent. */
json_t *http_form_json(struct http_form *f, const char *key, bool required);
bool http_form_name(struct http_form *f, const char *key, bool required, char *dst,
                    size_t len); /* model_check_name rules */
bool http_form_int(struct http_form *f, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out);
bool http_form_bool(struct http_form *f, const char *key, bool required, bool *out);
/* A point {"x_m": int, "y_m": int} with each within +-limit, or null (*has = false). */
bool http_form_point(struct http_form *f, const char *key, bool required, int64_t limit,
                     bool *has, int32_t *x, int32_t *y);
/* An ISO-8601 time, or null for "no bound" (*out = null_value). */
bool http_form_time(struct http_form *f, const char *key, bool required, int64_t null_value,
                    int64_t *out);
/* A reference: an id (integer), or a name (string) resolved with find. null clears it to 0
 * when nullable. The detail names what was not found. */
typedef int (*http_find_fn)(struct store *st, const char *name, int64_t *id);
typedef int (*http_exists_fn)(struct store *st, int64_t id);
bool http_form_ref(struct http_form *f, const char *key, bool required, bool nullable,
                   http_find_fn find, http_exists_fn exists, int64_t *out);
/* An enum given by its external name (model.h's tables: &model_enum_door_mode ...). */
bool http_form_enum(struct http_form *f, const char *key, bool required, const struct model_enum *e,
                    int *out);
/* Records an error for a field (for checks across fields). */
void http_form_error(struct http_form *f, const char *field, const char *fmt, ...) GH_PRINTF(3, 4);
/* Ends the form: unknown keys are errors. With errors, replies 422 `validation` and
 * returns -EINVAL (the handler returns 0); else 0. */
int http_form_finish(struct http_form *f);
bool http_form_has(const struct http_form *f, const char *key);

/* ---- transactions (reply.c) ------------------------------------------------------------ */

/* Begins a write transaction on the thread's store; replies 503 on failure. */
int http_write_begin(struct http_req *r);
/* Commits, then pokes the policy thread and the live stream. Replies 500 on failure. */
int http_write_commit(struct http_req *r);
void http_write_rollback(struct http_req *r);
/* Records a sensitive read (the audit log itself, exports, a person's record) in the audit
 * log, in a transaction of its own. 0, or a negative code (nothing was read: refuse). */
int http_audit_read(struct http_req *r);

/* Appends an event in the caller's write transaction (operator actions, revocations);
 * the payload (reference taken) gets the caller's name as "by". */
int http_log_event(struct http_req *r, enum event_type type, int64_t door_id, int64_t person_id,
                   int64_t cred_id, json_t *payload);

/* ---- JSON limits and rendering (json.c) ------------------------------------------------- */

/* Parses a request body as one JSON object: depth <= max_depth, valid UTF-8, no NUL, no
 * duplicate keys. -EINVAL with "line L, column C: what" in err. */
int http_json_parse(const char *data, size_t len, unsigned max_depth, json_t **out,
                    struct gh_err *err);
/* The time as ISO-8601 UTC text, or JSON null for GH_TIME_MIN/GH_TIME_MAX. */
json_t *http_json_time(int64_t t_us);
/* The public representations, shared by handlers and the live stream. */
json_t *http_json_event(const struct event *ev);

/* ---- handlers (src/http/handlers) -------------------------------------------------------------
 */

#define HTTP_HANDLER(name) int name(struct http_req *r)

#endif
