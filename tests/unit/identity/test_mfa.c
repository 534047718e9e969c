/*
 * test_mfa.c: TOTP two-factor sign-in (src/identity/mfa.c) with an injected clock and codes
 * made by liboath's generator: enrollment (URI, QR code, key sealed at rest), confirmation
 * with a first code, ±1 time step, each step accepted once, recovery codes that work once
 * and only with the right site key, the MFA-required roles, and reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <liboath/oath.h>
#include <sodium.h>

#include "../support.h"
#include "identity/identity.h"

#define T0 INT64_C(1795000000) /* seconds; a multiple of 30 plus 10 */
#define US INT64_C(1000000)

static const uint8_t site_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

/* The code of the key in uri at time t (seconds). */
static void code_at(const char *uri, int64_t t, char out[8])
{
    const char *s = strstr(uri, "secret=") + 7;
    char b32[64];
    char *key = NULL;
    size_t n = strcspn(s, "&"), klen = 0;
    memcpy(b32, s, n);
    b32[n] = '\0';
    assert_int_equal(oath_base32_decode(b32, n, &key, &klen), OATH_OK);
    assert_int_equal(oath_totp_generate(key, klen, (time_t)t, 30, 0, 6, out), OATH_OK);
    free(key);
}

static void make_user(struct temp_store *t, struct user *u, const char *roles)
{
    struct gh_err err = {{0}};
    memset(u, 0, sizeof(*u));
    gh_strlcpy(u->name, "olga", sizeof(u->name));
    OK(identity_user_create(t->st, u, roles, NULL, &err));
}

static void test_enroll_confirm_check(void **state)
{
    struct temp_store *t = *state;
    struct user u, got;
    struct gh_err err = {{0}};
    char uri[IDENTITY_OTPAUTH_MAX], code[8], codes[IDENTITY_RECOVERY_CODES][IDENTITY_RECOVERY_LEN];
    char *svg = NULL;
    make_user(t, &u, "admin");
    OK(identity_mfa_begin(&u, site_key, uri, &svg, &err));
    assert_int_equal(strncmp(uri, "otpauth://totp/gatehouse:olga?secret=", 37), 0);
    assert_non_null(strstr(uri, "&issuer=gatehouse&algorithm=SHA1&digits=6&period=30"));
    assert_int_equal(strncmp(svg, "<svg", 4), 0);
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    assert_true(u.totp_pending_len > 0);
    assert_int_equal(u.totp_secret_len, 0);
    OK(store_user_update(t->st, &u, &err));

    /* a wrong first code, or none pending, is refused and nothing changes */
    assert_int_equal(identity_mfa_confirm(t->st, &u, site_key, "000000", T0 * US, codes, &err),
                     -EACCES);
    assert_int_equal(u.totp_secret_len, 0);
    code_at(uri, T0, code);
    OK(identity_mfa_confirm(t->st, &u, site_key, code, T0 * US, codes, &err));
    assert_true(u.totp_secret_len > 0 && u.totp_pending_len == 0);
    for (int i = 0; i < IDENTITY_RECOVERY_CODES; i++) {
        assert_int_equal(strlen(codes[i]), 14);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
    }
    OK(store_user_find(t->st, "olga", &got));
    assert_int_equal(got.totp_last_step, T0 / 30);

    /* the confirmation's code (same step) is used: refused; the next step works once */
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, code, T0 * US), -EACCES);
    code_at(uri, T0 + 30, code);
    OK(identity_mfa_check(t->st, &got, site_key, code, (T0 + 30) * US));
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, code, (T0 + 31) * US), -EACCES);
    /* ±1 step: the code of the step after next is accepted a step early, not two */
    code_at(uri, T0 + 90, code);
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, code, (T0 + 30) * US), -EACCES);
    OK(identity_mfa_check(t->st, &got, site_key, code, (T0 + 60) * US));
    /* an older step after a newer one: refused */
    code_at(uri, T0 + 120, code);
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, code, (T0 + 150) * US), 0);
    code_at(uri, T0 + 150, code);
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, code, (T0 + 150) * US), 0);
    code_at(uri, T0 + 120, code);
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, code, (T0 + 150) * US), -EACCES);
    /* malformed codes */
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, "12345", T0 * US), -EACCES);
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, "12345a", T0 * US), -EACCES);
    assert_int_equal(identity_mfa_check(t->st, &got, site_key, "1234567", T0 * US), -EACCES);
    /* another site key cannot open the user's key */
    {
        uint8_t other[32] = {9};
        code_at(uri, T0 + 300, code);
        assert_int_equal(identity_mfa_check(t->st, &got, other, code, (T0 + 300) * US), -EACCES);
        OK(identity_mfa_check(t->st, &got, site_key, code, (T0 + 300) * US));
    }
}

