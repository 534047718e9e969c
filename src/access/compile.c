/*
 * compile.c: the policy compiler: store -> immutable struct access_snapshot.
 *
 * The design is simple: inside one read transaction (so the picture is consistent) list
 * each table in id order into a flat array, then resolve every reference (row id) to an
 * array index by binary search, and build the credential hash. Each stage reads only the
 * arrays built before it, in dependency order: sites, areas, schedules, calendars, doors,
 * levels, people, assignments, credentials. A reference that does not resolve (which
 * foreign keys should prevent) fails the compile with the row named.
 */
#include "access/access_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

uint32_t access_find_id(const void *base, uint32_t n, size_t size, int64_t id)
{
    const char *b = base;
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t v;
        memcpy(&v, b + (size_t)mid * size, sizeof(v));
        if (v == id)
            return mid;
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NONE;
}

const struct snap_slot *access_cred_slot(const struct access_snapshot *s, uint64_t key)
{
    uint32_t i;
    if (s->slots == NULL)
        return NULL;
    i = (uint32_t)access_hash64(key) & s->hmask;
    for (;;) {
        const struct snap_slot *x = &s->slots[i];
        if (x->cred == NONE)
            return NULL;
        if (x->key == key)
            return x;
        i = (i + 1) & s->hmask;
    }
}

/* A growable array used while compiling. */
struct vec {
    void *data;
    uint32_t n;
    uint32_t cap;
    size_t size;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->data = xreallocarray(v->data, v->cap, v->size);
    }
    return (char *)v->data + (size_t)v->n++ * v->size;
}

/* State of one compile, passed to the list callbacks. */
struct compiler {
    struct access_snapshot *s;
    struct vec sites, scheds, intervals, cals, levels, persons, creds, pins, keys;
    struct vec sched_cal_ids; /* each schedule's calendar row id, until resolved */
    struct vec raw_areas, raw_doors, raw_level_doors, raw_holidays, raw_asg;
    struct gh_err *err;
};

static int on_site(void *ctx, const struct site *row)
{
    struct compiler *c = ctx;
    struct snap_site *x = vec_push(&c->sites);
    int r;
    memset(x, 0, sizeof(*x));
    x->id = row->id;
    gh_strlcpy(x->name, row->name, sizeof(x->name));
    r = tz_load(row->timezone, &x->tz, c->err);
    if (r < 0)
        gh_err_prefix(c->err, "site '%s'", row->name);
    return r;
}

static int on_area(void *ctx, const struct area *row)
{
    struct compiler *c = ctx;
    *(struct area *)vec_push(&c->raw_areas) = *row;
    return 0;
}

static int on_schedule(void *ctx, const struct schedule *row)
{
    struct compiler *c = ctx;
    struct snap_sched *x = vec_push(&c->scheds);
    memset(x, 0, sizeof(*x));
    x->id = row->id;
    x->calendar = NONE; /* resolved in resolve_schedules from c->sched_cal_ids */
    *(int64_t *)vec_push(&c->sched_cal_ids) = row->calendar_id;
    x->iv_off = c->intervals.n;
    x->iv_n = (uint32_t)row->n_intervals;
    gh_strlcpy(x->name, row->name, sizeof(x->name));
    for (int i = 0; i < row->n_intervals; i++)
        *(struct sched_interval *)vec_push(&c->intervals) = row->intervals[i];
    return 0;
}

static int on_calendar(void *ctx, const struct holiday_calendar *row)
{
    struct compiler *c = ctx;
    struct snap_calendar *x = vec_push(&c->cals);
    memset(x, 0, sizeof(*x));
    x->id = row->id;
    return 0;
}

static int on_holiday(void *ctx, const struct holiday *row)
{
    struct compiler *c = ctx;
    *(struct holiday *)vec_push(&c->raw_holidays) = *row;
    return 0;
}

static int on_door(void *ctx, const struct door *row)
{
    struct compiler *c = ctx;
    *(struct door *)vec_push(&c->raw_doors) = *row;
    return 0;
}

static int on_level(void *ctx, const struct access_level *row)
{
    struct compiler *c = ctx;
    struct snap_level *x = vec_push(&c->levels);
    memset(x, 0, sizeof(*x));
    x->id = row->id;
    gh_strlcpy(x->name, row->name, sizeof(x->name));
    return 0;
}

