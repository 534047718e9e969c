/*
 * test_store.c: the SQLite store (src/store/sqlite.c) against its contract in store.h.
 * Creating and migrating a database (schema version == store_schema_latest()), reopening
 * it, refusing a database whose schema is newer (-EPROTO, the version in the message, the
 * file untouched); create/read/update/list round trips of every entity (sites, areas,
 * doors, schedules with intervals, holiday calendars and holidays, access levels and their
 * doors, departments and store_department_ensure, people, credentials with a PIN hash,
 * assignments); unique-name conflicts (-EEXIST with a message) and foreign-key violations
 * (-EINVAL); the policy version bumped by every policy change and by nothing else; the
 * append-only event log (raw UPDATE/DELETE refused, offsets strictly increasing, every
 * store_event_query filter); store_credential_revoke_person changing only active and
 * suspended credentials. Every test runs in its own temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "access/access.h"
#include "../support.h"
#include "store/store.h"

#define US INT64_C(1000000)

/* ---- fixture: a temp dir with a fresh database ---------------------------------------- */

/* ---- helpers ---------------------------------------------------------------------------- */

/* Checks a call that must fail with `code` and a message containing `needle`. The call
 * names the message buffer `ferr`. */
static void expect_fail(int got, const struct gh_err *err, int code, const char *needle, int line)
{
    if (got != code)
        fail_msg("line %d: got %d (%s), want %d (%s); message '%s'", line, got, gh_strerror(got),
                 code, gh_strerror(code), err->msg);
    if (needle != NULL && strstr(err->msg, needle) == NULL)
        fail_msg("line %d: message '%s' does not mention '%s'", line, err->msg, needle);
}
#define EXPECT_FAIL(call, code, needle)                                                            \
    do {                                                                                           \
        struct gh_err e_ = {{0}};                                                                  \
        struct gh_err *ferr = &e_;                                                                 \
        int r_ = (call);                                                                           \
        expect_fail(r_, &e_, (code), (needle), __LINE__);                                          \
    } while (0)

static int64_t add_site(struct store *st, const char *name, const char *tz)
{
    struct site s = {0};
    struct gh_err err = {{0}};
    int r;
    gh_strlcpy(s.name, name, sizeof(s.name));
    gh_strlcpy(s.timezone, tz, sizeof(s.timezone));
    r = store_site_insert(st, &s, &err);
    if (r != 0)
        fail_msg("site insert: %d %s", r, err.msg);
    assert_true(s.id > 0);
    return s.id;
}

static int64_t add_area(struct store *st, int64_t site, int64_t parent, const char *name)
{
    struct area a = {0};
    struct gh_err err = {{0}};
    int r;
    a.site_id = site;
    a.parent_id = parent;
    gh_strlcpy(a.name, name, sizeof(a.name));
    r = store_area_insert(st, &a, &err);
    if (r != 0)
        fail_msg("area insert: %d %s", r, err.msg);
    return a.id;
}

static struct door door_row(int64_t site, const char *name, int64_t from, int64_t to)
{
    struct door d = {0};
    d.site_id = site;
    gh_strlcpy(d.name, name, sizeof(d.name));
    d.from_area_id = from;
    d.to_area_id = to;
    d.mode = DOOR_CARD;
    d.unlock_ms = 5000;
    d.held_open_s = 30;
    d.fail = DOOR_FAIL_SECURE;
    d.has_entry_reader = true;
    d.has_exit_reader = true;
    return d;
}

static int64_t add_door(struct store *st, int64_t site, const char *name, int64_t from, int64_t to)
{
    struct door d = door_row(site, name, from, to);
    struct gh_err err = {{0}};
    int r = store_door_insert(st, &d, &err);
    if (r != 0)
        fail_msg("door insert: %d %s", r, err.msg);
    return d.id;
}

static int64_t add_schedule(struct store *st, const char *name, int64_t cal)
{
    struct schedule s = {0};
    struct gh_err err = {{0}};
    int r;
    gh_strlcpy(s.name, name, sizeof(s.name));
    s.calendar_id = cal;
    s.n_intervals = 1;
    s.intervals[0] = (struct sched_interval){SCHED_DAYS_ALL, 0, 1440};
    r = store_schedule_insert(st, &s, &err);
    if (r != 0)
        fail_msg("schedule insert: %d %s", r, err.msg);
    return s.id;
}

static int64_t add_level(struct store *st, const char *name)
{
    struct access_level l = {0};
    struct gh_err err = {{0}};
    int r;
    gh_strlcpy(l.name, name, sizeof(l.name));
    r = store_level_insert(st, &l, &err);
    if (r != 0)
        fail_msg("level insert: %d %s", r, err.msg);
    return l.id;
}

static struct person person_row(const char *emp, const char *first, const char *last)
{
    struct person p = {0};
    gh_strlcpy(p.employee_id, emp, sizeof(p.employee_id));
    gh_strlcpy(p.first_name, first, sizeof(p.first_name));
    gh_strlcpy(p.last_name, last, sizeof(p.last_name));
    p.kind = PERSON_EMPLOYEE;
    p.status = PERSON_ACTIVE;
    p.valid_from = GH_TIME_MIN;
    p.valid_until = GH_TIME_MAX;
    return p;
}

static int64_t add_person(struct store *st, const char *emp)
{
    struct person p = person_row(emp, "Test", emp);
    struct gh_err err = {{0}};
    int r = store_person_insert(st, &p, &err);
    if (r != 0)
        fail_msg("person insert: %d %s", r, err.msg);
    return p.id;
}

static struct credential cred_row(int64_t person, uint64_t number, enum cred_status status)
{
    struct credential c = {0};
    c.person_id = person;
    c.format = CRED_FMT_H10301;
    c.facility = 10;
    c.number = number;
    c.status = status;
    c.valid_from = GH_TIME_MIN;
    c.valid_until = GH_TIME_MAX;
    return c;
}

static int64_t add_cred(struct store *st, int64_t person, uint64_t number, enum cred_status status)
{
    struct credential c = cred_row(person, number, status);
    struct gh_err err = {{0}};
    int r = store_credential_insert(st, &c, &err);
    if (r != 0)
        fail_msg("credential insert: %d %s", r, err.msg);
    return c.id;
}

/* Raw SQL on a second, plain sqlite3 connection; returns the sqlite3 result code. */
static int raw_exec(const char *path, const char *sql, char *msg, size_t len)
{
    sqlite3 *db = NULL;
    char *m = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &m);
    if (msg != NULL)
        gh_strlcpy(msg, m ? m : "", len);
    sqlite3_free(m);
    sqlite3_close(db);
    return rc;
}

static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    struct gh_err err = {{0}};
    int r = gh_read_file(path, 64u << 20, &data, len, &err);
    if (r != 0)
        fail_msg("read %s: %d %s", path, r, err.msg);
    return data;
}

/* Counting list callbacks: ctx is an int counter. */
static int count_site(void *ctx, const struct site *row)
{
    (void)row;
    ++*(int *)ctx;
    return 0;
}

/* ---- open, migrate, reopen, refuse newer ------------------------------------------------ */

static void test_open_migrate_reopen(void **state)
{
    struct temp_store *f = *state;
    struct store *st = NULL;
    struct gh_err err = {{0}};
    char missing[192];
    char val[64];
    int64_t pv;

    assert_true(store_schema_latest() >= 1);
    assert_int_equal(store_schema_version(f->st), store_schema_latest());
    assert_string_equal(store_path(f->st), f->path);
    assert_false(store_in_transaction(f->st));
    pv = store_policy_version(f->st);
    assert_true(pv >= 1);
    assert_int_equal(store_event_last_offset(f->st), 0);

    /* meta round trip, survives a reopen */
    assert_int_equal(store_meta_get(f->st, "site_key_id", val, sizeof(val)), -ENOENT);
    OK(store_meta_set(f->st, "site_key_id", "k1"));
    OK(store_meta_set(f->st, "site_key_id", "k2"));
    add_site(f->st, "HQ", "Europe/Berlin");
    pv = store_policy_version(f->st);
    store_close(f->st);
    f->st = NULL;

    /* reopen without STORE_CREATE: same schema, no migration, data kept */
    OK(store_open(f->path, 0, &f->st, &err));
    assert_int_equal(store_schema_version(f->st), store_schema_latest());
    assert_int_equal(store_policy_version(f->st), pv);
    OK(store_meta_get(f->st, "site_key_id", val, sizeof(val)));
    assert_string_equal(val, "k2");
    {
        int n = 0;
        OK(store_site_list(f->st, count_site, &n));
        assert_int_equal(n, 1);
    }

    /* a read-only second connection sees the same */
    OK(store_open(f->path, STORE_READONLY, &st, &err));
    assert_int_equal(store_schema_version(st), store_schema_latest());
    assert_int_equal(store_policy_version(st), pv);
    store_close(st);
    st = NULL;

    /* reopening with STORE_CREATE does not migrate again */
    OK(store_open(f->path, STORE_CREATE | STORE_DURABLE, &st, &err));
    assert_int_equal(store_policy_version(st), pv);
    store_close(st);
    st = NULL;

    /* a missing file without STORE_CREATE is not created */
    gh_snprintf(missing, sizeof(missing), "%s/missing.db", f->dir);
    assert_true(store_open(missing, 0, &st, &err) < 0);
    assert_null(st);
    assert_true(strstr(err.msg, "missing.db") != NULL);
    assert_int_equal(access(missing, F_OK), -1);
}

