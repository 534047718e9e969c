/*
 * sim.c: the site simulator and the demo.
 *
 * The design is simple: a seeded generator (splitmix64, so the same seed gives the same
 * organization and the same day) builds a campus into an empty store through the store
 * API: buildings with a lobby, offices, a lab and a server room, departments, people with
 * cards and access levels. Then it plans one working day of badge reads for everybody
 * (arrive, go to the office, lunch, leave; some try doors they may not use), sorts them
 * by time, decides each one with the real engine (anti-passback state included) and sends
 * the decisions through the real ingest pipeline into the event log. Scenarios add the
 * incidents later detectors look for: a lost card used, a terminated employee at a door,
 * a cloned badge at two buildings at once, and a door forced open at night.
 */
#include "cli/cli.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- deterministic randomness ---------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return n ? (uint32_t)(rng_next(r) % n) : 0;
}

/* Roughly normal (sum of uniforms), mean 0, standard deviation about sd. */
static int rng_gauss(struct rng *r, int sd)
{
    int64_t sum = 0;
    for (int i = 0; i < 4; i++)
        sum += (int64_t)rng_below(r, 2001) - 1000;
    return (int)(sum * sd / 1155);
}

static const char *const first_names[] = {
    "Ada",   "Ben",    "Chiara", "Dmitri", "Elif",  "Farah",  "Gustav", "Hana",  "Ivo",
    "Jun",   "Kofi",   "Lena",   "Mateo",  "Nadia", "Oskar",  "Priya",  "Quinn", "Rosa",
    "Sami",  "Tomasz", "Uma",    "Viktor", "Wen",   "Ximena", "Yusuf",  "Zofia", "Amara",
    "Bruno", "Cleo",   "Dario",  "Esme",   "Felix", "Greta",  "Hugo",   "Ines",  "Jonas"};
static const char *const last_names[] = {
    "Abara",  "Berg",      "Castillo", "Dubois", "Eriksen", "Fischer",  "Gallo",  "Haddad",
    "Ibsen",  "Jovanovic", "Kowalski", "Lind",   "Moreau",  "Nakamura", "Okafor", "Petrov",
    "Quist",  "Rossi",     "Schmidt",  "Tanaka", "Ueda",    "Varga",    "Weber",  "Xu",
    "Yilmaz", "Zeller",    "Andersen", "Brandt", "Costa",   "Dahl"};
static const char *const departments[] = {
    "Engineering", "Operations", "Finance", "Human Resources", "Security", "Facilities",
    "Sales",       "Legal",      "IT",      "Communications"};
enum { D_ENG, D_OPS, D_FIN, D_HR, D_SEC, D_FAC, D_SALES, D_LEGAL, D_IT, D_COMMS };

#define SIM_MAX_BUILDINGS 20
#define SIM_MAX_PEOPLE    200000

void sim_options_init(struct sim_options *o)
{
    int64_t today = gh_now_us() / GH_USEC_PER_SEC / 86400;
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->people = 200;
    o->buildings = 2;
    o->timezone = "Europe/Berlin";
    o->scenarios = true;
    /* the most recent weekday before today, so the day is complete and has traffic */
    o->day = today - 1;
    while (gh_weekday_from_days(o->day) >= 5)
        o->day--;
}

/* ---- building the organization ---------------------------------------------------------- */

struct org_ids {
    int64_t site, outside;
    int64_t sched_business, sched_247, sched_night;
    int64_t lv_staff, lv_it, lv_sec, lv_lab, lv_night;
    int64_t main_door[SIM_MAX_BUILDINGS], office_door[SIM_MAX_BUILDINGS],
        server_door[SIM_MAX_BUILDINGS], lab_door[SIM_MAX_BUILDINGS], dock_door[SIM_MAX_BUILDINGS];
};

/* Shorthands that stop at the first error with a message (err carries it). */
static int add_area(struct store *st, int64_t site, int64_t parent, const char *name,
                    enum apb_mode apb, int64_t *id, struct gh_err *err)
{
    struct area a = {.site_id = site, .parent_id = parent, .apb = apb};
    int r;
    gh_strlcpy(a.name, name, sizeof(a.name));
    r = store_area_insert(st, &a, err);
    *id = a.id;
    return r;
}

/* Where each building's doors are on the campus plan (metres): building b's main entrance
 * at (SIM_BUILDING_SPACING_M * b, 0), its other doors around it. The badge-cloning detector
 * reads walking times from these; the day's plan keeps to them. */
#define SIM_BUILDING_SPACING_M 400
enum sim_door { SD_MAIN, SD_OFFICE, SD_SERVER, SD_LAB, SD_DOCK, SD_COUNT };
static const int32_t sim_door_xy[SD_COUNT][2] = {
    [SD_MAIN] = {0, 0}, [SD_OFFICE] = {15, 10}, [SD_SERVER] = {30, 25}, [SD_LAB] = {-20, 20},
    [SD_DOCK] = {60, 40}};
#define SIM_WALK_MPS 1.2 /* how fast simulated people walk (the detector assumes 2 m/s) */

static int add_door(struct store *st, int64_t site, const char *name, int64_t from, int64_t to,
                    enum door_mode mode, bool escort, int building, enum sim_door kind,
                    int64_t *id, struct gh_err *err)
{
    struct door d = {.site_id = site,
                     .from_area_id = from,
                     .to_area_id = to,
                     .mode = mode,
                     .unlock_ms = 5000,
                     .held_open_s = 30,
                     .fail = DOOR_FAIL_SECURE,
                     .escort_required = escort,
                     .has_entry_reader = true,
                     .has_exit_reader = true,
                     .has_position = true,
                     .x_m = building * SIM_BUILDING_SPACING_M + sim_door_xy[kind][0],
                     .y_m = sim_door_xy[kind][1]};
    int r;
    gh_strlcpy(d.name, name, sizeof(d.name));
    r = store_door_insert(st, &d, err);
    *id = d.id;
    return r;
}

static int add_schedule(struct store *st, const char *name, const char *const *intervals,
                        int64_t calendar, int64_t *id, struct gh_err *err)
{
    struct schedule s;
    int r;
    memset(&s, 0, sizeof(s));
    gh_strlcpy(s.name, name, sizeof(s.name));
    s.calendar_id = calendar;
    for (; *intervals && s.n_intervals < SCHEDULE_MAX_INTERVALS; intervals++) {
        r = sched_interval_parse(*intervals, &s.intervals[s.n_intervals++], err);
        if (r < 0)
            return r;
    }
    r = store_schedule_insert(st, &s, err);
    *id = s.id;
    return r;
}

static int add_level(struct store *st, const char *name, int64_t *id, struct gh_err *err)
{
    struct access_level l;
    int r;
    memset(&l, 0, sizeof(l));
    gh_strlcpy(l.name, name, sizeof(l.name));
    r = store_level_insert(st, &l, err);
    *id = l.id;
    return r;
}

static int level_door(struct store *st, int64_t level, int64_t door, int64_t sched,
                      struct gh_err *err)
{
    struct level_door ld = {level, door, sched};
    return store_level_door_set(st, &ld, err);
}

static int build_places(struct store *st, const struct sim_options *o, struct org_ids *ids,
                        struct gh_err *err)
{
    struct site site = {0};
    struct holiday_calendar cal = {0};
    static const char *const business[] = {"mon-fri 06:00-20:00", NULL};
    static const char *const always[] = {"daily 00:00-24:00", NULL};
    static const char *const night[] = {"daily 22:00-06:00", NULL};
    char name[MODEL_NAME_MAX];
    int64_t y;
    unsigned m, d;
    int r;

