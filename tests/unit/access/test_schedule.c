/*
 * test_schedule.c: unit tests for sched_eval() (src/access/schedule.c).
 *
 * Times are given as weekday (0 = Monday .. 6 = Sunday) and hh:mm of local wall-clock time;
 * intervals as day bits and start/end minutes, exactly as struct sched_interval stores them.
 * Covers weekday and weekend intervals, the holiday bit, holidays that block an ordinary
 * interval (SCHED_HOLIDAY), intervals that cross midnight and their continuation into the
 * next day (also from a holiday), the whole day 00:00-24:00, start-inclusive and
 * end-exclusive boundaries, and empty or malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "access/access.h"

enum { MON = 0, TUE, WED, THU, FRI, SAT, SUN };

#define DAY(d)   (1u << (d))
#define HM(h, m) ((h)*60 + (m))
#define WEEKDAYS (DAY(MON) | DAY(TUE) | DAY(WED) | DAY(THU) | DAY(FRI))
#define WEEKEND  (DAY(SAT) | DAY(SUN))

static struct sched_interval iv_make(unsigned days, unsigned start, unsigned end)
{
    struct sched_interval iv = {(uint8_t)days, (uint16_t)start, (uint16_t)end};
    return iv;
}

static struct gh_local at(unsigned weekday, unsigned h, unsigned m)
{
    struct gh_local loc = {0};
    loc.weekday = weekday;
    loc.minute = h * 60 + m;
    loc.second = loc.minute * 60;
    return loc;
}

/* Evaluates with no holidays. */
static enum sched_result eval(const struct sched_interval *iv, int n, unsigned wd, unsigned h,
                              unsigned m)
{
    struct gh_local loc = at(wd, h, m);
    return sched_eval(iv, n, &loc, false, false, NULL);
}

static enum sched_result eval_hol(const struct sched_interval *iv, int n, unsigned wd, unsigned h,
                                  unsigned m, bool today_hol, bool yday_hol, int *which)
{
    struct gh_local loc = at(wd, h, m);
    return sched_eval(iv, n, &loc, today_hol, yday_hol, which);
}

static void test_weekday_interval(void **state)
{
    struct sched_interval iv[] = {iv_make(WEEKDAYS, HM(8, 0), HM(18, 0))};
    (void)state;
    assert_int_equal(eval(iv, 1, MON, 8, 0), SCHED_ACTIVE); /* start inclusive */
    assert_int_equal(eval(iv, 1, MON, 12, 30), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, FRI, 17, 59), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, FRI, 18, 0), SCHED_INACTIVE); /* end exclusive */
    assert_int_equal(eval(iv, 1, WED, 7, 59), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, WED, 0, 0), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, WED, 23, 59), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, SAT, 12, 0), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, SUN, 12, 0), SCHED_INACTIVE);
}

static void test_single_days(void **state)
{
    (void)state;
    for (unsigned d = MON; d <= SUN; d++) {
        struct sched_interval iv[] = {iv_make(DAY(d), HM(9, 0), HM(10, 0))};
        for (unsigned e = MON; e <= SUN; e++)
            assert_int_equal(eval(iv, 1, e, 9, 30), e == d ? SCHED_ACTIVE : SCHED_INACTIVE);
    }
}

static void test_weekend_interval(void **state)
{
    struct sched_interval iv[] = {iv_make(WEEKEND, HM(10, 0), HM(14, 0))};
    (void)state;
    assert_int_equal(eval(iv, 1, SAT, 10, 0), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, SUN, 13, 59), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, SUN, 14, 0), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, FRI, 12, 0), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, MON, 12, 0), SCHED_INACTIVE);
}

static void test_holiday_bit(void **state)
{
    struct sched_interval iv[] = {iv_make(SCHED_DAY_HOLIDAY, HM(9, 0), HM(12, 0))};
    int which = 99;
    (void)state;
    /* a holiday-only interval applies on a holiday, whatever the weekday */
    assert_int_equal(eval_hol(iv, 1, WED, 10, 0, true, false, &which), SCHED_ACTIVE);
    assert_int_equal(which, 0);
    assert_int_equal(eval_hol(iv, 1, SUN, 9, 0, true, false, NULL), SCHED_ACTIVE);
    assert_int_equal(eval_hol(iv, 1, WED, 12, 0, true, false, NULL), SCHED_INACTIVE);
    /* and never on an ordinary day */
    for (unsigned d = MON; d <= SUN; d++)
        assert_int_equal(eval(iv, 1, d, 10, 0), SCHED_INACTIVE);
    /* yesterday's holiday does not make today one */
    assert_int_equal(eval_hol(iv, 1, WED, 10, 0, false, true, NULL), SCHED_INACTIVE);
}