static void test_newer_schema_refused(void **state)
{
    struct temp_store *f = *state;
    struct store *st = NULL;
    struct gh_err err = {{0}};
    char sql[64], want[32];
    int newer = store_schema_latest() + 5;
    char *before, *after;
    size_t len_before, len_after;
    int64_t tables;

    add_site(f->st, "HQ", "UTC");
    store_close(f->st);
    f->st = NULL;

    gh_snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", newer);
    assert_int_equal(raw_exec(f->path, sql, NULL, 0), SQLITE_OK);
    /* fold the WAL into the file so the bytes compared below are the whole database */
    assert_int_equal(raw_exec(f->path, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, 0), SQLITE_OK);
    tables = raw_int(f->path, "SELECT count(*) FROM sqlite_master");
    before = slurp(f->path, &len_before);

    gh_snprintf(want, sizeof(want), "%d", newer);
    memset(&err, 0, sizeof(err));
    assert_int_equal(store_open(f->path, 0, &st, &err), -EPROTO);
    assert_null(st);
    assert_non_null(strstr(err.msg, want));

    memset(&err, 0, sizeof(err));
    assert_int_equal(store_open(f->path, STORE_CREATE, &st, &err), -EPROTO);
    assert_non_null(strstr(err.msg, want));

    memset(&err, 0, sizeof(err));
    assert_int_equal(store_open(f->path, STORE_READONLY, &st, &err), -EPROTO);
    assert_non_null(strstr(err.msg, want));

    /* nothing changed: the version, the schema and the bytes of the file */
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), newer);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master"), tables);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sites"), 1);
    after = slurp(f->path, &len_after);
    assert_int_equal(len_before, len_after);
    assert_memory_equal(before, after, len_before);
    free(before);
    free(after);
}

/* ---- CRUD round trips ---------------------------------------------------------------------- */

struct site_list {
    int n;
    struct site rows[4];
};
static int collect_site(void *ctx, const struct site *row)
{
    struct site_list *l = ctx;
    if (l->n < 4)
        l->rows[l->n] = *row;
    l->n++;
    return 0;
}

static void test_site_crud(void **state)
{
    struct temp_store *f = *state;
    struct site a = {0}, b = {0}, got;
    struct site_list l = {0};
    struct gh_err err = {{0}};

    gh_strlcpy(a.name, "Headquarters", sizeof(a.name));
    gh_strlcpy(a.timezone, "Europe/Berlin", sizeof(a.timezone));
    OK(store_site_insert(f->st, &a, &err));
    gh_strlcpy(b.name, "Branch", sizeof(b.name));
    gh_strlcpy(b.timezone, "America/New_York", sizeof(b.timezone));
    OK(store_site_insert(f->st, &b, &err));
    assert_true(a.id > 0 && b.id > a.id);

    OK(store_site_get(f->st, a.id, &got));
    assert_int_equal(got.id, a.id);
    assert_string_equal(got.name, "Headquarters");
    assert_string_equal(got.timezone, "Europe/Berlin");
    OK(store_site_find(f->st, "Branch", &got));
    assert_int_equal(got.id, b.id);
    assert_string_equal(got.timezone, "America/New_York");
    assert_int_equal(store_site_get(f->st, b.id + 100, &got), -ENOENT);
    assert_int_equal(store_site_find(f->st, "Nowhere", &got), -ENOENT);

    OK(store_site_list(f->st, collect_site, &l));
    assert_int_equal(l.n, 2);
    assert_int_equal(l.rows[0].id, a.id); /* id order */
    assert_int_equal(l.rows[1].id, b.id);
}

static int collect_area(void *ctx, const struct area *row)
{
    struct area *out = ctx;
    int i = 0;
    while (out[i].id != 0)
        i++;
    out[i] = *row;
    return 0;
}

static void test_area_crud(void **state)
{
    struct temp_store *f = *state;
    int64_t site = add_site(f->st, "HQ", "Europe/Berlin");
    struct area a = {0}, child = {0}, got;
    struct area list[8];
    struct gh_err err = {{0}};

    a.site_id = site;
    gh_strlcpy(a.name, "Lobby", sizeof(a.name));
    a.apb = APB_SOFT;
    OK(store_area_insert(f->st, &a, &err));
    child.site_id = site;
    child.parent_id = a.id;
    gh_strlcpy(child.name, "Lab", sizeof(child.name));
    child.apb = APB_HARD;
    child.locked_down = true;
    OK(store_area_insert(f->st, &child, &err));

    OK(store_area_get(f->st, a.id, &got));
    assert_int_equal(got.site_id, site);
    assert_int_equal(got.parent_id, 0);
    assert_string_equal(got.name, "Lobby");
    assert_int_equal(got.apb, APB_SOFT);
    assert_false(got.locked_down);
    OK(store_area_find(f->st, "Lab", &got));
    assert_int_equal(got.id, child.id);
    assert_int_equal(got.parent_id, a.id);
    assert_int_equal(got.apb, APB_HARD);
    assert_true(got.locked_down);

    /* update every field */
    child.parent_id = 0;
    child.apb = APB_NONE;
    child.locked_down = false;
    gh_strlcpy(child.name, "Laboratory", sizeof(child.name));
    OK(store_area_update(f->st, &child, &err));
    OK(store_area_get(f->st, child.id, &got));
    assert_int_equal(got.parent_id, 0);
    assert_int_equal(got.apb, APB_NONE);
    assert_false(got.locked_down);
    assert_string_equal(got.name, "Laboratory");
    assert_int_equal(store_area_find(f->st, "Lab", &got), -ENOENT);

    /* updating a missing row */
    got = child;
    got.id = child.id + 100;
    gh_strlcpy(got.name, "Ghost", sizeof(got.name));
    EXPECT_FAIL(store_area_update(f->st, &got, ferr), -ENOENT, "Ghost");

    memset(list, 0, sizeof(list));
    OK(store_area_list(f->st, collect_area, list));
    assert_int_equal(list[0].id, a.id);
    assert_int_equal(list[1].id, child.id);
    assert_int_equal(list[2].id, 0);
}

