/*
 * test_decide.c: the decision engine end to end: a policy built through the store API in a
 * temporary database, compiled with access_compile() and a 32-byte test site key, then
 * access_decide(). Every reason code of enum access_reason is produced (and checked
 * against its explanation: at least one step, the last failing step names the check that
 * failed, access_explain_format() renders it), plus raw Wiegand reads, Europe/Berlin's
 * 2026 DST changes in both directions, an interval that crosses midnight, doors unlocked
 * by schedule, anti-passback with access_state, escorts, and the engine publishing 50
 * snapshots while 4 threads decide on whatever is current.
 *
 * The site is in Europe/Berlin. Areas: Outside (top level), Lobby (top level), Lab (inside
 * Lobby). Doors: Main (Outside -> Lobby, card), Lab (Lobby -> Lab, card + PIN), Fire (Outside
 * -> Lab, entry reader only), Reception (Outside -> Lobby, unlocked during office hours).
 * Alice (employee, card H10301 10:1001, PIN 1234) has the Staff level: Main and Reception
 * during Office hours (Mon-Fri 08:00-18:00 with the DE holiday calendar), Lab and Fire
 * always.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include <cmocka.h>

#include "access/access.h"
#include "../support.h"

#define US       INT64_C(1000000)
#define MINUTE   (60 * US)
#define HM(h, m) ((h)*60 + (m))
#define MON_FRI  0x1fu
#define FRI      (1u << 4)

static const uint8_t site_key[ACCESS_SITE_KEY_LEN] = {
    0x67, 0x61, 0x74, 0x65, 0x68, 0x6f, 0x75, 0x73, 0x65, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x6b,
    0x65, 0x79, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63};

#define FAC       10u
#define ALICE_NUM 1001u

/* ---- fixture --------------------------------------------------------------------------- */

struct fx {
    char dir[64];
    char path[128];
    struct store *st;
    struct gh_tz *tz;
    int64_t site, outside, lobby, lab;
    int64_t main_door, lab_door, fire_door, reception;
    int64_t cal, s_always, s_office, s_night, s_dst, s_office_hol;
    int64_t staff, lab_only;
    int64_t alice, alice_card;
};

