/*
 * test_httpsig.c: HTTP Message Signatures with ed25519 against RFC 9421's own example
 * (Appendix B.2.6, with the test key of B.1.4): the parameters, the signature base and
 * the signature come out byte for byte; verification takes the right signature and
 * refuses a changed base, another key and a malformed signature; inputs that would make
 * an ambiguous base are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"

/* RFC 9421 B.1.4 test-key-ed25519: PKCS#8 private key and SPKI public key (the last 32
 * bytes of each DER are the seed and the public key) */
static const char PRIVATE_B64[] =
    "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";
static const char PUBLIC_B64[] = "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=";

/* RFC 9421 B.2.6 */
static const struct gh_sig_component B26[] = {
    {"date", "Tue, 20 Apr 2021 02:07:55 GMT"},
    {"@method", "POST"},
    {"@path", "/foo"},
    {"@authority", "example.com"},
    {"content-type", "application/json"},
    {"content-length", "18"},
};
static const char B26_PARAMS[] =
    "(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\")"
    ";created=1618884473;keyid=\"test-key-ed25519\"";
static const char B26_BASE[] =
    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
    "\"@method\": POST\n"
    "\"@path\": /foo\n"
    "\"@authority\": example.com\n"
    "\"content-type\": application/json\n"
    "\"content-length\": 18\n"
    "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
    "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
static const char B26_SIGNATURE[] =
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==";

static void test_key(uint8_t pk[32], uint8_t sk[64])
{
    uint8_t der[64], pub_der[64], derived[32];
    size_t n = 0, m = 0;
    assert_int_equal(sodium_base642bin(der, sizeof(der), PRIVATE_B64, strlen(PRIVATE_B64), NULL, &n,
                                       NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, 48);
    assert_int_equal(crypto_sign_seed_keypair(derived, sk, der + n - 32), 0);
    assert_int_equal(sodium_base642bin(pub_der, sizeof(pub_der), PUBLIC_B64, strlen(PUBLIC_B64),
                                       NULL, &m, NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(m, 44);
    memcpy(pk, pub_der + m - 32, 32);
    assert_memory_equal(pk, derived, 32); /* the two halves of the RFC's key agree */
}

static void test_rfc9421_b26(void **state)
{
    struct gh_buf params, base;
    struct gh_err err = {{0}};
    uint8_t pk[32], sk[64];
    char sig[GH_SIG_B64_LEN];
    (void)state;
    assert_int_equal(sodium_init() >= 0, 1);
    test_key(pk, sk);
    gh_buf_init(&params, 4096);
    gh_buf_init(&base, 8192);
    assert_int_equal(
        gh_sig_params(B26, 6, 1618884473, NULL, "test-key-ed25519", NULL, &params, &err), 0);
    assert_string_equal(gh_buf_cstr(&params), B26_PARAMS);
    assert_int_equal(gh_sig_base(B26, 6, gh_buf_cstr(&params), &base, &err), 0);
    assert_string_equal(gh_buf_cstr(&base), B26_BASE);
    assert_int_equal(gh_sig_sign(sk, base.data, base.len, sig), 0);
    assert_string_equal(sig, B26_SIGNATURE);
    assert_int_equal(gh_sig_verify(pk, base.data, base.len, B26_SIGNATURE), 0);
    /* a changed base, another key, a malformed or short signature: refused */
    base.data[20] ^= 1;
    assert_int_equal(gh_sig_verify(pk, base.data, base.len, B26_SIGNATURE), -EACCES);
    base.data[20] ^= 1;
    pk[0] ^= 1;
    assert_int_equal(gh_sig_verify(pk, base.data, base.len, B26_SIGNATURE), -EACCES);
    pk[0] ^= 1;
    assert_int_equal(gh_sig_verify(pk, base.data, base.len, "not base64!"), -EACCES);
    assert_int_equal(gh_sig_verify(pk, base.data, base.len, "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2"),
                     -EACCES);
    assert_int_equal(gh_sig_verify(pk, base.data, base.len, ""), -EACCES);
    gh_buf_free(&params);
    gh_buf_free(&base);
}

static void test_params_with_nonce_and_alg(void **state)
{
    struct gh_buf p;
    struct gh_err err = {{0}};
    const struct gh_sig_component c[] = {{"@method", "GET"}, {"@path", "/edge/v1/commands"}};
    (void)state;
    gh_buf_init(&p, 4096);
    assert_int_equal(gh_sig_params(c, 2, 1700000000, "n0nce-1", "ctl-7", "ed25519", &p, &err), 0);
    assert_string_equal(gh_buf_cstr(&p), "(\"@method\" \"@path\");created=1700000000;"
                                         "nonce=\"n0nce-1\";keyid=\"ctl-7\";alg=\"ed25519\"");
    gh_buf_free(&p);
}

static void refused(const struct gh_sig_component *c, size_t n, const char *keyid,
                    const char *words)
{
    struct gh_buf p, b;
    struct gh_err err = {{0}};
    int rc;
    gh_buf_init(&p, 4096);
    gh_buf_init(&b, 4096);
    rc = gh_sig_params(c, n, 1, NULL, keyid, NULL, &p, &err);
    if (rc == 0)
        rc = gh_sig_base(c, n, gh_buf_cstr(&p), &b, &err);
    assert_int_equal(rc, -EINVAL);
    if (strstr(err.msg, words) == NULL)
        fail_msg("'%s' does not say '%s'", err.msg, words);
    gh_buf_free(&p);
    gh_buf_free(&b);
}

static void test_refusals(void **state)
{
    const struct gh_sig_component twice[] = {{"@path", "/a"}, {"@path", "/b"}};
    const struct gh_sig_component upper[] = {{"Content-Type", "x"}};
    const struct gh_sig_component at_only[] = {{"@", "x"}};
    const struct gh_sig_component newline[] = {{"x-a", "one\r\n\"x-b\": two"}};
    const struct gh_sig_component spaced[] = {{"x-a", " padded"}};
    struct gh_sig_component many[GH_SIG_MAX_COMPONENTS + 1];
    char names[GH_SIG_MAX_COMPONENTS + 1][8];
    (void)state;
    refused(twice, 2, "k", "'@path' is covered twice");
    refused(upper, 1, "k", "component 1 is not a lower-case name");
    refused(at_only, 1, "k", "component 1 is not a lower-case name");
    refused(newline, 1, "k", "line break");
    refused(spaced, 1, "k", "outer spaces");
    refused(twice, 1, "a\"b", "keyid has a character");
    refused(twice, 1, "", "keyid must be 1 to 255");
    for (int i = 0; i <= GH_SIG_MAX_COMPONENTS; i++) {
        snprintf(names[i], sizeof(names[i]), "h%d", i);
        many[i].name = names[i];
        many[i].value = "v";
    }
    refused(many, GH_SIG_MAX_COMPONENTS + 1, "k", "more than 16");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9421_b26),
        cmocka_unit_test(test_params_with_nonce_and_alg),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
