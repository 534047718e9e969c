/*
 * test_detect.c: the built-in detectors (src/rules/detect.c) on synthetic streams, each
 * made to fire on its scenario and to stay silent on the normal traffic next to it:
 * impossible travel (within a site, between sites, by the walking-time table, a late
 * journal); a lost, stolen or revoked card and a terminated or on-leave person; repeated
 * denials per credential and per door (n within the window, not n spread out); door
 * forced, held and tamper; anti-passback; access at an hour unusual for the person (not
 * before enough history); a door opened more often than granted while unlocked for grants
 * (not a door its schedule unlocked); a detector turned off; memory bounded (more subjects than the
 * tables hold). A normal day of reads raises nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "access/access.h"
#include "rules/rules.h"

#define S   GH_USEC_PER_SEC
#define T0  INT64_C(1796035000000000) /* 2026-11-30 10:36:40 UTC */
#define MAX 64

struct got {
    struct rules_alarm a[MAX];
    int n;
};

static void collect(void *ctx, const struct rules_alarm *a)
{
    struct got *g = ctx;
    if (g->n < MAX)
        g->a[g->n] = *a;
    g->n++;
}

/* The world: doors 1-9 at site 1, doors 10-19 at site 2; credential c belongs to person c,
 * credential 66 is lost, 67 stolen; person 70 is terminated, 71 on leave. */
static int64_t door_site(void *ctx, int64_t door)
{
    (void)ctx;
    return door >= 1 && door <= 9 ? 1 : door >= 10 && door <= 19 ? 2 : 0;
}

static int cred_status(void *ctx, int64_t id)
{
    (void)ctx;
    return id == 66 ? CRED_LOST : id == 67 ? CRED_STOLEN : CRED_ACTIVE;
}

static int person_status(void *ctx, int64_t id)
{
    (void)ctx;
    return id == 70 ? PERSON_TERMINATED : id == 71 ? PERSON_ON_LEAVE : PERSON_ACTIVE;
}

/* every site keeps UTC here: 1970-01-01 was a Thursday */
static int local_time(void *ctx, int64_t door, int64_t t, int *weekday, int *hour)
{
    int64_t s = t / GH_USEC_PER_SEC;
    (void)ctx;
    (void)door;
    *weekday = (int)((s / 86400 + 3) % 7);
    *hour = (int)(s % 86400 / 3600);
    return 0;
}

/* doors 5 and 7 are 10 m apart, door 6 is 300 m from door 5; the rest are not placed */
static int door_position(void *ctx, int64_t door, double *x, double *y)
{
    (void)ctx;
    if (door < 5 || door > 7)
        return -1;
    *x = door == 6 ? 300 : 0;
    *y = door == 7 ? 10 : 0;
    return 0;
}

static const struct rules_lookup world = {NULL,       door_site, cred_status, person_status,
                                          local_time, door_position};

static struct rules_engine *engine(const struct rules_config *cfg)
{
    struct rules_engine *e = NULL;
    struct rules_config dflt;
    struct gh_err err = {{0}};
    if (cfg == NULL) {
        rules_config_init(&dflt);
        cfg = &dflt;
    }
    assert_int_equal(rules_engine_new(cfg, &world, &e, &err), 0);
    return e;
}

/* An engine that judges travel between doors of one site too (20 s). */
static struct rules_engine *engine_site_walk(void)
{
    struct rules_config c;
    rules_config_init(&c);
    c.walk_same_site_s = 20;
    return engine(&c);
}

static int64_t offset;

static void read_at(struct rules_engine *e, struct got *g, int64_t t, int64_t door, int64_t cred,
                    int decision, int reason)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.offset = ++offset;
    ev.time_us = t;
    ev.type = EV_ACCESS_DECISION;
    ev.door_id = door;
    ev.credential_id = cred;
    ev.person_id = cred;
    ev.decision = decision;
    ev.reason = reason;
    rules_feed(e, &ev, collect, g);
}

