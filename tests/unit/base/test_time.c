/*
 * test_time.c: clocks, civil dates, ISO-8601 formatting and parsing, durations
 * (src/base/time.c), including local times read in a zone through tz_load().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base.h"

#define US GH_USEC_PER_SEC

static int64_t utc(int64_t y, unsigned mo, unsigned d, int h, int mi, int s)
{
    return gh_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("GATEHOUSE_ZONEINFO");
    return 0;
}

/* ---- civil dates -------------------------------------------------------------------- */

static void test_civil_known_days(void **state)
{
    (void)state;
    assert_int_equal(gh_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(gh_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(gh_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(gh_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(gh_days_from_civil(0, 3, 1), -719468);
    /* 1900 is not a leap year, 2000 is, 2024 is, 2100 is not */
    assert_int_equal(gh_days_from_civil(1900, 3, 1) - gh_days_from_civil(1900, 2, 28), 1);
    assert_int_equal(gh_days_from_civil(2000, 3, 1) - gh_days_from_civil(2000, 2, 28), 2);
    assert_int_equal(gh_days_from_civil(2024, 3, 1) - gh_days_from_civil(2024, 2, 28), 2);
    assert_int_equal(gh_days_from_civil(2100, 3, 1) - gh_days_from_civil(2100, 2, 28), 1);
    assert_int_equal(gh_days_from_civil(2001, 1, 1) - gh_days_from_civil(2000, 1, 1), 366);
    assert_int_equal(gh_days_from_civil(1901, 1, 1) - gh_days_from_civil(1900, 1, 1), 365);
}

static void test_civil_round_trip(void **state)
{
    int64_t py;
    unsigned pm, pd;
    (void)state;

    /* every day from about 400 BC to 4400 AD: the round trip holds and dates advance by
     * exactly one day at a time */
    gh_civil_from_days(-870000 - 1, &py, &pm, &pd);
    for (int64_t days = -870000; days <= 900000; days++) {
        int64_t y;
        unsigned m, d;
        gh_civil_from_days(days, &y, &m, &d);
        assert_int_equal(gh_days_from_civil(y, m, d), days);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        if (d == 1) {
            assert_true((m == 1 && pm == 12 && y == py + 1) || (m == pm + 1 && y == py));
        } else {
            assert_true(y == py && m == pm && d == pd + 1);
        }
        py = y;
        pm = m;
        pd = d;
    }
    {
        int64_t y;
        unsigned m, d;
        gh_civil_from_days(-1, &y, &m, &d);
        assert_true(y == 1969 && m == 12 && d == 31);
        gh_civil_from_days(gh_days_from_civil(2000, 2, 29), &y, &m, &d);
        assert_true(y == 2000 && m == 2 && d == 29);
        gh_civil_from_days(gh_days_from_civil(-1, 12, 31) + 1, &y, &m, &d);
        assert_true(y == 0 && m == 1 && d == 1);
    }
}

static void test_weekday(void **state)
{
    (void)state;
    assert_int_equal(gh_weekday_from_days(0), 3);  /* Thursday 1970-01-01 */
    assert_int_equal(gh_weekday_from_days(-1), 2); /* Wednesday */
    assert_int_equal(gh_weekday_from_days(-3), 0); /* Monday 1969-12-29 */
    assert_int_equal(gh_weekday_from_days(-7), 3);
    assert_int_equal(gh_weekday_from_days(-8), 2);
    assert_int_equal(gh_weekday_from_days(gh_days_from_civil(2026, 3, 8)), 6); /* Sunday */
    assert_int_equal(gh_weekday_from_days(gh_days_from_civil(2026, 3, 9)), 0); /* Monday */
    assert_int_equal(gh_weekday_from_days(gh_days_from_civil(2000, 2, 29)), 1);
    assert_int_equal(gh_weekday_from_days(gh_days_from_civil(1900, 1, 1)), 0);
    for (int64_t d = -1000; d < 1000; d++)
        assert_int_equal(gh_weekday_from_days(d + 1), (gh_weekday_from_days(d) + 1) % 7);
}

static void test_clocks(void **state)
{
    int64_t a = gh_monotonic_us(), b = gh_monotonic_us();
    (void)state;
    assert_true(b >= a);
    assert_true(gh_now_us() > utc(2024, 1, 1, 0, 0, 0) * US);
}

/* ---- formatting --------------------------------------------------------------------- */

static void check_iso(int64_t t_us, const char *want)
{
    char buf[GH_ISO_LEN];
    gh_format_iso(t_us, buf);
    assert_string_equal(buf, want);
}

static void test_format_iso(void **state)
{
    (void)state;
    check_iso(0, "1970-01-01T00:00:00.000000Z");
    check_iso(-1, "1969-12-31T23:59:59.999999Z");
    check_iso(-US, "1969-12-31T23:59:59.000000Z");
    check_iso(INT64_C(1772956500123456), "2026-03-08T07:55:00.123456Z");
    check_iso(utc(2000, 2, 29, 23, 59, 59) * US, "2000-02-29T23:59:59.000000Z");
    check_iso(utc(1900, 1, 1, 0, 0, 0) * US + 7, "1900-01-01T00:00:00.000007Z");
    check_iso(INT64_MAX, "294247-01-10T04:00:54.775807Z");
    check_iso(INT64_MIN, "-290308-12-21T19:59:05.224192Z");
}

/* ---- parsing ------------------------------------------------------------------------ */

static int64_t parse_ok(const char *s, const struct gh_tz *tz)
{
    int64_t v = 0;
    struct gh_err err = {{0}};
    int r = gh_parse_time(s, tz, &v, &err);
    if (r != 0)
        fail_msg("gh_parse_time(%s): %d %s", s, r, err.msg);
    return v;
}

static void test_parse_time_utc_and_offsets(void **state)
{
    int64_t base = utc(2026, 3, 8, 7, 55, 0) * US;
    (void)state;

    assert_int_equal(parse_ok("2026-03-08T07:55:00Z", NULL), base);
    assert_int_equal(parse_ok("2026-03-08T07:55Z", NULL), base);
    assert_int_equal(parse_ok("2026-03-08t07:55:00z", NULL), base);
    assert_int_equal(parse_ok("2026-03-08 07:55:00Z", NULL), base);
    assert_int_equal(parse_ok("2026-03-08T07:55:00", NULL), base);
    assert_int_equal(parse_ok("2026-03-08T09:55:00+02:00", NULL), base);
    assert_int_equal(parse_ok("2026-03-08T09:55:00+0200", NULL), base);
    assert_int_equal(parse_ok("2026-03-08T02:55:00-05:00", NULL), base);
    assert_int_equal(parse_ok("2026-03-08T13:25:00+05:30", NULL), base);
    assert_int_equal(parse_ok("2026-03-08T07:55:00+00:00", NULL), base);
    /* fractional seconds: up to microseconds, extra digits dropped */
    assert_int_equal(parse_ok("2026-03-08T07:55:00.5Z", NULL), base + 500000);
    assert_int_equal(parse_ok("2026-03-08T07:55:00.000001Z", NULL), base + 1);
    assert_int_equal(parse_ok("2026-03-08T07:55:00.123456789Z", NULL), base + 123456);
    assert_int_equal(parse_ok("2026-03-08T07:55:00,25Z", NULL), base + 250000);
    assert_int_equal(parse_ok("2026-03-08T09:55:00.75+02:00", NULL), base + 750000);
    /* a date alone is midnight */
    assert_int_equal(parse_ok("2026-03-08", NULL), utc(2026, 3, 8, 0, 0, 0) * US);
    assert_int_equal(parse_ok("1969-12-31T23:59:59Z", NULL), -US);
    /* a leap second is clamped to :59 */
    assert_int_equal(parse_ok("2016-12-31T23:59:60Z", NULL), utc(2016, 12, 31, 23, 59, 59) * US);
    /* leap days */
    assert_int_equal(parse_ok("2024-02-29T12:00Z", NULL), utc(2024, 2, 29, 12, 0, 0) * US);
    assert_int_equal(parse_ok("2000-02-29", NULL), utc(2000, 2, 29, 0, 0, 0) * US);
}

static void test_parse_time_in_zone(void **state)
{
    struct gh_tz *berlin = NULL, *ny = NULL;
    struct gh_err err = {{0}};
    (void)state;

    assert_int_equal(tz_load("Europe/Berlin", &berlin, &err), 0);
    assert_int_equal(tz_load("America/New_York", &ny, &err), 0);
    assert_int_equal(parse_ok("2026-07-01T12:00", berlin), utc(2026, 7, 1, 10, 0, 0) * US);
    assert_int_equal(parse_ok("2026-01-15T12:00:30.25", berlin),
                     utc(2026, 1, 15, 11, 0, 30) * US + 250000);
    assert_int_equal(parse_ok("2026-07-01", berlin), utc(2026, 6, 30, 22, 0, 0) * US);
    assert_int_equal(parse_ok("2026-07-01T12:00", ny), utc(2026, 7, 1, 16, 0, 0) * US);
    /* an explicit offset wins over the zone */
    assert_int_equal(parse_ok("2026-07-01T12:00Z", berlin), utc(2026, 7, 1, 12, 0, 0) * US);
    assert_int_equal(parse_ok("2026-07-01T12:00+01:00", ny), utc(2026, 7, 1, 11, 0, 0) * US);
    /* the spring-forward gap moves forward, the autumn overlap takes the earlier instant */
    assert_int_equal(parse_ok("2026-03-29T02:30", berlin), utc(2026, 3, 29, 1, 30, 0) * US);
    assert_int_equal(parse_ok("2026-10-25T02:30", berlin), utc(2026, 10, 25, 0, 30, 0) * US);
    assert_int_equal(parse_ok("2026-11-01T01:30", ny), utc(2026, 11, 1, 5, 30, 0) * US);
    tz_free(berlin);
    tz_free(ny);
}

static void test_parse_time_invalid(void **state)
{
    const char *bad[] = {
        "",
        "abc",
        "2026",
        "2026-03",
        "2026-3-08",
        "2026-03-8",
        "20260308",
        "2026-02-30",
        "2026-02-29",
        "2100-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-04-31",
        "2026-01-00",
        "2026-01-01T25:00",
        "2026-01-01T24:00",
        "2026-01-01T12:60",
        "2026-01-01T12:00:61",
        "2026-01-01T12",
        "2026-01-01T1:00",
        "2026-01-01T",
        "2026-01-01T12:00:",
        "2026-01-01T12:00:00.",
        "2026-01-01T12:00:00.Z",
        "2026-01-01T12:00Zx",
        "2026-01-01T12:00:00Z ",
        "2026-01-01 ",
        "2026-01-01x",
        "2026-01-01T12:00+2",
        "2026-01-01T12:00+02:",
        "2026-01-01T12:00+19:00",
        "2026-01-01T12:00+02:60",
        "2026-01-01T12:00UTC",
        " 2026-01-01",
        "2026-01-01T12:00:00.00000000000000000000000000000000000000000000000000000000000Z",
    };
    (void)state;

    for (size_t i = 0; i < GH_ARRAY_LEN(bad); i++) {
        int64_t v = 42;
        struct gh_err err = {{0}};
        if (gh_parse_time(bad[i], NULL, &v, &err) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(v, 42);
        assert_true(err.msg[0] != '\0');
    }
    {
        int64_t v;
        struct gh_err err = {{0}};
        assert_int_equal(gh_parse_time("2026-02-30", NULL, &v, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "2026-02-30"));
        assert_non_null(strstr(err.msg, "calendar"));
        assert_int_equal(gh_parse_time("2026-01-01T25:00", NULL, &v, NULL), -EINVAL);
    }
}

static void test_parse_date(void **state)
{
    int64_t d = 0;
    struct gh_err err = {{0}};
    const char *bad[] = {"",           "2026-3-8",   "2026-03-08T00:00", "2026-02-29",
                         "2026-13-01", "2026/03/08", "2026-03-08 ",      "x2026-03-08",
                         "2026-03-0"};
    (void)state;

    assert_int_equal(gh_parse_date("2026-03-08", &d, &err), 0);
    assert_int_equal(d, gh_days_from_civil(2026, 3, 8));
    assert_int_equal(gh_parse_date("1969-12-31", &d, &err), 0);
    assert_int_equal(d, -1);
    assert_int_equal(gh_parse_date("2024-02-29", &d, &err), 0);
    assert_int_equal(d, gh_days_from_civil(2024, 2, 29));
    assert_int_equal(gh_parse_date("0001-01-01", &d, &err), 0);
    assert_int_equal(d, -719162);
    for (size_t i = 0; i < GH_ARRAY_LEN(bad); i++) {
        if (gh_parse_date(bad[i], &d, &err) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
    }
    assert_int_equal(gh_parse_date("2026-02-29", &d, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "2026-02-29"));
}

static void test_parse_duration(void **state)
{
    struct {
        const char *s;
        int64_t us;
    } good[] = {
        {"90s", 90 * US},
        {"15m", 900 * US},
        {"8h", 8 * 3600 * US},
        {"30d", INT64_C(30) * 86400 * US},
        {"3600", 3600 * US},
        {"0", 0},
        {"0s", 0},
        {"36500d", INT64_C(36500) * 86400 * US},
        {"876000h", INT64_C(876000) * 3600 * US},
    };
    const char *bad[] = {"",           "s",   "-5s", "5x",     "1.5h",    " 5s",
                         "5 s",        "5ss", "h8",  "36501d", "876001h", "99999999999999999999s",
                         "3153600001", "+",   "0x10"};
    (void)state;

    for (size_t i = 0; i < GH_ARRAY_LEN(good); i++) {
        int64_t v = -1;
        struct gh_err err = {{0}};
        if (gh_parse_duration(good[i].s, &v, &err) != 0)
            fail_msg("'%s': %s", good[i].s, err.msg);
        assert_int_equal(v, good[i].us);
    }
    for (size_t i = 0; i < GH_ARRAY_LEN(bad); i++) {
        int64_t v = 42;
        struct gh_err err = {{0}};
        if (gh_parse_duration(bad[i], &v, &err) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(v, 42);
        assert_non_null(strstr(err.msg, "not a duration"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_known_days),
        cmocka_unit_test(test_civil_round_trip),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_format_iso),
        cmocka_unit_test(test_parse_time_utc_and_offsets),
        cmocka_unit_test(test_parse_time_in_zone),
        cmocka_unit_test(test_parse_time_invalid),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_parse_duration),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
