/*
 * model.c: name tables for the domain enumerations, card-format ranges, and validation of
 * names, identifiers, e-mail addresses, cards and schedules. Pure functions, no I/O.
 *
 * Each enumeration has one name table; the stored numbers are the enum values, the
 * external spelling (CLI, CSV, JSON, SQL CHECKs in migrations) is the table's text.
 */
#include "model/model.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const person_kind_names[] = {"employee", "contractor", "visitor"};
static const char *const person_status_names[] = {"active", "on_leave", "suspended", "terminated"};
static const char *const cred_status_names[] = {"active", "suspended", "lost",
                                                "stolen", "expired",   "revoked"};
static const char *const cred_format_names[] = {"h10301", "h10306", "c1000", "h10304"};
static const char *const door_mode_names[] = {"card", "card_pin", "unlocked_schedule",
                                              "locked_down"};
static const char *const door_fail_names[] = {"secure", "safe"};
static const char *const apb_mode_names[] = {"none", "soft", "hard"};
static const char *const direction_names[] = {"entry", "exit"};
static const char *const event_type_names[] = {
    "access.decision",       "door.forced",        "door.held",     "door.rex",
    "door.tamper",           "door.state",         "alarm",         "operator.action",
    "roster.import",         "credential.revoked", "access.review", "user.sign_in",
    "user.sign_in_failed",   "user.sign_out",      "edge.enrolled", "edge.refused",
    "edge.journal_overflow", "incident",           "rule.script"};
static const char *const alarm_status_names[] = {"open", "acknowledged", "cleared"};
static const char *const incident_status_names[] = {"new", "acknowledged", "investigating",
                                                    "resolved", "closed"};
static const char *const step_state_names[] = {"open", "done", "skipped"};

_Static_assert(GH_ARRAY_LEN(person_kind_names) == PERSON_KIND_COUNT, "person_kind names");
_Static_assert(GH_ARRAY_LEN(person_status_names) == PERSON_STATUS_COUNT, "status names");
_Static_assert(GH_ARRAY_LEN(cred_status_names) == CRED_STATUS_COUNT, "cred status names");
_Static_assert(GH_ARRAY_LEN(cred_format_names) == CRED_FORMAT_COUNT, "format names");
_Static_assert(GH_ARRAY_LEN(door_mode_names) == DOOR_MODE_COUNT, "door mode names");
_Static_assert(GH_ARRAY_LEN(door_fail_names) == DOOR_FAIL_COUNT, "door fail names");
_Static_assert(GH_ARRAY_LEN(apb_mode_names) == APB_MODE_COUNT, "apb names");
_Static_assert(GH_ARRAY_LEN(direction_names) == DIR_COUNT, "direction names");
_Static_assert(GH_ARRAY_LEN(event_type_names) == EV_TYPE_COUNT, "event type names");
_Static_assert(GH_ARRAY_LEN(alarm_status_names) == ALARM_STATUS_COUNT, "alarm status names");
_Static_assert(GH_ARRAY_LEN(incident_status_names) == INC_STATUS_COUNT, "incident status names");
_Static_assert(GH_ARRAY_LEN(step_state_names) == STEP_STATE_COUNT, "step state names");

static const char *name_of(const char *const *names, int count, int v)
{
    return v >= 0 && v < count ? names[v] : "unknown";
}

/* Matches s against the table case-insensitively, treating ' ' and '-' as '_'. */
static int parse_name(const char *what, const char *const *names, int count, const char *s,
                      int *out, struct gh_err *err)
{
    char norm[64];
    size_t i, n = strlen(s);
    char list[256];
    size_t used = 0;

    if (n < sizeof(norm)) {
        for (i = 0; i < n; i++) {
            char c = (char)tolower((unsigned char)s[i]);
            norm[i] = (c == ' ' || c == '-') ? '_' : c;
        }
        norm[n] = '\0';
        for (int k = 0; k < count; k++) {
            if (strcmp(norm, names[k]) == 0) {
                *out = k;
                return 0;
            }
        }
    }
    list[0] = '\0';
    for (int k = 0; k < count; k++) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "", names[k]);
        if (w < 0 || (size_t)w >= sizeof(list) - used)
            break;
        used += (size_t)w;
    }
    return gh_fail(err, -EINVAL, "%s '%.64s' is not one of: %s", what, s, list);
}

#define ENUM_FUNCS(type, prefix, names, count, what)                                               \
    const char *prefix##_name(enum type v)                                                         \
    {                                                                                              \
        return name_of(names, count, (int)v);                                                      \
    }                                                                                              \
    int prefix##_parse(const char *s, enum type *out, struct gh_err *err)                          \
    {                                                                                              \
        int v = 0;                                                                                 \
        int r = parse_name(what, names, count, s, &v, err);                                        \
        if (r == 0)                                                                                \
            *out = (enum type)v;                                                                   \
        return r;                                                                                  \
    }                                                                                              \
    const struct model_enum model_enum_##prefix = {what, names, count};