static void test_door_crud(void **state)
{
    struct temp_store *f = *state;
    int64_t site = add_site(f->st, "HQ", "Europe/Berlin");
    int64_t out = add_area(f->st, site, 0, "Outside");
    int64_t lobby = add_area(f->st, site, 0, "Lobby");
    int64_t sched = add_schedule(f->st, "Office", 0);
    struct door d = door_row(site, "Main", out, lobby), got;
    struct gh_err err = {{0}};

    d.escort_required = true;
    d.has_exit_reader = false;
    d.fail = DOOR_FAIL_SAFE;
    d.unlock_ms = 7000;
    d.held_open_s = 45;
    OK(store_door_insert(f->st, &d, &err));
    assert_true(d.id > 0);
    OK(store_door_get(f->st, d.id, &got));
    assert_int_equal(got.site_id, site);
    assert_string_equal(got.name, "Main");
    assert_int_equal(got.from_area_id, out);
    assert_int_equal(got.to_area_id, lobby);
    assert_int_equal(got.mode, DOOR_CARD);
    assert_int_equal(got.unlock_schedule_id, 0);
    assert_int_equal(got.unlock_ms, 7000);
    assert_int_equal(got.held_open_s, 45);
    assert_int_equal(got.fail, DOOR_FAIL_SAFE);
    assert_true(got.escort_required);
    assert_true(got.has_entry_reader);
    assert_false(got.has_exit_reader);

    d.mode = DOOR_UNLOCKED_SCHEDULE;
    d.unlock_schedule_id = sched;
    d.from_area_id = lobby;
    d.to_area_id = out;
    d.escort_required = false;
    d.has_exit_reader = true;
    OK(store_door_update(f->st, &d, &err));
    OK(store_door_find(f->st, "Main", &got));
    assert_int_equal(got.id, d.id);
    assert_int_equal(got.mode, DOOR_UNLOCKED_SCHEDULE);
    assert_int_equal(got.unlock_schedule_id, sched);
    assert_int_equal(got.from_area_id, lobby);
    assert_int_equal(got.to_area_id, out);
    assert_false(got.escort_required);
    assert_true(got.has_exit_reader);

    /* constraints: same area both sides, unlocked-by-schedule without a schedule */
    got = door_row(site, "Loop", out, out);
    EXPECT_FAIL(store_door_insert(f->st, &got, ferr), -EINVAL, "Loop");
    got = door_row(site, "Open", out, lobby);
    got.mode = DOOR_UNLOCKED_SCHEDULE;
    EXPECT_FAIL(store_door_insert(f->st, &got, ferr), -EINVAL, "Open");
    assert_int_equal(store_door_find(f->st, "Loop", &got), -ENOENT);
    assert_int_equal(store_door_get(f->st, d.id + 10, &got), -ENOENT);
}

struct hol_list {
    int n;
    struct holiday rows[8];
};
static int collect_holiday(void *ctx, const struct holiday *row)
{
    struct hol_list *l = ctx;
    if (l->n < 8)
        l->rows[l->n] = *row;
    l->n++;
    return 0;
}
static int count_calendar(void *ctx, const struct holiday_calendar *row)
{
    (void)row;
    ++*(int *)ctx;
    return 0;
}

static void test_calendar_holidays(void **state)
{
    struct temp_store *f = *state;
    struct holiday_calendar de = {0}, at = {0}, got;
    struct holiday h = {0};
    struct hol_list l = {0};
    struct gh_err err = {{0}};
    int64_t may1 = gh_days_from_civil(2026, 5, 1), jan1 = gh_days_from_civil(2026, 1, 1);
    int n = 0;

    gh_strlcpy(de.name, "DE", sizeof(de.name));
    OK(store_calendar_insert(f->st, &de, &err));
    gh_strlcpy(at.name, "AT", sizeof(at.name));
    OK(store_calendar_insert(f->st, &at, &err));
    assert_true(de.id > 0 && at.id > de.id);
    OK(store_calendar_find(f->st, "AT", &got));
    assert_int_equal(got.id, at.id);
    assert_string_equal(got.name, "AT");
    assert_int_equal(store_calendar_find(f->st, "FR", &got), -ENOENT);
    OK(store_calendar_list(f->st, count_calendar, &n));
    assert_int_equal(n, 2);

    /* inserted out of order, listed by (calendar, day) */
    h.calendar_id = at.id;
    h.day = may1;
    gh_strlcpy(h.name, "Staatsfeiertag", sizeof(h.name));
    OK(store_holiday_insert(f->st, &h, &err));
    h.calendar_id = de.id;
    gh_strlcpy(h.name, "Tag der Arbeit", sizeof(h.name));
    OK(store_holiday_insert(f->st, &h, &err));
    h.day = jan1;
    gh_strlcpy(h.name, "Neujahr", sizeof(h.name));
    OK(store_holiday_insert(f->st, &h, &err));

    OK(store_holiday_list(f->st, collect_holiday, &l));
    assert_int_equal(l.n, 3);
    assert_int_equal(l.rows[0].calendar_id, de.id);
    assert_int_equal(l.rows[0].day, jan1);
    assert_string_equal(l.rows[0].name, "Neujahr");
    assert_int_equal(l.rows[1].calendar_id, de.id);
    assert_int_equal(l.rows[1].day, may1);
    assert_string_equal(l.rows[1].name, "Tag der Arbeit");
    assert_int_equal(l.rows[2].calendar_id, at.id);
    assert_int_equal(l.rows[2].day, may1);

    /* the same day twice in one calendar */
    h.day = may1;
    gh_strlcpy(h.name, "Again", sizeof(h.name));
    EXPECT_FAIL(store_holiday_insert(f->st, &h, ferr), -EEXIST, "Again");

    /* deleting a calendar deletes its holidays */
    OK(store_delete(f->st, ST_CALENDAR, at.id, &err));
    memset(&l, 0, sizeof(l));
    OK(store_holiday_list(f->st, collect_holiday, &l));
    assert_int_equal(l.n, 2);
}

struct sched_list {
    int n;
    struct schedule rows[4];
};
static int collect_schedule(void *ctx, const struct schedule *row)
{
    struct sched_list *l = ctx;
    if (l->n < 4)
        l->rows[l->n] = *row;
    l->n++;
    return 0;
}

static void test_schedule_crud(void **state)
{
    struct temp_store *f = *state;
    struct holiday_calendar cal = {0};
    struct schedule s = {0}, got;
    struct sched_list *l = calloc(1, sizeof(*l));
    struct gh_err err = {{0}};

    assert_non_null(l);
    gh_strlcpy(cal.name, "DE", sizeof(cal.name));
    OK(store_calendar_insert(f->st, &cal, &err));

    gh_strlcpy(s.name, "Office", sizeof(s.name));
    s.calendar_id = cal.id;
    s.n_intervals = 3;
    s.intervals[0] = (struct sched_interval){0x1f, 8 * 60, 18 * 60};
    s.intervals[1] = (struct sched_interval){0x60 | SCHED_DAY_HOLIDAY, 10 * 60, 14 * 60};
    s.intervals[2] = (struct sched_interval){0x10, 22 * 60, 6 * 60};
    OK(store_schedule_insert(f->st, &s, &err));
    assert_true(s.id > 0);

    OK(store_schedule_get(f->st, s.id, &got));
    assert_string_equal(got.name, "Office");
    assert_int_equal(got.calendar_id, cal.id);
    assert_int_equal(got.n_intervals, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got.intervals[i].days, s.intervals[i].days);
        assert_int_equal(got.intervals[i].start_min, s.intervals[i].start_min);
        assert_int_equal(got.intervals[i].end_min, s.intervals[i].end_min);
    }

    /* update: fewer intervals, no calendar, new name; the old intervals are gone */
    s.calendar_id = 0;
    s.n_intervals = 1;
    s.intervals[0] = (struct sched_interval){SCHED_DAYS_ALL, 0, 1440};
    gh_strlcpy(s.name, "Always", sizeof(s.name));
    OK(store_schedule_update(f->st, &s, &err));
    OK(store_schedule_find(f->st, "Always", &got));
    assert_int_equal(got.id, s.id);
    assert_int_equal(got.calendar_id, 0);
    assert_int_equal(got.n_intervals, 1);
    assert_int_equal(got.intervals[0].days, SCHED_DAYS_ALL);
    assert_int_equal(got.intervals[0].start_min, 0);
    assert_int_equal(got.intervals[0].end_min, 1440);
    assert_int_equal(store_schedule_find(f->st, "Office", &got), -ENOENT);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schedule_intervals"), 1);

    /* a second schedule with no intervals at all */
    memset(&got, 0, sizeof(got));
    gh_strlcpy(got.name, "Never", sizeof(got.name));
    OK(store_schedule_insert(f->st, &got, &err));
    OK(store_schedule_list(f->st, collect_schedule, l));
    assert_int_equal(l->n, 2);
    assert_int_equal(l->rows[0].id, s.id);
    assert_int_equal(l->rows[0].n_intervals, 1);
    assert_int_equal(l->rows[1].id, got.id);
    assert_int_equal(l->rows[1].n_intervals, 0);

    /* invalid intervals are rejected before anything is written */
    memset(&got, 0, sizeof(got));
    gh_strlcpy(got.name, "Bad", sizeof(got.name));
    got.n_intervals = 1;
    got.intervals[0] = (struct sched_interval){0, 60, 120};
    EXPECT_FAIL(store_schedule_insert(f->st, &got, ferr), -EINVAL, "intervals");
    got.intervals[0] = (struct sched_interval){1, 1440, 1440};
    EXPECT_FAIL(store_schedule_insert(f->st, &got, ferr), -EINVAL, "intervals");
    assert_int_equal(store_schedule_find(f->st, "Bad", &got), -ENOENT);
    free(l);
}

