/*
 * test_router.c: the route table (src/http/routes.c) and the router (src/http/router.c):
 * exact paths, "{name}" segments captured into params, unknown paths (-ENOENT), known paths
 * with another method (-EPERM with the Allow list), trailing and doubled slashes, encoded
 * characters (matched as they are: libmicrohttpd decodes the path before the router sees
 * it), too many segments and too long paths; path ids (http_param_id: 404 for anything but
 * a positive integer); and the table itself: every route has a handler, a known permission
 * and a summary, every (method, pattern) pair is unique, no route is shadowed by an earlier
 * one, body flags agree with request schemas, and http_route_get() mirrors the table.
 */
#include "http/http_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* ---- helpers ---------------------------------------------------------------------------- */

struct match {
    int rc;
    char scratch[1024];
    struct http_param params[HTTP_MAX_PARAMS];
    int n_params;
    char allow[128];
};

static int route(struct match *m, const char *method, const char *path)
{
    memset(m, 0, sizeof(*m));
    m->n_params = -1;
    m->rc = http_route_match(method, path, m->scratch, sizeof(m->scratch), m->params, &m->n_params,
                             m->allow, sizeof(m->allow));
    return m->rc;
}

/* The index of the route (method, pattern) in the table, or -1. */
static int route_index(const char *method, const char *pattern)
{
    for (size_t i = 0; i < http_routes_count; i++)
        if (strcmp(http_routes[i].method, method) == 0 &&
            strcmp(http_routes[i].pattern, pattern) == 0)
            return (int)i;
    return -1;
}

/* The value of a captured param named `name`, or NULL. */
static const char *param(const struct match *m, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i].name_len == n && memcmp(m->params[i].name, name, n) == 0)
            return m->params[i].value;
    return NULL;
}

/* A concrete path for a pattern: each "{name}" segment becomes `value`. */
static void concrete(const char *pattern, const char *value, char *out, size_t len)
{
    size_t used = 0;
    const char *p = pattern;
    out[0] = '\0';
    while (*p != '\0') {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            assert_non_null(end);
            assert_int_equal(gh_snprintf(out + used, len - used, "%s", value), 0);
            used += strlen(value);
            p = end + 1;
        } else {
            assert_true(used + 1 < len);
            out[used++] = *p++;
            out[used] = '\0';
        }
    }
}

/* ---- matching ----------------------------------------------------------------------------- */

static void test_exact_paths(void **state)
{
    struct match m;
    (void)state;
    assert_int_equal(route(&m, "GET", "/healthz"), route_index("GET", "/healthz"));
    assert_int_equal(m.n_params, 0);
    assert_int_equal(route(&m, "GET", "/readyz"), route_index("GET", "/readyz"));
    assert_int_equal(route(&m, "GET", "/metrics"), route_index("GET", "/metrics"));
    assert_int_equal(route(&m, "GET", "/api/v1/doors"), route_index("GET", "/api/v1/doors"));
    assert_int_equal(m.n_params, 0);
    assert_int_equal(route(&m, "POST", "/api/v1/doors"), route_index("POST", "/api/v1/doors"));
    /* a literal segment wins over nothing: /events/stream is its own route */
    assert_int_equal(route(&m, "GET", "/api/v1/events/stream"),
                     route_index("GET", "/api/v1/events/stream"));
    assert_int_equal(m.n_params, 0);
    assert_int_equal(route(&m, "POST", "/api/v1/imports/roster"),
                     route_index("POST", "/api/v1/imports/roster"));
    /* the caller's path is left alone (the router splits its own copy) */
    {
        const char path[] = "/api/v1/doors/12";
        assert_true(route(&m, "GET", path) >= 0);
        assert_string_equal(path, "/api/v1/doors/12");
    }
}

