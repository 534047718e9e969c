/*
 * bench_decide.c: the decision engine on a large policy. Measures, over a snapshot of
 * 1,000,000 credentials, 5,000 doors and 2,000 access levels:
 *   decide_rate   decisions/s on one core through access_decide_batch (requests filled in
 *                 chunks of 256, no state, no explanation), against a bare open-addressing
 *                 hash lookup of the same card keys in the same order (the floor: one
 *                 probe, no policy);
 *   decide_rate_single  the same with one access_decide call per request;
 *   decide_p50,   latency of one decision (clock_gettime around each call), against the
 *   decide_p99    same for the bare lookup;
 *   snapshot_mem  resident memory access_compile() adds (VmRSS after malloc_trim), against
 *                 the raw size of the keys and ids (1M x 16 bytes).
 * The policy is populated through the store API in one write transaction and cached in
 * bench-cache/ (keyed by a version string) so later runs start at once. Requests are 90%
 * known cards at a door of one of their holder's levels inside its schedule, 10% unknown
 * cards; they are generated before timing and a sample of results is checked.
 */
#include "access/access_int.h"
#include "bench.h"

#include <malloc.h>

#define N_DOORS         5000u
#define N_LEVELS        2000u
#define DOORS_PER_LEVEL 25u
#define N_AREAS         12u
#define N_SCHEDS        3u
#define MAX_PERSON_LV   3u
#define FAC_BASE        1000u /* known cards: facility FAC_BASE or FAC_BASE + 1 */
#define FAC_UNKNOWN     4000u /* unknown cards: FAC_UNKNOWN .. FAC_UNKNOWN + 3 */
#define N_QUERIES       (1u << 20)
#define LAT_QUERIES     200000u
#define CACHE_VERSION   "gatehouse-bench-decide-v1"
#define NONE32          UINT32_MAX

/* One pre-generated request (the request struct itself is filled from it in the loop). */
struct query {
    int64_t door_id;
    int64_t time_us;
    uint32_t facility;
    uint32_t number;
    uint32_t known;
    uint32_t person; /* index, for known cards */
};

static uint32_t n_people = 1000000u;
static int64_t door_ids[N_DOORS];
static uint32_t level_doors[N_LEVELS][DOORS_PER_LEVEL]; /* door indexes */

/* ---- the generated policy (re-derivable from indexes, so nothing is stored twice) ----- */

/* Card of person p: a bijection of p on [0, 2^20) split into facility and 19-bit number. */
static void person_card(uint32_t p, uint32_t *facility, uint32_t *number)
{
    uint32_t q = (uint32_t)(((uint64_t)p * 2654435761u) & 0xfffffu);
    *facility = FAC_BASE + (q >> 19);
    *number = q & 0x7ffffu;
}