struct ld_list {
    int n;
    struct level_door rows[8];
};
static int collect_level_door(void *ctx, const struct level_door *row)
{
    struct ld_list *l = ctx;
    if (l->n < 8)
        l->rows[l->n] = *row;
    l->n++;
    return 0;
}
static int count_level(void *ctx, const struct access_level *row)
{
    (void)row;
    ++*(int *)ctx;
    return 0;
}

static void test_level_doors(void **state)
{
    struct temp_store *f = *state;
    int64_t site = add_site(f->st, "HQ", "Europe/Berlin");
    int64_t out = add_area(f->st, site, 0, "Outside");
    int64_t lobby = add_area(f->st, site, 0, "Lobby");
    int64_t main = add_door(f->st, site, "Main", out, lobby);
    int64_t back = add_door(f->st, site, "Back", lobby, out);
    int64_t always = add_schedule(f->st, "Always", 0);
    int64_t office = add_schedule(f->st, "Office", 0);
    struct access_level lv = {0}, got;
    struct ld_list l = {0};
    struct gh_err err = {{0}};
    int n = 0;

    gh_strlcpy(lv.name, "Staff", sizeof(lv.name));
    OK(store_level_insert(f->st, &lv, &err));
    OK(store_level_get(f->st, lv.id, &got));
    assert_string_equal(got.name, "Staff");
    OK(store_level_find(f->st, "Staff", &got));
    assert_int_equal(got.id, lv.id);
    assert_int_equal(store_level_get(f->st, lv.id + 5, &got), -ENOENT);
    add_level(f->st, "Visitors");
    OK(store_level_list(f->st, count_level, &n));
    assert_int_equal(n, 2);

    OK(store_level_door_set(f->st, &(struct level_door){lv.id, back, always}, &err));
    OK(store_level_door_set(f->st, &(struct level_door){lv.id, main, always}, &err));
    /* replacing (level, door) changes its schedule, no second row */
    OK(store_level_door_set(f->st, &(struct level_door){lv.id, main, office}, &err));
    OK(store_level_door_list(f->st, collect_level_door, &l));
    assert_int_equal(l.n, 2);
    assert_int_equal(l.rows[0].door_id, main); /* ordered by level, door */
    assert_int_equal(l.rows[0].schedule_id, office);
    assert_int_equal(l.rows[1].door_id, back);
    assert_int_equal(l.rows[1].schedule_id, always);

    OK(store_level_door_remove(f->st, lv.id, back));
    assert_int_equal(store_level_door_remove(f->st, lv.id, back), -ENOENT);
    memset(&l, 0, sizeof(l));
    OK(store_level_door_list(f->st, collect_level_door, &l));
    assert_int_equal(l.n, 1);

    /* deleting the level deletes its door list */
    OK(store_delete(f->st, ST_LEVEL, lv.id, &err));
    memset(&l, 0, sizeof(l));
    OK(store_level_door_list(f->st, collect_level_door, &l));
    assert_int_equal(l.n, 0);
}

static int count_department(void *ctx, const struct department *row)
{
    (void)row;
    ++*(int *)ctx;
    return 0;
}

static void test_departments(void **state)
{
    struct temp_store *f = *state;
    struct department d = {0}, got;
    struct gh_err err = {{0}};
    int64_t id1 = 0, id2 = 0, pv;
    int n = 0;

    gh_strlcpy(d.name, "Research", sizeof(d.name));
    OK(store_department_insert(f->st, &d, &err));
    OK(store_department_get(f->st, d.id, &got));
    assert_string_equal(got.name, "Research");
    OK(store_department_find(f->st, "Research", &got));
    assert_int_equal(got.id, d.id);
    assert_int_equal(store_department_find(f->st, "Sales", &got), -ENOENT);

    /* ensure finds an existing one without writing, creates a missing one once */
    pv = store_policy_version(f->st);
    OK(store_department_ensure(f->st, "Research", &id1, &err));
    assert_int_equal(id1, d.id);
    assert_int_equal(store_policy_version(f->st), pv);
    OK(store_department_ensure(f->st, "Sales", &id1, &err));
    assert_true(id1 > d.id);
    assert_true(store_policy_version(f->st) > pv);
    OK(store_department_ensure(f->st, "Sales", &id2, &err));
    assert_int_equal(id1, id2);
    OK(store_department_list(f->st, count_department, &n));
    assert_int_equal(n, 2 + 4); /* and the four the incident types route to (migration 12) */
}

struct person_list {
    int n;
    struct person rows[4];
};
static int collect_person(void *ctx, const struct person *row)
{
    struct person_list *l = ctx;
    if (l->n < 4)
        l->rows[l->n] = *row;
    l->n++;
    return 0;
}

static void test_person_crud(void **state)
{
    struct temp_store *f = *state;
    struct person boss = person_row("E001", "Grace", "Hopper"), p, got;
    struct person_list *l = calloc(1, sizeof(*l));
    struct gh_err err = {{0}};
    int64_t dept = 0, count = 0;
    const int64_t from = INT64_C(1767225600) * US, until = INT64_C(1798761600) * US;

    assert_non_null(l);
    OK(store_department_ensure(f->st, "Research", &dept, &err));
    OK(store_person_insert(f->st, &boss, &err));

    p = person_row("E002", "Ada", "Lovelace");
    gh_strlcpy(p.email, "ada@example.com", sizeof(p.email));
    gh_strlcpy(p.title, "Analyst", sizeof(p.title));
    p.department_id = dept;
    p.manager_id = boss.id;
    p.kind = PERSON_CONTRACTOR;
    p.status = PERSON_ON_LEAVE;
    p.valid_from = from;
    p.valid_until = until;
    OK(store_person_insert(f->st, &p, &err));
    assert_true(p.id > boss.id);

    OK(store_person_get(f->st, p.id, &got));
    assert_string_equal(got.employee_id, "E002");
    assert_string_equal(got.first_name, "Ada");
    assert_string_equal(got.last_name, "Lovelace");
    assert_string_equal(got.email, "ada@example.com");
    assert_string_equal(got.title, "Analyst");
    assert_int_equal(got.department_id, dept);
    assert_int_equal(got.manager_id, boss.id);
    assert_int_equal(got.kind, PERSON_CONTRACTOR);
    assert_int_equal(got.status, PERSON_ON_LEAVE);
    assert_true(got.valid_from == from);
    assert_true(got.valid_until == until);

    /* open bounds and empty references round trip */
    OK(store_person_find(f->st, "E001", &got));
    assert_int_equal(got.id, boss.id);
    assert_true(got.valid_from == GH_TIME_MIN);
    assert_true(got.valid_until == GH_TIME_MAX);
    assert_int_equal(got.department_id, 0);
    assert_int_equal(got.manager_id, 0);
    assert_string_equal(got.email, "");
    assert_int_equal(got.kind, PERSON_EMPLOYEE);
    assert_int_equal(got.status, PERSON_ACTIVE);

    p.status = PERSON_TERMINATED;
    p.kind = PERSON_VISITOR;
    p.department_id = 0;
    p.manager_id = 0;
    p.valid_until = GH_TIME_MAX;
    gh_strlcpy(p.employee_id, "E002b", sizeof(p.employee_id));
    gh_strlcpy(p.last_name, "King", sizeof(p.last_name));
    OK(store_person_update(f->st, &p, &err));
    OK(store_person_find(f->st, "E002b", &got));
    assert_int_equal(got.id, p.id);
    assert_int_equal(got.status, PERSON_TERMINATED);
    assert_int_equal(got.kind, PERSON_VISITOR);
    assert_int_equal(got.department_id, 0);
    assert_int_equal(got.manager_id, 0);
    assert_string_equal(got.last_name, "King");
    assert_true(got.valid_from == from);
    assert_true(got.valid_until == GH_TIME_MAX);
    assert_int_equal(store_person_find(f->st, "E002", &got), -ENOENT);
    assert_int_equal(store_person_get(f->st, p.id + 10, &got), -ENOENT);

    OK(store_person_count(f->st, &count));
    assert_int_equal(count, 2);
    OK(store_person_list(f->st, collect_person, l));
    assert_int_equal(l->n, 2);
    assert_int_equal(l->rows[0].id, boss.id);
    assert_int_equal(l->rows[1].id, p.id);
    free(l);
}