#define OK_E(expr) /* OK() that also prints err.msg */                                             \
    do {                                                                                           \
        int r_ = (expr);                                                                           \
        if (r_ != 0)                                                                               \
            fail_msg("line %d: %s: %d (%s) %s", __LINE__, #expr, r_, gh_strerror(r_), err.msg);    \
    } while (0)

static int64_t add_area(struct fx *f, const char *name, int64_t parent)
{
    struct area a = {0};
    struct gh_err err = {{0}};
    a.site_id = f->site;
    a.parent_id = parent;
    gh_strlcpy(a.name, name, sizeof(a.name));
    OK_E(store_area_insert(f->st, &a, &err));
    return a.id;
}

static int64_t add_door(struct fx *f, const char *name, int64_t from, int64_t to,
                        enum door_mode mode, int64_t unlock_sched, bool exit_reader)
{
    struct door d = {0};
    struct gh_err err = {{0}};
    d.site_id = f->site;
    gh_strlcpy(d.name, name, sizeof(d.name));
    d.from_area_id = from;
    d.to_area_id = to;
    d.mode = mode;
    d.unlock_schedule_id = unlock_sched;
    d.unlock_ms = 5000;
    d.held_open_s = 30;
    d.has_entry_reader = true;
    d.has_exit_reader = exit_reader;
    OK_E(store_door_insert(f->st, &d, &err));
    return d.id;
}

static int64_t add_schedule(struct fx *f, const char *name, int64_t cal, int n,
                            const struct sched_interval *iv)
{
    struct schedule s = {0};
    struct gh_err err = {{0}};
    gh_strlcpy(s.name, name, sizeof(s.name));
    s.calendar_id = cal;
    s.n_intervals = n;
    for (int i = 0; i < n; i++)
        s.intervals[i] = iv[i];
    OK_E(store_schedule_insert(f->st, &s, &err));
    return s.id;
}

static int64_t add_level(struct fx *f, const char *name)
{
    struct access_level l = {0};
    struct gh_err err = {{0}};
    gh_strlcpy(l.name, name, sizeof(l.name));
    OK_E(store_level_insert(f->st, &l, &err));
    return l.id;
}

static void level_door(struct fx *f, int64_t level, int64_t door, int64_t sched)
{
    struct gh_err err = {{0}};
    OK_E(store_level_door_set(f->st, &(struct level_door){level, door, sched}, &err));
}

static int64_t add_person(struct fx *f, const char *emp, enum person_kind kind)
{
    struct person p = {0};
    struct gh_err err = {{0}};
    gh_strlcpy(p.employee_id, emp, sizeof(p.employee_id));
    gh_strlcpy(p.first_name, "Test", sizeof(p.first_name));
    gh_strlcpy(p.last_name, emp, sizeof(p.last_name));
    p.kind = kind;
    p.status = PERSON_ACTIVE;
    p.valid_from = GH_TIME_MIN;
    p.valid_until = GH_TIME_MAX;
    OK_E(store_person_insert(f->st, &p, &err));
    return p.id;
}

/* An H10301 card FAC:number; with a PIN when pin is not NULL. */
static int64_t add_card(struct fx *f, int64_t person, uint64_t number, const char *pin)
{
    struct credential c = {0};
    struct gh_err err = {{0}};
    c.person_id = person;
    c.format = CRED_FMT_H10301;
    c.facility = FAC;
    c.number = number;
    c.status = CRED_ACTIVE;
    c.valid_from = GH_TIME_MIN;
    c.valid_until = GH_TIME_MAX;
    OK_E(store_credential_insert(f->st, &c, &err));
    if (pin != NULL) {
        access_pin_hash(site_key, c.id, pin, c.pin_hash);
        c.has_pin = true;
        OK_E(store_credential_update(f->st, &c, &err));
    }
    return c.id;
}

static void assign(struct fx *f, int64_t person, int64_t level, int64_t expires)
{
    struct assignment a = {0, person, level, expires};
    struct gh_err err = {{0}};
    OK_E(store_assignment_set(f->st, &a, &err));
}

/* An employee with a card and the given level (no PIN). */
static int64_t add_holder(struct fx *f, const char *emp, enum person_kind kind, uint64_t number,
                          int64_t level)
{
    int64_t p = add_person(f, emp, kind);
    add_card(f, p, number, NULL);
    if (level != 0)
        assign(f, p, level, GH_TIME_MAX);
    return p;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct gh_err err = {{0}};
    struct site s = {0};
    const struct sched_interval always = {0x7f, 0, 1440};
    const struct sched_interval office = {MON_FRI, HM(8, 0), HM(18, 0)};
    const struct sched_interval night = {FRI, HM(22, 0), HM(6, 0)};
    const struct sched_interval dst = {0x7f, HM(2, 0), HM(3, 0)};
    const struct sched_interval office_hol[] = {{MON_FRI | SCHED_DAY_HOLIDAY, HM(8, 0), HM(18, 0)}};
    struct holiday_calendar cal = {0};
    struct holiday h = {0};

    if (f == NULL)
        return -1;
    gh_strlcpy(f->dir, "/tmp/gh_decide_XXXXXX", sizeof(f->dir));
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    gh_snprintf(f->path, sizeof(f->path), "%s/gatehouse.db", f->dir);
    OK_E(store_open(f->path, STORE_CREATE, &f->st, &err));
    OK_E(tz_load("Europe/Berlin", &f->tz, &err));

    OK_E(store_begin_write(f->st));
    gh_strlcpy(s.name, "HQ", sizeof(s.name));
    gh_strlcpy(s.timezone, "Europe/Berlin", sizeof(s.timezone));
    OK_E(store_site_insert(f->st, &s, &err));
    f->site = s.id;
    f->outside = add_area(f, "Outside", 0);
    f->lobby = add_area(f, "Lobby", 0);
    f->lab = add_area(f, "Lab", f->lobby);

    gh_strlcpy(cal.name, "DE", sizeof(cal.name));
    OK_E(store_calendar_insert(f->st, &cal, &err));
    f->cal = cal.id;
    h.calendar_id = cal.id;
    h.day = gh_days_from_civil(2026, 5, 1); /* a Friday */
    gh_strlcpy(h.name, "Tag der Arbeit", sizeof(h.name));
    OK_E(store_holiday_insert(f->st, &h, &err));

    f->s_always = add_schedule(f, "Always", 0, 1, &always);
    f->s_office = add_schedule(f, "Office", f->cal, 1, &office);
    f->s_night = add_schedule(f, "Night shift", 0, 1, &night);
    f->s_dst = add_schedule(f, "Two to three", 0, 1, &dst);
    f->s_office_hol = add_schedule(f, "Office incl. holidays", f->cal, 1, office_hol);

    f->main_door = add_door(f, "Main", f->outside, f->lobby, DOOR_CARD, 0, true);
    f->lab_door = add_door(f, "Lab", f->lobby, f->lab, DOOR_CARD_PIN, 0, true);
    f->fire_door = add_door(f, "Fire", f->outside, f->lab, DOOR_CARD, 0, false);
    f->reception =
        add_door(f, "Reception", f->outside, f->lobby, DOOR_UNLOCKED_SCHEDULE, f->s_office, true);

    f->staff = add_level(f, "Staff");
    level_door(f, f->staff, f->main_door, f->s_office);
    level_door(f, f->staff, f->reception, f->s_office);
    level_door(f, f->staff, f->lab_door, f->s_always);
    level_door(f, f->staff, f->fire_door, f->s_always);
    f->lab_only = add_level(f, "Lab only");
    level_door(f, f->lab_only, f->lab_door, f->s_always);

    f->alice = add_person(f, "E0001", PERSON_EMPLOYEE);
    f->alice_card = add_card(f, f->alice, ALICE_NUM, "1234");
    assign(f, f->alice, f->staff, GH_TIME_MAX);
    OK_E(store_commit(f->st));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    tz_free(f->tz);
    rm_tree(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static struct access_snapshot *compile(struct fx *f)
{
    struct access_snapshot *snap = NULL;
    struct gh_err err = {{0}};
    OK_E(access_compile(f->st, site_key, &snap, &err));
    assert_non_null(snap);
    assert_int_equal(access_snapshot_version(snap), store_policy_version(f->st));
    return snap;
}

/* UTC microseconds of a Berlin wall-clock time (not in a DST gap or overlap). */
static int64_t berlin(struct fx *f, int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
    return tz_utc_from_local(f->tz, gh_days_from_civil(y, mo, d), h * 3600 + mi * 60) * US;
}

static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
    return (gh_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * US;
}

/* Wednesday 2026-03-11 10:00 in Berlin: office hours, no holiday. */
static int64_t workday(struct fx *f)
{
    return berlin(f, 2026, 3, 11, 10, 0);
}

static struct access_request card_req(int64_t door, enum direction dir, uint64_t number, int64_t t)
{
    struct access_request r;
    memset(&r, 0, sizeof(r));
    r.door_id = door;
    r.direction = dir;
    r.cred.card.format = CRED_FMT_H10301;
    r.cred.card.facility = FAC;
    r.cred.card.number = number;
    r.time_us = t;
    return r;
}

static void raw_bits(uint64_t number, struct access_presented *p)
{
    struct wiegand_card card = {CRED_FMT_H10301, FAC, number};
    struct gh_err err = {{0}};
    memset(p, 0, sizeof(*p));
    p->raw = true;
    OK_E(wiegand_encode(&card, p->bits, &p->nbits, &err));
    assert_int_equal(p->nbits, 26);
}

/* The check an explanation must end on for each reason. */
static const char *reason_check(enum access_reason r)
{
    switch (r) {
    case REASON_GRANTED:
        return "decision";
    case REASON_UNKNOWN_DOOR:
        return "door";
    case REASON_INVALID_READ:
        return "read";
    case REASON_UNKNOWN_CREDENTIAL:
    case REASON_CREDENTIAL_INACTIVE:
    case REASON_CREDENTIAL_EXPIRED:
    case REASON_CREDENTIAL_NOT_YET_VALID:
        return "credential";
    case REASON_PERSON_INACTIVE:
        return "person";
    case REASON_DOOR_LOCKED_DOWN:
        return "lockdown";
    case REASON_NO_ACCESS_LEVEL:
    case REASON_OUTSIDE_SCHEDULE:
    case REASON_HOLIDAY:
        return "level";
    case REASON_ESCORT_REQUIRED:
        return "escort";
    case REASON_ANTIPASSBACK:
        return "apb";
    case REASON_PIN_REQUIRED:
    case REASON_PIN_INCORRECT:
        return "pin";
    default:
        return "?";
    }
}

static unsigned reasons_seen; /* bit per reason code produced by check() */

/* Decides and checks the reason, the result's invariants and the explanation. */
static struct access_result check(const struct access_snapshot *snap, struct access_state *state,
                                  const struct access_request *req, enum access_reason want,
                                  int line)
{
    struct access_result res, res2;
    struct access_explain *ex = calloc(1, sizeof(*ex));
    struct gh_buf text;
    const struct access_explain_step *last;
    int r;

    assert_non_null(ex);
    gh_buf_init(&text, 1 << 16);
    r = access_decide(snap, state, req, &res, ex);
    if (r != 0)
        fail_msg("line %d: access_decide returned %d", line, r);
    assert_int_equal(access_explain_format(ex, &text), 0);
    if (res.reason != want)
        fail_msg("line %d: got %s, want %s\n%s", line, access_reason_name(res.reason),
                 access_reason_name(want), gh_buf_cstr(&text));
    reasons_seen |= 1u << res.reason;
    assert_int_equal(res.granted, want == REASON_GRANTED);
    assert_int_equal(res.policy_version, access_snapshot_version(snap));
    assert_int_equal(res.door_id, req->door_id);
    assert_int_equal(res.direction, req->direction);

    /* the explanation: at least one step, ending on the check that decided */
    if (ex->n < 1)
        fail_msg("line %d: empty explanation", line);
    last = &ex->steps[ex->n - 1];
    if (want == REASON_GRANTED) {
        assert_true(last->ok);
    } else {
        if (last->ok)
            fail_msg("line %d: last step '%s' is ok for a denial\n%s", line, last->check,
                     gh_buf_cstr(&text));
    }
    if (strcmp(last->check, reason_check(want)) != 0)
        fail_msg("line %d: last step is '%s', want '%s'\n%s", line, last->check, reason_check(want),
                 gh_buf_cstr(&text));
    assert_true(text.len > 0);
    assert_non_null(strstr(gh_buf_cstr(&text), reason_check(want)));
    if (want != REASON_GRANTED)
        assert_non_null(strstr(gh_buf_cstr(&text), "FAIL"));

    /* without an explanation the answer is the same */
    r = access_decide(snap, state, req, &res2, NULL);
    assert_int_equal(r, 0);
    assert_int_equal(res2.reason, res.reason);
    assert_int_equal(res2.flags, res.flags);
    assert_int_equal(res2.credential_id, res.credential_id);

    gh_buf_free(&text);
    free(ex);
    return res;
}
#define CHECK(snap, state, req, want) check((snap), (state), (req), (want), __LINE__)

/* Decides a card read of `number` at `door` (entry) at time t, expecting `want`. */
#define EXPECT_CARD(snap, door, number, t, want)                                                   \
    do {                                                                                           \
        struct access_request rq_ = card_req((door), DIR_ENTRY, (number), (t));                    \
        CHECK((snap), NULL, &rq_, (want));                                                         \
    } while (0)

static void update_cred_status(struct fx *f, int64_t id, enum cred_status status)
{
    struct credential c;
    struct gh_err err = {{0}};
    OK_E(store_credential_get(f->st, id, &c));
    c.status = status;
    OK_E(store_credential_update(f->st, &c, &err));
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_granted_and_result(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap = compile(f);
    struct access_request rq = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, workday(f));
    struct access_result res = CHECK(snap, NULL, &rq, REASON_GRANTED);

    assert_int_equal(res.credential_id, f->alice_card);
    assert_int_equal(res.person_id, f->alice);
    assert_int_equal(res.level_id, f->staff);
    assert_int_equal(res.schedule_id, f->s_office);
    assert_int_equal(res.flags, 0);
    assert_int_equal(res.policy_version, store_policy_version(f->st));
    assert_int_equal(access_snapshot_credentials(snap), 1);
    assert_true(access_snapshot_bytes(snap) > 0);
    assert_int_equal(access_snapshot_door_by_name(snap, "Main"), f->main_door);
    assert_int_equal(access_snapshot_door_by_name(snap, "Nope"), 0);

    /* exit through Main is fine too (same level, same schedule) */
    rq.direction = DIR_EXIT;
    CHECK(snap, NULL, &rq, REASON_GRANTED);

    /* malformed requests */
    rq.direction = (enum direction)7;
    assert_int_equal(access_decide(snap, NULL, &rq, &res, NULL), -EINVAL);
    rq.direction = DIR_ENTRY;
    rq.cred.raw = true;
    rq.cred.nbits = WIEGAND_MAX_BITS + 1;
    assert_int_equal(access_decide(snap, NULL, &rq, &res, NULL), -EINVAL);
    access_snapshot_free(snap);
}

static void test_unknown_door(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap = compile(f);
    struct access_request rq = card_req(f->main_door + 1000, DIR_ENTRY, ALICE_NUM, workday(f));
    struct access_result res = CHECK(snap, NULL, &rq, REASON_UNKNOWN_DOOR);
    assert_int_equal(res.credential_id, 0);
    /* the fire door has no exit reader */
    rq = card_req(f->fire_door, DIR_EXIT, ALICE_NUM, workday(f));
    CHECK(snap, NULL, &rq, REASON_UNKNOWN_DOOR);
    rq.direction = DIR_ENTRY;
    CHECK(snap, NULL, &rq, REASON_GRANTED);
    access_snapshot_free(snap);
}

static void test_unknown_credential_and_raw_reads(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap = compile(f);
    struct access_request rq = card_req(f->main_door, DIR_ENTRY, 9999, workday(f));
    struct access_result res = CHECK(snap, NULL, &rq, REASON_UNKNOWN_CREDENTIAL);
    assert_int_equal(res.credential_id, 0);
    assert_int_equal(res.person_id, 0);

    /* right number, other facility / format */
    rq = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, workday(f));
    rq.cred.card.facility = FAC + 1;
    CHECK(snap, NULL, &rq, REASON_UNKNOWN_CREDENTIAL);
    rq.cred.card.facility = FAC;
    rq.cred.card.format = CRED_FMT_H10306;
    CHECK(snap, NULL, &rq, REASON_UNKNOWN_CREDENTIAL);

    /* raw Wiegand bits of Alice's card are granted */
    rq = card_req(f->main_door, DIR_ENTRY, 0, workday(f));
    raw_bits(ALICE_NUM, &rq.cred);
    res = CHECK(snap, NULL, &rq, REASON_GRANTED);
    assert_int_equal(res.credential_id, f->alice_card);
    assert_int_equal(res.person_id, f->alice);

    /* a flipped data bit breaks the leading even parity */
    rq.cred.bits[5] ^= 1;
    res = CHECK(snap, NULL, &rq, REASON_INVALID_READ);
    assert_int_equal(res.credential_id, 0);
    rq.cred.bits[5] ^= 1;
    /* a flipped bit in the second half breaks the trailing odd parity */
    rq.cred.bits[20] ^= 1;
    CHECK(snap, NULL, &rq, REASON_INVALID_READ);
    rq.cred.bits[20] ^= 1;
    /* a flipped parity bit itself */
    rq.cred.bits[25] ^= 1;
    CHECK(snap, NULL, &rq, REASON_INVALID_READ);
    rq.cred.bits[25] ^= 1;
    CHECK(snap, NULL, &rq, REASON_GRANTED);

    /* a bit value other than 0 or 1 */
    rq.cred.bits[12] = 2;
    CHECK(snap, NULL, &rq, REASON_INVALID_READ);
    raw_bits(ALICE_NUM, &rq.cred);

    /* unsupported lengths: 30 bits, 0 bits */
    rq.cred.nbits = 30;
    CHECK(snap, NULL, &rq, REASON_INVALID_READ);
    rq.cred.nbits = 0;
    CHECK(snap, NULL, &rq, REASON_INVALID_READ);

    /* raw bits of a well-formed but unknown card */
    raw_bits(4242, &rq.cred);
    CHECK(snap, NULL, &rq, REASON_UNKNOWN_CREDENTIAL);
    access_snapshot_free(snap);
}

static void test_credential_status(void **state)
{
    struct fx *f = *state;
    static const enum cred_status inactive[] = {CRED_SUSPENDED, CRED_LOST, CRED_STOLEN,
                                                CRED_REVOKED};
    int64_t t = workday(f);
    struct access_snapshot *snap;
    struct credential c;
    struct gh_err err = {{0}};

    for (size_t i = 0; i < GH_ARRAY_LEN(inactive); i++) {
        struct access_result res;
        struct access_request rq = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, t);
        update_cred_status(f, f->alice_card, inactive[i]);
        snap = compile(f);
        res = CHECK(snap, NULL, &rq, REASON_CREDENTIAL_INACTIVE);
        assert_int_equal(res.credential_id, f->alice_card);
        assert_int_equal(res.person_id, f->alice);
        access_snapshot_free(snap);
    }

    update_cred_status(f, f->alice_card, CRED_EXPIRED);
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_CREDENTIAL_EXPIRED);
    access_snapshot_free(snap);

    /* active, but valid_until passed (exclusive) */
    OK_E(store_credential_get(f->st, f->alice_card, &c));
    c.status = CRED_ACTIVE;
    c.valid_until = t;
    OK_E(store_credential_update(f->st, &c, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_CREDENTIAL_EXPIRED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t - 1, REASON_GRANTED);
    access_snapshot_free(snap);

    /* not valid yet (valid_from inclusive) */
    c.valid_until = GH_TIME_MAX;
    c.valid_from = t + 1;
    OK_E(store_credential_update(f->st, &c, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_CREDENTIAL_NOT_YET_VALID);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t + 1, REASON_GRANTED);
    access_snapshot_free(snap);
}

static void test_person_inactive(void **state)
{
    struct fx *f = *state;
    static const enum person_status statuses[] = {PERSON_ON_LEAVE, PERSON_SUSPENDED,
                                                  PERSON_TERMINATED};
    int64_t t = workday(f);
    struct access_snapshot *snap;
    struct person p;
    struct gh_err err = {{0}};

    OK_E(store_person_get(f->st, f->alice, &p));
    for (size_t i = 0; i < GH_ARRAY_LEN(statuses); i++) {
        p.status = statuses[i];
        OK_E(store_person_update(f->st, &p, &err));
        snap = compile(f);
        EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_PERSON_INACTIVE);
        access_snapshot_free(snap);
    }

    p.status = PERSON_ACTIVE;
    p.valid_from = t + MINUTE;
    OK_E(store_person_update(f->st, &p, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_PERSON_INACTIVE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t + MINUTE, REASON_GRANTED);
    access_snapshot_free(snap);

    p.valid_from = GH_TIME_MIN;
    p.valid_until = t;
    OK_E(store_person_update(f->st, &p, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_PERSON_INACTIVE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t - 1, REASON_GRANTED);
    access_snapshot_free(snap);
}

static void test_no_access_level(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    int64_t bob = add_holder(f, "E0002", PERSON_EMPLOYEE, 2002, 0);
    struct access_snapshot *snap;
    struct gh_err err = {{0}};

    add_holder(f, "E0003", PERSON_EMPLOYEE, 2003, f->lab_only);
    snap = compile(f);
    /* no assignment at all */
    EXPECT_CARD(snap, f->main_door, 2002, t, REASON_NO_ACCESS_LEVEL);
    /* a level without this door */
    EXPECT_CARD(snap, f->main_door, 2003, t, REASON_NO_ACCESS_LEVEL);
    EXPECT_CARD(snap, f->lab_door, 2003, t, REASON_PIN_REQUIRED); /* the level is fine */
    access_snapshot_free(snap);

    /* an expired assignment (expiry exclusive) */
    assign(f, bob, f->staff, t);
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, 2002, t, REASON_NO_ACCESS_LEVEL);
    EXPECT_CARD(snap, f->main_door, 2002, t - 1, REASON_GRANTED);
    access_snapshot_free(snap);

    /* the level loses the door */
    OK_E(store_level_door_remove(f->st, f->staff, f->main_door));
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_NO_ACCESS_LEVEL);
    access_snapshot_free(snap);
}

