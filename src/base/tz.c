/*
 * tz.c: IANA time zones read from the system's TZif files (RFC 8536 / RFC 9636), so that
 * access schedules ("weekdays 08:00-18:00 Europe/Berlin") follow local wall-clock time.
 *
 * How it works: tz_parse() validates a TZif image completely before allocating anything
 * (every count is checked against the bytes that are really there, so a truncated or
 * hostile file is rejected with -EINVAL and never read past its end). For version 2+ files
 * the 32-bit v1 block is skipped and the 64-bit block is used. The result is one immutable
 * allocation holding the sorted transition instants, their type indices and the local time
 * types, plus the footer's POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3") parsed into a
 * small struct. A lookup is a binary search over the transitions (O(log n), no
 * allocation); instants after the last transition (or all instants when there are none)
 * evaluate the footer rule, and instants before the first transition use time type 0 as
 * RFC 8536 section 3.2 specifies. Leap-second ("right/") files are rejected: gatehouse
 * works in POSIX time. Local -> UTC conversion (tz_utc_from_local) tries the few offsets
 * that can apply near the wall time and keeps the earliest consistent instant. A NULL zone
 * is treated as UTC by the lookup functions.
 */
#include "base/base.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_MAX_TRANS      10000
#define TZ_MAX_TYPES      256
#define TZ_MAX_FOOTER     256
#define TZ_MAX_FILE       (1024 * 1024)
#define TZ_NAME_MAX       63
#define TZ_HEADER_LEN     44
#define TZ_UTOFF_MIN      (-25 * 3600)
#define TZ_UTOFF_MAX      (26 * 3600)
#define TZ_RULE_HOURS_MAX 167
#define TZ_DEFAULT_DIR    "/usr/share/zoneinfo"

/* Instants beyond +-2^50 s (about 35 million years) are clamped before the footer rule is
 * evaluated, so its calendar arithmetic cannot overflow. */
#define TZ_RULE_T_LIMIT (INT64_C(1) << 50)
/* Local days beyond +-2^40 are clamped in tz_utc_from_local for the same reason. */
#define TZ_DAYS_LIMIT (INT64_C(1) << 40)

struct tz_type {
    int32_t utoff;
    bool isdst;
};

/* One date of a POSIX TZ rule: 'J' (Jn, 1..365, no Feb 29), 'N' (n, 0..365 zero-based) or
 * 'M' (Mm.w.d), with the local time of the change in seconds (may be negative, or past
 * 24h in version 3+ files). */
struct tz_rule_date {
    char kind;
    unsigned day;
    unsigned month;
    unsigned week;
    unsigned wday; /* 0 = Sunday, as in POSIX */
    int32_t time;
};

struct tz_rule {
    bool present;
    bool has_dst;
    int32_t std_off; /* seconds east of UTC */
    int32_t dst_off;
    struct tz_rule_date start; /* standard -> daylight, in standard local time */
    struct tz_rule_date end;   /* daylight -> standard, in daylight local time */
};

struct gh_tz {
    char name[TZ_NAME_MAX + 1];
    struct tz_rule rule;
    size_t ntypes;
    struct tz_type types[TZ_MAX_TYPES];
    size_t ntrans;
    const uint8_t *idx; /* ntrans type indices, stored after at[] */
    int64_t at[];       /* ntrans transition instants, strictly ascending */
};

/* Layout of one data block, derived from a header and checked against the image size. */
struct tz_block {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
    size_t tsize; /* 4 (v1) or 8 (v2+) */
    size_t start; /* offset of the first byte after the header */
    size_t trans; /* offsets of the sections */
    size_t idx;
    size_t types;
    size_t end; /* offset of the first byte after the block */
};

/* ---- small helpers ------------------------------------------------------------------ */

static int64_t floor_div64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int32_t get_i32(const uint8_t *p)
{
    uint32_t u = get_u32(p);
    if (u <= (uint32_t)INT32_MAX)
        return (int32_t)u;
    return -(int32_t)(~u) - 1;
}