static void test_holiday_blocks_weekday(void **state)
{
    struct sched_interval iv[] = {iv_make(WEEKDAYS, HM(8, 0), HM(18, 0))};
    int which = 99;
    (void)state;
    assert_int_equal(eval_hol(iv, 1, WED, 10, 0, true, false, &which), SCHED_HOLIDAY);
    assert_int_equal(which, -1);
    /* outside the interval's hours the holiday changes nothing: plain inactive */
    assert_int_equal(eval_hol(iv, 1, WED, 20, 0, true, false, NULL), SCHED_INACTIVE);
    /* a holiday on a day the interval does not cover either */
    assert_int_equal(eval_hol(iv, 1, SAT, 10, 0, true, false, NULL), SCHED_INACTIVE);
    /* yesterday's holiday does not block today's interval */
    assert_int_equal(eval_hol(iv, 1, WED, 10, 0, false, true, NULL), SCHED_ACTIVE);
}

static void test_holiday_with_holiday_interval(void **state)
{
    struct sched_interval iv[] = {
        iv_make(WEEKDAYS, HM(8, 0), HM(18, 0)),
        iv_make(SCHED_DAY_HOLIDAY, HM(10, 0), HM(14, 0)),
    };
    int which = 99;
    (void)state;
    /* the holiday interval applies instead: active, and it says which */
    assert_int_equal(eval_hol(iv, 2, WED, 11, 0, true, false, &which), SCHED_ACTIVE);
    assert_int_equal(which, 1);
    /* outside the holiday hours but inside the weekday ones: the holiday stopped it */
    assert_int_equal(eval_hol(iv, 2, WED, 9, 0, true, false, &which), SCHED_HOLIDAY);
    assert_int_equal(which, -1);
    /* ordinary Wednesday: the weekday interval */
    assert_int_equal(eval_hol(iv, 2, WED, 11, 0, false, false, &which), SCHED_ACTIVE);
    assert_int_equal(which, 0);
}

static void test_weekday_and_holiday_bits(void **state)
{
    struct sched_interval iv[] = {iv_make(WEEKDAYS | SCHED_DAY_HOLIDAY, HM(8, 0), HM(18, 0))};
    (void)state;
    assert_int_equal(eval_hol(iv, 1, WED, 10, 0, true, false, NULL), SCHED_ACTIVE);
    assert_int_equal(eval_hol(iv, 1, SAT, 10, 0, true, false, NULL), SCHED_ACTIVE);
    assert_int_equal(eval_hol(iv, 1, SAT, 10, 0, false, false, NULL), SCHED_INACTIVE);
}

static void test_midnight_crossing(void **state)
{
    /* a Friday night shift, 22:00-06:00: a Friday interval */
    struct sched_interval iv[] = {iv_make(DAY(FRI), HM(22, 0), HM(6, 0))};
    int which = 99;
    (void)state;
    assert_int_equal(eval_hol(iv, 1, SAT, 3, 0, false, false, &which), SCHED_ACTIVE);
    assert_int_equal(which, 0);
    assert_int_equal(eval(iv, 1, SAT, 7, 0), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, FRI, 21, 59), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, FRI, 22, 0), SCHED_ACTIVE); /* start inclusive */
    assert_int_equal(eval(iv, 1, FRI, 23, 59), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, SAT, 0, 0), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, SAT, 5, 59), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, SAT, 6, 0), SCHED_INACTIVE);  /* end exclusive */
    assert_int_equal(eval(iv, 1, SAT, 22, 0), SCHED_INACTIVE); /* not a Saturday interval */
    /* Friday early morning would be Thursday's continuation: not set */
    assert_int_equal(eval(iv, 1, FRI, 3, 0), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, THU, 23, 0), SCHED_INACTIVE);
}

static void test_midnight_crossing_week_wrap(void **state)
{
    struct sched_interval sun[] = {iv_make(DAY(SUN), HM(22, 0), HM(6, 0))};
    struct sched_interval daily[] = {iv_make(SCHED_DAYS_ALL, HM(22, 0), HM(6, 0))};
    (void)state;
    /* Sunday night runs into Monday morning */
    assert_int_equal(eval(sun, 1, MON, 2, 0), SCHED_ACTIVE);
    assert_int_equal(eval(sun, 1, SUN, 2, 0), SCHED_INACTIVE);
    assert_int_equal(eval(sun, 1, SUN, 23, 0), SCHED_ACTIVE);
    for (unsigned d = MON; d <= SUN; d++) {
        assert_int_equal(eval(daily, 1, d, 2, 0), SCHED_ACTIVE);
        assert_int_equal(eval(daily, 1, d, 23, 0), SCHED_ACTIVE);
        assert_int_equal(eval(daily, 1, d, 12, 0), SCHED_INACTIVE);
    }
}