static void test_outside_schedule_and_holiday(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap;
    int64_t carol;

    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 11, 8, 0), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 11, 7, 59),
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 11, 18, 0),
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 14, 10, 0), /* Saturday */
                REASON_OUTSIDE_SCHEDULE);
    /* the Lab is on the Always schedule, so only the PIN is missing on Saturday */
    EXPECT_CARD(snap, f->lab_door, ALICE_NUM, berlin(f, 2026, 3, 14, 10, 0), REASON_PIN_REQUIRED);

    /* 2026-05-01 is a Friday and a holiday of the DE calendar */
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 5, 1, 10, 0), REASON_HOLIDAY);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 4, 30, 10, 0), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 5, 1, 20, 0),
                REASON_OUTSIDE_SCHEDULE);
    access_snapshot_free(snap);

    /* an interval with the holiday bit grants on the holiday */
    {
        int64_t lv = add_level(f, "Holiday staff");
        level_door(f, lv, f->main_door, f->s_office_hol);
        carol = add_holder(f, "E0004", PERSON_EMPLOYEE, 3003, lv);
    }
    snap = compile(f);
    {
        struct access_request rq =
            card_req(f->main_door, DIR_ENTRY, 3003, berlin(f, 2026, 5, 1, 10, 0));
        struct access_result res = CHECK(snap, NULL, &rq, REASON_GRANTED);
        assert_int_equal(res.person_id, carol);
        assert_int_equal(res.schedule_id, f->s_office_hol);
    }
    EXPECT_CARD(snap, f->main_door, 3003, berlin(f, 2026, 5, 2, 10, 0), /* Saturday */
                REASON_OUTSIDE_SCHEDULE);
    access_snapshot_free(snap);

    /* with two levels, holiday wins over outside-schedule as the reason, and any active
     * level grants */
    assign(f, f->alice, f->lab_only, GH_TIME_MAX);
    level_door(f, f->lab_only, f->main_door, f->s_night);
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 5, 1, 10, 0), REASON_HOLIDAY);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 5, 1, 23, 0), REASON_GRANTED);
    access_snapshot_free(snap);
}

