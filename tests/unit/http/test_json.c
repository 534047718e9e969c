/*
 * test_json.c: JSON at the edge of the server (src/http/json.c) and the typed reading of a
 * parsed body (src/http/form.c). http_json_parse(): a valid object, the depth limit (exactly
 * at the limit accepted, one more refused with line and column, brackets inside strings not
 * counted), duplicate keys refused at any depth, a top level that is not an object, invalid
 * UTF-8, NUL bytes (raw and escaped), garbage and trailing data, an empty body; nothing is
 * returned on a refusal. Then bodies read field by field as the handlers do: strings with a
 * maximum length, names, integers in a range, booleans, enums and times, each refusal
 * recorded under the field's name, unknown fields reported, and the 422 `validation` reply
 * that lists them all. Last, the shared representations: times and events.
 */
#include "http/http_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reply_capture.h"

/* ---- helpers ---------------------------------------------------------------------------- */

/* Parses text (strlen) with max_depth; returns the code. out set to NULL on refusal. */
static int parse(const char *text, unsigned max_depth, json_t **out, struct gh_err *err)
{
    memset(err, 0, sizeof(*err));
    *out = (json_t *)(uintptr_t)1; /* must be overwritten */
    return http_json_parse(text, strlen(text), max_depth, out, err);
}

