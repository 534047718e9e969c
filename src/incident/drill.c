/*
 * drill.c: drills. A drill injects a marked scenario into the event log, as the simulator
 * would have recorded it, so that the detectors, the alarm store, the incident workflow and
 * the people in the directory all do their part for real: badge cloning (one card read at
 * two doors too far apart to walk in 10 s), a terminated employee's card tried, a door
 * forced, and a grant at an hour the person never comes. The reads are the drill person's
 * ("DRILL", made on first use, its card h10301:255:65535), every event carries
 * {"drill": id, "scenario": name}, and what the drill opens is marked with its id, so drills
 * stay apart from real incidents. The report measures, per department, the time from the
 * injection to the alarm, to the acknowledgement and to the resolution.
 */
#include "incident/incident_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DRILL_EMPLOYEE "DRILL"
#define DRILL_FACILITY 255
#define DRILL_NUMBER   65535

static const char *const scenario_names[DRILL_COUNT] = {
    [DRILL_BADGE_CLONING] = "badge-cloning",
    [DRILL_TERMINATED] = "terminated-employee",
    [DRILL_FORCED_DOOR] = "forced-door",
    [DRILL_AFTER_HOURS] = "after-hours",
};

const char *incident_drill_name(enum incident_drill d)
{
    return (unsigned)d < DRILL_COUNT ? scenario_names[d] : "?";
}

int incident_drill_parse(const char *s, enum incident_drill *out)
{
    for (int i = 0; i < DRILL_COUNT; i++)
        if (strcmp(s, scenario_names[i]) == 0) {
            *out = (enum incident_drill)i;
            return 0;
        }
    return -EINVAL;
}

/* The drill person and card, made once; their status set for the scenario. */
static int drill_person(struct store *st, bool terminated, struct person *p, struct credential *c,
                        struct gh_err *err)
{
    enum person_status ps = terminated ? PERSON_TERMINATED : PERSON_ACTIVE;
    enum cred_status cs = terminated ? CRED_REVOKED : CRED_ACTIVE;
    int r;
    if (store_person_find(st, DRILL_EMPLOYEE, p) == -ENOENT) {
        memset(p, 0, sizeof(*p));
        gh_strlcpy(p->employee_id, DRILL_EMPLOYEE, sizeof(p->employee_id));
        gh_strlcpy(p->first_name, "Drill", sizeof(p->first_name));
        gh_strlcpy(p->last_name, "Person", sizeof(p->last_name));
        gh_strlcpy(p->title, "made by drills; not a real person", sizeof(p->title));
        p->kind = PERSON_CONTRACTOR;
        p->status = ps;
        p->valid_from = GH_TIME_MIN;
        p->valid_until = GH_TIME_MAX;
        if ((r = store_person_insert(st, p, err)) < 0)
            return r;
    } else if (p->status != ps) {
        p->status = ps;
        if ((r = store_person_update(st, p, err)) < 0)
            return r;
    }
    if (store_credential_find(st, CRED_FMT_H10301, DRILL_FACILITY, DRILL_NUMBER, c) == -ENOENT) {
        memset(c, 0, sizeof(*c));
        c->person_id = p->id;
        c->format = CRED_FMT_H10301;
        c->facility = DRILL_FACILITY;
        c->number = DRILL_NUMBER;
        c->status = cs;
        c->valid_from = GH_TIME_MIN;
        c->valid_until = GH_TIME_MAX;
        return store_credential_insert(st, c, err);
    }
    if (c->person_id != p->id)
        return gh_fail(err, -EEXIST,
                       "card h10301:%d:%d, which drills use, belongs to someone else (person %lld)",
                       DRILL_FACILITY, DRILL_NUMBER, (long long)c->person_id);
    if (c->status != cs) {
        c->status = cs;
        return store_credential_update(st, c, err);
    }
    return 0;
}

struct doors {
    struct door v[512];
    int n;
};