static void test_midnight_crossing(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap;

    level_door(f, f->staff, f->main_door, f->s_night); /* Fri 22:00 - Sat 06:00 */
    snap = compile(f);
    /* 2026-03-13 is a Friday */
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 13, 21, 59),
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 13, 22, 0), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 13, 23, 59), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 14, 0, 0), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 14, 3, 0), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 14, 5, 59), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 14, 6, 0),
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 14, 7, 0),
                REASON_OUTSIDE_SCHEDULE);
    /* Thursday night and Sunday early morning are not part of it */
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 12, 23, 0),
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 13, 3, 0),
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, berlin(f, 2026, 3, 15, 3, 0),
                REASON_OUTSIDE_SCHEDULE);
    access_snapshot_free(snap);
}

/* Counts granted minutes at Main for Alice over [from, to) in UTC. */
static int granted_minutes(const struct access_snapshot *snap, struct fx *f, int64_t from,
                           int64_t to)
{
    int n = 0;
    for (int64_t t = from; t < to; t += MINUTE) {
        struct access_request rq = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, t);
        struct access_result res;
        assert_int_equal(access_decide(snap, NULL, &rq, &res, NULL), 0);
        if (res.granted)
            n++;
        else
            assert_int_equal(res.reason, REASON_OUTSIDE_SCHEDULE);
    }
    return n;
}

static void test_dst_spring_forward(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap;

    level_door(f, f->staff, f->main_door, f->s_dst); /* daily 02:00-03:00 local */
    snap = compile(f);

    /* 2026-03-29: at 01:00 UTC, 02:00 CET becomes 03:00 CEST; local 02:xx does not exist */
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 29, 0, 59), /* 01:59 CET */
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 29, 1, 0), /* 03:00 CEST */
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 29, 1, 30), /* 03:30 CEST */
                REASON_OUTSIDE_SCHEDULE);
    assert_int_equal(granted_minutes(snap, f, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)), 0);
    /* the day before (CET, UTC+1) and the day after (CEST, UTC+2) have their full hour */
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 28, 1, 30), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 30, 0, 30), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 30, 1, 0), REASON_OUTSIDE_SCHEDULE);
    assert_int_equal(granted_minutes(snap, f, utc(2026, 3, 27, 12, 0), utc(2026, 3, 28, 12, 0)),
                     60);
    assert_int_equal(granted_minutes(snap, f, utc(2026, 3, 29, 12, 0), utc(2026, 3, 30, 12, 0)),
                     60);
    access_snapshot_free(snap);

    /* an interval 01:00-04:00 on that day lasts two real hours: 01:00-02:00 CET and
     * 03:00-04:00 CEST */
    {
        struct schedule s;
        struct gh_err err = {{0}};
        OK_E(store_schedule_get(f->st, f->s_dst, &s));
        s.intervals[0].start_min = HM(1, 0);
        s.intervals[0].end_min = HM(4, 0);
        OK_E(store_schedule_update(f->st, &s, &err));
    }
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 29, 0, 30), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 29, 1, 30), REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 3, 29, 2, 0), REASON_OUTSIDE_SCHEDULE);
    assert_int_equal(granted_minutes(snap, f, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)),
                     120);
    access_snapshot_free(snap);
}

static void test_dst_fall_back(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap;

    level_door(f, f->staff, f->main_door, f->s_dst); /* daily 02:00-03:00 local */
    snap = compile(f);

    /* 2026-10-25: at 01:00 UTC, 03:00 CEST becomes 02:00 CET; local 02:00-03:00 occurs
     * twice, from 00:00 to 02:00 UTC, and both occurrences are inside the interval */
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 10, 24, 23, 59), /* 01:59 CEST */
                REASON_OUTSIDE_SCHEDULE);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 10, 25, 0, 0), /* 02:00 CEST */
                REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 10, 25, 0, 30), /* 02:30 CEST */
                REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 10, 25, 1, 30), /* 02:30 CET */
                REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 10, 25, 1, 59), /* 02:59 CET */
                REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 10, 25, 2, 0), /* 03:00 CET */
                REASON_OUTSIDE_SCHEDULE);
    assert_int_equal(granted_minutes(snap, f, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)),
                     120);
    /* the days around it: one hour each */
    assert_int_equal(granted_minutes(snap, f, utc(2026, 10, 23, 12, 0), utc(2026, 10, 24, 12, 0)),
                     60);
    assert_int_equal(granted_minutes(snap, f, utc(2026, 10, 25, 12, 0), utc(2026, 10, 26, 12, 0)),
                     60);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, utc(2026, 10, 26, 1, 30), REASON_GRANTED);
    access_snapshot_free(snap);
}