/* A door event (a state note in the payload, as the controller sends it, or none). */
static void note(struct rules_engine *e, struct got *g, enum event_type type, int64_t door,
                 const char *state)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.offset = ++offset;
    ev.time_us = T0;
    ev.type = type;
    ev.door_id = door;
    ev.decision = ev.reason = -1;
    if (state != NULL)
        gh_snprintf(ev.payload, sizeof(ev.payload), "{\"state\":\"%s\"}", state);
    rules_feed(e, &ev, collect, g);
}

#define GRANT(t, door, cred)     read_at(e, &g, (t), (door), (cred), 1, REASON_GRANTED)
#define DENY(t, door, cred, why) read_at(e, &g, (t), (door), (cred), 0, (why))

static void test_impossible_travel(void **state)
{
    struct rules_engine *e;
    struct got g = {.n = 0};
    (void)state;
    /* by default doors of one site are not judged (they may be steps apart) */
    e = engine(NULL);
    GRANT(T0, 1, 7);
    GRANT(T0 + 2 * S, 3, 7);
    assert_int_equal(g.n, 0);
    rules_engine_free(e);
    e = engine_site_walk();
    /* normal: the same door again, the next door after a walk, another site after 20 min */
    GRANT(T0, 1, 5);
    GRANT(T0 + 2 * S, 1, 5);
    GRANT(T0 + 40 * S, 2, 5);
    GRANT(T0 + 1300 * S, 12, 5);
    assert_int_equal(g.n, 0);
    /* two doors of one site 5 s apart (20 s needed); two sites 2 min apart (15 min) */
    GRANT(T0, 1, 8);
    GRANT(T0 + 5 * S, 3, 8);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].type, RULE_BADGE_CLONING);
    assert_string_equal(g.a[0].key, "badge_cloning:credential:8");
    assert_non_null(strstr(g.a[0].detail, "at least 20 s"));
    GRANT(T0 + 125 * S, 11, 8);
    assert_int_equal(g.n, 2);
    assert_non_null(strstr(g.a[1].detail, "at least 900 s"));
    /* a journal uploaded late: an old read after a new one still counts */
    GRANT(T0 + 100 * S, 15, 9);
    GRANT(T0 + 98 * S, 2, 9);
    assert_int_equal(g.n, 3);
    rules_engine_free(e);
}

static void test_walking_table(void **state)
{
    static const struct rules_walk walks[] = {{4, 3, 90}, {1, 2, 0}};
    struct rules_config c;
    struct rules_engine *e;
    struct got g = {.n = 0};
    (void)state;
    rules_config_init(&c);
    c.walks = walks;
    c.n_walks = 2;
    c.walk_same_site_s = 20;
    e = engine(&c);
    GRANT(T0, 3, 20);
    GRANT(T0 + 60 * S, 4, 20); /* the table says 90 s between 3 and 4 */
    assert_int_equal(g.n, 1);
    assert_non_null(strstr(g.a[0].detail, "at least 90 s"));
    GRANT(T0 + 61 * S, 1, 20); /* 4 -> 1: not in the table: the site's default, 20 s */
    assert_int_equal(g.n, 2);
    GRANT(T0 + 62 * S, 2, 20); /* 1 -> 2: 0 in the table, never an alarm */
    assert_int_equal(g.n, 2);
    GRANT(T0 + 63 * S, 50, 20); /* a door of no known site: silent */
    assert_int_equal(g.n, 2);
    rules_engine_free(e);
}