static int collect_door(void *ctx, const struct door *d)
{
    struct doors *ds = ctx;
    if (ds->n < (int)GH_ARRAY_LEN(ds->v))
        ds->v[ds->n++] = *d;
    return 0;
}

/* Two doors one cannot walk between in 10 s: of two sites, else the two placed doors of a
 * site farthest apart (at least 50 m). */
static int far_doors(const struct doors *ds, const struct door **a, const struct door **b)
{
    double best = 0;
    *a = *b = NULL;
    for (int i = 0; i < ds->n; i++)
        for (int j = i + 1; j < ds->n; j++) {
            const struct door *x = &ds->v[i], *y = &ds->v[j];
            if (x->site_id != y->site_id) {
                *a = x;
                *b = y;
                return 0;
            }
            if (x->has_position && y->has_position) {
                double d = hypot((double)x->x_m - y->x_m, (double)x->y_m - y->y_m);
                if (d > best) {
                    best = d;
                    *a = x;
                    *b = y;
                }
            }
        }
    return best >= 50 ? 0 : -ENOENT;
}

static int inject(struct store *st, int64_t drill_id, enum incident_drill d, enum event_type type,
                  int64_t t, int64_t door, const struct credential *c, int decision, int reason)
{
    struct event ev;
    int r = event_make(&ev, type, door, c ? c->person_id : 0, c ? c->id : 0,
                       json_pack("{s:I, s:s, s:s}", "drill", (json_int_t)drill_id, "scenario",
                                 incident_drill_name(d), "source", "drill"));
    if (r < 0)
        return r;
    ev.time_us = t;
    ev.decision = decision;
    ev.reason = reason;
    return store_event_append(st, &ev) < 0 ? -EIO : 0;
}

int incident_drill_run(struct store *st, enum incident_drill d, const char *door_name,
                       const char *who, int64_t now_us, int64_t *drill_id, struct gh_err *err)
{
    struct doors ds;
    struct person p;
    struct credential c;
    const struct door *a = NULL, *b = NULL;
    int64_t id;
    int r;
    ds.n = 0;
    if ((r = store_door_list(st, collect_door, &ds)) < 0)
        return gh_fail(err, r, "reading doors: %s", store_errmsg(st));
    if (ds.n == 0)
        return gh_fail(err, -EINVAL, "a drill needs doors: there are none");
    if (door_name != NULL) {
        for (int i = 0; i < ds.n && a == NULL; i++)
            if (strcmp(ds.v[i].name, door_name) == 0)
                a = &ds.v[i];
        if (a == NULL)
            return gh_fail(err, -EINVAL, "door: '%s' does not exist", door_name);
    } else {
        a = &ds.v[0];
    }
    if (d == DRILL_BADGE_CLONING && far_doors(&ds, &a, &b) < 0)
        return gh_fail(err, -EINVAL,
                       "badge-cloning needs two doors too far apart to walk in 10 s: doors of "
                       "two sites, or placed doors of one site at least 50 m apart (door set "
                       "--position)");
    if ((r = store_drill_insert(st, incident_drill_name(d), now_us, who, &id, err)) < 0)
        return r;
    if (d != DRILL_FORCED_DOOR && (r = drill_person(st, d == DRILL_TERMINATED, &p, &c, err)) < 0)
        return r;
    switch (d) {
    case DRILL_BADGE_CLONING:
        r = inject(st, id, d, EV_ACCESS_DECISION, now_us - 10 * GH_USEC_PER_SEC, a->id, &c, 1,
                   REASON_GRANTED);
        if (r == 0)
            r = inject(st, id, d, EV_ACCESS_DECISION, now_us, b->id, &c, 1, REASON_GRANTED);
        break;
    case DRILL_TERMINATED:
        r = inject(st, id, d, EV_ACCESS_DECISION, now_us, a->id, &c, 0, REASON_CREDENTIAL_INACTIVE);
        break;
    case DRILL_FORCED_DOOR:
        r = inject(st, id, d, EV_DOOR_FORCED, now_us, a->id, NULL, -1, -1);
        break;
    case DRILL_AFTER_HOURS: {
        /* a history of grants twelve hours from now, on every day of the last 60, then a
         * grant now: an hour this person never comes */
        int64_t day = 86400 * GH_USEC_PER_SEC;
        for (int k = 60; k >= 1 && r == 0; k--)
            r = inject(st, id, d, EV_ACCESS_DECISION, now_us - k * day + day / 2, a->id, &c, 1,
                       REASON_GRANTED);
        if (r == 0)
            r = inject(st, id, d, EV_ACCESS_DECISION, now_us, a->id, &c, 1, REASON_GRANTED);
        break;
    }
    default:
        r = -EINVAL;
    }
    if (r < 0)
        return gh_fail(err, r, "the drill's events were not recorded: %s", store_errmsg(st));
    *drill_id = id;
    return 0;
}

