/*
 * incident.c: the incident workflow: opening (from a type and its procedure, or by hand),
 * the allowed status changes, notes, steps, assignees, links. Each change updates the row,
 * writes a timeline entry and appends an incident event, all in the caller's transaction.
 */
#include "incident/incident_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEPS_MAX      64
#define EVENT_TEXT_MAX 400 /* of a note, in the event (the timeline keeps all of it) */

void incident_config_init(struct incident_config *c)
{
    c->dedup_window_s = 3600;
}

/* ---- transitions ------------------------------------------------------------------------- */

/* allowed[from] is the set of statuses one may move to (bit per status) */
#define B(s) (1u << (s))
static const unsigned allowed[INC_STATUS_COUNT] = {
    [INC_NEW] = B(INC_ACKNOWLEDGED),
    [INC_ACKNOWLEDGED] = B(INC_INVESTIGATING) | B(INC_RESOLVED),
    [INC_INVESTIGATING] = B(INC_RESOLVED),
    [INC_RESOLVED] = B(INC_CLOSED) | B(INC_INVESTIGATING), /* reopened */
    [INC_CLOSED] = 0,
};
#undef B

bool incident_transition_allowed(enum incident_status from, enum incident_status to)
{
    return (unsigned)from < INC_STATUS_COUNT && (unsigned)to < INC_STATUS_COUNT &&
           (allowed[from] & (1u << to)) != 0;
}

void incident_transitions_from(enum incident_status from, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int s = 0; s < INC_STATUS_COUNT; s++)
        if (incident_transition_allowed(from, (enum incident_status)s))
            n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s",
                                  n ? ", " : "", incident_status_name((enum incident_status)s));
    if (n == 0)
        snprintf(buf, len, "none (it is %s)", incident_status_name(from));
}

/* ---- events and the timeline ---------------------------------------------------------------- */

/* Appends the incident event for a change (payload: incident, action, status, title,
 * severity, by and, when given, text cut to EVENT_TEXT_MAX). */
static int incident_event(struct store *st, const struct incident *x, const char *action,
                          const char *text, const char *who, int64_t now_us)
{
    struct event ev;
    char cut[EVENT_TEXT_MAX + 4];
    json_t *p = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s}", "incident", (json_int_t)x->id, "action",
                          action, "status", incident_status_name(x->status), "title", x->title,
                          "severity", x->severity, "by", who);
    int r;
    if (p != NULL && x->department_id != 0)
        json_object_set_new(p, "department_id", json_integer(x->department_id));
    if (p != NULL && x->drill_id != 0)
        json_object_set_new(p, "drill_id", json_integer(x->drill_id));
    if (p != NULL && text != NULL && text[0]) {
        gh_strlcpy(cut, text, EVENT_TEXT_MAX + 1);
        if (strlen(text) > EVENT_TEXT_MAX)
            memcpy(cut + EVENT_TEXT_MAX - 3, "...", 4);
        gh_utf8_mend(cut); /* a character cut in two */
        json_object_set_new(p, "text", json_string(cut));
    }
    if ((r = event_make(&ev, EV_INCIDENT, 0, 0, 0, p)) < 0)
        return r;
    ev.time_us = now_us;
    return store_event_append(st, &ev) < 0 ? -EIO : 0;
}

int incident_record(struct store *st, struct incident *x, const char *action, const char *who,
                    int64_t now_us, const char *text, struct gh_err *err)
{
    int r;
    x->updated_us = now_us;
    if ((r = store_incident_update(st, x, err)) < 0)
        return r;
    if (store_incident_note(st, x->id, now_us, who, action, text, NULL) < 0 ||
        incident_event(st, x, action, text, who, now_us) < 0)
        return gh_fail(err, -EIO, "incident %lld: the change was not recorded", (long long)x->id);
    return 0;
}

/* incident_record with the text from fmt. */
static int changed(struct store *st, struct incident *x, const char *action, const char *who,
                   int64_t now_us, struct gh_err *err, const char *fmt, ...) GH_PRINTF(7, 8);