static bool contains(const uint32_t *v, uint32_t n, uint32_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* Levels of person p (distinct level indexes); returns how many (1..3). */
static unsigned person_levels(uint32_t p, uint32_t out[MAX_PERSON_LV])
{
    unsigned n = 1 + (unsigned)(bench_mix(p, 1) % MAX_PERSON_LV);
    for (unsigned k = 0; k < n; k++) {
        uint32_t lv = (uint32_t)(bench_mix(p, 2 + k) % N_LEVELS);
        while (contains(out, k, lv))
            lv = (lv + 1) % N_LEVELS;
        out[k] = lv;
    }
    return n;
}

static void gen_level_doors(void)
{
    for (uint32_t l = 0; l < N_LEVELS; l++) {
        for (uint32_t k = 0; k < DOORS_PER_LEVEL; k++) {
            uint32_t d = (uint32_t)(bench_mix(UINT64_C(1000000000) + l, k) % N_DOORS);
            while (contains(level_doors[l], k, d))
                d = (d + 1) % N_DOORS;
            level_doors[l][k] = d;
        }
    }
}

static uint32_t level_door_sched(uint32_t l, uint32_t k)
{
    return (uint32_t)(bench_mix(UINT64_C(2000000000) + l, k) % N_SCHEDS);
}

/* ---- populating the store ------------------------------------------------------------ */

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ < 0) {                                                                             \
            fprintf(stderr, "bench_decide: %s failed (%d): %s\n", #expr, rc_,                      \
                    err.msg[0] ? err.msg : store_errmsg(st));                                      \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

static int populate(const char *path, const char *version)
{
    static const char *const hol_dates[] = {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01",
                                            "2026-05-14", "2026-05-25", "2026-10-03", "2026-12-25",
                                            "2026-12-26", "2027-01-01", "2027-03-26", "2027-03-29"};
    struct gh_err err = {{0}};
    struct store *st = NULL;
    struct site site = {0};
    struct holiday_calendar cal = {0};
    int64_t area_ids[N_AREAS], sched_ids[N_SCHEDS], *level_ids = NULL;
    struct schedule sc;
    struct door door;
    struct person *pp = NULL;
    struct credential cr;
    int64_t t0 = bench_ns(), t1;

    bench_rm_db(path);
    CHECK(store_open(path, STORE_CREATE, &st, &err));
    CHECK(store_begin_write(st));

    gh_strlcpy(site.name, "Bench HQ", sizeof(site.name));
    gh_strlcpy(site.timezone, "Europe/Berlin", sizeof(site.timezone));
    CHECK(store_site_insert(st, &site, &err));
    for (uint32_t a = 0; a < N_AREAS; a++) {
        struct area ar = {0};
        ar.site_id = site.id;
        ar.parent_id = a == 0 ? 0 : area_ids[0];
        ar.apb = APB_NONE;
        snprintf(ar.name, sizeof(ar.name), "area-%02u", a);
        CHECK(store_area_insert(st, &ar, &err));
        area_ids[a] = ar.id;
    }
    gh_strlcpy(cal.name, "bench-holidays", sizeof(cal.name));
    CHECK(store_calendar_insert(st, &cal, &err));
    for (size_t i = 0; i < GH_ARRAY_LEN(hol_dates); i++) {
        struct holiday h = {0};
        h.calendar_id = cal.id;
        CHECK(gh_parse_date(hol_dates[i], &h.day, &err));
        snprintf(h.name, sizeof(h.name), "holiday %zu", i);
        CHECK(store_holiday_insert(st, &h, &err));
    }
    /* three schedules, all active Mon-Fri 08:00-18:00 where the requests are */
    for (uint32_t s = 0; s < N_SCHEDS; s++) {
        static const char *const ivs[N_SCHEDS][2] = {{"mon-fri 07:00-19:00", NULL},
                                                     {"mon-fri 06:00-12:00", "mon-sat 12:00-22:00"},
                                                     {"daily 00:00-24:00", NULL}};
        memset(&sc, 0, sizeof(sc));
        snprintf(sc.name, sizeof(sc.name), "sched-%u", s);
        sc.calendar_id = s < 2 ? cal.id : 0;
        for (int i = 0; i < 2 && ivs[s][i] != NULL; i++)
            CHECK(sched_interval_parse(ivs[s][i], &sc.intervals[sc.n_intervals++], &err));
        CHECK(store_schedule_insert(st, &sc, &err));
        sched_ids[s] = sc.id;
    }
    for (uint32_t d = 0; d < N_DOORS; d++) {
        uint32_t from = d % N_AREAS;
        memset(&door, 0, sizeof(door));
        door.site_id = site.id;
        snprintf(door.name, sizeof(door.name), "door-%05u", d);
        door.from_area_id = area_ids[from];
        door.to_area_id = area_ids[(from + 1 + (d / N_AREAS) % (N_AREAS - 1)) % N_AREAS];
        door.mode = DOOR_CARD;
        door.unlock_ms = 5000;
        door.held_open_s = 30;
        door.fail = DOOR_FAIL_SECURE;
        door.has_entry_reader = true;
        door.has_exit_reader = true;
        CHECK(store_door_insert(st, &door, &err));
        door_ids[d] = door.id;
    }
    level_ids = xcalloc(N_LEVELS, sizeof(int64_t));
    for (uint32_t l = 0; l < N_LEVELS; l++) {
        struct access_level lv = {0};
        snprintf(lv.name, sizeof(lv.name), "level-%04u", l);
        CHECK(store_level_insert(st, &lv, &err));
        level_ids[l] = lv.id;
        for (uint32_t k = 0; k < DOORS_PER_LEVEL; k++) {
            struct level_door ld = {level_ids[l], door_ids[level_doors[l][k]],
                                    sched_ids[level_door_sched(l, k)]};
            CHECK(store_level_door_set(st, &ld, &err));
        }
    }
    t1 = bench_ns();
    fprintf(stderr, "bench_decide: populate: site, areas, %u doors, %u levels: %.2f s\n", N_DOORS,
            N_LEVELS, (double)(t1 - t0) / 1e9);

    pp = xcalloc(1, sizeof(*pp));
    pp->kind = PERSON_EMPLOYEE;
    pp->status = PERSON_ACTIVE;
    pp->valid_from = GH_TIME_MIN;
    pp->valid_until = GH_TIME_MAX;
    memset(&cr, 0, sizeof(cr));
    cr.format = CRED_FMT_H10304;
    cr.status = CRED_ACTIVE;
    cr.valid_from = GH_TIME_MIN;
    cr.valid_until = GH_TIME_MAX;
    for (uint32_t p = 0; p < n_people; p++) {
        uint32_t lv[MAX_PERSON_LV];
        unsigned nlv = person_levels(p, lv);
        pp->id = 0;
        snprintf(pp->employee_id, sizeof(pp->employee_id), "E%07u", p);
        snprintf(pp->first_name, sizeof(pp->first_name), "First%u", p % 5000);
        snprintf(pp->last_name, sizeof(pp->last_name), "Last%u", p / 5000);
        CHECK(store_person_insert(st, pp, &err));
        cr.id = 0;
        cr.person_id = pp->id;
        {
            uint32_t num;
            person_card(p, &cr.facility, &num);
            cr.number = num;
        }
        CHECK(store_credential_insert(st, &cr, &err));
        for (unsigned k = 0; k < nlv; k++) {
            struct assignment as = {0, pp->id, level_ids[lv[k]], GH_TIME_MAX};
            CHECK(store_assignment_set(st, &as, &err));
        }
        if (p % 200000 == 199999)
            fprintf(stderr, "bench_decide: populate: %u people, %.1f s\n", p + 1,
                    (double)(bench_ns() - t1) / 1e9);
    }
    CHECK(store_meta_set(st, "bench_version", version));
    CHECK(store_commit(st));
    fprintf(stderr,
            "bench_decide: populate: %u people with a card each and 1-3 levels: %.1f s "
            "(commit included)\n",
            n_people, (double)(bench_ns() - t1) / 1e9);
    store_close(st);
    free(pp);
    free(level_ids);
    return 0;
fail:
    store_rollback(st);
    store_close(st);
    free(pp);
    free(level_ids);
    return -1;
}

static int on_door(void *ctx, const struct door *row)
{
    uint32_t *n = ctx;
    if (*n >= N_DOORS)
        return -ENOSPC;
    door_ids[(*n)++] = row->id;
    return 0;
}

/* Opens the cached policy store, building it first if missing or stale. */
static int open_policy(const char *dir, char *path, size_t path_len, struct store **out)
{
    char tmp[4096], version[256], have[256];
    struct gh_err err = {{0}};
    struct store *st = NULL;
    uint32_t nd = 0;

    snprintf(version, sizeof(version), "%s schema=%d people=%u doors=%u levels=%u", CACHE_VERSION,
             store_schema_latest(), n_people, N_DOORS, N_LEVELS);
    if (bench_mkdir(dir) < 0 || gh_snprintf(path, path_len, "%s/decide-%u.db", dir, n_people) < 0 ||
        gh_snprintf(tmp, sizeof(tmp), "%s.tmp", path) < 0)
        return -1;
    if (access(path, F_OK) == 0 && store_open(path, 0, &st, &err) == 0) {
        if (store_meta_get(st, "bench_version", have, sizeof(have)) == 0 &&
            strcmp(have, version) == 0) {
            if (store_door_list(st, on_door, &nd) == 0 && nd == N_DOORS) {
                fprintf(stderr, "bench_decide: using cached policy %s\n", path);
                *out = st;
                return 0;
            }
        }
        store_close(st);
        st = NULL;
        fprintf(stderr, "bench_decide: cached policy %s is stale; rebuilding\n", path);
    }
    fprintf(stderr, "bench_decide: building the policy in %s (once; cached after)\n", path);
    if (populate(tmp, version) < 0)
        return -1;
    bench_rm_db(path);
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "bench_decide: rename %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    if (store_open(path, 0, &st, &err) < 0) {
        fprintf(stderr, "bench_decide: %s\n", err.msg);
        return -1;
    }
    *out = st;
    return 0;
}