/* Placed doors of one site: the straight line at the walking speed (2 m/s by default). */
static void test_door_positions(void **state)
{
    struct rules_config c;
    struct rules_engine *e;
    struct got g = {.n = 0};
    (void)state;
    e = engine(NULL);
    GRANT(T0, 5, 30);
    GRANT(T0 + 6 * S, 7, 30); /* 10 m in 6 s: fine (5 s needed) */
    GRANT(T0 + 100 * S, 6, 30); /* 300 m in 94 s: 150 s needed */
    assert_int_equal(g.n, 1);
    assert_non_null(strstr(g.a[0].detail, "at least 150 s"));
    GRANT(T0 + 101 * S, 1, 30); /* door 1 is not placed: the site's default (off) */
    assert_int_equal(g.n, 1);
    rules_engine_free(e);
    /* the speed is a setting; 0 turns positions off */
    rules_config_init(&c);
    c.walk_speed_mps = 5;
    e = engine(&c);
    GRANT(T0, 5, 31);
    GRANT(T0 + 50 * S, 6, 31); /* 60 s needed at 5 m/s */
    assert_int_equal(g.n, 2);
    assert_non_null(strstr(g.a[1].detail, "at least 60 s"));
    rules_engine_free(e);
    c.walk_speed_mps = 0;
    e = engine(&c);
    GRANT(T0, 5, 32);
    GRANT(T0 + 1 * S, 6, 32);
    assert_int_equal(g.n, 2);
    rules_engine_free(e);
}

static void test_credential_misuse(void **state)
{
    struct rules_engine *e = engine(NULL);
    struct got g = {.n = 0};
    (void)state;
    DENY(T0, 1, 66, REASON_CREDENTIAL_INACTIVE);
    DENY(T0 + 100 * S, 1, 67, REASON_CREDENTIAL_INACTIVE);
    DENY(T0 + 200 * S, 1, 70, REASON_PERSON_INACTIVE);
    DENY(T0 + 300 * S, 1, 71, REASON_PERSON_INACTIVE);
    assert_int_equal(g.n, 4);
    assert_non_null(strstr(g.a[0].detail, "a lost card"));
    assert_int_equal(g.a[0].severity, 4);
    assert_non_null(strstr(g.a[1].detail, "a stolen card"));
    assert_int_equal(g.a[1].severity, 5);
    assert_non_null(strstr(g.a[2].detail, "terminated person"));
    assert_string_equal(g.a[2].key, "credential_misuse:person:70");
    assert_int_equal(g.a[3].severity, 2);
    /* silent: an expired card, a missing level, a wrong PIN (other detectors' business) */
    DENY(T0 + 400 * S, 1, 5, REASON_CREDENTIAL_EXPIRED);
    DENY(T0 + 500 * S, 1, 5, REASON_NO_ACCESS_LEVEL);
    DENY(T0 + 600 * S, 1, 5, REASON_PIN_INCORRECT);
    assert_int_equal(g.n, 4);
    rules_engine_free(e);
}

static void test_repeated_denials(void **state)
{
    struct rules_engine *e = engine(NULL);
    struct got g = {.n = 0};
    (void)state;
    /* 4 denials of one card within a minute, then the 5th an hour later: silent */
    for (int i = 0; i < 4; i++)
        DENY(T0 + i * 10 * S, 1, 30, REASON_NO_ACCESS_LEVEL);
    DENY(T0 + 3600 * S, 1, 30, REASON_NO_ACCESS_LEVEL);
    assert_int_equal(g.n, 0);
    /* 5 within a minute: one alarm, and the count starts again */
    for (int i = 0; i < 5; i++)
        DENY(T0 + 7200 * S + i * 5 * S, 2, 31, REASON_OUTSIDE_SCHEDULE);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].type, RULE_DENIALS_CREDENTIAL);
    assert_string_equal(g.a[0].key, "repeated_denials_credential:credential:31");
    DENY(T0 + 7230 * S, 2, 31, REASON_OUTSIDE_SCHEDULE);
    assert_int_equal(g.n, 1);
    /* 10 different unknown cards at one door within a minute */
    for (int i = 0; i < 10; i++)
        DENY(T0 + 10000 * S + i * S, 7, 0, REASON_UNKNOWN_CREDENTIAL);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.a[1].type, RULE_DENIALS_DOOR);
    assert_string_equal(g.a[1].key, "repeated_denials_door:door:7");
    rules_engine_free(e);
}

