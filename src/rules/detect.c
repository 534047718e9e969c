/*
 * detect.c: the built-in detectors over the event stream (rules.h).
 *
 * The design is simple: each event goes past every enabled detector once. Detectors that
 * need memory keep it per subject (a credential, a door) in a fixed-size table: a key
 * hashes to a bucket of PROBE slots; the key's slot is found there, or an empty one, or
 * the least recently used one is taken over. No slot is ever emptied, so a lookup never
 * stops early, and memory never grows, whatever the stream.
 */
#include "rules/rules.h"
#include "access/access.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE       8
#define DENIALS_MAX 64 /* the largest n a repeated-denials detector takes */

static const char *const type_names[RULE_COUNT] = {
    [RULE_BADGE_CLONING] = "badge_cloning",
    [RULE_CREDENTIAL_MISUSE] = "credential_misuse",
    [RULE_DENIALS_CREDENTIAL] = "repeated_denials_credential",
    [RULE_DENIALS_DOOR] = "repeated_denials_door",
    [RULE_DOOR_FORCED] = "door_forced",
    [RULE_DOOR_HELD] = "door_held",
    [RULE_TAMPER] = "tamper",
    [RULE_ANTIPASSBACK] = "anti_passback",
    [RULE_AFTER_HOURS] = "after_hours",
    [RULE_TAILGATING] = "tailgating",
    [RULE_HEARTBEAT_MISSED] = "missed_heartbeat",
    [RULE_DEVICE_OFFLINE] = "device_offline",
    [RULE_STALE_ACCESS] = "stale_access",
};

const char *rules_type_name(enum rules_type t)
{
    return (unsigned)t < RULE_COUNT ? type_names[t] : "?";
}

const char *rules_alarm_type(const struct rules_alarm *a)
{
    return a->type == RULE_CUSTOM ? a->custom : rules_type_name(a->type);
}

int rules_type_parse(const char *s, enum rules_type *out)
{
    for (int i = 0; i < RULE_COUNT; i++)
        if (strcmp(s, type_names[i]) == 0) {
            *out = (enum rules_type)i;
            return 0;
        }
    return -EINVAL;
}

void rules_config_init(struct rules_config *c)
{
    memset(c, 0, sizeof(*c));
    c->walk_same_site_s = 0; /* doors of one site may be steps apart: the table says */
    c->walk_other_site_s = 900;
    c->walk_speed_mps = 2.0;
    c->denials_credential_n = 5;
    c->denials_credential_window_s = 60;
    c->denials_door_n = 10;
    c->denials_door_window_s = 60;
    c->after_hours_min_history = 40;
    c->heartbeat_grace_s = 5;
    c->offline_after_s = 90;
    c->stale_access_days = 30;
}

/* ---- per-subject tables ------------------------------------------------------------------ */

struct table {
    size_t slots, size; /* size: bytes of a slot's payload */
    int64_t *keys;      /* 0: empty */
    int64_t *used;      /* last use, for taking over */
    uint8_t *data;
    int64_t clock;
};

static void table_init(struct table *t, size_t slots, size_t size)
{
    t->slots = slots;
    t->size = size;
    t->keys = xcalloc(slots, sizeof(int64_t));
    t->used = xcalloc(slots, sizeof(int64_t));
    t->data = xcalloc(slots, size);
    t->clock = 0;
}