static int64_t get_i64(const uint8_t *p)
{
    uint64_t u = (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
    if (u <= (uint64_t)INT64_MAX)
        return (int64_t)u;
    return -(int64_t)(~u) - 1;
}

static int64_t get_time(const uint8_t *p, size_t tsize)
{
    return tsize == 8 ? get_i64(p) : get_i32(p);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* ---- TZif header and data block ----------------------------------------------------- */

/* Reads the header at `off` and computes the block layout; checks it fits in len. */
static int read_block(const char *zone, const uint8_t *data, size_t len, size_t off, size_t tsize,
                      struct tz_block *b, struct gh_err *err)
{
    const uint8_t *h;
    uint64_t need;

    if (len < TZ_HEADER_LEN || off > len - TZ_HEADER_LEN)
        return gh_fail(err, -EINVAL, "time zone '%s': TZif header is truncated", zone);
    h = data + off;
    if (memcmp(h, "TZif", 4) != 0)
        return gh_fail(err, -EINVAL, "time zone '%s': not a TZif file (bad magic)", zone);
    b->isutcnt = get_u32(h + 20);
    b->isstdcnt = get_u32(h + 24);
    b->leapcnt = get_u32(h + 28);
    b->timecnt = get_u32(h + 32);
    b->typecnt = get_u32(h + 36);
    b->charcnt = get_u32(h + 40);
    b->tsize = tsize;
    b->start = off + TZ_HEADER_LEN;

    /* Each count is below 2^32 and each record at most 12 bytes: no uint64 overflow. */
    need = (uint64_t)b->timecnt * (tsize + 1) + (uint64_t)b->typecnt * 6 + b->charcnt +
           (uint64_t)b->leapcnt * (tsize + 4) + b->isstdcnt + b->isutcnt;
    if (need > len - b->start)
        return gh_fail(err, -EINVAL,
                       "time zone '%s': TZif counts exceed the data (%llu bytes needed, %zu "
                       "present)",
                       zone, (unsigned long long)need, len - b->start);
    b->trans = b->start;
    b->idx = b->trans + (size_t)b->timecnt * tsize;
    b->types = b->idx + b->timecnt;
    b->end = b->start + (size_t)need;
    return 0;
}

/* Checks the block that will be used: limits, types, indices, ascending transitions. */
static int check_block(const char *zone, const uint8_t *data, const struct tz_block *b,
                       struct gh_err *err)
{
    if (b->timecnt > TZ_MAX_TRANS)
        return gh_fail(err, -EINVAL, "time zone '%s': too many transitions (%u, limit %d)", zone,
                       (unsigned)b->timecnt, TZ_MAX_TRANS);
    if (b->typecnt == 0 || b->typecnt > TZ_MAX_TYPES)
        return gh_fail(err, -EINVAL,
                       "time zone '%s': bad number of local time types (%u, must be 1..%d)", zone,
                       (unsigned)b->typecnt, TZ_MAX_TYPES);
    if ((b->isutcnt != 0 && b->isutcnt != b->typecnt) ||
        (b->isstdcnt != 0 && b->isstdcnt != b->typecnt))
        return gh_fail(err, -EINVAL, "time zone '%s': indicator counts do not match types", zone);
    if (b->leapcnt != 0)
        return gh_fail(err, -EINVAL,
                       "time zone '%s': leap-second (\"right/\") zone files are not supported",
                       zone);
    for (size_t i = 0; i < b->typecnt; i++) {
        const uint8_t *t = data + b->types + i * 6;
        int32_t utoff = get_i32(t);
        if (utoff < TZ_UTOFF_MIN || utoff > TZ_UTOFF_MAX)
            return gh_fail(err, -EINVAL,
                           "time zone '%s': UTC offset %ld s of type %zu is out of range", zone,
                           (long)utoff, i);
        if (t[4] > 1)
            return gh_fail(err, -EINVAL, "time zone '%s': bad DST flag in type %zu", zone, i);
        if (t[5] >= b->charcnt)
            return gh_fail(err, -EINVAL, "time zone '%s': bad abbreviation index in type %zu", zone,
                           i);
    }
    for (size_t i = 0; i < b->timecnt; i++) {
        if (data[b->idx + i] >= b->typecnt)
            return gh_fail(err, -EINVAL, "time zone '%s': transition %zu uses type %u of %u", zone,
                           i, (unsigned)data[b->idx + i], (unsigned)b->typecnt);
        if (i > 0 && get_time(data + b->trans + i * b->tsize, b->tsize) <=
                         get_time(data + b->trans + (i - 1) * b->tsize, b->tsize))
            return gh_fail(err, -EINVAL, "time zone '%s': transitions are not in order (%zu)", zone,
                           i);
    }
    return 0;
}

/* ---- POSIX TZ footer ---------------------------------------------------------------- */

struct cursor {
    const char *p;
    const char *end;
};

static int cur_peek(const struct cursor *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static bool cur_accept(struct cursor *c, char ch)
{
    if (cur_peek(c) != (unsigned char)ch)
        return false;
    c->p++;
    return true;
}

static bool is_alpha(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* A zone abbreviation: three or more letters, or <...> of letters, digits, '+' and '-'. */
static bool parse_abbr(struct cursor *c)
{
    size_t n = 0;
    if (cur_accept(c, '<')) {
        int ch;
        while ((ch = cur_peek(c)) >= 0 &&
               (is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-')) {
            c->p++;
            n++;
        }
        return n >= 3 && cur_accept(c, '>');
    }
    while (is_alpha(cur_peek(c))) {
        c->p++;
        n++;
    }
    return n >= 3;
}

/* An unsigned decimal of 1..maxdigits digits, at most max. */
static bool parse_num(struct cursor *c, int maxdigits, unsigned max, unsigned *out)
{
    unsigned v = 0;
    int n = 0;
    while (n < maxdigits && is_digit(cur_peek(c))) {
        v = v * 10 + (unsigned)(*c->p - '0');
        c->p++;
        n++;
    }
    if (n == 0 || v > max)
        return false;
    *out = v;
    return true;
}

/* [+-]hh[:mm[:ss]] with hh <= TZ_RULE_HOURS_MAX; seconds, sign applied. */
static bool parse_hms(struct cursor *c, int32_t *out)
{
    unsigned h, m = 0, s = 0;
    int32_t sign = 1;
    if (cur_accept(c, '-'))
        sign = -1;
    else
        cur_accept(c, '+');
    if (!parse_num(c, 3, TZ_RULE_HOURS_MAX, &h))
        return false;
    if (cur_accept(c, ':')) {
        if (!parse_num(c, 2, 59, &m))
            return false;
        if (cur_accept(c, ':') && !parse_num(c, 2, 59, &s))
            return false;
    }
    *out = sign * (int32_t)(h * 3600 + m * 60 + s);
    return true;
}

/* A POSIX offset (west positive) converted to seconds east of UTC, range-checked. */
static bool parse_offset(struct cursor *c, int32_t *utoff)
{
    int32_t west;
    if (!parse_hms(c, &west))
        return false;
    *utoff = -west;
    return *utoff >= TZ_UTOFF_MIN && *utoff <= TZ_UTOFF_MAX;
}

static bool parse_rule_date(struct cursor *c, struct tz_rule_date *d)
{
    memset(d, 0, sizeof(*d));
    if (cur_accept(c, 'J')) {
        d->kind = 'J';
        if (!parse_num(c, 3, 365, &d->day) || d->day < 1)
            return false;
    } else if (cur_accept(c, 'M')) {
        d->kind = 'M';
        if (!parse_num(c, 2, 12, &d->month) || d->month < 1 || !cur_accept(c, '.') ||
            !parse_num(c, 1, 5, &d->week) || d->week < 1 || !cur_accept(c, '.') ||
            !parse_num(c, 1, 6, &d->wday))
            return false;
    } else {
        d->kind = 'N';
        if (!parse_num(c, 3, 365, &d->day))
            return false;
    }
    d->time = 2 * 3600;
    if (cur_accept(c, '/') && !parse_hms(c, &d->time))
        return false;
    return true;
}

/* Parses "std offset [dst [offset] [,start[/time],end[/time]]]". An empty string means no
 * rule. A DST zone without dates gets the US rule, as POSIX implementations do. */
static int parse_footer(const char *zone, const char *s, size_t len, struct tz_rule *r,
                        struct gh_err *err)
{
    struct cursor c = {s, s + len};

    memset(r, 0, sizeof(*r));
    if (len == 0)
        return 0;
    if (!parse_abbr(&c) || !parse_offset(&c, &r->std_off))
        goto bad;
    r->present = true;
    r->dst_off = r->std_off;
    if (c.p == c.end)
        return 0;
    if (!parse_abbr(&c))
        goto bad;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (cur_peek(&c) >= 0 && cur_peek(&c) != ',' && !parse_offset(&c, &r->dst_off))
        goto bad;
    if (r->dst_off > TZ_UTOFF_MAX)
        goto bad;
    if (c.p == c.end) {
        r->start = (struct tz_rule_date){.kind = 'M', .month = 3, .week = 2, .time = 7200};
        r->end = (struct tz_rule_date){.kind = 'M', .month = 11, .week = 1, .time = 7200};
        return 0;
    }
    if (!cur_accept(&c, ',') || !parse_rule_date(&c, &r->start) || !cur_accept(&c, ',') ||
        !parse_rule_date(&c, &r->end) || c.p != c.end)
        goto bad;
    return 0;
bad:
    return gh_fail(err, -EINVAL, "time zone '%s': bad POSIX TZ footer '%.*s'", zone, (int)len, s);
}

/* The footer must follow a v2+ block as "\n<TZ string>\n". */
static int read_footer(const char *zone, const uint8_t *data, size_t len, size_t off,
                       struct tz_rule *r, struct gh_err *err)
{
    const uint8_t *nl;
    size_t avail, flen;

    if (off >= len || data[off] != '\n')
        return gh_fail(err, -EINVAL, "time zone '%s': TZif footer is missing", zone);
    off++;
    avail = len - off;
    nl = memchr(data + off, '\n', avail < TZ_MAX_FOOTER + 1 ? avail : TZ_MAX_FOOTER + 1);
    if (nl == NULL)
        return gh_fail(err, -EINVAL,
                       avail > TZ_MAX_FOOTER
                           ? "time zone '%s': TZif footer is longer than 256 bytes"
                           : "time zone '%s': TZif footer is truncated",
                       zone);
    flen = (size_t)(nl - (data + off));
    return parse_footer(zone, (const char *)data + off, flen, r, err);
}

/* ---- parsing ------------------------------------------------------------------------ */

int tz_parse(const char *name, const uint8_t *data, size_t len, struct gh_tz **out,
             struct gh_err *err)
{
    const char *zone = name != NULL ? name : "(unnamed)";
    struct tz_block b;
    struct tz_rule rule;
    struct gh_tz *tz;
    uint8_t *idx;
    uint8_t version;
    int r;

    *out = NULL;
    if (data == NULL)
        len = 0;
    r = read_block(zone, data, len, 0, 4, &b, err);
    if (r < 0)
        return r;
    version = data[4];
    if (version != 0 && (version < '2' || version > '9'))
        return gh_fail(err, -EINVAL, "time zone '%s': unsupported TZif version 0x%02x", zone,
                       (unsigned)version);
    memset(&rule, 0, sizeof(rule));
    if (version != 0) {
        r = read_block(zone, data, len, b.end, 8, &b, err);
        if (r < 0)
            return r;
        if (data[b.start - TZ_HEADER_LEN + 4] < '2')
            return gh_fail(err, -EINVAL, "time zone '%s': bad TZif version in second header", zone);
    }
    r = check_block(zone, data, &b, err);
    if (r < 0)
        return r;
    if (version != 0) {
        r = read_footer(zone, data, len, b.end, &rule, err);
        if (r < 0)
            return r;
    }

    tz = xmalloc(sizeof(*tz) + (size_t)b.timecnt * (sizeof(int64_t) + 1));
    memset(tz, 0, sizeof(*tz));
    gh_strlcpy(tz->name, zone, sizeof(tz->name));
    tz->rule = rule;
    tz->ntypes = b.typecnt;
    for (size_t i = 0; i < b.typecnt; i++) {
        const uint8_t *t = data + b.types + i * 6;
        tz->types[i].utoff = get_i32(t);
        tz->types[i].isdst = t[4] != 0;
    }
    tz->ntrans = b.timecnt;
    idx = (uint8_t *)(tz->at + b.timecnt);
    for (size_t i = 0; i < b.timecnt; i++) {
        tz->at[i] = get_time(data + b.trans + i * b.tsize, b.tsize);
        idx[i] = data[b.idx + i];
    }
    tz->idx = idx;
    *out = tz;
    return 0;
}

void tz_free(struct gh_tz *tz)
{
    free(tz);
}

const char *tz_name(const struct gh_tz *tz)
{
    return tz != NULL ? tz->name : "UTC";
}

/* ---- loading ------------------------------------------------------------------------ */

static bool name_valid(const char *name)
{
    size_t n;
    if (name == NULL)
        return false;
    n = strnlen(name, TZ_NAME_MAX + 1);
    if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || strstr(name, "..") != NULL ||
        strstr(name, "//") != NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)name[i];
        if (!is_alpha(ch) && !is_digit(ch) && ch != '_' && ch != '+' && ch != '-' && ch != '/')
            return false;
    }
    return true;
}

int tz_load(const char *name, struct gh_tz **out, struct gh_err *err)
{
    const char *dir = getenv("GATEHOUSE_ZONEINFO");
    char path[4096];
    char *buf = NULL;
    size_t len = 0;
    int r;

    *out = NULL;
    if (!name_valid(name)) {
        r = gh_fail(err, -EINVAL, "time zone name '%.80s' is not valid",
                    name != NULL ? name : "(null)");
        goto out;
    }
    if (dir == NULL || dir[0] == '\0')
        dir = TZ_DEFAULT_DIR;
    if (gh_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0) {
        r = gh_fail(err, -EINVAL, "time zone '%s': zoneinfo path is too long", name);
        goto out;
    }
    r = gh_read_file(path, TZ_MAX_FILE, &buf, &len, NULL);
    if (r == -ENOENT || r == -EINVAL) {
        r = gh_fail(err, -ENOENT, "unknown time zone '%s'", name);
        goto out;
    }
    if (r == -EFBIG) {
        r = gh_fail(err, -EINVAL, "time zone '%s': file is larger than 1 MiB", name);
        goto out;
    }
    if (r < 0) {
        r = gh_fail(err, r, "cannot read time zone '%s': %s", name, gh_strerror(r));
        goto out;
    }
    r = tz_parse(name, (const uint8_t *)buf, len, out, err);
out:
    free(buf);
    return r;
}

/* ---- lookup ------------------------------------------------------------------------- */

/* Day (since the epoch) on which rule date d falls in year y. */
static int64_t rule_day(int64_t y, const struct tz_rule_date *d)
{
    int64_t jan1 = gh_days_from_civil(y, 1, 1);
    int64_t first, day;
    unsigned wd, dim;

    switch (d->kind) {
    case 'J':
        return jan1 + d->day - 1 + (is_leap(y) && d->day >= 60 ? 1 : 0);
    case 'N':
        return jan1 + d->day;
    default:
        break;
    }
    first = gh_days_from_civil(y, d->month, 1);
    wd = (gh_weekday_from_days(first) + 1) % 7; /* 0 = Sunday */
    day = first + (int64_t)((d->wday + 7 - wd) % 7) + (int64_t)(d->week - 1) * 7;
    dim = month_days(y, d->month);
    while (day >= first + dim)
        day -= 7;
    return day;
}

/* UTC instant of a rule change in year y, given the offset in force before it. */
static int64_t rule_instant(int64_t y, const struct tz_rule_date *d, int32_t off_before)
{
    return rule_day(y, d) * 86400 + d->time - off_before;
}

/* Evaluates the footer rule: the latest change at or before t decides. Changes of three
 * consecutive years are enough because a change is at most 167 hours from its date. On a
 * tie the later year wins and, within a year, the end of DST (so "0/0,J365/25" is DST
 * all year and a zero-length DST period is none). */
static const struct tz_type *rule_eval(const struct tz_rule *r, int64_t t, struct tz_type *tmp)
{
    int64_t y, best = 0;
    unsigned month, mday;
    bool found = false, dst = false;

    tmp->utoff = r->std_off;
    tmp->isdst = false;
    if (!r->has_dst)
        return tmp;
    if (t > TZ_RULE_T_LIMIT)
        t = TZ_RULE_T_LIMIT;
    if (t < -TZ_RULE_T_LIMIT)
        t = -TZ_RULE_T_LIMIT;
    gh_civil_from_days(floor_div64(t + r->std_off, 86400), &y, &month, &mday);
    for (int64_t yr = y - 1; yr <= y + 1; yr++) {
        int64_t s = rule_instant(yr, &r->start, r->std_off);
        int64_t e = rule_instant(yr, &r->end, r->dst_off);
        if (s <= t && (!found || s >= best)) {
            best = s;
            dst = true;
            found = true;
        }
        if (e <= t && (!found || e >= best)) {
            best = e;
            dst = false;
            found = true;
        }
    }
    if (dst) {
        tmp->utoff = r->dst_off;
        tmp->isdst = true;
    }
    return tmp;
}

static const struct tz_type *type_at(const struct gh_tz *tz, int64_t t, struct tz_type *tmp)
{
    const int64_t *base = tz->at;
    size_t n = tz->ntrans;

    if (tz->ntrans == 0)
        return tz->rule.present ? rule_eval(&tz->rule, t, tmp) : &tz->types[0];
    if (t < tz->at[0])
        return &tz->types[0];
    if (t > tz->at[tz->ntrans - 1] && tz->rule.present)
        return rule_eval(&tz->rule, t, tmp);
    /* Largest i with at[i] <= t. Invariant: base[0] <= t, and the answer is in base[0..n).
     * The loop has no data-dependent branch (the compiler emits a conditional move), which
     * matters more than the comparison count for tables of a few hundred entries. */
    while (n > 1) {
        size_t half = n / 2;
        base = base[half] <= t ? base + half : base;
        n -= half;
    }
    return &tz->types[tz->idx[base - tz->at]];
}

int32_t tz_offset_at(const struct gh_tz *tz, int64_t t_s)
{
    struct tz_type tmp;
    if (tz == NULL)
        return 0;
    return type_at(tz, t_s, &tmp)->utoff;
}

bool tz_is_dst_at(const struct gh_tz *tz, int64_t t_s)
{
    struct tz_type tmp;
    if (tz == NULL)
        return false;
    return type_at(tz, t_s, &tmp)->isdst;
}

void tz_local(const struct gh_tz *tz, int64_t t_us, struct gh_local *out)
{
    int64_t t_s = floor_div64(t_us, GH_USEC_PER_SEC);
    int32_t off = tz_offset_at(tz, t_s);
    int64_t local = t_s + off;
    int64_t days = floor_div64(local, 86400);
    int64_t sod = local - days * 86400;

    out->days = days;
    out->weekday = gh_weekday_from_days(days);
    out->second = (unsigned)sod;
    out->minute = (unsigned)(sod / 60);
    out->utc_offset = off;
}

/* Candidate offsets are those in force at both ends of the window a solution can lie in
 * (offsets are within [-25h, +26h]) plus the offsets found at the first guesses. A
 * candidate o is a solution when the offset at L - o is o itself. */
int64_t tz_utc_from_local(const struct gh_tz *tz, int64_t days, unsigned second_of_day)
{
    int32_t cand[4];
    size_t ncand = 0;
    int64_t local, best = 0;
    bool found = false;

    if (days > TZ_DAYS_LIMIT)
        days = TZ_DAYS_LIMIT;
    if (days < -TZ_DAYS_LIMIT)
        days = -TZ_DAYS_LIMIT;
    local = days * 86400 + second_of_day;
    if (tz == NULL)
        return local;
    cand[ncand++] = tz_offset_at(tz, local - TZ_UTOFF_MAX - 1);
    cand[ncand++] = tz_offset_at(tz, local - TZ_UTOFF_MIN + 1);
    cand[ncand++] = tz_offset_at(tz, local - cand[0]);
    cand[ncand++] = tz_offset_at(tz, local - cand[1]);
    for (size_t i = 0; i < ncand; i++) {
        int64_t t = local - cand[i];
        if (tz_offset_at(tz, t) == cand[i] && (!found || t < best)) {
            best = t;
            found = true;
        }
    }
    if (found)
        return best;
    /* In a gap: read the wall time with the offset from before the gap, which lands after
     * the change, i.e. the time moves forward by the length of the gap. */
    for (size_t i = 0; i < ncand; i++) {
        if (tz_offset_at(tz, local - cand[i]) > cand[i])
            return local - cand[i];
    }
    return local - cand[0];
}
