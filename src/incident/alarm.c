/*
 * alarm.c: the alarm store's rules: de-duplication (one alarm per key within the window,
 * counting repeats), opening the incident an alarm type maps to, acknowledging and
 * clearing. Each change appends an alarm event in the caller's transaction.
 */
#include "incident/incident.h"

#include <stdio.h>
#include <string.h>

/* Appends the alarm event for a change. */
static int alarm_event(struct store *st, const struct alarm *a, const char *action, const char *who,
                       int64_t now_us)
{
    struct event ev;
    json_t *p =
        json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:I, s:s}", "alarm", (json_int_t)a->id, "action",
                  action, "type", a->type, "key", a->key, "severity", a->severity, "status",
                  alarm_status_name(a->status), "count", (json_int_t)a->count, "detail", a->detail);
    int r;
    if (p != NULL && a->incident_id != 0)
        json_object_set_new(p, "incident", json_integer(a->incident_id));
    if (p != NULL && a->controller_id != 0)
        json_object_set_new(p, "controller_id", json_integer(a->controller_id));
    if (p != NULL && a->drill_id != 0)
        json_object_set_new(p, "drill_id", json_integer(a->drill_id));
    if (p != NULL && a->last_offset != 0)
        json_object_set_new(p, "source", json_integer(a->last_offset));
    if (p != NULL && who != NULL)
        json_object_set_new(p, "by", json_string(who));
    if ((r = event_make(&ev, EV_ALARM, a->door_id, a->person_id, a->credential_id, p)) < 0)
        return r;
    ev.time_us = now_us;
    return store_event_append(st, &ev) < 0 ? -EIO : 0;
}