static void test_doors_and_passback(void **state)
{
    struct rules_config c;
    struct rules_engine *e;
    struct got g = {.n = 0};
    (void)state;
    rules_config_init(&c);
    c.disabled[RULE_DOOR_HELD] = true;
    e = engine(&c);
    note(e, &g, EV_DOOR_FORCED, 3, NULL);
    note(e, &g, EV_DOOR_HELD, 3, NULL); /* turned off */
    note(e, &g, EV_DOOR_TAMPER, 4, NULL);
    note(e, &g, EV_DOOR_REX, 3, NULL);
    note(e, &g, EV_DOOR_STATE, 3, NULL);
    DENY(T0, 5, 40, REASON_ANTIPASSBACK);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.a[0].type, RULE_DOOR_FORCED);
    assert_string_equal(g.a[0].key, "door_forced:door:3");
    assert_int_equal(g.a[0].offset, offset - 5);
    assert_int_equal(g.a[1].type, RULE_TAMPER);
    assert_int_equal(g.a[2].type, RULE_ANTIPASSBACK);
    assert_int_equal(g.a[2].credential_id, 40);
    rules_engine_free(e);
}

static void test_a_normal_day_is_silent(void **state)
{
    struct rules_engine *e = engine(NULL);
    struct got g = {.n = 0};
    (void)state;
    /* 2,000 people: in at the main door around 8, to their office door minutes later, a
     * lunch trip, out around 17; a few denials (a forgotten level) spread out */
    for (int64_t p = 1; p <= 2000; p++) {
        int64_t t = T0 + (p % 60) * 60 * S;
        GRANT(t, 1, p + 100);
        GRANT(t + 180 * S, 2 + p % 7, p + 100);
        GRANT(t + 4 * 3600 * S, 1, p + 100);
        GRANT(t + 5 * 3600 * S, 1, p + 100);
        GRANT(t + 5 * 3600 * S + 240 * S, 2 + p % 7, p + 100);
        if (p % 50 == 0)
            DENY(t + 6 * 3600 * S, 9, p + 100, REASON_NO_ACCESS_LEVEL);
        GRANT(t + 9 * 3600 * S, 1, p + 100);
    }
    for (int i = 0; i < g.n && i < MAX; i++)
        print_message("unexpected: %s: %s\n", g.a[i].key, g.a[i].detail);
    assert_int_equal(g.n, 0);
    rules_engine_free(e);
}

static void test_memory_is_bounded(void **state)
{
    struct rules_engine *e = engine_site_walk();
    struct got g = {.n = 0};
    (void)state;
    /* four times more cards than the table holds: old ones are forgotten, nothing breaks,
     * and a card seen just now is still remembered */
    for (int64_t c = 1; c <= 4 * RULES_TABLE_SLOTS; c++)
        GRANT(T0 + c, 1, c + 1000);
    GRANT(T0 + 4 * RULES_TABLE_SLOTS + 5, 3, 4 * RULES_TABLE_SLOTS + 1000);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].type, RULE_BADGE_CLONING);
    rules_engine_free(e);
}

static void test_after_hours(void **state)
{
    struct rules_engine *e = engine(NULL);
    struct got g = {.n = 0};
    const int64_t monday = T0 - INT64_C(38200) * S; /* 2026-11-30 00:00 UTC, a Monday */
    (void)state;
    /* four weeks of weekdays, in around 8 and out around 17: 40 grants */
    for (int d = 0; d < 28; d++) {
        int64_t day = monday + (int64_t)d * 86400 * S;
        if (d % 7 >= 5)
            continue;
        GRANT(day + 8 * 3600 * S + d * 60 * S, 1, 90);
        GRANT(day + 17 * 3600 * S + d * 60 * S, 1, 90);
    }
    /* someone new at 03:00: too little history to say anything */
    GRANT(monday + 3 * 3600 * S, 1, 91);
    assert_int_equal(g.n, 0);
    /* the usual hours (and the hour next to them) stay silent */
    GRANT(monday + 29 * 86400 * S + 9 * 3600 * S, 1, 90);
    GRANT(monday + 29 * 86400 * S + 16 * 3600 * S, 1, 90);
    assert_int_equal(g.n, 0);
    /* 03:00 on a weekday, 14:00 on a Saturday */
    GRANT(monday + 30 * 86400 * S + 3 * 3600 * S, 1, 90);
    GRANT(monday + 33 * 86400 * S + 14 * 3600 * S, 1, 90);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.a[0].type, RULE_AFTER_HOURS);
    assert_string_equal(g.a[0].key, "after_hours:person:90");
    assert_non_null(strstr(g.a[0].detail, "on a Wednesday at 03:xx"));
    assert_non_null(strstr(g.a[1].detail, "on a Saturday at 14:xx"));
    /* a denial is not access: silent */
    DENY(monday + 30 * 86400 * S + 2 * 3600 * S, 1, 90, REASON_OUTSIDE_SCHEDULE);
    assert_int_equal(g.n, 2);
    rules_engine_free(e);
}

