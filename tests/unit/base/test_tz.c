/*
 * test_tz.c: time zones (src/base/tz.c). Real zones from /usr/share/zoneinfo across their
 * 2026 DST changes and in 2090 (past the table, where the POSIX footer rule decides), local
 * wall-time conversion both ways, name checks, and hand-built or damaged TZif images that
 * must be evaluated correctly or rejected with -EINVAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"

#define HOUR 3600

/* ---- helpers ------------------------------------------------------------------------ */

static int64_t utc(int64_t y, unsigned mo, unsigned d, int h, int mi, int s)
{
    return gh_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static struct gh_tz *load(const char *name)
{
    struct gh_tz *tz = NULL;
    struct gh_err err = {{0}};
    int r = tz_load(name, &tz, &err);
    if (r != 0)
        fail_msg("tz_load(%s): %d %s", name, r, err.msg);
    assert_non_null(tz);
    assert_string_equal(tz_name(tz), name);
    return tz;
}

/* Checks the offset and DST flag just before and at a transition instant. */
static void check_change(const struct gh_tz *tz, int64_t at, int32_t before, int32_t after,
                         bool dst_after)
{
    assert_int_equal(tz_offset_at(tz, at - 1), before);
    assert_int_equal(tz_offset_at(tz, at), after);
    assert_int_equal(tz_offset_at(tz, at + 1), after);
    assert_int_equal(tz_is_dst_at(tz, at - 1), !dst_after);
    assert_int_equal(tz_is_dst_at(tz, at), dst_after);
}

/* Checks the local view of UTC second t: date, wall time, weekday and offset. */
static void check_local(const struct gh_tz *tz, int64_t t, int64_t y, unsigned mo, unsigned d,
                        unsigned h, unsigned mi, unsigned s, unsigned weekday, int32_t off)
{
    struct gh_local l;
    tz_local(tz, t * GH_USEC_PER_SEC, &l);
    assert_int_equal(l.days, gh_days_from_civil(y, mo, d));
    assert_int_equal(l.second, h * 3600 + mi * 60 + s);
    assert_int_equal(l.minute, h * 60 + mi);
    assert_int_equal(l.weekday, weekday);
    assert_int_equal(l.utc_offset, off);
}

static int64_t from_local(const struct gh_tz *tz, int64_t y, unsigned mo, unsigned d, unsigned h,
                          unsigned mi)
{
    return tz_utc_from_local(tz, gh_days_from_civil(y, mo, d), h * 3600 + mi * 60);
}

static size_t be32(const uint8_t *p)
{
    return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

static uint8_t *read_zone_file(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
    f = fopen(path, "rb");
    assert_non_null(f);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    assert_true(*len > 44);
    return buf;
}

/* A hand-built TZif image: one v1 block (version 0) or a minimal v1 block, the 64-bit
 * block and a footer (v2+). Types all use abbreviation "ABC". */
struct ttype {
    int32_t utoff;
    uint8_t isdst;
};

struct spec {
    char version; /* 0, '2', '3', '4' */
    const int64_t *at;
    const uint8_t *idx;
    uint32_t ntrans;
    const struct ttype *types;
    uint32_t ntypes;
    uint32_t leapcnt;
    const char *footer; /* v2+: NULL writes no footer at all */
};

/* Offsets in the image of a v2 spec's second header (after the 7-byte minimal v1 block). */
#define V2_HDR   (44 + 7)
#define OFF_LEAP 28
#define OFF_TIME 32
#define OFF_TYPE 36

static void put_u32(struct gh_buf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    assert_int_equal(gh_buf_append(b, p, 4), 0);
}

static void put_time(struct gh_buf *b, int64_t v, size_t tsize)
{
    uint64_t u = (uint64_t)v;
    if (tsize == 8)
        put_u32(b, (uint32_t)(u >> 32));
    put_u32(b, (uint32_t)u);
}

static void put_header(struct gh_buf *b, char version, uint32_t leap, uint32_t timecnt,
                       uint32_t typecnt, uint32_t charcnt)
{
    uint8_t zero[15] = {0};
    assert_int_equal(gh_buf_append(b, "TZif", 4), 0);
    assert_int_equal(gh_buf_append(b, &version, 1), 0);
    assert_int_equal(gh_buf_append(b, zero, 15), 0);
    put_u32(b, 0);
    put_u32(b, 0);
    put_u32(b, leap);
    put_u32(b, timecnt);
    put_u32(b, typecnt);
    put_u32(b, charcnt);
}

static void put_block(struct gh_buf *b, const struct spec *s, size_t tsize)
{
    put_header(b, s->version, s->leapcnt, s->ntrans, s->ntypes, 4);
    for (uint32_t i = 0; i < s->ntrans; i++)
        put_time(b, s->at[i], tsize);
    if (s->ntrans > 0)
        assert_int_equal(gh_buf_append(b, s->idx, s->ntrans), 0);
    for (uint32_t i = 0; i < s->ntypes; i++) {
        uint8_t rest[2] = {s->types[i].isdst, 0};
        put_u32(b, (uint32_t)s->types[i].utoff);
        assert_int_equal(gh_buf_append(b, rest, 2), 0);
    }
    assert_int_equal(gh_buf_append(b, "ABC", 4), 0);
    for (uint32_t i = 0; i < s->leapcnt; i++) {
        put_time(b, 0, tsize);
        put_u32(b, 1);
    }
}

static void build(struct gh_buf *b, const struct spec *s)
{
    gh_buf_init(b, 4 << 20);
    if (s->version == 0) {
        put_block(b, s, 4);
        return;
    }
    /* minimal v1 block: no transitions, one UTC type, a one-byte abbreviation table */
    put_header(b, s->version, 0, 0, 1, 1);
    assert_int_equal(gh_buf_append(b, "\0\0\0\0\0\0\0", 7), 0);
    assert_int_equal(b->len, V2_HDR);
    put_block(b, s, 8);
    if (s->footer != NULL) {
        assert_int_equal(gh_buf_append(b, "\n", 1), 0);
        assert_int_equal(gh_buf_append(b, s->footer, strlen(s->footer)), 0);
        assert_int_equal(gh_buf_append(b, "\n", 1), 0);
    }
}

static void patch_u32(struct gh_buf *b, size_t off, uint32_t v)
{
    assert_true(off + 4 <= b->len);
    b->data[off] = (char)(v >> 24);
    b->data[off + 1] = (char)(v >> 16);
    b->data[off + 2] = (char)(v >> 8);
    b->data[off + 3] = (char)v;
}

static int parse_buf(const struct gh_buf *b, struct gh_tz **tz, struct gh_err *err)
{
    return tz_parse("Test/Zone", (const uint8_t *)b->data, b->len, tz, err);
}

/* Parses a zero-transition v2 image whose whole behaviour comes from footer. */
static struct gh_tz *footer_zone(const char *footer)
{
    static const struct ttype t0[] = {{0, 0}};
    struct spec s = {.version = '2', .types = t0, .ntypes = 1, .footer = footer};
    struct gh_buf b;
    struct gh_tz *tz = NULL;
    struct gh_err err = {{0}};
    int r;
    build(&b, &s);
    r = parse_buf(&b, &tz, &err);
    gh_buf_free(&b);
    if (r != 0)
        fail_msg("footer '%s': %d %s", footer, r, err.msg);
    return tz;
}

static void expect_reject(const struct spec *s, const char *msg_part)
{
    struct gh_buf b;
    struct gh_tz *tz = (struct gh_tz *)&b; /* must be reset to NULL */
    struct gh_err err = {{0}};
    build(&b, s);
    assert_int_equal(parse_buf(&b, &tz, &err), -EINVAL);
    assert_null(tz);
    if (strstr(err.msg, msg_part) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
    assert_non_null(strstr(err.msg, "Test/Zone"));
    gh_buf_free(&b);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("GATEHOUSE_ZONEINFO");
    return 0;
}

/* ---- real zones --------------------------------------------------------------------- */

static void test_berlin_2026(void **state)
{
    struct gh_tz *tz = load("Europe/Berlin");
    int64_t spring = utc(2026, 3, 29, 1, 0, 0);
    int64_t autumn = utc(2026, 10, 25, 1, 0, 0);
    (void)state;

    check_change(tz, spring, HOUR, 2 * HOUR, true);
    check_change(tz, autumn, 2 * HOUR, HOUR, false);
    /* Sunday 29 March: 01:59:59 CET, then 03:00:00 CEST */
    check_local(tz, spring - 1, 2026, 3, 29, 1, 59, 59, 6, HOUR);
    check_local(tz, spring, 2026, 3, 29, 3, 0, 0, 6, 2 * HOUR);
    /* Sunday 25 October: 02:59:59 CEST, then 02:00:00 CET */
    check_local(tz, autumn - 1, 2026, 10, 25, 2, 59, 59, 6, 2 * HOUR);
    check_local(tz, autumn, 2026, 10, 25, 2, 0, 0, 6, HOUR);
    /* an ordinary Wednesday */
    check_local(tz, utc(2026, 7, 1, 22, 30, 0), 2026, 7, 2, 0, 30, 0, 3, 2 * HOUR);
    tz_free(tz);
}

static void test_new_york_2026(void **state)
{
    struct gh_tz *tz = load("America/New_York");
    int64_t spring = utc(2026, 3, 8, 7, 0, 0);
    int64_t autumn = utc(2026, 11, 1, 6, 0, 0);
    (void)state;

    check_change(tz, spring, -5 * HOUR, -4 * HOUR, true);
    check_change(tz, autumn, -4 * HOUR, -5 * HOUR, false);
    check_local(tz, spring - 1, 2026, 3, 8, 1, 59, 59, 6, -5 * HOUR);
    check_local(tz, spring, 2026, 3, 8, 3, 0, 0, 6, -4 * HOUR);
    check_local(tz, autumn - 1, 2026, 11, 1, 1, 59, 59, 6, -4 * HOUR);
    check_local(tz, autumn, 2026, 11, 1, 1, 0, 0, 6, -5 * HOUR);
    /* UTC Monday 02:00 is still Sunday evening in New York */
    check_local(tz, utc(2026, 1, 5, 2, 0, 0), 2026, 1, 4, 21, 0, 0, 6, -5 * HOUR);
    tz_free(tz);
}

static void test_sydney(void **state)
{
    struct gh_tz *tz = load("Australia/Sydney");
    int64_t end = utc(2026, 4, 4, 16, 0, 0);
    int64_t start = utc(2026, 10, 3, 16, 0, 0);
    (void)state;

    check_change(tz, end, 11 * HOUR, 10 * HOUR, false);
    check_change(tz, start, 10 * HOUR, 11 * HOUR, true);
    check_local(tz, end - 1, 2026, 4, 5, 2, 59, 59, 6, 11 * HOUR);
    check_local(tz, end, 2026, 4, 5, 2, 0, 0, 6, 10 * HOUR);
    check_local(tz, start - 1, 2026, 10, 4, 1, 59, 59, 6, 10 * HOUR);
    check_local(tz, start, 2026, 10, 4, 3, 0, 0, 6, 11 * HOUR);
    /* southern summer is daylight time */
    assert_true(tz_is_dst_at(tz, utc(2026, 1, 15, 0, 0, 0)));
    assert_false(tz_is_dst_at(tz, utc(2026, 7, 15, 0, 0, 0)));
    tz_free(tz);
}

static void test_lord_howe(void **state)
{
    struct gh_tz *tz = load("Australia/Lord_Howe");
    int64_t end = utc(2026, 4, 4, 15, 0, 0);
    int64_t start = utc(2026, 10, 3, 15, 30, 0);
    (void)state;

    check_change(tz, end, 11 * HOUR, 10 * HOUR + 1800, false);
    check_change(tz, start, 10 * HOUR + 1800, 11 * HOUR, true);
    check_local(tz, end - 1, 2026, 4, 5, 1, 59, 59, 6, 11 * HOUR);
    check_local(tz, end, 2026, 4, 5, 1, 30, 0, 6, 10 * HOUR + 1800);
    check_local(tz, start - 1, 2026, 10, 4, 1, 59, 59, 6, 10 * HOUR + 1800);
    check_local(tz, start, 2026, 10, 4, 2, 30, 0, 6, 11 * HOUR);
    /* the 30-minute gap and overlap */
    assert_int_equal(from_local(tz, 2026, 10, 4, 2, 15), utc(2026, 10, 3, 15, 45, 0));
    assert_int_equal(from_local(tz, 2026, 4, 5, 1, 45), utc(2026, 4, 4, 14, 45, 0));
    tz_free(tz);
}

static void test_kolkata_and_utc(void **state)
{
    struct gh_tz *tz = load("Asia/Kolkata");
    struct gh_tz *u = load("UTC");
    (void)state;

    for (int m = 1; m <= 12; m++) {
        int64_t t = utc(2026, (unsigned)m, 15, 12, 0, 0);
        assert_int_equal(tz_offset_at(tz, t), 5 * HOUR + 1800);
        assert_false(tz_is_dst_at(tz, t));
        assert_int_equal(tz_offset_at(u, t), 0);
        assert_false(tz_is_dst_at(u, t));
    }
    check_local(tz, utc(2026, 7, 1, 0, 0, 0), 2026, 7, 1, 5, 30, 0, 2, 5 * HOUR + 1800);
    check_local(tz, utc(2090, 7, 1, 20, 0, 0), 2090, 7, 2, 1, 30, 0, 6, 5 * HOUR + 1800);
    check_local(u, utc(2026, 3, 8, 7, 55, 0), 2026, 3, 8, 7, 55, 0, 6, 0);
    tz_free(tz);
    tz_free(u);
}

/* 2090 is past every table zic writes, so these come from the footer rules. */
static void test_year_2090(void **state)
{
    struct gh_tz *b = load("Europe/Berlin");
    struct gh_tz *ny = load("America/New_York");
    struct gh_tz *syd = load("Australia/Sydney");
    struct gh_tz *lh = load("Australia/Lord_Howe");
    (void)state;

    check_change(b, utc(2090, 3, 26, 1, 0, 0), HOUR, 2 * HOUR, true);
    check_change(b, utc(2090, 10, 29, 1, 0, 0), 2 * HOUR, HOUR, false);
    check_change(ny, utc(2090, 3, 12, 7, 0, 0), -5 * HOUR, -4 * HOUR, true);
    check_change(ny, utc(2090, 11, 5, 6, 0, 0), -4 * HOUR, -5 * HOUR, false);
    check_change(syd, utc(2090, 4, 1, 16, 0, 0), 11 * HOUR, 10 * HOUR, false);
    check_change(syd, utc(2090, 9, 30, 16, 0, 0), 10 * HOUR, 11 * HOUR, true);
    check_change(lh, utc(2090, 4, 1, 15, 0, 0), 11 * HOUR, 10 * HOUR + 1800, false);
    check_change(lh, utc(2090, 9, 30, 15, 30, 0), 10 * HOUR + 1800, 11 * HOUR, true);
    check_local(b, utc(2090, 3, 26, 1, 0, 0), 2090, 3, 26, 3, 0, 0, 6, 2 * HOUR);
    assert_int_equal(from_local(b, 2090, 3, 26, 2, 30), utc(2090, 3, 26, 1, 30, 0));
    assert_int_equal(from_local(b, 2090, 10, 29, 2, 30), utc(2090, 10, 29, 0, 30, 0));
    tz_free(b);
    tz_free(ny);
    tz_free(syd);
    tz_free(lh);
}

static void test_early_and_negative_times(void **state)
{
    struct gh_tz *b = load("Europe/Berlin");
    struct gh_tz *u = load("UTC");
    struct gh_local l;
    (void)state;

    /* before the first transition: local mean time, +0:53:28 */
    assert_int_equal(tz_offset_at(b, utc(1800, 1, 1, 0, 0, 0)), 3208);
    assert_false(tz_is_dst_at(b, utc(1800, 1, 1, 0, 0, 0)));
    /* 1969-12-31T23:59:59.999999Z, a Wednesday: floor division, not truncation */
    tz_local(u, -1, &l);
    assert_int_equal(l.days, -1);
    assert_int_equal(l.second, 86399);
    assert_int_equal(l.minute, 1439);
    assert_int_equal(l.weekday, 2);
    tz_local(b, -1, &l);
    assert_int_equal(l.days, 0);
    assert_int_equal(l.second, 3599);
    assert_int_equal(l.weekday, 3);
    /* extremes must not misbehave */
    tz_local(b, INT64_MIN, &l);
    assert_true(l.second < 86400);
    tz_local(b, INT64_MAX, &l);
    assert_true(l.second < 86400);
    assert_true(l.weekday < 7);
    (void)tz_offset_at(b, INT64_MIN);
    (void)tz_offset_at(b, INT64_MAX);
    (void)tz_utc_from_local(b, INT64_MIN, 0);
    (void)tz_utc_from_local(b, INT64_MAX, UINT32_MAX);
    tz_free(b);
    tz_free(u);
}

static void test_utc_from_local(void **state)
{
    struct gh_tz *b = load("Europe/Berlin");
    struct gh_tz *ny = load("America/New_York");
    (void)state;

    /* ordinary times */
    assert_int_equal(from_local(b, 2026, 7, 1, 12, 0), utc(2026, 7, 1, 10, 0, 0));
    assert_int_equal(from_local(b, 2026, 1, 1, 0, 0), utc(2025, 12, 31, 23, 0, 0));
    /* gap: 02:30 does not exist on 29 March; it becomes 03:30 CEST = 01:30Z */
    assert_int_equal(from_local(b, 2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 30, 0));
    assert_int_equal(from_local(b, 2026, 3, 29, 2, 0), utc(2026, 3, 29, 1, 0, 0));
    assert_int_equal(from_local(b, 2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0, 0));
    /* overlap: 02:30 happens twice on 25 October; the earlier (CEST) wins */
    assert_int_equal(from_local(b, 2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30, 0));
    assert_int_equal(from_local(b, 2026, 10, 25, 3, 0), utc(2026, 10, 25, 2, 0, 0));
    /* New York */
    assert_int_equal(from_local(ny, 2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 30, 0));
    assert_int_equal(from_local(ny, 2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30, 0));
    assert_int_equal(from_local(NULL, 2026, 11, 1, 1, 30), utc(2026, 11, 1, 1, 30, 0));

    /* round trip every 15 minutes through 2026: the wall time always comes back, and the
     * instant does too except in the second pass through an overlap */
    for (int64_t t = utc(2026, 1, 1, 0, 0, 0); t < utc(2027, 1, 1, 0, 0, 0); t += 900) {
        const struct gh_tz *zones[2] = {b, ny};
        for (int z = 0; z < 2; z++) {
            struct gh_local l, l2;
            int64_t back;
            tz_local(zones[z], t * GH_USEC_PER_SEC, &l);
            back = tz_utc_from_local(zones[z], l.days, l.second);
            tz_local(zones[z], back * GH_USEC_PER_SEC, &l2);
            assert_int_equal(l2.days, l.days);
            assert_int_equal(l2.second, l.second);
            if (back != t)
                assert_int_equal(back, t - HOUR);
        }
    }
    tz_free(b);
    tz_free(ny);
}

/* ---- names and files ---------------------------------------------------------------- */

static void test_bad_names(void **state)
{
    char longname[101];
    const char *bad[] = {"../etc/passwd",   "/etc/passwd",    "",
                         "Europe//Berlin",  longname,         "Europe/../Berlin",
                         "Europe/Berlin\n", "Europe/Ber lin", "Europe\\Berlin",
                         "Europe/Berlin.",  "Zürich"};
    (void)state;

    memset(longname, 'A', 100);
    longname[100] = '\0';
    for (size_t i = 0; i < GH_ARRAY_LEN(bad); i++) {
        struct gh_tz *tz = (struct gh_tz *)&longname;
        struct gh_err err = {{0}};
        assert_int_equal(tz_load(bad[i], &tz, &err), -EINVAL);
        assert_null(tz);
        assert_non_null(strstr(err.msg, "is not valid"));
    }
    {
        struct gh_tz *tz = NULL;
        assert_int_equal(tz_load(NULL, &tz, NULL), -EINVAL);
    }
}

static void test_unknown_zone(void **state)
{
    struct gh_tz *tz = NULL;
    struct gh_err err = {{0}};
    (void)state;

    assert_int_equal(tz_load("Mars/Olympus", &tz, &err), -ENOENT);
    assert_null(tz);
    assert_string_equal(err.msg, "unknown time zone 'Mars/Olympus'");
    /* a directory is not a zone */
    assert_int_equal(tz_load("Europe", &tz, &err), -ENOENT);
    assert_int_equal(tz_load("Europe/", &tz, &err), -ENOENT);
    /* nor is a file under a zone file */
    assert_int_equal(tz_load("UTC/Foo", &tz, &err), -ENOENT);
    /* names the checks allow but that are no zone */
    assert_int_equal(tz_load("Etc/GMT+99", &tz, &err), -ENOENT);
}

static void test_zoneinfo_env(void **state)
{
    static const struct ttype t0[] = {{-3 * HOUR, 0}};
    struct spec s = {.version = '3', .types = t0, .ntypes = 1, .footer = "<-03>3"};
    char dir[] = "/tmp/gh_tz_test_XXXXXX";
    char path[256];
    struct gh_buf b;
    struct gh_tz *tz = NULL;
    struct gh_err err = {{0}};
    FILE *f;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/Test", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/Test/Zone", dir);
    build(&b, &s);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    gh_buf_free(&b);

    assert_int_equal(setenv("GATEHOUSE_ZONEINFO", dir, 1), 0);
    assert_int_equal(tz_load("Test/Zone", &tz, &err), 0);
    assert_string_equal(tz_name(tz), "Test/Zone");
    assert_int_equal(tz_offset_at(tz, utc(2026, 1, 1, 0, 0, 0)), -3 * HOUR);
    tz_free(tz);
    /* the system zones are not visible through another directory */
    assert_int_equal(tz_load("Europe/Berlin", &tz, &err), -ENOENT);
    /* an over-long path is refused, not truncated */
    {
        char big[5000];
        memset(big, 'x', sizeof(big) - 1);
        big[0] = '/';
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(setenv("GATEHOUSE_ZONEINFO", big, 1), 0);
        assert_int_equal(tz_load("UTC", &tz, &err), -EINVAL);
    }
    unsetenv("GATEHOUSE_ZONEINFO");
    unlink(path);
    snprintf(path, sizeof(path), "%s/Test", dir);
    rmdir(path);
    rmdir(dir);
}

/* ---- damaged images ----------------------------------------------------------------- */

static void test_truncated_real_files(void **state)
{
    const char *zones[] = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC",
                           "Asia/Kolkata"};
    (void)state;

    for (size_t z = 0; z < GH_ARRAY_LEN(zones); z++) {
        size_t len;
        uint8_t *data = read_zone_file(zones[z], &len);
        struct gh_tz *tz = NULL;
        struct gh_err err = {{0}};
        assert_int_equal(tz_parse(zones[z], data, len, &tz, &err), 0);
        tz_free(tz);
        /* every proper prefix is damaged (the footer ends with the last byte) */
        for (size_t n = 0; n < len; n++) {
            uint8_t *copy = malloc(n ? n : 1); /* exact size so ASan sees any over-read */
            assert_non_null(copy);
            memcpy(copy, data, n);
            tz = (struct gh_tz *)copy;
            if (tz_parse(zones[z], copy, n, &tz, &err) != -EINVAL)
                fail_msg("%s truncated at %zu was accepted", zones[z], n);
            assert_null(tz);
            assert_non_null(strstr(err.msg, zones[z]));
            free(copy);
        }
        free(data);
    }
    {
        struct gh_tz *tz = NULL;
        assert_int_equal(tz_parse("x", NULL, 0, &tz, NULL), -EINVAL);
    }
}

static void test_corrupt_real_file(void **state)
{
    size_t len;
    uint8_t *data = read_zone_file("Europe/Berlin", &len);
    uint8_t *copy = malloc(len);
    struct gh_tz *tz = NULL;
    struct gh_err err = {{0}};
    size_t hdr2;
    (void)state;

    assert_non_null(copy);
    /* flipped magic in either header */
    memcpy(copy, data, len);
    copy[0] ^= 0x20;
    assert_int_equal(tz_parse("Europe/Berlin", copy, len, &tz, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "magic"));
    /* v1 block size (32-bit times, 8-byte leap records), to find the second header */
    hdr2 = 44 + be32(data + 32) * 5 + be32(data + 36) * 6 + be32(data + 40) + be32(data + 28) * 8 +
           be32(data + 24) + be32(data + 20);
    assert_memory_equal(data + hdr2, "TZif", 4);
    memcpy(copy, data, len);
    copy[hdr2 + 1] = 'X';
    assert_int_equal(tz_parse("Europe/Berlin", copy, len, &tz, &err), -EINVAL);
    /* unsupported version */
    memcpy(copy, data, len);
    copy[4] = '1';
    assert_int_equal(tz_parse("Europe/Berlin", copy, len, &tz, &err), -EINVAL);
    /* huge counts in either header */
    for (size_t off = 20; off < 44; off += 4) {
        memcpy(copy, data, len);
        memset(copy + off, 0xff, 4);
        assert_int_equal(tz_parse("Europe/Berlin", copy, len, &tz, &err), -EINVAL);
        memcpy(copy, data, len);
        memset(copy + hdr2 + off, 0xff, 4);
        assert_int_equal(tz_parse("Europe/Berlin", copy, len, &tz, &err), -EINVAL);
        memcpy(copy, data, len);
        copy[hdr2 + off] = 0x01; /* + 16M */
        assert_int_equal(tz_parse("Europe/Berlin", copy, len, &tz, &err), -EINVAL);
    }
    /* a bad footer */
    memcpy(copy, data, len);
    copy[len - 3] = '!';
    assert_int_equal(tz_parse("Europe/Berlin", copy, len, &tz, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "footer"));
    assert_null(tz);
    free(copy);
    free(data);
}

static void test_limits(void **state)
{
    static const struct ttype t1[] = {{0, 0}};
    static const struct ttype big[] = {{26 * HOUR + 1, 0}};
    static const struct ttype small[] = {{-25 * HOUR - 1, 0}};
    static const struct ttype edge[] = {{26 * HOUR, 0}, {-25 * HOUR, 1}};
    static const struct ttype baddst[] = {{0, 2}};
    static const int64_t at2[] = {1000, 1000};
    static const int64_t at1[] = {1000};
    static const uint8_t idx_bad[] = {1};
    static const uint8_t idx2[] = {0, 0};
    struct ttype types[257];
    int64_t *at = malloc(10001 * sizeof(*at));
    uint8_t *idx = calloc(10001, 1);
    (void)state;

    assert_non_null(at);
    assert_non_null(idx);
    for (int i = 0; i < 10001; i++)
        at[i] = i;
    memset(types, 0, sizeof(types));

    /* 10,000 transitions and 256 types are fine; one more of either is not */
    {
        struct spec s = {'2', at, idx, 10000, types, 256, 0, ""};
        struct gh_buf b;
        struct gh_tz *tz = NULL;
        build(&b, &s);
        assert_int_equal(parse_buf(&b, &tz, NULL), 0);
        assert_int_equal(tz_offset_at(tz, 5000), 0);
        tz_free(tz);
        gh_buf_free(&b);
    }
    expect_reject(&(struct spec){'2', at, idx, 10001, types, 1, 0, ""}, "too many transitions");
    expect_reject(&(struct spec){'2', NULL, NULL, 0, types, 257, 0, ""}, "local time types");
    expect_reject(&(struct spec){'2', NULL, NULL, 0, types, 0, 0, ""}, "local time types");
    expect_reject(&(struct spec){'2', NULL, NULL, 0, big, 1, 0, ""}, "out of range");
    expect_reject(&(struct spec){'2', NULL, NULL, 0, small, 1, 0, ""}, "out of range");
    expect_reject(&(struct spec){'2', NULL, NULL, 0, baddst, 1, 0, ""}, "DST flag");
    expect_reject(&(struct spec){'2', at1, idx_bad, 1, t1, 1, 0, ""}, "uses type 1");
    expect_reject(&(struct spec){'2', at2, idx2, 2, t1, 1, 0, ""}, "not in order");
    expect_reject(&(struct spec){'2', NULL, NULL, 0, t1, 1, 1, ""}, "leap-second");
    expect_reject(&(struct spec){'2', NULL, NULL, 0, t1, 1, 0, NULL}, "footer is missing");
    expect_reject(&(struct spec){0, at1, idx_bad, 1, t1, 1, 0, NULL}, "uses type 1");
    {
        /* the offset limits themselves are accepted */
        struct spec s = {'2', at1, idx, 1, edge, 2, 0, ""};
        struct gh_buf b;
        struct gh_tz *tz = NULL;
        build(&b, &s);
        assert_int_equal(parse_buf(&b, &tz, NULL), 0);
        assert_int_equal(tz_offset_at(tz, 0), 26 * HOUR);
        assert_int_equal(tz_offset_at(tz, 2000), 26 * HOUR);
        tz_free(tz);
        gh_buf_free(&b);
    }
    {
        /* counts larger than the data, found by patching a valid image */
        struct spec s = {'2', at1, idx2, 1, t1, 1, 0, "UTC0"};
        struct gh_buf b;
        struct gh_tz *tz = NULL;
        struct gh_err err = {{0}};
        build(&b, &s);
        assert_int_equal(parse_buf(&b, &tz, NULL), 0);
        tz_free(tz);
        patch_u32(&b, V2_HDR + OFF_TIME, 0xffffffffu);
        assert_int_equal(parse_buf(&b, &tz, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "exceed"));
        patch_u32(&b, V2_HDR + OFF_TIME, 2);
        assert_int_equal(parse_buf(&b, &tz, &err), -EINVAL);
        patch_u32(&b, V2_HDR + OFF_TIME, 1);
        patch_u32(&b, V2_HDR + OFF_TYPE, 0x40000000u);
        assert_int_equal(parse_buf(&b, &tz, &err), -EINVAL);
        patch_u32(&b, V2_HDR + OFF_TYPE, 1);
        patch_u32(&b, V2_HDR + OFF_LEAP, 0x20000000u);
        assert_int_equal(parse_buf(&b, &tz, &err), -EINVAL);
        gh_buf_free(&b);
    }
    {
        /* footer longer than 256 bytes, and unterminated */
        char foot[300];
        memset(foot, 'A', sizeof(foot) - 1);
        foot[sizeof(foot) - 1] = '\0';
        expect_reject(&(struct spec){'2', NULL, NULL, 0, t1, 1, 0, foot}, "256 bytes");
        struct spec s = {'2', NULL, NULL, 0, t1, 1, 0, "UTC0"};
        struct gh_buf b;
        struct gh_tz *tz = NULL;
        struct gh_err err = {{0}};
        build(&b, &s);
        assert_int_equal(parse_buf(&b, &tz, NULL), 0);
        tz_free(tz);
        b.len--;
        assert_int_equal(parse_buf(&b, &tz, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "truncated"));
        gh_buf_free(&b);
    }
    free(at);
    free(idx);
}

static void test_bad_footers(void **state)
{
    static const struct ttype t1[] = {{0, 0}};
    const char *bad[] = {
        "CET",                          /* no offset */
        "C-1",                          /* name too short */
        "CET-1CEST,M13.5.0,M10.5.0/3",  /* month 13 */
        "CET-1CEST,M3.6.0,M10.5.0/3",   /* week 6 */
        "CET-1CEST,M3.5.7,M10.5.0/3",   /* weekday 7 */
        "CET-1CEST,M3.5.0",             /* one date */
        "CET-1CEST,J0,J100",            /* J is 1-based */
        "CET-1CEST,366,100",            /* n is 0..365 */
        "CET-1CEST,M3.5.0/168,M10.5.0", /* past 167 hours */
        "CET-1CEST,M3.5.0,M10.5.0/3x",  /* trailing text */
        "CET-27",                       /* offset beyond +26h */
        "CET26",                        /* offset beyond -25h */
        "CET-26CEST",                   /* DST beyond +26h */
        "<+1030-10:30",                 /* unterminated <...> */
        "<+1>-1",                       /* quoted name too short */
        "CET-1:60",                     /* minutes */
        "CET-1CEST,",                   /* empty rule */
        "CET-1CEST,M3.5.0,M10.5.0/",    /* empty time */
        "CET-1\tCEST",                  /* control character */
    };
    (void)state;

    for (size_t i = 0; i < GH_ARRAY_LEN(bad); i++) {
        struct spec s = {'3', NULL, NULL, 0, t1, 1, 0, bad[i]};
        struct gh_buf b;
        struct gh_tz *tz = NULL;
        struct gh_err err = {{0}};
        build(&b, &s);
        if (parse_buf(&b, &tz, &err) != -EINVAL)
            fail_msg("footer '%s' was accepted", bad[i]);
        assert_non_null(strstr(err.msg, "footer"));
        gh_buf_free(&b);
    }
}

/* ---- footer rules through hand-built images ----------------------------------------- */

static void test_footer_rules(void **state)
{
    struct gh_tz *tz;
    (void)state;

    /* Mm.w.d with a /time, northern hemisphere */
    tz = footer_zone("CET-1CEST,M3.5.0,M10.5.0/3");
    check_change(tz, utc(2026, 3, 29, 1, 0, 0), HOUR, 2 * HOUR, true);
    check_change(tz, utc(2026, 10, 25, 1, 0, 0), 2 * HOUR, HOUR, false);
    check_change(tz, utc(2090, 3, 26, 1, 0, 0), HOUR, 2 * HOUR, true);
    check_change(tz, utc(1990, 3, 25, 1, 0, 0), HOUR, 2 * HOUR, true);
    assert_int_equal(from_local(tz, 2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 30, 0));
    assert_int_equal(from_local(tz, 2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30, 0));
    check_local(tz, utc(2026, 12, 31, 23, 30, 0), 2027, 1, 1, 0, 30, 0, 4, HOUR);
    tz_free(tz);

    /* default 02:00 change time, negative offset */
    tz = footer_zone("EST5EDT,M3.2.0,M11.1.0");
    check_change(tz, utc(2026, 3, 8, 7, 0, 0), -5 * HOUR, -4 * HOUR, true);
    check_change(tz, utc(2026, 11, 1, 6, 0, 0), -4 * HOUR, -5 * HOUR, false);
    tz_free(tz);

    /* a DST zone without dates gets the US rule */
    tz = footer_zone("EST5EDT");
    check_change(tz, utc(2026, 3, 8, 7, 0, 0), -5 * HOUR, -4 * HOUR, true);
    tz_free(tz);

    /* southern hemisphere, quoted names, half-hour offsets */
    tz = footer_zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    check_change(tz, utc(2026, 4, 4, 15, 0, 0), 11 * HOUR, 10 * HOUR + 1800, false);
    check_change(tz, utc(2026, 10, 3, 15, 30, 0), 10 * HOUR + 1800, 11 * HOUR, true);
    assert_true(tz_is_dst_at(tz, utc(2026, 1, 1, 0, 0, 0)));
    assert_true(tz_is_dst_at(tz, utc(2026, 12, 31, 23, 0, 0)));
    tz_free(tz);
    tz = footer_zone("AEST-10AEDT,M10.1.0,M4.1.0/3");
    check_change(tz, utc(2026, 4, 4, 16, 0, 0), 11 * HOUR, 10 * HOUR, false);
    check_change(tz, utc(2026, 10, 3, 16, 0, 0), 10 * HOUR, 11 * HOUR, true);
    tz_free(tz);

    /* no DST at all */
    tz = footer_zone("UTC0");
    assert_int_equal(tz_offset_at(tz, utc(2026, 6, 1, 0, 0, 0)), 0);
    tz_free(tz);
    tz = footer_zone("<-03>3");
    assert_int_equal(tz_offset_at(tz, utc(2026, 6, 1, 0, 0, 0)), -3 * HOUR);
    assert_false(tz_is_dst_at(tz, utc(2026, 6, 1, 0, 0, 0)));
    tz_free(tz);
    tz = footer_zone("IST-5:30");
    assert_int_equal(tz_offset_at(tz, 0), 5 * HOUR + 1800);
    tz_free(tz);
    tz = footer_zone("<+0545>-5:45");
    assert_int_equal(tz_offset_at(tz, 0), 5 * HOUR + 45 * 60);
    tz_free(tz);
    tz = footer_zone("XXX+0:00:30");
    assert_int_equal(tz_offset_at(tz, 0), -30);
    tz_free(tz);

    /* Jn never counts 29 February: J60 is 1 March in every year */
    tz = footer_zone("XXX0YYY,J60/0,J300/0");
    check_change(tz, utc(2026, 3, 1, 0, 0, 0), 0, HOUR, true);
    check_change(tz, utc(2028, 3, 1, 0, 0, 0), 0, HOUR, true);
    check_change(tz, utc(2028, 10, 26, 23, 0, 0), HOUR, 0, false);
    tz_free(tz);
    /* n is zero-based and counts 29 February */
    tz = footer_zone("XXX0YYY,59/0,299/0");
    check_change(tz, utc(2026, 3, 1, 0, 0, 0), 0, HOUR, true);
    check_change(tz, utc(2028, 2, 29, 0, 0, 0), 0, HOUR, true);
    check_change(tz, utc(2028, 10, 25, 23, 0, 0), HOUR, 0, false);
    tz_free(tz);

    /* negative change times (America/Nuuk since 2023) */
    tz = footer_zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    check_change(tz, utc(2026, 3, 29, 1, 0, 0), -2 * HOUR, -HOUR, true);
    check_change(tz, utc(2026, 10, 25, 1, 0, 0), -HOUR, -2 * HOUR, false);
    tz_free(tz);
    /* change times past 24h (Asia/Jerusalem: Friday 02:00 written as Thursday 26:00) */
    tz = footer_zone("IST-2IDT,M3.4.4/26,M10.5.0");
    check_change(tz, utc(2026, 3, 27, 0, 0, 0), 2 * HOUR, 3 * HOUR, true);
    check_change(tz, utc(2026, 10, 24, 23, 0, 0), 3 * HOUR, 2 * HOUR, false);
    tz_free(tz);
    /* DST all year, as zic writes it */
    tz = footer_zone("EST5EDT,0/0,J365/25");
    for (int64_t t = utc(2025, 12, 25, 0, 0, 0); t < utc(2027, 1, 10, 0, 0, 0); t += 3 * HOUR) {
        assert_int_equal(tz_offset_at(tz, t), -4 * HOUR);
        assert_true(tz_is_dst_at(tz, t));
    }
    tz_free(tz);
    /* far away instants stay sane */
    tz = footer_zone("CET-1CEST,M3.5.0,M10.5.0/3");
    assert_true(tz_offset_at(tz, INT64_MAX) == HOUR || tz_offset_at(tz, INT64_MAX) == 2 * HOUR);
    assert_true(tz_offset_at(tz, INT64_MIN) == HOUR || tz_offset_at(tz, INT64_MIN) == 2 * HOUR);
    tz_free(tz);
}

/* A table plus a footer: before the table type 0, in it the table, after it the footer. */
static void test_table_and_footer(void **state)
{
    static const struct ttype types[] = {{1000, 0}, {HOUR, 0}, {2 * HOUR, 1}};
    const int64_t at[] = {utc(1930, 1, 1, 0, 0, 0), utc(2000, 3, 26, 1, 0, 0),
                          utc(2000, 10, 29, 1, 0, 0)};
    static const uint8_t idx[] = {1, 2, 1};
    struct spec s = {'2', at, idx, 3, types, 3, 0, "CET-1CEST,M3.5.0,M10.5.0/3"};
    struct gh_buf b;
    struct gh_tz *tz = NULL;
    (void)state;

    build(&b, &s);
    assert_int_equal(parse_buf(&b, &tz, NULL), 0);
    assert_int_equal(tz_offset_at(tz, at[0] - 1), 1000);
    assert_int_equal(tz_offset_at(tz, at[0]), HOUR);
    check_change(tz, at[1], HOUR, 2 * HOUR, true);
    check_change(tz, at[2], 2 * HOUR, HOUR, false);
    check_change(tz, utc(2026, 3, 29, 1, 0, 0), HOUR, 2 * HOUR, true);
    tz_free(tz);
    gh_buf_free(&b);

    /* an empty footer: the last type stays in force */
    s.footer = "";
    build(&b, &s);
    assert_int_equal(parse_buf(&b, &tz, NULL), 0);
    assert_int_equal(tz_offset_at(tz, utc(2026, 7, 1, 0, 0, 0)), HOUR);
    tz_free(tz);
    gh_buf_free(&b);

    /* a version 1 file: 32-bit table only, no footer */
    s.version = 0;
    s.footer = NULL;
    build(&b, &s);
    assert_int_equal(parse_buf(&b, &tz, NULL), 0);
    assert_string_equal(tz_name(tz), "Test/Zone");
    assert_int_equal(tz_offset_at(tz, at[0] - 1), 1000);
    check_change(tz, at[1], HOUR, 2 * HOUR, true);
    assert_int_equal(tz_offset_at(tz, utc(2026, 7, 1, 0, 0, 0)), HOUR);
    tz_free(tz);
    gh_buf_free(&b);

    /* version 4, and no name */
    s.version = '4';
    s.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
    build(&b, &s);
    assert_int_equal(tz_parse(NULL, (const uint8_t *)b.data, b.len, &tz, NULL), 0);
    assert_true(tz_is_dst_at(tz, utc(2026, 7, 1, 0, 0, 0)));
    tz_free(tz);
    gh_buf_free(&b);
    tz_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_berlin_2026),
        cmocka_unit_test(test_new_york_2026),
        cmocka_unit_test(test_sydney),
        cmocka_unit_test(test_lord_howe),
        cmocka_unit_test(test_kolkata_and_utc),
        cmocka_unit_test(test_year_2090),
        cmocka_unit_test(test_early_and_negative_times),
        cmocka_unit_test(test_utc_from_local),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_unknown_zone),
        cmocka_unit_test(test_zoneinfo_env),
        cmocka_unit_test(test_truncated_real_files),
        cmocka_unit_test(test_corrupt_real_file),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_footers),
        cmocka_unit_test(test_footer_rules),
        cmocka_unit_test(test_table_and_footer),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
