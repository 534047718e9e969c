/*
 * notify.c: who is told, and with what words. Messages are made from templates (the
 * templates table: {{variable}} filled from the incident) and queued in the notifications
 * table, one per channel (e-mail, webhook) of each contact at a level of the owning
 * department's directory; the notifier thread (notifier.c) sends them. Escalation moves an
 * incident nobody acknowledged to the next level when its deadline passes.
 */
#include "incident/incident_int.h"

#include <stdio.h>
#include <string.h>

static const char *const severity_names[] = {"", "low", "minor", "moderate", "major", "critical"};

void incident_render(const char *tmpl, json_t *vars, char *out, size_t len)
{
    size_t n = 0;
    if (len == 0)
        return;
    for (const char *p = tmpl; *p && n + 1 < len;) {
        const char *end;
        if (p[0] == '{' && p[1] == '{' && (end = strstr(p + 2, "}}")) != NULL && end - p - 2 < 48) {
            char name[48];
            json_t *v;
            char num[24];
            const char *text = "";
            memcpy(name, p + 2, (size_t)(end - p - 2));
            name[end - p - 2] = '\0';
            v = json_object_get(vars, name);
            if (json_is_string(v)) {
                text = json_string_value(v);
            } else if (json_is_integer(v)) {
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
                text = num;
            }
            for (; *text && n + 1 < len; text++)
                out[n++] = *text;
            p = end + 2;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    gh_utf8_mend(out); /* a character cut at the end */
}

json_t *incident_vars(struct store *st, const struct incident_config *cfg, const struct incident *x,
                      const char *detail, int level)
{
    struct department d;
    char when[GH_ISO_LEN], url[320];
    gh_format_iso(x->opened_us, when);
    if (x->department_id == 0 || store_department_get(st, x->department_id, &d) < 0)
        gh_strlcpy(d.name, "(no department)", sizeof(d.name));
    if (cfg != NULL && cfg->console_url[0])
        snprintf(url, sizeof(url), "%s/incidents/%lld", cfg->console_url, (long long)x->id);
    else
        snprintf(url, sizeof(url), "incident %lld in the console", (long long)x->id);
    return json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", (json_int_t)x->id,
                     "title", x->title, "severity", x->severity, "severity_name",
                     severity_names[x->severity >= 1 && x->severity <= 5 ? x->severity : 3],
                     "status", incident_status_name(x->status), "department", d.name, "opened",
                     when, "detail", detail && detail[0] ? detail : x->title, "url", url, "level",
                     level);
}

struct level_pick {
    int want, found;
    struct contact c[32];
    int n;
};

/* The contacts of the first level >= want that has any. */
static int pick(void *ctx, const struct contact *c)
{
    struct level_pick *p = ctx;
    if (c->level < p->want || (p->found >= 0 && c->level != p->found))
        return 0;
    p->found = c->level;
    if (p->n < (int)GH_ARRAY_LEN(p->c))
        p->c[p->n++] = *c;
    return 0;
}

static int queue(struct store *st, int64_t incident_id, const struct contact *c,
                 const char *channel, const char *target, const struct message_template *t,
                 json_t *vars, int64_t now_us, struct gh_err *err)
{
    struct notification n;
    memset(&n, 0, sizeof(n));
    n.incident_id = incident_id;
    n.contact_id = c->id;
    gh_strlcpy(n.channel, channel, sizeof(n.channel));
    gh_strlcpy(n.target, target, sizeof(n.target));
    gh_strlcpy(n.template_name, t->name, sizeof(n.template_name));
    incident_render(t->subject, vars, n.subject, sizeof(n.subject));
    for (char *p = n.subject; *p; p++) /* one header line */
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    incident_render(t->body, vars, n.body, sizeof(n.body));
    n.created_us = n.next_us = now_us;
    n.status = NOTE_PENDING;
    return store_notification_insert(st, &n, err);
}

int incident_notify_level(struct store *st, const struct incident_config *cfg,
                          const struct incident *x, int level, const char *template_name,
                          const char *detail, int64_t now_us, int *used, struct gh_err *err)
{
    struct level_pick p;
    struct message_template t;
    json_t *vars;
    char who[512] = "";
    size_t w = 0;
    int r = 0, sent = 0;
    *used = -1;
    if (x->department_id == 0)
        return 0;
    memset(&p, 0, sizeof(p));
    p.want = level;
    p.found = -1;
    if ((r = store_contact_list(st, x->department_id, pick, &p)) < 0)
        return gh_fail(err, r, "reading the directory: %s", store_errmsg(st));
    if (p.found < 0)
        return 0;
    if ((r = store_template_get(st, template_name, &t)) < 0)
        return gh_fail(err, r == -ENOENT ? -EINVAL : r, "template '%s' %s", template_name,
                       r == -ENOENT ? "does not exist" : "cannot be read");
    vars = incident_vars(st, cfg, x, detail, p.found);
    for (int i = 0; i < p.n && r == 0; i++) {
        const struct contact *c = &p.c[i];
        int before = sent;
        if (c->email[0] && (r = queue(st, x->id, c, "email", c->email, &t, vars, now_us, err)) == 0)
            sent++;
        if (r == 0 && c->webhook[0] &&
            (r = queue(st, x->id, c, "webhook", c->webhook, &t, vars, now_us, err)) == 0)
            sent++;
        if (w < sizeof(who))
            w += (size_t)snprintf(who + w, sizeof(who) - w, "%s%s%s", w ? ", " : "", c->name,
                                  sent == before ? " (no e-mail or webhook: call " : "");
        if (sent == before && w < sizeof(who))
            w += (size_t)snprintf(who + w, sizeof(who) - w, "%s)", c->phone[0] ? c->phone : "?");
    }
    json_decref(vars);
    if (r < 0)
        return r;
    *used = p.found;
    if (store_incident_note(st, x->id, now_us, "notifier", "notify", who, NULL) < 0)
        return gh_fail(err, -EIO, "incident %lld: its timeline", (long long)x->id);
    return 0;
}

struct group {
    const int64_t *departments;
    size_t n_departments;
    struct store *st;
    int64_t incident_id;
    const struct message_template *t;
    json_t *vars;
    int64_t now_us;
    struct gh_err *err;
    int queued, rc;
};

static int group_contact(void *ctx, const struct contact *c)
{
    struct group *g = ctx;
    bool in = g->n_departments == 0;
    for (size_t i = 0; i < g->n_departments && !in; i++)
        in = g->departments[i] == c->department_id;
    if (!in)
        return 0;
    if (c->email[0] && (g->rc = queue(g->st, g->incident_id, c, "email", c->email, g->t, g->vars,
                                      g->now_us, g->err)) == 0)
        g->queued++;
    if (g->rc == 0 && c->webhook[0] &&
        (g->rc = queue(g->st, g->incident_id, c, "webhook", c->webhook, g->t, g->vars, g->now_us,
                       g->err)) == 0)
        g->queued++;
    return g->rc < 0;
}

int incident_notify_group(struct store *st, const struct incident_config *cfg,
                          const char *template_name, const int64_t *departments,
                          size_t n_departments, json_t *vars, int64_t incident_id, const char *who,
                          int64_t now_us, int *queued, struct gh_err *err)
{
    struct message_template t;
    struct incident x;
    struct group g = {departments, n_departments, st, incident_id, &t, NULL, now_us, err, 0, 0};
    int r;
    *queued = 0;
    if ((r = store_template_get(st, template_name, &t)) < 0)
        return gh_fail(err, r == -ENOENT ? -EINVAL : r, "template: '%s' %s", template_name,
                       r == -ENOENT ? "does not exist" : "cannot be read");
    if (incident_id != 0 && (r = store_incident_get(st, incident_id, &x)) < 0)
        return gh_fail(err, r == -ENOENT ? -EINVAL : r, "incident_id: incident %lld %s",
                       (long long)incident_id, r == -ENOENT ? "does not exist" : "cannot be read");
    g.vars = incident_id != 0 ? incident_vars(st, cfg, &x, NULL, 0) : json_object();
    json_object_update(g.vars, vars);
    r = store_contact_list(st, 0, group_contact, &g);
    json_decref(g.vars);
    if (g.rc < 0)
        return g.rc;
    if (r < 0)
        return gh_fail(err, r, "reading the directory: %s", store_errmsg(st));
    *queued = g.queued;
    if (incident_id != 0) {
        char text[200];
        snprintf(text, sizeof(text), "mass notification '%s': %d message%s queued", template_name,
                 g.queued, g.queued == 1 ? "" : "s");
        return incident_record(st, &x, "notify", who, now_us, text, err);
    }
    return 0;
}

struct due {
    struct incident v[64];
    int n;
};

static int collect_due(void *ctx, const struct incident *x)
{
    struct due *d = ctx;
    if (d->n == (int)GH_ARRAY_LEN(d->v))
        return 1; /* the rest next tick */
    d->v[d->n++] = *x;
    return 0;
}

int incident_escalate_due(struct store *st, const struct incident_config *cfg, int64_t now_us,
                          int *n, struct gh_err *err)
{
    struct due d;
    int r;
    *n = 0;
    d.n = 0;
    if ((r = store_incident_list_due(st, now_us, collect_due, &d)) < 0)
        return gh_fail(err, r, "reading incidents to escalate: %s", store_errmsg(st));
    for (int i = 0; i < d.n; i++) {
        struct incident *x = &d.v[i];
        int64_t after_s = 0;
        int used = -1;
        char text[160];
        if ((r = incident_notify_level(st, cfg, x, x->escalation_level + 1, "escalation", NULL,
                                       now_us, &used, err)) < 0)
            return r;
        if (used < 0) {
            x->escalate_at_us = 0;
            snprintf(text, sizeof(text),
                     "not acknowledged, and no one is left to call beyond level %d",
                     x->escalation_level);
        } else {
            store_department_escalation(st, x->department_id, &after_s);
            x->escalation_level = used;
            x->escalate_at_us = after_s > 0 ? now_us + after_s * GH_USEC_PER_SEC : 0;
            snprintf(text, sizeof(text), "not acknowledged: escalated to level %d", used);
            (*n)++;
        }
        if ((r = incident_record(st, x, "escalate", "escalation", now_us, text, err)) < 0)
            return r;
    }
    return 0;
}