static void test_recovery_and_reset(void **state)
{
    struct temp_store *t = *state;
    struct user u;
    struct gh_err err = {{0}};
    char uri[IDENTITY_OTPAUTH_MAX], code[8], codes[IDENTITY_RECOVERY_CODES][IDENTITY_RECOVERY_LEN];
    char *svg = NULL, upper[IDENTITY_RECOVERY_LEN];
    int64_t left = -1;
    uint8_t other[32] = {7};
    make_user(t, &u, "it_admin");
    OK(identity_mfa_begin(&u, site_key, uri, &svg, &err));
    free(svg);
    code_at(uri, T0, code);
    OK(identity_mfa_confirm(t->st, &u, site_key, code, T0 * US, codes, &err));
    OK(store_recovery_left(t->st, u.id, &left));
    assert_int_equal(left, IDENTITY_RECOVERY_CODES);
    /* case and dashes do not matter; each works once; the site key is part of the hash */
    for (size_t i = 0; i <= strlen(codes[2]); i++)
        upper[i] =
            (char)(codes[2][i] >= 'a' && codes[2][i] <= 'z' ? codes[2][i] - 32 : codes[2][i]);
    assert_int_equal(identity_mfa_recovery(t->st, &u, other, codes[2], T0 * US), -EACCES);
    OK(identity_mfa_recovery(t->st, &u, site_key, upper, T0 * US));
    assert_int_equal(identity_mfa_recovery(t->st, &u, site_key, codes[2], T0 * US), -EACCES);
    assert_int_equal(identity_mfa_recovery(t->st, &u, site_key, "abcd-efgh-jkmn", T0 * US),
                     -EACCES);
    OK(store_recovery_left(t->st, u.id, &left));
    assert_int_equal(left, IDENTITY_RECOVERY_CODES - 1);
    /* reset: no key, no codes; checks and recovery refuse */
    OK(identity_mfa_reset(t->st, &u, &err));
    assert_int_equal(u.totp_secret_len, 0);
    OK(store_recovery_left(t->st, u.id, &left));
    assert_int_equal(left, 0);
    code_at(uri, T0 + 60, code);
    assert_int_equal(identity_mfa_check(t->st, &u, site_key, code, (T0 + 60) * US), -EACCES);
    assert_int_equal(identity_mfa_recovery(t->st, &u, site_key, codes[3], T0 * US), -EACCES);
}

static void test_required_roles(void **state)
{
    (void)state;
    assert_true(identity_mfa_required(ROLE_BIT(ROLE_ADMIN)));
    assert_true(identity_mfa_required(ROLE_BIT(ROLE_SECURITY_OPERATOR)));
    assert_true(identity_mfa_required(ROLE_BIT(ROLE_SECURITY_VIEWER)));
    assert_true(identity_mfa_required(ROLE_BIT(ROLE_IT_ADMIN)));
    assert_true(identity_mfa_required(ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_ADMIN)));
    assert_false(identity_mfa_required(0));
    assert_false(identity_mfa_required(ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_FACILITIES) |
                                       ROLE_BIT(ROLE_AUDITOR)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enroll_confirm_check, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_recovery_and_reset, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test(test_required_roles),
    };
    if (sodium_init() < 0 || oath_init() != OATH_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