/* ---- the requests --------------------------------------------------------------------- */

static void gen_queries(struct query *q, size_t n, const struct gh_tz *tz)
{
    struct bench_rng rng = {42};
    int64_t monday = gh_days_from_civil(2026, 11, 16);
    for (size_t i = 0; i < n; i++) {
        int64_t day = monday + (int64_t)bench_below(&rng, 5);
        unsigned sec = 8 * 3600 + (unsigned)bench_below(&rng, 10 * 3600);
        q[i].time_us =
            tz_utc_from_local(tz, day, sec) * GH_USEC_PER_SEC + (int64_t)bench_below(&rng, 1000000);
        if (bench_below(&rng, 10) == 0) {
            q[i].known = 0;
            q[i].person = NONE32;
            q[i].facility = FAC_UNKNOWN + (uint32_t)bench_below(&rng, 4);
            q[i].number = (uint32_t)bench_below(&rng, 1u << 19);
            q[i].door_id = door_ids[bench_below(&rng, N_DOORS)];
        } else {
            uint32_t p = (uint32_t)bench_below(&rng, n_people), lv[MAX_PERSON_LV];
            unsigned nlv = person_levels(p, lv);
            uint32_t l = lv[bench_below(&rng, nlv)];
            q[i].known = 1;
            q[i].person = p;
            person_card(p, &q[i].facility, &q[i].number);
            q[i].door_id = door_ids[level_doors[l][bench_below(&rng, DOORS_PER_LEVEL)]];
        }
    }
}

