/*
 * incident.c: alarms, incidents, incident types and access reviews. Thin: each handler
 * reads and checks its input, calls src/incident in one write transaction, and renders.
 * A status change the workflow does not allow is 409 `invalid-transition`; a resolve with
 * required steps open is 409 `steps-open`, each open step named in errors.
 */
#include "http/handlers/shared.h"

#include <stdio.h>
#include <string.h>

/* ---- shared ---------------------------------------------------------------------------- */

/* "open,acknowledged" into a bit per status; 400 when a name is unknown. */
static int query_statuses(struct http_req *r, const struct model_enum *e, unsigned *mask)
{
    const char *v = http_query(r, "status");
    *mask = 0;
    if (v == NULL || v[0] == '\0')
        return 0;
    for (const char *p = v; *p;) {
        char name[32];
        size_t n = strcspn(p, ",");
        int s;
        struct gh_err err = {{0}};
        if (n >= sizeof(name)) {
            http_problem(r, 400, "bad-request", NULL, "status: '%.*s' is not a %s", (int)n, p,
                         e->what);
            return -EINVAL;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        if (model_enum_parse(e, name, &s, &err) < 0) {
            http_problem(r, 400, "bad-request", NULL, "status: %s", err.msg);
            return -EINVAL;
        }
        *mask |= 1u << s;
        p += n + (p[n] == ',');
    }
    return 0;
}

static json_t *json_time_or_null(int64_t us)
{
    return us ? http_json_time(us) : json_null();
}

static json_t *handled(int64_t at, const char *by)
{
    return at ? json_pack("{s:o, s:s}", "at", http_json_time(at), "by", by) : json_null();
}

/* The rollback and the reply for an error of src/incident. */
static int incident_fail(struct http_req *r, int rc, const struct gh_err *err)
{
    const char *msg = err->msg[0] ? err->msg : gh_strerror(rc);
    const char *colon = strstr(msg, ": ");
    http_write_rollback(r);
    if (rc == INCIDENT_E_TRANSITION)
        return http_problem(r, 409, "invalid-transition", NULL, "%s", msg);
    if (rc == -EINVAL && colon != NULL && (size_t)(colon - msg) < 40 &&
        strcspn(msg, " ") > (size_t)(colon - msg - 1)) { /* "field: what" */
        char field[48];
        snprintf(field, sizeof(field), "%.*s", (int)(colon - msg), msg);
        return http_problem(r, 422, "validation",
                            json_pack("[{s:s, s:s}]", "field", field, "detail", colon + 2), "%s",
                            msg);
    }
    return http_problem_from(r, rc, err);
}

/* ---- alarms ---------------------------------------------------------------------------- */

static json_t *alarm_json(const struct alarm *a)
{
    return json_pack("{s:I, s:s, s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, "
                     "s:o, s:o, s:o, s:o, s:o}",
                     "id", (json_int_t)a->id, "type", a->type, "key", a->key, "severity",
                     a->severity, "status", alarm_status_name(a->status), "detail", a->detail,
                     "door_id", json_ref(a->door_id), "person_id", json_ref(a->person_id),
                     "credential_id", json_ref(a->credential_id), "controller_id",
                     json_ref(a->controller_id), "first", http_json_time(a->first_us), "last",
                     http_json_time(a->last_us), "raised", http_json_time(a->raised_us), "count",
                     (json_int_t)a->count, "event", json_ref(a->first_offset), "last_event",
                     json_ref(a->last_offset), "acknowledged", handled(a->acked_us, a->acked_by),
                     "cleared", handled(a->cleared_us, a->cleared_by), "incident_id",
                     json_ref(a->incident_id), "drill_id", json_ref(a->drill_id));
}

static int list_alarm(void *ctx, const struct alarm *a)
{
    return page_add(ctx, a->id, alarm_json(a));
}

HTTP_HANDLER(h_alarm_list)
{
    struct page p;
    struct store_alarm_filter f = {0, 0, 0, 0};
    if (page_begin(&p, r) < 0 || query_statuses(r, &model_enum_alarm_status, &f.statuses) < 0 ||
        http_query_int(r, "incident_id", 1, INT64_MAX, &f.incident_id) < 0)
        return 0;
    f.before_id = p.after; /* newest first: the cursor is the last id of the page before */
    f.limit = p.limit + 1;
    return page_reply(&p, store_alarm_list(http_store(r), &f, list_alarm, &p));
}

HTTP_HANDLER(h_alarm_get)
{
    struct alarm a;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_alarm_get(http_store(r), id, &a)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, alarm_json(&a));
}