ENUM_FUNCS(person_kind, person_kind, person_kind_names, PERSON_KIND_COUNT, "kind")
ENUM_FUNCS(person_status, person_status, person_status_names, PERSON_STATUS_COUNT, "status")
ENUM_FUNCS(cred_status, cred_status, cred_status_names, CRED_STATUS_COUNT, "credential status")
ENUM_FUNCS(cred_format, cred_format, cred_format_names, CRED_FORMAT_COUNT, "card format")
ENUM_FUNCS(door_mode, door_mode, door_mode_names, DOOR_MODE_COUNT, "door mode")
ENUM_FUNCS(door_fail, door_fail, door_fail_names, DOOR_FAIL_COUNT, "fail mode")
ENUM_FUNCS(apb_mode, apb_mode, apb_mode_names, APB_MODE_COUNT, "anti-passback mode")
ENUM_FUNCS(direction, direction, direction_names, DIR_COUNT, "direction")
ENUM_FUNCS(event_type, event_type, event_type_names, EV_TYPE_COUNT, "event type")
ENUM_FUNCS(alarm_status, alarm_status, alarm_status_names, ALARM_STATUS_COUNT, "alarm status")
ENUM_FUNCS(incident_status, incident_status, incident_status_names, INC_STATUS_COUNT,
           "incident status")
ENUM_FUNCS(step_state, step_state, step_state_names, STEP_STATE_COUNT, "step state")

int model_enum_parse(const struct model_enum *e, const char *s, int *out, struct gh_err *err)
{
    return parse_name(e->what, e->names, e->count, s, out, err);
}

const char *model_enum_name(const struct model_enum *e, int v)
{
    return name_of(e->names, e->count, v);
}

/* One row per format: total bits, facility bits, card bits. */
static const struct {
    unsigned bits, fac_bits, num_bits;
} formats[CRED_FORMAT_COUNT] = {
    [CRED_FMT_H10301] = {26, 8, 16},
    [CRED_FMT_H10306] = {34, 16, 16},
    [CRED_FMT_C1000_35] = {35, 12, 20},
    [CRED_FMT_H10304] = {37, 16, 19},
};

uint32_t cred_format_facility_max(enum cred_format f)
{
    return (unsigned)f < CRED_FORMAT_COUNT ? (UINT32_C(1) << formats[f].fac_bits) - 1 : 0;
}

uint64_t cred_format_number_max(enum cred_format f)
{
    return (unsigned)f < CRED_FORMAT_COUNT ? (UINT64_C(1) << formats[f].num_bits) - 1 : 0;
}

unsigned cred_format_bits(enum cred_format f)
{
    return (unsigned)f < CRED_FORMAT_COUNT ? formats[f].bits : 0;
}

int model_check_name(const char *field, const char *s, struct gh_err *err)
{
    size_t n = strlen(s);
    if (n == 0)
        return gh_fail(err, -EINVAL, "%s: must not be empty", field);
    if (n >= MODEL_NAME_MAX)
        return gh_fail(err, -EINVAL, "%s: longer than %d bytes", field, MODEL_NAME_MAX - 1);
    if (!gh_utf8_valid_text(s, n))
        return gh_fail(err, -EINVAL, "%s: not printable UTF-8 text", field);
    if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
        return gh_fail(err, -EINVAL, "%s: '%s' starts or ends with white space", field, s);
    return 0;
}

int model_check_ext_id(const char *field, const char *s, struct gh_err *err)
{
    size_t n = strlen(s);
    if (n == 0)
        return gh_fail(err, -EINVAL, "%s: must not be empty", field);
    if (n >= MODEL_ID_MAX)
        return gh_fail(err, -EINVAL, "%s: longer than %d characters", field, MODEL_ID_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-')
            return gh_fail(err, -EINVAL, "%s: '%.64s' may contain only letters, digits and . _ : -",
                           field, s);
    }
    return 0;
}

int model_check_email(const char *field, const char *s, struct gh_err *err)
{
    size_t n = strlen(s);
    const char *at;
    if (n == 0)
        return 0;
    at = strchr(s, '@');
    if (n > MODEL_EMAIL_MAX || !gh_utf8_valid_text(s, n) || at == NULL || at == s ||
        at[1] == '\0' || strchr(at + 1, '@') != NULL || strpbrk(s, " \t<>,;\"") != NULL)
        return gh_fail(err, -EINVAL, "%s: '%.64s' is not an e-mail address", field, s);
    return 0;
}

int model_check_card(enum cred_format f, uint32_t facility, uint64_t number, struct gh_err *err)
{
    if ((unsigned)f >= CRED_FORMAT_COUNT)
        return gh_fail(err, -EINVAL, "format: unknown card format");
    if (facility > cred_format_facility_max(f))
        return gh_fail(err, -ERANGE, "facility: %u is above %u, the largest for %s", facility,
                       cred_format_facility_max(f), cred_format_name(f));
    if (number > cred_format_number_max(f))
        return gh_fail(err, -ERANGE, "number: %llu is above %llu, the largest for %s",
                       (unsigned long long)number, (unsigned long long)cred_format_number_max(f),
                       cred_format_name(f));
    return 0;
}