static inline void fill_request(struct access_request *req, const struct query *q)
{
    req->door_id = q->door_id;
    req->time_us = q->time_us;
    req->cred.card.facility = q->facility;
    req->cred.card.number = q->number;
}

static void init_request(struct access_request *req)
{
    memset(req, 0, sizeof(*req));
    req->direction = DIR_ENTRY;
    req->cred.raw = false;
    req->cred.card.format = CRED_FMT_H10304;
}

/* ---- the baseline: a minimal open-addressing table of the same keys ------------------- */

struct base_slot {
    uint64_t key;
    uint32_t val; /* NONE32: empty */
};

struct base_table {
    struct base_slot *slot;
    uint32_t mask;
};

/* The baseline uses the snapshot's own mixer and card key (access_int.h), so the two
 * tables differ only in what a decision does beyond the probe. */
static inline uint64_t card_key(uint32_t facility, uint32_t number)
{
    return access_card_key(CRED_FMT_H10304, facility, number);
}

static void base_build(struct base_table *t, uint32_t n)
{
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2) /* the snapshot's load factor */
        cap *= 2;
    t->mask = (uint32_t)cap - 1;
    t->slot = xmalloc(cap * sizeof(*t->slot));
    for (uint64_t i = 0; i < cap; i++)
        t->slot[i].val = NONE32;
    for (uint32_t p = 0; p < n; p++) {
        uint32_t f, num, i;
        uint64_t k;
        person_card(p, &f, &num);
        k = card_key(f, num);
        i = (uint32_t)access_hash64(k) & t->mask;
        while (t->slot[i].val != NONE32)
            i = (i + 1) & t->mask;
        t->slot[i].key = k;
        t->slot[i].val = p;
    }
}