static int alarm_handle(struct http_req *r, bool ack)
{
    struct alarm a;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_alarm_handle(http_store(r), id, ack, r->caller.name, gh_now_us(), &err);
    if (rc < 0)
        return incident_fail(r, rc, &err);
    if (store_alarm_get(http_store(r), id, &a) < 0) {
        http_write_rollback(r);
        return http_problem(r, 500, "internal", NULL, "alarm %lld vanished", (long long)id);
    }
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, alarm_json(&a));
}

HTTP_HANDLER(h_alarm_ack)
{
    return alarm_handle(r, true);
}

HTTP_HANDLER(h_alarm_clear)
{
    return alarm_handle(r, false);
}

/* ---- incidents --------------------------------------------------------------------------- */

static json_t *incident_json(struct store *st, const struct incident *x)
{
    struct department d;
    json_t *may = json_array();
    for (int s = 0; s < INC_STATUS_COUNT; s++)
        if (incident_transition_allowed(x->status, (enum incident_status)s))
            json_array_append_new(may, json_string(incident_status_name((enum incident_status)s)));
    if (x->department_id == 0 || store_department_get(st, x->department_id, &d) < 0)
        d.name[0] = '\0';
    return json_pack(
        "{s:I, s:s, s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, "
        "s:o, s:o}",
        "id", (json_int_t)x->id, "type", x->type, "title", x->title, "severity", x->severity,
        "status", incident_status_name(x->status), "department_id", json_ref(x->department_id),
        "department", d.name[0] ? json_string(d.name) : json_null(), "opened",
        http_json_time(x->opened_us), "updated", http_json_time(x->updated_us), "acknowledged",
        json_time_or_null(x->acked_us), "resolved", json_time_or_null(x->resolved_us), "closed",
        json_time_or_null(x->closed_us), "escalation_level", x->escalation_level, "escalates",
        json_time_or_null(x->escalate_at_us), "drill_id", json_ref(x->drill_id), "next", may);
}

static int on_step(void *ctx, const struct incident_step *s)
{
    json_array_append_new(ctx, json_pack("{s:i, s:s, s:b, s:s, s:o, s:o, s:o}", "number",
                                         s->idx + 1, "text", s->text, "required", s->required,
                                         "state", step_state_name(s->state), "reason",
                                         s->reason[0] ? json_string(s->reason) : json_null(), "by",
                                         s->by[0] ? json_string(s->by) : json_null(), "at",
                                         json_time_or_null(s->time_us)));
    return 0;
}

static int on_entry(void *ctx, const struct incident_entry *e)
{
    json_array_append_new(ctx, json_pack("{s:I, s:o, s:s, s:s, s:s}", "id", (json_int_t)e->id, "at",
                                         http_json_time(e->time_us), "who", e->who, "kind", e->kind,
                                         "text", e->text));
    return 0;
}

static int on_link(void *ctx, const char *kind, const char *ref)
{
    json_array_append_new(ctx, json_pack("{s:s, s:s}", "kind", kind, "ref", ref));
    return 0;
}

struct assignees {
    struct store *st;
    json_t *arr;
};

static int on_assignee(void *ctx, int64_t id)
{
    struct assignees *a = ctx;
    struct user u;
    json_array_append_new(a->arr, json_pack("{s:I, s:s}", "id", (json_int_t)id, "name",
                                            store_user_get(a->st, id, &u) == 0 ? u.name : "?"));
    return 0;
}

static json_t *attachment_json(const struct attachment *a);

static int on_attachment(void *ctx, const struct attachment *a)
{
    json_array_append_new(ctx, attachment_json(a));
    return 0;
}

