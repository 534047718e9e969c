/*
 * fuzz_request.c: libFuzzer target for what the server parses from a request before any
 * handler logic: the router (src/http/router.c), query arguments and their typed readers,
 * the JSON body parser with its limits (src/http/json.c) and the form getters
 * (src/http/form.c).
 *
 * Input: "METHOD PATH[?QUERY]" on the first line, then optionally an empty line and the
 * body. The query is split on '&' and '=' and %-decoded as libmicrohttpd would. Whatever is
 * accepted must be consistent (a matched route's method and parameters, a reply after every
 * refusal, an error message with every parse failure); anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (64 * 1024)

static void release(struct http_req *r)
{
    if (r->response != NULL)
        MHD_destroy_response(r->response);
    r->response = NULL;
    r->replied = false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* In-place %-decoding and '+' to space, as for a query string. */
static void url_decode(char *s)
{
    char *w = s;
    for (char *p = s; *p != '\0'; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *w++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            *w++ = *p == '+' ? ' ' : *p;
        }
    }
    *w = '\0';
}

static void split_query(struct http_req *r, char *q)
{
    char *save = q;
    while (save != NULL && *save != '\0') {
        char *arg = save, *amp = strchr(save, '&'), *eq;
        save = amp != NULL ? amp + 1 : NULL;
        if (amp != NULL)
            *amp = '\0';
        eq = strchr(arg, '=');
        if (eq != NULL)
            *eq++ = '\0';
        url_decode(arg);
        if (eq != NULL)
            url_decode(eq);
        if (http_query_add(r, arg, eq != NULL ? eq : "") != 0) {
            if (r->n_query != (int)(sizeof(r->query) / sizeof(r->query[0])))
                abort(); /* only the count limit refuses an argument */
            break;
        }
    }
}

/* A typed reader either leaves no reply (absent or valid) or replies 400 and says so. */
static void check_typed(struct http_req *r, int rc)
{
    if (rc < 0) {
        if (!r->replied || r->status != 400 || rc != -EINVAL)
            abort();
    } else if (r->replied) {
        abort();
    }
    release(r);
}

static void read_query(struct http_req *r)
{
    int64_t i = 0, t = 0;
    bool b = false;
    int e = 0;
    check_typed(r, http_query_int(r, "limit", 1, 1000, &i));
    if (http_query(r, "limit") != NULL && http_query_int(r, "limit", 1, 1000, &i) == 1 &&
        (i < 1 || i > 1000))
        abort();
    release(r);
    check_typed(r, http_query_bool(r, "full", &b));
    check_typed(r, http_query_time(r, "from", &t));
    check_typed(r, http_query_enum(r, "type", &model_enum_event_type, &e));
    check_typed(r, http_query_enum(r, "decision", &model_enum_door_mode, &e));
}

static void read_form(struct http_req *r)
{
    struct http_form f;
    char name[128];
    int64_t n = 0, t = 0;
    bool b = false;
    int mode = 0;
    http_form_init(&f, r);
    http_form_name(&f, "name", false, name, sizeof(name));
    http_form_string(&f, "description", false, name, sizeof(name));
    if (http_form_int(&f, "unlock_seconds", false, 1, 3600, &n) && (n < 1 || n > 3600))
        abort();
    http_form_bool(&f, "enabled", false, &b);
    http_form_time(&f, "valid_from", false, GH_TIME_MIN, &t);
    http_form_enum(&f, "mode", false, &model_enum_door_mode, &mode);
    if (http_form_finish(&f) < 0) {
        if (!r->replied || r->status != 422)
            abort();
    } else if (r->replied) {
        abort();
    }
    release(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_req r;
    char *text, *line_end, *body = NULL, *sp, *path, *q;
    char allow[128];
    size_t body_len = 0;
    int idx;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    line_end = strstr(text, "\n");
    if (line_end != NULL) {
        *line_end = '\0';
        if (line_end[1] == '\n') {
            body = line_end + 2;
            body_len = size - (size_t)(body - text); /* may hold NUL bytes */
        }
    }

    memset(&r, 0, sizeof(r));
    gh_strlcpy(r.id, "rfuzz", sizeof(r.id));
    sp = strchr(text, ' ');
    if (sp == NULL)
        goto out;
    *sp = '\0';
    path = sp + 1;
    q = strchr(path, '?');
    if (q != NULL)
        *q++ = '\0';
    r.method = text;
    r.url = path;

    idx = http_route_match(text, path, r.path_buf, sizeof(r.path_buf), r.params, &r.n_params, allow,
                           sizeof(allow));
    if (idx >= 0) {
        const struct http_route *rt = &http_routes[idx];
        if ((size_t)idx >= http_routes_count || strcmp(rt->method, text) != 0 || r.n_params < 0 ||
            r.n_params > HTTP_MAX_PARAMS)
            abort();
        for (int i = 0; i < r.n_params; i++)
            if (r.params[i].value == NULL || r.params[i].value[0] == '\0' ||
                strchr(r.params[i].value, '/') != NULL)
                abort();
        r.route = rt;
        r.route_index = (size_t)idx;
        if (r.n_params > 0) {
            int64_t id = 0;
            int rc = http_param_id(&r, "id", &id);
            if (rc == 0 && id <= 0)
                abort();
            if (rc < 0 && r.status != 404)
                abort();
            release(&r);
        }
    } else if (idx == -EPERM) {
        if (allow[0] == '\0')
            abort();
    } else if (idx != -ENOENT) {
        abort();
    }

    if (q != NULL) {
        split_query(&r, q);
        read_query(&r);
    }

    if (body != NULL) {
        struct gh_err err = {0};
        json_t *obj = NULL;
        if (http_json_parse(body, body_len, 32, &obj, &err) == 0) {
            if (!json_is_object(obj))
                abort();
            r.json = obj;
            read_form(&r);
            json_decref(obj);
            r.json = NULL;
        } else if (err.msg[0] == '\0' || obj != NULL) {
            abort(); /* every refusal says why, and nothing is handed out */
        }
    }
out:
    release(&r);
    free(text);
    return 0;
}
