/*
 * form.c: reading a JSON request body field by field. Each getter checks one field's type
 * and range, records a per-field error when it is wrong, and remembers the key, so that
 * http_form_finish() can refuse unknown keys and reply 422 with every error at once (an
 * operator fixing a form sees all of its mistakes, not one per round trip).
 */
#include "http/http_int.h"

#include <stdio.h>
#include <string.h>

void http_form_init(struct http_form *f, struct http_req *r)
{
    memset(f, 0, sizeof(*f));
    f->r = r;
    f->obj = r->json;
    f->errors = json_array();
}

void http_form_error(struct http_form *f, const char *field, const char *fmt, ...)
{
    char detail[600];
    va_list ap;
    json_t *e;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    gh_utf8_mend(detail);
    e = json_pack("{s:s, s:s}", "field", field, "detail", detail);
    if (e == NULL) /* never lose an error: the form must still fail */
        e = json_pack("{s:s, s:s}", "field", "?", "detail", "is not valid");
    json_array_append_new(f->errors, e);
}

bool http_form_has(const struct http_form *f, const char *key)
{
    return f->obj != NULL && json_object_get(f->obj, key) != NULL;
}

/* The value of key, marked as seen; NULL when absent (an error when required). */
static json_t *field(struct http_form *f, const char *key, bool required)
{
    json_t *v = f->obj ? json_object_get(f->obj, key) : NULL;
    if (f->n_seen < GH_ARRAY_LEN(f->seen))
        f->seen[f->n_seen++] = key;
    else
        f->overflow = true;
    if (v == NULL && required)
        http_form_error(f, key, "is required");
    return v;
}

json_t *http_form_json(struct http_form *f, const char *key, bool required)
{
    return field(f, key, required);
}

bool http_form_string(struct http_form *f, const char *key, bool required, char *dst, size_t len)
{
    json_t *v = field(f, key, required);
    const char *s;
    size_t n;
    if (v == NULL)
        return false;
    if (!json_is_string(v)) {
        http_form_error(f, key, "must be a string");
        return false;
    }
    s = json_string_value(v);
    n = json_string_length(v);
    if (n >= len) {
        http_form_error(f, key, "is longer than %zu bytes", len - 1);
        return false;
    }
    if (memchr(s, '\0', n) != NULL) {
        http_form_error(f, key, "contains a NUL character");
        return false;
    }
    memcpy(dst, s, n + 1);
    return true;
}

bool http_form_name(struct http_form *f, const char *key, bool required, char *dst, size_t len)
{
    struct gh_err err = {{0}};
    char tmp[MODEL_NAME_MAX];
    if (!http_form_string(f, key, required, tmp, len < sizeof(tmp) ? len : sizeof(tmp)))
        return false;
    if (model_check_name(key, tmp, &err) < 0) {
        http_form_error(f, key, "%s", err.msg);
        return false;
    }
    gh_strlcpy(dst, tmp, len);
    return true;
}

bool http_form_int(struct http_form *f, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out)
{
    json_t *v = field(f, key, required);
    json_int_t x;
    if (v == NULL)
        return false;
    if (!json_is_integer(v)) {
        http_form_error(f, key, "must be an integer");
        return false;
    }
    x = json_integer_value(v);
    if (x < min || x > max) {
        http_form_error(f, key, "must be between %lld and %lld", (long long)min, (long long)max);
        return false;
    }
    *out = x;
    return true;
}

bool http_form_point(struct http_form *f, const char *key, bool required, int64_t limit,
                     bool *has, int32_t *x, int32_t *y)
{
    json_t *v = field(f, key, required), *jx, *jy;
    if (v == NULL)
        return false;
    if (json_is_null(v)) {
        *has = false;
        *x = *y = 0;
        return true;
    }
    jx = json_object_get(v, "x_m");
    jy = json_object_get(v, "y_m");
    if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_integer(jx) ||
        !json_is_integer(jy)) {
        http_form_error(f, key, "must be null or {\"x_m\": integer, \"y_m\": integer}");
        return false;
    }
    if (json_integer_value(jx) < -limit || json_integer_value(jx) > limit ||
        json_integer_value(jy) < -limit || json_integer_value(jy) > limit) {
        http_form_error(f, key, "x_m and y_m must be between %lld and %lld metres",
                        (long long)-limit, (long long)limit);
        return false;
    }
    *has = true;
    *x = (int32_t)json_integer_value(jx);
    *y = (int32_t)json_integer_value(jy);
    return true;
}