    gh_strlcpy(site.name, "Campus", sizeof(site.name));
    gh_strlcpy(site.timezone, o->timezone, sizeof(site.timezone));
    if ((r = store_site_insert(st, &site, err)) < 0)
        return r;
    ids->site = site.id;
    gh_strlcpy(cal.name, "Public Holidays", sizeof(cal.name));
    if ((r = store_calendar_insert(st, &cal, err)) < 0)
        return r;
    /* New Year's Day and 25/26 December of the simulated year */
    gh_civil_from_days(o->day, &y, &m, &d);
    {
        struct holiday h = {.calendar_id = cal.id};
        static const unsigned md[][2] = {{1, 1}, {12, 25}, {12, 26}};
        static const char *const hn[] = {"New Year's Day", "Christmas Day", "Boxing Day"};
        for (int i = 0; i < 3; i++) {
            h.day = gh_days_from_civil(y, md[i][0], md[i][1]);
            gh_strlcpy(h.name, hn[i], sizeof(h.name));
            if ((r = store_holiday_insert(st, &h, err)) < 0)
                return r;
        }
    }
    if ((r = add_schedule(st, "Business Hours", business, cal.id, &ids->sched_business, err)) < 0 ||
        (r = add_schedule(st, "Always", always, 0, &ids->sched_247, err)) < 0 ||
        (r = add_schedule(st, "Night Shift", night, 0, &ids->sched_night, err)) < 0)
        return r;
    if ((r = add_area(st, site.id, 0, "Outside", APB_NONE, &ids->outside, err)) < 0)
        return r;
    if ((r = add_level(st, "All Staff", &ids->lv_staff, err)) < 0 ||
        (r = add_level(st, "IT Server Rooms", &ids->lv_it, err)) < 0 ||
        (r = add_level(st, "Security 24x7", &ids->lv_sec, err)) < 0 ||
        (r = add_level(st, "Lab Access", &ids->lv_lab, err)) < 0 ||
        (r = add_level(st, "Night Shift", &ids->lv_night, err)) < 0)
        return r;
    for (int b = 0; b < o->buildings; b++) {
        int64_t lobby, office, server, lab;
        char bn[16];
        snprintf(bn, sizeof(bn), "B%d", b + 1);
#define NAME(fmt) (snprintf(name, sizeof(name), fmt, bn), name)
        if ((r = add_area(st, site.id, 0, NAME("%s Lobby"), APB_NONE, &lobby, err)) < 0 ||
            (r = add_area(st, site.id, lobby, NAME("%s Offices"), APB_NONE, &office, err)) < 0 ||
            (r = add_area(st, site.id, office, NAME("%s Server Room"), APB_HARD, &server, err)) <
                0 ||
            (r = add_area(st, site.id, lobby, NAME("%s Lab"), APB_SOFT, &lab, err)) < 0)
            return r;
        if ((r = add_door(st, site.id, NAME("%s Main Entrance"), ids->outside, lobby, DOOR_CARD,
                          false, b, SD_MAIN, &ids->main_door[b], err)) < 0 ||
            (r = add_door(st, site.id, NAME("%s Loading Dock"), ids->outside, lobby, DOOR_CARD,
                          false, b, SD_DOCK, &ids->dock_door[b], err)) < 0 ||
            (r = add_door(st, site.id, NAME("%s Office Door"), lobby, office, DOOR_CARD, false, b,
                          SD_OFFICE, &ids->office_door[b], err)) < 0 ||
            (r = add_door(st, site.id, NAME("%s Server Room Door"), office, server, DOOR_CARD_PIN,
                          false, b, SD_SERVER, &ids->server_door[b], err)) < 0 ||
            (r = add_door(st, site.id, NAME("%s Lab Door"), lobby, lab, DOOR_CARD, true, b,
                          SD_LAB, &ids->lab_door[b], err)) < 0)
            return r;
#undef NAME
        if ((r = level_door(st, ids->lv_staff, ids->main_door[b], ids->sched_business, err)) ||
            (r = level_door(st, ids->lv_staff, ids->office_door[b], ids->sched_business, err)) ||
            (r = level_door(st, ids->lv_it, ids->server_door[b], ids->sched_247, err)) ||
            (r = level_door(st, ids->lv_lab, ids->lab_door[b], ids->sched_business, err)) ||
            (r = level_door(st, ids->lv_night, ids->main_door[b], ids->sched_night, err)) ||
            (r = level_door(st, ids->lv_night, ids->dock_door[b], ids->sched_night, err)))
            return r;
        {
            const int64_t all[] = {ids->main_door[b], ids->dock_door[b], ids->office_door[b],
                                   ids->server_door[b], ids->lab_door[b]};
            for (size_t k = 0; k < GH_ARRAY_LEN(all); k++)
                if ((r = level_door(st, ids->lv_sec, all[k], ids->sched_247, err)) < 0)
                    return r;
        }
    }
    return 0;
}

static int build_people(struct store *st, const struct sim_options *o, const struct org_ids *ids,
                        const uint8_t key[ACCESS_SITE_KEY_LEN], struct gh_err *err)
{
    struct rng rng = {o->seed * 7919 + 17};
    int64_t dept_ids[GH_ARRAY_LEN(departments)];
    int r;

    for (size_t i = 0; i < GH_ARRAY_LEN(departments); i++)
        if ((r = store_department_ensure(st, departments[i], &dept_ids[i], err)) < 0)
            return r;
    for (int i = 0; i < o->people; i++) {
        struct person p;
        struct credential cr;
        struct assignment a = {.expires = GH_TIME_MAX};
        uint32_t dept = rng_below(&rng, GH_ARRAY_LEN(departments));
        uint32_t roll = rng_below(&rng, 100);

        memset(&p, 0, sizeof(p));
        snprintf(p.employee_id, sizeof(p.employee_id), "E%05d", i + 1);
        gh_strlcpy(p.first_name, first_names[rng_below(&rng, GH_ARRAY_LEN(first_names))],
                   sizeof(p.first_name));
        gh_strlcpy(p.last_name, last_names[rng_below(&rng, GH_ARRAY_LEN(last_names))],
                   sizeof(p.last_name));
        snprintf(p.email, sizeof(p.email), "%c.%s%d@example.org", p.first_name[0], p.last_name,
                 i + 1);
        for (char *ch = p.email; *ch; ch++)
            if (*ch >= 'A' && *ch <= 'Z')
                *ch = (char)(*ch - 'A' + 'a');
        p.department_id = dept_ids[dept];
        p.kind = roll < 85 ? PERSON_EMPLOYEE : roll < 95 ? PERSON_CONTRACTOR : PERSON_VISITOR;
        gh_strlcpy(p.title, p.kind == PERSON_VISITOR ? "Visitor" : departments[dept],
                   sizeof(p.title));
        p.status = rng_below(&rng, 100) < 3 ? PERSON_ON_LEAVE : PERSON_ACTIVE;
        p.valid_from = GH_TIME_MIN;
        p.valid_until = GH_TIME_MAX;
        if (i > 10)
            p.manager_id = (int64_t)rng_below(&rng, 10) + 1; /* one of the first ten */
        if ((r = store_person_insert(st, &p, err)) < 0)
            return r;

        memset(&cr, 0, sizeof(cr));
        cr.person_id = p.id;
        cr.format = i % 5 == 4 ? CRED_FMT_C1000_35 : CRED_FMT_H10301;
        cr.facility = cr.format == CRED_FMT_H10301 ? 42 : 1042;
        cr.number = (uint64_t)(10000 + i);
        cr.status = CRED_ACTIVE;
        cr.valid_from = GH_TIME_MIN;
        cr.valid_until = GH_TIME_MAX;
        if ((r = store_credential_insert(st, &cr, err)) < 0)
            return r;
        if (dept == D_IT || dept == D_SEC) {
            char pin[8];
            snprintf(pin, sizeof(pin), "%04u", (unsigned)(1000 + i % 9000));
            access_pin_hash(key, cr.id, pin, cr.pin_hash);
            cr.has_pin = true;
            sodium_memzero(pin, sizeof(pin));
            if ((r = store_credential_update(st, &cr, err)) < 0)
                return r;
        }
        a.person_id = p.id;
        if (p.kind != PERSON_VISITOR) {
            a.level_id = ids->lv_staff;
            if ((r = store_assignment_set(st, &a, err)) < 0)
                return r;
        }
        if (dept == D_IT || dept == D_SEC || dept == D_ENG || dept == D_OPS) {
            a.level_id = dept == D_IT    ? ids->lv_it
                         : dept == D_SEC ? ids->lv_sec
                         : dept == D_ENG ? ids->lv_lab
                                         : ids->lv_night;
            if ((r = store_assignment_set(st, &a, err)) < 0)
                return r;
        }
        if (p.kind == PERSON_VISITOR) {
            a.level_id = ids->lv_lab;
            if ((r = store_assignment_set(st, &a, err)) < 0)
                return r;
        }
    }
    return 0;
}