static int on_level_door(void *ctx, const struct level_door *row)
{
    struct compiler *c = ctx;
    *(struct level_door *)vec_push(&c->raw_level_doors) = *row;
    return 0;
}

static int on_person(void *ctx, const struct person *row)
{
    struct compiler *c = ctx;
    struct snap_person *x = vec_push(&c->persons);
    memset(x, 0, sizeof(*x));
    x->id = row->id;
    x->valid_from = row->valid_from;
    x->valid_until = row->valid_until;
    x->status = (uint8_t)row->status;
    x->kind = (uint8_t)row->kind;
    return 0;
}

static int on_assignment(void *ctx, const struct assignment *row)
{
    struct compiler *c = ctx;
    *(struct assignment *)vec_push(&c->raw_asg) = *row;
    return 0;
}

static int on_credential(void *ctx, const struct credential *row, uint64_t key)
{
    struct compiler *c = ctx;
    struct snap_cred *x = vec_push(&c->creds);
    const struct access_snapshot *s = c->s;
    memset(x, 0, sizeof(*x));
    x->id = row->id;
    x->valid_from = row->valid_from;
    x->valid_until = row->valid_until;
    x->status = (uint8_t)row->status;
    x->person =
        access_find_id(s->persons, s->n_persons, sizeof(struct snap_person), row->person_id);
    if (x->person == NONE)
        return gh_fail(c->err, -EINVAL, "credential %lld: person %lld not found",
                       (long long)row->id, (long long)row->person_id);
    x->pin = NONE;
    if (row->has_pin) {
        x->pin = c->pins.n;
        memcpy(vec_push(&c->pins), row->pin_hash, 32);
    }
    *(uint64_t *)vec_push(&c->keys) = key;
    return 0;
}

static int cmp_level_door(const void *a, const void *b)
{
    const struct level_door *x = a, *y = b;
    if (x->level_id != y->level_id)
        return x->level_id < y->level_id ? -1 : 1;
    return x->door_id < y->door_id ? -1 : x->door_id > y->door_id;
}

static int cmp_asg(const void *a, const void *b)
{
    const struct assignment *x = a, *y = b;
    if (x->person_id != y->person_id)
        return x->person_id < y->person_id ? -1 : 1;
    return x->level_id < y->level_id ? -1 : x->level_id > y->level_id;
}

/* Resolves areas: site and parent indexes, and the inherited lockdown flag. */
static int resolve_areas(struct compiler *c)
{
    struct area *raw = c->raw_areas.data;
    struct access_snapshot *s = c->s;
    s->n_areas = c->raw_areas.n;
    s->areas = xcalloc(s->n_areas ? s->n_areas : 1, sizeof(struct snap_area));
    for (uint32_t i = 0; i < s->n_areas; i++) {
        struct snap_area *a = &s->areas[i];
        a->id = raw[i].id;
        a->apb = (uint8_t)raw[i].apb;
        a->locked = raw[i].locked_down;
        a->locked_by = raw[i].locked_down ? i : NONE;
        gh_strlcpy(a->name, raw[i].name, sizeof(a->name));
        a->site = access_find_id(s->sites, s->n_sites, sizeof(struct snap_site), raw[i].site_id);
        a->parent = raw[i].parent_id
                        ? access_find_id(raw, s->n_areas, sizeof(struct area), raw[i].parent_id)
                        : NONE;
        if (a->site == NONE || (raw[i].parent_id && a->parent == NONE))
            return gh_fail(c->err, -EINVAL, "area '%s': site or parent not found", a->name);
    }
    /* Inherit lockdown from ancestors; the depth bound stops a cycle. */
    for (uint32_t i = 0; i < s->n_areas; i++) {
        uint32_t p = s->areas[i].parent;
        for (uint32_t depth = 0; p != NONE && !s->areas[i].locked; depth++) {
            if (depth > s->n_areas)
                return gh_fail(c->err, -EINVAL, "area '%s': parent chain has a cycle",
                               s->areas[i].name);
            if (raw[p].locked_down) {
                s->areas[i].locked = true;
                s->areas[i].locked_by = p;
            }
            p = s->areas[p].parent;
        }
    }
    return 0;
}