static int on_incident_alarm(void *ctx, const struct alarm *a)
{
    json_array_append_new(ctx, alarm_json(a));
    return 0;
}

/* The whole incident: its row, steps, timeline, links, assignees and alarms. */
static json_t *incident_full(struct store *st, const struct incident *x)
{
    json_t *j = incident_json(st, x), *steps = json_array(), *timeline = json_array(),
           *links = json_array(), *alarms = json_array(), *files = json_array();
    struct assignees as = {st, json_array()};
    struct store_alarm_filter f = {0, 0, x->id, 200};
    store_incident_step_list(st, x->id, on_step, steps);
    store_incident_timeline(st, x->id, on_entry, timeline);
    store_incident_links(st, x->id, on_link, links);
    store_incident_assignees(st, x->id, on_assignee, &as);
    store_alarm_list(st, &f, on_incident_alarm, alarms);
    store_attachment_list(st, x->id, on_attachment, files);
    json_object_set_new(j, "steps", steps);
    json_object_set_new(j, "timeline", timeline);
    json_object_set_new(j, "links", links);
    json_object_set_new(j, "assignees", as.arr);
    json_object_set_new(j, "alarms", alarms);
    json_object_set_new(j, "attachments", files);
    return j;
}

struct incident_page {
    struct page p;
    struct store *st;
};

static int list_incident(void *ctx, const struct incident *x)
{
    struct incident_page *l = ctx;
    return page_add(&l->p, x->id, incident_json(l->st, x));
}

HTTP_HANDLER(h_incident_list)
{
    struct incident_page l;
    struct store_incident_filter f = {0, 0, 0, 0, 0};
    bool drills = true;
    if (page_begin(&l.p, r) < 0 ||
        query_statuses(r, &model_enum_incident_status, &f.statuses) < 0 ||
        http_query_int(r, "department_id", 1, INT64_MAX, &f.department_id) < 0 ||
        http_query_int(r, "drill_id", 1, INT64_MAX, &f.drill_id) < 0 ||
        http_query_bool(r, "drills", &drills) < 0)
        return 0;
    if (!drills && f.drill_id == 0)
        f.drill_id = -1; /* real incidents only */
    l.st = http_store(r);
    f.before_id = l.p.after;
    f.limit = l.p.limit + 1;
    return page_reply(&l.p, store_incident_list(l.st, &f, list_incident, &l));
}

static int load_incident(struct http_req *r, struct incident *x)
{
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return -EINVAL;
    if ((rc = store_incident_get(http_store(r), id, x)) < 0) {
        http_problem_from(r, rc, NULL);
        return rc;
    }
    return 0;
}

HTTP_HANDLER(h_incident_get)
{
    struct incident x;
    if (load_incident(r, &x) < 0)
        return 0;
    return http_reply_json(r, 200, incident_full(http_store(r), &x));
}

/* Commits and replies with the incident as it is now. */
static int reply_incident(struct http_req *r, int64_t id, unsigned status)
{
    struct incident x;
    json_t *body;
    if (store_incident_get(http_store(r), id, &x) < 0) {
        http_write_rollback(r);
        return http_problem(r, 500, "internal", NULL, "incident %lld vanished", (long long)id);
    }
    body = incident_full(http_store(r), &x);
    if (http_write_commit(r) < 0) {
        json_decref(body);
        return 0;
    }
    if (status == 201) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/incidents/%lld", (long long)id);
        http_reply_header(r, "Location", loc);
    }
    return http_reply_json(r, status, body);
}

