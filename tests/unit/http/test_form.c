/*
 * test_form.c: the input helpers handlers use (src/http/reply.c and src/http/form.c). Query
 * arguments: http_query_add's limit, http_query lookups (first of a repeated key, a key
 * without a value), and the typed readers http_query_int/bool/time/enum (absent: 0 and out
 * untouched; valid: 1; bad: -EINVAL after a 400 `bad-request` naming the parameter). Forms
 * over a JSON body: required fields missing, wrong types, out of range, a body that is not
 * there, errors recorded by the handler for checks across fields, every error collected into
 * one 422 `validation` reply, unknown keys, http_form_has, and references (http_form_ref) by
 * id or by name against a real store: not found, not positive, null when (not) nullable,
 * lookups that fail.
 */
#include "http/handlers/shared.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support.h"
#include "reply_capture.h"

/* ---- query arguments ----------------------------------------------------------------------- */

static void test_query_add_and_lookup(void **state)
{
    struct http_req r;
    char keys[40][8];
    (void)state;
    req_init(&r, "GET", "/api/v1/events");
    assert_null(http_query(&r, "limit"));
    assert_int_equal(http_query_add(&r, "limit", "10"), 0);
    assert_int_equal(http_query_add(&r, "flag", NULL), 0); /* "?flag" */
    assert_int_equal(http_query_add(&r, "limit", "20"), 0);
    assert_string_equal(http_query(&r, "limit"), "10"); /* the first one counts */
    assert_string_equal(http_query(&r, "flag"), "");
    assert_null(http_query(&r, "Limit")); /* names are case-sensitive */
    assert_null(http_query(&r, "lim"));
    assert_int_equal(r.n_query, 3);

    /* at most GH_ARRAY_LEN(r.query); past that -E2BIG and nothing is recorded */
    for (int i = 3; i < (int)GH_ARRAY_LEN(r.query); i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        assert_int_equal(http_query_add(&r, keys[i], "v"), 0);
    }
    assert_int_equal(r.n_query, (int)GH_ARRAY_LEN(r.query));
    assert_int_equal(http_query_add(&r, "one-more", "v"), -E2BIG);
    assert_int_equal(r.n_query, (int)GH_ARRAY_LEN(r.query));
    assert_null(http_query(&r, "one-more"));
    assert_string_equal(http_query(&r, "k31"), "v");
    assert_false(r.replied);
    req_free(&r);
}

static void test_query_int(void **state)
{
    static const struct {
        const char *value;
        int rc;
        int64_t out;
    } cases[] = {
        {"1", 1, 1},
        {"1000", 1, 1000},
        {"0", -EINVAL, 0},
        {"1001", -EINVAL, 0},
        {"-5", -EINVAL, 0},
        {"abc", -EINVAL, 0},
        {"10x", -EINVAL, 0},
        {"", -EINVAL, 0},
        {" 5", -EINVAL, 0},
        {"5 ", -EINVAL, 0},
        {"1e3", -EINVAL, 0},
        {"0x10", -EINVAL, 0},
        {"99999999999999999999", -EINVAL, 0},
    };
    struct http_req r;
    int64_t out = 42;
    (void)state;
    /* absent: 0, untouched, no reply */
    req_init(&r, "GET", "/api/v1/doors");
    assert_int_equal(http_query_int(&r, "limit", 1, 1000, &out), 0);
    assert_int_equal(out, 42);
    assert_false(r.replied);
    for (size_t i = 0; i < GH_ARRAY_LEN(cases); i++) {
        req_init(&r, "GET", "/api/v1/doors");
        out = 42;
        print_message("limit=%s\n", cases[i].value);
        assert_int_equal(http_query_add(&r, "limit", cases[i].value), 0);
        assert_int_equal(http_query_int(&r, "limit", 1, 1000, &out), cases[i].rc);
        if (cases[i].rc == 1) {
            assert_int_equal(out, cases[i].out);
            assert_false(r.replied);
        } else {
            json_t *errors =
                take_problem(&r, 400, "bad-request",
                             "query parameter 'limit' must be a whole number from 1 to 1000");
            assert_int_equal(out, 42);
            assert_int_equal(json_array_size(errors), 1);
            assert_string_equal(error_for(errors, "limit"),
                                "must be a whole number from 1 to 1000");
            json_decref(errors);
        }
        req_free(&r);
    }
    /* the full int64 range */
    req_init(&r, "GET", "/api/v1/events");
    http_query_add(&r, "cursor", "9223372036854775807");
    assert_int_equal(http_query_int(&r, "cursor", 0, INT64_MAX, &out), 1);
    assert_int_equal(out, INT64_MAX);
    req_free(&r);
}

