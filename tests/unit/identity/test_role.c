/*
 * test_role.c: the role table (src/identity/role.c): names never change, every role grants
 * something and only grantable permissions, the read-only roles grant nothing that
 * changes state, the viewer sees what the operator sees, the auditor gets every read
 * (including ones added later), and role lists parse and format canonically.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "identity/identity.h"

/* Permissions that change nothing: reads, exports and what-if decisions. */
static perm_set read_only(void)
{
    perm_set reads = 0;
    assert_int_equal(perm_scope_parse("read", &reads, NULL), 0);
    return reads | PERM_BIT(PERM_DECISIONS_RUN) | PERM_BIT(PERM_EVENTS_EXPORT);
}

static void test_names_fixed(void **state)
{
    static const char *const names[ROLE_COUNT] = {
        "admin", "security_operator", "security_viewer", "it_admin", "hr", "facilities",
        "legal", "finance",           "communications",  "auditor"};
    (void)state;
    for (int r = 0; r < ROLE_COUNT; r++) {
        assert_string_equal(role_name((enum role)r), names[r]);
        assert_true(strlen(role_summary((enum role)r)) > 10);
    }
    assert_string_equal(role_name(ROLE_COUNT), "?");
    assert_int_equal(role_perms(ROLE_COUNT), 0);
}

static void test_every_role_grants_grantable(void **state)
{
    (void)state;
    for (int r = 0; r < ROLE_COUNT; r++) {
        perm_set p = role_perms((enum role)r);
        assert_true(p != 0);
        assert_int_equal(p & ~PERM_ALL, 0); /* never none/authenticated or unknown bits */
    }
    assert_int_equal(role_perms(ROLE_ADMIN), PERM_ALL);
    /* every permission is granted by some role other than admin, or it is only for admin */
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        bool granted = false;
        for (int r = 1; r < ROLE_COUNT; r++)
            granted |= (role_perms((enum role)r) & PERM_BIT(p)) != 0;
        assert_true(granted);
    }
}

static void test_read_only_roles(void **state)
{
    perm_set ro = read_only(), op = role_perms(ROLE_SECURITY_OPERATOR);
    perm_set viewer = role_perms(ROLE_SECURITY_VIEWER);
    (void)state;
    assert_int_equal(viewer & ~ro, 0);
    /* the viewer sees everything the operator sees */
    assert_int_equal(op & ro & ~viewer, 0);
    assert_true(op & PERM_BIT(PERM_DOORS_CONTROL));
    assert_false(viewer & PERM_BIT(PERM_DOORS_CONTROL));
    /* the auditor: every read (metrics, users, audit included), exports, no change */
    assert_int_equal(role_perms(ROLE_AUDITOR), ro & ~PERM_BIT(PERM_DECISIONS_RUN));
    assert_true(role_perms(ROLE_AUDITOR) & PERM_BIT(PERM_AUDIT_READ));
    /* communications reads, and sends mass notifications */
    assert_int_equal(role_perms(ROLE_COMMUNICATIONS) & ~ro, PERM_BIT(PERM_NOTIFY_SEND));
}

static void test_departments(void **state)
{
    (void)state;
    /* who may do what, in the words of the requirements */
    assert_true(role_perms(ROLE_HR) & PERM_BIT(PERM_IMPORTS_RUN));
    assert_true(role_perms(ROLE_HR) & PERM_BIT(PERM_CREDENTIALS_REVOKE));
    assert_false(role_perms(ROLE_HR) & PERM_BIT(PERM_DOORS_CONTROL));
    assert_true(role_perms(ROLE_FACILITIES) & PERM_BIT(PERM_DOORS_WRITE));
    assert_false(role_perms(ROLE_FACILITIES) & PERM_BIT(PERM_PEOPLE_WRITE));
    assert_true(role_perms(ROLE_IT_ADMIN) & PERM_BIT(PERM_USERS_ADMIN));
    assert_false(role_perms(ROLE_IT_ADMIN) & PERM_BIT(PERM_PEOPLE_READ));
    for (int r = 1; r < ROLE_COUNT; r++) {
        if (r != ROLE_IT_ADMIN)
            assert_false(role_perms((enum role)r) & PERM_BIT(PERM_USERS_ADMIN));
        /* only the auditor and the administrator read the audit log */
        if (r != ROLE_AUDITOR && r != ROLE_ADMIN)
            assert_false(role_perms((enum role)r) & PERM_BIT(PERM_AUDIT_READ));
    }
}

static void test_union(void **state)
{
    (void)state;
    assert_int_equal(role_set_perms(0), 0);
    assert_int_equal(role_set_perms(ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_FACILITIES)),
                     role_perms(ROLE_HR) | role_perms(ROLE_FACILITIES));
    assert_int_equal(role_set_perms(ROLE_BIT(ROLE_COUNT) - 1), PERM_ALL);
}

static void test_parse_format(void **state)
{
    role_set set = 99;
    char buf[256];
    struct gh_err err = {{0}};
    (void)state;
    assert_int_equal(role_set_parse("hr, facilities", &set, &err), 0);
    assert_int_equal(set, ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_FACILITIES));
    assert_int_equal(role_set_format(set, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hr facilities");
    assert_int_equal(role_set_parse(" facilities,,hr hr ", &set, &err), 0);
    assert_int_equal(set, ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_FACILITIES));
    assert_int_equal(role_set_parse("", &set, &err), 0);
    assert_int_equal(set, 0);
    assert_int_equal(role_set_format(0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    /* every single role round-trips */
    for (int r = 0; r < ROLE_COUNT; r++) {
        assert_int_equal(role_set_format(ROLE_BIT(r), buf, sizeof(buf)), 0);
        assert_int_equal(role_set_parse(buf, &set, &err), 0);
        assert_int_equal(set, ROLE_BIT(r));
    }
    /* refusals name the word and leave *out alone */
    set = 7;
    assert_int_equal(role_set_parse("hr, Admin", &set, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "unknown role 'Admin'"));
    assert_non_null(strstr(err.msg, "security_viewer"));
    assert_int_equal(set, 7);
    assert_int_equal(role_set_parse("admin;hr", &set, &err), -EINVAL);
    assert_int_equal(set, 7);
    /* too small a buffer: -ENOSPC, never a cut name */
    assert_int_equal(role_set_format(ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_AUDITOR), buf, 6), -ENOSPC);
    assert_string_equal(buf, "hr");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_fixed),     cmocka_unit_test(test_every_role_grants_grantable),
        cmocka_unit_test(test_read_only_roles), cmocka_unit_test(test_departments),
        cmocka_unit_test(test_union),           cmocka_unit_test(test_parse_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
