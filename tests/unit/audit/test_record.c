/*
 * test_record.c: an audit entry's before and after (src/audit/record.c over the store's
 * change record, src/store/changes.c). An insert shows the new row, an update only the
 * columns it changed (and the key), a delete the old row; rows removed by a cascade are
 * listed too; secret columns (a PIN hash, a password hash) never reach the entry; a rolled
 * back transaction leaves nothing behind for the next; tracking off records no changes;
 * beyond AUDIT_CHANGES_MAX rows the rest are counted; the entry is appended in canonical
 * form with its time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "audit/audit.h"
#include "../support.h"

/* Records an entry for the open transaction, commits, and returns the stored entry. */
static json_t *record_and_read(struct store *st)
{
    struct gh_err err = {{0}};
    uint64_t idx;
    int64_t time_us;
    char *text = NULL;
    json_t *e;
    OK(audit_record(st, json_pack("{s:s}", "action", "test"), gh_now_us(), &idx, &err));
    OK(store_commit(st));
    OK(store_audit_entry_get(st, (int64_t)idx, &time_us, &text));
    e = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(e);
    return e;
}

/* The one change of table `table` in entry e (fails if none or several). */
static json_t *change_of(json_t *e, const char *table)
{
    json_t *found = NULL, *c;
    size_t i;
    json_array_foreach(json_object_get(e, "changes"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "table")), table) == 0) {
            assert_null(found);
            found = c;
        }
    }
    assert_non_null(found);
    return found;
}

static const char *op_of(json_t *c)
{
    return json_string_value(json_object_get(c, "op"));
}