static void test_locked_down(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    struct access_snapshot *snap;
    struct door d;
    struct area a;
    struct gh_err err = {{0}};
    struct access_request rq;

    /* the door itself */
    OK_E(store_door_get(f->st, f->main_door, &d));
    d.mode = DOOR_LOCKED_DOWN;
    OK_E(store_door_update(f->st, &d, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_DOOR_LOCKED_DOWN);
    EXPECT_CARD(snap, f->reception, ALICE_NUM, t, REASON_GRANTED);
    /* lockdown is checked after the credential: an unknown card is still unknown */
    EXPECT_CARD(snap, f->main_door, 9999, t, REASON_UNKNOWN_CREDENTIAL);
    access_snapshot_free(snap);
    d.mode = DOOR_CARD;
    OK_E(store_door_update(f->st, &d, &err));

    /* the Lab alone: doors into it are locked, Main is not (no upward propagation) */
    OK_E(store_area_get(f->st, f->lab, &a));
    a.locked_down = true;
    OK_E(store_area_update(f->st, &a, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->fire_door, ALICE_NUM, t, REASON_DOOR_LOCKED_DOWN);
    rq = card_req(f->lab_door, DIR_ENTRY, ALICE_NUM, t);
    rq.pin = "1234";
    CHECK(snap, NULL, &rq, REASON_DOOR_LOCKED_DOWN);
    rq.direction = DIR_EXIT; /* leaving a locked-down area is a read at the same door */
    CHECK(snap, NULL, &rq, REASON_DOOR_LOCKED_DOWN);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_GRANTED);
    access_snapshot_free(snap);
    a.locked_down = false;
    OK_E(store_area_update(f->st, &a, &err));

    /* the Lobby, the Lab's parent: the Fire door (Outside -> Lab) does not touch the Lobby
     * but is locked through the Lab's inherited lockdown */
    OK_E(store_area_get(f->st, f->lobby, &a));
    a.locked_down = true;
    OK_E(store_area_update(f->st, &a, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->fire_door, ALICE_NUM, t, REASON_DOOR_LOCKED_DOWN);
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_DOOR_LOCKED_DOWN);
    /* lockdown wins over an unlock schedule */
    EXPECT_CARD(snap, f->reception, ALICE_NUM, t, REASON_DOOR_LOCKED_DOWN);
    access_snapshot_free(snap);

    /* released: all fine again */
    a.locked_down = false;
    OK_E(store_area_update(f->st, &a, &err));
    snap = compile(f);
    EXPECT_CARD(snap, f->fire_door, ALICE_NUM, t, REASON_GRANTED);
    access_snapshot_free(snap);
}

static void test_unlocked_schedule(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap;
    struct access_request rq;
    struct access_result res;
    int64_t in = workday(f), out = berlin(f, 2026, 3, 11, 20, 0);

    add_holder(f, "E0005", PERSON_EMPLOYEE, 5005, 0); /* no level at all */
    snap = compile(f);

    rq = card_req(f->reception, DIR_ENTRY, 5005, in);
    res = CHECK(snap, NULL, &rq, REASON_GRANTED);
    assert_true(res.flags & ACCESS_FLAG_DOOR_UNLOCKED);
    assert_int_equal(res.level_id, 0);
    rq.time_us = out;
    res = CHECK(snap, NULL, &rq, REASON_NO_ACCESS_LEVEL);
    assert_false(res.flags & ACCESS_FLAG_DOOR_UNLOCKED);
    /* a credential is still needed, and must be valid */
    rq = card_req(f->reception, DIR_ENTRY, 9999, in);
    CHECK(snap, NULL, &rq, REASON_UNKNOWN_CREDENTIAL);

    /* Alice holds Staff, whose Reception schedule is Office too: outside it, no grant */
    rq = card_req(f->reception, DIR_ENTRY, ALICE_NUM, in);
    res = CHECK(snap, NULL, &rq, REASON_GRANTED);
    assert_true(res.flags & ACCESS_FLAG_DOOR_UNLOCKED);
    rq.time_us = out;
    CHECK(snap, NULL, &rq, REASON_OUTSIDE_SCHEDULE);
    access_snapshot_free(snap);

    /* with a level that covers the evening, the card grants without the flag */
    level_door(f, f->staff, f->reception, f->s_always);
    snap = compile(f);
    rq = card_req(f->reception, DIR_ENTRY, ALICE_NUM, out);
    res = CHECK(snap, NULL, &rq, REASON_GRANTED);
    assert_int_equal(res.flags & ACCESS_FLAG_DOOR_UNLOCKED, 0);
    assert_int_equal(res.level_id, f->staff);
    assert_int_equal(res.schedule_id, f->s_always);
    access_snapshot_free(snap);
}

static void test_pin(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    struct access_snapshot *snap = compile(f);
    struct access_request rq = card_req(f->lab_door, DIR_ENTRY, ALICE_NUM, t);

    CHECK(snap, NULL, &rq, REASON_PIN_REQUIRED); /* no PIN entered */
    rq.pin = "";
    CHECK(snap, NULL, &rq, REASON_PIN_REQUIRED);
    rq.pin = "1235";
    CHECK(snap, NULL, &rq, REASON_PIN_INCORRECT);
    rq.pin = "12345";
    CHECK(snap, NULL, &rq, REASON_PIN_INCORRECT);
    rq.pin = "1234";
    CHECK(snap, NULL, &rq, REASON_GRANTED);
    /* a PIN at a card-only door is ignored */
    rq.door_id = f->main_door;
    rq.pin = "0000";
    CHECK(snap, NULL, &rq, REASON_GRANTED);
    access_snapshot_free(snap);

    /* a credential without a PIN at a card + PIN door */
    add_holder(f, "E0006", PERSON_EMPLOYEE, 6006, f->staff);
    snap = compile(f);
    rq = card_req(f->lab_door, DIR_ENTRY, 6006, t);
    rq.pin = "1234";
    CHECK(snap, NULL, &rq, REASON_PIN_REQUIRED);
    access_snapshot_free(snap);

    /* a PIN hash is bound to its credential id: Alice's hash copied to another card does
     * not match her PIN there */
    {
        struct credential alice, other;
        struct gh_err err = {{0}};
        OK_E(store_credential_get(f->st, f->alice_card, &alice));
        OK_E(store_credential_find(f->st, CRED_FMT_H10301, FAC, 6006, &other));
        other.has_pin = true;
        memcpy(other.pin_hash, alice.pin_hash, sizeof(other.pin_hash));
        OK_E(store_credential_update(f->st, &other, &err));
        snap = compile(f);
        CHECK(snap, NULL, &rq, REASON_PIN_INCORRECT);
        access_snapshot_free(snap);
    }

    /* compiled without the site key, PINs never match */
    {
        struct gh_err err = {{0}};
        snap = NULL;
        OK_E(access_compile(f->st, NULL, &snap, &err));
        rq = card_req(f->lab_door, DIR_ENTRY, ALICE_NUM, t);
        rq.pin = "1234";
        CHECK(snap, NULL, &rq, REASON_PIN_INCORRECT);
        access_snapshot_free(snap);
    }
    /* compiled with another key, neither */
    {
        struct gh_err err = {{0}};
        uint8_t other[ACCESS_SITE_KEY_LEN];
        memcpy(other, site_key, sizeof(other));
        other[0] ^= 1;
        snap = NULL;
        OK_E(access_compile(f->st, other, &snap, &err));
        CHECK(snap, NULL, &rq, REASON_PIN_INCORRECT);
        access_snapshot_free(snap);
    }
}

static void set_apb(struct fx *f, int64_t area, enum apb_mode mode)
{
    struct area a;
    struct gh_err err = {{0}};
    OK_E(store_area_get(f->st, area, &a));
    a.apb = mode;
    OK_E(store_area_update(f->st, &a, &err));
}

static void test_antipassback_hard(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    struct access_snapshot *snap;
    struct access_state *st;
    struct access_request in, out;
    struct access_result res;

    set_apb(f, f->lobby, APB_HARD);
    snap = compile(f);
    st = access_state_new(snap);
    in = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, t);
    out = card_req(f->main_door, DIR_EXIT, ALICE_NUM, t + MINUTE);

    /* location unknown: the first entry is fine */
    res = CHECK(snap, st, &in, REASON_GRANTED);
    /* deciding alone does not move anyone: until committed, entering again is fine */
    CHECK(snap, st, &in, REASON_GRANTED);
    access_state_commit(st, snap, &res);
    res = CHECK(snap, st, &in, REASON_ANTIPASSBACK);
    assert_int_equal(res.person_id, f->alice);
    /* a denial committed changes nothing */
    access_state_commit(st, snap, &res);
    CHECK(snap, st, &in, REASON_ANTIPASSBACK);
    /* without state (what-if), anti-passback is not checked */
    CHECK(snap, NULL, &in, REASON_GRANTED);

    /* exit, then entering again is fine */
    res = CHECK(snap, st, &out, REASON_GRANTED);
    access_state_commit(st, snap, &res);
    res = CHECK(snap, st, &in, REASON_GRANTED);
    /* leaving again without having entered (recorded Outside) is denied */
    CHECK(snap, st, &out, REASON_ANTIPASSBACK);
    access_state_commit(st, snap, &res);
    CHECK(snap, st, &out, REASON_GRANTED);

    /* the Reception door leads into the same Lobby: passback there too */
    {
        struct access_request rq = card_req(f->reception, DIR_ENTRY, ALICE_NUM, t);
        CHECK(snap, st, &rq, REASON_ANTIPASSBACK);
    }
    /* a state made for another snapshot version is not updated by commits */
    {
        struct access_snapshot *snap2;
        struct access_state *st2;
        set_apb(f, f->outside, APB_NONE); /* any change: new version */
        snap2 = compile(f);
        st2 = access_state_new(snap2);
        res = CHECK(snap2, st2, &in, REASON_GRANTED);
        access_state_commit(st2, snap, &res); /* wrong snapshot: ignored */
        CHECK(snap2, st2, &in, REASON_GRANTED);
        access_state_commit(st2, snap2, &res);
        CHECK(snap2, st2, &in, REASON_ANTIPASSBACK);
        access_state_free(st2);
        access_snapshot_free(snap2);
    }
    access_state_free(st);
    access_snapshot_free(snap);
}