HTTP_HANDLER(h_incident_create)
{
    struct http_form f;
    struct incident x;
    struct gh_err err = {{0}};
    char type[ALARM_TYPE_MAX] = "", note[INCIDENT_TEXT_MAX] = "";
    int64_t v;
    int rc;
    memset(&x, 0, sizeof(x));
    http_form_init(&f, r);
    http_form_string(&f, "type", false, type, sizeof(type));
    http_form_string(&f, "title", false, x.title, sizeof(x.title));
    if (http_form_int(&f, "severity", false, 1, 5, &v))
        x.severity = (int)v;
    http_form_ref(&f, "department_id", false, true, ref_find_department, ref_department_exists,
                  &x.department_id);
    http_form_string(&f, "note", false, note, sizeof(note));
    if (type[0] == '\0' && x.title[0] == '\0')
        http_form_error(&f, "title", "is required when no type is given");
    if (x.title[0] != '\0' && model_check_name("title", x.title, &err) < 0)
        http_form_error(&f, "title", "%s", err.msg);
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_open(http_store(r), &r->srv->cfg.rules.inc, type[0] ? type : NULL, &x,
                       note[0] ? note : NULL, r->caller.name, gh_now_us(), &err);
    if (rc == 0 && note[0])
        rc = incident_note(http_store(r), x.id, note, r->caller.name, gh_now_us(), &err);
    if (rc < 0) {
        if (rc == -EINVAL && type[0] && strstr(err.msg, "incident type") == err.msg) {
            http_write_rollback(r);
            return http_problem(r, 422, "validation",
                                json_pack("[{s:s, s:s}]", "field", "type", "detail", err.msg), "%s",
                                err.msg);
        }
        return incident_fail(r, rc, &err);
    }
    return reply_incident(r, x.id, 201);
}

HTTP_HANDLER(h_incident_update)
{
    struct http_form f;
    struct incident x;
    struct gh_err err = {{0}};
    int64_t v;
    int rc;
    if (load_incident(r, &x) < 0)
        return 0;
    http_form_init(&f, r);
    if (http_form_string(&f, "title", false, x.title, sizeof(x.title)) &&
        model_check_name("title", x.title, &err) < 0)
        http_form_error(&f, "title", "%s", err.msg);
    if (http_form_int(&f, "severity", false, 1, 5, &v))
        x.severity = (int)v;
    http_form_ref(&f, "department_id", false, true, ref_find_department, ref_department_exists,
                  &x.department_id);
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = incident_update(http_store(r), &x, r->caller.name, gh_now_us(), &err)) < 0)
        return incident_fail(r, rc, &err);
    return reply_incident(r, x.id, 200);
}

struct open_errors {
    json_t *errors;
};

static int open_step_error(void *ctx, const struct incident_step *s)
{
    struct open_errors *o = ctx;
    char field[32];
    if (s->required && s->state == STEP_OPEN) {
        snprintf(field, sizeof(field), "steps[%d]", s->idx + 1);
        json_array_append_new(o->errors,
                              json_pack("{s:s, s:s}", "field", field, "detail", s->text));
    }
    return 0;
}

HTTP_HANDLER(h_incident_status)
{
    struct http_form f;
    struct incident x;
    struct gh_err err = {{0}};
    char note[INCIDENT_TEXT_MAX] = "";
    int to = -1, rc;
    if (load_incident(r, &x) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_enum(&f, "status", true, &model_enum_incident_status, &to);
    http_form_string(&f, "note", false, note, sizeof(note));
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_transition(http_store(r), x.id, (enum incident_status)to, note, r->caller.name,
                             gh_now_us(), &err);
    if (rc == INCIDENT_E_STEPS) {
        struct open_errors o = {json_array()};
        store_incident_step_list(http_store(r), x.id, open_step_error, &o);
        http_write_rollback(r);
        return http_problem(r, 409, "steps-open", o.errors, "%s", err.msg);
    }
    if (rc < 0)
        return incident_fail(r, rc, &err);
    return reply_incident(r, x.id, 200);
}

HTTP_HANDLER(h_incident_note)
{
    struct http_form f;
    struct incident x;
    struct gh_err err = {{0}};
    char text[INCIDENT_TEXT_MAX] = "";
    int rc;
    if (load_incident(r, &x) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_string(&f, "text", true, text, sizeof(text));
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = incident_note(http_store(r), x.id, text, r->caller.name, gh_now_us(), &err)) < 0)
        return incident_fail(r, rc, &err);
    return reply_incident(r, x.id, 200);
}