static inline uint32_t base_lookup(const struct base_table *t, uint64_t key)
{
    uint32_t i = (uint32_t)access_hash64(key) & t->mask;
    for (;;) {
        const struct base_slot *s = &t->slot[i];
        if (s->val == NONE32)
            return NONE32;
        if (s->key == key)
            return s->val;
        i = (i + 1) & t->mask;
    }
}

/* ---- timed loops ---------------------------------------------------------------------- */

static double decide_pass(const struct access_snapshot *snap, const struct query *q, size_t n,
                          uint64_t *granted)
{
    struct access_request req;
    struct access_result res;
    uint64_t g = 0;
    int64_t t0;
    init_request(&req);
    t0 = bench_ns();
    for (size_t i = 0; i < n; i++) {
        fill_request(&req, &q[i]);
        access_decide(snap, NULL, &req, &res, NULL);
        g += res.granted;
    }
    *granted = g;
    return (double)n / ((double)(bench_ns() - t0) / 1e9);
}

#define BATCH 256

/* The same requests through access_decide_batch, BATCH at a time. */
static double decide_batch_pass(const struct access_snapshot *snap, const struct query *q,
                                size_t n, struct access_request *reqs,
                                struct access_result *res, uint64_t *granted)
{
    uint64_t g = 0;
    int64_t t0;
    for (size_t k = 0; k < BATCH; k++)
        init_request(&reqs[k]);
    t0 = bench_ns();
    for (size_t i = 0; i < n; i += BATCH) {
        size_t m = n - i < BATCH ? n - i : BATCH;
        for (size_t k = 0; k < m; k++)
            fill_request(&reqs[k], &q[i + k]);
        access_decide_batch(snap, NULL, reqs, m, res);
        for (size_t k = 0; k < m; k++)
            g += res[k].granted;
    }
    *granted = g;
    return (double)n / ((double)(bench_ns() - t0) / 1e9);
}

static double base_pass(const struct base_table *t, const struct query *q, size_t n,
                        uint64_t *found)
{
    uint64_t f = 0;
    int64_t t0 = bench_ns();
    for (size_t i = 0; i < n; i++)
        f += base_lookup(t, card_key(q[i].facility, q[i].number)) != NONE32;
    *found = f;
    return (double)n / ((double)(bench_ns() - t0) / 1e9);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* p50 and p99 (microseconds) of per-call latencies in lat[0..n). */
static void percentiles(int64_t *lat, size_t n, double *p50, double *p99)
{
    qsort(lat, n, sizeof(*lat), cmp_i64);
    *p50 = (double)lat[n / 2] / 1000.0;
    *p99 = (double)lat[n * 99 / 100] / 1000.0;
}

static void decide_latency(const struct access_snapshot *snap, const struct query *q, size_t n,
                           int64_t *lat, double *p50, double *p99)
{
    struct access_request req;
    struct access_result res;
    init_request(&req);
    for (size_t i = 0; i < n; i++) {
        int64_t t0;
        fill_request(&req, &q[i]);
        t0 = bench_ns();
        access_decide(snap, NULL, &req, &res, NULL);
        lat[i] = bench_ns() - t0;
    }
    percentiles(lat, n, p50, p99);
}

static void base_latency(const struct base_table *t, const struct query *q, size_t n, int64_t *lat,
                         double *p50, double *p99)
{
    volatile uint32_t sink = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t t0 = bench_ns();
        sink = base_lookup(t, card_key(q[i].facility, q[i].number));
        lat[i] = bench_ns() - t0;
    }
    (void)sink;
    percentiles(lat, n, p50, p99);
}

/* ---- checking that the work is real --------------------------------------------------- */

