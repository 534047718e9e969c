/*
 * report.c: the post-incident report, for the debrief: what the incident was, who owned it,
 * the people involved (linked, assigned, and everyone who acted on it), its alarms, the
 * procedure step by step (done, skipped with the reason, or left open), the messages sent,
 * and the whole timeline. Markdown, or a standalone HTML page (every text escaped).
 */
#include "incident/incident_int.h"

#include <stdio.h>
#include <string.h>

struct out {
    struct gh_buf *b;
    bool html;
    struct store *st;
};

/* Text as it may appear: HTML-escaped, or Markdown with its markup characters escaped. */
static void text(struct out *o, const char *s)
{
    for (; *s; s++) {
        const char *rep = NULL;
        char one[3] = {'\\', *s, '\0'};
        if (o->html) {
            rep = *s == '&'   ? "&amp;"
                  : *s == '<' ? "&lt;"
                  : *s == '>' ? "&gt;"
                  : *s == '"' ? "&quot;"
                              : NULL;
        } else if (strchr("\\`*_[]<|", *s) != NULL) { /* what would turn into markup */
            rep = one;
        } else if (*s == '\n') {
            rep = "  \n"; /* a line break inside a paragraph */
        }
        if (rep != NULL)
            gh_buf_printf(o->b, "%s", rep);
        else
            gh_buf_append(o->b, s, 1);
    }
}

static void heading(struct out *o, const char *title)
{
    if (o->html) {
        gh_buf_printf(o->b, "<h2>");
        text(o, title);
        gh_buf_printf(o->b, "</h2>\n");
    } else {
        gh_buf_printf(o->b, "\n## %s\n\n", title);
    }
}

/* A list item (open before, close after). */
static void item_open(struct out *o)
{
    gh_buf_printf(o->b, o->html ? "<li>" : "- ");
}

static void item_close(struct out *o)
{
    gh_buf_printf(o->b, o->html ? "</li>\n" : "\n");
}

static void list_open(struct out *o, bool ordered)
{
    if (o->html)
        gh_buf_printf(o->b, ordered ? "<ol>\n" : "<ul>\n");
}

static void list_close(struct out *o, bool ordered)
{
    if (o->html)
        gh_buf_printf(o->b, ordered ? "</ol>\n" : "</ul>\n");
}

static void when(struct out *o, int64_t us)
{
    char t[GH_ISO_LEN];
    gh_format_iso(us, t);
    text(o, us ? t : "-");
}

static void field(struct out *o, const char *name, const char *value)
{
    item_open(o);
    gh_buf_printf(o->b, o->html ? "<b>%s:</b> " : "**%s:** ", name);
    text(o, value);
    item_close(o);
}

static int on_alarm(void *ctx, const struct alarm *a)
{
    struct out *o = ctx;
    char line[ALARM_DETAIL_MAX + 128];
    item_open(o);
    snprintf(line, sizeof(line), "alarm %lld, %s, severity %d, %s, raised %lld time%s: %s",
             (long long)a->id, a->type, a->severity, alarm_status_name(a->status),
             (long long)a->count, a->count == 1 ? "" : "s", a->detail);
    text(o, line);
    item_close(o);
    return 0;
}

static int on_step(void *ctx, const struct incident_step *s)
{
    struct out *o = ctx;
    item_open(o);
    text(o, s->text);
    gh_buf_printf(o->b, "%s", s->required ? " (required)" : "");
    gh_buf_printf(o->b, " - %s", step_state_name(s->state));
    if (s->state != STEP_OPEN) {
        gh_buf_printf(o->b, " by ");
        text(o, s->by);
        gh_buf_printf(o->b, " at ");
        when(o, s->time_us);
    }
    if (s->state == STEP_SKIPPED) {
        gh_buf_printf(o->b, "; reason: ");
        text(o, s->reason);
    }
    item_close(o);
    return 0;
}

static int on_entry(void *ctx, const struct incident_entry *e)
{
    struct out *o = ctx;
    item_open(o);
    when(o, e->time_us);
    gh_buf_printf(o->b, " - ");
    text(o, e->who);
    gh_buf_printf(o->b, " (%s): ", e->kind);
    text(o, e->text);
    item_close(o);
    return 0;
}

struct people {
    struct out *o;
    json_t *seen; /* names already listed */
};

static void person(struct people *p, const char *name, const char *why)
{
    char line[MODEL_NAME_MAX * 3];
    snprintf(line, sizeof(line), "%s (%s)", name, why);
    if (json_object_get(p->seen, line) != NULL)
        return;
    json_object_set_new(p->seen, line, json_true());
    item_open(p->o);
    text(p->o, line);
    item_close(p->o);
}