static void test_antipassback_soft(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    struct access_snapshot *snap;
    struct access_state *st;
    struct access_request in, out;
    struct access_result res;

    set_apb(f, f->lobby, APB_SOFT);
    snap = compile(f);
    st = access_state_new(snap);
    in = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, t);
    out = card_req(f->main_door, DIR_EXIT, ALICE_NUM, t);

    res = CHECK(snap, st, &in, REASON_GRANTED);
    assert_int_equal(res.flags & ACCESS_FLAG_APB_SOFT, 0);
    access_state_commit(st, snap, &res);
    res = CHECK(snap, st, &in, REASON_GRANTED);
    assert_true(res.flags & ACCESS_FLAG_APB_SOFT);
    access_state_commit(st, snap, &res);
    res = CHECK(snap, st, &out, REASON_GRANTED);
    assert_int_equal(res.flags & ACCESS_FLAG_APB_SOFT, 0);
    access_state_commit(st, snap, &res);
    res = CHECK(snap, st, &in, REASON_GRANTED);
    assert_int_equal(res.flags & ACCESS_FLAG_APB_SOFT, 0);
    access_state_free(st);
    access_snapshot_free(snap);
}

static void test_escort(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    struct access_snapshot *snap;
    struct access_request rq;
    struct access_result res;
    struct door d;
    struct gh_err err = {{0}};
    int64_t lv = add_level(f, "Visitor");
    int64_t vic;

    OK_E(store_door_get(f->st, f->main_door, &d));
    d.escort_required = true;
    OK_E(store_door_update(f->st, &d, &err));
    level_door(f, lv, f->main_door, f->s_office);
    vic = add_holder(f, "V0001", PERSON_VISITOR, 7001, lv);
    add_holder(f, "V0002", PERSON_VISITOR, 7002, lv);
    add_holder(f, "C0001", PERSON_CONTRACTOR, 7003, lv);
    {
        /* an employee whose card is suspended */
        int64_t p = add_person(f, "E0007", PERSON_EMPLOYEE);
        int64_t c = add_card(f, p, 7004, NULL);
        update_cred_status(f, c, CRED_SUSPENDED);
    }
    snap = compile(f);

    rq = card_req(f->main_door, DIR_ENTRY, 7001, t);
    res = CHECK(snap, NULL, &rq, REASON_ESCORT_REQUIRED);
    assert_int_equal(res.person_id, vic);

    /* with a valid employee escort */
    rq.has_escort = true;
    rq.escort.card = (struct wiegand_card){CRED_FMT_H10301, FAC, ALICE_NUM};
    res = CHECK(snap, NULL, &rq, REASON_GRANTED);
    assert_int_equal(res.person_id, vic);
    /* the escort may present raw bits too */
    raw_bits(ALICE_NUM, &rq.escort);
    CHECK(snap, NULL, &rq, REASON_GRANTED);
    rq.escort.bits[3] ^= 1;
    CHECK(snap, NULL, &rq, REASON_ESCORT_REQUIRED);

    /* a visitor cannot escort a visitor */
    rq.escort = (struct access_presented){0};
    rq.escort.card = (struct wiegand_card){CRED_FMT_H10301, FAC, 7002};
    CHECK(snap, NULL, &rq, REASON_ESCORT_REQUIRED);
    /* an unknown or inactive escort credential is no escort */
    rq.escort.card.number = 9999;
    CHECK(snap, NULL, &rq, REASON_ESCORT_REQUIRED);
    rq.escort.card.number = 7004;
    CHECK(snap, NULL, &rq, REASON_ESCORT_REQUIRED);
    /* a contractor can escort */
    rq.escort.card.number = 7003;
    CHECK(snap, NULL, &rq, REASON_GRANTED);

    /* non-visitors need no escort; a visitor needs none at other doors */
    EXPECT_CARD(snap, f->main_door, ALICE_NUM, t, REASON_GRANTED);
    EXPECT_CARD(snap, f->main_door, 7003, t, REASON_GRANTED);
    /* the escort does not lend the visitor a level */
    EXPECT_CARD(snap, f->fire_door, 7001, t, REASON_NO_ACCESS_LEVEL);
    access_snapshot_free(snap);
}

static void test_every_reason_covered(void **state)
{
    (void)state;
    /* runs last: every reason code the engine makes has been produced by some test above
     * (controller_offline is a controller's own, tested with the controller) */
    for (int r = 0; r < REASON_COUNT; r++) {
        if (r != REASON_CONTROLLER_OFFLINE && !(reasons_seen & (1u << r)))
            fail_msg("reason %s was never produced", access_reason_name((enum access_reason)r));
        assert_string_not_equal(access_reason_name((enum access_reason)r), "unknown");
        {
            enum access_reason back;
            assert_int_equal(access_reason_parse(access_reason_name((enum access_reason)r), &back),
                             0);
            assert_int_equal(back, r);
        }
    }
}

/* ---- engine: publishing while 4 threads decide -------------------------------------------- */

#define N_READERS    4
#define N_PUBLISHES  50
#define MAX_VERSIONS (N_PUBLISHES + 1)

struct engine_ctx {
    struct access_engine *eng;
    struct access_request req;
    int64_t cred_id;
    /* version -> expected grant, written before each publish */
    _Atomic int64_t versions[MAX_VERSIONS];
    _Atomic int expect_granted[MAX_VERSIONS];
    atomic_int n_versions;
    atomic_bool stop;
    atomic_long decisions;
    atomic_long inconsistent;
    pthread_barrier_t start;
};

static void *reader_main(void *arg)
{
    struct engine_ctx *c = arg;
    long local = 0;
    pthread_barrier_wait(&c->start);
    while (!atomic_load(&c->stop) || local == 0) {
        const struct access_snapshot *snap = access_engine_acquire(c->eng);
        struct access_result res;
        int64_t v;
        int expect = -1;
        if (snap == NULL) {
            atomic_fetch_add(&c->inconsistent, 1);
            break;
        }
        v = access_snapshot_version(snap);
        if (access_decide(snap, NULL, &c->req, &res, NULL) != 0)
            atomic_fetch_add(&c->inconsistent, 1);
        for (int i = 0; i < atomic_load(&c->n_versions); i++)
            if (atomic_load(&c->versions[i]) == v)
                expect = atomic_load(&c->expect_granted[i]);
        if (res.policy_version != v || expect < 0 || res.granted != (expect == 1) ||
            res.reason != (expect == 1 ? REASON_GRANTED : REASON_CREDENTIAL_INACTIVE) ||
            res.credential_id != c->cred_id)
            atomic_fetch_add(&c->inconsistent, 1);
        access_engine_release(c->eng, snap);
        local++;
        atomic_fetch_add(&c->decisions, 1);
    }
    return NULL;
}

static void publish_next(struct fx *f, struct engine_ctx *c, bool active)
{
    struct access_snapshot *snap;
    int i = atomic_load(&c->n_versions);
    update_cred_status(f, f->alice_card, active ? CRED_ACTIVE : CRED_SUSPENDED);
    snap = compile(f);
    assert_true(i < MAX_VERSIONS);
    atomic_store(&c->versions[i], access_snapshot_version(snap));
    atomic_store(&c->expect_granted[i], active ? 1 : 0);
    atomic_store(&c->n_versions, i + 1);
    access_engine_publish(c->eng, snap);
}