bool http_form_bool(struct http_form *f, const char *key, bool required, bool *out)
{
    json_t *v = field(f, key, required);
    if (v == NULL)
        return false;
    if (!json_is_boolean(v)) {
        http_form_error(f, key, "must be true or false");
        return false;
    }
    *out = json_is_true(v);
    return true;
}

bool http_form_time(struct http_form *f, const char *key, bool required, int64_t null_value,
                    int64_t *out)
{
    json_t *v = field(f, key, required);
    struct gh_err err = {{0}};
    if (v == NULL)
        return false;
    if (json_is_null(v)) {
        *out = null_value;
        return true;
    }
    if (!json_is_string(v)) {
        http_form_error(f, key, "must be an ISO-8601 time (e.g. 2026-01-31T08:00:00Z) or null");
        return false;
    }
    if (gh_parse_time(json_string_value(v), NULL, out, &err) < 0) {
        http_form_error(f, key, "%s", err.msg);
        return false;
    }
    return true;
}

bool http_form_ref(struct http_form *f, const char *key, bool required, bool nullable,
                   http_find_fn find, http_exists_fn exists, int64_t *out)
{
    json_t *v = field(f, key, required);
    struct store *st;
    int64_t id;
    int r;
    if (v == NULL)
        return false;
    if (json_is_null(v)) {
        if (!nullable) {
            http_form_error(f, key, "may not be null");
            return false;
        }
        *out = 0;
        return true;
    }
    st = http_store(f->r);
    if (json_is_integer(v)) {
        id = json_integer_value(v);
        if (id <= 0) {
            http_form_error(f, key, "must be a positive id");
            return false;
        }
        r = exists(st, id);
        if (r == -ENOENT) {
            http_form_error(f, key, "%lld does not exist", (long long)id);
            return false;
        }
    } else if (json_is_string(v)) {
        if (json_string_length(v) == 0 || json_string_length(v) >= MODEL_NAME_MAX) {
            http_form_error(f, key, "must be an id or a name of 1 to %d bytes", MODEL_NAME_MAX - 1);
            return false;
        }
        r = find(st, json_string_value(v), &id);
        if (r == -ENOENT) {
            http_form_error(f, key, "'%s' does not exist", json_string_value(v));
            return false;
        }
    } else {
        http_form_error(f, key, "must be an id (integer) or a name (string)");
        return false;
    }
    if (r < 0) {
        http_form_error(f, key, "could not be looked up: %s", store_errmsg(st));
        return false;
    }
    *out = id;
    return true;
}

bool http_form_enum(struct http_form *f, const char *key, bool required, const struct model_enum *e,
                    int *out)
{
    json_t *v = field(f, key, required);
    struct gh_err err = {{0}};
    if (v == NULL)
        return false;
    if (!json_is_string(v)) {
        http_form_error(f, key, "must be a string");
        return false;
    }
    if (model_enum_parse(e, json_string_value(v), out, &err) < 0) {
        http_form_error(f, key, "%s", err.msg);
        return false;
    }
    return true;
}

int http_form_finish(struct http_form *f)
{
    const char *key;
    json_t *v;
    int r = 0;
    if (f->overflow) /* a handler reads more fields than a form remembers: widen seen[] */
        log_error("form of %s %s: more than %zu fields read; unknown keys not checked",
                  f->r->method, f->r->url, GH_ARRAY_LEN(f->seen));
    if (f->obj != NULL && !f->overflow) {
        json_object_foreach(f->obj, key, v)
        {
            bool known = false;
            for (size_t i = 0; i < f->n_seen && !known; i++)
                known = strcmp(f->seen[i], key) == 0;
            if (!known)
                http_form_error(f, key, "is not a field of this request");
        }
    }
    if (json_array_size(f->errors) > 0) {
        size_t n = json_array_size(f->errors);
        http_problem(f->r, 422, "validation", f->errors, "%zu field%s of the request %s not valid",
                     n, n == 1 ? "" : "s", n == 1 ? "is" : "are");
        r = -EINVAL;
    } else {
        json_decref(f->errors);
    }
    f->errors = NULL;
    return r;
}