static void test_query_bool(void **state)
{
    static const struct {
        const char *value; /* NULL: "?flag" */
        int rc;
        bool out;
    } cases[] = {
        {"true", 1, true},
        {"1", 1, true},
        {"", 1, true},
        {NULL, 1, true},
        {"false", 1, false},
        {"0", 1, false},
        {"yes", -EINVAL, false},
        {"TRUE", -EINVAL, false},
        {"no", -EINVAL, false},
        {"2", -EINVAL, false},
        {"true ", -EINVAL, false},
    };
    struct http_req r;
    (void)state;
    for (size_t i = 0; i < GH_ARRAY_LEN(cases); i++) {
        bool a = false, b = true;
        req_init(&r, "GET", "/api/v1/people");
        print_message("include_inactive=%s\n", cases[i].value ? cases[i].value : "(none)");
        assert_int_equal(http_query_add(&r, "include_inactive", cases[i].value), 0);
        /* from either starting value, so that "untouched" and "set" can be told apart */
        assert_int_equal(http_query_bool(&r, "include_inactive", &a), cases[i].rc);
        if (cases[i].rc == 1) {
            assert_int_equal(http_query_bool(&r, "include_inactive", &b), 1);
            assert_int_equal(a, cases[i].out);
            assert_int_equal(b, cases[i].out);
            assert_false(r.replied);
        } else {
            json_t *errors = take_problem(
                &r, 400, "bad-request", "query parameter 'include_inactive' must be true or false");
            assert_false(a);
            assert_string_equal(error_for(errors, "include_inactive"), "must be true or false");
            json_decref(errors);
        }
        req_free(&r);
    }
    req_init(&r, "GET", "/api/v1/people");
    {
        bool a = true;
        assert_int_equal(http_query_bool(&r, "include_inactive", &a), 0);
        assert_true(a);
    }
    req_free(&r);
}

static void test_query_time(void **state)
{
    struct http_req r;
    int64_t from = 5, to = 6;
    json_t *errors;
    static const char *const bad[] = {"yesterday",  "",
                                      "2026-13-01", "2026-01-31T25:00:00Z",
                                      "1769846400", "2026-01-31T08:00:00Zjunk"};
    (void)state;
    req_init(&r, "GET", "/api/v1/events");
    http_query_add(&r, "from", "2026-01-31T08:00:00Z");
    http_query_add(&r, "to", "2026-01-31T09:30:00+01:00");
    assert_int_equal(http_query_time(&r, "from", &from), 1);
    assert_int_equal(http_query_time(&r, "to", &to), 1);
    assert_int_equal(from, INT64_C(1769846400) * 1000000);
    assert_int_equal(to, INT64_C(1769848200) * 1000000);
    assert_int_equal(http_query_time(&r, "until", &to), 0);
    assert_int_equal(to, INT64_C(1769848200) * 1000000);
    assert_false(r.replied);
    req_free(&r);

    for (size_t i = 0; i < GH_ARRAY_LEN(bad); i++) {
        req_init(&r, "GET", "/api/v1/events");
        from = 5;
        print_message("from=%s\n", bad[i]);
        http_query_add(&r, "from", bad[i]);
        assert_int_equal(http_query_time(&r, "from", &from), -EINVAL);
        assert_int_equal(from, 5);
        errors = take_problem(
            &r, 400, "bad-request",
            "query parameter 'from' must be an ISO-8601 time such as 2026-11-23T08:00:00Z");
        assert_string_equal(error_for(errors, "from"),
                            "must be an ISO-8601 time such as 2026-11-23T08:00:00Z");
        json_decref(errors);
        req_free(&r);
    }
}