static int verify(const struct access_snapshot *snap, struct store *st, const struct query *q,
                  size_t n)
{
    struct access_request req;
    struct access_result res;
    size_t bad = 0, checked_ids = 0;
    init_request(&req);
    for (size_t i = 0; i < n; i += 97) {
        bool ok;
        fill_request(&req, &q[i]);
        if (access_decide(snap, NULL, &req, &res, NULL) < 0) {
            bad++;
            continue;
        }
        ok = q[i].known ? res.granted && res.reason == REASON_GRANTED && res.level_id != 0
                        : !res.granted && res.reason == REASON_UNKNOWN_CREDENTIAL;
        if (ok && q[i].known && i % 50 == 0) {
            struct credential c;
            ok = store_credential_find(st, CRED_FMT_H10304, q[i].facility, q[i].number, &c) == 0 &&
                 c.id == res.credential_id && c.person_id == res.person_id;
            checked_ids++;
        }
        if (!ok && bad++ < 5)
            fprintf(stderr, "bench_decide: request %zu: %s (%s), expected %s\n", i,
                    res.granted ? "granted" : "denied", access_reason_name(res.reason),
                    q[i].known ? "granted" : "unknown_credential");
    }
    fprintf(stderr,
            "bench_decide: verified %zu sampled decisions (%zu against the store): %zu "
            "wrong\n",
            (n + 96) / 97, checked_ids, bad);
    return bad == 0 ? 0 : -1;
}