static void test_engine_concurrent(void **state)
{
    struct fx *f = *state;
    struct engine_ctx *c = calloc(1, sizeof(*c));
    pthread_t th[N_READERS];

    assert_non_null(c);
    c->eng = access_engine_new();
    assert_null(access_engine_acquire(c->eng)); /* nothing published yet */
    access_engine_release(c->eng, NULL);
    c->req = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, workday(f));
    c->cred_id = f->alice_card;
    atomic_init(&c->n_versions, 0);
    atomic_init(&c->stop, false);
    atomic_init(&c->decisions, 0);
    atomic_init(&c->inconsistent, 0);
    publish_next(f, c, true);

    assert_int_equal(pthread_barrier_init(&c->start, NULL, N_READERS + 1), 0);
    for (int i = 0; i < N_READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, c), 0);
    pthread_barrier_wait(&c->start);
    for (int i = 1; i <= N_PUBLISHES; i++) {
        long before = atomic_load(&c->decisions);
        publish_next(f, c, i % 2 == 0);
        /* let the readers make some decisions on this snapshot before the next one */
        while (atomic_load(&c->decisions) < before + 2 * N_READERS)
            sched_yield();
    }
    atomic_store(&c->stop, true);
    for (int i = 0; i < N_READERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&c->start);

    assert_int_equal(atomic_load(&c->inconsistent), 0);
    assert_true(atomic_load(&c->decisions) >= 2 * N_READERS * N_PUBLISHES);
    /* the main thread can read the last one too */
    {
        const struct access_snapshot *snap = access_engine_acquire(c->eng);
        assert_non_null(snap);
        assert_int_equal(access_snapshot_version(snap), atomic_load(&c->versions[N_PUBLISHES]));
        access_engine_release(c->eng, snap);
    }
    access_engine_free(c->eng);
    free(c);
}

/* access_decide_batch gives exactly what one access_decide (and commit) per request
 * gives, in order, for a mix of grants, unknown cards, raw reads, doors and directions,
 * with anti-passback state (so a commit in the batch changes a later decision). */
static void test_decide_batch_matches_single(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    enum { N = 61 };
    struct access_request reqs[N];
    struct access_result batch[N], one;
    struct access_snapshot *snap;
    struct access_state *sb, *ss;
    struct gh_err err = {{0}};
    int granted = 0, apb = 0;

    set_apb(f, f->lobby, APB_HARD);
    snap = compile(f);
    for (int i = 0; i < N; i++) {
        uint64_t number = i % 7 == 3 ? 999u : ALICE_NUM; /* 999: not enrolled */
        reqs[i] = card_req(i % 5 == 4 ? f->lab_door : f->main_door, i % 2 ? DIR_EXIT : DIR_ENTRY,
                           number, t + i * MINUTE);
        if (i % 3 == 0)
            reqs[i].direction = DIR_ENTRY; /* entering twice in a row: passback */
        if (i % 11 == 5)
            raw_bits(number, &reqs[i].cred);
    }
    sb = access_state_new(snap);
    ss = access_state_new(snap);
    assert_int_equal(access_decide_batch(snap, sb, reqs, N, batch), 0);
    for (int i = 0; i < N; i++) {
        OK_E(access_decide(snap, ss, &reqs[i], &one, NULL));
        access_state_commit(ss, snap, &one);
        assert_int_equal(batch[i].granted, one.granted);
        assert_int_equal(batch[i].reason, one.reason);
        assert_int_equal(batch[i].credential_id, one.credential_id);
        assert_int_equal(batch[i].person_id, one.person_id);
        assert_int_equal(batch[i].level_id, one.level_id);
        assert_int_equal(batch[i].flags, one.flags);
        granted += one.granted;
        apb += one.reason == REASON_ANTIPASSBACK;
    }
    assert_true(granted > 0 && granted < N && apb > 0); /* the mix really is mixed */
    /* a malformed request stops the batch with -EINVAL; earlier results are filled */
    memset(batch, 0, sizeof(batch));
    reqs[10].direction = (enum direction)7;
    assert_int_equal(access_decide_batch(snap, NULL, reqs, N, batch), -EINVAL);
    assert_int_equal(batch[9].policy_version, access_snapshot_version(snap));
    assert_int_equal(batch[11].policy_version, 0);
    access_state_free(sb);
    access_state_free(ss);
    access_snapshot_free(snap);
}

/* Anti-passback follows nesting: someone recorded in the Lab (inside the Lobby) is in
 * the Lobby, so entering the Lobby again is a passback; leaving it is fine. A state made
 * for another snapshot version is ignored rather than misread. */
static void test_antipassback_nested_and_stale_state(void **state)
{
    struct fx *f = *state;
    int64_t t = workday(f);
    struct access_snapshot *snap, *snap2;
    struct access_state *st;
    struct access_request in = card_req(f->main_door, DIR_ENTRY, ALICE_NUM, t);
    struct access_request lab = card_req(f->lab_door, DIR_ENTRY, ALICE_NUM, t + MINUTE);
    struct access_request out = card_req(f->main_door, DIR_EXIT, ALICE_NUM, t + 2 * MINUTE);
    struct access_result res;

    set_apb(f, f->lobby, APB_HARD);
    snap = compile(f);
    st = access_state_new(snap);
    lab.pin = "1234";
    res = CHECK(snap, st, &in, REASON_GRANTED);
    access_state_commit(st, snap, &res);
    res = CHECK(snap, st, &lab, REASON_GRANTED);
    access_state_commit(st, snap, &res); /* now recorded in the Lab */
    CHECK(snap, st, &in, REASON_ANTIPASSBACK);
    CHECK(snap, st, &out, REASON_GRANTED);

    /* any policy change makes a new version: the old state is ignored, not misread */
    set_apb(f, f->lab, APB_SOFT);
    snap2 = compile(f);
    assert_true(access_snapshot_version(snap2) != access_snapshot_version(snap));
    res = CHECK(snap2, st, &in, REASON_GRANTED);
    access_state_commit(st, snap2, &res);      /* not recorded either */
    CHECK(snap, st, &in, REASON_ANTIPASSBACK); /* still as the first snapshot left it */
    access_state_free(st);
    access_snapshot_free(snap2);
    access_snapshot_free(snap);
}

/* One thread reading from two engines in turn keeps one slot in each (no slot leak, no
 * abort after 256 switches). */
static void test_engine_two_engines_one_thread(void **state)
{
    struct access_engine *a = access_engine_new(), *b = access_engine_new();
    (void)state;
    for (int i = 0; i < 600; i++) {
        struct access_engine *e = i % 2 ? a : b;
        const struct access_snapshot *snap = access_engine_acquire(e);
        access_engine_release(e, snap);
    }
    access_engine_free(a);
    access_engine_free(b);
}

/* A reader thread that pins and unpins once, then exits. */
static void *short_reader(void *arg)
{
    struct access_engine *eng = arg;
    const struct access_snapshot *snap = access_engine_acquire(eng);
    access_engine_release(eng, snap);
    return NULL;
}

/* More threads than reader slots, one after another: exiting threads give their slot back
 * (without that the 257th acquire aborts). */
static void test_engine_slots_return_on_thread_exit(void **state)
{
    struct access_engine *eng = access_engine_new();
    (void)state;
    for (int i = 0; i < 300; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, short_reader, eng), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
    }
    access_engine_free(eng);
}

/* ---- a controller's snapshot ------------------------------------------------------------ */

static const struct access_edge_door edge_doors[] = {{0, 3600, 86400}, {0, 0, 0}};

/* The document for a controller driving the Lab and Fire doors. */
static void edge_export(struct fx *f, const struct access_snapshot *snap, int64_t controller,
                        struct gh_buf *out)
{
    struct access_edge_door doors[2] = {edge_doors[0], edge_doors[1]};
    uint8_t card_key[32];
    struct access_edge_export o = {controller, 1234, card_key, doors, 2};
    struct gh_err err = {{0}};
    doors[0].door_id = f->lab_door;
    doors[1].door_id = f->fire_door;
    access_edge_card_key(site_key, controller, card_key);
    gh_buf_init(out, 1 << 20);
    OK_E(access_edge_export(snap, &o, out, &err));
}

/* The controller decides every read at its doors as the server does: the same grants and
 * reasons for a person with a level there (Alice, Bob), at every hour of a week with a
 * holiday, with and without the right PIN, lockdown included. Someone whose levels never
 * reach its doors (Carol) is not in its snapshot: unknown there, no access level on the
 * server. A door it does not drive is unknown. The document has no names and no card
 * numbers. */