static void test_query_enum(void **state)
{
    struct http_req r;
    int type = -1;
    json_t *errors;
    const char *detail;
    (void)state;
    req_init(&r, "GET", "/api/v1/events");
    assert_int_equal(http_query_enum(&r, "type", &model_enum_event_type, &type), 0);
    assert_int_equal(type, -1);
    http_query_add(&r, "type", "door.forced");
    assert_int_equal(http_query_enum(&r, "type", &model_enum_event_type, &type), 1);
    assert_int_equal(type, EV_DOOR_FORCED);
    req_free(&r);

    req_init(&r, "GET", "/api/v1/events");
    type = -1;
    http_query_add(&r, "type", "door.opened");
    assert_int_equal(http_query_enum(&r, "type", &model_enum_event_type, &type), -EINVAL);
    assert_int_equal(type, -1);
    errors = take_problem(&r, 400, "bad-request", NULL);
    detail = error_for(errors, "type");
    assert_non_null(detail);
    assert_non_null(strstr(detail, "event type 'door.opened' is not one of: access.decision, "));
    assert_non_null(strstr(detail, "access.review"));
    json_decref(errors);
    req_free(&r);
}

/* Runs http_query_enum on a bad `value`; checks the 400 reply's detail contains `quoted`
 * and returns whether the reply's errors array names the parameter. */
static bool query_enum_bad(const char *value, const char *quoted)
{
    struct http_req r;
    int type = -1;
    json_t *body, *errors;
    const char *detail;
    bool listed;
    req_init(&r, "GET", "/api/v1/events");
    http_query_add(&r, "type", value);
    assert_int_equal(http_query_enum(&r, "type", &model_enum_event_type, &type), -EINVAL);
    assert_int_equal(type, -1);
    body = reply_json(&r);
    detail = json_string_value(json_object_get(body, "detail"));
    assert_non_null(detail);
    assert_non_null(strstr(detail, "query parameter 'type' event type '"));
    assert_non_null(strstr(detail, quoted));
    json_decref(body);
    errors = take_problem(&r, 400, "bad-request", NULL);
    listed = error_for(errors, "type") != NULL;
    if (!listed)
        print_message("no errors[] in the reply for type=%s\n", quoted);
    json_decref(errors);
    req_free(&r);
    return listed;
}

static void test_query_enum_bad_utf8(void **state)
{
    char value[80], quoted[80];
    bool listed1, listed2;
    (void)state;
    /* the message quotes at most 64 bytes of the value: a character cut in two there must
     * not cost the reply (the detail is mended to valid UTF-8) */
    memset(value, 'a', 63);
    memcpy(value + 63, "\xc3\xa9", 3);
    memset(quoted, 'a', 63);
    gh_snprintf(quoted + 63, sizeof(quoted) - 63, "?'");
    listed1 = query_enum_bad(value, quoted);
    /* a query value is decoded from %XX, so it may be any bytes at all (?type=%FF) */
    listed2 = query_enum_bad("\xff", "'?'");
    if (!listed1 || !listed2) {
        /* Was a bug (src/http/reply.c, bad_query), now fixed: the {"field", "detail"} entry is
         * packed from the unmended message; json_pack() refuses invalid UTF-8, so the 400 reply
         * loses its "errors" array (the top-level detail is mended by http_problem). */
        fail_msg("regression: see the comment above");
    }
}

static void test_query_errors_replace(void **state)
{
    struct http_req r;
    int64_t a = 0, b = 0;
    json_t *errors;
    (void)state;
    /* a handler that goes on after one bad parameter gets the last reply, not a leak */
    req_init(&r, "GET", "/api/v1/events");
    http_query_add(&r, "limit", "x");
    http_query_add(&r, "cursor", "y");
    assert_int_equal(http_query_int(&r, "limit", 1, 10, &a), -EINVAL);
    assert_int_equal(http_query_int(&r, "cursor", 0, 10, &b), -EINVAL);
    errors = take_problem(&r, 400, "bad-request",
                          "query parameter 'cursor' must be a whole number from 0 to 10");
    assert_int_equal(json_array_size(errors), 1);
    json_decref(errors);
    req_free(&r);
}

/* ---- forms --------------------------------------------------------------------------------- */

static void req_with_body(struct http_req *r, const char *text)
{
    struct gh_err err = {{0}};
    req_init(r, "POST", "/api/v1/people");
    if (http_json_parse(text, strlen(text), 32, &r->json, &err) < 0)
        fail_msg("test body refused: %s", err.msg);
}