static int resolve_doors(struct compiler *c)
{
    struct door *raw = c->raw_doors.data;
    struct access_snapshot *s = c->s;
    s->n_doors = c->raw_doors.n;
    s->doors = xcalloc(s->n_doors ? s->n_doors : 1, sizeof(struct snap_door));
    s->door_ids = xcalloc(s->n_doors ? s->n_doors : 1, sizeof(int64_t));
    for (uint32_t i = 0; i < s->n_doors; i++) {
        struct snap_door *d = &s->doors[i];
        d->id = raw[i].id;
        s->door_ids[i] = raw[i].id;
        d->unlock_ms = raw[i].unlock_ms;
        d->held_open_s = raw[i].held_open_s;
        d->fail_safe = raw[i].fail == DOOR_FAIL_SAFE;
        d->mode = (uint8_t)raw[i].mode;
        d->escort_required = raw[i].escort_required;
        d->entry_reader = raw[i].has_entry_reader;
        d->exit_reader = raw[i].has_exit_reader;
        gh_strlcpy(d->name, raw[i].name, sizeof(d->name));
        d->site = access_find_id(s->sites, s->n_sites, sizeof(struct snap_site), raw[i].site_id);
        d->from_area =
            access_find_id(s->areas, s->n_areas, sizeof(struct snap_area), raw[i].from_area_id);
        d->to_area =
            access_find_id(s->areas, s->n_areas, sizeof(struct snap_area), raw[i].to_area_id);
        d->unlock_sched = raw[i].unlock_schedule_id
                              ? access_find_id(s->scheds, s->n_scheds, sizeof(struct snap_sched),
                                               raw[i].unlock_schedule_id)
                              : NONE;
        if (d->site == NONE || d->from_area == NONE || d->to_area == NONE ||
            (raw[i].unlock_schedule_id && d->unlock_sched == NONE))
            return gh_fail(c->err, -EINVAL, "door '%s': a reference is not found", d->name);
    }
    return 0;
}

static int resolve_schedules(struct compiler *c)
{
    struct access_snapshot *s = c->s;
    struct holiday *hol = c->raw_holidays.data;
    s->n_cals = c->cals.n;
    s->cals = c->cals.data;
    c->cals.data = NULL;
    /* holidays arrive ordered by (calendar, day) */
    s->n_holiday_days = c->raw_holidays.n;
    s->holiday_days = xcalloc(s->n_holiday_days ? s->n_holiday_days : 1, sizeof(int64_t));
    for (uint32_t i = 0; i < s->n_holiday_days; i++) {
        uint32_t cal =
            access_find_id(s->cals, s->n_cals, sizeof(struct snap_calendar), hol[i].calendar_id);
        if (cal == NONE)
            return gh_fail(c->err, -EINVAL, "holiday '%s': calendar not found", hol[i].name);
        if (s->cals[cal].day_n == 0)
            s->cals[cal].day_off = i;
        s->cals[cal].day_n++;
        s->holiday_days[i] = hol[i].day;
    }
    for (uint32_t i = 0; i < s->n_scheds; i++) {
        int64_t cal_id = ((const int64_t *)c->sched_cal_ids.data)[i];
        s->scheds[i].calendar =
            cal_id ? access_find_id(s->cals, s->n_cals, sizeof(struct snap_calendar), cal_id)
                   : NONE;
        if (cal_id && s->scheds[i].calendar == NONE)
            return gh_fail(c->err, -EINVAL, "schedule '%s': calendar not found", s->scheds[i].name);
    }
    return 0;
}

