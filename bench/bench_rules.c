/*
 * bench_rules.c: the built-in detectors over a replayed stream, on one core. Measures
 *   rules_rate  events/s through rules_feed() with every built-in detector on, over
 *               RULES_EVENTS pre-generated events (a campus of 50,000 people, 2,000 doors in
 *               20 sites, each person at the doors of their own site: 85% card reads, 10%
 *               of them denied, the rest door notes, exit requests and the odd alarm), the
 *               engine's lookups answered by functions as the server's snapshot would;
 *               target >= 1,000,000/s.
 *   baseline    the same replay through an engine with every detector off (the loop, the
 *               event copies and the dispatch, no detector).
 * Medians of BENCH_RUNS runs; the number of alarms raised is printed on stderr (the
 * detectors must be doing their work, not skipping it).
 */
#include "access/access.h"
#include "rules/rules.h"
#include "bench.h"

#define RULES_EVENTS 4000000u
#define PEOPLE       50000u
#define DOORS        2000u
#define RULES_TARGET 1000000.0

static int64_t door_site(void *ctx, int64_t door)
{
    (void)ctx;
    return door > 0 ? 1 + (door - 1) / 100 : 0;
}

static int cred_status(void *ctx, int64_t id)
{
    (void)ctx;
    return id % 997 == 0 ? CRED_LOST : CRED_ACTIVE;
}

static int person_status(void *ctx, int64_t id)
{
    (void)ctx;
    return id % 991 == 0 ? PERSON_TERMINATED : PERSON_ACTIVE;
}

static int local_time(void *ctx, int64_t door, int64_t t, int *weekday, int *hour)
{
    int64_t s = t / GH_USEC_PER_SEC + 3600; /* one time zone for every site */
    (void)ctx;
    (void)door;
    *weekday = (int)((s / 86400 + 3) % 7);
    *hour = (int)(s % 86400 / 3600);
    return 0;
}

/* every door is placed: a 10 x 10 grid of doors 25 m apart on each site */
static int door_position(void *ctx, int64_t door, double *x, double *y)
{
    (void)ctx;
    *x = (double)((door - 1) % 10) * 25;
    *y = (double)((door - 1) % 100 / 10) * 25;
    return 0;
}

static const char *const notes[] = {"{\"state\":\"unlocked\"}", "{\"state\":\"opened\"}",
                                    "{\"state\":\"closed\"}", "{\"state\":\"locked\"}"};

/* Event i of the stream: time moves on by ~20 ms an event (about 4 days of a busy campus). */
static void make_event(uint32_t i, struct event *ev)
{
    uint64_t h = bench_mix(i, 91);
    uint32_t kind = (uint32_t)(h % 100);
    memset(ev, 0, sizeof(*ev));
    ev->offset = i + 1;
    ev->time_us = INT64_C(1796035000000000) + (int64_t)i * 20000;
    ev->door_id = 1 + (int64_t)((h >> 8) % DOORS);
    ev->decision = ev->reason = -1;
    if (kind < 85) {
        /* people keep to the doors of their own site */
        int64_t who = 1 + (int64_t)((h >> 24) % PEOPLE);
        ev->type = EV_ACCESS_DECISION;
        ev->door_id = (who % (DOORS / 100)) * 100 + 1 + (int64_t)((h >> 8) % 100);
        ev->person_id = ev->credential_id = who;
        ev->decision = (h >> 48) % 10 != 0;
        ev->reason = ev->decision ? REASON_GRANTED
                                  : ((h >> 52) % 500 == 0 ? REASON_CREDENTIAL_INACTIVE
                                                          : REASON_NO_ACCESS_LEVEL);
    } else if (kind < 97) {
        ev->type = EV_DOOR_STATE;
        gh_strlcpy(ev->payload, notes[(h >> 40) % 4], sizeof(ev->payload));
    } else if (kind < 99) {
        ev->type = EV_DOOR_REX;
    } else {
        ev->type = (h >> 40) % 2 ? EV_DOOR_HELD : EV_DOOR_FORCED;
    }
}

static void count(void *ctx, const struct rules_alarm *a)
{
    (void)a;
    (*(uint64_t *)ctx)++;
}

static double replay(bool detectors, const struct event *evs, uint64_t *alarms)
{
    struct rules_config cfg;
    struct rules_lookup look = {NULL,       door_site, cred_status, person_status,
                                local_time, door_position};
    struct rules_engine *e = NULL;
    struct gh_err err = {{0}};
    int64_t t0, t1;
    rules_config_init(&cfg);
    for (int t = 0; t < RULE_COUNT && !detectors; t++)
        cfg.disabled[t] = true;
    if (rules_engine_new(&cfg, &look, &e, &err) < 0) {
        fprintf(stderr, "bench_rules: %s\n", err.msg);
        return -1;
    }
    *alarms = 0;
    t0 = bench_ns();
    for (uint32_t i = 0; i < RULES_EVENTS; i++)
        rules_feed(e, &evs[i], count, alarms);
    t1 = bench_ns();
    rules_engine_free(e);
    return RULES_EVENTS / ((double)(t1 - t0) / 1e9);
}

int main(void)
{
    struct event *evs = xcalloc(RULES_EVENTS, sizeof(*evs));
    double rate[BENCH_RUNS], base[BENCH_RUNS];
    uint64_t alarms = 0, none = 0;
    for (uint32_t i = 0; i < RULES_EVENTS; i++)
        make_event(i, &evs[i]);
    for (int r = 0; r < BENCH_RUNS; r++) {
        if ((rate[r] = replay(true, evs, &alarms)) < 0 || (base[r] = replay(false, evs, &none)) < 0)
            return 1;
    }
    fprintf(stderr, "bench_rules: %llu alarms from %u events with the detectors on, %llu off\n",
            (unsigned long long)alarms, RULES_EVENTS, (unsigned long long)none);
    if (alarms == 0 || none != 0) {
        fprintf(stderr, "bench_rules: the detectors did not run as they should\n");
        return 1;
    }
    bench_report("rules_rate", bench_median(rate, BENCH_RUNS), "events/s",
                 bench_median(base, BENCH_RUNS), "events/s", true, RULES_TARGET);
    free(evs);
    return 0;
}