int model_check_schedule(const struct schedule *s, struct gh_err *err)
{
    int r = model_check_name("name", s->name, err);
    if (r < 0)
        return r;
    if (s->n_intervals < 0 || s->n_intervals > SCHEDULE_MAX_INTERVALS)
        return gh_fail(err, -EINVAL, "intervals: at most %d", SCHEDULE_MAX_INTERVALS);
    for (int i = 0; i < s->n_intervals; i++) {
        const struct sched_interval *iv = &s->intervals[i];
        if (iv->days == 0 || iv->start_min > 1439 || iv->end_min < 1 || iv->end_min > 1440)
            return gh_fail(err, -EINVAL, "intervals[%d]: days or times out of range", i);
    }
    return 0;
}

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "hol"};

static int parse_day(const char *s, size_t n, int *out)
{
    for (int i = 0; i < 8; i++) {
        if (n == 3 && strncasecmp(s, day_names[i], 3) == 0) {
            *out = i;
            return 0;
        }
    }
    return -EINVAL;
}

/* "HH:MM" -> minutes; allow_24 permits "24:00". */
static int parse_hhmm(const char *s, size_t n, bool allow_24, unsigned *out)
{
    unsigned h, m;
    if (n != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -EINVAL;
    h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
        return -EINVAL;
    *out = h * 60 + m;
    return 0;
}

int sched_interval_parse(const char *s, struct sched_interval *out, struct gh_err *err)
{
    const char *sp = strchr(s, ' ');
    const char *p, *dash;
    unsigned days = 0, start, end;

    if (strlen(s) > 128 || sp == NULL)
        goto bad;
    /* days: comma list of "mon", "mon-fri", "daily", "weekdays", "weekends", "hol" */
    p = s;
    while (p < sp) {
        const char *comma = memchr(p, ',', (size_t)(sp - p));
        const char *tok_end = comma ? comma : sp;
        size_t n = (size_t)(tok_end - p);
        int a, b;
        if (n == 5 && strncasecmp(p, "daily", 5) == 0) {
            days |= SCHED_DAYS_ALL;
        } else if (n == 8 && strncasecmp(p, "weekdays", 8) == 0) {
            days |= 0x1f;
        } else if (n == 8 && strncasecmp(p, "weekends", 8) == 0) {
            days |= 0x60;
        } else if (n == 7 && p[3] == '-' && parse_day(p, 3, &a) == 0 &&
                   parse_day(p + 4, 3, &b) == 0 && a < 7 && b < 7) {
            for (int d = a;; d = (d + 1) % 7) {
                days |= 1u << d;
                if (d == b)
                    break;
            }
        } else if (parse_day(p, n, &a) == 0) {
            days |= 1u << a;
        } else {
            goto bad;
        }
        p = comma ? comma + 1 : sp;
    }
    p = sp + 1;
    dash = strchr(p, '-');
    if (dash == NULL || parse_hhmm(p, (size_t)(dash - p), false, &start) < 0 ||
        parse_hhmm(dash + 1, strlen(dash + 1), true, &end) < 0 || end == 0)
        goto bad;
    if (end == start)
        goto bad;
    out->days = (uint8_t)days;
    out->start_min = (uint16_t)start;
    out->end_min = (uint16_t)end;
    return 0;
bad:
    return gh_fail(err, -EINVAL,
                   "interval '%.128s' is not like 'mon-fri 08:00-18:00' (days: mon..sun, "
                   "mon-fri, daily, weekdays, weekends, hol; times HH:MM-HH:MM, 24:00 ok, "
                   "end before start crosses midnight)",
                   s);
}

void sched_interval_format(const struct sched_interval *iv, char *buf, size_t len)
{
    size_t used = 0;
    bool first = true;
    if (len == 0)
        return;
    buf[0] = '\0';
    if ((iv->days & SCHED_DAYS_ALL) == SCHED_DAYS_ALL) {
        used = (size_t)snprintf(buf, len, "daily");
        first = false;
    }
    for (int d = 0; d < 8 && used < len; d++) {
        if (d < 7 && (iv->days & SCHED_DAYS_ALL) == SCHED_DAYS_ALL)
            continue;
        if (iv->days & (1u << d)) {
            int w = snprintf(buf + used, len - used, "%s%s", first ? "" : ",", day_names[d]);
            if (w < 0)
                return;
            used += (size_t)w;
            first = false;
        }
    }
    if (used < len)
        snprintf(buf + used, len - used, " %02u:%02u-%02u:%02u", iv->start_min / 60u,
                 iv->start_min % 60u, iv->end_min / 60u, iv->end_min % 60u);
}