HTTP_HANDLER(h_incident_step)
{
    struct http_form f;
    struct incident x;
    struct gh_err err = {{0}};
    char reason[INCIDENT_TEXT_MAX] = "";
    int64_t number;
    int state = -1, rc;
    if (load_incident(r, &x) < 0 || http_param_id(r, "number", &number) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_enum(&f, "state", true, &model_enum_step_state, &state);
    http_form_string(&f, "reason", false, reason, sizeof(reason));
    if (state == STEP_SKIPPED && reason[0] == '\0')
        http_form_error(&f, "reason", "is required to skip a step");
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_step_set(http_store(r), x.id, number > 1000 ? 1000 : (int)number - 1,
                           (enum step_state)state, reason, r->caller.name, gh_now_us(), &err);
    if (rc < 0)
        return incident_fail(r, rc, &err);
    return reply_incident(r, x.id, 200);
}

static int assignee(struct http_req *r, bool add)
{
    struct incident x;
    struct user u;
    struct gh_err err = {{0}};
    int64_t uid;
    int rc;
    if (load_incident(r, &x) < 0 || http_param_id(r, "user_id", &uid) < 0)
        return 0;
    if (store_user_get(http_store(r), uid, &u) < 0)
        return http_problem(r, 404, "not-found", NULL, "user %lld does not exist", (long long)uid);
    if (http_write_begin(r) < 0)
        return 0;
    rc = incident_assign(http_store(r), x.id, uid, u.name, add, r->caller.name, gh_now_us(), &err);
    if (rc < 0)
        return incident_fail(r, rc, &err);
    return reply_incident(r, x.id, 200);
}

HTTP_HANDLER(h_incident_assign)
{
    return assignee(r, true);
}

HTTP_HANDLER(h_incident_unassign)
{
    return assignee(r, false);
}

HTTP_HANDLER(h_incident_link)
{
    struct http_form f;
    struct incident x;
    struct gh_err err = {{0}};
    char kind[16] = "", ref[1024] = "";
    bool remove = false;
    int rc;
    if (load_incident(r, &x) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_string(&f, "kind", true, kind, sizeof(kind));
    http_form_string(&f, "ref", true, ref, sizeof(ref));
    http_form_bool(&f, "remove", false, &remove);
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_link(http_store(r), x.id, kind, ref, !remove, r->caller.name, gh_now_us(), &err);
    if (rc < 0)
        return incident_fail(r, rc, &err);
    return reply_incident(r, x.id, 200);
}

/* ---- incident types ---------------------------------------------------------------------- */

static json_t *type_json(const struct incident_type *t)
{
    json_t *steps = json_loads(t->steps ? t->steps : "[]", 0, NULL), *alarms = json_array();
    for (const char *p = t->alarm_types; *p;) {
        size_t n = strcspn(p, " ");
        if (n > 0)
            json_array_append_new(alarms, json_stringn(p, n));
        p += n + (p[n] == ' ');
    }
    return json_pack("{s:I, s:s, s:s, s:o, s:i, s:o, s:o}", "id", (json_int_t)t->id, "name",
                     t->name, "title", t->title, "department_id", json_ref(t->department_id),
                     "severity", t->severity, "alarm_types", alarms, "steps",
                     steps ? steps : json_array());
}

static int list_type(void *ctx, const struct incident_type *t)
{
    struct page *p = ctx;
    if (t->id <= p->after)
        return 0;
    return page_add(p, t->id, type_json(t));
}

HTTP_HANDLER(h_incident_type_list)
{
    struct page p;
    if (page_begin(&p, r) < 0)
        return 0;
    return page_reply(&p, store_incident_type_list(http_store(r), list_type, &p));
}

HTTP_HANDLER(h_incident_type_get)
{
    struct incident_type t = {0};
    json_t *j;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_incident_type_get(http_store(r), id, &t)) < 0)
        return http_problem_from(r, rc, NULL);
    j = type_json(&t);
    store_incident_type_free(&t);
    return http_reply_json(r, 200, j);
}

struct alarm_owner {
    const char *alarm_type;
    int64_t self;
    char owner[ALARM_TYPE_MAX];
};