static void test_params_captured(void **state)
{
    struct match m;
    (void)state;
    assert_int_equal(route(&m, "GET", "/api/v1/doors/42"),
                     route_index("GET", "/api/v1/doors/{id}"));
    assert_int_equal(m.n_params, 1);
    assert_int_equal(m.params[0].name_len, 2);
    assert_memory_equal(m.params[0].name, "id", 2);
    assert_string_equal(param(&m, "id"), "42");

    assert_int_equal(route(&m, "PUT", "/api/v1/levels/3/doors/17"),
                     route_index("PUT", "/api/v1/levels/{id}/doors/{door_id}"));
    assert_int_equal(m.n_params, 2);
    assert_string_equal(param(&m, "id"), "3");
    assert_string_equal(param(&m, "door_id"), "17");
    assert_null(param(&m, "door"));

    assert_int_equal(route(&m, "DELETE", "/api/v1/calendars/5/holidays/2026-12-25"),
                     route_index("DELETE", "/api/v1/calendars/{id}/holidays/{date}"));
    assert_string_equal(param(&m, "id"), "5");
    assert_string_equal(param(&m, "date"), "2026-12-25");

    assert_int_equal(route(&m, "DELETE", "/api/v1/people/9/levels/2"),
                     route_index("DELETE", "/api/v1/people/{id}/levels/{level_id}"));
    assert_string_equal(param(&m, "id"), "9");
    assert_string_equal(param(&m, "level_id"), "2");

    /* the params point into the scratch copy, not into the pattern or the path */
    assert_true(param(&m, "id") >= m.scratch && param(&m, "id") < m.scratch + sizeof(m.scratch));
}

static void test_param_takes_any_segment(void **state)
{
    struct match m;
    (void)state;
    /* the router does not check what a param holds: that is the handler's job */
    assert_int_equal(route(&m, "GET", "/api/v1/doors/front-door"),
                     route_index("GET", "/api/v1/doors/{id}"));
    assert_string_equal(param(&m, "id"), "front-door");
    assert_int_equal(route(&m, "GET", "/api/v1/doors/-1"),
                     route_index("GET", "/api/v1/doors/{id}"));
    assert_string_equal(param(&m, "id"), "-1");
    /* encoded characters are not decoded here (libmicrohttpd decodes the path first) */
    assert_int_equal(route(&m, "GET", "/api/v1/doors/%31"),
                     route_index("GET", "/api/v1/doors/{id}"));
    assert_string_equal(param(&m, "id"), "%31");
    assert_int_equal(route(&m, "GET", "/api/v1/doors/a%2Fb"),
                     route_index("GET", "/api/v1/doors/{id}"));
    assert_string_equal(param(&m, "id"), "a%2Fb");
    /* an encoded literal segment is not the literal */
    assert_int_equal(route(&m, "GET", "/api/v1/d%6Fors"), -ENOENT);
}

