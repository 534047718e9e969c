/*
 * json.c: JSON at the edge of the server. Request bodies are parsed with hard limits:
 * a depth scan runs first (jansson has no depth option), then jansson with duplicate keys
 * refused; the result must be an object. The public representations shared by several
 * handlers and the live stream (events, times) are built here.
 */
#include "http/http_int.h"

#include <string.h>

/* Finds the nesting depth of a JSON text without parsing it: brackets outside strings.
 * Returns the position where max_depth is first exceeded, or len when it never is. */
static size_t depth_scan(const char *s, size_t len, unsigned max_depth)
{
    unsigned depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return i;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return len;
}

static void line_col(const char *s, size_t pos, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int http_json_parse(const char *data, size_t len, unsigned max_depth, json_t **out,
                    struct gh_err *err)
{
    json_error_t je;
    json_t *v;
    size_t line, col, at;

    *out = NULL;
    if (len == 0)
        return gh_fail(err, -EINVAL, "the body is empty (a JSON object was expected)");
    at = depth_scan(data, len, max_depth);
    if (at < len) {
        line_col(data, at, &line, &col);
        return gh_fail(err, -EINVAL, "line %zu, column %zu: nested deeper than %u levels", line,
                       col, max_depth);
    }
    if (memchr(data, '\0', len) != NULL)
        return gh_fail(err, -EINVAL, "the body contains a NUL byte");
    v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL)
        return gh_fail(err, -EINVAL, "line %d, column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return gh_fail(err, -EINVAL, "the body must be a JSON object");
    }
    *out = v;
    return 0;
}

json_t *http_json_time(int64_t t_us)
{
    char buf[GH_ISO_LEN];
    if (t_us == GH_TIME_MIN || t_us == GH_TIME_MAX)
        return json_null();
    gh_format_iso(t_us, buf);
    return json_string(buf);
}

static json_t *ref_or_null(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

json_t *http_json_event(const struct event *ev)
{
    json_t *payload = NULL, *out;
    if (ev->payload[0] != '\0')
        payload = json_loads(ev->payload, 0, NULL);
    if (payload == NULL)
        payload = json_object();
    out = json_pack(
        "{s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "offset", (json_int_t)ev->offset, "time",
        http_json_time(ev->time_us), "type", event_type_name(ev->type), "door_id",
        ref_or_null(ev->door_id), "person_id", ref_or_null(ev->person_id), "credential_id",
        ref_or_null(ev->credential_id), "decision",
        ev->decision < 0 ? json_null() : json_string(ev->decision ? "granted" : "denied"), "reason",
        ev->reason < 0 ? json_null()
                       : json_string(access_reason_name((enum access_reason)ev->reason)),
        "payload", payload);
    if (ev->source != 0) /* a controller's: its key and journal sequence name it for good */
        json_object_set_new(out, "source",
                            json_pack("{s:I, s:I}", "key", (json_int_t)ev->source, "seq",
                                      (json_int_t)ev->source_seq));
    return out;
}
