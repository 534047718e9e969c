/*
 * test_door.c: the door state machine, scenario by scenario: grant and relock (by time and
 * on close), forced opening, held-open warning and alarm, request-to-exit (also in
 * lockdown: free egress without unlocking), lockdown and release, momentary unlock, fail-safe
 * and fail-secure faults, and the deadlines the event loop waits for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "edge/edge.h"

#define MAX_NOTES 32

struct log {
    struct door_note v[MAX_NOTES];
    int n;
};

static void record(void *ctx, const struct door_note *note)
{
    struct log *l = ctx;
    assert_true(l->n < MAX_NOTES);
    l->v[l->n++] = *note;
}

/* The notes since the last call, as "kind@ms kind@ms ..." (then forgotten). */
static const char *take(struct log *l)
{
    static char buf[512];
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s@%lld", i ? " " : "",
                                door_note_name(l->v[i].kind), (long long)l->v[i].at_ms);
    l->n = 0;
    return buf;
}

static const struct door_config CFG = {.door_id = 7,
                                       .unlock_ms = 5000,
                                       .held_open_ms = 30000,
                                       .held_warn_ms = 10000,
                                       .fail_safe = false};

static void setup_door(struct door_sm *d, struct log *l, const struct door_config *cfg)
{
    memset(l, 0, sizeof(*l));
    door_init(d, cfg, record, l);
    assert_int_equal(d->output, DOOR_LOCKED);
    assert_int_equal(door_next_deadline(d), INT64_MAX);
}

static void test_grant_unlocks_then_relocks_in_time(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    assert_int_equal(door_grant(&d, 1000), 0);
    assert_string_equal(take(&l), "unlocked@1000");
    assert_int_equal(door_next_deadline(&d), 6000);
    door_tick(&d, 5999);
    assert_int_equal(d.output, DOOR_UNLOCKED);
    door_tick(&d, 6000);
    assert_string_equal(take(&l), "locked@6000");
    assert_int_equal(door_next_deadline(&d), INT64_MAX);
    /* the window has ended: opening now is forcing the door */
    door_contact(&d, true, 7000);
    assert_string_equal(take(&l), "forced@7000");
}

static void test_authorized_opening_relocks_on_close(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    door_grant(&d, 0);
    door_contact(&d, true, 1200);
    door_contact(&d, false, 3000);
    assert_string_equal(take(&l), "unlocked@0 opened@1200 closed@3000 locked@3000");
    /* one grant, one opening: opening again in what was the window is forced */
    door_contact(&d, true, 4000);
    assert_string_equal(take(&l), "forced@4000");
    door_contact(&d, false, 4500);
    assert_string_equal(take(&l), "closed@4500 secure@4500");
    door_contact(&d, false, 4600); /* a repeated state changes nothing */
    assert_string_equal(take(&l), "");
}

static void test_held_open_warning_then_alarm(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    door_grant(&d, 0);
    door_contact(&d, true, 1000);
    assert_int_equal(door_next_deadline(&d), 5000); /* the unlock window ends first */
    door_tick(&d, 5000);
    assert_string_equal(take(&l), "unlocked@0 opened@1000 locked@5000");
    assert_int_equal(door_next_deadline(&d), 21000); /* warning: held 30 s - 10 s */
    door_tick(&d, 21000);
    assert_string_equal(take(&l), "held_warning@21000");
    assert_int_equal(door_next_deadline(&d), 31000);
    door_tick(&d, 30999);
    assert_string_equal(take(&l), "");
    door_tick(&d, 31000);
    assert_string_equal(take(&l), "held@31000");
    assert_int_equal(door_next_deadline(&d), INT64_MAX);
    door_tick(&d, 40000); /* an alarm is raised once */
    door_contact(&d, false, 45000);
    assert_string_equal(take(&l), "closed@45000 secure@45000");
}

static void test_late_tick_raises_both_in_order(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    door_rex(&d, 0);
    door_contact(&d, true, 100);
    take(&l);
    door_tick(&d, 60000); /* the loop was late: the alarm, without a stale warning */
    assert_string_equal(take(&l), "locked@60000 held@60000");
}

static void test_no_warning_when_not_configured(void **state)
{
    struct door_config cfg = CFG;
    struct door_sm d;
    struct log l;
    (void)state;
    cfg.held_warn_ms = 0;
    setup_door(&d, &l, &cfg);
    door_grant(&d, 0);
    door_contact(&d, true, 0);
    door_tick(&d, 5000);
    take(&l);
    assert_int_equal(door_next_deadline(&d), 30000);
    door_tick(&d, 30000);
    assert_string_equal(take(&l), "held@30000");
}

static void test_forced_opening_is_an_alarm(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    door_contact(&d, true, 500);
    assert_true(d.forced);
    assert_int_equal(door_next_deadline(&d), INT64_MAX); /* no held timer for a forced door */
    door_contact(&d, false, 900);
    assert_string_equal(take(&l), "forced@500 closed@900 secure@900");
    assert_false(d.forced);
}