static void test_form_required_missing(void **state)
{
    struct http_req r;
    struct http_form f;
    char first[MODEL_NAME_MAX] = "old";
    int64_t n = 7;
    bool b = true;
    int kind = 2;
    int64_t t = 3;
    json_t *errors;
    (void)state;
    req_with_body(&r, "{}");
    http_form_init(&f, &r);
    assert_false(http_form_name(&f, "first_name", true, first, sizeof(first)));
    assert_false(http_form_int(&f, "count", true, 0, 10, &n));
    assert_false(http_form_bool(&f, "active", true, &b));
    assert_false(http_form_enum(&f, "kind", true, &model_enum_person_kind, &kind));
    assert_false(http_form_time(&f, "valid_until", true, GH_TIME_MAX, &t));
    /* optional and absent: false, no error */
    assert_false(http_form_int(&f, "optional", false, 0, 10, &n));
    assert_string_equal(first, "old");
    assert_int_equal(n, 7);
    assert_true(b);
    assert_int_equal(kind, 2);
    assert_int_equal(t, 3);
    assert_int_equal(json_array_size(f.errors), 5);
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "5 fields of the request are not valid");
    assert_int_equal(json_array_size(errors), 5);
    assert_string_equal(error_for(errors, "first_name"), "is required");
    assert_string_equal(error_for(errors, "count"), "is required");
    assert_string_equal(error_for(errors, "active"), "is required");
    assert_string_equal(error_for(errors, "kind"), "is required");
    assert_string_equal(error_for(errors, "valid_until"), "is required");
    assert_null(error_for(errors, "optional"));
    json_decref(errors);
    req_free(&r);
}

static void test_form_optional_absent(void **state)
{
    struct http_req r;
    struct http_form f;
    int64_t n = 7;
    (void)state;
    /* a PATCH with nothing in it: every field optional, nothing to say */
    req_with_body(&r, "{}");
    http_form_init(&f, &r);
    assert_false(http_form_int(&f, "count", false, 0, 10, &n));
    assert_false(http_form_has(&f, "count"));
    assert_int_equal(http_form_finish(&f), 0);
    assert_false(r.replied);
    assert_int_equal(n, 7);
    req_free(&r);
}

static void test_form_no_body(void **state)
{
    struct http_req r;
    struct http_form f;
    int64_t n = 7;
    json_t *errors;
    (void)state;
    /* no JSON at all (r->json NULL): required fields are missing, nothing is unknown */
    req_init(&r, "POST", "/api/v1/areas/1/lockdown");
    http_form_init(&f, &r);
    assert_false(http_form_has(&f, "reason"));
    assert_false(http_form_int(&f, "optional", false, 0, 10, &n));
    assert_int_equal(http_form_finish(&f), 0);
    assert_false(r.replied);
    http_form_init(&f, &r);
    assert_false(http_form_int(&f, "count", true, 0, 10, &n));
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "1 field of the request is not valid");
    assert_string_equal(error_for(errors, "count"), "is required");
    json_decref(errors);
    req_free(&r);
}

static void test_form_collects_and_cross_field(void **state)
{
    struct http_req r;
    struct http_form f;
    int64_t from = 0, until = 0, n = 0;
    char s[8];
    json_t *errors;
    (void)state;
    req_with_body(&r, "{\"valid_from\":\"2026-02-01T00:00:00Z\",\"valid_until\":"
                      "\"2026-01-01T00:00:00Z\",\"n\":\"3\",\"s\":5,\"typo_field\":1}");
    http_form_init(&f, &r);
    assert_true(http_form_time(&f, "valid_from", true, GH_TIME_MIN, &from));
    assert_true(http_form_time(&f, "valid_until", true, GH_TIME_MAX, &until));
    if (until <= from)
        http_form_error(&f, "valid_until", "must be after valid_from (%s)", "2026-02-01");
    assert_false(http_form_int(&f, "n", true, 0, 10, &n));
    assert_false(http_form_string(&f, "s", true, s, sizeof(s)));
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "4 fields of the request are not valid");
    assert_string_equal(error_for(errors, "valid_until"), "must be after valid_from (2026-02-01)");
    assert_string_equal(error_for(errors, "n"), "must be an integer");
    assert_string_equal(error_for(errors, "s"), "must be a string");
    assert_string_equal(error_for(errors, "typo_field"), "is not a field of this request");
    assert_null(error_for(errors, "valid_from"));
    json_decref(errors);
    req_free(&r);
}