bool incident_type_opens(const struct incident_type *t, const char *alarm_type)
{
    const char *list = t->alarm_types; /* space-separated */
    size_t n = strlen(alarm_type);
    for (const char *p = list; n > 0 && (p = strstr(p, alarm_type)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

struct type_match {
    const char *alarm_type;
    char name[ALARM_TYPE_MAX];
};

static int match_type(void *ctx, const struct incident_type *t)
{
    struct type_match *m = ctx;
    if (!incident_type_opens(t, m->alarm_type))
        return 0;
    gh_strlcpy(m->name, t->name, sizeof(m->name));
    return 1;
}

static int link_quietly(struct store *st, int64_t incident, const char *kind, int64_t id,
                        struct gh_err *err)
{
    char ref[24];
    if (id == 0)
        return 0;
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    return store_incident_link(st, incident, kind, ref, true, err) < 0 ? -EIO : 0;
}

/* Opens the incident the alarm's type maps to, if one does, and links what it concerns. */
static int open_for(struct store *st, const struct incident_config *cfg, struct alarm *a,
                    int64_t now_us, struct gh_err *err)
{
    struct type_match m = {a->type, ""};
    struct incident x;
    int r = store_incident_type_list(st, match_type, &m);
    if (r < 0)
        return gh_fail(err, r, "reading incident types: %s", store_errmsg(st));
    if (m.name[0] == '\0')
        return 0;
    memset(&x, 0, sizeof(x));
    x.severity = a->severity;
    x.drill_id = a->drill_id;
    if ((r = incident_open(st, cfg, m.name, &x, a->detail, "rules", now_us, err)) < 0)
        return r;
    if ((r = link_quietly(st, x.id, "alarm", a->id, err)) < 0 ||
        (r = link_quietly(st, x.id, "event", a->first_offset, err)) < 0 ||
        (r = link_quietly(st, x.id, "door", a->door_id, err)) < 0 ||
        (r = link_quietly(st, x.id, "person", a->person_id, err)) < 0 ||
        (r = link_quietly(st, x.id, "controller", a->controller_id, err)) < 0)
        return gh_fail(err, r, "incident %lld: linking its alarm", (long long)x.id);
    if (store_incident_note(st, x.id, now_us, "rules", "alarm", a->detail, NULL) < 0)
        return gh_fail(err, -EIO, "incident %lld: its timeline", (long long)x.id);
    a->incident_id = x.id;
    return 0;
}

int incident_alarm_raise(struct store *st, const struct incident_config *cfg,
                         const struct rules_alarm *ra, const struct incident_raise *how,
                         int64_t now_us, struct incident_raised *out, struct gh_err *err)
{
    struct alarm a;
    int64_t t = ra->time_us ? ra->time_us : now_us;
    int r;
    memset(out, 0, sizeof(*out));
    r = store_alarm_find_open(st, ra->key, t - (int64_t)cfg->dedup_window_s * GH_USEC_PER_SEC, &a);
    if (r == 0) { /* the same condition again: one alarm, counted */
        a.count++;
        if (t > a.last_us)
            a.last_us = t;
        if (ra->offset != 0)
            a.last_offset = ra->offset;
        if (ra->severity > a.severity)
            a.severity = ra->severity;
        gh_strlcpy(a.detail, ra->detail, sizeof(a.detail));
        if ((r = store_alarm_update(st, &a, err)) < 0)
            return r;
        /* a condition that goes on (a door forced again and again, a flood of reads) is
         * counted on the alarm at every repeat, but said on the stream only at counts 2, 4,
         * 8 ... and every hundredth, so it cannot drown the events it is about */
        if (((a.count & (a.count - 1)) == 0 || a.count % 100 == 0) &&
            (r = alarm_event(st, &a, "repeated", NULL, now_us)) < 0)
            return r;
        out->alarm_id = a.id;
        out->repeated = true;
        out->incident_id = a.incident_id;
        return 0;
    }
    if (r != -ENOENT)
        return gh_fail(err, r, "reading alarms: %s", store_errmsg(st));
    memset(&a, 0, sizeof(a));
    gh_strlcpy(a.type, rules_alarm_type(ra), sizeof(a.type));
    gh_strlcpy(a.key, ra->key, sizeof(a.key));
    gh_strlcpy(a.detail, ra->detail, sizeof(a.detail));
    a.severity = ra->severity < 1 ? 1 : ra->severity > 5 ? 5 : ra->severity;
    a.status = ALARM_OPEN;
    a.door_id = ra->door_id;
    a.person_id = ra->person_id;
    a.credential_id = ra->credential_id;
    a.controller_id = how ? how->controller_id : 0;
    a.drill_id = how ? how->drill_id : 0;
    a.first_us = a.last_us = t;
    a.raised_us = now_us;
    a.count = 1;
    a.first_offset = a.last_offset = ra->offset;
    if ((r = store_alarm_insert(st, &a, err)) < 0 || (r = open_for(st, cfg, &a, now_us, err)) < 0)
        return r;
    if (a.incident_id != 0 && (r = store_alarm_update(st, &a, err)) < 0)
        return r;
    if ((r = alarm_event(st, &a, "raised", NULL, now_us)) < 0)
        return r;
    out->alarm_id = a.id;
    out->incident_id = a.incident_id;
    return 0;
}

int incident_alarm_handle(struct store *st, int64_t alarm_id, bool ack, const char *who,
                          int64_t now_us, struct gh_err *err)
{
    struct alarm a;
    struct incident x;
    char note[64];
    int r = store_alarm_get(st, alarm_id, &a);
    if (r < 0)
        return gh_fail(err, r, "alarm %lld %s", (long long)alarm_id,
                       r == -ENOENT ? "does not exist" : "cannot be read");
    if (a.status == ALARM_CLEARED || (ack && a.status == ALARM_ACKNOWLEDGED))
        return gh_fail(err, INCIDENT_E_TRANSITION, "alarm %lld is %s already", (long long)alarm_id,
                       alarm_status_name(a.status));
    if (ack) {
        a.status = ALARM_ACKNOWLEDGED;
        a.acked_us = now_us;
        gh_strlcpy(a.acked_by, who, sizeof(a.acked_by));
    } else {
        a.status = ALARM_CLEARED;
        a.cleared_us = now_us;
        gh_strlcpy(a.cleared_by, who, sizeof(a.cleared_by));
    }
    if ((r = store_alarm_update(st, &a, err)) < 0 ||
        (r = alarm_event(st, &a, ack ? "acknowledged" : "cleared", who, now_us)) < 0)
        return r;
    /* whoever acknowledges the alarm has its new incident */
    if (ack && a.incident_id != 0 && store_incident_get(st, a.incident_id, &x) == 0 &&
        x.status == INC_NEW) {
        snprintf(note, sizeof(note), "alarm %lld acknowledged", (long long)a.id);
        return incident_transition(st, x.id, INC_ACKNOWLEDGED, note, who, now_us, err);
    }
    return 0;
}