static int resolve_levels(struct compiler *c)
{
    struct access_snapshot *s = c->s;
    struct level_door *ld = c->raw_level_doors.data;
    uint32_t n = c->raw_level_doors.n;
    if (n > 0) /* qsort(NULL, 0, ...) is undefined */
        qsort(ld, n, sizeof(*ld), cmp_level_door);
    s->n_level_doors = n;
    s->level_door_door = xcalloc(n ? n : 1, sizeof(uint32_t));
    s->level_door_sched = xcalloc(n ? n : 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t lv =
            access_find_id(s->levels, s->n_levels, sizeof(struct snap_level), ld[i].level_id);
        uint32_t d = access_find_id(s->doors, s->n_doors, sizeof(struct snap_door), ld[i].door_id);
        uint32_t sc =
            access_find_id(s->scheds, s->n_scheds, sizeof(struct snap_sched), ld[i].schedule_id);
        if (lv == NONE || d == NONE || sc == NONE)
            return gh_fail(c->err, -EINVAL, "access level %lld door %lld: reference not found",
                           (long long)ld[i].level_id, (long long)ld[i].door_id);
        if (s->levels[lv].door_n == 0)
            s->levels[lv].door_off = i;
        s->levels[lv].door_n++;
        /* door ids ascend within a level and door indexes follow ids, so this stays sorted */
        s->level_door_door[i] = d;
        s->level_door_sched[i] = sc;
    }
    return 0;
}

static int resolve_assignments(struct compiler *c)
{
    struct access_snapshot *s = c->s;
    struct assignment *a = c->raw_asg.data;
    uint32_t n = c->raw_asg.n;
    if (n > 0)
        qsort(a, n, sizeof(*a), cmp_asg);
    s->n_asg = n;
    s->asg = xcalloc(n ? n : 1, sizeof(struct snap_asg));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p =
            access_find_id(s->persons, s->n_persons, sizeof(struct snap_person), a[i].person_id);
        uint32_t lv =
            access_find_id(s->levels, s->n_levels, sizeof(struct snap_level), a[i].level_id);
        if (p == NONE || lv == NONE)
            return gh_fail(c->err, -EINVAL, "assignment %lld: person or level not found",
                           (long long)a[i].id);
        if (s->persons[p].asg_n == UINT16_MAX)
            return gh_fail(c->err, -ENOSPC, "person %lld: more than %u access levels",
                           (long long)a[i].person_id, UINT16_MAX);
        if (s->persons[p].asg_n == 0)
            s->persons[p].asg_off = i;
        s->persons[p].asg_n++;
        s->asg[i].expires = a[i].expires;
        s->asg[i].level = lv;
    }
    return 0;
}

/* Builds the credential hash from the card keys gathered in on_credential. */
static int build_hash(struct compiler *c)
{
    struct access_snapshot *s = c->s;
    const uint64_t *keys = c->keys.data;
    uint64_t cap = 16;
    while (cap < (uint64_t)s->n_creds * 2)
        cap *= 2;
    if (cap > (UINT64_C(1) << 31))
        return gh_fail(c->err, -ENOSPC, "too many credentials (%u)", s->n_creds);
    s->hmask = (uint32_t)cap - 1;
    s->slots = xmalloc(cap * sizeof(struct snap_slot));
    for (uint64_t i = 0; i < cap; i++)
        s->slots[i] = (struct snap_slot){0, NONE, NONE};
    for (uint32_t k = 0; k < s->n_creds; k++) {
        uint32_t i = (uint32_t)access_hash64(keys[k]) & s->hmask;
        s->creds[k].asg_off = s->persons[s->creds[k].person].asg_off;
        s->creds[k].asg_n = s->persons[s->creds[k].person].asg_n;
        while (s->slots[i].cred != NONE)
            i = (i + 1) & s->hmask;
        s->slots[i] = (struct snap_slot){keys[k], k, s->creds[k].person};
    }
    return 0;
}

static void compiler_free(struct compiler *c)
{
    struct snap_site *sites = c->sites.data;
    for (uint32_t i = 0; i < c->sites.n; i++)
        tz_free(sites[i].tz);
    free(c->sites.data);
    free(c->scheds.data);
    free(c->intervals.data);
    free(c->cals.data);
    free(c->levels.data);
    free(c->persons.data);
    free(c->creds.data);
    free(c->pins.data);
    free(c->keys.data);
    free(c->sched_cal_ids.data);
    free(c->raw_areas.data);
    free(c->raw_doors.data);
    free(c->raw_level_doors.data);
    free(c->raw_holidays.data);
    free(c->raw_asg.data);
}

/* Moves a vec's array into the snapshot (never NULL, so readers need no checks). */
static void *take(struct vec *v, uint32_t *n)
{
    void *p = v->data;
    *n = v->n;
    if (p == NULL)
        p = xcalloc(1, v->size);
    v->data = NULL;
    v->n = v->cap = 0;
    return p;
}