static int find_owner(void *ctx, const struct incident_type *t)
{
    struct alarm_owner *o = ctx;
    if (t->id == o->self || !incident_type_opens(t, o->alarm_type))
        return 0;
    gh_strlcpy(o->owner, t->name, sizeof(o->owner));
    return 1;
}

/* Reads the fields of an incident type; each alarm type (a detector's or a custom rule's)
 * may open incidents of one type only. */
static void type_form(struct http_req *r, struct http_form *f, struct incident_type *t, bool create)
{
    struct gh_err err = {{0}};
    json_t *v;
    int64_t sev;
    if (http_form_string(f, "name", create, t->name, sizeof(t->name)) &&
        model_check_ext_id("name", t->name, &err) < 0)
        http_form_error(f, "name", "%s", err.msg);
    if (http_form_string(f, "title", create, t->title, sizeof(t->title)) &&
        model_check_name("title", t->title, &err) < 0)
        http_form_error(f, "title", "%s", err.msg);
    http_form_ref(f, "department_id", false, true, ref_find_department, ref_department_exists,
                  &t->department_id);
    if (http_form_int(f, "severity", false, 1, 5, &sev))
        t->severity = (int)sev;
    if ((v = http_form_json(f, "alarm_types", false)) != NULL) {
        size_t i, n = 0;
        json_t *x;
        char list[sizeof(t->alarm_types)] = "";
        if (!json_is_array(v)) {
            http_form_error(f, "alarm_types", "must be an array of detector names");
        } else {
            json_array_foreach(v, i, x)
            {
                struct alarm_owner o = {json_string_value(x), t->id, ""};
                if (!rules_word_valid(o.alarm_type, 40)) {
                    http_form_error(f, "alarm_types",
                                    "[%zu] is not an alarm type (a detector's, docs/rules.md, or "
                                    "a custom rule's: 1 to 40 of a-z 0-9 _ : - .)",
                                    i);
                    continue;
                }
                store_incident_type_list(http_store(r), find_owner, &o);
                if (o.owner[0])
                    http_form_error(f, "alarm_types", "%s already opens incidents of type '%s'",
                                    o.alarm_type, o.owner);
                n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
                                      n ? " " : "", o.alarm_type);
            }
            gh_strlcpy(t->alarm_types, list, sizeof(t->alarm_types));
        }
    }
    if ((v = http_form_json(f, "steps", false)) != NULL) {
        char *text = json_dumps(v, JSON_COMPACT);
        if (text == NULL || incident_steps_check(text, &err) < 0) {
            /* "steps: ..." or "steps[2]: ...": the field is in the message */
            http_form_error(f, "steps", "%s", err.msg[0] ? err.msg : "is not valid");
            free(text);
        } else {
            free(t->steps);
            t->steps = text;
        }
    }
}

/* Reads the form into t (a new type, or the stored one), saves it, commits, replies. Frees
 * t's steps. */
static int type_save(struct http_req *r, struct incident_type *t, bool create)
{
    struct http_form f;
    struct gh_err err = {{0}};
    json_t *body;
    int rc;
    http_form_init(&f, r);
    type_form(r, &f, t, create);
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0) {
        store_incident_type_free(t);
        return 0;
    }
    rc = create ? store_incident_type_insert(http_store(r), t, &err)
                : store_incident_type_update(http_store(r), t, &err);
    body = rc == 0 ? type_json(t) : NULL;
    store_incident_type_free(t);
    if (rc < 0)
        return fail_rollback(r, rc, &err);
    if (http_write_commit(r) < 0) {
        json_decref(body);
        return 0;
    }
    return create ? reply_created(r, "incident-types", t->id, body) : http_reply_json(r, 200, body);
}

HTTP_HANDLER(h_incident_type_create)
{
    struct incident_type t;
    memset(&t, 0, sizeof(t));
    t.severity = 3;
    t.steps = xstrdup("[]");
    return type_save(r, &t, true);
}

HTTP_HANDLER(h_incident_type_update)
{
    struct incident_type t = {0};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_incident_type_get(http_store(r), id, &t)) < 0)
        return http_problem_from(r, rc, NULL);
    return type_save(r, &t, false);
}