static int changed(struct store *st, struct incident *x, const char *action, const char *who,
                   int64_t now_us, struct gh_err *err, const char *fmt, ...)
{
    char text[INCIDENT_TEXT_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    gh_utf8_mend(text);
    return incident_record(st, x, action, who, now_us, text, err);
}

static int load(struct store *st, int64_t id, struct incident *x, struct gh_err *err)
{
    int r = store_incident_get(st, id, x);
    if (r == -ENOENT)
        return gh_fail(err, r, "incident %lld does not exist", (long long)id);
    if (r < 0)
        return gh_fail(err, r, "incident %lld: %s", (long long)id, store_errmsg(st));
    return 0;
}

/* load() of an incident that may still change: a closed one is refused. */
static int load_open(struct store *st, int64_t id, struct incident *x, struct gh_err *err)
{
    int r = load(st, id, x, err);
    if (r == 0 && x->status == INC_CLOSED)
        return gh_fail(err, INCIDENT_E_TRANSITION, "incident %lld is closed: it changes no more",
                       (long long)id);
    return r;
}

/* ---- procedures ------------------------------------------------------------------------------ */

int incident_steps_check(const char *steps, struct gh_err *err)
{
    json_error_t je;
    json_t *a = json_loads(steps, JSON_REJECT_DUPLICATES, &je), *v;
    size_t i;
    int r = 0;
    if (a == NULL)
        return gh_fail(err, -EINVAL, "steps: %d:%d: %s", je.line, je.column, je.text);
    if (!json_is_array(a) || json_array_size(a) > STEPS_MAX) {
        json_decref(a);
        return gh_fail(err, -EINVAL, "steps: must be an array of at most %d steps", STEPS_MAX);
    }
    json_array_foreach(a, i, v)
    {
        json_t *text = json_object_get(v, "text"), *req = json_object_get(v, "required");
        if (!json_is_object(v) || !json_is_string(text) || json_string_length(text) == 0 ||
            json_string_length(text) >= INCIDENT_TEXT_MAX || !json_is_boolean(req) ||
            json_object_size(v) != 2) {
            r = gh_fail(err, -EINVAL,
                        "steps[%zu]: must be {\"text\": 1 to %d bytes, \"required\": true or "
                        "false}",
                        i, INCIDENT_TEXT_MAX - 1);
            break;
        }
    }
    json_decref(a);
    return r;
}

/* Copies a type's procedure into the incident's steps. */
static int copy_steps(struct store *st, int64_t incident_id, const char *steps, struct gh_err *err)
{
    json_t *a = json_loads(steps, 0, NULL), *v;
    size_t i;
    int r = 0;
    if (incident_steps_check(steps, err) < 0) {
        json_decref(a);
        return -EINVAL;
    }
    json_array_foreach(a, i, v)
    {
        struct incident_step s;
        memset(&s, 0, sizeof(s));
        s.incident_id = incident_id;
        s.idx = (int)i;
        gh_strlcpy(s.text, json_string_value(json_object_get(v, "text")), sizeof(s.text));
        s.required = json_is_true(json_object_get(v, "required"));
        if ((r = store_incident_step_put(st, &s, err)) < 0)
            break;
    }
    json_decref(a);
    return r;
}

/* ---- opening ------------------------------------------------------------------------------- */

/* When an incident of x's department escalates if nobody acknowledges it (0: never). */
static int64_t deadline_us(struct store *st, const struct incident *x, int64_t from_us)
{
    int64_t after_s = 0;
    if (x->department_id == 0 || store_department_escalation(st, x->department_id, &after_s) < 0 ||
        after_s <= 0)
        return 0;
    return from_us + after_s * GH_USEC_PER_SEC;
}

int incident_open(struct store *st, const struct incident_config *cfg, const char *type_name,
                  struct incident *x, const char *detail, const char *who, int64_t now_us,
                  struct gh_err *err)
{
    struct incident_type t = {0};
    int used, r;
    if (type_name != NULL) {
        if ((r = store_incident_type_find(st, type_name, &t)) < 0)
            return gh_fail(err, r == -ENOENT ? -EINVAL : r, "incident type '%s' %s", type_name,
                           r == -ENOENT ? "does not exist" : "cannot be read");
        x->type_id = t.id;
        gh_strlcpy(x->type, t.name, sizeof(x->type));
        if (x->title[0] == '\0')
            gh_strlcpy(x->title, t.title, sizeof(x->title));
        if (x->severity < t.severity)
            x->severity = t.severity;
        if (x->department_id == 0)
            x->department_id = t.department_id;
    } else if (x->type[0] == '\0') {
        gh_strlcpy(x->type, "other", sizeof(x->type));
    }
    if (x->severity < 1 || x->severity > 5)
        x->severity = 3;
    x->status = INC_NEW;
    x->opened_us = x->updated_us = now_us;
    x->acked_us = x->resolved_us = x->closed_us = 0;
    x->escalation_level = 0;
    x->escalate_at_us = deadline_us(st, x, now_us);
    r = store_incident_insert(st, x, err);
    if (r == 0 && t.steps != NULL)
        r = copy_steps(st, x->id, t.steps, err);
    store_incident_type_free(&t);
    if (r < 0)
        return r;
    if ((r = changed(st, x, "opened", who, now_us, err, "opened: %s (severity %d)", x->title,
                     x->severity)) < 0)
        return r;
    /* the department's liaison hears of it now; the escalation clock runs from here */
    return incident_notify_level(st, cfg, x, 0, "incident", detail, now_us, &used, err);
}

/* ---- changes ------------------------------------------------------------------------------- */

struct open_steps {
    char list[512];
    size_t n;
};

static int collect_open(void *ctx, const struct incident_step *s)
{
    struct open_steps *o = ctx;
    if (s->required && s->state == STEP_OPEN) {
        size_t len = strlen(o->list);
        if (len < sizeof(o->list) - 1)
            snprintf(o->list + len, sizeof(o->list) - len, "%s%d (%.60s%s)", o->n ? ", " : "",
                     s->idx + 1, s->text, strlen(s->text) > 60 ? "..." : "");
        o->n++;
    }
    return 0;
}

int incident_transition(struct store *st, int64_t id, enum incident_status to, const char *note,
                        const char *who, int64_t now_us, struct gh_err *err)
{
    struct incident x;
    enum incident_status from;
    char may[128];
    int r;
    if ((r = load(st, id, &x, err)) < 0)
        return r;
    from = x.status;
    if (!incident_transition_allowed(from, to)) {
        incident_transitions_from(from, may, sizeof(may));
        return gh_fail(err, INCIDENT_E_TRANSITION,
                       "incident %lld cannot go from %s to %s; from %s it may go to: %s",
                       (long long)id, incident_status_name(from), incident_status_name(to),
                       incident_status_name(from), may);
    }
    if (to == INC_RESOLVED) {
        struct open_steps o = {{0}, 0};
        if ((r = store_incident_step_list(st, id, collect_open, &o)) < 0)
            return gh_fail(err, r, "incident %lld: reading its steps", (long long)id);
        if (o.n > 0)
            return gh_fail(err, INCIDENT_E_STEPS,
                           "incident %lld cannot be resolved: %zu required step%s open: %s; "
                           "do them or skip them with a reason",
                           (long long)id, o.n, o.n == 1 ? " is" : "s are", o.list);
    }
    x.status = to;
    if (to == INC_ACKNOWLEDGED) {
        x.acked_us = now_us;
        x.escalate_at_us = 0; /* someone has it */
    } else if (to == INC_RESOLVED) {
        x.resolved_us = now_us;
    } else if (to == INC_CLOSED) {
        x.closed_us = now_us;
    } else if (to == INC_INVESTIGATING && from == INC_RESOLVED) {
        x.resolved_us = 0; /* reopened */
    }
    return changed(st, &x, "status", who, now_us, err, "%s -> %s%s%s", incident_status_name(from),
                   incident_status_name(to), note && note[0] ? ": " : "", note ? note : "");
}

/* Free text of an operator: 1..INCIDENT_TEXT_MAX-1 bytes of UTF-8, lines and tabs but no
 * other control characters. */
static int check_text(const char *field, const char *text, struct gh_err *err)
{
    size_t n = text ? strlen(text) : 0, k;
    if (n == 0 || n >= INCIDENT_TEXT_MAX)
        return gh_fail(err, -EINVAL, "%s: must be 1 to %d bytes", field, INCIDENT_TEXT_MAX - 1);
    for (size_t i = 0; i < n; i += k) {
        unsigned char c = (unsigned char)text[i];
        if ((k = gh_utf8_seq(text + i, n - i)) == 0)
            return gh_fail(err, -EINVAL, "%s: byte %zu is not valid UTF-8", field, i + 1);
        if (k == 1 && (c < 0x20 || c == 0x7f) && c != '\n' && c != '\t')
            return gh_fail(err, -EINVAL, "%s: byte %zu is a control character", field, i + 1);
    }
    return 0;
}

int incident_note(struct store *st, int64_t id, const char *text, const char *who, int64_t now_us,
                  struct gh_err *err)
{
    struct incident x;
    int r;
    if ((r = check_text("text", text, err)) < 0 || (r = load_open(st, id, &x, err)) < 0)
        return r;
    return changed(st, &x, "note", who, now_us, err, "%s", text);
}

int incident_step_set(struct store *st, int64_t id, int idx, enum step_state state,
                      const char *reason, const char *who, int64_t now_us, struct gh_err *err)
{
    struct incident x;
    struct incident_step s;
    int r;
    if ((r = load_open(st, id, &x, err)) < 0)
        return r;
    if ((r = store_incident_step_get(st, id, idx, &s)) < 0)
        return gh_fail(err, r == -ENOENT ? -ENOENT : r, "incident %lld has no step %d",
                       (long long)id, idx + 1);
    if (state == STEP_SKIPPED && (r = check_text("reason", reason, err)) < 0)
        return gh_fail(err, -EINVAL, "reason: skipping a step needs a reason (1 to %d bytes)",
                       INCIDENT_TEXT_MAX - 1);
    s.state = state;
    gh_strlcpy(s.reason, state == STEP_SKIPPED ? reason : "", sizeof(s.reason));
    gh_strlcpy(s.by, state == STEP_OPEN ? "" : who, sizeof(s.by));
    s.time_us = state == STEP_OPEN ? 0 : now_us;
    if ((r = store_incident_step_put(st, &s, err)) < 0)
        return r;
    return changed(st, &x, "step", who, now_us, err, "step %d %s: %s%s%s", idx + 1,
                   state == STEP_DONE      ? "done"
                   : state == STEP_SKIPPED ? "skipped"
                                           : "reopened",
                   s.text, state == STEP_SKIPPED ? "; reason: " : "",
                   state == STEP_SKIPPED ? reason : "");
}

int incident_assign(struct store *st, int64_t id, int64_t user_id, const char *user_name, bool add,
                    const char *who, int64_t now_us, struct gh_err *err)
{
    struct incident x;
    int r;
    if ((r = load_open(st, id, &x, err)) < 0)
        return r;
    if ((r = store_incident_assign(st, id, user_id, add, err)) < 0)
        return r;
    if (r == 1)
        return 0; /* nothing changed */
    return changed(st, &x, "assign", who, now_us, err, "%s %s", add ? "assigned" : "unassigned",
                   user_name);
}

static const char *const link_kinds[] = {"event", "person", "door", "controller", "alarm", "clip"};

int incident_link(struct store *st, int64_t id, const char *kind, const char *ref, bool add,
                  const char *who, int64_t now_us, struct gh_err *err)
{
    struct incident x;
    bool known = false;
    int64_t n;
    int r;
    for (size_t i = 0; i < GH_ARRAY_LEN(link_kinds); i++)
        known = known || strcmp(kind, link_kinds[i]) == 0;
    if (!known)
        return gh_fail(err, -EINVAL,
                       "kind: '%s' is not one of event, person, door, controller, alarm, clip",
                       kind);
    if (strcmp(kind, "clip") == 0) {
        if ((strncmp(ref, "https://", 8) != 0 && strncmp(ref, "http://", 7) != 0) ||
            strlen(ref) > 1000 || !gh_utf8_valid_text(ref, strlen(ref)))
            return gh_fail(err, -EINVAL, "ref: a clip is an http(s) URL of at most 1000 bytes");
    } else if (gh_parse_i64(ref, 1, INT64_MAX, &n) < 0) {
        return gh_fail(err, -EINVAL, "ref: a %s is linked by its id (a positive integer)", kind);
    }
    if ((r = load_open(st, id, &x, err)) < 0)
        return r;
    if ((r = store_incident_link(st, id, kind, ref, add, err)) < 0)
        return r;
    if (r == 1)
        return 0;
    return changed(st, &x, "link", who, now_us, err, "%s %s %s", add ? "linked" : "unlinked", kind,
                   ref);
}

int incident_update(struct store *st, const struct incident *x, const char *who, int64_t now_us,
                    struct gh_err *err)
{
    struct incident old;
    char what[INCIDENT_TITLE_MAX + 128] = "";
    size_t n = 0;
    int r;
    if ((r = load_open(st, x->id, &old, err)) < 0)
        return r;
    if (strcmp(old.title, x->title) != 0)
        n += (size_t)snprintf(what + n, sizeof(what) - n, "title '%s'", x->title);
    if (old.severity != x->severity && n < sizeof(what))
        n += (size_t)snprintf(what + n, sizeof(what) - n, "%sseverity %d", n ? ", " : "",
                              x->severity);
    if (old.department_id != x->department_id && n < sizeof(what)) {
        struct department d;
        if (x->department_id != 0 && store_department_get(st, x->department_id, &d) < 0)
            return gh_fail(err, -EINVAL, "department_id: department %lld does not exist",
                           (long long)x->department_id);
        snprintf(what + n, sizeof(what) - n, "%sdepartment %s", n ? ", " : "",
                 x->department_id ? d.name : "(none)");
    }
    if (what[0] == '\0')
        return 0;
    old.severity = x->severity;
    old.department_id = x->department_id;
    gh_strlcpy(old.title, x->title, sizeof(old.title));
    return changed(st, &old, "update", who, now_us, err, "changed %s", what);
}

/* A media type: "type/subtype" of token characters (parameters are dropped). */
static bool media_type(const char *m, char *out, size_t len)
{
    size_t n = strcspn(m, ";"), slash = 0;
    while (n > 0 && m[n - 1] == ' ')
        n--;
    if (n == 0 || n >= len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = m[i];
        if (c == '/')
            slash++;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   strchr("!#$&^_.+-", c)))
            return false;
    }
    if (slash != 1 || m[0] == '/' || m[n - 1] == '/')
        return false;
    memcpy(out, m, n);
    out[n] = '\0';
    return true;
}