/* Asserts text is refused with a message that starts with `prefix` and contains `part`. */
static void refused(const char *text, size_t len, unsigned max_depth, const char *prefix,
                    const char *part)
{
    struct gh_err err = {{0}};
    json_t *v = (json_t *)(uintptr_t)1;
    assert_int_equal(http_json_parse(text, len, max_depth, &v, &err), -EINVAL);
    assert_null(v);
    print_message("refused: %s\n", err.msg);
    if (prefix != NULL && strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", err.msg, prefix);
    if (part != NULL && strstr(err.msg, part) == NULL)
        fail_msg("'%s' does not contain '%s'", err.msg, part);
}

/* {"a": [[...[1]...]]} nested to `depth` levels in all (the object is level 1). */
static void nested(char *buf, size_t len, unsigned depth)
{
    size_t used = 0;
    assert_true(len > 2 * depth + 16);
    used += (size_t)snprintf(buf, len, "{\"a\":");
    for (unsigned i = 1; i < depth; i++)
        buf[used++] = '[';
    buf[used++] = '1';
    for (unsigned i = 1; i < depth; i++)
        buf[used++] = ']';
    buf[used++] = '}';
    buf[used] = '\0';
}

/* ---- http_json_parse --------------------------------------------------------------------- */

static void test_parse_valid(void **state)
{
    struct gh_err err;
    json_t *v;
    (void)state;
    assert_int_equal(parse("{\"name\": \"Front door\", \"n\": 3, \"ok\": true, \"t\": null, "
                           "\"list\": [1, 2.5, \"x\", {\"deep\": []}], \"obj\": {}}",
                           32, &v, &err),
                     0);
    assert_string_equal(err.msg, "");
    assert_true(json_is_object(v));
    assert_string_equal(json_string_value(json_object_get(v, "name")), "Front door");
    assert_int_equal(json_integer_value(json_object_get(v, "n")), 3);
    assert_true(json_is_true(json_object_get(v, "ok")));
    assert_true(json_is_null(json_object_get(v, "t")));
    assert_int_equal(json_array_size(json_object_get(v, "list")), 4);
    json_decref(v);

    /* the empty object, surrounding white space, UTF-8 text and escapes */
    assert_int_equal(parse(" \r\n\t{}\n", 32, &v, &err), 0);
    assert_int_equal(json_object_size(v), 0);
    json_decref(v);
    assert_int_equal(
        parse("{\"n\":\"Zo\xc3\xab \xe6\x9d\xb1 \\u00e9 \\ud83d\\udd11 \\\"q\\\"\"}", 32, &v, &err),
        0);
    assert_string_equal(json_string_value(json_object_get(v, "n")),
                        "Zo\xc3\xab \xe6\x9d\xb1 \xc3\xa9 \xf0\x9f\x94\x91 \"q\"");
    json_decref(v);

    /* only `len` bytes are read */
    {
        const char text[] = "{\"a\":1}garbage";
        v = NULL;
        assert_int_equal(http_json_parse(text, 7, 32, &v, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
        json_decref(v);
    }
    /* a NULL err is allowed, on success and on refusal */
    v = NULL;
    assert_int_equal(http_json_parse("{}", 2, 32, &v, NULL), 0);
    json_decref(v);
    assert_int_equal(http_json_parse("[]", 2, 32, &v, NULL), -EINVAL);
    assert_null(v);
}

static void test_parse_depth_limit(void **state)
{
    static const unsigned limits[] = {2, 3, 32, 256};
    char buf[1024];
    (void)state;
    for (size_t i = 0; i < GH_ARRAY_LEN(limits); i++) {
        unsigned max = limits[i];
        struct gh_err err;
        json_t *v;
        char want[96];
        print_message("max_depth %u\n", max);
        /* exactly at the limit */
        nested(buf, sizeof(buf), max);
        assert_int_equal(parse(buf, max, &v, &err), 0);
        json_decref(v);
        /* one more: refused where the extra bracket opens (column is 1-based) */
        nested(buf, sizeof(buf), max + 1);
        assert_int_equal(parse(buf, max, &v, &err), -EINVAL);
        assert_null(v);
        snprintf(want, sizeof(want), "line 1, column %u: nested deeper than %u levels", 5 + max,
                 max);
        assert_string_equal(err.msg, want);
    }
}

static void test_parse_depth_details(void **state)
{
    struct gh_err err;
    json_t *v;
    (void)state;
    /* the object is level 1: with max 1 any nested value is too deep */
    assert_int_equal(parse("{\"a\":1}", 1, &v, &err), 0);
    json_decref(v);
    assert_int_equal(parse("{\"a\":{}}", 1, &v, &err), -EINVAL);
    assert_string_equal(err.msg, "line 1, column 6: nested deeper than 1 levels");
    /* siblings do not add up */
    assert_int_equal(parse("{\"a\":[1],\"b\":[2],\"c\":{\"d\":[]}}", 3, &v, &err), 0);
    json_decref(v);
    /* brackets inside strings, also after escaped quotes and backslashes, do not count */
    assert_int_equal(
        parse("{\"a\":\"[[[[{{{{\",\"b\":\"\\\"[[[[\",\"c\":\"\\\\\",\"d\":[\"]]]]\"]}", 2, &v,
              &err),
        0);
    json_decref(v);
    /* the position is given as line and column */
    assert_int_equal(parse("{\n  \"a\": {\n    \"b\": [\n      {}\n    ]\n  }\n}", 3, &v, &err),
                     -EINVAL);
    assert_string_equal(err.msg, "line 4, column 7: nested deeper than 3 levels");
    /* the depth scan runs before jansson: a deep but broken body names the depth */
    assert_int_equal(parse("[[[[[[", 3, &v, &err), -EINVAL);
    assert_string_equal(err.msg, "line 1, column 4: nested deeper than 3 levels");
}

static void test_parse_duplicate_keys(void **state)
{
    (void)state;
    refused("{\"a\":1,\"a\":2}", 13, 32, "line 1, column ", "duplicate object key");
    refused("{\"a\":1,\"b\":{\"c\":true,\"c\":false}}", 32, 32, "line 1, column ",
            "duplicate object key");
    refused("{\"x\":[{\"k\":1,\"k\":1}]}", 21, 32, "line 1, column ", "duplicate object key");
    /* the same key in sibling objects is fine, and so are keys that differ only in case */
    {
        struct gh_err err;
        json_t *v;
        assert_int_equal(parse("{\"a\":{\"k\":1},\"b\":{\"k\":2},\"K\":3,\"k\":4}", 32, &v, &err),
                         0);
        json_decref(v);
    }
}

static void test_parse_not_an_object(void **state)
{
    (void)state;
    refused("[]", 2, 32, NULL, NULL);
    refused("[{\"a\":1}]", 9, 32, "the body must be a JSON object", NULL);
    {
        struct gh_err err;
        json_t *v;
        assert_int_equal(parse("[1, 2]", 32, &v, &err), -EINVAL);
        assert_string_equal(err.msg, "the body must be a JSON object");
    }
    /* scalars are refused by the parser itself */
    refused("\"text\"", 6, 32, "line 1, column ", "'[' or '{' expected");
    refused("42", 2, 32, "line 1, column ", NULL);
    refused("true", 4, 32, "line 1, column ", NULL);
    refused("null", 4, 32, "line 1, column ", NULL);
}

static void test_parse_bad_text(void **state)
{
    (void)state;
    /* invalid UTF-8: a stray byte, a truncated sequence, an overlong form, a surrogate */
    refused("{\"a\":\"\xff\"}", 9, 32, "line 1, column ", "unable to decode byte");
    refused("{\"a\":\"caf\xc3\"}", 11, 32, "line 1, column ", "unable to decode byte");
    refused("{\"a\":\"\xc0\xaf\"}", 10, 32, "line 1, column ", "unable to decode byte");
    refused("{\"a\":\"\xed\xa0\x80\"}", 11, 32, "line 1, column ", "unable to decode byte");
    refused("{\"\xfe\":1}", 7, 32, "line 1, column ", "unable to decode byte");
    /* a lone escaped surrogate */
    refused("{\"a\":\"\\ud800\"}", 14, 32, "line 1, column 13: ", "invalid Unicode");
    /* NUL: raw anywhere in the body, or escaped in a string */
    refused("{\"a\":\"x\0y\"}", 11, 32, "the body contains a NUL byte", NULL);
    refused("{}\0", 3, 32, "the body contains a NUL byte", NULL);
    refused("{\"a\":\"\\u0000\"}", 14, 32, "line 1, column ", NULL);
    /* garbage and near-JSON */
    refused("hello", 5, 32, "line 1, column ", NULL);
    refused("{", 1, 32, "line 1, column ", NULL);
    refused("{\"a\":}", 6, 32, "line 1, column ", NULL);
    refused("{\"a\":1,}", 8, 32, "line 1, column ", NULL);
    refused("{'a':1}", 7, 32, "line 1, column ", NULL);
    refused("{\"a\":1} {}", 10, 32, "line 1, column 9: ", "end of file expected");
    refused("{\"a\":1} x", 9, 32, "line 1, column ", NULL);
    refused("{\"a\":1 /* c */}", 15, 32, "line 1, column ", NULL);
    refused("{\"a\":01}", 8, 32, "line 1, column ", NULL);
    refused("{\"a\":NaN}", 9, 32, "line 1, column ", NULL);
    refused("{\"a\":\"tab\there\"}", 15, 32, "line 1, column ", NULL);
    refused("\xef\xbb\xbf{}", 5, 32, "line 1, column ", NULL); /* a byte order mark */
    refused("{\n\"a\":1,\n\"b\":}", 14, 32, "line 3, column ", NULL);
    /* numbers jansson cannot hold */
    refused("{\"a\":99999999999999999999}", 26, 32, "line 1, column ", "too big integer");
    refused("{\"a\":1e400}", 11, 32, "line 1, column ", NULL);
}

static void test_parse_empty(void **state)
{
    (void)state;
    refused("", 0, 32, "the body is empty (a JSON object was expected)", NULL);
    /* only `len` counts: a body of length 0 is empty whatever the pointer holds */
    refused("{}", 0, 32, "the body is empty (a JSON object was expected)", NULL);
    /* white space only is not empty: the parser says what it expected */
    refused("  \n", 3, 32, "line ", NULL);
}

/* ---- reading a parsed body field by field ---------------------------------------------- */

/* A request whose body is `text`, as the server parses it for a JSON route. */
static void req_with_body(struct http_req *r, const char *text)
{
    struct gh_err err = {{0}};
    req_init(r, "POST", "/api/v1/doors");
    if (http_json_parse(text, strlen(text), 32, &r->json, &err) < 0)
        fail_msg("test body refused: %s", err.msg);
}

static void test_form_all_valid(void **state)
{
    struct http_req r;
    struct http_form f;
    char name[MODEL_NAME_MAX] = "old", note[16] = "old";
    int64_t held = -1, from = -1, until = -1;
    bool enabled = false;
    int mode = -1;
    (void)state;
    req_with_body(&r, "{\"name\":\"Front door\",\"note\":\"fifteen chars..\",\"held_s\":30,"
                      "\"enabled\":true,\"mode\":\"Card-PIN\",\"from\":\"2026-01-31T08:00:00Z\","
                      "\"until\":null}");
    http_form_init(&f, &r);
    assert_true(http_form_name(&f, "name", true, name, sizeof(name)));
    assert_true(http_form_string(&f, "note", false, note, sizeof(note)));
    assert_true(http_form_int(&f, "held_s", true, 1, 3600, &held));
    assert_true(http_form_bool(&f, "enabled", false, &enabled));
    assert_true(http_form_enum(&f, "mode", true, &model_enum_door_mode, &mode));
    assert_true(http_form_time(&f, "from", false, GH_TIME_MIN, &from));
    assert_true(http_form_time(&f, "until", false, GH_TIME_MAX, &until));
    assert_true(http_form_has(&f, "until"));
    assert_false(http_form_has(&f, "absent"));
    assert_int_equal(http_form_finish(&f), 0);
    assert_false(r.replied); /* no reply: the handler goes on */
    assert_null(r.response);
    assert_null(f.errors);

    assert_string_equal(name, "Front door");
    assert_string_equal(note, "fifteen chars..");
    assert_int_equal(held, 30);
    assert_true(enabled);
    assert_int_equal(mode, DOOR_CARD_PIN);
    assert_int_equal(from, INT64_C(1769846400) * 1000000);
    assert_int_equal(until, GH_TIME_MAX);
    req_free(&r);
}

static void test_form_errors_name_fields(void **state)
{
    struct http_req r;
    struct http_form f;
    char name[MODEL_NAME_MAX] = "old", note[8] = "old";
    int64_t held = -1, from = -1;
    bool enabled = false;
    int mode = -1;
    json_t *errors;
    (void)state;
    req_with_body(&r, "{\"name\":\" padded\",\"note\":\"eight ch\",\"held_s\":3601,"
                      "\"enabled\":\"yes\",\"mode\":\"open\",\"from\":\"yesterday\","
                      "\"colour\":\"red\",\"extra\":{}}");
    http_form_init(&f, &r);
    assert_false(http_form_name(&f, "name", true, name, sizeof(name)));
    assert_false(http_form_string(&f, "note", false, note, sizeof(note)));
    assert_false(http_form_int(&f, "held_s", true, 1, 3600, &held));
    assert_false(http_form_bool(&f, "enabled", false, &enabled));
    assert_false(http_form_enum(&f, "mode", true, &model_enum_door_mode, &mode));
    assert_false(http_form_time(&f, "from", false, GH_TIME_MIN, &from));
    assert_false(http_form_int(&f, "site_id", true, 1, INT64_MAX, &held)); /* missing */
    /* nothing was written */
    assert_string_equal(name, "old");
    assert_string_equal(note, "old");
    assert_int_equal(held, -1);
    assert_false(enabled);
    assert_int_equal(mode, -1);
    assert_int_equal(from, -1);

    assert_int_equal(http_form_finish(&f), -EINVAL);
    assert_null(f.errors);
    errors = take_problem(&r, 422, "validation", "9 fields of the request are not valid");
    assert_int_equal(json_array_size(errors), 9);
    assert_string_equal(error_for(errors, "name"),
                        "name: ' padded' starts or ends with white space");
    assert_string_equal(error_for(errors, "note"), "is longer than 7 bytes");
    assert_string_equal(error_for(errors, "held_s"), "must be between 1 and 3600");
    assert_string_equal(error_for(errors, "enabled"), "must be true or false");
    assert_non_null(strstr(error_for(errors, "mode"), "door mode 'open' is not one of: card"));
    assert_non_null(
        strstr(error_for(errors, "from"), "'yesterday' is not a date (expected YYYY-MM-DD)"));
    assert_string_equal(error_for(errors, "site_id"), "is required");
    assert_string_equal(error_for(errors, "colour"), "is not a field of this request");
    assert_string_equal(error_for(errors, "extra"), "is not a field of this request");
    json_decref(errors);
    req_free(&r);
}

static void test_form_wrong_types(void **state)
{
    static const struct {
        const char *body;
        const char *detail;
    } cases[] = {
        {"{\"v\":1}", "must be a string"},
        {"{\"v\":null}", "must be a string"},
        {"{\"v\":[\"a\"]}", "must be a string"},
        {"{\"v\":{}}", "must be a string"},
    };
    (void)state;
    for (size_t i = 0; i < GH_ARRAY_LEN(cases); i++) {
        struct http_req r;
        struct http_form f;
        char s[16] = "old";
        int e = -1;
        json_t *errors;
        print_message("%s\n", cases[i].body);
        req_with_body(&r, cases[i].body);
        http_form_init(&f, &r);
        assert_false(http_form_string(&f, "v", true, s, sizeof(s)));
        assert_string_equal(s, "old");
        assert_int_equal(http_form_finish(&f), -EINVAL);
        errors = take_problem(&r, 422, "validation", "1 field of the request is not valid");
        assert_int_equal(json_array_size(errors), 1);
        assert_string_equal(error_for(errors, "v"), cases[i].detail);
        json_decref(errors);
        /* the same for an enum */
        http_form_init(&f, &r);
        assert_false(http_form_enum(&f, "v", true, &model_enum_door_mode, &e));
        assert_int_equal(e, -1);
        assert_int_equal(http_form_finish(&f), -EINVAL);
        errors = take_problem(&r, 422, "validation", NULL);
        assert_string_equal(error_for(errors, "v"), "must be a string");
        json_decref(errors);
        req_free(&r);
    }
}

static void test_form_int_and_bool_types(void **state)
{
    static const char *const not_ints[] = {"\"5\"", "5.0", "true", "null", "[5]", "{}"};
    static const char *const not_bools[] = {"\"true\"", "1", "0", "null", "[]"};
    char body[64];
    (void)state;
    for (size_t i = 0; i < GH_ARRAY_LEN(not_ints); i++) {
        struct http_req r;
        struct http_form f;
        int64_t v = -1;
        json_t *errors;
        snprintf(body, sizeof(body), "{\"n\":%s}", not_ints[i]);
        req_with_body(&r, body);
        http_form_init(&f, &r);
        assert_false(http_form_int(&f, "n", false, INT64_MIN, INT64_MAX, &v));
        assert_int_equal(v, -1);
        assert_int_equal(http_form_finish(&f), -EINVAL);
        errors = take_problem(&r, 422, "validation", NULL);
        assert_string_equal(error_for(errors, "n"), "must be an integer");
        json_decref(errors);
        req_free(&r);
    }
    for (size_t i = 0; i < GH_ARRAY_LEN(not_bools); i++) {
        struct http_req r;
        struct http_form f;
        bool v = true;
        json_t *errors;
        snprintf(body, sizeof(body), "{\"b\":%s}", not_bools[i]);
        req_with_body(&r, body);
        http_form_init(&f, &r);
        assert_false(http_form_bool(&f, "b", false, &v));
        assert_true(v);
        assert_int_equal(http_form_finish(&f), -EINVAL);
        errors = take_problem(&r, 422, "validation", NULL);
        assert_string_equal(error_for(errors, "b"), "must be true or false");
        json_decref(errors);
        req_free(&r);
    }
}

static void test_form_int_ranges(void **state)
{
    struct http_req r;
    struct http_form f;
    int64_t a = 0, b = 0, c = 0, d = 0;
    json_t *errors;
    (void)state;
    req_with_body(&r,
                  "{\"lo\":-5,\"hi\":10,\"big\":9223372036854775807,\"neg\":-9223372036854775808,"
                  "\"below\":-6,\"above\":11}");
    http_form_init(&f, &r);
    /* the bounds are inclusive; the extremes of int64 pass through */
    assert_true(http_form_int(&f, "lo", true, -5, 10, &a));
    assert_true(http_form_int(&f, "hi", true, -5, 10, &b));
    assert_true(http_form_int(&f, "big", true, INT64_MIN, INT64_MAX, &c));
    assert_true(http_form_int(&f, "neg", true, INT64_MIN, INT64_MAX, &d));
    assert_int_equal(a, -5);
    assert_int_equal(b, 10);
    assert_int_equal(c, INT64_MAX);
    assert_true(d == INT64_MIN);
    a = b = 77;
    assert_false(http_form_int(&f, "below", true, -5, 10, &a));
    assert_false(http_form_int(&f, "above", true, -5, 10, &b));
    assert_int_equal(a, 77);
    assert_int_equal(b, 77);
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "2 fields of the request are not valid");
    assert_string_equal(error_for(errors, "below"), "must be between -5 and 10");
    assert_string_equal(error_for(errors, "above"), "must be between -5 and 10");
    json_decref(errors);
    req_free(&r);
}

static void test_form_string_lengths(void **state)
{
    struct http_req r;
    struct http_form f;
    char exact[6] = "", over[5] = "old", name[MODEL_NAME_MAX] = "old", empty[4] = "x";
    char body[512], longname[MODEL_NAME_MAX + 1];
    json_t *errors;
    (void)state;
    memset(longname, 'n', MODEL_NAME_MAX);
    longname[MODEL_NAME_MAX] = '\0';
    /* 5 bytes fit in 6; 5 bytes do not fit in 5; "é" counts as 2 bytes */
    snprintf(body, sizeof(body),
             "{\"exact\":\"abcde\",\"over\":\"ab\xc3\xa9\\u00e9\",\"name\":\"%s\",\"empty\":\"\"}",
             longname);
    req_with_body(&r, body);
    http_form_init(&f, &r);
    assert_true(http_form_string(&f, "exact", true, exact, sizeof(exact)));
    assert_string_equal(exact, "abcde");
    assert_false(http_form_string(&f, "over", true, over, sizeof(over)));
    assert_string_equal(over, "old");
    assert_false(http_form_name(&f, "name", true, name, sizeof(name)));
    assert_string_equal(name, "old");
    /* a plain string may be empty; a name may not */
    assert_true(http_form_string(&f, "empty", true, empty, sizeof(empty)));
    assert_string_equal(empty, "");
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "2 fields of the request are not valid");
    assert_string_equal(error_for(errors, "over"), "is longer than 4 bytes");
    assert_string_equal(error_for(errors, "name"), "is longer than 127 bytes");
    json_decref(errors);
    req_free(&r);

    req_with_body(&r, "{\"name\":\"\",\"title\":\"a\\u0007b\"}");
    http_form_init(&f, &r);
    assert_false(http_form_name(&f, "name", true, name, sizeof(name)));
    assert_false(http_form_name(&f, "title", true, name, sizeof(name)));
    assert_string_equal(name, "old");
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", NULL);
    assert_string_equal(error_for(errors, "name"), "name: must not be empty");
    assert_string_equal(error_for(errors, "title"), "title: not printable UTF-8 text");
    json_decref(errors);
    req_free(&r);
}

static void test_form_enum_and_time(void **state)
{
    struct http_req r;
    struct http_form f;
    int kind = -1, fmt = -1, bad = -1;
    int64_t t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0;
    json_t *errors;
    (void)state;
    req_with_body(&r,
                  "{\"kind\":\"Contractor\",\"format\":\"h10301\",\"bad\":\"H-10301x\","
                  "\"t1\":\"2026-01-31T09:00:00+01:00\",\"t2\":\"2026-01-31\","
                  "\"t3\":\"2026-01-31T08:00:00.5Z\",\"t4\":12,\"t5\":\"2026-02-30T00:00:00Z\"}");
    http_form_init(&f, &r);
    assert_true(http_form_enum(&f, "kind", true, &model_enum_person_kind, &kind));
    assert_int_equal(kind, PERSON_CONTRACTOR);
    assert_true(http_form_enum(&f, "format", true, &model_enum_cred_format, &fmt));
    assert_int_equal(fmt, CRED_FMT_H10301);
    assert_false(http_form_enum(&f, "bad", true, &model_enum_cred_format, &bad));
    assert_int_equal(bad, -1);
    assert_true(http_form_time(&f, "t1", true, 0, &t1));
    assert_int_equal(t1, INT64_C(1769846400) * 1000000);
    assert_true(http_form_time(&f, "t2", true, 0, &t2));
    assert_int_equal(t2, INT64_C(1769817600) * 1000000);
    assert_true(http_form_time(&f, "t3", true, 0, &t3));
    assert_int_equal(t3, INT64_C(1769846400) * 1000000 + 500000);
    assert_false(http_form_time(&f, "t4", true, 0, &t4));
    assert_false(http_form_time(&f, "t5", true, 0, &t5));
    assert_int_equal(t4, 0);
    assert_int_equal(t5, 0);
    assert_int_equal(http_form_finish(&f), -EINVAL);
    errors = take_problem(&r, 422, "validation", "3 fields of the request are not valid");
    assert_string_equal(error_for(errors, "bad"),
                        "card format 'H-10301x' is not one of: h10301, h10306, c1000, h10304");
    assert_string_equal(error_for(errors, "t4"),
                        "must be an ISO-8601 time (e.g. 2026-01-31T08:00:00Z) or null");
    assert_non_null(strstr(error_for(errors, "t5"), "2026-02-30"));
    json_decref(errors);
    req_free(&r);
}

/* ---- shared representations --------------------------------------------------------------- */

static void test_json_time(void **state)
{
    json_t *t;
    (void)state;
    t = http_json_time(GH_TIME_MIN);
    assert_true(json_is_null(t));
    json_decref(t);
    t = http_json_time(GH_TIME_MAX);
    assert_true(json_is_null(t));
    json_decref(t);
    t = http_json_time(0);
    assert_string_equal(json_string_value(t), "1970-01-01T00:00:00.000000Z");
    json_decref(t);
    t = http_json_time(INT64_C(1769846400) * 1000000 + 123456);
    assert_string_equal(json_string_value(t), "2026-01-31T08:00:00.123456Z");
    json_decref(t);
    t = http_json_time(-1);
    assert_string_equal(json_string_value(t), "1969-12-31T23:59:59.999999Z");
    json_decref(t);
}

static void test_json_event(void **state)
{
    struct event ev;
    json_t *j;
    (void)state;
    memset(&ev, 0, sizeof(ev));
    ev.offset = 17;
    ev.time_us = INT64_C(1769846400) * 1000000;
    ev.type = EV_ACCESS_DECISION;
    ev.door_id = 3;
    ev.person_id = 0;
    ev.credential_id = 9;
    ev.decision = 0;
    ev.reason = REASON_UNKNOWN_CREDENTIAL;
    gh_strlcpy(ev.payload, "{\"card\":\"26:1:2\"}", sizeof(ev.payload));
    j = http_json_event(&ev);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 9);
    assert_int_equal(json_integer_value(json_object_get(j, "offset")), 17);
    assert_string_equal(json_string_value(json_object_get(j, "time")),
                        "2026-01-31T08:00:00.000000Z");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "access.decision");
    assert_int_equal(json_integer_value(json_object_get(j, "door_id")), 3);
    assert_true(json_is_null(json_object_get(j, "person_id")));
    assert_int_equal(json_integer_value(json_object_get(j, "credential_id")), 9);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "denied");
    assert_string_equal(json_string_value(json_object_get(j, "reason")),
                        access_reason_name(REASON_UNKNOWN_CREDENTIAL));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "payload"), "card")),
                        "26:1:2");
    json_decref(j);

    /* not a decision, no payload, a payload that is not JSON */
    ev.type = EV_DOOR_FORCED;
    ev.decision = -1;
    ev.reason = -1;
    ev.door_id = 0;
    ev.payload[0] = '\0';
    j = http_json_event(&ev);
    assert_true(json_is_null(json_object_get(j, "decision")));
    assert_true(json_is_null(json_object_get(j, "reason")));
    assert_true(json_is_null(json_object_get(j, "door_id")));
    assert_string_equal(json_string_value(json_object_get(j, "type")), "door.forced");
    assert_true(json_is_object(json_object_get(j, "payload")));
    assert_int_equal(json_object_size(json_object_get(j, "payload")), 0);
    json_decref(j);
    gh_strlcpy(ev.payload, "{not json", sizeof(ev.payload));
    ev.decision = 1;
    ev.reason = REASON_GRANTED;
    j = http_json_event(&ev);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "granted");
    assert_int_equal(json_object_size(json_object_get(j, "payload")), 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_depth_limit),
        cmocka_unit_test(test_parse_depth_details),
        cmocka_unit_test(test_parse_duplicate_keys),
        cmocka_unit_test(test_parse_not_an_object),
        cmocka_unit_test(test_parse_bad_text),
        cmocka_unit_test(test_parse_empty),
        cmocka_unit_test(test_form_all_valid),
        cmocka_unit_test(test_form_errors_name_fields),
        cmocka_unit_test(test_form_wrong_types),
        cmocka_unit_test(test_form_int_and_bool_types),
        cmocka_unit_test(test_form_int_ranges),
        cmocka_unit_test(test_form_string_lengths),
        cmocka_unit_test(test_form_enum_and_time),
        cmocka_unit_test(test_json_time),
        cmocka_unit_test(test_json_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