int sim_build_org(struct cli *c, const struct sim_options *o)
{
    struct org_ids ids;
    struct gh_err err = {{0}};
    uint8_t key[ACCESS_SITE_KEY_LEN];
    int status, r;

    if (o->buildings < 1 || o->buildings > SIM_MAX_BUILDINGS || o->people < 1 ||
        o->people > SIM_MAX_PEOPLE)
        return cli_usage_error(c, "--buildings 1..%d and --people 1..%d", SIM_MAX_BUILDINGS,
                               SIM_MAX_PEOPLE);
    if ((status = cli_load_site_key(c, key)) != 0)
        return status;
    memset(&ids, 0, sizeof(ids));
    if (store_begin_write(c->st) < 0) {
        sodium_memzero(key, sizeof(key));
        return cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    }
    r = build_places(c->st, o, &ids, &err);
    if (r == 0)
        r = build_people(c->st, o, &ids, key, &err);
    sodium_memzero(key, sizeof(key));
    if (r == 0 && cli_commit(c) != 0) /* with its audit entry */
        r = gh_fail(&err, -EIO, "the campus was not saved");
    if (r < 0) {
        store_rollback(c->st);
        return cli_error(c, "building the organization: %s", err.msg);
    }
    if (!o->quiet)
        printf("built a campus of %d buildings, %d people (seed %llu)\n", o->buildings, o->people,
               (unsigned long long)o->seed);
    return 0;
}

/* ---- one day of traffic ---------------------------------------------------------------- */

enum scenario { SC_NONE = 0, SC_LOST_CARD, SC_TERMINATED, SC_CLONED, SC_FORCED, SC_COUNT };
static const char *const scenario_names[SC_COUNT] = {"", "lost_card_used", "terminated_employee",
                                                     "badge_cloning", "door_forced"};

struct swipe {
    int64_t t;
    int64_t door;
    uint32_t cred_number;
    uint8_t format;
    uint8_t dir;
    uint8_t scenario;
    bool with_pin;
    bool wrong_pin;
};

struct plan {
    struct swipe *v;
    size_t n, cap;
};

static void plan_add(struct plan *p, int64_t t, int64_t door, uint8_t format, uint32_t number,
                     enum direction dir)
{
    struct swipe *s;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
    }
    s = &p->v[p->n++];
    memset(s, 0, sizeof(*s));
    s->t = t;
    s->door = door;
    s->format = format;
    s->cred_number = number;
    s->dir = (uint8_t)dir;
}