/* The store as a row source; credentials get their clear card key. */
struct store_cred_tramp {
    access_cred_row_cb cb;
    void *ctx;
};

static int store_cred_one(void *ctx, const struct credential *row)
{
    struct store_cred_tramp *t = ctx;
    return t->cb(t->ctx, row, access_card_key(row->format, row->facility, row->number));
}

static int store_creds(void *src, access_cred_row_cb cb, void *ctx)
{
    struct store_cred_tramp t = {cb, ctx};
    return store_credential_list(src, store_cred_one, &t);
}

#define STORE_LIST(fn, cbt)                                                                        \
    static int rows_##fn(void *src, cbt cb, void *ctx)                                             \
    {                                                                                              \
        return store_##fn##_list(src, cb, ctx);                                                    \
    }
STORE_LIST(site, store_site_cb)
STORE_LIST(area, store_area_cb)
STORE_LIST(schedule, store_schedule_cb)
STORE_LIST(calendar, store_calendar_cb)
STORE_LIST(holiday, store_holiday_cb)
STORE_LIST(door, store_door_cb)
STORE_LIST(level, store_level_cb)
STORE_LIST(level_door, store_level_door_cb)
STORE_LIST(person, store_person_cb)
STORE_LIST(assignment, store_assignment_cb)
#undef STORE_LIST

static void snapshot_size(struct access_snapshot *s)
{
    s->bytes = sizeof(*s) + (size_t)s->n_sites * sizeof(struct snap_site) +
               (size_t)s->n_areas * sizeof(struct snap_area) +
               (size_t)s->n_doors * (sizeof(struct snap_door) + sizeof(int64_t)) +
               (size_t)s->n_scheds * sizeof(struct snap_sched) +
               (size_t)s->n_intervals * sizeof(struct sched_interval) +
               (size_t)s->n_cals * sizeof(struct snap_calendar) +
               (size_t)s->n_holiday_days * sizeof(int64_t) +
               (size_t)s->n_levels * sizeof(struct snap_level) +
               (size_t)s->n_level_doors * 2 * sizeof(uint32_t) +
               (size_t)s->n_persons * sizeof(struct snap_person) +
               (size_t)s->n_asg * sizeof(struct snap_asg) +
               (size_t)s->n_creds * sizeof(struct snap_cred) + (size_t)s->n_pins * 32 +
               ((size_t)s->hmask + 1) * sizeof(struct snap_slot);
}

int access_compile_rows(const struct access_rows *rows, struct access_snapshot *s,
                        struct gh_err *err)
{
    struct compiler c = {
        .s = s,
        .sites = {.size = sizeof(struct snap_site)},
        .scheds = {.size = sizeof(struct snap_sched)},
        .intervals = {.size = sizeof(struct sched_interval)},
        .cals = {.size = sizeof(struct snap_calendar)},
        .levels = {.size = sizeof(struct snap_level)},
        .persons = {.size = sizeof(struct snap_person)},
        .creds = {.size = sizeof(struct snap_cred)},
        .pins = {.size = 32},
        .keys = {.size = sizeof(uint64_t)},
        .sched_cal_ids = {.size = sizeof(int64_t)},
        .raw_areas = {.size = sizeof(struct area)},
        .raw_doors = {.size = sizeof(struct door)},
        .raw_level_doors = {.size = sizeof(struct level_door)},
        .raw_holidays = {.size = sizeof(struct holiday)},
        .raw_asg = {.size = sizeof(struct assignment)},
        .err = err,
    };
    void *src = rows->src;
    int r;

