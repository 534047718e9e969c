/*
 * reply.c: what handlers call to read a request's path and query and to answer it: JSON
 * replies, problem+json errors (RFC 9457) with stable type URIs, the mapping of store
 * error codes to statuses, and write transactions that tell the policy thread and the
 * live stream about what they committed.
 */
#include "http/http_int.h"

#include "audit/audit.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBLEM_BASE "https://gatehouse.dev/problems/"

struct store *http_store(struct http_req *r)
{
    return http_thread_store(r->srv);
}

const char *http_param(struct http_req *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->n_params; i++)
        if (r->params[i].name_len == n && memcmp(r->params[i].name, name, n) == 0)
            return r->params[i].value;
    return NULL;
}

int http_param_id(struct http_req *r, const char *name, int64_t *out)
{
    const char *v = http_param(r, name);
    /* one spelling per id: digits only, no sign, no leading zero */
    if (v == NULL || v[0] < '1' || v[0] > '9' || strspn(v, "0123456789") != strlen(v) ||
        gh_parse_i64(v, 1, INT64_MAX, out) < 0) {
        http_problem(r, 404, "not-found", NULL, "'%s' is not an id (a positive integer)",
                     v ? v : "");
        return -ENOENT;
    }
    return 0;
}

const char *http_query(struct http_req *r, const char *name)
{
    for (int i = 0; i < r->n_query; i++)
        if (strcmp(r->query[i].key, name) == 0)
            return r->query[i].value ? r->query[i].value : "";
    return NULL;
}

int http_query_add(struct http_req *r, const char *key, const char *value)
{
    if (r->n_query == (int)GH_ARRAY_LEN(r->query))
        return -E2BIG;
    r->query[r->n_query].key = key;
    r->query[r->n_query].value = value;
    r->n_query++;
    return 0;
}

static int bad_query(struct http_req *r, const char *name, const char *what)
{
    char n[128], w[256]; /* both may quote the request, cut anywhere */
    gh_strlcpy(n, name, sizeof(n));
    gh_strlcpy(w, what, sizeof(w));
    gh_utf8_mend(n);
    gh_utf8_mend(w);
    http_problem(r, 400, "bad-request", json_pack("[{s:s, s:s}]", "field", n, "detail", w),
                 "query parameter '%s' %s", n, w);
    return -EINVAL;
}

int http_query_int(struct http_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
    const char *v = http_query(r, name);
    char what[96];
    if (v == NULL)
        return 0;
    if (gh_parse_i64(v, min, max, out) < 0) {
        snprintf(what, sizeof(what), "must be a whole number from %lld to %lld", (long long)min,
                 (long long)max);
        return bad_query(r, name, what);
    }
    return 1;
}

int http_query_bool(struct http_req *r, const char *name, bool *out)
{
    const char *v = http_query(r, name);
    if (v == NULL)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || *v == '\0')
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return bad_query(r, name, "must be true or false");
    return 1;
}

int http_query_time(struct http_req *r, const char *name, int64_t *out)
{
    const char *v = http_query(r, name);
    struct gh_err err = {{0}};
    if (v == NULL)
        return 0;
    if (gh_parse_time(v, NULL, out, &err) < 0)
        return bad_query(r, name, "must be an ISO-8601 time such as 2026-11-23T08:00:00Z");
    return 1;
}

int http_query_enum(struct http_req *r, const char *name, const struct model_enum *e, int *out)
{
    const char *v = http_query(r, name);
    struct gh_err err = {{0}};
    if (v == NULL)
        return 0;
    if (model_enum_parse(e, v, out, &err) < 0)
        return bad_query(r, name, err.msg);
    return 1;
}

void http_reply_header(struct http_req *r, const char *name, const char *value)
{
    if (r->n_headers >= (int)GH_ARRAY_LEN(r->headers)) {
        log_error("too many reply headers (dropping %s)", name);
        return;
    }
    if (strlen(name) >= sizeof(r->headers[0].name) ||
        strlen(value) >= sizeof(r->headers[0].value)) {
        log_error("reply header %s is too long (dropped, not cut)", name);
        return;
    }
    gh_strlcpy(r->headers[r->n_headers].name, name, sizeof(r->headers[0].name));
    gh_strlcpy(r->headers[r->n_headers].value, value, sizeof(r->headers[0].value));
    r->n_headers++;
}