static void test_edge_snapshot_decides_as_server(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap, *edge = NULL;
    struct access_edge_import want = {7};
    struct access_edge_info info;
    struct access_door_info di;
    struct gh_buf doc;
    struct gh_err err = {{0}};
    struct area a;
    int64_t main_only;
    const uint64_t cards[] = {ALICE_NUM, 2002, 3003, 999};
    const char *pins[] = {NULL, "1234", "0000"};
    int compared = 0, granted = 0;

    add_holder(f, "E0002", PERSON_EMPLOYEE, 2002, f->lab_only);
    main_only = add_level(f, "Main only");
    level_door(f, main_only, f->main_door, f->s_always);
    add_holder(f, "E0003", PERSON_EMPLOYEE, 3003, main_only);
    for (int round = 0; round < 2; round++) {
        snap = compile(f);
        edge_export(f, snap, 7, &doc);
        assert_null(strstr(gh_buf_cstr(&doc), "E0001"));
        assert_null(strstr(gh_buf_cstr(&doc), "Test"));
        OK_E(access_edge_import(doc.data, doc.len, &want, &edge, &info, &err));
        assert_int_equal(info.controller_id, 7);
        assert_int_equal(info.version, access_snapshot_version(snap));
        assert_int_equal(info.issued_us, 1234);
        assert_int_equal(access_snapshot_door_count(edge), 2);
        assert_int_equal(access_snapshot_door_at(edge, 2, &di), -ENOENT);
        OK(access_snapshot_door_at(edge, 0, &di));
        assert_int_equal(di.id, f->lab_door);
        assert_string_equal(di.name, "Lab");
        assert_int_equal(di.offline_pin_after_s, 3600);
        assert_int_equal(di.offline_deny_after_s, 86400);
        assert_int_equal(di.locked_down, round == 1);
        assert_int_equal(access_snapshot_credentials(edge), 2); /* Alice's and Bob's */
        for (int day = 0; day < 7 * 24; day++) {
            int64_t t = berlin(f, 2026, 4, 27, 0, 30) + day * 60 * MINUTE; /* Mon..Sun, 1 May */
            for (size_t c = 0; c < sizeof(cards) / sizeof(cards[0]); c++)
                for (size_t p = 0; p < 3; p++)
                    for (int d = 0; d < 3; d++) {
                        int64_t door = d == 0 ? f->lab_door : d == 1 ? f->fire_door : f->main_door;
                        struct access_request rq = card_req(door, DIR_ENTRY, cards[c], t);
                        struct access_result rs, re;
                        rq.pin = pins[p];
                        if (day % 5 == 0)
                            raw_bits(cards[c], &rq.cred);
                        OK(access_decide(snap, NULL, &rq, &rs, NULL));
                        OK(access_decide(edge, NULL, &rq, &re, NULL));
                        if (door == f->main_door) {
                            assert_int_equal(re.reason, REASON_UNKNOWN_DOOR);
                        } else if (cards[c] == 3003) {
                            assert_int_equal(rs.reason, round == 0 ? REASON_NO_ACCESS_LEVEL
                                                                   : REASON_DOOR_LOCKED_DOWN);
                            assert_int_equal(re.reason, REASON_UNKNOWN_CREDENTIAL);
                        } else {
                            assert_int_equal(re.granted, rs.granted);
                            assert_int_equal(re.reason, rs.reason);
                            assert_int_equal(re.credential_id, rs.credential_id);
                            assert_int_equal(re.person_id, rs.person_id);
                            assert_int_equal(re.level_id, rs.level_id);
                            assert_int_equal(re.schedule_id, rs.schedule_id);
                            compared++;
                            granted += re.granted;
                        }
                    }
        }
        access_snapshot_free(edge);
        edge = NULL;
        access_snapshot_free(snap);
        gh_buf_free(&doc);
        /* round 2: the Lobby (and the Lab inside it) locked down */
        OK(store_area_get(f->st, f->lobby, &a));
        a.locked_down = true;
        OK_E(store_area_update(f->st, &a, &err));
    }
    assert_true(granted > 0 && granted < compared);
}

/* A controller past its offline limit asks for card + PIN at a card-only door. */
static void test_require_pin(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap = compile(f);
    struct access_request rq = card_req(f->fire_door, DIR_ENTRY, ALICE_NUM, workday(f));
    struct access_result res;
    rq.require_pin = true;
    OK(access_decide(snap, NULL, &rq, &res, NULL));
    assert_int_equal(res.reason, REASON_PIN_REQUIRED);
    rq.pin = "1234";
    OK(access_decide(snap, NULL, &rq, &res, NULL));
    assert_true(res.granted);
    rq.pin = "4321";
    OK(access_decide(snap, NULL, &rq, &res, NULL));
    assert_int_equal(res.reason, REASON_PIN_INCORRECT);
    access_snapshot_free(snap);
}

/* Replaces the first occurrence of from with to in a document (same or any length). */
static char *edit(const struct gh_buf *doc, const char *from, const char *to)
{
    const char *at = strstr(doc->data, from);
    size_t n = doc->len - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    assert_non_null(at);
    gh_snprintf(out, n, "%.*s%s%s", (int)(at - doc->data), doc->data, to, at + strlen(from));
    return out;
}

static void expect_refused(const char *text, int64_t controller, int code, const char *msg)
{
    struct access_snapshot *edge = (struct access_snapshot *)&edge;
    struct access_edge_import want = {controller};
    struct gh_err err = {{0}};
    assert_int_equal(access_edge_import(text, strlen(text), &want, &edge, NULL, &err), code);
    assert_null(edge);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("expected '%s' in: %s", msg, err.msg);
}

/* A document that is not exactly right is refused whole, with what and where. */
static void test_edge_snapshot_refusals(void **state)
{
    struct fx *f = *state;
    struct access_snapshot *snap = compile(f);
    struct gh_buf doc;
    char *bad, dup[96], orig[96];
    const char *hash;

    edge_export(f, snap, 7, &doc);
    expect_refused(doc.data, 8, -EPERM, "made for controller 7, this is controller 8");
    bad = edit(&doc, "\"format\":1", "\"format\":2");
    expect_refused(bad, 7, -EPROTO, "format 2");
    free(bad);
    bad = edit(&doc, "\"format\":1", "\"format\":1,\"extra\":1");
    expect_refused(bad, 7, -EINVAL, "extra");
    free(bad);
    bad = edit(&doc, "\"sites\":[", "\"sites\":[}");
    expect_refused(bad, 7, -EINVAL, "snapshot: line 1, column");
    free(bad);
    bad = edit(&doc, "\"held_open_s\":", "\"held_open_s\":9999999");
    expect_refused(bad, 7, -EINVAL, "doors[0]");
    free(bad);
    bad = edit(&doc, "\"tz\":\"Europe/Berlin\"", "\"tz\":\"Mars/Olympus\"");
    expect_refused(bad, 7, -ENOENT, "Mars/Olympus");
    free(bad);
    /* a credential whose holder is not in the document */
    bad = edit(&doc, "\"person\":", "\"person\":9");
    expect_refused(bad, 7, -EINVAL, "not found");
    free(bad);
    hash = strstr(doc.data, "\"card\":\"");
    assert_non_null(hash);
    gh_snprintf(orig, sizeof(orig), "%.73s", hash);
    gh_snprintf(dup, sizeof(dup), "\"card\":\"%.63sg\"", hash + 8);
    bad = edit(&doc, orig, dup);
    expect_refused(bad, 7, -EINVAL, "card must be 64 hex digits");
    free(bad);
    expect_refused("{}", 7, -EINVAL, "format");
    {
        struct access_snapshot *edge = NULL;
        struct gh_err err = {{0}};
        assert_int_equal(
            access_edge_import(doc.data, ACCESS_EDGE_MAX_BYTES + 1, NULL, &edge, NULL, &err),
            -EFBIG);
    }
    gh_buf_free(&doc);
    access_snapshot_free(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_slots_return_on_thread_exit),
        cmocka_unit_test(test_engine_two_engines_one_thread),
        cmocka_unit_test_setup_teardown(test_antipassback_nested_and_stale_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decide_batch_matches_single, setup, teardown),
        cmocka_unit_test_setup_teardown(test_granted_and_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_door, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_credential_and_raw_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credential_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_person_inactive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_access_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outside_schedule_and_holiday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_midnight_crossing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dst_spring_forward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dst_fall_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlocked_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_antipassback_hard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_antipassback_soft, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_snapshot_decides_as_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_snapshot_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_require_pin, setup, teardown),
        cmocka_unit_test(test_every_reason_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