static void test_rex_lets_one_person_out(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    door_rex(&d, 0);
    door_contact(&d, true, 800);
    door_contact(&d, false, 2000);
    assert_string_equal(take(&l), "rex@0 unlocked@0 opened@800 closed@2000 locked@2000");
}

static void test_lockdown_refuses_grants_but_not_egress(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    door_grant(&d, 0);
    door_lockdown(&d, true, 1000); /* ends the unlock window at once */
    assert_string_equal(take(&l), "unlocked@0 lockdown@1000 locked@1000");
    assert_int_equal(door_grant(&d, 1100), -EPERM);
    assert_int_equal(door_momentary(&d, 10000, 1100), -EPERM);
    assert_string_equal(take(&l), "");
    assert_int_equal(d.output, DOOR_LOCKED);
    /* free egress: the request-to-exit lets the door open without an alarm, the lock stays */
    door_rex(&d, 2000);
    assert_int_equal(d.output, DOOR_LOCKED);
    door_contact(&d, true, 2500);
    door_contact(&d, false, 4000);
    assert_string_equal(take(&l), "rex@2000 opened@2500 closed@4000");
    /* without one, opening is forced, lockdown or not */
    door_contact(&d, true, 9000);
    assert_string_equal(take(&l), "forced@9000");
    door_contact(&d, false, 9500);
    door_lockdown(&d, false, 10000);
    assert_string_equal(take(&l), "closed@9500 secure@9500 release@10000");
    assert_int_equal(d.output, DOOR_LOCKED); /* a release unlocks nothing by itself */
    assert_int_equal(door_grant(&d, 11000), 0);
    assert_string_equal(take(&l), "unlocked@11000");
}

static void test_momentary_unlock(void **state)
{
    struct door_sm d;
    struct log l;
    (void)state;
    setup_door(&d, &l, &CFG);
    assert_int_equal(door_momentary(&d, 0, 0), -EINVAL);
    assert_int_equal(door_momentary(&d, 3600001, 0), -EINVAL);
    assert_int_equal(door_momentary(&d, 60000, 0), 0);
    door_grant(&d, 1000); /* a shorter window inside does not shorten it */
    assert_int_equal(door_next_deadline(&d), 60000);
    door_tick(&d, 60000);
    assert_string_equal(take(&l), "unlocked@0 locked@60000");
}

static void test_fail_safe_and_fail_secure(void **state)
{
    struct door_config safe = CFG;
    struct door_sm d;
    struct log l;
    (void)state;
    safe.fail_safe = true;
    setup_door(&d, &l, &safe);
    door_fault(&d, true, 100);
    assert_int_equal(d.output, DOOR_UNLOCKED);
    door_contact(&d, true, 200); /* unlocked by its fail mode: not forced */
    door_contact(&d, false, 300);
    door_fault(&d, false, 400);
    assert_string_equal(take(&l),
                        "fault@100 unlocked@100 opened@200 closed@300 restored@400 locked@400");

    setup_door(&d, &l, &CFG); /* fail-secure: a fault keeps it locked, even in a window */
    door_grant(&d, 0);
    door_fault(&d, true, 100);
    assert_int_equal(d.output, DOOR_LOCKED);
    door_fault(&d, false, 200); /* the window is still on: unlocked again */
    assert_string_equal(take(&l), "unlocked@0 fault@100 locked@100 restored@200 unlocked@200");
    /* a lockdown during a fail-safe fault: the fault's fail mode wins (life safety) */
    setup_door(&d, &l, &safe);
    door_lockdown(&d, true, 0);
    door_fault(&d, true, 10);
    assert_int_equal(d.output, DOOR_UNLOCKED);
    door_fault(&d, false, 20);
    assert_int_equal(d.output, DOOR_LOCKED);
}

static void test_note_names(void **state)
{
    (void)state;
    for (int k = 0; k < DOOR_NOTE_COUNT; k++)
        assert_string_not_equal(door_note_name((enum door_note_kind)k), "?");
    assert_string_equal(door_note_name(DOOR_NOTE_COUNT), "?");
    assert_string_equal(door_note_name(DOOR_NOTE_HELD_WARNING), "held_warning");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grant_unlocks_then_relocks_in_time),
        cmocka_unit_test(test_authorized_opening_relocks_on_close),
        cmocka_unit_test(test_held_open_warning_then_alarm),
        cmocka_unit_test(test_late_tick_raises_both_in_order),
        cmocka_unit_test(test_no_warning_when_not_configured),
        cmocka_unit_test(test_forced_opening_is_an_alarm),
        cmocka_unit_test(test_rex_lets_one_person_out),
        cmocka_unit_test(test_lockdown_refuses_grants_but_not_egress),
        cmocka_unit_test(test_momentary_unlock),
        cmocka_unit_test(test_fail_safe_and_fail_secure),
        cmocka_unit_test(test_note_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