static void test_form_unknown_keys(void **state)
{
    struct http_req r;
    struct http_form f;
    int64_t n = 0;
    json_t *errors;
    (void)state;
    /* keys that were read (even when bad or absent) are known; others are not */
    req_with_body(&r, "{\"n\":1,\"N\":2,\"n \":3,\"\":4}");
    http_form_init(&f, &r);
    assert_true(http_form_int(&f, "n", true, 0, 10, &n));
    assert_false(http_form_int(&f, "m", false, 0, 10, &n)); /* read, absent */
    /* http_form_has does not mark a key as read */
    assert_true(http_form_has(&f, "N"));
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "3 fields of the request are not valid");
    assert_string_equal(error_for(errors, "N"), "is not a field of this request");
    assert_string_equal(error_for(errors, "n "), "is not a field of this request");
    assert_string_equal(error_for(errors, ""), "is not a field of this request");
    assert_null(error_for(errors, "n"));
    assert_null(error_for(errors, "m"));
    json_decref(errors);
    req_free(&r);
}

static void test_form_many_fields(void **state)
{
    struct http_req r;
    struct http_form f;
    char body[2048], keys[48][8];
    size_t used = 0;
    int64_t v = 0;
    (void)state;
    /* a form may read as many fields as it remembers (GH_ARRAY_LEN(f.seen)) */
    used += (size_t)snprintf(body, sizeof(body), "{");
    for (int i = 0; i < (int)GH_ARRAY_LEN(f.seen); i++) {
        snprintf(keys[i], sizeof(keys[i]), "f%d", i);
        used +=
            (size_t)snprintf(body + used, sizeof(body) - used, "%s\"f%d\":%d", i ? "," : "", i, i);
    }
    snprintf(body + used, sizeof(body) - used, "}");
    req_with_body(&r, body);
    http_form_init(&f, &r);
    for (int i = 0; i < (int)GH_ARRAY_LEN(f.seen); i++) {
        assert_true(http_form_int(&f, keys[i], true, 0, 100, &v));
        assert_int_equal(v, i);
    }
    assert_int_equal(http_form_finish(&f), 0);
    assert_false(r.replied);
    req_free(&r);
}

static void test_form_more_fields_than_remembered(void **state)
{
    enum { N = GH_ARRAY_LEN(((struct http_form *)0)->seen) + 1 };
    struct http_req r;
    struct http_form f;
    char body[2048], keys[N][8];
    size_t used = 0;
    int64_t v = 0;
    int rc;
    json_t *errors;
    (void)state;
    /* one field more than the form remembers: every field was read, so none is unknown */
    used += (size_t)snprintf(body, sizeof(body), "{");
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "f%d", i);
        used +=
            (size_t)snprintf(body + used, sizeof(body) - used, "%s\"f%d\":%d", i ? "," : "", i, i);
    }
    snprintf(body + used, sizeof(body) - used, "}");
    req_with_body(&r, body);
    http_form_init(&f, &r);
    for (int i = 0; i < N; i++)
        assert_true(http_form_int(&f, keys[i], true, 0, 100, &v));
    rc = http_form_finish(&f);
    if (rc != 0) {
        errors = take_problem(&r, 422, "validation", NULL);
        print_message("regression: %s\n", error_for(errors, keys[N - 1]));
        assert_int_equal(json_array_size(errors), 1);
        assert_string_equal(error_for(errors, keys[N - 1]), "is not a field of this request");
        json_decref(errors);
        req_free(&r);
        /* Was a bug (src/http/form.c, field), now fixed: field() drops keys past f->seen[48]
         * silently, and http_form_finish() then refuses them as unknown although they were read. */
        fail_msg("regression: see the comment above");
    }
    assert_false(r.replied);
    req_free(&r);
}

static void test_form_enum_truncated_utf8(void **state)
{
    struct http_req r;
    struct http_form f;
    char body[128];
    int mode = -1;
    json_t *errors;
    (void)state;
    /* as for the query: the quoted value is cut inside "é", the error is still recorded */
    memset(body, 0, sizeof(body));
    memcpy(body, "{\"mode\":\"", 9);
    memset(body + 9, 'b', 63);
    memcpy(body + 72, "\xc3\xa9\"}", 4);
    req_with_body(&r, body);
    http_form_init(&f, &r);
    assert_false(http_form_enum(&f, "mode", true, &model_enum_door_mode, &mode));
    assert_int_equal(mode, -1);
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "1 field of the request is not valid");
    assert_non_null(error_for(errors, "mode"));
    assert_non_null(strstr(error_for(errors, "mode"), "bbb?' is not one of: card"));
    json_decref(errors);
    req_free(&r);
}

