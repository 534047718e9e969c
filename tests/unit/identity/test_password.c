/*
 * test_password.c: the password policy (src/identity/password.c): length in characters
 * (not bytes) with and without MFA, any characters, refusal of weak, common and personal
 * passwords with a reason; Argon2id hashes that verify, refuse a wrong password, carry the
 * stated parameters and salt, and are flagged for rehash when older parameters were used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "identity/identity.h"

static void refused(const char *pw, bool mfa, const char *const *words, const char *needle)
{
    struct gh_err err = {{0}};
    print_message("refused? %s\n", pw);
    assert_int_equal(identity_password_policy(pw, mfa, words, &err), -EINVAL);
    assert_non_null(strstr(err.msg, needle));
}

static void accepted(const char *pw, bool mfa, const char *const *words)
{
    struct gh_err err = {{0}};
    int r = identity_password_policy(pw, mfa, words, &err);
    if (r != 0)
        fail_msg("'%s' refused: %s", pw, err.msg);
}

static void test_length(void **state)
{
    char longest[IDENTITY_PASSWORD_MAX * 2 + 1];
    (void)state;
    refused("", true, NULL, "too short: 0 characters, at least 12");
    refused("k7#Qz!p2vW9", true, NULL, "at least 12");
    accepted("k7#Qz!p2vW9x", true, NULL);
    /* 15 without MFA, and the message says what MFA would change */
    accepted("k7#Qz!p2vW9xR4mT", false, NULL);
    refused("k7#Qz!p2vW9xR4", false, NULL, "at least 15 are needed (12 with two-factor");
    /* characters, not bytes: 12 two-byte characters pass, 11 do not */
    accepted("ŁódźŻółćŚwięż", true, NULL);
    refused("ŁódźŻółćŚwi", true, NULL, "11 characters");
    /* at most 256 characters */
    longest[0] = 'x'; /* not all the same character: strong enough */
    longest[1] = 'Q';
    for (int i = 0; i < IDENTITY_PASSWORD_MAX - 2; i++)
        memcpy(longest + 2 + 2 * i, "\xc3\xa9", 2); /* é */
    longest[2 + 2 * (IDENTITY_PASSWORD_MAX - 2)] = '\0';
    accepted(longest, true, NULL);
    memmove(longest + 1, longest, strlen(longest) + 1);
    longest[0] = 'z';
    refused(longest, true, NULL, "too long: at most 256");
    refused("caf\xc3 and more text here", true, NULL, "not valid UTF-8");
}

static void test_any_characters(void **state)
{
    (void)state;
    /* spaces, symbols, no digits, no capitals: only strength counts */
    accepted("velvet orbit tangerine ladder", true, NULL);
    accepted("\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xae\xe5\xa4\x9c\xe6\x98\x8e\xe3\x81\x91\xe3\x81"
             "\xab\xe7\x8c\xab\xe3\x81\x8c\xe9\xb3\xb4\xe3\x81\x8f\xe3\x80\x82",
             true, NULL);
}

static void test_weak(void **state)
{
    static const char *const weak[] = {
        "password1234", "123456789012",   "qwertyuiopas",     "aaaaaaaaaaaaaaaa", "Password123!",
        "iloveyou2026", "abcdefghijklmn", "1qaz2wsx3edc4rfv", "letmein12345!",    "summer2026!!!",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
        struct gh_err err = {{0}};
        assert_int_equal(identity_password_policy(weak[i], true, NULL, &err), -EINVAL);
        assert_true(strstr(err.msg, "too easy to guess") != NULL ||
                    strstr(err.msg, "commonly used") != NULL);
    }
}

/* The embedded list (data/password-blocklist.txt): its first and last lines, any case. */
static void test_blocklist(void **state)
{
    (void)state;
    refused("000000000000", true, NULL, "list of commonly used passwords");
    refused("zzzzzzzzzzzz", true, NULL, "list of commonly used passwords");
    refused("Gatehouse2026!", true, NULL, "list of commonly used passwords");
    refused("SECURITY@2024", true, NULL, "list of commonly used passwords");
    refused("WelcomeWelcome1", true, NULL, "list of commonly used passwords");
    /* near neighbours are judged on their own */
    accepted("gatehouse 2026 saffron kettle", true, NULL);
}

static void test_personal_words(void **state)
{
    const char *const words[] = {"kzrwtpbnq", "Kzrwtpbnq Hvmlsdxcf", "kzrwtpbnq@example.org", NULL};
    (void)state;
    /* strong without context, weak once the user's own words are known */
    accepted("kzrwtpbnqhvmlsdxcf", true, NULL);
    refused("kzrwtpbnqhvmlsdxcf", true, words, "too easy to guess");
    refused("gatehousegatehouse1", true, NULL, "commonly used");
    refused("gatehouse gatehouse gate", true, NULL, "too easy to guess");
}

static void test_hash_verify(void **state)
{
    char h1[IDENTITY_HASH_MAX], h2[IDENTITY_HASH_MAX], old[IDENTITY_HASH_MAX];
    char want[64];
    bool rehash = true;
    const char *pw = "velvet orbit tangerine ladder";
    (void)state;
    assert_int_equal(identity_password_hash(pw, h1, NULL), 0);
    assert_int_equal(identity_password_hash(pw, h2, NULL), 0);
    snprintf(want, sizeof(want), "$argon2id$v=19$m=%u,t=%d,p=1$", IDENTITY_ARGON2_MEMLIMIT / 1024,
             IDENTITY_ARGON2_OPSLIMIT);
    assert_int_equal(strncmp(h1, want, strlen(want)), 0);
    assert_string_not_equal(h1, h2); /* a fresh salt each time */
    assert_null(strstr(h1, pw));
    assert_int_equal(identity_password_verify(h1, pw, &rehash), 0);
    assert_false(rehash);
    assert_int_equal(identity_password_verify(h2, pw, NULL), 0);
    assert_int_equal(identity_password_verify(h1, "velvet orbit tangerine ladde", NULL), -EACCES);
    assert_int_equal(identity_password_verify(h1, "Velvet orbit tangerine ladder", NULL), -EACCES);
    assert_int_equal(identity_password_verify(h1, "", NULL), -EACCES);
    /* not a hash, or not Argon2id */
    assert_int_equal(identity_password_verify("", pw, NULL), -EACCES);
    assert_int_equal(identity_password_verify("$argon2i$v=19$m=4096,t=3,p=1$x$y", pw, NULL),
                     -EACCES);
    h1[strlen(h1) - 2] ^= 1; /* a changed hash byte */
    assert_int_equal(identity_password_verify(h1, pw, NULL), -EACCES);
    /* a hash made with weaker parameters verifies and asks to be redone */
    assert_int_equal(
        crypto_pwhash_str_alg(old, pw, strlen(pw), 2, 32u << 20, crypto_pwhash_ALG_ARGON2ID13), 0);
    assert_int_equal(identity_password_verify(old, pw, &rehash), 0);
    assert_true(rehash);
    /* the stand-in for unknown users costs a verification and touches nothing */
    identity_password_verify_dummy(pw);
    identity_password_verify_dummy("");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length),         cmocka_unit_test(test_any_characters),
        cmocka_unit_test(test_weak),           cmocka_unit_test(test_blocklist),
        cmocka_unit_test(test_personal_words), cmocka_unit_test(test_hash_verify),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