static void table_free(struct table *t)
{
    free(t->keys);
    free(t->used);
    free(t->data);
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The payload of key (key != 0); *fresh says it was just taken (zeroed). */
static void *table_get(struct table *t, int64_t key, bool *fresh)
{
    size_t b = (size_t)(mix((uint64_t)key) & (t->slots - 1)), pick = b;
    for (size_t i = 0; i < PROBE; i++) {
        size_t s = (b + i) & (t->slots - 1);
        if (t->keys[s] == key) {
            t->used[s] = ++t->clock;
            *fresh = false;
            return t->data + s * t->size;
        }
        if (t->keys[s] == 0 || t->used[s] < t->used[pick])
            pick = s;
        if (t->keys[s] == 0)
            break;
    }
    t->keys[pick] = key;
    t->used[pick] = ++t->clock;
    memset(t->data + pick * t->size, 0, t->size);
    *fresh = true;
    return t->data + pick * t->size;
}

/* ---- the engine ---------------------------------------------------------------------------- */

struct last_read {
    int64_t door, site, time_us;
};

struct window {
    unsigned count, head;
    int64_t times[]; /* a ring of the last n denials' times */
};

/* A person's grants by kind of day (0 weekday, 1 weekend) and hour. */
struct hours {
    uint32_t total;
    uint16_t seen[2][24]; /* saturating */
};

/* A controller: its last heartbeat, its period, and what was said of its silence. */
struct device {
    int64_t heartbeat_us;
    unsigned period_s;
    bool said_missed, said_offline;
};

/* An open access review. */
struct review {
    int64_t person_id, opened_us;
    uint32_t gen; /* the roll call it was last open at */
    bool said;
};

/* A door between two lockings: the grants and exit requests it had, the openings. */
struct passage {
    uint32_t passes, opens;
    bool said;
};

struct rules_engine {
    struct rules_config cfg;
    struct rules_walk *walks; /* sorted by (door_a, door_b), door_a < door_b */
    struct rules_lookup look;
    struct table reads, denials_cred, denials_door, hours, passages;
    struct table devices, reviews; /* the clock-driven detectors' facts */
    uint32_t review_gen;
};

static int cmp_walk(const void *a, const void *b)
{
    const struct rules_walk *x = a, *y = b;
    if (x->door_a != y->door_a)
        return x->door_a < y->door_a ? -1 : 1;
    return x->door_b < y->door_b ? -1 : x->door_b > y->door_b;
}

int rules_engine_new(const struct rules_config *cfg, const struct rules_lookup *lookup,
                     struct rules_engine **out, struct gh_err *err)
{
    struct rules_engine *e;
    if (cfg->denials_credential_n < 2 || cfg->denials_credential_n > DENIALS_MAX ||
        cfg->denials_door_n < 2 || cfg->denials_door_n > DENIALS_MAX)
        return gh_fail(err, -EINVAL, "repeated denials: n must be from 2 to %d", DENIALS_MAX);
    if (!(cfg->walk_speed_mps >= 0 && cfg->walk_speed_mps <= 100))
        return gh_fail(err, -EINVAL, "walk_speed must be from 0 (off) to 100 m/s");
    e = xcalloc(1, sizeof(*e));
    e->cfg = *cfg;
    e->look = *lookup;
    if (cfg->n_walks > 0) {
        e->walks = xcalloc(cfg->n_walks, sizeof(*e->walks));
        for (size_t i = 0; i < cfg->n_walks; i++) {
            struct rules_walk w = cfg->walks[i];
            if (w.door_a > w.door_b) {
                int64_t t = w.door_a;
                w.door_a = w.door_b;
                w.door_b = t;
            }
            e->walks[i] = w;
        }
        qsort(e->walks, cfg->n_walks, sizeof(*e->walks), cmp_walk);
    }
    e->cfg.walks = e->walks;
    table_init(&e->reads, RULES_TABLE_SLOTS, sizeof(struct last_read));
    table_init(&e->denials_cred, RULES_TABLE_SLOTS,
               sizeof(struct window) + cfg->denials_credential_n * sizeof(int64_t));
    table_init(&e->denials_door, RULES_TABLE_SLOTS,
               sizeof(struct window) + cfg->denials_door_n * sizeof(int64_t));
    table_init(&e->hours, RULES_TABLE_SLOTS, sizeof(struct hours));
    table_init(&e->passages, RULES_TABLE_SLOTS, sizeof(struct passage));
    table_init(&e->devices, RULES_DEVICE_SLOTS, sizeof(struct device));
    table_init(&e->reviews, RULES_DEVICE_SLOTS, sizeof(struct review));
    *out = e;
    return 0;
}

void rules_engine_free(struct rules_engine *e)
{
    if (e == NULL)
        return;
    table_free(&e->reads);
    table_free(&e->denials_cred);
    table_free(&e->denials_door);
    table_free(&e->hours);
    table_free(&e->passages);
    table_free(&e->devices);
    table_free(&e->reviews);
    free(e->walks);
    free(e);
}

static void emit_alarm(const struct event *ev, enum rules_type type, int severity,
                       const char *subject, int64_t subject_id, rules_emit_fn emit, void *ctx,
                       const char *fmt, ...) GH_PRINTF(8, 9);

static void emit_alarm(const struct event *ev, enum rules_type type, int severity,
                       const char *subject, int64_t subject_id, rules_emit_fn emit, void *ctx,
                       const char *fmt, ...)
{
    struct rules_alarm a;
    va_list ap;
    memset(&a, 0, sizeof(a));
    a.type = type;
    a.severity = severity;
    a.time_us = ev->time_us;
    a.offset = ev->offset;
    a.door_id = ev->door_id;
    a.person_id = ev->person_id;
    a.credential_id = ev->credential_id;
    snprintf(a.key, sizeof(a.key), "%s:%s:%lld", type_names[type], subject, (long long)subject_id);
    va_start(ap, fmt);
    vsnprintf(a.detail, sizeof(a.detail), fmt, ap);
    va_end(ap);
    emit(ctx, &a);
}

/* The least time one needs from door a to door b; 0 when nothing is known. */
static unsigned walk_time(struct rules_engine *e, int64_t a, int64_t b, int64_t site_a,
                          int64_t site_b)
{
    struct rules_walk key = {a < b ? a : b, a < b ? b : a, 0}, *w = NULL;
    double ax, ay, bx, by;
    if (e->cfg.n_walks > 0)
        w = bsearch(&key, e->walks, e->cfg.n_walks, sizeof(key), cmp_walk);
    if (w != NULL)
        return w->seconds;
    if (site_a == 0 || site_b == 0)
        return 0;
    if (site_a == site_b && e->look.door_position != NULL && e->cfg.walk_speed_mps > 0 &&
        e->look.door_position(e->look.ctx, a, &ax, &ay) == 0 &&
        e->look.door_position(e->look.ctx, b, &bx, &by) == 0)
        return (unsigned)(hypot(ax - bx, ay - by) / e->cfg.walk_speed_mps);
    return site_a == site_b ? e->cfg.walk_same_site_s : e->cfg.walk_other_site_s;
}

static int64_t site_of(struct rules_engine *e, int64_t door)
{
    return e->look.door_site != NULL ? e->look.door_site(e->look.ctx, door) : 0;
}

static void badge_cloning(struct rules_engine *e, const struct event *ev, rules_emit_fn emit,
                          void *ctx)
{
    bool fresh;
    struct last_read *last;
    int64_t site;
    if (ev->credential_id == 0 || ev->door_id == 0)
        return;
    site = site_of(e, ev->door_id);
    last = table_get(&e->reads, ev->credential_id, &fresh);
    if (!fresh && last->door != ev->door_id) {
        int64_t dt = ev->time_us - last->time_us;
        unsigned need = walk_time(e, last->door, ev->door_id, last->site, site);
        if (dt < 0)
            dt = -dt; /* a journal uploaded late: the order of the two does not matter */
        if (need > 0 && dt < (int64_t)need * GH_USEC_PER_SEC)
            emit_alarm(ev, RULE_BADGE_CLONING, 4, "credential", ev->credential_id, emit, ctx,
                       "credential %lld read at door %lld and %.1f s later at door %lld; walking "
                       "between them takes at least %u s",
                       (long long)ev->credential_id, (long long)last->door, (double)dt / 1e6,
                       (long long)ev->door_id, need);
    }
    if (fresh || ev->time_us >= last->time_us)
        *last = (struct last_read){ev->door_id, site, ev->time_us};
}

static void credential_misuse(struct rules_engine *e, const struct event *ev, rules_emit_fn emit,
                              void *ctx)
{
    int st;
    if (ev->decision != 0)
        return;
    if (ev->reason == REASON_CREDENTIAL_INACTIVE && ev->credential_id != 0) {
        static const int severity[CRED_STATUS_COUNT] = {
            [CRED_SUSPENDED] = 3, [CRED_LOST] = 4, [CRED_STOLEN] = 5, [CRED_REVOKED] = 3};
        st = e->look.credential_status ? e->look.credential_status(e->look.ctx, ev->credential_id)
                                       : -1;
        emit_alarm(ev, RULE_CREDENTIAL_MISUSE,
                   st >= 0 && st < CRED_STATUS_COUNT && severity[st] ? severity[st] : 3,
                   "credential", ev->credential_id, emit, ctx,
                   "a %s card (credential %lld) was presented at door %lld",
                   st >= 0 && st < CRED_STATUS_COUNT ? cred_status_name((enum cred_status)st)
                                                     : "deactivated",
                   (long long)ev->credential_id, (long long)ev->door_id);
    } else if (ev->reason == REASON_PERSON_INACTIVE && ev->person_id != 0) {
        static const int severity[PERSON_STATUS_COUNT] = {
            [PERSON_ON_LEAVE] = 2, [PERSON_SUSPENDED] = 3, [PERSON_TERMINATED] = 4};
        static const char *const who[PERSON_STATUS_COUNT] = {
            [PERSON_ACTIVE] = "an active person",
            [PERSON_ON_LEAVE] = "a person on leave",
            [PERSON_SUSPENDED] = "a suspended person",
            [PERSON_TERMINATED] = "a terminated person"};
        bool known;
        st = e->look.person_status ? e->look.person_status(e->look.ctx, ev->person_id) : -1;
        known = st >= 0 && st < PERSON_STATUS_COUNT;
        emit_alarm(ev, RULE_CREDENTIAL_MISUSE, known && severity[st] ? severity[st] : 3, "person",
                   ev->person_id, emit, ctx,
                   "the card of %s (person %lld) was presented at door %lld",
                   known ? who[st] : "a deactivated person", (long long)ev->person_id,
                   (long long)ev->door_id);
    }
}

/* Counts a denial in key's window; true when it is the n-th within window_s (the window
 * then starts again, so the next alarm needs n more). */
static bool count_denial(struct table *t, int64_t key, unsigned n, unsigned window_s,
                         int64_t time_us)
{
    bool fresh;
    struct window *w = table_get(t, key, &fresh);
    int64_t lo = time_us, hi = time_us;
    w->times[w->head] = time_us;
    w->head = (w->head + 1) % n;
    if (w->count < n)
        w->count++;
    if (w->count < n)
        return false;
    /* the last n denials by arrival; their times may be out of order (a late journal):
     * they count when all n lie within the window */
    for (unsigned i = 0; i < n; i++) {
        lo = w->times[i] < lo ? w->times[i] : lo;
        hi = w->times[i] > hi ? w->times[i] : hi;
    }
    if (hi - lo > (int64_t)window_s * GH_USEC_PER_SEC)
        return false;
    w->count = 0;
    w->head = 0;
    return true;
}

/* Whether detector t looks at this event: it is on, and the event's door is in its scope
 * (a door of the scope, or of one of its sites) when it has one. */
static bool on(struct rules_engine *e, enum rules_type t, const struct event *ev)
{
    const struct rules_scope *sc = &e->cfg.scope[t];
    int64_t site;
    if (e->cfg.disabled[t])
        return false;
    if (sc->n_sites == 0 && sc->n_doors == 0)
        return true;
    if (ev->door_id == 0)
        return false;
    for (int i = 0; i < sc->n_doors; i++)
        if (sc->doors[i] == ev->door_id)
            return true;
    site = sc->n_sites ? site_of(e, ev->door_id) : 0;
    for (int i = 0; i < sc->n_sites && site != 0; i++)
        if (sc->sites[i] == site)
            return true;
    return false;
}

static void repeated_denials(struct rules_engine *e, const struct event *ev, rules_emit_fn emit,
                             void *ctx)
{
    const struct rules_config *c = &e->cfg;
    if (ev->decision != 0)
        return;
    if (on(e, RULE_DENIALS_CREDENTIAL, ev) && ev->credential_id != 0 &&
        count_denial(&e->denials_cred, ev->credential_id, c->denials_credential_n,
                     c->denials_credential_window_s, ev->time_us))
        emit_alarm(ev, RULE_DENIALS_CREDENTIAL, 3, "credential", ev->credential_id, emit, ctx,
                   "credential %lld was denied %u times within %u s (the last at door %lld)",
                   (long long)ev->credential_id, c->denials_credential_n,
                   c->denials_credential_window_s, (long long)ev->door_id);
    if (on(e, RULE_DENIALS_DOOR, ev) && ev->door_id != 0 &&
        count_denial(&e->denials_door, ev->door_id, c->denials_door_n, c->denials_door_window_s,
                     ev->time_us))
        emit_alarm(ev, RULE_DENIALS_DOOR, 3, "door", ev->door_id, emit, ctx,
                   "%u denials within %u s at door %lld", c->denials_door_n,
                   c->denials_door_window_s, (long long)ev->door_id);
}

/* Checks a grant against the person's usual hours, then learns it. Silent until the
 * person has after_hours_min_history grants; "within an hour" is the hour and both of its
 * neighbours, on the same kind of day. */
static void after_hours(struct rules_engine *e, const struct event *ev, rules_emit_fn emit,
                        void *ctx)
{
    static const char *const days[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
    struct hours *h;
    bool fresh;
    int wd, hr, kind;
    unsigned near;
    if (ev->decision != 1 || ev->person_id == 0 || e->look.local_time == NULL ||
        e->look.local_time(e->look.ctx, ev->door_id, ev->time_us, &wd, &hr) < 0 || wd < 0 ||
        wd > 6 || hr < 0 || hr > 23)
        return;
    kind = wd >= 5;
    h = table_get(&e->hours, ev->person_id, &fresh);
    near =
        (unsigned)h->seen[kind][hr] + h->seen[kind][(hr + 23) % 24] + h->seen[kind][(hr + 1) % 24];
    if (h->total >= e->cfg.after_hours_min_history && near == 0)
        emit_alarm(ev, RULE_AFTER_HOURS, 2, "person", ev->person_id, emit, ctx,
                   "person %lld let in at door %lld on a %s at %02d:xx, unlike their usual hours "
                   "(%u grants seen, none within an hour of that on a %s)",
                   (long long)ev->person_id, (long long)ev->door_id, days[wd], hr, h->total,
                   kind ? "weekend" : "weekday");
    if (h->seen[kind][hr] < UINT16_MAX)
        h->seen[kind][hr]++;
    if (h->total < UINT32_MAX)
        h->total++;
}

/* The door's state note in a door.state event's payload ({"state":"opened"}), or "". */
static const char *state_note(const struct event *ev, char *buf, size_t len)
{
    const char *p = strstr(ev->payload, "\"state\":\"");
    size_t n = 0;
    buf[0] = '\0';
    if (p == NULL)
        return buf;
    for (p += 9; *p && *p != '"' && n + 1 < len; p++)
        buf[n++] = *p;
    buf[n] = '\0';
    return buf;
}

/* Tailgating signal: between two lockings of a door that was unlocked for passes (grants,
 * exit requests), more openings than passes. A door unlocked otherwise (a schedule, an
 * operator) has no passes and is left alone. Said once per unlocking. */
static void tailgating(struct rules_engine *e, const struct event *ev, rules_emit_fn emit,
                       void *ctx)
{
    struct passage *p;
    char note[16];
    bool fresh;
    if (ev->door_id == 0)
        return;
    if (ev->type == EV_DOOR_STATE) {
        state_note(ev, note, sizeof(note));
        if (strcmp(note, "locked") != 0 && strcmp(note, "opened") != 0)
            return;
    } else if (!(ev->type == EV_DOOR_REX ||
                 (ev->type == EV_ACCESS_DECISION && ev->decision == 1))) {
        return;
    }
    p = table_get(&e->passages, ev->door_id, &fresh);
    if (ev->type != EV_DOOR_STATE) {
        p->passes++;
    } else if (note[0] == 'l') { /* locked: the next unlocking starts afresh */
        memset(p, 0, sizeof(*p));
    } else if (++p->opens > p->passes && p->passes > 0 && !p->said) {
        p->said = true;
        emit_alarm(ev, RULE_TAILGATING, 3, "door", ev->door_id, emit, ctx,
                   "door %lld opened %u times for %u grant%s before it locked again: someone "
                   "may have followed",
                   (long long)ev->door_id, p->opens, p->passes, p->passes == 1 ? "" : "s");
    }
}

void rules_feed(struct rules_engine *e, const struct event *ev, rules_emit_fn emit, void *ctx)
{
    switch (ev->type) {
    case EV_ACCESS_DECISION:
        if (on(e, RULE_BADGE_CLONING, ev))
            badge_cloning(e, ev, emit, ctx);
        if (on(e, RULE_CREDENTIAL_MISUSE, ev))
            credential_misuse(e, ev, emit, ctx);
        repeated_denials(e, ev, emit, ctx);
        if (on(e, RULE_AFTER_HOURS, ev))
            after_hours(e, ev, emit, ctx);
        if (on(e, RULE_TAILGATING, ev))
            tailgating(e, ev, emit, ctx);
        if (on(e, RULE_ANTIPASSBACK, ev) && ev->decision == 0 && ev->reason == REASON_ANTIPASSBACK)
            emit_alarm(
                ev, RULE_ANTIPASSBACK, 2, "door", ev->door_id, emit, ctx,
                "anti-passback: credential %lld denied at door %lld (it never left the area)",
                (long long)ev->credential_id, (long long)ev->door_id);
        break;
    case EV_DOOR_FORCED:
        if (on(e, RULE_DOOR_FORCED, ev))
            emit_alarm(ev, RULE_DOOR_FORCED, 4, "door", ev->door_id, emit, ctx,
                       "door %lld was forced open", (long long)ev->door_id);
        break;
    case EV_DOOR_HELD:
        if (on(e, RULE_DOOR_HELD, ev))
            emit_alarm(ev, RULE_DOOR_HELD, 2, "door", ev->door_id, emit, ctx,
                       "door %lld is held open past its time", (long long)ev->door_id);
        break;
    case EV_DOOR_REX:
    case EV_DOOR_STATE:
        if (on(e, RULE_TAILGATING, ev))
            tailgating(e, ev, emit, ctx);
        break;
    case EV_DOOR_TAMPER:
        if (on(e, RULE_TAMPER, ev))
            emit_alarm(ev, RULE_TAMPER, 4, "door", ev->door_id, emit, ctx,
                       "tamper at door %lld (reader or door)", (long long)ev->door_id);
        break;
    default:
        break;
    }
}

/* ---- clock-driven detectors: devices that fall silent, reviews left open ------------------- */

void rules_device_seen(struct rules_engine *e, int64_t controller_id, int64_t heartbeat_us,
                       unsigned period_s)
{
    bool fresh;
    struct device *d;
    if (controller_id <= 0)
        return;
    d = table_get(&e->devices, controller_id, &fresh);
    if (fresh || heartbeat_us > d->heartbeat_us) { /* a newer heartbeat: heard again */
        d->heartbeat_us = heartbeat_us;
        d->said_missed = d->said_offline = false;
    }
    d->period_s = period_s ? period_s : 30;
}

void rules_review_open(struct rules_engine *e, int64_t review_id, int64_t person_id,
                       int64_t opened_us)
{
    bool fresh;
    struct review *r;
    if (review_id <= 0)
        return;
    r = table_get(&e->reviews, review_id, &fresh);
    r->person_id = person_id;
    r->opened_us = opened_us;
    r->gen = e->review_gen;
}

void rules_reviews_begin(struct rules_engine *e)
{
    e->review_gen++;
}

static void clock_alarm(enum rules_type type, int severity, int64_t now_us, const char *subject,
                        int64_t id, struct rules_alarm *a, rules_emit_fn emit, void *ctx)
{
    a->type = type;
    a->severity = severity;
    a->time_us = now_us;
    snprintf(a->key, sizeof(a->key), "%s:%s:%lld", type_names[type], subject, (long long)id);
    emit(ctx, a);
}

void rules_tick(struct rules_engine *e, int64_t now_us, rules_emit_fn emit, void *ctx)
{
    const bool *off = e->cfg.disabled;
    for (size_t s = 0; s < e->devices.slots; s++) {
        struct device *d = (struct device *)(e->devices.data + s * e->devices.size);
        int64_t id = e->devices.keys[s], silent_s;
        struct rules_alarm a;
        if (id == 0 || d->heartbeat_us == 0)
            continue;
        silent_s = (now_us - d->heartbeat_us) / GH_USEC_PER_SEC;
        memset(&a, 0, sizeof(a));
        a.device_id = id;
        if (!d->said_offline && !off[RULE_DEVICE_OFFLINE] &&
            silent_s > (int64_t)e->cfg.offline_after_s && silent_s > 3 * (int64_t)d->period_s) {
            d->said_offline = d->said_missed = true;
            snprintf(a.detail, sizeof(a.detail),
                     "controller %lld is offline: no heartbeat for %lld s (it beats every %u s); "
                     "its doors decide on their own",
                     (long long)id, (long long)silent_s, d->period_s);
            clock_alarm(RULE_DEVICE_OFFLINE, 4, now_us, "controller", id, &a, emit, ctx);
        } else if (!d->said_missed && !off[RULE_HEARTBEAT_MISSED] &&
                   silent_s > (int64_t)d->period_s + (int64_t)e->cfg.heartbeat_grace_s) {
            d->said_missed = true;
            snprintf(a.detail, sizeof(a.detail),
                     "controller %lld missed its heartbeat: none for %lld s (every %u s)",
                     (long long)id, (long long)silent_s, d->period_s);
            clock_alarm(RULE_HEARTBEAT_MISSED, 2, now_us, "controller", id, &a, emit, ctx);
        }
    }
    if (off[RULE_STALE_ACCESS] || e->cfg.stale_access_days == 0)
        return;
    for (size_t s = 0; s < e->reviews.slots; s++) {
        struct review *r = (struct review *)(e->reviews.data + s * e->reviews.size);
        int64_t id = e->reviews.keys[s];
        int64_t days = (now_us - (id ? r->opened_us : now_us)) / (86400 * GH_USEC_PER_SEC);
        struct rules_alarm a;
        if (id == 0 || r->said || r->gen != e->review_gen ||
            days < (int64_t)e->cfg.stale_access_days)
            continue;
        r->said = true;
        memset(&a, 0, sizeof(a));
        a.person_id = r->person_id;
        snprintf(a.detail, sizeof(a.detail),
                 "person %lld's access review %lld has been open for %lld days (after a "
                 "department change): their access may be stale",
                 (long long)r->person_id, (long long)id, (long long)days);
        clock_alarm(RULE_STALE_ACCESS, 2, now_us, "person", r->person_id, &a, emit, ctx);
    }
}