int incident_attach(struct store *st, int64_t id, const char *name, const char *mime,
                    const void *data, size_t len, const char *who, int64_t now_us,
                    struct attachment *row, struct gh_err *err)
{
    struct incident x;
    uint8_t h[32];
    int r;
    memset(row, 0, sizeof(*row));
    if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(row->name) ||
        !gh_utf8_valid_text(name, strlen(name)) || strpbrk(name, "/\\") != NULL)
        return gh_fail(err, -EINVAL,
                       "name: a file name of 1 to %d bytes of printable UTF-8, without / or \\",
                       (int)sizeof(row->name) - 1);
    if (!media_type(mime && mime[0] ? mime : "application/octet-stream", row->mime,
                    sizeof(row->mime)))
        return gh_fail(err, -EINVAL, "Content-Type: '%.60s' is not a media type", mime);
    if (len == 0 || len > INCIDENT_ATTACHMENT_MAX)
        return gh_fail(err, -EINVAL, "the file must be 1 byte to %u MiB",
                       INCIDENT_ATTACHMENT_MAX >> 20);
    if ((r = load_open(st, id, &x, err)) < 0)
        return r;
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(row->sha256, sizeof(row->sha256), h, sizeof(h));
    row->incident_id = id;
    gh_strlcpy(row->name, name, sizeof(row->name));
    gh_strlcpy(row->by, who, sizeof(row->by));
    row->time_us = now_us;
    if ((r = store_attachment_insert(st, row, data, len, err)) < 0)
        return r;
    return changed(st, &x, "attach", who, now_us, err, "attached %s (%zu bytes, %s, sha256 %.16s)",
                   name, len, row->mime, row->sha256);
}