static int64_t int_at(json_t *c, const char *part, const char *col)
{
    json_t *v = json_object_get(json_object_get(c, part), col);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *str_at(json_t *c, const char *part, const char *col)
{
    json_t *v = json_object_get(json_object_get(c, part), col);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static void test_insert_update_delete(void **state)
{
    struct temp_store *t = *state;
    struct site s = {0};
    struct gh_err err = {{0}};
    json_t *e, *c;

    store_track_changes(t->st, true);
    OK(store_begin_write(t->st));
    gh_strlcpy(s.name, "HQ", sizeof(s.name));
    gh_strlcpy(s.timezone, "Europe/Berlin", sizeof(s.timezone));
    OK(store_site_insert(t->st, &s, &err));
    e = record_and_read(t->st);
    assert_string_equal(json_string_value(json_object_get(e, "action")), "test");
    assert_non_null(json_string_value(json_object_get(e, "time")));
    c = change_of(e, "sites");
    assert_string_equal(op_of(c), "insert");
    assert_int_equal(int_at(c, "key", "id"), s.id);
    assert_string_equal(str_at(c, "after", "name"), "HQ");
    assert_string_equal(str_at(c, "after", "timezone"), "Europe/Berlin");
    assert_null(json_object_get(c, "before"));
    json_decref(e);

    OK(store_begin_write(t->st));
    gh_strlcpy(s.name, "Head Office", sizeof(s.name));
    OK(store_site_update(t->st, &s, &err));
    e = record_and_read(t->st);
    c = change_of(e, "sites");
    assert_string_equal(op_of(c), "update");
    assert_int_equal(int_at(c, "key", "id"), s.id);
    assert_string_equal(str_at(c, "before", "name"), "HQ");
    assert_string_equal(str_at(c, "after", "name"), "Head Office");
    /* only what changed: not the time zone, and the key only in "key" */
    assert_null(json_object_get(json_object_get(c, "after"), "timezone"));
    assert_null(json_object_get(json_object_get(c, "before"), "id"));
    json_decref(e);

    OK(store_begin_write(t->st));
    OK(store_delete(t->st, ST_SITE, s.id, &err));
    e = record_and_read(t->st);
    c = change_of(e, "sites");
    assert_string_equal(op_of(c), "delete");
    assert_string_equal(str_at(c, "before", "name"), "Head Office");
    assert_null(json_object_get(c, "after"));
    json_decref(e);
}

static void test_cascades_and_secrets(void **state)
{
    struct temp_store *t = *state;
    struct person p = {0};
    struct credential cr = {0};
    struct access_level l = {0};
    struct assignment a = {0};
    struct user u = {0};
    struct gh_err err = {{0}};
    json_t *e, *c;
    char *text;

    store_track_changes(t->st, true);
    OK(store_begin_write(t->st));
    gh_strlcpy(p.employee_id, "E1", sizeof(p.employee_id));
    gh_strlcpy(p.first_name, "Ann", sizeof(p.first_name));
    gh_strlcpy(p.last_name, "Berg", sizeof(p.last_name));
    p.valid_from = GH_TIME_MIN;
    p.valid_until = GH_TIME_MAX;
    OK(store_person_insert(t->st, &p, &err));
    cr.person_id = p.id;
    cr.format = CRED_FMT_H10301;
    cr.facility = 12;
    cr.number = 3456;
    cr.valid_from = GH_TIME_MIN;
    cr.valid_until = GH_TIME_MAX;
    cr.has_pin = true;
    memset(cr.pin_hash, 0xAB, sizeof(cr.pin_hash));
    OK(store_credential_insert(t->st, &cr, &err));
    gh_strlcpy(l.name, "Staff", sizeof(l.name));
    OK(store_level_insert(t->st, &l, &err));
    a.person_id = p.id;
    a.level_id = l.id;
    a.expires = GH_TIME_MAX;
    OK(store_assignment_set(t->st, &a, &err));
    gh_strlcpy(u.name, "nora", sizeof(u.name));
    gh_strlcpy(u.roles, "hr", sizeof(u.roles));
    gh_strlcpy(u.password_hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
               sizeof(u.password_hash));
    OK(store_user_insert(t->st, &u, &err));
    e = record_and_read(t->st);
    assert_int_equal(json_array_size(json_object_get(e, "changes")), 5);
    c = change_of(e, "credentials");
    assert_string_equal(str_at(c, "after", "pin_hash"), "(not recorded)");
    assert_int_equal(int_at(c, "after", "number"), 3456);
    c = change_of(e, "users");
    assert_string_equal(str_at(c, "after", "password_hash"), "(not recorded)");
    assert_string_equal(str_at(c, "after", "roles"), "hr");
    text = json_dumps(e, 0);
    assert_null(strstr(text, "argon2id"));
    assert_null(strstr(text, "abababab"));
    free(text);
    json_decref(e);

    /* removing the level removes the assignment by ON DELETE CASCADE: both are listed */
    OK(store_begin_write(t->st));
    OK(store_delete(t->st, ST_LEVEL, l.id, &err));
    e = record_and_read(t->st);
    assert_string_equal(op_of(change_of(e, "access_levels")), "delete");
    c = change_of(e, "assignments");
    assert_string_equal(op_of(c), "delete");
    assert_int_equal(int_at(c, "before", "person_id"), p.id);
    json_decref(e);
}

static void test_rollback_and_tracking_off(void **state)
{
    struct temp_store *t = *state;
    struct department d = {0};
    struct gh_err err = {{0}};
    json_t *e;

    store_track_changes(t->st, true);
    OK(store_begin_write(t->st));
    gh_strlcpy(d.name, "Rolled Back", sizeof(d.name));
    OK(store_department_insert(t->st, &d, &err));
    store_rollback(t->st);
    /* the next transaction starts with an empty record */
    OK(store_begin_write(t->st));
    e = record_and_read(t->st);
    assert_null(json_object_get(e, "changes"));
    json_decref(e);

    store_track_changes(t->st, false);
    OK(store_begin_write(t->st));
    d.id = 0;
    gh_strlcpy(d.name, "Untracked", sizeof(d.name));
    OK(store_department_insert(t->st, &d, &err));
    e = record_and_read(t->st);
    assert_null(json_object_get(e, "changes"));
    json_decref(e);
    assert_int_equal(store_changes_foreach(t->st, NULL, NULL), -ENOENT);
}

static void test_many_rows_are_counted(void **state)
{
    struct temp_store *t = *state;
    struct gh_err err = {{0}};
    json_t *e;

    store_track_changes(t->st, true);
    OK(store_begin_write(t->st));
    for (int i = 0; i < AUDIT_CHANGES_MAX + 25; i++) {
        struct department d = {0};
        gh_snprintf(d.name, sizeof(d.name), "Dept %d", i);
        OK(store_department_insert(t->st, &d, &err));
    }
    e = record_and_read(t->st);
    assert_int_equal(json_array_size(json_object_get(e, "changes")), AUDIT_CHANGES_MAX);
    assert_int_equal(json_integer_value(json_object_get(e, "changes_unlisted")), 25);
    json_decref(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_update_delete, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_cascades_and_secrets, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_and_tracking_off, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_many_rows_are_counted, temp_store_setup,
                                        temp_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