static void test_unknown_paths(void **state)
{
    struct match m;
    (void)state;
    assert_int_equal(route(&m, "GET", "/"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/nope"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/api/v1"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/api/v1/door"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/api/v2/doors"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/API/V1/DOORS"), -ENOENT); /* case-sensitive */
    assert_int_equal(route(&m, "GET", "/api/v1/doors/1/extra"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/healthz/1"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/api/v1/levels/1/doors/2/3"), -ENOENT);
    /* not absolute, empty */
    assert_int_equal(route(&m, "GET", "healthz"), -ENOENT);
    assert_int_equal(route(&m, "GET", ""), -ENOENT);
    /* a query string is not part of the path (the server gets it separately) */
    assert_int_equal(route(&m, "GET", "/healthz?x=1"), -ENOENT);
    /* nothing is reported on a miss */
    assert_int_equal(m.n_params, -1);
    assert_string_equal(m.allow, "");
}

static void test_method_not_allowed(void **state)
{
    struct match m;
    (void)state;
    assert_int_equal(route(&m, "DELETE", "/api/v1/doors"), -EPERM);
    assert_string_equal(m.allow, "GET, HEAD, POST");
    assert_int_equal(m.n_params, -1);

    assert_int_equal(route(&m, "POST", "/api/v1/doors/4"), -EPERM);
    assert_string_equal(m.allow, "GET, HEAD, PATCH, DELETE");

    assert_int_equal(route(&m, "POST", "/healthz"), -EPERM);
    assert_string_equal(m.allow, "GET, HEAD");

    assert_int_equal(route(&m, "GET", "/api/v1/levels/1/doors/2"), -EPERM);
    assert_string_equal(m.allow, "PUT, DELETE");

    assert_int_equal(route(&m, "GET", "/api/v1/decisions"), -EPERM);
    assert_string_equal(m.allow, "POST");

    /* methods are case-sensitive (RFC 9110 9.1) */
    assert_int_equal(route(&m, "get", "/healthz"), -EPERM);
    assert_string_equal(m.allow, "GET, HEAD");
    /* HEAD goes with a GET route (answered without the body), not with a stream */
    assert_true(route(&m, "HEAD", "/healthz") >= 0);
    assert_true(route(&m, "HEAD", "/api/v1/doors/4") >= 0);
    assert_int_equal(route(&m, "HEAD", "/api/v1/events/stream"), -EPERM);
    assert_string_equal(m.allow, "GET");
    assert_int_equal(route(&m, "HEAD", "/api/v1/decisions"), -EPERM);
    assert_int_equal(route(&m, "OPTIONS", "/api/v1/sites"), -EPERM);
    assert_string_equal(m.allow, "GET, HEAD, POST");
    /* an unknown path with an unknown method is still a 404, not a 405 */
    assert_int_equal(route(&m, "BREW", "/coffee"), -ENOENT);
}

static bool method_known(const char *m);

/* Whether every ", "-separated word of allow is a whole method name. */
static bool allow_whole_names(const char *allow)
{
    char copy[64];
    char *p = copy;
    gh_strlcpy(copy, allow, sizeof(copy));
    while (p != NULL && *p != '\0') {
        char *sep = strstr(p, ", ");
        if (sep != NULL)
            *sep = '\0';
        if (!method_known(p))
            return false;
        p = sep ? sep + 2 : NULL;
    }
    return true;
}

static void test_allow_buffer_limits(void **state)
{
    char scratch[256], allow[8];
    struct http_param params[HTTP_MAX_PARAMS];
    int n = -1;
    (void)state;
    /* no Allow buffer at all: the code alone */
    assert_int_equal(
        http_route_match("POST", "/api/v1/doors/1", scratch, sizeof(scratch), params, &n, NULL, 0),
        -EPERM);
    /* a short one: always a terminated string that starts with the first method */
    memset(allow, 'x', sizeof(allow));
    assert_int_equal(http_route_match("POST", "/api/v1/doors/1", scratch, sizeof(scratch), params,
                                      &n, allow, sizeof(allow)),
                     -EPERM);
    assert_non_null(memchr(allow, '\0', sizeof(allow)));
    assert_int_equal(strncmp(allow, "GET", 3), 0);
    if (!allow_whole_names(allow)) {
        /* Was a bug (src/http/router.c, http_route_match), now fixed: a method that does not fit is
         * still written, truncated (gh_snprintf writes what fits), and the next one overwrites it
         * at the same place: "GET, DE". Latent: the server's buffer holds 128 bytes. */
        print_message("regression: Allow list in 8 bytes is '%s'\n", allow);
        fail_msg("regression: see the comment above");
    }
}

static void test_slashes(void **state)
{
    struct match m;
    (void)state;
    /* one trailing slash is ignored */
    assert_int_equal(route(&m, "GET", "/api/v1/doors/"), route_index("GET", "/api/v1/doors"));
    assert_int_equal(route(&m, "GET", "/api/v1/doors/7/"),
                     route_index("GET", "/api/v1/doors/{id}"));
    assert_string_equal(param(&m, "id"), "7");
    assert_int_equal(route(&m, "GET", "/healthz/"), route_index("GET", "/healthz"));
    /* an empty segment anywhere is not a path of the API */
    assert_int_equal(route(&m, "GET", "//healthz"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/api//v1/doors"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/api/v1/doors//7"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/api/v1/doors//"), -ENOENT);
    assert_int_equal(route(&m, "GET", "/healthz//"), -ENOENT);
    assert_int_equal(route(&m, "GET", "//"), -ENOENT);
    /* and so no empty param is ever captured */
    assert_int_equal(route(&m, "GET", "/api/v1/levels//doors"), -ENOENT);
}

static void test_path_limits(void **state)
{
    struct match m;
    char path[2048], small[16];
    struct http_param params[HTTP_MAX_PARAMS];
    int n = -1;
    size_t used = 0;
    (void)state;
    /* more segments than HTTP_MAX_SEGMENTS */
    for (int i = 0; i < HTTP_MAX_SEGMENTS + 1; i++) {
        assert_int_equal(gh_snprintf(path + used, sizeof(path) - used, "/s%d", i), 0);
        used += strlen(path + used);
    }
    assert_int_equal(route(&m, "GET", path), -ENOENT);
    /* a path longer than the scratch copy is not found (never truncated into a match) */
    assert_int_equal(
        http_route_match("GET", "/api/v1/doors/12345", small, sizeof(small), params, &n, NULL, 0),
        -ENOENT);
    assert_int_equal(http_route_match("GET", "/healthz", small, sizeof(small), params, &n, NULL, 0),
                     route_index("GET", "/healthz"));
    /* a very long id segment still fits in the server's 1 KiB scratch */
    memset(path, 0, sizeof(path));
    memcpy(path, "/api/v1/doors/", 14);
    memset(path + 14, '9', 900);
    assert_int_equal(route(&m, "GET", path), route_index("GET", "/api/v1/doors/{id}"));
    assert_int_equal(strlen(param(&m, "id")), 900);
    memset(path + 14, '9', 1100);
    assert_int_equal(route(&m, "GET", path), -ENOENT);
}

/* ---- path ids (reply.c) ---------------------------------------------------------------- */

static void param_id_case(const char *path, int want_rc, int64_t want_id)
{
    struct http_req r;
    int64_t id = -12345;
    memset(&r, 0, sizeof(r));
    gh_strlcpy(r.id, "r1", sizeof(r.id));
    r.method = "GET";
    r.url = path;
    assert_true(http_route_match("GET", path, r.path_buf, sizeof(r.path_buf), r.params, &r.n_params,
                                 NULL, 0) >= 0);
    assert_int_equal(http_param_id(&r, "id", &id), want_rc);
    if (want_rc == 0) {
        assert_int_equal(id, want_id);
        assert_false(r.replied);
        assert_null(r.response);
    } else {
        const char *ct;
        assert_int_equal(id, -12345); /* untouched */
        assert_true(r.replied);
        assert_int_equal(r.status, 404);
        assert_non_null(r.response);
        ct = MHD_get_response_header(r.response, MHD_HTTP_HEADER_CONTENT_TYPE);
        assert_non_null(ct);
        assert_string_equal(ct, "application/problem+json");
        MHD_destroy_response(r.response);
    }
}

static void test_param_id(void **state)
{
    struct http_req r;
    int64_t id = 5;
    (void)state;
    param_id_case("/api/v1/doors/1", 0, 1);
    param_id_case("/api/v1/doors/9223372036854775807", 0, INT64_MAX);
    param_id_case("/api/v1/doors/0", -ENOENT, 0);
    param_id_case("/api/v1/doors/-3", -ENOENT, 0);
    param_id_case("/api/v1/doors/9223372036854775808", -ENOENT, 0);
    param_id_case("/api/v1/doors/abc", -ENOENT, 0);
    param_id_case("/api/v1/doors/12abc", -ENOENT, 0);
    /* one spelling per id: no sign, no leading zero */
    param_id_case("/api/v1/doors/+12", -ENOENT, 0);
    param_id_case("/api/v1/doors/012", -ENOENT, 0);
    param_id_case("/api/v1/doors/ 12", -ENOENT, 0);
    param_id_case("/api/v1/doors/%31", -ENOENT, 0);
    param_id_case("/api/v1/doors/1.0", -ENOENT, 0);
    param_id_case("/api/v1/doors/0x10", -ENOENT, 0);

    /* a param the route does not have */
    memset(&r, 0, sizeof(r));
    assert_true(http_route_match("GET", "/api/v1/doors/3", r.path_buf, sizeof(r.path_buf), r.params,
                                 &r.n_params, NULL, 0) >= 0);
    assert_null(http_param(&r, "door_id"));
    assert_null(http_param(&r, "i"));
    assert_null(http_param(&r, "idx"));
    assert_string_equal(http_param(&r, "id"), "3");
    assert_int_equal(http_param_id(&r, "door_id", &id), -ENOENT);
    assert_int_equal(id, 5);
    assert_int_equal(r.status, 404);
    MHD_destroy_response(r.response);
}

/* ---- the table ------------------------------------------------------------------------------ */

static bool method_known(const char *m)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < GH_ARRAY_LEN(methods); i++)
        if (strcmp(m, methods[i]) == 0)
            return true;
    return false;
}

static void test_table_well_formed(void **state)
{
    (void)state;
    assert_true(http_routes_count > 0);
    for (size_t i = 0; i < http_routes_count; i++) {
        const struct http_route *rt = &http_routes[i];
        enum perm p;
        print_message("route %zu: %s %s\n", i, rt->method, rt->pattern);
        assert_true(method_known(rt->method));
        assert_non_null(rt->handler);
        assert_true(rt->pattern[0] == '/');
        assert_null(strstr(rt->pattern, "//"));
        assert_true(strlen(rt->pattern) == 1 || rt->pattern[strlen(rt->pattern) - 1] != '/');
        assert_non_null(rt->summary);
        assert_true(rt->summary[0] != '\0');
        /* a permission from the table (not past PERM_COUNT) */
        assert_true((unsigned)rt->perm < PERM_COUNT);
        assert_string_not_equal(perm_name(rt->perm), "?");
        /* only the probes and sign-in are open; everything else under /api needs a caller */
        if (strncmp(rt->pattern, "/api/", 5) == 0) {
            static const char *const open[] = {"/api/v1/auth/login", "/api/v1/setup",
                                               "/api/v1/auth/methods", "/api/v1/auth/oidc/start",
                                               "/api/v1/auth/oidc/callback"};
            bool listed = false;
            for (size_t k = 0; k < sizeof(open) / sizeof(open[0]); k++)
                listed = listed || strcmp(rt->pattern, open[k]) == 0;
            assert_true(rt->perm != PERM_NONE || listed);
        } else {
            /* outside /api: the probes, and a controller's enrollment (its token is the
             * credential); the rest of /edge/v1 is signed by a controller */
            assert_true(strcmp(rt->pattern, "/healthz") == 0 ||
                        strcmp(rt->pattern, "/readyz") == 0 ||
                        strcmp(rt->pattern, "/edge/v1/enroll") == 0 || rt->perm != PERM_NONE);
            if (strncmp(rt->pattern, "/edge/", 6) == 0)
                assert_true(rt->perm == PERM_CONTROLLER ||
                            strcmp(rt->pattern, "/edge/v1/enroll") == 0);
        }
        /* grantable permissions parse back to themselves */
        if (rt->perm >= PERM_FIRST) {
            assert_int_equal(perm_parse(perm_name(rt->perm), &p), 0);
            assert_int_equal(p, rt->perm);
        }
        /* a change never needs only a read permission (signing in and out change only the
         * caller's own session; a controller's requests are its own, checked by signature) */
        if (strcmp(rt->method, "GET") != 0 && strncmp(rt->pattern, "/api/v1/auth/", 13) != 0 &&
            strncmp(rt->pattern, "/edge/", 6) != 0 &&
            strcmp(rt->pattern, "/api/v1/setup") != 0 &&
            strncmp(rt->pattern, "/api/v1/tokens", 14) != 0) {
            const char *name = perm_name(rt->perm);
            size_t n = strlen(name);
            assert_true(rt->perm >= PERM_FIRST);
            assert_false(n > 5 && strcmp(name + n - 5, ".read") == 0);
        }
        /* JSON-body routes name their schema; nothing else does */
        if (rt->flags & HTTP_ROUTE_JSON_BODY)
            assert_non_null(rt->request);
        else
            assert_null(rt->request);
        /* one kind of body at most, and bodies only where a method has one */
        assert_false((rt->flags & HTTP_ROUTE_JSON_BODY) && (rt->flags & HTTP_ROUTE_CSV_BODY));
        if (strcmp(rt->method, "GET") == 0 || strcmp(rt->method, "DELETE") == 0)
            assert_int_equal(rt->flags & (HTTP_ROUTE_JSON_BODY | HTTP_ROUTE_CSV_BODY), 0);
        /* streams are read-only, but for the controllers' long poll (a signed POST, kept
         * out of the latency histogram like the streams) */
        if ((rt->flags & HTTP_ROUTE_STREAM) && strcmp(rt->pattern, "/edge/v1/commands") != 0)
            assert_string_equal(rt->method, "GET");
        /* params are non-empty names, at most HTTP_MAX_PARAMS */
        {
            int params = 0;
            for (const char *s = strchr(rt->pattern, '{'); s != NULL; s = strchr(s + 1, '{')) {
                const char *e = strchr(s, '}');
                assert_non_null(e);
                assert_true(e > s + 1);
                assert_true(s[-1] == '/');
                assert_true(e[1] == '/' || e[1] == '\0');
                params++;
            }
            assert_true(params <= HTTP_MAX_PARAMS);
        }
    }
}

static void test_table_unique(void **state)
{
    (void)state;
    for (size_t i = 0; i < http_routes_count; i++) {
        for (size_t j = i + 1; j < http_routes_count; j++) {
            if (strcmp(http_routes[i].method, http_routes[j].method) == 0 &&
                strcmp(http_routes[i].pattern, http_routes[j].pattern) == 0)
                fail_msg("route %zu and %zu are both %s %s", i, j, http_routes[i].method,
                         http_routes[i].pattern);
            /* the same handler twice would mean a copy-and-paste slip */
            assert_true(http_routes[i].handler != http_routes[j].handler);
        }
    }
}

static void test_table_every_route_reachable(void **state)
{
    (void)state;
    /* each route is found by its own method and a concrete path: none is shadowed */
    for (size_t i = 0; i < http_routes_count; i++) {
        const struct http_route *rt = &http_routes[i];
        char path[512];
        struct match m;
        int params = 0;
        concrete(rt->pattern, "7", path, sizeof(path));
        if (route(&m, rt->method, path) != (int)i)
            fail_msg("%s %s (as %s) found route %d, not %zu", rt->method, rt->pattern, path, m.rc,
                     i);
        for (const char *s = strchr(rt->pattern, '{'); s != NULL; s = strchr(s + 1, '{'))
            params++;
        assert_int_equal(m.n_params, params);
        for (int k = 0; k < m.n_params; k++)
            assert_string_equal(m.params[k].value, "7");
        /* and an unlikely method on it is a 405 listing this route's method */
        assert_int_equal(route(&m, "TRACE", path), -EPERM);
        assert_non_null(strstr(m.allow, rt->method));
    }
}

static void test_route_info(void **state)
{
    (void)state;
    assert_int_equal(http_route_count(), http_routes_count);
    for (size_t i = 0; i < http_route_count(); i++) {
        struct http_route_info info;
        memset(&info, 0, sizeof(info));
        http_route_get(i, &info);
        assert_ptr_equal(info.method, http_routes[i].method);
        assert_ptr_equal(info.pattern, http_routes[i].pattern);
        assert_string_equal(info.perm, perm_name(http_routes[i].perm));
        assert_ptr_equal(info.request, http_routes[i].request);
        assert_ptr_equal(info.response, http_routes[i].response);
        assert_ptr_equal(info.summary, http_routes[i].summary);
    }
    {
        struct http_route_info info;
        http_route_get((size_t)route_index("GET", "/healthz"), &info);
        assert_string_equal(info.perm, "none");
        http_route_get((size_t)route_index("GET", "/api/v1/whoami"), &info);
        assert_string_equal(info.perm, "authenticated");
        http_route_get((size_t)route_index("POST", "/api/v1/doors"), &info);
        assert_string_equal(info.perm, "doors.write");
        assert_string_equal(info.request, "DoorCreate");
        assert_string_equal(info.response, "Door");
        http_route_get((size_t)route_index("GET", "/api/v1/events/stream"), &info);
        assert_string_equal(info.perm, "events.read");
        assert_null(info.request);
        assert_null(info.response);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_paths),
        cmocka_unit_test(test_params_captured),
        cmocka_unit_test(test_param_takes_any_segment),
        cmocka_unit_test(test_unknown_paths),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_allow_buffer_limits),
        cmocka_unit_test(test_slashes),
        cmocka_unit_test(test_path_limits),
        cmocka_unit_test(test_param_id),
        cmocka_unit_test(test_table_well_formed),
        cmocka_unit_test(test_table_unique),
        cmocka_unit_test(test_table_every_route_reachable),
        cmocka_unit_test(test_route_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