int main(void)
{
    const char *cache = getenv("GH_BENCH_CACHE");
    const char *np = getenv("GH_BENCH_PEOPLE");
    char db_path[4096];
    struct gh_err err = {{0}};
    struct store *st = NULL;
    struct access_snapshot *snap = NULL;
    struct gh_tz *tz = NULL;
    struct query *q = NULL;
    struct base_table bt = {0};
    int64_t *lat = NULL, rss0, rss1, t0;
    double rate[BENCH_RUNS], srate[BENCH_RUNS], brate[BENCH_RUNS], p50[BENCH_RUNS],
        p99[BENCH_RUNS], bp50[BENCH_RUNS], bp99[BENCH_RUNS], snap_mb, raw_mb;
    struct access_request *reqs = xcalloc(BATCH, sizeof(*reqs));
    struct access_result *results = xcalloc(BATCH, sizeof(*results));
    uint64_t granted = 0, found = 0, want_granted = 0;
    int status = 1;

    if (np != NULL && np[0] != '\0') {
        uint64_t v;
        if (gh_parse_u64(np, 1u << 20, &v) < 0 || v == 0) {
            fprintf(stderr, "bench_decide: GH_BENCH_PEOPLE must be 1..1048576\n");
            return 2;
        }
        n_people = (uint32_t)v;
    }
    gen_level_doors();
    if (open_policy(cache != NULL && cache[0] != '\0' ? cache : "bench-cache", db_path,
                    sizeof(db_path), &st) < 0)
        goto out;
    store_close(st); /* closed while measuring, so SQLite's own memory is not counted */
    st = NULL;

    /* snapshot_mem: RSS added by the compile, with the compile's scratch freed */
    malloc_trim(0);
    rss0 = bench_rss_bytes();
    if (store_open(db_path, 0, &st, &err) < 0) {
        fprintf(stderr, "bench_decide: %s\n", err.msg);
        goto out;
    }
    t0 = bench_ns();
    if (access_compile(st, NULL, &snap, &err) < 0) {
        fprintf(stderr, "bench_decide: compile: %s\n", err.msg);
        goto out;
    }
    fprintf(stderr, "bench_decide: access_compile: %.2f s, %zu credentials\n",
            (double)(bench_ns() - t0) / 1e9, access_snapshot_credentials(snap));
    store_close(st);
    st = NULL;
    malloc_trim(0);
    rss1 = bench_rss_bytes();
    snap_mb = (double)(rss1 - rss0) / 1e6;
    raw_mb = (double)n_people * 16 / 1e6;
    fprintf(
        stderr,
        "bench_decide: snapshot: VmRSS +%.1f MB, access_snapshot_bytes %.1f MB (MB = 10^6 bytes)\n",
        snap_mb, (double)access_snapshot_bytes(snap) / 1e6);
    if (access_snapshot_credentials(snap) != n_people) {
        fprintf(stderr, "bench_decide: snapshot has %zu credentials, expected %u\n",
                access_snapshot_credentials(snap), n_people);
        goto out;
    }

    if (tz_load("Europe/Berlin", &tz, &err) < 0) {
        fprintf(stderr, "bench_decide: %s\n", err.msg);
        goto out;
    }
    q = xmalloc((size_t)N_QUERIES * sizeof(*q));
    gen_queries(q, N_QUERIES, tz);
    for (size_t i = 0; i < N_QUERIES; i++)
        want_granted += q[i].known;
    base_build(&bt, n_people);
    lat = xmalloc((size_t)LAT_QUERIES * sizeof(*lat));

    if (store_open(db_path, 0, &st, &err) < 0 || verify(snap, st, q, N_QUERIES) < 0)
        goto out;
    store_close(st);
    st = NULL;
    {
        int64_t a = bench_ns(), b = a;
        for (int i = 0; i < 1000; i++)
            b = bench_ns();
        fprintf(stderr, "bench_decide: clock_gettime costs %.0f ns (included in latencies)\n",
                (double)(b - a) / 1000.0);
    }

    /* warm-up pass, then the timed runs; decide and baseline alternate in each run */
    decide_pass(snap, q, N_QUERIES, &granted);
    for (int r = 0; r < BENCH_RUNS; r++) {
        size_t off = (size_t)r * LAT_QUERIES % (N_QUERIES - LAT_QUERIES);
        uint64_t granted_batch = 0;
        rate[r] = decide_batch_pass(snap, q, N_QUERIES, reqs, results, &granted_batch);
        srate[r] = decide_pass(snap, q, N_QUERIES, &granted);
        brate[r] = base_pass(&bt, q, N_QUERIES, &found);
        if (granted != want_granted || found != want_granted || granted_batch != want_granted) {
            fprintf(stderr,
                    "bench_decide: run %d: %llu granted (batch %llu), %llu found, expected "
                    "%llu\n",
                    r, (unsigned long long)granted, (unsigned long long)granted_batch,
                    (unsigned long long)found, (unsigned long long)want_granted);
            goto out;
        }
        decide_latency(snap, q + off, LAT_QUERIES, lat, &p50[r], &p99[r]);
        base_latency(&bt, q + off, LAT_QUERIES, lat, &bp50[r], &bp99[r]);
        fprintf(stderr,
                "bench_decide: run %d: decide %.0f/s batched, %.0f/s single (p50 %.3f us, "
                "p99 %.3f us), lookup %.0f/s (p50 %.3f us, p99 %.3f us)\n",
                r + 1, rate[r], srate[r], p50[r], p99[r], brate[r], bp50[r], bp99[r]);
    }
    bench_report("decide_rate", bench_median(rate, BENCH_RUNS), "decisions/s",
                 bench_median(brate, BENCH_RUNS), "lookups/s", true, 2000000);
    bench_report("decide_rate_single", bench_median(srate, BENCH_RUNS), "decisions/s",
                 bench_median(brate, BENCH_RUNS), "lookups/s", true, 2000000);
    bench_report("decide_p50", bench_median(p50, BENCH_RUNS), "us", bench_median(bp50, BENCH_RUNS),
                 "us", false, 5);
    bench_report("decide_p99", bench_median(p99, BENCH_RUNS), "us", bench_median(bp99, BENCH_RUNS),
                 "us", false, 5);
    bench_report("snapshot_mem", snap_mb, "MB", raw_mb, "MB", false, 150);
    status = 0;
out:
    store_close(st);
    access_snapshot_free(snap);
    tz_free(tz);
    free(q);
    free(lat);
    free(reqs);
    free(results);
    free(bt.slot);
    return status;
}