HTTP_HANDLER(h_incident_type_delete)
{
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_incident_type_delete(http_store(r), id, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_empty(r, 204);
}

/* ---- access reviews ---------------------------------------------------------------------- */

static json_t *review_json(const struct access_review *v)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:o}", "id", (json_int_t)v->id, "person_id",
                     (json_int_t)v->person_id, "reason", v->reason, "opened",
                     http_json_time(v->opened_us), "closed", json_time_or_null(v->closed_us));
}

static int list_review(void *ctx, const struct access_review *v)
{
    struct page *p = ctx;
    if (v->id <= p->after)
        return 0;
    return page_add(p, v->id, review_json(v));
}

HTTP_HANDLER(h_review_list)
{
    struct page p;
    bool open_only = false;
    if (page_begin(&p, r) < 0 || http_query_bool(r, "open", &open_only) < 0)
        return 0;
    return page_reply(&p, store_review_list(http_store(r), open_only, list_review, &p));
}

struct one_review {
    int64_t id;
    struct access_review found;
};

static int find_review(void *ctx, const struct access_review *v)
{
    struct one_review *o = ctx;
    if (v->id != o->id)
        return 0;
    o->found = *v;
    return 1;
}

HTTP_HANDLER(h_review_close)
{
    struct http_form f;
    struct gh_err err = {{0}};
    struct one_review o;
    char note[INCIDENT_TEXT_MAX] = "";
    int rc;
    memset(&o, 0, sizeof(o));
    if (http_param_id(r, "id", &o.id) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_string(&f, "note", false, note, sizeof(note));
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_review_close(http_store(r), o.id, gh_now_us(), &err)) < 0)
        return fail_rollback(r, rc, &err);
    store_review_list(http_store(r), false, find_review, &o);
    if (http_log_event(r, EV_ACCESS_REVIEW, 0, o.found.person_id, 0,
                       json_pack("{s:I, s:s, s:s}", "review", (json_int_t)o.id, "action", "closed",
                                 "note", note)) < 0) {
        http_write_rollback(r);
        return http_problem(r, 500, "internal", NULL, "the review's closing was not recorded");
    }
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, review_json(&o.found));
}

/* ---- drills ------------------------------------------------------------------------------------
 */

static json_t *drill_json(const struct drill *d)
{
    return json_pack("{s:I, s:s, s:o, s:s}", "id", (json_int_t)d->id, "scenario", d->scenario,
                     "started", http_json_time(d->started_us), "by", d->by);
}

static int list_drill(void *ctx, const struct drill *d)
{
    json_array_append_new(ctx, drill_json(d));
    return 0;
}

HTTP_HANDLER(h_drill_list)
{
    json_t *items = json_array();
    return reply_items(r, store_drill_list(http_store(r), list_drill, items), items);
}

HTTP_HANDLER(h_drill_run)
{
    struct http_form f;
    struct gh_err err = {{0}};
    char scenario[32] = "", door[MODEL_NAME_MAX] = "";
    enum incident_drill d = DRILL_COUNT;
    struct drill row;
    int64_t id = 0;
    int rc;
    http_form_init(&f, r);
    if (http_form_string(&f, "scenario", true, scenario, sizeof(scenario)) &&
        incident_drill_parse(scenario, &d) < 0)
        http_form_error(&f, "scenario",
                        "must be badge-cloning, terminated-employee, forced-door or after-hours");
    http_form_string(&f, "door", false, door, sizeof(door));
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_drill_run(http_store(r), d, door[0] ? door : NULL, r->caller.name, gh_now_us(),
                            &id, &err);
    if (rc < 0)
        return incident_fail(r, rc, &err);
    if (store_drill_get(http_store(r), id, &row) < 0) {
        http_write_rollback(r);
        return http_problem(r, 500, "internal", NULL, "drill %lld vanished", (long long)id);
    }
    if (http_write_commit(r) < 0)
        return 0;
    return reply_created(r, "drills", id, drill_json(&row));
}