static void test_midnight_crossing_and_holidays(void **state)
{
    struct sched_interval fri[] = {iv_make(DAY(FRI), HM(22, 0), HM(6, 0))};
    struct sched_interval hol[] = {iv_make(SCHED_DAY_HOLIDAY, HM(22, 0), HM(6, 0))};
    int which = 99;
    (void)state;
    /* Friday was a holiday: its night shift does not run on into Saturday */
    assert_int_equal(eval_hol(fri, 1, SAT, 3, 0, false, true, &which), SCHED_HOLIDAY);
    assert_int_equal(which, -1);
    assert_int_equal(eval_hol(fri, 1, SAT, 7, 0, false, true, NULL), SCHED_INACTIVE);
    /* Friday evening of that holiday: blocked too */
    assert_int_equal(eval_hol(fri, 1, FRI, 23, 0, true, false, NULL), SCHED_HOLIDAY);
    /* Saturday being a holiday does not matter: the continuation belongs to Friday */
    assert_int_equal(eval_hol(fri, 1, SAT, 3, 0, true, false, NULL), SCHED_ACTIVE);

    /* a holiday night shift: runs from the holiday into the next (ordinary) morning */
    assert_int_equal(eval_hol(hol, 1, WED, 23, 0, true, false, NULL), SCHED_ACTIVE);
    assert_int_equal(eval_hol(hol, 1, THU, 3, 0, false, true, &which), SCHED_ACTIVE);
    assert_int_equal(which, 0);
    assert_int_equal(eval_hol(hol, 1, THU, 6, 0, false, true, NULL), SCHED_INACTIVE);
    assert_int_equal(eval_hol(hol, 1, THU, 3, 0, false, false, NULL), SCHED_INACTIVE);
    assert_int_equal(eval_hol(hol, 1, THU, 3, 0, true, false, NULL), SCHED_INACTIVE);
}

static void test_whole_day(void **state)
{
    struct sched_interval iv[] = {iv_make(DAY(MON), 0, 1440)};
    (void)state;
    assert_int_equal(eval(iv, 1, MON, 0, 0), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, MON, 12, 0), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, MON, 23, 59), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, TUE, 0, 0), SCHED_INACTIVE); /* does not spill over */
    assert_int_equal(eval(iv, 1, SUN, 23, 59), SCHED_INACTIVE);
    /* and a whole-day interval is not a midnight-crossing one */
    assert_int_equal(eval_hol(iv, 1, TUE, 0, 0, false, false, NULL), SCHED_INACTIVE);
}

static void test_until_end_of_day(void **state)
{
    struct sched_interval iv[] = {iv_make(DAY(TUE), HM(20, 0), 1440)};
    (void)state;
    assert_int_equal(eval(iv, 1, TUE, 23, 59), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, TUE, 19, 59), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, WED, 0, 0), SCHED_INACTIVE);
}

/* end == start crosses midnight (model.h): 24 hours from its start. */
static void test_start_equals_end(void **state)
{
    struct sched_interval iv[] = {iv_make(DAY(MON), HM(8, 0), HM(8, 0))};
    (void)state;
    assert_int_equal(eval(iv, 1, MON, 7, 59), SCHED_INACTIVE);
    assert_int_equal(eval(iv, 1, MON, 8, 0), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, TUE, 7, 59), SCHED_ACTIVE);
    assert_int_equal(eval(iv, 1, TUE, 8, 0), SCHED_INACTIVE);
}

static void test_first_match_wins(void **state)
{
    struct sched_interval iv[] = {
        iv_make(DAY(SAT), HM(8, 0), HM(9, 0)),
        iv_make(WEEKDAYS, HM(8, 0), HM(12, 0)),
        iv_make(WEEKDAYS, HM(11, 0), HM(18, 0)),
    };
    int which = 99;
    (void)state;
    assert_int_equal(eval_hol(iv, 3, TUE, 11, 30, false, false, &which), SCHED_ACTIVE);
    assert_int_equal(which, 1);
    assert_int_equal(eval_hol(iv, 3, TUE, 12, 0, false, false, &which), SCHED_ACTIVE);
    assert_int_equal(which, 2);
    assert_int_equal(eval_hol(iv, 3, SAT, 8, 0, false, false, &which), SCHED_ACTIVE);
    assert_int_equal(which, 0);
    assert_int_equal(eval_hol(iv, 3, SAT, 10, 0, false, false, &which), SCHED_INACTIVE);
    assert_int_equal(which, -1);
}

