/*
 * schedule.c: whether a schedule's weekly intervals are active at a local wall-clock time.
 *
 * How it works: an interval is a set of day bits (bit 0 = Monday .. bit 6 = Sunday, bit 7 =
 * holiday) and a start..end in minutes of the day. One that ends at or before its start
 * crosses midnight and belongs to the day it starts, so at minute m of day D it can apply in
 * two ways: as "today's" interval (start <= m, and m < end unless it crosses midnight) when
 * D's bit is set, or as the continuation of yesterday's interval (it crosses midnight and
 * m < end) when the bit of D - 1 is set. On a holiday the holiday bit stands in for the
 * weekday bit. One pass over the intervals, no allocation: the first match wins and is
 * returned at once; a match that only a holiday prevented is remembered so the caller can
 * say "holiday" rather than "outside schedule".
 */
#include "access/access.h"

enum sched_result sched_eval(const struct sched_interval *iv, int n, const struct gh_local *loc,
                             bool today_holiday, bool yesterday_holiday, int *which)
{
    unsigned today, yesterday, m;
    unsigned today_plain, yday_plain; /* weekday bits, as on an ordinary day */
    unsigned today_bit, yday_bit;     /* the bits that apply, holidays considered */
    bool blocked = false;

    if (which != NULL)
        *which = -1;
    if (iv == NULL || n <= 0 || loc == NULL || loc->weekday > 6)
        return SCHED_INACTIVE;

    today = loc->weekday;
    yesterday = today == 0 ? 6 : today - 1;
    m = loc->minute;
    today_plain = 1u << today;
    yday_plain = 1u << yesterday;
    today_bit = today_holiday ? SCHED_DAY_HOLIDAY : today_plain;
    yday_bit = yesterday_holiday ? SCHED_DAY_HOLIDAY : yday_plain;

    for (int i = 0; i < n; i++) {
        unsigned days = iv[i].days, start = iv[i].start_min, end = iv[i].end_min;
        bool crosses = end <= start;
        bool in_today = m >= start && (crosses || m < end);
        bool in_continuation = crosses && m < end;

        if ((in_today && (days & today_bit)) || (in_continuation && (days & yday_bit))) {
            if (which != NULL)
                *which = i;
            return SCHED_ACTIVE;
        }
        if ((in_today && today_holiday && (days & today_plain)) ||
            (in_continuation && yesterday_holiday && (days & yday_plain)))
            blocked = true;
    }
    return blocked ? SCHED_HOLIDAY : SCHED_INACTIVE;
}