    if ((r = rows->sites(src, on_site, &c)) != 0)
        goto out;
    s->sites = take(&c.sites, &s->n_sites);
    if ((r = rows->areas(src, on_area, &c)) != 0 || (r = resolve_areas(&c)) != 0)
        goto out;
    if ((r = rows->schedules(src, on_schedule, &c)) != 0)
        goto out;
    s->scheds = take(&c.scheds, &s->n_scheds);
    s->intervals = take(&c.intervals, &s->n_intervals);
    if ((r = rows->calendars(src, on_calendar, &c)) != 0 ||
        (r = rows->holidays(src, on_holiday, &c)) != 0 || (r = resolve_schedules(&c)) != 0)
        goto out;
    if ((r = rows->doors(src, on_door, &c)) != 0 || (r = resolve_doors(&c)) != 0)
        goto out;
    if ((r = rows->levels(src, on_level, &c)) != 0)
        goto out;
    s->levels = take(&c.levels, &s->n_levels);
    if ((r = rows->level_doors(src, on_level_door, &c)) != 0 || (r = resolve_levels(&c)) != 0)
        goto out;
    if ((r = rows->persons(src, on_person, &c)) != 0)
        goto out;
    s->persons = take(&c.persons, &s->n_persons);
    if ((r = rows->assignments(src, on_assignment, &c)) != 0 || (r = resolve_assignments(&c)) != 0)
        goto out;
    if ((r = rows->credentials(src, on_credential, &c)) != 0)
        goto out;
    s->creds = take(&c.creds, &s->n_creds);
    s->pins = take(&c.pins, &s->n_pins);
    if ((r = build_hash(&c)) != 0)
        goto out;
    snapshot_size(s);
out:
    if (r > 0)
        r = -EINVAL;
    compiler_free(&c);
    return r;
}

int access_compile(struct store *st, const uint8_t *site_key, struct access_snapshot **out,
                   struct gh_err *err)
{
    struct access_snapshot *s = xcalloc(1, sizeof(*s));
    const struct access_rows rows = {
        .src = st,
        .sites = rows_site,
        .areas = rows_area,
        .schedules = rows_schedule,
        .calendars = rows_calendar,
        .holidays = rows_holiday,
        .doors = rows_door,
        .levels = rows_level,
        .level_doors = rows_level_door,
        .persons = rows_person,
        .assignments = rows_assignment,
        .credentials = store_creds,
    };
    bool in_tx = false;
    int r;

    if (err != NULL)
        err->msg[0] = '\0';
    if (site_key != NULL) {
        access_pin_key(site_key, s->pin_key);
        s->have_key = true;
    }
    /* Inside the caller's transaction (checking a change before commit) read that one. */
    if (!store_in_transaction(st)) {
        r = store_begin_read(st);
        if (r < 0) {
            r = gh_fail(err, r, "compile: cannot begin a read transaction: %s", store_errmsg(st));
            goto out;
        }
        in_tx = true;
    }
    s->version = store_policy_version(st);
    if (s->version < 0) {
        r = gh_fail(err, -EIO, "compile: cannot read the policy version: %s", store_errmsg(st));
        goto out;
    }
    if ((r = access_compile_rows(&rows, s, err)) != 0) {
        if (err != NULL && err->msg[0] == '\0')
            gh_fail(err, r, "compile: reading the policy failed: %s", store_errmsg(st));
        goto out;
    }
    *out = s;
    s = NULL; /* transferred */
out:
    if (in_tx)
        store_rollback(st); /* ends our read transaction */
    access_snapshot_free(s);
    return r;
}

void access_snapshot_free(struct access_snapshot *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->n_sites; i++)
        tz_free(s->sites[i].tz);
    free(s->sites);
    free(s->areas);
    free(s->doors);
    free(s->door_ids);
    free(s->scheds);
    free(s->intervals);
    free(s->cals);
    free(s->holiday_days);
    free(s->levels);
    free(s->level_door_door);
    free(s->level_door_sched);
    free(s->persons);
    free(s->asg);
    free(s->creds);
    free(s->pins);
    free(s->slots);
    sodium_memzero(s->pin_key, sizeof(s->pin_key));
    free(s);
}

int64_t access_snapshot_version(const struct access_snapshot *s)
{
    return s->version;
}

size_t access_snapshot_credentials(const struct access_snapshot *s)
{
    return s->n_creds;
}

size_t access_snapshot_bytes(const struct access_snapshot *s)
{
    return s->bytes;
}

int64_t access_snapshot_door_by_name(const struct access_snapshot *s, const char *name)
{
    for (uint32_t i = 0; i < s->n_doors; i++)
        if (gh_streq_nocase(s->doors[i].name, name)) /* as the store compares names */
            return s->doors[i].id;
    return 0;
}