struct cred_list {
    int n;
    struct credential rows[8];
};
static int collect_cred(void *ctx, const struct credential *row)
{
    struct cred_list *l = ctx;
    if (l->n < 8)
        l->rows[l->n] = *row;
    l->n++;
    return 0;
}

static void test_credential_crud(void **state)
{
    struct temp_store *f = *state;
    static const uint8_t key[ACCESS_SITE_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t ada = add_person(f->st, "E1"), bob = add_person(f->st, "E2");
    struct credential c = cred_row(ada, 4242, CRED_ACTIVE), got;
    struct cred_list l = {0};
    struct gh_err err = {{0}};
    const int64_t from = INT64_C(1767225600) * US, until = INT64_C(1798761600) * US;
    uint8_t h[32];

    c.format = CRED_FMT_H10304;
    c.facility = 65535;
    c.number = 524287;
    c.valid_from = from;
    c.valid_until = until;
    OK(store_credential_insert(f->st, &c, &err));
    assert_true(c.id > 0);
    OK(store_credential_get(f->st, c.id, &got));
    assert_int_equal(got.person_id, ada);
    assert_int_equal(got.format, CRED_FMT_H10304);
    assert_int_equal(got.facility, 65535);
    assert_int_equal(got.number, 524287);
    assert_int_equal(got.status, CRED_ACTIVE);
    assert_true(got.valid_from == from);
    assert_true(got.valid_until == until);
    assert_false(got.has_pin);

    /* set a PIN hash (it is keyed by the credential id, so it is written after insert) */
    access_pin_hash(key, c.id, "482916", h);
    c.has_pin = true;
    memcpy(c.pin_hash, h, 32);
    c.status = CRED_SUSPENDED;
    c.valid_from = GH_TIME_MIN;
    OK(store_credential_update(f->st, &c, &err));
    OK(store_credential_find(f->st, CRED_FMT_H10304, 65535, 524287, &got));
    assert_int_equal(got.id, c.id);
    assert_true(got.has_pin);
    assert_memory_equal(got.pin_hash, h, 32);
    assert_int_equal(got.status, CRED_SUSPENDED);
    assert_true(got.valid_from == GH_TIME_MIN);
    assert_int_equal(store_credential_find(f->st, CRED_FMT_H10301, 65535, 524287, &got), -ENOENT);

    /* clear the PIN again */
    c.has_pin = false;
    OK(store_credential_update(f->st, &c, &err));
    OK(store_credential_get(f->st, c.id, &got));
    assert_false(got.has_pin);

    add_cred(f->st, bob, 1, CRED_ACTIVE);
    add_cred(f->st, ada, 2, CRED_LOST);
    OK(store_credential_list(f->st, collect_cred, &l));
    assert_int_equal(l.n, 3);
    assert_true(l.rows[0].id < l.rows[1].id && l.rows[1].id < l.rows[2].id);
    memset(&l, 0, sizeof(l));
    OK(store_credential_list_person(f->st, ada, collect_cred, &l));
    assert_int_equal(l.n, 2);
    assert_int_equal(l.rows[0].id, c.id);
    assert_int_equal(l.rows[1].number, 2);
    assert_int_equal(l.rows[1].status, CRED_LOST);

    /* a person with credentials cannot be deleted; a credential can */
    EXPECT_FAIL(store_delete(f->st, ST_PERSON, bob, ferr), -EINVAL, "still used");
    OK(store_delete(f->st, ST_CREDENTIAL, c.id, &err));
    assert_int_equal(store_credential_get(f->st, c.id, &got), -ENOENT);
    EXPECT_FAIL(store_delete(f->st, ST_CREDENTIAL, c.id, ferr), -ENOENT, "does not exist");
}

struct asg_list {
    int n;
    struct assignment rows[4];
};
static int collect_asg(void *ctx, const struct assignment *row)
{
    struct asg_list *l = ctx;
    if (l->n < 4)
        l->rows[l->n] = *row;
    l->n++;
    return 0;
}

static void test_assignment_crud(void **state)
{
    struct temp_store *f = *state;
    int64_t ada = add_person(f->st, "E1"), bob = add_person(f->st, "E2");
    int64_t staff = add_level(f->st, "Staff"), lab = add_level(f->st, "Lab");
    struct assignment a = {0, ada, staff, GH_TIME_MAX}, b = {0, ada, lab, 12345 * US};
    struct assignment c = {0, bob, staff, GH_TIME_MAX};
    struct asg_list l = {0};
    struct gh_err err = {{0}};
    int64_t first;

    OK(store_assignment_set(f->st, &a, &err));
    OK(store_assignment_set(f->st, &b, &err));
    OK(store_assignment_set(f->st, &c, &err));
    assert_true(a.id > 0 && b.id > a.id && c.id > b.id);
    first = a.id;

    /* setting (person, level) again replaces its expiry and keeps its id */
    a.expires = 999 * US;
    a.id = 0;
    OK(store_assignment_set(f->st, &a, &err));
    assert_int_equal(a.id, first);

    OK(store_assignment_list(f->st, collect_asg, &l));
    assert_int_equal(l.n, 3);
    assert_int_equal(l.rows[0].id, first);
    assert_int_equal(l.rows[0].person_id, ada);
    assert_int_equal(l.rows[0].level_id, staff);
    assert_true(l.rows[0].expires == 999 * US);
    assert_true(l.rows[1].expires == 12345 * US);
    assert_true(l.rows[2].expires == GH_TIME_MAX);

    OK(store_assignment_remove(f->st, ada, lab));
    assert_int_equal(store_assignment_remove(f->st, ada, lab), -ENOENT);

    /* deleting a person deletes their assignments */
    OK(store_delete(f->st, ST_PERSON, bob, &err));
    memset(&l, 0, sizeof(l));
    OK(store_assignment_list(f->st, collect_asg, &l));
    assert_int_equal(l.n, 1);
    assert_int_equal(l.rows[0].person_id, ada);
}

/* ---- unique names and foreign keys --------------------------------------------------------- */

static void test_unique_conflicts(void **state)
{
    struct temp_store *f = *state;
    int64_t site = add_site(f->st, "HQ", "Europe/Berlin");
    int64_t out = add_area(f->st, site, 0, "Outside");
    int64_t lobby = add_area(f->st, site, 0, "Lobby");
    int64_t person = add_person(f->st, "E100");
    struct gh_err err = {{0}};
    int64_t pv;

    add_door(f->st, site, "Main", out, lobby);
    add_schedule(f->st, "Always", 0);
    add_level(f->st, "Staff");
    add_cred(f->st, person, 77, CRED_ACTIVE);
    {
        struct holiday_calendar c = {0};
        gh_strlcpy(c.name, "DE", sizeof(c.name));
        OK(store_calendar_insert(f->st, &c, &err));
    }
    {
        struct department d = {0};
        gh_strlcpy(d.name, "Research", sizeof(d.name));
        OK(store_department_insert(f->st, &d, &err));
    }
    pv = store_policy_version(f->st);

    {
        struct site s = {0};
        gh_strlcpy(s.name, "HQ", sizeof(s.name));
        gh_strlcpy(s.timezone, "UTC", sizeof(s.timezone));
        EXPECT_FAIL(store_site_insert(f->st, &s, ferr), -EEXIST, "'HQ' already exists");
    }
    {
        struct area a = {0, site, 0, "Lobby", APB_NONE, false};
        EXPECT_FAIL(store_area_insert(f->st, &a, ferr), -EEXIST, "'Lobby' already exists");
        /* renaming another area onto a taken name */
        a.id = out;
        EXPECT_FAIL(store_area_update(f->st, &a, ferr), -EEXIST, "'Lobby' already exists");
    }
    {
        struct door d = door_row(site, "Main", lobby, out);
        EXPECT_FAIL(store_door_insert(f->st, &d, ferr), -EEXIST, "'Main' already exists");
    }
    {
        struct schedule s = {0};
        gh_strlcpy(s.name, "Always", sizeof(s.name));
        EXPECT_FAIL(store_schedule_insert(f->st, &s, ferr), -EEXIST, "'Always' already exists");
    }
    {
        struct holiday_calendar c = {0};
        gh_strlcpy(c.name, "DE", sizeof(c.name));
        EXPECT_FAIL(store_calendar_insert(f->st, &c, ferr), -EEXIST, "'DE' already exists");
    }
    {
        struct access_level l = {0};
        gh_strlcpy(l.name, "Staff", sizeof(l.name));
        EXPECT_FAIL(store_level_insert(f->st, &l, ferr), -EEXIST, "'Staff' already exists");
    }
    {
        struct department d = {0};
        gh_strlcpy(d.name, "Research", sizeof(d.name));
        EXPECT_FAIL(store_department_insert(f->st, &d, ferr), -EEXIST, "'Research' already exists");
    }
    {
        struct person p = person_row("E100", "Dup", "Licate");
        EXPECT_FAIL(store_person_insert(f->st, &p, ferr), -EEXIST, "'E100' already exists");
    }
    {
        struct credential c = cred_row(person, 77, CRED_ACTIVE);
        EXPECT_FAIL(store_credential_insert(f->st, &c, ferr), -EEXIST, "already exists");
        EXPECT_FAIL(store_credential_insert(f->st, &c, ferr), -EEXIST, "10:77");
        /* the same number in another format is a different card */
        c.format = CRED_FMT_H10306;
        OK(store_credential_insert(f->st, &c, &err));
        pv = store_policy_version(f->st);
    }
    /* none of the failures changed policy */
    assert_int_equal(store_policy_version(f->st), pv);
}

static void test_foreign_keys(void **state)
{
    struct temp_store *f = *state;
    int64_t site = add_site(f->st, "HQ", "Europe/Berlin");
    int64_t out = add_area(f->st, site, 0, "Outside");
    int64_t lobby = add_area(f->st, site, 0, "Lobby");
    int64_t door = add_door(f->st, site, "Main", out, lobby);
    int64_t sched = add_schedule(f->st, "Always", 0);
    int64_t level = add_level(f->st, "Staff");
    int64_t person = add_person(f->st, "E1");
    const int64_t bad = 9999;
    struct gh_err err = {{0}};
    int64_t pv = store_policy_version(f->st);

    {
        struct area a = {0, bad, 0, "Nowhere", APB_NONE, false};
        EXPECT_FAIL(store_area_insert(f->st, &a, ferr), -EINVAL, "does not exist");
        a.site_id = site;
        a.parent_id = bad;
        EXPECT_FAIL(store_area_insert(f->st, &a, ferr), -EINVAL, "Nowhere");
    }
    {
        struct door d = door_row(site, "Ghost", out, bad);
        EXPECT_FAIL(store_door_insert(f->st, &d, ferr), -EINVAL, "Ghost");
        d = door_row(bad, "Ghost", out, lobby);
        EXPECT_FAIL(store_door_insert(f->st, &d, ferr), -EINVAL, "Ghost");
        d = door_row(site, "Main", out, lobby);
        d.id = door;
        d.mode = DOOR_UNLOCKED_SCHEDULE;
        d.unlock_schedule_id = bad;
        EXPECT_FAIL(store_door_update(f->st, &d, ferr), -EINVAL, "Main");
    }
    {
        struct schedule s = {0};
        gh_strlcpy(s.name, "Holidays", sizeof(s.name));
        s.calendar_id = bad;
        EXPECT_FAIL(store_schedule_insert(f->st, &s, ferr), -EINVAL, "Holidays");
        assert_int_equal(store_schedule_find(f->st, "Holidays", &s), -ENOENT);
    }
    {
        struct holiday h = {bad, 100, "Orphan"};
        EXPECT_FAIL(store_holiday_insert(f->st, &h, ferr), -EINVAL, "Orphan");
    }
    EXPECT_FAIL(store_level_door_set(f->st, &(struct level_door){level, bad, sched}, ferr), -EINVAL,
                NULL);
    EXPECT_FAIL(store_level_door_set(f->st, &(struct level_door){bad, door, sched}, ferr), -EINVAL,
                NULL);
    EXPECT_FAIL(store_level_door_set(f->st, &(struct level_door){level, door, bad}, ferr), -EINVAL,
                NULL);
    {
        struct person p = person_row("E2", "No", "Department");
        p.department_id = bad;
        EXPECT_FAIL(store_person_insert(f->st, &p, ferr), -EINVAL, "E2");
        p.department_id = 0;
        p.manager_id = bad; /* a deferred key: checked when the statement commits */
        EXPECT_FAIL(store_person_insert(f->st, &p, ferr), -EINVAL, "E2");
        assert_int_equal(store_person_find(f->st, "E2", &p), -ENOENT);
    }
    {
        struct credential c = cred_row(bad, 5, CRED_ACTIVE);
        EXPECT_FAIL(store_credential_insert(f->st, &c, ferr), -EINVAL, "does not exist");
    }
    {
        struct assignment a = {0, person, bad, GH_TIME_MAX};
        EXPECT_FAIL(store_assignment_set(f->st, &a, ferr), -EINVAL, NULL);
        a = (struct assignment){0, bad, level, GH_TIME_MAX};
        EXPECT_FAIL(store_assignment_set(f->st, &a, ferr), -EINVAL, NULL);
    }
    /* deleting something still referred to */
    EXPECT_FAIL(store_delete(f->st, ST_SITE, site, ferr), -EINVAL, "still used");
    EXPECT_FAIL(store_delete(f->st, ST_AREA, out, ferr), -EINVAL, "still used");
    OK(store_level_door_set(f->st, &(struct level_door){level, door, sched}, &err));
    pv = store_policy_version(f->st);
    EXPECT_FAIL(store_delete(f->st, ST_SCHEDULE, sched, ferr), -EINVAL, "still used");
    EXPECT_FAIL(store_delete(f->st, ST_SITE, bad, ferr), -ENOENT, "does not exist");
    assert_int_equal(store_policy_version(f->st), pv);
}

/* ---- the policy version ------------------------------------------------------------------ */

static void test_policy_version_bumps(void **state)
{
    struct temp_store *f = *state;
    struct gh_err err = {{0}};
    int64_t pv = store_policy_version(f->st);
    int64_t site, out, lobby, door, sched, level, person, cred, dept = 0;
    int changed = 0;

#define BUMPED(what)                                                                               \
    do {                                                                                           \
        int64_t now_ = store_policy_version(f->st);                                                \
        if (now_ <= pv)                                                                            \
            fail_msg("%s did not bump the policy version (%lld -> %lld)", what, (long long)pv,     \
                     (long long)now_);                                                             \
        pv = now_;                                                                                 \
    } while (0)
#define UNCHANGED(what)                                                                            \
    do {                                                                                           \
        if (store_policy_version(f->st) != pv)                                                     \
            fail_msg("%s changed the policy version", what);                                       \
    } while (0)

    site = add_site(f->st, "HQ", "Europe/Berlin");
    BUMPED("site insert");
    out = add_area(f->st, site, 0, "Outside");
    BUMPED("area insert");
    lobby = add_area(f->st, site, out, "Lobby");
    BUMPED("area insert");
    {
        struct area a;
        OK(store_area_get(f->st, lobby, &a));
        a.locked_down = true;
        OK(store_area_update(f->st, &a, &err));
        BUMPED("area update");
    }
    door = add_door(f->st, site, "Main", out, lobby);
    BUMPED("door insert");
    {
        struct door d;
        OK(store_door_get(f->st, door, &d));
        d.mode = DOOR_LOCKED_DOWN;
        OK(store_door_update(f->st, &d, &err));
        BUMPED("door update");
    }
    {
        struct holiday_calendar c = {0};
        struct holiday h = {0};
        gh_strlcpy(c.name, "DE", sizeof(c.name));
        OK(store_calendar_insert(f->st, &c, &err));
        BUMPED("calendar insert");
        h.calendar_id = c.id;
        h.day = 20574;
        gh_strlcpy(h.name, "Tag der Arbeit", sizeof(h.name));
        OK(store_holiday_insert(f->st, &h, &err));
        BUMPED("holiday insert");
        sched = add_schedule(f->st, "Always", c.id);
        BUMPED("schedule insert");
    }
    {
        struct schedule s;
        OK(store_schedule_get(f->st, sched, &s));
        s.intervals[0].end_min = 720;
        OK(store_schedule_update(f->st, &s, &err));
        BUMPED("schedule interval update");
    }
    level = add_level(f->st, "Staff");
    BUMPED("level insert");
    OK(store_level_door_set(f->st, &(struct level_door){level, door, sched}, &err));
    BUMPED("level door set");
    OK(store_level_door_remove(f->st, level, door));
    BUMPED("level door remove");
    OK(store_department_ensure(f->st, "Research", &dept, &err));
    BUMPED("department ensure");
    person = add_person(f->st, "E1");
    BUMPED("person insert");
    {
        struct person p;
        OK(store_person_get(f->st, person, &p));
        p.department_id = dept;
        OK(store_person_update(f->st, &p, &err));
        BUMPED("person update");
    }
    cred = add_cred(f->st, person, 1, CRED_ACTIVE);
    BUMPED("credential insert");
    {
        struct credential c;
        OK(store_credential_get(f->st, cred, &c));
        c.valid_until = 1;
        OK(store_credential_update(f->st, &c, &err));
        BUMPED("credential update");
    }
    OK(store_credential_revoke_person(f->st, person, CRED_REVOKED, &changed));
    assert_int_equal(changed, 1);
    BUMPED("credential revoke");
    {
        struct assignment a = {0, person, level, GH_TIME_MAX};
        OK(store_assignment_set(f->st, &a, &err));
        BUMPED("assignment set");
        a.expires = 5;
        OK(store_assignment_set(f->st, &a, &err));
        BUMPED("assignment change");
    }
    OK(store_assignment_remove(f->st, person, level));
    BUMPED("assignment remove");
    OK(store_delete(f->st, ST_CREDENTIAL, cred, &err));
    BUMPED("credential delete");
    OK(store_delete(f->st, ST_LEVEL, level, &err));
    BUMPED("level delete");

    /* changes that are not policy leave it alone */
    OK(store_meta_set(f->st, "import_stamp", "x"));
    UNCHANGED("meta set");
    OK(store_review_open(f->st, person, "department changed", 1));
    UNCHANGED("review open");
    {
        struct event ev = {0};
        ev.time_us = 1;
        ev.decision = -1;
        ev.reason = -1;
        OK(store_begin_write(f->st));
        OK(store_event_append(f->st, &ev));
        OK(store_commit(f->st));
        UNCHANGED("event append");
    }
    OK(store_credential_revoke_person(f->st, person, CRED_REVOKED, &changed));
    assert_int_equal(changed, 0);

    /* a rolled-back change is not a change */
    OK(store_begin_write(f->st));
    add_level(f->st, "Temp");
    assert_true(store_in_transaction(f->st));
    store_rollback(f->st);
    assert_false(store_in_transaction(f->st));
    UNCHANGED("rolled back insert");
#undef BUMPED
#undef UNCHANGED
}

/* ---- events --------------------------------------------------------------------------------- */

static struct event ev_make(int64_t t, enum event_type type, int64_t door, int64_t person,
                            int decision)
{
    struct event ev = {0};
    ev.time_us = t;
    ev.type = type;
    ev.door_id = door;
    ev.person_id = person;
    ev.decision = decision;
    ev.reason = decision < 0 ? -1 : decision ? 0 : 7;
    return ev;
}

static void test_events_append_only(void **state)
{
    struct temp_store *f = *state;
    struct event evs[3];
    char msg[256];
    int64_t prev = 0;

    OK(store_begin_write(f->st));
    for (int i = 0; i < 3; i++) {
        evs[i] = ev_make(1000 + i, EV_DOOR_STATE, 0, 0, -1);
        gh_snprintf(evs[i].payload, sizeof(evs[i].payload), "{\"i\":%d}", i);
        OK(store_event_append(f->st, &evs[i]));
        assert_true(evs[i].offset > prev);
        prev = evs[i].offset;
    }
    OK(store_commit(f->st));
    assert_int_equal(store_event_last_offset(f->st), prev);

    assert_int_not_equal(raw_exec(f->path, "UPDATE events SET type = 99", msg, sizeof(msg)),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    assert_int_not_equal(raw_exec(f->path, "DELETE FROM events", msg, sizeof(msg)), SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    assert_int_not_equal(raw_exec(f->path, "DELETE FROM events WHERE seq = 2", msg, sizeof(msg)),
                         SQLITE_OK);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events"), 3);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events WHERE type = 99"), 0);

    /* later transactions continue above the highest offset */
    OK(store_begin_write(f->st));
    for (int i = 0; i < 3; i++) {
        struct event ev = ev_make(2000, EV_ALARM, 0, 0, -1);
        OK(store_event_append(f->st, &ev));
        assert_true(ev.offset > prev);
        prev = ev.offset;
    }
    OK(store_commit(f->st));
    assert_int_equal(store_event_last_offset(f->st), prev);

    /* a rolled-back append leaves no event, and the next offset is still higher */
    OK(store_begin_write(f->st));
    {
        struct event ev = ev_make(3000, EV_ALARM, 0, 0, -1);
        OK(store_event_append(f->st, &ev));
    }
    store_rollback(f->st);
    assert_int_equal(store_event_last_offset(f->st), prev);
    OK(store_begin_write(f->st));
    {
        struct event ev = ev_make(3000, EV_ALARM, 0, 0, -1);
        OK(store_event_append(f->st, &ev));
        assert_true(ev.offset > prev);
    }
    OK(store_commit(f->st));
}

struct ev_sink {
    int n;
    int64_t last_offset;
    bool ordered;
    int stop_after; /* 0: never stop */
    struct event first;
};

static int sink_cb(void *ctx, const struct event *ev)
{
    struct ev_sink *s = ctx;
    if (s->n == 0)
        s->first = *ev;
    if (ev->offset <= s->last_offset)
        s->ordered = false;
    s->last_offset = ev->offset;
    s->n++;
    if (s->stop_after > 0 && s->n == s->stop_after)
        return 42;
    return 0;
}

static int query_count(struct store *st, const struct store_event_filter *flt)
{
    struct ev_sink s = {0};
    s.ordered = true;
    OK(store_event_query(st, flt, sink_cb, &s));
    assert_true(s.ordered);
    return s.n;
}

/* Person and door lookups walk buckets of 16384 offsets: a log spanning several buckets
 * gives the same rows as filtering everything, in order, with cursors and limits that
 * start and stop inside a bucket. */
static void test_event_query_across_buckets(void **state)
{
    struct temp_store *f = *state;
    struct store_event_filter flt;
    const int n = 40000; /* offsets 1..40000: buckets 0, 1 and 2 */
    int want_person = 0, want_door = 0, want_both = 0, want_after = 0;

    OK(store_begin_write(f->st));
    for (int i = 0; i < n; i++) {
        struct event ev = ev_make(i, EV_ACCESS_DECISION, 1 + i % 13, 1 + i % 7, i % 2 == 0);
        OK(store_event_append(f->st, &ev));
        want_person += ev.person_id == 5;
        want_door += ev.door_id == 11;
        want_both += ev.person_id == 5 && ev.door_id == 11;
        want_after += ev.person_id == 5 && ev.offset > 20000;
    }
    OK(store_commit(f->st));

    store_event_filter_init(&flt);
    flt.person_id = 5;
    assert_int_equal(query_count(f->st, &flt), want_person);
    flt.door_id = 11;
    assert_int_equal(query_count(f->st, &flt), want_both);
    flt.person_id = 0;
    assert_int_equal(query_count(f->st, &flt), want_door);
    /* a cursor inside bucket 1 */
    store_event_filter_init(&flt);
    flt.person_id = 5;
    flt.after_offset = 20000;
    assert_int_equal(query_count(f->st, &flt), want_after);
    /* a limit that ends inside bucket 1 and one larger than the rows */
    flt.after_offset = 0;
    flt.limit = 3000; /* bucket 0 holds ~2340 of person 5's events */
    assert_int_equal(query_count(f->st, &flt), 3000);
    flt.limit = want_person + 10;
    assert_int_equal(query_count(f->st, &flt), want_person);
    /* a time range (times equal the index here) */
    store_event_filter_init(&flt);
    flt.door_id = 11;
    flt.from_us = 16000;
    flt.to_us = 17000;
    {
        int want = 0;
        for (int i = 16000; i < 17000; i++)
            want += 1 + i % 13 == 11;
        assert_int_equal(query_count(f->st, &flt), want);
    }
}

static void test_event_query(void **state)
{
    struct temp_store *f = *state;
    struct store_event_filter flt;
    struct ev_sink sink = {0};
    int64_t offsets[40];
    int n = 0;

    /* 40 events: time 100*i us; person 1 or 2 alternating; door 10, 20, 30, 40 by i % 4;
     * decisions granted on even i, denied on odd i; every fifth is an alarm without a
     * decision, person or door */
    OK(store_begin_write(f->st));
    for (int i = 0; i < 40; i++) {
        struct event ev;
        if (i % 5 == 4)
            ev = ev_make(100 * i, EV_ALARM, 0, 0, -1);
        else
            ev = ev_make(100 * i, EV_ACCESS_DECISION, 10 * (i % 4 + 1), 1 + i % 2, i % 2 == 0);
        ev.credential_id = ev.person_id ? 100 + ev.person_id : 0;
        if (i == 3)
            gh_strlcpy(ev.payload, "{\"door\":\"Main\"}", sizeof(ev.payload));
        OK(store_event_append(f->st, &ev));
        offsets[n++] = ev.offset;
    }
    OK(store_commit(f->st));

    store_event_filter_init(&flt);
    assert_int_equal(flt.type, -1);
    assert_int_equal(flt.decision, -1);
    assert_int_equal(query_count(f->st, &flt), 40);

    /* time range: from inclusive, to exclusive */
    flt.from_us = 500;
    flt.to_us = 1500;
    assert_int_equal(query_count(f->st, &flt), 10);
    flt.from_us = 501;
    assert_int_equal(query_count(f->st, &flt), 9);
    flt.to_us = 1501;
    assert_int_equal(query_count(f->st, &flt), 10);

    /* person: i odd -> 2, excluding alarms (i = 9, 19, 29, 39 are odd): 20 - 4 */
    store_event_filter_init(&flt);
    flt.person_id = 2;
    assert_int_equal(query_count(f->st, &flt), 16);
    flt.person_id = 1; /* even i, minus alarms at 4, 14, 24, 34 */
    assert_int_equal(query_count(f->st, &flt), 16);
    flt.person_id = 3;
    assert_int_equal(query_count(f->st, &flt), 0);
    store_event_filter_init(&flt);
    flt.credential_id = 102;
    assert_int_equal(query_count(f->st, &flt), 16);

    /* door 10: i % 4 == 0 -> 10 events, alarms among them at i = 4, 24 */
    store_event_filter_init(&flt);
    flt.door_id = 10;
    assert_int_equal(query_count(f->st, &flt), 8);

    /* type and decision */
    store_event_filter_init(&flt);
    flt.type = EV_ALARM;
    assert_int_equal(query_count(f->st, &flt), 8);
    flt.type = EV_ACCESS_DECISION;
    assert_int_equal(query_count(f->st, &flt), 32);
    flt.decision = 1;
    assert_int_equal(query_count(f->st, &flt), 16);
    flt.decision = 0;
    assert_int_equal(query_count(f->st, &flt), 16);
    flt.person_id = 2; /* odd i: always denied */
    assert_int_equal(query_count(f->st, &flt), 16);
    flt.decision = 1;
    assert_int_equal(query_count(f->st, &flt), 0);

    /* cursor and limit */
    store_event_filter_init(&flt);
    flt.after_offset = offsets[29];
    assert_int_equal(query_count(f->st, &flt), 10);
    flt.limit = 4;
    memset(&sink, 0, sizeof(sink));
    OK(store_event_query(f->st, &flt, sink_cb, &sink));
    assert_int_equal(sink.n, 4);
    assert_int_equal(sink.first.offset, offsets[30]);
    assert_int_equal(sink.last_offset, offsets[33]);
    flt.after_offset = offsets[39];
    assert_int_equal(query_count(f->st, &flt), 0);

    /* combined: decisions at door 20 (i % 4 == 1 -> odd -> denied, person 2) after 10 */
    store_event_filter_init(&flt);
    flt.door_id = 20;
    flt.decision = 0;
    flt.after_offset = offsets[9];
    flt.from_us = 0;
    flt.to_us = 3000;
    assert_int_equal(query_count(f->st, &flt), 4); /* i = 13, 17, 21, 25 */

    /* a row round trip, and a callback's non-zero return stops and is returned */
    store_event_filter_init(&flt);
    flt.after_offset = offsets[2];
    memset(&sink, 0, sizeof(sink));
    sink.stop_after = 2;
    assert_int_equal(store_event_query(f->st, &flt, sink_cb, &sink), 42);
    assert_int_equal(sink.n, 2);
    assert_int_equal(sink.first.offset, offsets[3]);
    assert_true(sink.first.time_us == 300);
    assert_int_equal(sink.first.type, EV_ACCESS_DECISION);
    assert_int_equal(sink.first.door_id, 40);
    assert_int_equal(sink.first.person_id, 2);
    assert_int_equal(sink.first.credential_id, 102);
    assert_int_equal(sink.first.decision, 0);
    assert_int_equal(sink.first.reason, 7);
    assert_string_equal(sink.first.payload, "{\"door\":\"Main\"}");

    /* an event without decision, person or door reads back as -1 / 0 / "" */
    flt.after_offset = offsets[3];
    flt.type = EV_ALARM;
    flt.limit = 1;
    memset(&sink, 0, sizeof(sink));
    OK(store_event_query(f->st, &flt, sink_cb, &sink));
    assert_int_equal(sink.n, 1);
    assert_int_equal(sink.first.offset, offsets[4]);
    assert_int_equal(sink.first.decision, -1);
    assert_int_equal(sink.first.reason, -1);
    assert_int_equal(sink.first.door_id, 0);
    assert_int_equal(sink.first.person_id, 0);
    assert_string_equal(sink.first.payload, "");
}

/* ---- revoking a person's credentials ------------------------------------------------------ */

static void test_revoke_person(void **state)
{
    struct temp_store *f = *state;
    int64_t ada = add_person(f->st, "E1"), bob = add_person(f->st, "E2");
    static const enum cred_status initial[] = {CRED_ACTIVE, CRED_SUSPENDED, CRED_LOST,
                                               CRED_STOLEN, CRED_EXPIRED,   CRED_REVOKED,
                                               CRED_ACTIVE};
    static const enum cred_status after[] = {CRED_LOST,    CRED_LOST,    CRED_LOST, CRED_STOLEN,
                                             CRED_EXPIRED, CRED_REVOKED, CRED_LOST};
    int64_t ids[GH_ARRAY_LEN(initial)];
    int64_t other;
    struct credential got;
    int changed = -1;

    for (size_t i = 0; i < GH_ARRAY_LEN(initial); i++)
        ids[i] = add_cred(f->st, ada, 100 + i, initial[i]);
    other = add_cred(f->st, bob, 200, CRED_ACTIVE);

    OK(store_credential_revoke_person(f->st, ada, CRED_LOST, &changed));
    assert_int_equal(changed, 3);
    for (size_t i = 0; i < GH_ARRAY_LEN(initial); i++) {
        OK(store_credential_get(f->st, ids[i], &got));
        assert_int_equal(got.status, after[i]);
    }
    OK(store_credential_get(f->st, other, &got));
    assert_int_equal(got.status, CRED_ACTIVE);

    /* again: nothing left to change; NULL `changed` is allowed */
    OK(store_credential_revoke_person(f->st, ada, CRED_REVOKED, &changed));
    assert_int_equal(changed, 0);
    OK(store_credential_revoke_person(f->st, bob, CRED_REVOKED, NULL));
    OK(store_credential_get(f->st, other, &got));
    assert_int_equal(got.status, CRED_REVOKED);
    OK(store_credential_revoke_person(f->st, 9999, CRED_REVOKED, &changed));
    assert_int_equal(changed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_migrate_reopen, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_site_crud, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_area_crud, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_door_crud, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_calendar_holidays, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_schedule_crud, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_level_doors, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_departments, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_person_crud, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_credential_crud, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_assignment_crud, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_unique_conflicts, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_keys, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_policy_version_bumps, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_events_append_only, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_event_query, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_event_query_across_buckets, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_revoke_person, temp_store_setup, temp_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