int http_reply_response(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
    if (resp == NULL)
        return -ENOMEM;
    if (r->response != NULL)
        MHD_destroy_response(r->response);
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    r->n_headers = 0;
    r->response = resp;
    r->status = status;
    r->replied = true;
    return 0;
}

static int reply_buffer(struct http_req *r, unsigned status, const char *ctype, char *text,
                        size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return -ENOMEM;
    }
    if (ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    return http_reply_response(r, status, resp);
}

static int reply_json_type(struct http_req *r, unsigned status, json_t *body, const char *ctype)
{
    char *text;
    if (body == NULL)
        return -ENOMEM;
    text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(body);
    if (text == NULL)
        return -ENOMEM;
    return reply_buffer(r, status, ctype, text, strlen(text));
}

int http_reply_json(struct http_req *r, unsigned status, json_t *body)
{
    return reply_json_type(r, status, body, "application/json");
}

int http_reply_empty(struct http_req *r, unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    return http_reply_response(r, status, resp);
}

int http_reply_redirect(struct http_req *r, unsigned status, const char *location)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (resp != NULL &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location) != MHD_YES) {
        MHD_destroy_response(resp);
        resp = NULL;
    }
    http_reply_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return http_reply_response(r, status, resp);
}

int http_reply_text(struct http_req *r, unsigned status, const char *content_type, const char *text,
                    size_t len)
{
    char *copy = xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    return reply_buffer(r, status, content_type, copy, len);
}

static const char *status_title(unsigned status)
{
    switch (status) {
    case 400:
        return "Bad request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not found";
    case 405:
        return "Method not allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Content too large";
    case 415:
        return "Unsupported media type";
    case 422:
        return "Unprocessable content";
    case 429:
        return "Too many requests";
    case 503:
        return "Service unavailable";
    default:
        return status >= 500 ? "Internal server error" : "Error";
    }
}

int http_problem(struct http_req *r, unsigned status, const char *slug, json_t *errors,
                 const char *fmt, ...)
{
    char detail[1024], type[128];
    va_list ap;
    json_t *body;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    gh_utf8_mend(detail); /* details quote input, and truncation may split a character */
    snprintf(type, sizeof(type), PROBLEM_BASE "%s", slug);
    body = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", status_title(status),
                     "status", (int)status, "detail", detail, "instance", r->id);
    if (body != NULL && errors != NULL)
        json_object_set(body, "errors", errors);
    json_decref(errors);
    if (reply_json_type(r, status, body, "application/problem+json") < 0)
        return -ENOMEM;
    return 0;
}

int http_problem_from(struct http_req *r, int code, const struct gh_err *err)
{
    const char *msg = err && err->msg[0] ? err->msg : gh_strerror(code);
    switch (code) {
    case -ENOENT:
        return http_problem(r, 404, "not-found", NULL, "%s", msg);
    case -EEXIST:
        return http_problem(r, 409, "conflict", NULL, "%s", msg);
    case -EINVAL:
        /* store_delete says "... still refers to it" for rows in use */
        if (strstr(msg, "refer") != NULL || strstr(msg, "in use") != NULL)
            return http_problem(r, 409, "conflict", NULL, "%s", msg);
        return http_problem(r, 422, "validation", NULL, "%s", msg);
    case -EBUSY:
    case -EAGAIN:
        http_reply_header(r, "Retry-After", "1");
        return http_problem(r, 503, "busy", NULL, "%s", msg);
    default:
        log_error("%s %s: %s (%s)", r->method, r->url, msg, gh_strerror(code));
        return http_problem(r, 500, "internal", NULL,
                            "the server failed to complete the request (see its log, request "
                            "%s)",
                            r->id);
    }
}

/* ---- write transactions ---------------------------------------------------------------- */

int http_write_begin(struct http_req *r)
{
    struct store *st = http_store(r);
    if (st == NULL || store_begin_write(st) < 0) {
        http_reply_header(r, "Retry-After", "1");
        http_problem(r, 503, "busy", NULL, "the database is busy: %s",
                     st ? store_errmsg(st) : "no connection");
        return -EBUSY;
    }
    return 0;
}

/* Request fields never written to the audit log (their presence is). */
static const char *const secret_fields[] = {"password", "current_password", "new_password", "pin",
                                            "secret",   "client_secret",    "token",        "code",
                                            "totp_code"};

static void hide_secrets(json_t *v)
{
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, x)
        {
            bool secret = false;
            for (size_t k = 0; k < GH_ARRAY_LEN(secret_fields); k++)
                secret |= strcmp(key, secret_fields[k]) == 0;
            if (secret)
                json_object_set_new(v, key, json_string("(not recorded)"));
            else
                hide_secrets(x);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            hide_secrets(x);
        }
    }
}