static void test_tailgating(void **state)
{
    struct rules_engine *e = engine(NULL);
    struct got g = {.n = 0};
    (void)state;
    /* one grant, one opening: fine */
    GRANT(T0, 6, 50);
    note(e, &g, EV_DOOR_STATE, 6, "unlocked");
    note(e, &g, EV_DOOR_STATE, 6, "opened");
    note(e, &g, EV_DOOR_STATE, 6, "closed");
    note(e, &g, EV_DOOR_STATE, 6, "locked");
    /* a door unlocked by its schedule: openings without grants are its purpose */
    note(e, &g, EV_DOOR_STATE, 7, "unlocked");
    for (int i = 0; i < 5; i++) {
        note(e, &g, EV_DOOR_STATE, 7, "opened");
        note(e, &g, EV_DOOR_STATE, 7, "closed");
    }
    /* an exit request, then the opening */
    note(e, &g, EV_DOOR_REX, 6, NULL);
    note(e, &g, EV_DOOR_STATE, 6, "opened");
    note(e, &g, EV_DOOR_STATE, 6, "closed");
    note(e, &g, EV_DOOR_STATE, 6, "locked");
    assert_int_equal(g.n, 0);
    /* one grant, the door opened twice before it locked: said once */
    GRANT(T0 + 60 * S, 6, 50);
    note(e, &g, EV_DOOR_STATE, 6, "unlocked");
    note(e, &g, EV_DOOR_STATE, 6, "opened");
    note(e, &g, EV_DOOR_STATE, 6, "closed");
    note(e, &g, EV_DOOR_STATE, 6, "opened");
    note(e, &g, EV_DOOR_STATE, 6, "closed");
    note(e, &g, EV_DOOR_STATE, 6, "opened");
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].type, RULE_TAILGATING);
    assert_string_equal(g.a[0].key, "tailgating:door:6");
    assert_non_null(strstr(g.a[0].detail, "opened 2 times for 1 grant"));
    /* locked again: the next grant starts afresh */
    note(e, &g, EV_DOOR_STATE, 6, "locked");
    GRANT(T0 + 120 * S, 6, 51);
    note(e, &g, EV_DOOR_STATE, 6, "opened");
    assert_int_equal(g.n, 1);
    rules_engine_free(e);
}

/* Devices: a late heartbeat is missed once, a long silence is offline once, and a new
 * heartbeat starts afresh; access reviews left open too long are stale, once each. */
