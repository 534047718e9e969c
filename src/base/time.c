/*
 * time.c: clocks, civil dates, ISO-8601 formatting and parsing, durations.
 *
 * Civil-date arithmetic uses Howard Hinnant's days-from-civil algorithm (public domain
 * description), so it needs no time zone and no global state. Zone-aware parts call tz.c.
 */
#include "base/base.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t gh_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * GH_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t gh_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * GH_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t gh_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void gh_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

unsigned gh_weekday_from_days(int64_t days)
{
    /* 1970-01-01 was a Thursday (ISO 3, counting Monday = 0). */
    int64_t w = (days + 3) % 7;
    return (unsigned)(w < 0 ? w + 7 : w);
}

const char *gh_weekday_name(unsigned weekday)
{
    static const char *const names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    return weekday < 7 ? names[weekday] : "?";
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

void gh_format_iso(int64_t t_us, char buf[GH_ISO_LEN])
{
    /* floor division without computing secs * GH_USEC_PER_SEC (overflows at GH_TIME_MIN) */
    int64_t secs = floor_div(t_us, GH_USEC_PER_SEC);
    int64_t usec = t_us % GH_USEC_PER_SEC;
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    if (usec < 0)
        usec += GH_USEC_PER_SEC;
    gh_civil_from_days(days, &y, &m, &d);
    snprintf(buf, GH_ISO_LEN, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (long long)usec);
}

/* Reads exactly n digits at *p into *v; advances *p. */
static bool read_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int parse_date_part(const char **p, int64_t *days, struct gh_err *err, const char *s)
{
    int y, m, d;
    if (!read_digits(p, 4, &y) || **p != '-' || (++*p, !read_digits(p, 2, &m)) ||
        **p != '-' || (++*p, !read_digits(p, 2, &d)))
        return gh_fail(err, -EINVAL, "'%s' is not a date (expected YYYY-MM-DD)", s);
    if (m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)m))
        return gh_fail(err, -EINVAL, "'%s' is not a valid calendar date", s);
    *days = gh_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

int gh_parse_date(const char *s, int64_t *days, struct gh_err *err)
{
    const char *p = s;
    int r = parse_date_part(&p, days, err, s);
    if (r < 0)
        return r;
    if (*p != '\0')
        return gh_fail(err, -EINVAL, "'%s' is not a date (expected YYYY-MM-DD)", s);
    return 0;
}

int gh_parse_time(const char *s, const struct gh_tz *tz, int64_t *out, struct gh_err *err)
{
    const char *p = s;
    int64_t days, usec = 0;
    int hh = 0, mm = 0, ss = 0;
    int r;
    bool have_offset = false;
    int32_t offset = 0;

    if (strlen(s) > 64)
        return gh_fail(err, -EINVAL, "time value too long");
    r = parse_date_part(&p, &days, err, s);
    if (r < 0)
        return r;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!read_digits(&p, 2, &hh) || *p != ':' || (++p, !read_digits(&p, 2, &mm)))
            goto bad;
        if (*p == ':') {
            p++;
            if (!read_digits(&p, 2, &ss))
                goto bad;
            if (*p == '.' || *p == ',') {
                int digits = 0;
                p++;
                while (isdigit((unsigned char)*p)) {
                    if (digits < 6) {
                        usec = usec * 10 + (*p - '0');
                        digits++;
                    }
                    p++;
                }
                if (digits == 0)
                    goto bad;
                while (digits++ < 6)
                    usec *= 10;
            }
        }
        if (hh > 23 || mm > 59 || ss > 60)
            goto bad;
        if (ss == 60)
            ss = 59; /* leap second: clamp */
    }
    if (*p == 'Z' || *p == 'z') {
        have_offset = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om;
        p++;
        if (!read_digits(&p, 2, &oh))
            goto bad;
        if (*p == ':')
            p++;
        if (!read_digits(&p, 2, &om) || oh > 18 || om > 59)
            goto bad;
        offset = sign * (oh * 3600 + om * 60);
        have_offset = true;
    }
    if (*p != '\0')
        goto bad;
    if (have_offset || tz == NULL) {
        *out = ((days * 86400 + hh * 3600 + mm * 60 + ss) - offset) * GH_USEC_PER_SEC + usec;
    } else {
        *out = tz_utc_from_local(tz, days, (unsigned)(hh * 3600 + mm * 60 + ss)) *
                   GH_USEC_PER_SEC +
               usec;
    }
    return 0;
bad:
    return gh_fail(err, -EINVAL,
                   "'%s' is not a time (expected YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM])", s);
}

int gh_parse_duration(const char *s, int64_t *out_us, struct gh_err *err)
{
    int64_t v, mult = 1;
    char num[32];
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof(num))
        return gh_fail(err, -EINVAL, "'%s' is not a duration (e.g. 90s, 15m, 8h, 30d)", s);
    memcpy(num, s, len + 1);
    switch (num[len - 1]) {
    case 's':
        mult = 1;
        num[len - 1] = '\0';
        break;
    case 'm':
        mult = 60;
        num[len - 1] = '\0';
        break;
    case 'h':
        mult = 3600;
        num[len - 1] = '\0';
        break;
    case 'd':
        mult = 86400;
        num[len - 1] = '\0';
        break;
    default:
        break;
    }
    if (gh_parse_i64(num, 0, INT64_C(100) * 365 * 86400 / mult, &v) < 0)
        return gh_fail(err, -EINVAL, "'%s' is not a duration (e.g. 90s, 15m, 8h, 30d)", s);
    *out_us = v * mult * GH_USEC_PER_SEC;
    return 0;
}