static int on_link_person(void *ctx, const char *kind, const char *ref)
{
    struct people *p = ctx;
    struct person x;
    int64_t id;
    char name[2 * MODEL_NAME_MAX + MODEL_ID_MAX + 8];
    if (strcmp(kind, "person") != 0 || gh_parse_i64(ref, 1, INT64_MAX, &id) < 0)
        return 0;
    if (store_person_get(p->o->st, id, &x) == 0)
        snprintf(name, sizeof(name), "%s %s, %s", x.first_name, x.last_name, x.employee_id);
    else
        snprintf(name, sizeof(name), "person %lld", (long long)id);
    person(p, name, "linked");
    return 0;
}

static int on_assignee(void *ctx, int64_t id)
{
    struct people *p = ctx;
    struct user u;
    person(p, store_user_get(p->o->st, id, &u) == 0 ? u.name : "?", "assigned");
    return 0;
}

static int on_actor(void *ctx, const struct incident_entry *e)
{
    struct people *p = ctx;
    if (strcmp(e->who, "rules") != 0 && strcmp(e->who, "notifier") != 0 &&
        strcmp(e->who, "escalation") != 0)
        person(p, e->who, "acted on it");
    return 0;
}

static int on_notification(void *ctx, const struct notification *n)
{
    struct out *o = ctx;
    static const char *const st[] = {"pending", "sent", "failed"};
    char line[1024];
    item_open(o);
    snprintf(line, sizeof(line), "%s to %s (%s): %s, %s", n->channel, n->target, n->template_name,
             st[n->status <= NOTE_FAILED ? n->status : 0], n->subject);
    text(o, line);
    item_close(o);
    return 0;
}

int incident_report(struct store *st, int64_t id, bool html, struct gh_buf *b, struct gh_err *err)
{
    struct incident x;
    struct department d;
    struct out o = {b, html, st};
    struct people p = {&o, json_object()};
    struct store_alarm_filter af = {0, 0, id, 0};
    char title[INCIDENT_TITLE_MAX + 64], line[256];
    int r = store_incident_get(st, id, &x);
    if (r < 0) {
        json_decref(p.seen);
        return gh_fail(err, r, "incident %lld %s", (long long)id,
                       r == -ENOENT ? "does not exist" : "cannot be read");
    }
    if (x.department_id == 0 || store_department_get(st, x.department_id, &d) < 0)
        gh_strlcpy(d.name, "(none)", sizeof(d.name));
    snprintf(title, sizeof(title), "Incident %lld: %s", (long long)x.id, x.title);
    if (html) {
        gh_buf_printf(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                         "<title>");
        text(&o, title);
        gh_buf_printf(b, "</title><style>body{font:11pt/1.4 system-ui,sans-serif;max-width:"
                         "50em;margin:2em auto;padding:0 1em}h1{font-size:16pt}"
                         "h2{font-size:13pt;margin-top:1.5em}</style></head><body>\n<h1>");
        text(&o, title);
        gh_buf_printf(b, "</h1>\n");
    } else {
        gh_buf_printf(b, "# ");
        text(&o, title);
        gh_buf_printf(b, "\n\n");
    }
    list_open(&o, false);
    field(&o, "Type", x.type);
    snprintf(line, sizeof(line), "%d of 5", x.severity);
    field(&o, "Severity", line);
    field(&o, "Status", incident_status_name(x.status));
    field(&o, "Owner", d.name);
    {
        char t[GH_ISO_LEN];
        gh_format_iso(x.opened_us, t);
        field(&o, "Opened", t);
        if (x.acked_us) {
            gh_format_iso(x.acked_us, t);
            field(&o, "Acknowledged", t);
        }
        if (x.resolved_us) {
            gh_format_iso(x.resolved_us, t);
            field(&o, "Resolved", t);
        }
        if (x.closed_us) {
            gh_format_iso(x.closed_us, t);
            field(&o, "Closed", t);
        }
    }
    if (x.drill_id) {
        snprintf(line, sizeof(line), "yes, drill %lld", (long long)x.drill_id);
        field(&o, "Drill", line);
    }
    list_close(&o, false);
    heading(&o, "People involved");
    list_open(&o, false);
    store_incident_links(st, id, on_link_person, &p);
    store_incident_assignees(st, id, on_assignee, &p);
    store_incident_timeline(st, id, on_actor, &p);
    if (json_object_size(p.seen) == 0) {
        item_open(&o);
        text(&o, "none recorded");
        item_close(&o);
    }
    list_close(&o, false);
    json_decref(p.seen);
    heading(&o, "Alarms");
    list_open(&o, false);
    store_alarm_list(st, &af, on_alarm, &o);
    list_close(&o, false);
    heading(&o, "Procedure");
    list_open(&o, true);
    store_incident_step_list(st, id, on_step, &o);
    list_close(&o, true);
    heading(&o, "Messages");
    list_open(&o, false);
    store_notification_list(st, id, on_notification, &o);
    list_close(&o, false);
    heading(&o, "Timeline");
    list_open(&o, false);
    r = store_incident_timeline(st, id, on_entry, &o);
    list_close(&o, false);
    if (html)
        gh_buf_printf(b, "</body></html>\n");
    if (r < 0)
        return gh_fail(err, r, "incident %lld: reading its timeline", (long long)id);
    return 0;
}