static void test_empty_and_malformed(void **state)
{
    struct sched_interval iv[] = {iv_make(SCHED_DAYS_ALL | SCHED_DAY_HOLIDAY, 0, 1440)};
    struct gh_local loc = at(MON, 12, 0);
    int which = 99;
    (void)state;
    assert_int_equal(sched_eval(iv, 0, &loc, false, false, &which), SCHED_INACTIVE);
    assert_int_equal(which, -1);
    assert_int_equal(sched_eval(NULL, 0, &loc, true, true, NULL), SCHED_INACTIVE);
    assert_int_equal(sched_eval(NULL, 3, &loc, false, false, NULL), SCHED_INACTIVE);
    assert_int_equal(sched_eval(iv, -1, &loc, false, false, NULL), SCHED_INACTIVE);
    assert_int_equal(sched_eval(iv, 1, NULL, false, false, NULL), SCHED_INACTIVE);
    assert_int_equal(sched_eval(iv, 1, &loc, false, false, NULL), SCHED_ACTIVE);
    loc.weekday = 7; /* not a weekday: fail closed */
    assert_int_equal(sched_eval(iv, 1, &loc, false, false, NULL), SCHED_INACTIVE);
    loc.weekday = 1000;
    assert_int_equal(sched_eval(iv, 1, &loc, false, false, NULL), SCHED_INACTIVE);
    /* an interval with no day bits never applies */
    iv[0].days = 0;
    loc.weekday = MON;
    assert_int_equal(sched_eval(iv, 1, &loc, true, true, NULL), SCHED_INACTIVE);
}

/* Against a slow, obviously-right model: expand each interval into the minutes of the week
 * (plus a holiday-labelled copy) and compare at every minute of a week for every holiday
 * combination. */
static bool slow_active(const struct sched_interval *iv, int n, unsigned wd, unsigned minute,
                        bool today_hol, bool yday_hol)
{
    unsigned yd = (wd + 6) % 7;
    for (int i = 0; i < n; i++) {
        unsigned start = iv[i].start_min, end = iv[i].end_min;
        unsigned len = end > start ? end - start : 1440 - start + end;
        unsigned tbit = today_hol ? SCHED_DAY_HOLIDAY : DAY(wd);
        unsigned ybit = yday_hol ? SCHED_DAY_HOLIDAY : DAY(yd);
        /* minute measured from the start of yesterday and of today */
        if ((iv[i].days & tbit) && minute >= start && minute < start + len)
            return true;
        if ((iv[i].days & ybit) && 1440 + minute >= start && 1440 + minute < start + len)
            return true;
    }
    return false;
}

static void test_against_slow_model(void **state)
{
    struct sched_interval iv[] = {
        iv_make(DAY(MON) | DAY(WED), HM(7, 30), HM(9, 15)),
        iv_make(DAY(FRI) | SCHED_DAY_HOLIDAY, HM(23, 0), HM(1, 0)),
        iv_make(DAY(SUN), HM(18, 0), HM(18, 0)),
        iv_make(DAY(TUE), 0, 1440),
    };
    (void)state;
    for (unsigned wd = MON; wd <= SUN; wd++) {
        for (unsigned m = 0; m < 1440; m++) {
            for (unsigned h = 0; h < 4; h++) {
                bool th = h & 1, yh = h & 2;
                struct gh_local loc = at(wd, 0, m);
                enum sched_result r = sched_eval(iv, 4, &loc, th, yh, NULL);
                bool want = slow_active(iv, 4, wd, m, th, yh);
                bool plain = slow_active(iv, 4, wd, m, false, false);
                if ((r == SCHED_ACTIVE) != want)
                    fail_msg("day %u minute %u holidays %u: got %d", wd, m, h, (int)r);
                if (!want)
                    assert_int_equal(r, plain && (th || yh) ? SCHED_HOLIDAY : SCHED_INACTIVE);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekday_interval),
        cmocka_unit_test(test_single_days),
        cmocka_unit_test(test_weekend_interval),
        cmocka_unit_test(test_holiday_bit),
        cmocka_unit_test(test_holiday_blocks_weekday),
        cmocka_unit_test(test_holiday_with_holiday_interval),
        cmocka_unit_test(test_weekday_and_holiday_bits),
        cmocka_unit_test(test_midnight_crossing),
        cmocka_unit_test(test_midnight_crossing_week_wrap),
        cmocka_unit_test(test_midnight_crossing_and_holidays),
        cmocka_unit_test(test_whole_day),
        cmocka_unit_test(test_until_end_of_day),
        cmocka_unit_test(test_start_equals_end),
        cmocka_unit_test(test_first_match_wins),
        cmocka_unit_test(test_empty_and_malformed),
        cmocka_unit_test(test_against_slow_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
