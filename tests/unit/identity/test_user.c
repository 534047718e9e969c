/*
 * test_user.c: user accounts (src/identity/user.c and the users table of src/store):
 * sign-in name rules, creation with canonical roles and a hashed password, every column
 * read back as written, names unique regardless of case, refusals that store nothing,
 * password changes, and roles that fail closed when the stored list does not parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../support.h"
#include "identity/identity.h"

#define STRONG "velvet orbit tangerine ladder"

static void test_name_rules(void **state)
{
    struct gh_err err = {{0}};
    (void)state;
    OK(identity_user_name_check("a", &err));
    OK(identity_user_name_check("ann.lee@example.org", &err));
    OK(identity_user_name_check("9-lives_x", &err));
    assert_int_equal(identity_user_name_check("", &err), -EINVAL);
    assert_int_equal(identity_user_name_check("-x", &err), -EINVAL);
    assert_int_equal(identity_user_name_check("ann lee", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "found ' '"));
    assert_int_equal(identity_user_name_check("\xc3\xa9mile", &err), -EINVAL);
    assert_int_equal(identity_user_name_check(
                         "a1234567890123456789012345678901234567890123456789012345678901234", &err),
                     -EINVAL);
}

static void test_create_and_read_back(void **state)
{
    struct temp_store *t = *state;
    struct user u, got;
    struct gh_err err = {{0}};
    memset(&u, 0, sizeof(u));
    gh_strlcpy(u.name, "amartin", sizeof(u.name));
    gh_strlcpy(u.display_name, "Alice Martin", sizeof(u.display_name));
    gh_strlcpy(u.email, "alice@example.org", sizeof(u.email));
    OK(identity_user_create(t->st, &u, "facilities,hr", STRONG, &err));
    assert_true(u.id > 0);
    assert_string_equal(u.roles, "hr facilities"); /* canonical order */
    assert_int_equal(identity_user_roles(&u), ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_FACILITIES));
    OK(store_user_find(t->st, "AMARTIN", &got)); /* names are case-insensitive */
    assert_int_equal(got.id, u.id);
    assert_string_equal(got.display_name, "Alice Martin");
    assert_string_equal(got.email, "alice@example.org");
    assert_int_equal(got.source, USER_LOCAL);
    assert_string_equal(got.roles, "hr facilities");
    assert_int_equal(got.disabled_us, 0);
    assert_true(got.password_changed_us > 0 && got.created_us == got.updated_us);
    assert_int_equal(identity_password_verify(got.password_hash, STRONG, NULL), 0);
    assert_int_equal(identity_password_verify(got.password_hash, "wrong", NULL), -EACCES);
    OK(store_user_get(t->st, u.id, &got));
    assert_string_equal(got.name, "amartin");
    assert_int_equal(store_user_get(t->st, u.id + 1, &got), -ENOENT);
}

static void test_refusals_store_nothing(void **state)
{
    struct temp_store *t = *state;
    struct user u;
    struct gh_err err = {{0}};
    static const struct {
        const char *name, *email, *roles, *password, *msg;
    } bad[] = {
        {"bad name", "", "", NULL, "name: only letters"},
        {"dave", "not-an-email", "", NULL, "email"},
        {"dave", "", "boss", NULL, "roles: unknown role 'boss'"},
        {"dave", "", "hr", "short", "password: the password is too short"},
        {"dave", "", "hr", "password12345678", "password: the password is too easy"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&u, 0, sizeof(u));
        memset(&err, 0, sizeof(err));
        gh_strlcpy(u.name, bad[i].name, sizeof(u.name));
        gh_strlcpy(u.email, bad[i].email, sizeof(u.email));
        assert_int_equal(identity_user_create(t->st, &u, bad[i].roles, bad[i].password, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, bad[i].msg));
        assert_int_equal(count_users(t->st), 0);
    }
    /* SSO users have no local password */
    memset(&u, 0, sizeof(u));
    gh_strlcpy(u.name, "sso", sizeof(u.name));
    u.source = USER_OIDC;
    assert_int_equal(identity_user_create(t->st, &u, "", STRONG, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "oidc users sign in through oidc"));
    OK(identity_user_create(t->st, &u, "", NULL, &err));
    assert_int_equal(count_users(t->st), 1);
    memset(&u, 0, sizeof(u));
    gh_strlcpy(u.name, "SSO", sizeof(u.name));
    assert_int_equal(identity_user_create(t->st, &u, "", NULL, &err), -EEXIST);
    assert_int_equal(count_users(t->st), 1);
}

static void test_password_change_and_fail_closed(void **state)
{
    struct temp_store *t = *state;
    struct user u, got;
    struct gh_err err = {{0}};
    char old_hash[IDENTITY_HASH_MAX];
    memset(&u, 0, sizeof(u));
    gh_strlcpy(u.name, "bob", sizeof(u.name));
    OK(identity_user_create(t->st, &u, "security_viewer", NULL, &err));
    assert_string_equal(u.password_hash, "");
    OK(identity_user_set_password(t->st, &u, STRONG, &err));
    OK(store_user_find(t->st, "bob", &got));
    assert_int_equal(identity_password_verify(got.password_hash, STRONG, NULL), 0);
    gh_strlcpy(old_hash, got.password_hash, sizeof(old_hash));
    /* a refused new password leaves the stored one */
    assert_int_equal(identity_user_set_password(t->st, &got, "bobbobbobbobbobbob", &err), -EINVAL);
    OK(store_user_find(t->st, "bob", &got));
    assert_string_equal(got.password_hash, old_hash);
    /* disabling is a column like the others */
    got.disabled_us = 42;
    OK(store_user_update(t->st, &got, &err));
    OK(store_user_find(t->st, "bob", &u));
    assert_int_equal(u.disabled_us, 42);
    /* a role list that does not parse grants nothing */
    gh_strlcpy(u.roles, "security_viewer emperor", sizeof(u.roles));
    assert_int_equal(identity_user_roles(&u), 0);
    u.id = 999;
    assert_int_equal(store_user_update(t->st, &u, &err), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test_setup_teardown(test_create_and_read_back, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_store_nothing, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_password_change_and_fail_closed, temp_store_setup,
                                        temp_store_teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
