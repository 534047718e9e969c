/*
 * directory.c: the "who to call" directory (each department's liaison and on-call contacts
 * in escalation order, and its escalation delay), its printable one-page HTML, the message
 * templates, and notifications (an incident's, and mass notifications to departments).
 */
#include "http/handlers/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LEVEL_MAX 9

/* ---- contacts ---------------------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *contact_json(const struct contact *c)
{
    return json_pack("{s:I, s:I, s:i, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)c->id,
                     "department_id", (json_int_t)c->department_id, "level", c->level, "name",
                     c->name, "role", str_or_null(c->role), "email", str_or_null(c->email),
                     "webhook", str_or_null(c->webhook), "phone", str_or_null(c->phone));
}

/* An http(s) URL of printable ASCII with no spaces. */
static bool good_url(const char *u)
{
    if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return strlen(u) > 8;
}

static bool good_phone(const char *p)
{
    size_t digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr("+ ()-./", *p))
            return false;
    }
    return digits >= 3;
}

static int contact_form(struct http_req *r, struct contact *c, bool create)
{
    struct http_form f;
    struct gh_err err = {{0}};
    int64_t v;
    http_form_init(&f, r);
    http_form_ref(&f, "department_id", create, false, ref_find_department, ref_department_exists,
                  &c->department_id);
    if (http_form_int(&f, "level", create, 0, LEVEL_MAX, &v))
        c->level = (int)v;
    http_form_name(&f, "name", create, c->name, sizeof(c->name));
    if (http_form_string(&f, "role", false, c->role, sizeof(c->role)) && c->role[0] &&
        model_check_name("role", c->role, &err) < 0)
        http_form_error(&f, "role", "%s", err.msg);
    if (http_form_string(&f, "email", false, c->email, sizeof(c->email)) &&
        model_check_email("email", c->email, &err) < 0)
        http_form_error(&f, "email", "%s", err.msg);
    if (http_form_string(&f, "webhook", false, c->webhook, sizeof(c->webhook)) && c->webhook[0] &&
        !good_url(c->webhook))
        http_form_error(&f, "webhook", "must be an http:// or https:// URL without spaces");
    if (http_form_string(&f, "phone", false, c->phone, sizeof(c->phone)) && c->phone[0] &&
        !good_phone(c->phone))
        http_form_error(&f, "phone", "must be digits, spaces and + ( ) - . / (at least 3 digits)");
    if (json_array_size(f.errors) == 0 && !c->email[0] && !c->webhook[0] && !c->phone[0])
        http_form_error(&f, "email", "a contact needs an e-mail address, a webhook or a phone");
    return http_form_finish(&f);
}

static int contact_commit(struct http_req *r, struct contact *c, unsigned status)
{
    if (http_write_commit(r) < 0)
        return 0;
    return status == 201 ? reply_created(r, "contacts", c->id, contact_json(c))
                         : http_reply_json(r, 200, contact_json(c));
}

HTTP_HANDLER(h_contact_create)
{
    struct contact c;
    struct gh_err err = {{0}};
    int rc;
    memset(&c, 0, sizeof(c));
    if (contact_form(r, &c, true) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_contact_insert(http_store(r), &c, &err)) < 0)
        return fail_rollback(r, rc, &err);
    return contact_commit(r, &c, 201);
}

HTTP_HANDLER(h_contact_update)
{
    struct contact c;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_contact_get(http_store(r), id, &c)) < 0)
        return http_problem_from(r, rc, NULL);
    if (contact_form(r, &c, false) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_contact_update(http_store(r), &c, &err)) < 0)
        return fail_rollback(r, rc, &err);
    return contact_commit(r, &c, 200);
}

HTTP_HANDLER(h_contact_delete)
{
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_contact_delete(http_store(r), id, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_empty(r, 204);
}

/* ---- the directory ------------------------------------------------------------------------- */

struct dir {
    struct store *st;
    json_t *items;
    int64_t only; /* one department, or 0 */
};

static int add_contact(void *ctx, const struct contact *c)
{
    json_array_append_new(ctx, contact_json(c));
    return 0;
}

static json_t *department_entry(struct store *st, const struct department *d)
{
    json_t *contacts = json_array();
    int64_t after_s = 0;
    store_department_escalation(st, d->id, &after_s);
    store_contact_list(st, d->id, add_contact, contacts);
    return json_pack("{s:I, s:s, s:I, s:o}", "department_id", (json_int_t)d->id, "department",
                     d->name, "escalate_after_s", (json_int_t)after_s, "contacts", contacts);
}

static int add_department(void *ctx, const struct department *d)
{
    struct dir *x = ctx;
    if (x->only == 0 || x->only == d->id)
        json_array_append_new(x->items, department_entry(x->st, d));
    return 0;
}

static json_t *directory(struct store *st)
{
    struct dir x = {st, json_array(), 0};
    store_department_list(st, add_department, &x);
    return x.items;
}

HTTP_HANDLER(h_directory_get)
{
    return http_reply_json(r, 200, json_pack("{s:o}", "items", directory(http_store(r))));
}

HTTP_HANDLER(h_directory_update)
{
    struct http_form f;
    struct department d;
    struct gh_err err = {{0}};
    int64_t id, after_s = 0;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_department_get(http_store(r), id, &d)) < 0)
        return http_problem_from(r, rc, NULL);
    http_form_init(&f, r);
    http_form_int(&f, "escalate_after_s", true, 0, 7 * 86400, &after_s);
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_department_set_escalation(http_store(r), id, after_s, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, department_entry(http_store(r), &d));
}