static const char *auth_name(enum caller_kind k)
{
    switch (k) {
    case CALLER_TOKEN:
        return "token";
    case CALLER_USER:
        return "session";
    case CALLER_LOCAL:
        return "local";
    default:
        return "none";
    }
}

/* The audit log's entry for the change this request commits, in its transaction: who (and
 * their roles), how they authenticated, from where, the request id, the route and the
 * object, and what was asked (the body, secrets left out; a non-JSON body by its size and
 * SHA-256). Controllers' own requests are device traffic, recorded as events instead. */
static int audit_change(struct http_req *r, struct store *st)
{
    char action[160];
    json_t *e;
    uint64_t idx;
    struct gh_err err = {{0}};
    int rc;

    if (r->route == NULL || r->route->perm == PERM_CONTROLLER)
        return 0;
    gh_snprintf(action, sizeof(action), "%s %s", r->method, r->route->pattern);
    e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "who",
                  r->caller.kind == CALLER_ANONYMOUS ? "anonymous" : r->caller.name, "auth",
                  auth_name(r->caller.kind), "address", r->client_addr, "request", r->id, "action",
                  action, "object", r->url);
    if (e != NULL && r->caller.kind == CALLER_USER) {
        struct user u;
        if (store_user_get(st, r->caller.id, &u) == 0)
            json_object_set_new(e, "roles", json_string(u.roles));
    }
    if (e != NULL && r->json != NULL) {
        json_t *body = json_deep_copy(r->json);
        hide_secrets(body);
        json_object_set_new(e, "request_body", body);
    } else if (e != NULL && r->body.len > 0) {
        uint8_t h[32];
        char hex[65];
        crypto_hash_sha256(h, (const uint8_t *)r->body.data, r->body.len);
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        json_object_set_new(
            e, "request_body",
            json_pack("{s:I, s:s}", "bytes", (json_int_t)r->body.len, "sha256", hex));
    }
    if (e != NULL && r->audit_outcome[0] != '\0')
        json_object_set_new(e, "outcome", json_string(r->audit_outcome));
    rc = audit_record(st, e, gh_now_us(), &idx, &err);
    if (rc < 0)
        log_error("request %s: %s", r->id, err.msg);
    return rc;
}

int http_audit_read(struct http_req *r)
{
    struct store *st = http_store(r);
    int rc;
    if (st == NULL || store_begin_write(st) < 0)
        return -EBUSY;
    if ((rc = audit_change(r, st)) < 0 || (rc = store_commit(st)) < 0) {
        store_rollback(st);
        return rc < 0 ? rc : -EIO;
    }
    return 0;
}

int http_write_commit(struct http_req *r)
{
    struct store *st = http_store(r);
    /* no change without its audit entry: both or neither */
    if (audit_change(r, st) < 0) {
        store_rollback(st);
        http_problem(r, 500, "internal", NULL,
                     "the change could not be recorded in the audit log (request %s)", r->id);
        return -EIO;
    }
    if (store_commit(st) < 0) {
        log_error("commit failed: %s", store_errmsg(st));
        store_rollback(st);
        http_problem(r, 500, "internal", NULL, "the change could not be committed (request %s)",
                     r->id);
        return -EIO;
    }
    /* a change by a signed-in caller may revoke a token or change what its owner holds;
     * sign-in attempts (open routes) do not empty the token caches */
    if (r->route->perm != PERM_NONE)
        atomic_fetch_add(&r->srv->write_gen, 1);
    http_policy_poke(r->srv);
    http_stream_notify(r->srv->hub, store_event_last_offset(st));
    incident_runner_wake(r->srv->runner);
    return 0;
}

void http_write_rollback(struct http_req *r)
{
    struct store *st = http_store(r);
    if (st && store_in_transaction(st))
        store_rollback(st);
}

int http_log_event(struct http_req *r, enum event_type type, int64_t door_id, int64_t person_id,
                   int64_t cred_id, json_t *payload)
{
    struct event ev;
    int rc;
    if (payload != NULL)
        json_object_set_new(payload, "by", json_string(r->caller.name));
    rc = event_make(&ev, type, door_id, person_id, cred_id, payload);
    if (rc < 0)
        return rc;
    return store_event_append(http_store(r), &ev) < 0 ? -EIO : 0;
}