/* ---- the report ------------------------------------------------------------------------------ */

static json_t *seconds_since(int64_t from_us, int64_t at_us)
{
    return at_us ? json_real((double)(at_us - from_us) / 1e6) : json_null();
}

struct report {
    struct store *st;
    const struct drill *d;
    json_t *departments; /* name -> [incident ...] */
};

struct first_alarm {
    int64_t raised_us;
    char type[ALARM_TYPE_MAX];
};

static int earliest(void *ctx, const struct alarm *a)
{
    struct first_alarm *f = ctx;
    if (f->raised_us == 0 || a->raised_us < f->raised_us) {
        f->raised_us = a->raised_us;
        gh_strlcpy(f->type, a->type, sizeof(f->type));
    }
    return 0;
}

static int add_incident(void *ctx, const struct incident *x)
{
    struct report *rep = ctx;
    struct department dep;
    struct first_alarm fa = {0, ""};
    struct store_alarm_filter f = {0, 0, x->id, 0};
    const char *name = "(no department)";
    json_t *list;
    if (x->department_id != 0 && store_department_get(rep->st, x->department_id, &dep) == 0)
        name = dep.name;
    store_alarm_list(rep->st, &f, earliest, &fa);
    if ((list = json_object_get(rep->departments, name)) == NULL) {
        list = json_array();
        json_object_set_new(rep->departments, name, list);
    }
    json_array_append_new(
        list, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o}", "incident", (json_int_t)x->id,
                        "title", x->title, "status", incident_status_name(x->status), "alarm",
                        fa.type, "to_alarm_s", seconds_since(rep->d->started_us, fa.raised_us),
                        "to_acknowledge_s", seconds_since(rep->d->started_us, x->acked_us),
                        "to_resolve_s", seconds_since(rep->d->started_us, x->resolved_us)));
    return 0;
}

int incident_drill_report(struct store *st, int64_t drill_id, json_t **out, struct gh_err *err)
{
    struct drill d;
    struct report rep = {st, &d, json_object()};
    struct store_incident_filter f = {0, 0, 0, drill_id, 0};
    char when[GH_ISO_LEN];
    int r = store_drill_get(st, drill_id, &d);
    if (r < 0) {
        json_decref(rep.departments);
        return gh_fail(err, r, "drill %lld %s", (long long)drill_id,
                       r == -ENOENT ? "does not exist" : "cannot be read");
    }
    if ((r = store_incident_list(st, &f, add_incident, &rep)) < 0) {
        json_decref(rep.departments);
        return gh_fail(err, r, "drill %lld: reading its incidents", (long long)drill_id);
    }
    gh_format_iso(d.started_us, when);
    *out = json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)d.id, "scenario", d.scenario,
                     "started", when, "by", d.by, "departments", rep.departments);
    return *out ? 0 : gh_fail(err, -ENOMEM, "the drill report");
}