static int cmp_swipe(const void *a, const void *b)
{
    const struct swipe *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Where a door is, for the walking times of the day's plan. */
struct door_xy {
    int64_t id;
    double x, y;
};

/* The ids of the generated campus, found again by name (sim may run on an existing org),
 * and where its doors are (as placed, else where sim would have placed them). */
static int find_ids(struct cli *c, const struct sim_options *o, struct org_ids *ids,
                    struct door_xy *xy)
{
    for (int b = 0; b < o->buildings; b++) {
        char name[MODEL_NAME_MAX];
        struct door d;
        const char *const suffix[SD_COUNT] = {[SD_MAIN] = "Main Entrance",
                                              [SD_OFFICE] = "Office Door",
                                              [SD_SERVER] = "Server Room Door",
                                              [SD_LAB] = "Lab Door",
                                              [SD_DOCK] = "Loading Dock"};
        int64_t *slot[SD_COUNT] = {[SD_MAIN] = &ids->main_door[b],
                                   [SD_OFFICE] = &ids->office_door[b],
                                   [SD_SERVER] = &ids->server_door[b],
                                   [SD_LAB] = &ids->lab_door[b],
                                   [SD_DOCK] = &ids->dock_door[b]};
        for (int k = 0; k < SD_COUNT; k++) {
            struct door_xy *p = &xy[b * SD_COUNT + k];
            snprintf(name, sizeof(name), "B%d %s", b + 1, suffix[k]);
            if (store_door_find(c->st, name, &d) < 0)
                return cli_error(c, "door '%s' not found: run sim on a store built by sim", name);
            *slot[k] = d.id;
            p->id = d.id;
            p->x = d.has_position ? d.x_m : b * SIM_BUILDING_SPACING_M + sim_door_xy[k][0];
            p->y = d.has_position ? d.y_m : sim_door_xy[k][1];
        }
    }
    return 0;
}

struct day_ctx {
    const struct sim_options *o;
    const struct gh_tz *tz;
    struct rng rng;
    struct org_ids ids;
    struct door_xy xy[SIM_MAX_BUILDINGS * SD_COUNT];
    struct plan plan;
    struct store *st;
};

/* Seconds one needs from door a to door b at the simulated people's pace. */
static int64_t walk_s(const struct day_ctx *d, int64_t a, int64_t b)
{
    const struct door_xy *pa = NULL, *pb = NULL;
    for (int i = 0; i < d->o->buildings * SD_COUNT; i++) {
        if (d->xy[i].id == a)
            pa = &d->xy[i];
        if (d->xy[i].id == b)
            pb = &d->xy[i];
    }
    if (pa == NULL || pb == NULL)
        return 0;
    return (int64_t)ceil(hypot(pa->x - pb->x, pa->y - pb->y) / SIM_WALK_MPS);
}

/* Makes one person's planned reads (v[first..n)) a day one can live: in time order, and
 * each read no sooner after the one before than the walk between their doors takes (plus
 * a few seconds at the door). A normal day then trips no detector. */
static void settle(struct day_ctx *d, size_t first)
{
    struct plan *p = &d->plan;
    qsort(p->v + first, p->n - first, sizeof(*p->v), cmp_swipe);
    for (size_t i = first + 1; i < p->n; i++) {
        int64_t need = p->v[i].door == p->v[i - 1].door
                           ? 2
                           : walk_s(d, p->v[i - 1].door, p->v[i].door) + 3;
        if (p->v[i].t < p->v[i - 1].t + need * GH_USEC_PER_SEC)
            p->v[i].t = p->v[i - 1].t + (need + (int64_t)rng_below(&d->rng, 10)) * GH_USEC_PER_SEC;
    }
}

static int64_t local_us(struct day_ctx *d, int minute_of_day)
{
    if (minute_of_day < 0)
        minute_of_day = 0;
    if (minute_of_day > 1439)
        minute_of_day = 1439;
    return tz_utc_from_local(d->tz, d->o->day, (unsigned)minute_of_day * 60) * GH_USEC_PER_SEC +
           (int64_t)rng_below(&d->rng, 60) * GH_USEC_PER_SEC;
}

/* The minutes of a person's day already taken (at most four stretches), so that the
 * visits planned into it do not overlap: nobody is in the lab and out at lunch at once. */
struct busy {
    int from[4], to[4];
    int n;
};

static void busy_add(struct busy *b, int from, int to)
{
    if (b->n < 4) {
        b->from[b->n] = from;
        b->to[b->n++] = to;
    }
}

static bool busy_free(const struct busy *b, int from, int minutes)
{
    for (int i = 0; i < b->n; i++)
        if (from - 1 < b->to[i] && from + minutes + 1 > b->from[i])
            return false;
    return true;
}

/* Plans one person's day. */
static int plan_person(void *ctx, const struct credential *cr)
{
    struct day_ctx *d = ctx;
    int b = (int)(cr->person_id % (int64_t)d->o->buildings);
    int arrive = 8 * 60 + 30 + rng_gauss(&d->rng, 45);
    int leave = 17 * 60 + 15 + rng_gauss(&d->rng, 50);
    uint8_t f = (uint8_t)cr->format;
    uint32_t n = (uint32_t)cr->number;
    struct plan *p = &d->plan;
    size_t first = p->n;
    struct person who;
    struct busy busy;

    if (cr->status != CRED_ACTIVE || rng_below(&d->rng, 100) < 8)
        return 0; /* inactive card or a day off */
    if (store_person_get(d->st, cr->person_id, &who) < 0 || who.status != PERSON_ACTIVE)
        return 0; /* on leave, suspended or gone: they stay at home */
    if (who.kind == PERSON_VISITOR)
        return 0; /* visitors are let in at reception */
    busy.n = 0;
    busy_add(&busy, 0, arrive + 2);
    busy_add(&busy, leave - 1, 1440);
    plan_add(p, local_us(d, arrive), d->ids.main_door[b], f, n, DIR_ENTRY);
    plan_add(p, local_us(d, arrive + 1), d->ids.office_door[b], f, n, DIR_ENTRY);
    if (rng_below(&d->rng, 100) < 60) { /* lunch outside */
        int out = 12 * 60 + rng_gauss(&d->rng, 25);
        if (busy_free(&busy, out, 41)) {
            busy_add(&busy, out - 1, out + 42);
            plan_add(p, local_us(d, out), d->ids.office_door[b], f, n, DIR_EXIT);
            plan_add(p, local_us(d, out + 1), d->ids.main_door[b], f, n, DIR_EXIT);
            plan_add(p, local_us(d, out + 40), d->ids.main_door[b], f, n, DIR_ENTRY);
            plan_add(p, local_us(d, out + 41), d->ids.office_door[b], f, n, DIR_ENTRY);
        }
    }
    if (rng_below(&d->rng, 100) < 15) { /* the lab, allowed or not */
        int t = 10 * 60 + (int)rng_below(&d->rng, 300);
        if (busy_free(&busy, t, 20)) {
            busy_add(&busy, t - 1, t + 21);
            plan_add(p, local_us(d, t), d->ids.lab_door[b], f, n, DIR_ENTRY);
            plan_add(p, local_us(d, t + 20), d->ids.lab_door[b], f, n, DIR_EXIT);
        }
    }
    if (rng_below(&d->rng, 100) < 6) { /* the server room, allowed or not */
        int t = 9 * 60 + (int)rng_below(&d->rng, 480);
        bool wrong_pin = rng_below(&d->rng, 100) < 10;
        if (busy_free(&busy, t, 15)) {
            plan_add(p, local_us(d, t), d->ids.server_door[b], f, n, DIR_ENTRY);
            p->v[p->n - 1].with_pin = true;
            p->v[p->n - 1].wrong_pin = wrong_pin;
            plan_add(p, local_us(d, t + 15), d->ids.server_door[b], f, n, DIR_EXIT);
        }
    }
    plan_add(p, local_us(d, leave), d->ids.office_door[b], f, n, DIR_EXIT);
    plan_add(p, local_us(d, leave + 1), d->ids.main_door[b], f, n, DIR_EXIT);
    settle(d, first);
    return 0;
}

struct tally {
    uint64_t granted, denied, by_reason[REASON_COUNT], events;
    int64_t door_ids[SIM_MAX_BUILDINGS * 5];
    uint64_t door_counts[SIM_MAX_BUILDINGS * 5];
    int n_doors;
};

static void tally_door(struct tally *t, int64_t door)
{
    for (int i = 0; i < t->n_doors; i++) {
        if (t->door_ids[i] == door) {
            t->door_counts[i]++;
            return;
        }
    }
    if (t->n_doors < (int)GH_ARRAY_LEN(t->door_ids)) {
        t->door_ids[t->n_doors] = door;
        t->door_counts[t->n_doors++] = 1;
    }
}

/* Applies the scenarios that change the policy before the day (lost card, termination)
 * and plans their reads; returns the card numbers used. */
static int stage_scenarios(struct cli *c, struct day_ctx *d, struct gh_err *err)
{
    struct credential lost, fired, cloned;
    struct person p;
    int changed = 0, r;
    int b2 = d->o->buildings > 1 ? 1 : 0;

    /* person 2's card was reported lost in the morning; the finder tries it at 10:15 */
    if ((r = store_credential_find(c->st, CRED_FMT_H10301, 42, 10001, &lost)) < 0)
        return gh_fail(err, r, "scenario lost_card_used: card h10301:42:10001 not found");
    lost.status = CRED_LOST;
    if ((r = store_credential_update(c->st, &lost, err)) < 0)
        return r;
    plan_add(&d->plan, local_us(d, 10 * 60 + 15), d->ids.main_door[0], CRED_FMT_H10301, 10001,
             DIR_ENTRY);
    d->plan.v[d->plan.n - 1].scenario = SC_LOST_CARD;

    /* person 3 was terminated yesterday by HR; they try the dock at 07:40 */
    if ((r = store_credential_find(c->st, CRED_FMT_H10301, 42, 10002, &fired)) < 0 ||
        (r = store_person_get(c->st, fired.person_id, &p)) < 0)
        return gh_fail(err, r, "scenario terminated_employee: card h10301:42:10002 not found");
    p.status = PERSON_TERMINATED;
    if ((r = store_person_update(c->st, &p, err)) < 0 ||
        (r = store_credential_revoke_person(c->st, p.id, CRED_REVOKED, &changed)) < 0)
        return r;
    plan_add(&d->plan, local_us(d, 7 * 60 + 40), d->ids.dock_door[0], CRED_FMT_H10301, 10002,
             DIR_ENTRY);
    d->plan.v[d->plan.n - 1].scenario = SC_TERMINATED;

    /* person 6's badge was cloned: used at two buildings within two minutes */
    if ((r = store_credential_find(c->st, CRED_FMT_H10301, 42, 10005, &cloned)) < 0)
        return gh_fail(err, r, "scenario badge_cloning: card h10301:42:10005 not found");
    plan_add(&d->plan, local_us(d, 14 * 60 + 2), d->ids.main_door[0], CRED_FMT_H10301, 10005,
             DIR_ENTRY);
    d->plan.v[d->plan.n - 1].scenario = SC_CLONED;
    plan_add(&d->plan, local_us(d, 14 * 60 + 3), d->ids.main_door[b2], CRED_FMT_H10301, 10005,
             DIR_ENTRY);
    d->plan.v[d->plan.n - 1].scenario = SC_CLONED;
    return 0;
}

static void print_summary(struct cli *c, const struct tally *t)
{
    int order[SIM_MAX_BUILDINGS * 5];
    printf("\n%llu events stored: %llu decisions (%llu granted, %llu denied)\n",
           (unsigned long long)t->events, (unsigned long long)(t->granted + t->denied),
           (unsigned long long)t->granted, (unsigned long long)t->denied);
    printf("\ndecisions by reason:\n");
    for (int r = 0; r < REASON_COUNT; r++)
        if (t->by_reason[r])
            printf("  %-26s %8llu\n", access_reason_name((enum access_reason)r),
                   (unsigned long long)t->by_reason[r]);
    for (int i = 0; i < t->n_doors; i++)
        order[i] = i;
    for (int i = 1; i < t->n_doors; i++) { /* insertion sort by count, descending */
        int k = order[i], j = i - 1;
        while (j >= 0 && t->door_counts[order[j]] < t->door_counts[k]) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = k;
    }
    printf("\ntop doors:\n");
    for (int i = 0; i < t->n_doors && i < 5; i++) {
        struct door d;
        if (store_door_get(c->st, t->door_ids[order[i]], &d) < 0)
            gh_strlcpy(d.name, "?", sizeof(d.name));
        printf("  %-26s %8llu\n", d.name, (unsigned long long)t->door_counts[order[i]]);
    }
}

/* Decides one planned read at time t (with its state) into an event. */
static int decide_swipe(const struct access_snapshot *snap, struct access_state *state,
                        const struct swipe *s, int64_t t, struct event *ev,
                        struct access_result *res)
{
    struct access_request req;
    char pin[8];
    memset(&req, 0, sizeof(req));
    req.door_id = s->door;
    req.direction = (enum direction)s->dir;
    req.time_us = t;
    req.cred.card.format = (enum cred_format)s->format;
    req.cred.card.facility = s->format == CRED_FMT_H10301 ? 42 : 1042;
    req.cred.card.number = s->cred_number;
    if (s->with_pin) {
        /* sim people know their PIN (see build_people), unless they mistype it */
        snprintf(pin, sizeof(pin), "%04u",
                 (unsigned)(1000 + (s->cred_number - 10000) % 9000) + (s->wrong_pin ? 1 : 0));
        req.pin = pin;
    }
    if (access_decide(snap, state, &req, res, NULL) < 0)
        return -EINVAL;
    access_state_commit(state, snap, res);
    memset(ev, 0, sizeof(*ev));
    ev->time_us = t;
    ev->type = EV_ACCESS_DECISION;
    ev->door_id = s->door;
    ev->person_id = res->person_id;
    ev->credential_id = res->credential_id;
    ev->decision = res->granted;
    ev->reason = (int)res->reason;
    return event_payload_set(
        ev, s->scenario ? json_pack("{s:s, s:s, s:s}", "direction", direction_name(req.direction),
                                    "source", "sim", "scenario", scenario_names[s->scenario])
                        : json_pack("{s:s, s:s}", "direction", direction_name(req.direction),
                                    "source", "sim"));
}

/* A read at a door of the demo's controller, through its socket; false when the controller
 * did not answer (the read is then decided here, as any other). */
static bool edge_swipe(struct demo_edge *e, const struct swipe *s)
{
    struct wiegand_card card = {(enum cred_format)s->format,
                                s->format == CRED_FMT_H10301 ? 42u : 1042u, s->cred_number};
    char bits[WIEGAND_MAX_BITS + 1], pin[8];
    if (wiegand_encode_str(&card, bits, sizeof(bits), NULL) < 0)
        return false;
    if (s->with_pin)
        snprintf(pin, sizeof(pin), "%04u",
                 (unsigned)(1000 + (s->cred_number - 10000) % 9000) + (s->wrong_pin ? 1 : 0));
    if (demo_edge_swipe(e, s->door, bits, s->with_pin ? pin : NULL) == 0)
        return true;
    log_warn("the demo's controller did not answer; its doors are decided by the simulator");
    demo_edge_stop(e);
    return false;
}

/* ---- live mode ---------------------------------------------------------------------------- */

/* One person in live mode: their reads of the day (order[start .. start+len), in time
 * order), where they are in it, and when they can next be at a door. */
struct walker {
    size_t start, len, cursor;
    int64_t ready_us;  /* monotonic */
    int64_t skip_door; /* their entry here was refused: they do not come out of it */
};

struct live {
    struct day_ctx *d;
    size_t *order;
    struct walker *w;
    size_t n_w;
    size_t *heap; /* walkers, soonest ready first */
};

static bool live_before(const struct live *l, size_t a, size_t b)
{
    return l->w[l->heap[a]].ready_us < l->w[l->heap[b]].ready_us;
}

static void heap_swap(struct live *l, size_t a, size_t b)
{
    size_t t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
}

/* The soonest walker's ready time changed: sift it down to its place. */
static void heap_down(struct live *l)
{
    for (size_t i = 0;;) {
        size_t k = i, left = 2 * i + 1, right = left + 1;
        if (left < l->n_w && live_before(l, left, k))
            k = left;
        if (right < l->n_w && live_before(l, right, k))
            k = right;
        if (k == i)
            return;
        heap_swap(l, i, k);
        i = k;
    }
}

/* A read's place in the plan, keyed by person (card) and time. */
struct by_person {
    uint64_t card; /* format << 32 | number */
    int64_t t;
    size_t idx;
};

static int cmp_by_person(const void *a, const void *b)
{
    const struct by_person *x = a, *y = b;
    if (x->card != y->card)
        return x->card < y->card ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Groups the plan by person (everyone ready now, in the plan's order of first reads). */
static void live_init(struct live *l, struct day_ctx *d)
{
    int64_t now = gh_monotonic_us();
    size_t cap = d->plan.n ? d->plan.n : 1;
    struct by_person *keys = xreallocarray(NULL, cap, sizeof(*keys));
    memset(l, 0, sizeof(*l));
    l->d = d;
    l->order = xreallocarray(NULL, cap, sizeof(size_t));
    l->w = xreallocarray(NULL, cap, sizeof(struct walker));
    l->heap = xreallocarray(NULL, cap, sizeof(size_t));
    for (size_t i = 0; i < d->plan.n; i++)
        keys[i] = (struct by_person){(uint64_t)d->plan.v[i].format << 32 | d->plan.v[i].cred_number,
                                     d->plan.v[i].t, i};
    qsort(keys, d->plan.n, sizeof(*keys), cmp_by_person);
    for (size_t i = 0; i < d->plan.n; i++) {
        l->order[i] = keys[i].idx;
        if (i == 0 || keys[i - 1].card != keys[i].card) {
            l->w[l->n_w] = (struct walker){i, 0, 0, now + (int64_t)l->n_w, 0};
            l->heap[l->n_w] = l->n_w;
            l->n_w++;
        }
        l->w[l->n_w - 1].len++;
    }
    free(keys);
}

static void live_free(struct live *l)
{
    free(l->order);
    free(l->w);
    free(l->heap);
}

/* The soonest walker's next read (skipping the way out of a room they were refused), or
 * NULL when nobody is ready yet (*wait_us says how long until someone is). */
static struct swipe *live_next(struct live *l, int64_t now, int64_t *wait_us)
{
    struct walker *w;
    struct swipe *s;
    if (l->n_w == 0) {
        *wait_us = GH_USEC_PER_SEC;
        return NULL;
    }
    w = &l->w[l->heap[0]];
    if (w->ready_us > now) {
        *wait_us = w->ready_us - now;
        return NULL;
    }
    s = &l->d->plan.v[l->order[w->start + w->cursor]];
    if (w->skip_door != 0 && s->door == w->skip_door && s->dir == DIR_EXIT && w->len > 1) {
        w->cursor = (w->cursor + 1) % w->len;
        s = &l->d->plan.v[l->order[w->start + w->cursor]];
    }
    w->skip_door = 0;
    return s;
}

/* The soonest walker read s (refused at an entry: denied): on to their next read, after
 * the walk to its door (and a while longer at the end of their day). */
static void live_done(struct live *l, const struct swipe *s, bool denied, int64_t now)
{
    struct walker *w = &l->w[l->heap[0]];
    const struct swipe *next;
    int64_t gap;
    if (denied && s->dir == DIR_ENTRY)
        w->skip_door = s->door;
    w->cursor = (w->cursor + 1) % w->len;
    next = &l->d->plan.v[l->order[w->start + w->cursor]];
    gap = w->cursor == 0 ? 30 : next->door == s->door ? 2 : walk_s(l->d, s->door, next->door) + 3;
    w->ready_us = now + (gap + (int64_t)rng_below(&l->d->rng, 10)) * GH_USEC_PER_SEC;
    heap_down(l);
}

/* Live mode: the planned reads again and again, stamped now, at most one every 1/rate
 * seconds, until a stop signal. Each person walks through their own day in order, no
 * faster than the doors are apart (live_done), so a live campus trips no detector; the
 * rate is then what the population can walk, at most --rate. With --flood the plan's reads
 * go out in plan order at exactly the rate (a load generator). The pace follows the clock
 * (read i is due at start + i/rate; a loop a little late catches up; after a stall of more
 * than a second it goes on from now rather than bursting). The policy is recompiled when
 * it changes (a lockdown made through the API shows in the next reads). */
static int run_live(struct cli *c, struct day_ctx *d, struct ingest *ing, const uint8_t *key,
                    struct access_snapshot **snap, struct access_state **state)
{
    int64_t step_ns = (int64_t)(1e9 / d->o->live_rate);
    int64_t version = access_snapshot_version(*snap), next_check = 0;
    int64_t start_ns = gh_monotonic_us() * 1000, n = 0;
    struct gh_err err = {{0}};
    struct live l;
    size_t i = 0;
    int status = 0;

    live_init(&l, d);
    while (d->plan.n > 0) {
        struct access_result res;
        struct event ev;
        struct swipe *s;
        int64_t now_ns = gh_monotonic_us() * 1000, walk_wait = 0;
        int64_t wait_ns = start_ns + n * step_ns - now_ns;
        struct timespec pace = {0, 0};
        if (wait_ns < -1000000000) { /* more than 1 s behind (a stall): go on from now */
            start_ns = now_ns - n * step_ns;
            wait_ns = 0;
        }
        s = wait_ns > 0 ? NULL
            : d->o->live_flood ? &d->plan.v[i]
                               : live_next(&l, now_ns / 1000, &walk_wait);
        if (s == NULL) {
            if (wait_ns <= 0)
                wait_ns = walk_wait * 1000 < 100000000 ? walk_wait * 1000 : 100000000;
            pace.tv_sec = (time_t)(wait_ns / 1000000000);
            pace.tv_nsec = (long)(wait_ns % 1000000000);
            if (sigtimedwait(d->o->live_stop, NULL, &pace) >= 0)
                break;
            continue;
        }
        if (sigtimedwait(d->o->live_stop, NULL, &pace) >= 0)
            break;
        n++;
        i = (i + 1) % d->plan.n;
        if (gh_monotonic_us() >= next_check) {
            int64_t v = store_policy_version(c->st);
            next_check = gh_monotonic_us() + GH_USEC_PER_SEC;
            if (v != version) {
                struct access_snapshot *fresh = NULL;
                if (access_compile(c->st, key, &fresh, &err) == 0) {
                    access_state_free(*state);
                    access_snapshot_free(*snap);
                    *snap = fresh;
                    *state = access_state_new(fresh);
                    version = v;
                }
            }
        }
        if (demo_edge_has(d->o->edge, s->door) && edge_swipe(d->o->edge, s)) {
            if (!d->o->live_flood) /* its controller decided, and delivers the event itself */
                live_done(&l, s, false, gh_monotonic_us());
            continue;
        }
        if (decide_swipe(*snap, *state, s, gh_now_us(), &ev, &res) < 0) {
            if (!d->o->live_flood)
                live_done(&l, s, false, gh_monotonic_us());
            continue;
        }
        if (!d->o->live_flood)
            live_done(&l, s, !res.granted, gh_monotonic_us());
        if (ingest_submit(ing, &ev) < 0) {
            status = cli_error(c, "the event pipeline stopped");
            break;
        }
    }
    live_free(&l);
    return status;
}

int sim_run_day(struct cli *c, const struct sim_options *o)
{
    struct day_ctx d;
    struct access_snapshot *snap = NULL;
    struct access_state *state = NULL;
    struct ingest *ing = NULL;
    struct gh_tz *tz = NULL;
    struct tally t;
    struct gh_err err = {{0}};
    uint8_t key[ACCESS_SITE_KEY_LEN];
    char path[4096];
    int64_t *refused = NULL;
    int status = 0, r;

    memset(&d, 0, sizeof(d));
    memset(&t, 0, sizeof(t));
    d.o = o;
    d.rng.s = o->seed * 104729 + (uint64_t)o->day;
    if (tz_load(o->timezone, &tz, &err) < 0)
        return cli_error(c, "%s", err.msg);
    d.tz = tz;
    if ((status = find_ids(c, o, &d.ids, d.xy)) != 0)
        goto out;
    if (store_begin_write(c->st) < 0) {
        status = cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
        goto out;
    }
    d.st = c->st;
    /* the scenarios first: who they stop (a termination, a lost card) stays at home */
    r = o->scenarios ? stage_scenarios(c, &d, &err) : 0;
    if (r == 0)
        r = store_credential_list(c->st, plan_person, &d);
    /* the staged scenarios change credentials and people: audited */
    if (r == 0 && (o->scenarios ? cli_commit(c) != 0 : store_commit(c->st) < 0))
        r = gh_fail(&err, -EIO, "commit: %s", store_errmsg(c->st));
    if (r < 0) {
        store_rollback(c->st);
        status = cli_error(c, "planning the day: %s", err.msg[0] ? err.msg : "store error");
        goto out;
    }
    qsort(d.plan.v, d.plan.n, sizeof(struct swipe), cmp_swipe);

    if ((status = cli_load_site_key(c, key)) != 0)
        goto out;
    r = access_compile(c->st, key, &snap, &err);
    if (r < 0) {
        status = cli_error(c, "%s", err.msg);
        goto out;
    }
    state = access_state_new(snap);
    if (cli_db_path(c, path, sizeof(path)) < 0 || ingest_start(path, NULL, &ing, &err) < 0) {
        status = cli_error(c, "starting the event pipeline: %s", err.msg);
        goto out;
    }
    if (o->live_rate > 0) {
        status = run_live(c, &d, ing, key, &snap, &state);
        goto out;
    }
    /* who was refused at a room's door does not come out of it */
    refused = xcalloc(SIM_MAX_PEOPLE, sizeof(*refused));
    for (size_t i = 0; i < d.plan.n; i++) {
        const struct swipe *s = &d.plan.v[i];
        uint32_t who = s->cred_number - 10000; /* sim's card numbers, see build_people */
        struct access_result res;
        struct event ev;
        if (who < SIM_MAX_PEOPLE && s->dir == DIR_EXIT && refused[who] == s->door) {
            refused[who] = 0;
            continue;
        }
        if (decide_swipe(snap, state, s, s->t, &ev, &res) < 0)
            continue;
        if (who < SIM_MAX_PEOPLE && s->dir == DIR_ENTRY)
            refused[who] = res.granted ? 0 : s->door;
        if (ingest_submit(ing, &ev) < 0)
            break;
        if (res.granted)
            t.granted++;
        else
            t.denied++;
        t.by_reason[res.reason]++;
        tally_door(&t, s->door);
    }
    if (o->scenarios) {
        struct event ev;
        memset(&ev, 0, sizeof(ev));
        ev.time_us = local_us(&d, 2 * 60 + 13);
        ev.type = EV_DOOR_FORCED;
        ev.door_id = d.ids.dock_door[0];
        ev.decision = -1;
        ev.reason = -1;
        event_payload_set(&ev, json_pack("{s:s}", "scenario", scenario_names[SC_FORCED]));
        ingest_submit(ing, &ev);
    }
    r = ingest_flush(ing);
    if (r < 0) {
        status = cli_error(c, "storing events failed: %s", gh_strerror(r));
        goto out;
    }
    {
        struct ingest_stats stats;
        ingest_stats(ing, &stats);
        t.events = stats.committed;
    }
    if (!o->quiet)
        print_summary(c, &t);
out:
    sodium_memzero(key, sizeof(key));
    ingest_stop(ing);
    access_state_free(state);
    access_snapshot_free(snap);
    tz_free(tz);
    free(d.plan.v);
    free(refused);
    return status;
}

/* ---- commands ------------------------------------------------------------------------------ */

static int sim_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct sim_options *o = ctx;
    struct gh_err err = {{0}};
    int64_t v;
    int status;
    switch (opt) {
    case 's':
        if ((status = cli_int_parse(c, "--seed", arg, 0, INT64_MAX, &v)) != 0)
            return status;
        o->seed = (uint64_t)v;
        break;
    case 'p':
        if ((status = cli_int_parse(c, "--people", arg, 1, SIM_MAX_PEOPLE, &v)) != 0)
            return status;
        o->people = (int)v;
        break;
    case 'b':
        if ((status = cli_int_parse(c, "--buildings", arg, 1, SIM_MAX_BUILDINGS, &v)) != 0)
            return status;
        o->buildings = (int)v;
        break;
    case 'D':
        if (gh_parse_date(arg, &o->day, &err) < 0)
            return cli_usage_error(c, "--day: %s", err.msg);
        break;
    case 'z':
        o->timezone = arg;
        break;
    case 'n':
        o->scenarios = false;
        break;
    case 'r':
        if ((status = cli_int_parse(c, "--rate", arg, 1, 1000, &v)) != 0)
            return status;
        o->live_rate = (double)v;
        break;
    case 'F':
        o->live_flood = true;
        break;
    default:
        break;
    }
    return 0;
}

static const struct option sim_options_table[] = {{"seed", required_argument, NULL, 's'},
                                                  {"people", required_argument, NULL, 'p'},
                                                  {"buildings", required_argument, NULL, 'b'},
                                                  {"day", required_argument, NULL, 'D'},
                                                  {"tz", required_argument, NULL, 'z'},
                                                  {"no-scenarios", no_argument, NULL, 'n'},
                                                  {"rate", required_argument, NULL, 'r'},
                                                  {"flood", no_argument, NULL, 'F'},
                                                  {"help", no_argument, NULL, 'h'},
                                                  {0}};

/* Builds the campus when the store has no people yet. */
static int ensure_org(struct cli *c, const struct sim_options *o)
{
    int64_t n = 0;
    if (store_person_count(c->st, &n) < 0)
        return cli_error(c, "counting people: %s", store_errmsg(c->st));
    return n == 0 ? sim_build_org(c, o) : 0;
}

static int cmd_sim(struct cli *c, int argc, char **argv)
{
    struct sim_options o;
    sigset_t stop;
    int status;
    sim_options_init(&o);
    if (cli_parse(c, argc, argv, sim_options_table, sim_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (o.live_flood && o.live_rate <= 0)
        return cli_usage_error(c, "--flood goes with --rate N");
    if ((status = cli_open_store(c)) != 0 || (status = ensure_org(c, &o)) != 0)
        return status;
    if (o.live_rate > 0) {
        /* live: the day's reads, stamped now, at --rate per second until SIGINT or SIGTERM
         * (into a store a running server reads: it streams them) */
        cli_block_stop_signals(&stop);
        o.live_stop = &stop;
        o.quiet = true;
        o.scenarios = false;
    }
    return sim_run_day(c, &o);
}

struct demo_opts {
    struct sim_options sim;
    bool serve;
    const char *listen;
};

static int demo_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct demo_opts *o = ctx;
    int64_t v;
    int status;
    switch (opt) {
    case 'S':
        o->serve = false;
        return 0;
    case 'l':
        o->listen = arg;
        return 0;
    case 'r':
        if ((status = cli_int_parse(c, "--rate", arg, 1, 1000, &v)) != 0)
            return status;
        o->sim.live_rate = (double)v;
        return 0;
    default:
        return sim_opt(c, &o->sim, opt, arg);
    }
}

static const struct option demo_options_table[] = {{"seed", required_argument, NULL, 's'},
                                                   {"people", required_argument, NULL, 'p'},
                                                   {"buildings", required_argument, NULL, 'b'},
                                                   {"day", required_argument, NULL, 'D'},
                                                   {"tz", required_argument, NULL, 'z'},
                                                   {"no-scenarios", no_argument, NULL, 'n'},
                                                   {"no-serve", no_argument, NULL, 'S'},
                                                   {"listen", required_argument, NULL, 'l'},
                                                   {"rate", required_argument, NULL, 'r'},
                                                   {"help", no_argument, NULL, 'h'},
                                                   {0}};

/* The demo's console user: "operator" (or operator-2 ... when taken) with the
 * security_operator role and a random password (printed once, stored as Argon2id). */
static int demo_user(struct cli *c, char user[MODEL_NAME_MAX], char *password, size_t len,
                     struct gh_err *err)
{
    uint8_t raw[18];
    struct user u;
    int r = -EEXIST;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(password, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    for (int i = 1; i < 100 && r == -EEXIST; i++) {
        memset(&u, 0, sizeof(u));
        if (i == 1)
            gh_strlcpy(u.name, "operator", sizeof(u.name));
        else
            snprintf(u.name, sizeof(u.name), "operator-%d", i);
        gh_strlcpy(u.display_name, "Demo Operator", sizeof(u.display_name));
        r = identity_user_create(c->st, &u, "security_operator", password, err);
    }
    gh_strlcpy(user, u.name, MODEL_NAME_MAX);
    sodium_memzero(&u, sizeof(u));
    return r;
}

/* The server with the simulator feeding it live reads, until SIGINT or SIGTERM. */
static int demo_serve(struct cli *c, struct demo_opts *o)
{
    struct http_config cfg;
    struct http_server *srv = NULL;
    struct gh_err err = {{0}};
    char token[IDENTITY_TOKEN_LEN], name[64], user[MODEL_NAME_MAX], password[40];
    struct demo_edge edge = {-1, -1, {0}, 0, "", ""};
    sigset_t stop;
    int status;

    http_config_init(&cfg);
    gh_strlcpy(cfg.data_dir, c->data_dir, sizeof(cfg.data_dir));
    if (http_config_set(&cfg, "server", "listen", o->listen, &err) < 0)
        return cli_usage_error(c, "--listen: %s", err.msg);
    if (http_config_check(&cfg, &err) < 0)
        return cli_error(c, "%s", err.msg);
    snprintf(name, sizeof(name), "demo-%lld", (long long)(gh_now_us() / GH_USEC_PER_SEC));
    if (identity_token_create(c->st, name, "*", GH_TIME_MAX, token, sizeof(token), NULL, &err) < 0)
        return cli_error(c, "creating the demo token: %s", err.msg);
    /* a console sign-in for the demo: an operator with a random password; no MFA in this
     * throw-away demo (on by default everywhere else) so no authenticator app is needed */
    cfg.mfa_roles = 0;
    if (demo_user(c, user, password, sizeof(password), &err) < 0) {
        sodium_memzero(token, sizeof(token));
        return cli_error(c, "creating the demo user: %s", err.msg);
    }

    cli_block_stop_signals(&stop);
    log_set_level(LOG_WARN); /* the request log would drown the demo's output */
    if (http_server_start(&cfg, &srv, &err) < 0) {
        sodium_memzero(token, sizeof(token));
        return cli_error(c, "%s", err.msg);
    }
    {
        char url[300];
        struct gh_err eerr = {{0}};
        gh_snprintf(url, sizeof(url), "https://%s:%u", cfg.listen_addr, http_server_port(srv));
        if (demo_edge_start(c, url, cfg.tls_cert, &edge, &eerr) == 0) {
            printf("A door controller (gatehouse edge) drives %s: it decides there from its\n"
                   "signed snapshot and delivers its journal (console: Devices; its simulator\n"
                   "socket: %s).\n\n",
                   edge.names, edge.socket_path);
            o->sim.edge = &edge;
        } else {
            printf("(no door controller in this demo: %s)\n\n", eerr.msg);
        }
        fflush(stdout);
    }
    printf(
        "\nThe server is running, fed by the simulator (%.0f reads per second):\n"
        "  console  https://%s:%u/  (self-signed certificate: accept it in the browser)\n"
        "  sign in  %s / %s  (security operator; MFA is off in this demo only)\n"
        "  URL    https://%s:%u\n"
        "  token  %s   (scope *, stored hashed; revoke: %s --data %s token revoke %s)\n"
        "  cert   %s (self-signed: pass it to curl --cacert)\n\n"
        "Try:\n"
        "  curl --cacert %s -H 'Authorization: Bearer %s' https://%s:%u/api/v1/doors\n"
        "  curl -N --cacert %s -H 'Authorization: Bearer %s' https://%s:%u/api/v1/events/stream\n\n"
        "Ctrl-C stops it.\n",
        o->sim.live_rate, cfg.listen_addr, http_server_port(srv), user, password, cfg.listen_addr,
        http_server_port(srv), token, c->prog, c->data_dir, name, cfg.tls_cert, cfg.tls_cert, token,
        cfg.listen_addr, http_server_port(srv), cfg.tls_cert, token, cfg.listen_addr,
        http_server_port(srv));
    fflush(stdout);
    sodium_memzero(token, sizeof(token));
    sodium_memzero(password, sizeof(password));
    o->sim.live_stop = &stop;
    o->sim.quiet = true;
    o->sim.scenarios = false; /* staged once, with the day */
    status = sim_run_day(c, &o->sim);
    demo_edge_stop(&edge);
    http_server_stop(srv);
    printf("demo stopped\n");
    return status;
}

static int cmd_demo(struct cli *c, int argc, char **argv)
{
    struct demo_opts o;
    struct gh_err err = {{0}};
    char day[16];
    int64_t y;
    unsigned m, dd;
    int status;
    memset(&o, 0, sizeof(o));
    sim_options_init(&o.sim);
    o.serve = true;
    o.listen = "127.0.0.1:8443";
    if (cli_parse(c, argc, argv, demo_options_table, demo_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    {
        char db[4096];
        struct stat sb;
        /* a data dir that is already initialized is used as it is */
        if (cli_db_path(c, db, sizeof(db)) < 0 || stat(db, &sb) != 0) {
            if (cli_init_data_dir(c->data_dir, &err) < 0)
                return cli_error(c, "%s", err.msg);
        }
    }
    if ((status = cli_open_store(c)) != 0 || (status = ensure_org(c, &o.sim)) != 0)
        return status;
    {
        double rate = o.sim.live_rate;
        o.sim.live_rate = 0; /* first the day, as history */
        if ((status = sim_run_day(c, &o.sim)) != 0)
            return status;
        o.sim.live_rate = rate > 0 ? rate : 2;
    }
    gh_civil_from_days(o.sim.day, &y, &m, &dd);
    snprintf(day, sizeof(day), "%04lld-%02u-%02u", (long long)y, m, dd);
    printf("\nThe simulated day was %s (%s). Where to look:\n"
           "  %s --data %s events --limit 30\n"
           "      the latest events\n"
           "  %s --data %s export events --csv\n"
           "      the access log as CSV\n"
           "  %s --data %s decide --door 'B1 Main Entrance' --card h10301:42:10001 "
           "--at %sT10:15\n"
           "      why was the lost card denied? (--at is local time at the door)\n"
           "  %s --data %s person list\n"
           "      the people\n"
           "  %s --help\n"
           "      every command\n",
           day, o.sim.timezone, c->prog, c->data_dir, c->prog, c->data_dir, c->prog, c->data_dir,
           day, c->prog, c->data_dir, c->prog);
    fflush(stdout);
    return o.serve ? demo_serve(c, &o) : 0;
}

const struct cli_command cli_sim_commands[] = {
    {"sim", NULL, cmd_sim,
     "Simulate a working day of badge traffic (building a campus first if the store is empty).",
     "[--seed N (1)] [--people N (200)] [--buildings N (2)] [--day YYYY-MM-DD]\n"
     "  [--tz ZONE (Europe/Berlin)] [--no-scenarios] [--rate N (live: N reads/s, 1..1000)]\n"
     "  [--flood]\n"
     "Scenarios: a lost card used, a terminated employee at a door, a cloned badge at two\n"
     "buildings within minutes, a door forced open at night. Apart from them the day raises\n"
     "no alarm. Live (--rate), everyone walks through their day again, stamped now, no\n"
     "faster than the doors are apart: the rate is at most what the people can walk.\n"
     "--flood sends the day's reads in plan order at exactly --rate (a load generator; the\n"
     "detectors then see impossible travel)."},
    {"demo", NULL, cmd_demo,
     "Initialize the data dir if needed, build a campus, simulate a day, then serve the API\n"
     "with the simulator feeding it live reads (prints the URL and a token).",
     "[sim options] [--listen ADDR:PORT (127.0.0.1:8443)] [--rate N (reads/s, 2)]\n"
     "[--no-serve (stop after the simulated day)]"},
    {NULL, NULL, NULL, NULL, NULL}};