static void test_form_nul_in_string(void **state)
{
    struct http_req r;
    struct http_form f;
    char s[16] = "old";
    json_t *errors;
    (void)state;
    /* the parser refuses \u0000, but a body built in code may hold one */
    req_init(&r, "POST", "/api/v1/people");
    r.json = json_object();
    json_object_set_new(r.json, "s", json_stringn("a\0b", 3));
    http_form_init(&f, &r);
    assert_false(http_form_string(&f, "s", true, s, sizeof(s)));
    assert_string_equal(s, "old");
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", NULL);
    assert_string_equal(error_for(errors, "s"), "contains a NUL character");
    json_decref(errors);
    req_free(&r);
}

/* ---- references against a store -------------------------------------------------------------- */

struct fx {
    char dir[64];
    struct http_server *srv;
    int64_t site_id;
};

static int setup_store(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct gh_err err = {{0}};
    struct store *st;
    struct site s;
    if (f == NULL)
        return -1;
    gh_strlcpy(f->dir, "/tmp/gh_http_form_XXXXXX", sizeof(f->dir));
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    f->srv = calloc(1, sizeof(*f->srv));
    if (f->srv == NULL)
        return -1;
    gh_snprintf(f->srv->db_path, sizeof(f->srv->db_path), "%s/gatehouse.db", f->dir);
    if (store_open(f->srv->db_path, STORE_CREATE, &st, &err) < 0) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        return -1;
    }
    memset(&s, 0, sizeof(s));
    gh_strlcpy(s.name, "HQ", sizeof(s.name));
    gh_strlcpy(s.timezone, "UTC", sizeof(s.timezone));
    if (store_site_insert(st, &s, &err) < 0) {
        fprintf(stderr, "store_site_insert: %s\n", err.msg);
        store_close(st);
        return -1;
    }
    f->site_id = s.id;
    store_close(st);
    /* the per-thread connection http_store() opens on first use */
    if (pthread_key_create(&f->srv->store_key, NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown_store(void **state)
{
    struct fx *f = *state;
    void *t = pthread_getspecific(f->srv->store_key);
    if (t != NULL) {
        store_close(http_thread_store(f->srv));
        free(t);
    }
    pthread_key_delete(f->srv->store_key);
    free(f->srv);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static int find_failing(struct store *st, const char *name, int64_t *id)
{
    (void)st;
    (void)name;
    (void)id;
    return -EIO;
}

static int exists_failing(struct store *st, int64_t id)
{
    (void)st;
    (void)id;
    return -EIO;
}

static void test_form_ref(void **state)
{
    struct fx *f = *state;
    struct http_req r;
    struct http_form form;
    int64_t a = -1, b = -1, c = -1, d = -1;
    char body[256];
    (void)state;
    snprintf(body, sizeof(body),
             "{\"by_id\":%lld,\"by_name\":\"HQ\",\"cleared\":null,\"also_by_id\":%lld}",
             (long long)f->site_id, (long long)f->site_id);
    req_with_body(&r, body);
    r.srv = f->srv;
    http_form_init(&form, &r);
    assert_true(http_form_ref(&form, "by_id", true, false, ref_find_site, ref_site_exists, &a));
    assert_true(http_form_ref(&form, "by_name", true, false, ref_find_site, ref_site_exists, &b));
    assert_true(http_form_ref(&form, "cleared", true, true, ref_find_site, ref_site_exists, &c));
    assert_false(http_form_ref(&form, "absent", false, false, ref_find_site, ref_site_exists, &d));
    assert_true(
        http_form_ref(&form, "also_by_id", false, true, ref_find_site, ref_site_exists, &d));
    assert_int_equal(http_form_finish(&form), 0);
    assert_false(r.replied);
    assert_int_equal(a, f->site_id);
    assert_int_equal(b, f->site_id);
    assert_int_equal(c, 0);
    assert_int_equal(d, f->site_id);
    req_free(&r);
}

static void test_form_ref_refused(void **state)
{
    struct fx *f = *state;
    struct http_req r;
    struct http_form form;
    int64_t out[10];
    char longname[MODEL_NAME_MAX + 1], body[512];
    json_t *errors;
    const char *keys[] = {"missing_id", "missing_name", "zero", "negative", "null",
                          "empty",      "long",         "bool", "real",     "required"};
    memset(longname, 'x', MODEL_NAME_MAX);
    longname[MODEL_NAME_MAX] = '\0'; /* 128 bytes: one more than a name may have */
    snprintf(body, sizeof(body),
             "{\"missing_id\":999,\"missing_name\":\"Annex\",\"zero\":0,\"negative\":-1,"
             "\"null\":null,\"empty\":\"\",\"long\":\"%s\",\"bool\":true,\"real\":1.0}",
             longname);
    req_with_body(&r, body);
    r.srv = f->srv;
    for (size_t i = 0; i < GH_ARRAY_LEN(out); i++)
        out[i] = -7;
    http_form_init(&form, &r);
    for (size_t i = 0; i < GH_ARRAY_LEN(keys); i++)
        assert_false(
            http_form_ref(&form, keys[i], true, false, ref_find_site, ref_site_exists, &out[i]));
    for (size_t i = 0; i < GH_ARRAY_LEN(out); i++)
        assert_int_equal(out[i], -7);
    assert_int_equal(http_form_finish(&form), -EINVAL);
    errors = take_problem(&r, 422, "validation", "10 fields of the request are not valid");
    assert_string_equal(error_for(errors, "missing_id"), "999 does not exist");
    assert_string_equal(error_for(errors, "missing_name"), "'Annex' does not exist");
    assert_string_equal(error_for(errors, "zero"), "must be a positive id");
    assert_string_equal(error_for(errors, "negative"), "must be a positive id");
    assert_string_equal(error_for(errors, "null"), "may not be null");
    assert_string_equal(error_for(errors, "empty"), "must be an id or a name of 1 to 127 bytes");
    assert_string_equal(error_for(errors, "long"), "must be an id or a name of 1 to 127 bytes");
    assert_string_equal(error_for(errors, "bool"), "must be an id (integer) or a name (string)");
    assert_string_equal(error_for(errors, "real"), "must be an id (integer) or a name (string)");
    assert_string_equal(error_for(errors, "required"), "is required");
    json_decref(errors);
    req_free(&r);
}

static void test_form_ref_lookup_fails(void **state)
{
    struct fx *f = *state;
    struct http_req r;
    struct http_form form;
    int64_t a = -7, b = -7;
    json_t *errors;
    req_with_body(&r, "{\"by_name\":\"HQ\",\"by_id\":1}");
    r.srv = f->srv;
    http_form_init(&form, &r);
    assert_false(http_form_ref(&form, "by_name", true, false, find_failing, exists_failing, &a));
    assert_false(http_form_ref(&form, "by_id", true, false, find_failing, exists_failing, &b));
    assert_int_equal(a, -7);
    assert_int_equal(b, -7);
    assert_int_equal(http_form_finish(&form), -EINVAL);
    errors = take_problem(&r, 422, "validation", "2 fields of the request are not valid");
    assert_int_equal(strncmp(error_for(errors, "by_name"), "could not be looked up: ", 24), 0);
    assert_int_equal(strncmp(error_for(errors, "by_id"), "could not be looked up: ", 24), 0);
    json_decref(errors);
    req_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_add_and_lookup),
        cmocka_unit_test(test_query_int),
        cmocka_unit_test(test_query_bool),
        cmocka_unit_test(test_query_time),
        cmocka_unit_test(test_query_enum),
        cmocka_unit_test(test_query_enum_bad_utf8),
        cmocka_unit_test(test_query_errors_replace),
        cmocka_unit_test(test_form_required_missing),
        cmocka_unit_test(test_form_optional_absent),
        cmocka_unit_test(test_form_no_body),
        cmocka_unit_test(test_form_collects_and_cross_field),
        cmocka_unit_test(test_form_unknown_keys),
        cmocka_unit_test(test_form_many_fields),
        cmocka_unit_test(test_form_more_fields_than_remembered),
        cmocka_unit_test(test_form_enum_truncated_utf8),
        cmocka_unit_test(test_form_nul_in_string),
        cmocka_unit_test_setup_teardown(test_form_ref, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_form_ref_refused, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_form_ref_lookup_fails, setup_store, teardown_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