HTTP_HANDLER(h_drill_report)
{
    struct gh_err err = {{0}};
    json_t *rep = NULL;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = incident_drill_report(http_store(r), id, &rep, &err)) < 0)
        return http_problem_from(r, rc, &err);
    return http_reply_json(r, 200, rep);
}

/* ---- the post-incident report ---------------------------------------------------------------- */

HTTP_HANDLER(h_incident_report)
{
    struct gh_err err = {{0}};
    struct gh_buf b;
    const char *format = http_query(r, "format");
    bool html;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if (format != NULL && strcmp(format, "md") != 0 && strcmp(format, "html") != 0)
        return http_problem(
            r, 400, "bad-request",
            json_pack("[{s:s, s:s}]", "field", "format", "detail", "must be md or html"),
            "query parameter 'format' must be md or html");
    html = format != NULL && strcmp(format, "html") == 0;
    gh_buf_init(&b, 16u << 20);
    if ((rc = incident_report(http_store(r), id, html, &b, &err)) < 0) {
        gh_buf_free(&b);
        return http_problem_from(r, rc, &err);
    }
    /* it names people: a sensitive read, recorded before it is sent */
    if (http_audit_read(r) < 0) {
        gh_buf_free(&b);
        return http_problem(r, 503, "busy", NULL, "the read could not be recorded; try again");
    }
    {
        char disp[96];
        snprintf(disp, sizeof(disp), "attachment; filename=\"incident-%lld.%s\"", (long long)id,
                 html ? "html" : "md");
        http_reply_header(r, "Content-Disposition", disp);
    }
    rc = http_reply_text(r, 200, html ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8",
                         gh_buf_cstr(&b), b.len);
    gh_buf_free(&b);
    return rc;
}

/* ---- attachments ------------------------------------------------------------------------------
 */

static json_t *attachment_json(const struct attachment *a)
{
    return json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:o}", "id", (json_int_t)a->id, "name",
                     a->name, "mime", a->mime, "size", (json_int_t)a->size, "sha256", a->sha256,
                     "by", a->by, "at", http_json_time(a->time_us));
}

HTTP_HANDLER(h_attachment_add)
{
    struct incident x;
    struct attachment a;
    struct gh_err err = {{0}};
    const char *mime = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    int rc;
    if (load_incident(r, &x) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_attach(http_store(r), x.id, http_query(r, "name"), mime, r->body.data,
                         r->body.len, r->caller.name, gh_now_us(), &a, &err);
    if (rc < 0)
        return incident_fail(r, rc, &err);
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_json(r, 201, attachment_json(&a));
}

/* Types a browser may show inline; anything else is served as bytes to save. */
static const char *safe_type(const char *mime)
{
    static const char *const shown[] = {"image/png",  "image/jpeg",      "image/gif",
                                        "image/webp", "application/pdf", "text/plain"};
    for (size_t i = 0; i < GH_ARRAY_LEN(shown); i++)
        if (strcmp(mime, shown[i]) == 0)
            return mime;
    return "application/octet-stream";
}

HTTP_HANDLER(h_attachment_get)
{
    struct attachment a;
    void *data = NULL;
    size_t len = 0;
    char disp[MODEL_NAME_MAX * 3 + 64], enc[MODEL_NAME_MAX * 3 + 1];
    int64_t id, aid;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_param_id(r, "attachment_id", &aid) < 0)
        return 0;
    if ((rc = store_attachment_get(http_store(r), id, aid, &a, &data, &len)) < 0)
        return http_problem_from(r, rc, NULL);
    /* an incident's file (a photo, a statement): a sensitive read, recorded first */
    if (http_audit_read(r) < 0) {
        free(data);
        return http_problem(r, 503, "busy", NULL, "the read could not be recorded; try again");
    }
    if (gh_url_encode(a.name, enc, sizeof(enc)) < 0)
        gh_strlcpy(enc, "attachment", sizeof(enc));
    snprintf(disp, sizeof(disp), "attachment; filename*=UTF-8''%s", enc);
    http_reply_header(r, "Content-Disposition", disp);
    rc = http_reply_text(r, 200, safe_type(a.mime), data, len);
    free(data);
    return rc;
}