static void test_clock_detectors(void **state)
{
    struct rules_engine *e = engine(NULL);
    struct got g = {.n = 0};
    (void)state;
    rules_device_seen(e, 3, T0, 30);
    rules_device_seen(e, 4, T0, 30);
    rules_tick(e, T0 + 34 * S, collect, &g); /* within period + grace */
    assert_int_equal(g.n, 0);
    rules_device_seen(e, 4, T0 + 30 * S, 30); /* 4 beats on time */
    rules_tick(e, T0 + 36 * S, collect, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].type, RULE_HEARTBEAT_MISSED);
    assert_int_equal(g.a[0].device_id, 3);
    assert_string_equal(g.a[0].key, "missed_heartbeat:controller:3");
    rules_tick(e, T0 + 60 * S, collect, &g); /* said once */
    assert_int_equal(g.n, 1);
    rules_device_seen(e, 4, T0 + 60 * S, 30);
    rules_tick(e, T0 + 90 * S, collect, &g); /* offline: more than 90 s and 3 periods */
    assert_int_equal(g.n, 1);
    rules_tick(e, T0 + 91 * S, collect, &g);
    rules_tick(e, T0 + 95 * S, collect, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.a[1].type, RULE_DEVICE_OFFLINE);
    assert_string_equal(g.a[1].key, "device_offline:controller:3");
    assert_non_null(strstr(g.a[1].detail, "offline"));
    rules_device_seen(e, 3, T0 + 96 * S, 30); /* back */
    rules_device_seen(e, 4, T0 + 90 * S, 30);
    rules_tick(e, T0 + 100 * S, collect, &g);
    assert_int_equal(g.n, 2);
    rules_tick(e, T0 + 200 * S, collect, &g); /* both silent again: missed, then offline */
    assert_int_equal(g.n, 4);
    rules_engine_free(e);

    e = engine(NULL);
    g.n = 0;
    rules_reviews_begin(e);
    rules_review_open(e, 1, 40, T0);
    rules_review_open(e, 2, 41, T0 + 5 * 86400 * S);
    rules_tick(e, T0 + 29 * 86400 * S, collect, &g);
    assert_int_equal(g.n, 0);
    rules_tick(e, T0 + 30 * 86400 * S, collect, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].type, RULE_STALE_ACCESS);
    assert_int_equal(g.a[0].person_id, 40);
    assert_string_equal(g.a[0].key, "stale_access:person:40");
    rules_reviews_begin(e); /* review 2 was closed: not named again */
    rules_review_open(e, 1, 40, T0);
    rules_tick(e, T0 + 40 * 86400 * S, collect, &g);
    assert_int_equal(g.n, 1);
    rules_engine_free(e);
}

/* A detector with a scope looks only at its doors and its sites' doors. */
static void test_scope(void **state)
{
    struct rules_config c;
    struct rules_engine *e;
    struct got g = {.n = 0};
    (void)state;
    rules_config_init(&c);
    c.scope[RULE_DOOR_FORCED].sites[0] = 2; /* doors 10-19 */
    c.scope[RULE_DOOR_FORCED].n_sites = 1;
    c.scope[RULE_DOOR_FORCED].doors[0] = 3;
    c.scope[RULE_DOOR_FORCED].n_doors = 1;
    e = engine(&c);
    note(e, &g, EV_DOOR_FORCED, 1, NULL); /* site 1, not door 3: out of scope */
    assert_int_equal(g.n, 0);
    note(e, &g, EV_DOOR_FORCED, 3, NULL);
    note(e, &g, EV_DOOR_FORCED, 12, NULL);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.a[0].door_id, 3);
    assert_int_equal(g.a[1].door_id, 12);
    note(e, &g, EV_DOOR_HELD, 1, NULL); /* the others look everywhere */
    assert_int_equal(g.n, 3);
    rules_engine_free(e);
}

static void test_names_and_config(void **state)
{
    struct rules_config c;
    struct rules_engine *e = NULL;
    struct gh_err err = {{0}};
    enum rules_type t;
    (void)state;
    for (int i = 0; i < RULE_COUNT; i++) {
        assert_int_equal(rules_type_parse(rules_type_name((enum rules_type)i), &t), 0);
        assert_int_equal(t, i);
    }
    assert_int_equal(rules_type_parse("sorcery", &t), -EINVAL);
    rules_config_init(&c);
    c.denials_door_n = 1;
    assert_int_equal(rules_engine_new(&c, &world, &e, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "n must be from 2 to 64"));
    assert_null(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_impossible_travel),
        cmocka_unit_test(test_walking_table),
        cmocka_unit_test(test_door_positions),
        cmocka_unit_test(test_clock_detectors),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_credential_misuse),
        cmocka_unit_test(test_repeated_denials),
        cmocka_unit_test(test_doors_and_passback),
        cmocka_unit_test(test_a_normal_day_is_silent),
        cmocka_unit_test(test_memory_is_bounded),
        cmocka_unit_test(test_after_hours),
        cmocka_unit_test(test_tailgating),
        cmocka_unit_test(test_names_and_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