/* ---- the printable page -------------------------------------------------------------------- */

static void html_text(struct gh_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            gh_buf_printf(b, "&amp;");
            break;
        case '<':
            gh_buf_printf(b, "&lt;");
            break;
        case '>':
            gh_buf_printf(b, "&gt;");
            break;
        case '"':
            gh_buf_printf(b, "&quot;");
            break;
        default:
            gh_buf_append(b, s, 1);
        }
    }
}

static void html_cell(struct gh_buf *b, json_t *v)
{
    gh_buf_printf(b, "<td>");
    if (json_is_string(v))
        html_text(b, json_string_value(v));
    gh_buf_printf(b, "</td>");
}

static int by_name(const void *a, const void *b)
{
    json_t *const *x = a, *const *y = b;
    return strcasecmp(json_string_value(json_object_get(*x, "department")),
                      json_string_value(json_object_get(*y, "department")));
}

/* The departments in alphabetical order (a new array, its items shared). */
static json_t *sorted(json_t *items)
{
    size_t n = json_array_size(items), i;
    json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *out = json_array();
    for (i = 0; i < n; i++)
        v[i] = json_array_get(items, i);
    qsort(v, n, sizeof(*v), by_name);
    for (i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

HTTP_HANDLER(h_directory_print)
{
    json_t *all = directory(http_store(r)), *items = sorted(all), *d, *c;
    struct gh_buf b;
    char when[GH_ISO_LEN];
    size_t i, k;
    int rc;
    gh_buf_init(&b, 4u << 20);
    gh_format_iso(gh_now_us(), when);
    gh_buf_printf(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<title>Who to call</title><style>"
                      "body{font:11pt/1.35 system-ui,sans-serif;margin:1.5cm;color:#000}"
                      "h1{font-size:16pt;margin:0 0 .2em}p.m{margin:0 0 1em;color:#444}"
                      "h2{font-size:12pt;margin:1em 0 .3em;break-after:avoid}"
                      "table{border-collapse:collapse;width:100%%;break-inside:avoid}"
                      "th,td{border:1px solid #999;padding:.2em .4em;text-align:left}"
                      "th{background:#eee}@page{size:A4;margin:1cm}"
                      "</style></head><body>\n<h1>Who to call</h1>\n<p class=\"m\">Printed ");
    html_text(&b, when);
    gh_buf_printf(&b, " from gatehouse. Level 0 is the department's liaison; if nobody "
                      "acknowledges an incident in time, the next level is called.</p>\n");
    json_array_foreach(items, i, d)
    {
        json_t *contacts = json_object_get(d, "contacts");
        if (json_array_size(contacts) == 0)
            continue;
        gh_buf_printf(&b, "<h2>");
        html_text(&b, json_string_value(json_object_get(d, "department")));
        gh_buf_printf(&b,
                      " <small>(escalates after %lld min)</small></h2>\n<table><tr>"
                      "<th>Level</th><th>Name</th><th>Role</th><th>Phone</th><th>E-mail</th>"
                      "</tr>\n",
                      (long long)json_integer_value(json_object_get(d, "escalate_after_s")) / 60);
        json_array_foreach(contacts, k, c)
        {
            int level = (int)json_integer_value(json_object_get(c, "level"));
            gh_buf_printf(&b, "<tr><td>%s%d</td>", level == 0 ? "liaison " : "", level);
            html_cell(&b, json_object_get(c, "name"));
            html_cell(&b, json_object_get(c, "role"));
            html_cell(&b, json_object_get(c, "phone"));
            html_cell(&b, json_object_get(c, "email"));
            gh_buf_printf(&b, "</tr>\n");
        }
        gh_buf_printf(&b, "</table>\n");
    }
    gh_buf_printf(&b, "</body></html>\n");
    json_decref(items);
    json_decref(all);
    rc = http_reply_text(r, 200, "text/html; charset=utf-8", gh_buf_cstr(&b), b.len);
    gh_buf_free(&b);
    return rc;
}

/* ---- templates ------------------------------------------------------------------------------ */

static json_t *template_json(const struct message_template *t)
{
    return json_pack("{s:s, s:s, s:s}", "name", t->name, "subject", t->subject, "body", t->body);
}

static int add_template(void *ctx, const struct message_template *t)
{
    json_array_append_new(ctx, template_json(t));
    return 0;
}

HTTP_HANDLER(h_template_list)
{
    json_t *items = json_array();
    return reply_items(r, store_template_list(http_store(r), add_template, items), items);
}

HTTP_HANDLER(h_template_put)
{
    struct http_form f;
    struct message_template t;
    struct gh_err err = {{0}};
    const char *name = http_param(r, "name");
    int rc;
    memset(&t, 0, sizeof(t));
    if (name == NULL || model_check_ext_id("name", name, &err) < 0 || strlen(name) >= 48)
        return http_problem(r, 404, "not-found", NULL,
                            "a template's name is 1 to 47 of A-Z a-z 0-9 . _ : -");
    gh_strlcpy(t.name, name, sizeof(t.name));
    http_form_init(&f, r);
    http_form_string(&f, "subject", true, t.subject, sizeof(t.subject));
    http_form_string(&f, "body", true, t.body, sizeof(t.body));
    if (strpbrk(t.subject, "\r\n") != NULL)
        http_form_error(&f, "subject", "must be one line");
    if (t.body[0] == '\0')
        http_form_error(&f, "body", "must not be empty");
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_template_put(http_store(r), &t, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, template_json(&t));
}

/* ---- notifications --------------------------------------------------------------------------- */

static const char *const note_status[] = {"pending", "sent", "failed"};

static json_t *notification_json(const struct notification *n)
{
    return json_pack("{s:I, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:o}", "id",
                     (json_int_t)n->id, "incident_id", json_ref(n->incident_id), "contact_id",
                     json_ref(n->contact_id), "channel", n->channel, "target", n->target,
                     "template", n->template_name, "subject", n->subject, "status",
                     note_status[n->status <= NOTE_FAILED ? n->status : 0], "created",
                     http_json_time(n->created_us), "attempts", n->attempts, "sent",
                     n->sent_us ? http_json_time(n->sent_us) : json_null(), "next_attempt",
                     n->status == NOTE_PENDING ? http_json_time(n->next_us) : json_null(), "error",
                     str_or_null(n->last_error));
}

static int add_notification(void *ctx, const struct notification *n)
{
    json_array_append_new(ctx, notification_json(n));
    return 0;
}

HTTP_HANDLER(h_notification_list)
{
    json_t *items = json_array();
    int64_t incident = 0;
    int rc;
    if (http_query_int(r, "incident_id", 0, INT64_MAX, &incident) < 0) {
        json_decref(items);
        return 0;
    }
    rc = store_notification_list(http_store(r), incident, add_notification, items);
    return reply_items(r, rc, items);
}

HTTP_HANDLER(h_notification_send)
{
    struct http_form f;
    struct gh_err err = {{0}};
    char tmpl[48] = "";
    int64_t departments[64], incident = 0;
    size_t n_dep = 0, i;
    json_t *deps, *vars, *v;
    int queued = 0, rc;
    http_form_init(&f, r);
    http_form_string(&f, "template", true, tmpl, sizeof(tmpl));
    http_form_int(&f, "incident_id", false, 1, INT64_MAX, &incident);
    if ((deps = http_form_json(&f, "departments", false)) != NULL) {
        if (!json_is_array(deps) || json_array_size(deps) == 0 ||
            json_array_size(deps) > GH_ARRAY_LEN(departments)) {
            http_form_error(&f, "departments",
                            "must be a list of 1 to %zu departments (ids or "
                            "names); leave it out for every department",
                            GH_ARRAY_LEN(departments));
        } else {
            json_array_foreach(deps, i, v)
            {
                int64_t id = 0;
                if (json_is_integer(v) &&
                    ref_department_exists(http_store(r), json_integer_value(v)) == 0)
                    id = json_integer_value(v);
                else if (json_is_string(v))
                    ref_find_department(http_store(r), json_string_value(v), &id);
                if (id == 0)
                    http_form_error(&f, "departments", "[%zu] is not a department", i);
                else
                    departments[n_dep++] = id;
            }
        }
    }
    vars = http_form_json(&f, "variables", false);
    if (vars != NULL && !json_is_object(vars))
        http_form_error(&f, "variables", "must be an object of strings (site, message ...)");
    if (vars != NULL && json_is_object(vars)) {
        const char *k;
        json_object_foreach(vars, k, v) if (!json_is_string(v) || json_string_length(v) > 2000)
            http_form_error(&f, "variables", "%s must be a string of at most 2000 bytes", k);
    }
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = incident_notify_group(http_store(r), &r->srv->cfg.rules.inc, tmpl, departments, n_dep,
                               vars, incident, r->caller.name, gh_now_us(), &queued, &err);
    if (rc < 0) {
        const char *colon = strchr(err.msg, ':');
        http_write_rollback(r);
        if (rc == -EINVAL && colon != NULL)
            return http_problem(r, 422, "validation",
                                json_pack("[{s:s%, s:s}]", "field", err.msg,
                                          (size_t)(colon - err.msg), "detail", colon + 2),
                                "%s", err.msg);
        return http_problem_from(r, rc, &err);
    }
    if (http_write_commit(r) < 0)
        return 0;
    incident_notifier_wake(r->srv->notifier);
    return http_reply_json(r, 202, json_pack("{s:i}", "queued", queued));
}
