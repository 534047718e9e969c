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

static void test_received_headers(void **state)
{
    struct gh_sig_input in;
    struct gh_sig_component c[GH_SIG_MAX_COMPONENTS];
    struct gh_buf base;
    struct gh_err err = {{0}};
    char sig[GH_SIG_B64_LEN];
    uint8_t pk[32], sk[64];
    char header[300];
    (void)state;
    test_key(pk, sk);
    snprintf(header, sizeof(header), "sig-b26=%s", B26_PARAMS);
    assert_int_equal(gh_sig_input_parse(header, &in, &err), 0);
    assert_string_equal(in.label, "sig-b26");
    assert_int_equal(in.n, 6);
    assert_string_equal(in.names[2], "@path");
    assert_int_equal(in.created, 1618884473);
    assert_string_equal(in.keyid, "test-key-ed25519");
    assert_string_equal(in.params, B26_PARAMS);
    snprintf(header, sizeof(header), "sig-b26=:%s:", B26_SIGNATURE);
    assert_int_equal(gh_sig_value_parse(header, "sig-b26", sig, &err), 0);
    assert_string_equal(sig, B26_SIGNATURE);
    /* what a server does with them: the base from the message and the received params */
    for (size_t i = 0; i < in.n; i++)
        c[i] = B26[i];
    gh_buf_init(&base, 8192);
    assert_int_equal(gh_sig_base(c, in.n, in.params, &base, &err), 0);
    assert_int_equal(gh_sig_verify(pk, base.data, base.len, sig), 0);
    gh_buf_free(&base);
    assert_int_equal(gh_sig_input_parse("s=(\"@method\");created=5;nonce=\"n\";keyid=\"k\";alg="
                                        "\"ed25519\"",
                                        &in, &err),
                     0);
    assert_string_equal(in.nonce, "n");
    assert_string_equal(in.alg, "ed25519");
}

static void input_refused(const char *header, const char *words)
{
    struct gh_sig_input in;
    struct gh_err err = {{0}};
    memset(&in, 0x5a, sizeof(in));
    assert_int_equal(gh_sig_input_parse(header, &in, &err), -EINVAL);
    if (strstr(err.msg, words) == NULL)
        fail_msg("'%s': '%s' does not say '%s'", header, err.msg, words);
    for (size_t i = 0; i < sizeof(in); i++)
        assert_int_equal(((const unsigned char *)&in)[i], 0);
}

static void test_received_refusals(void **state)
{
    char big[GH_SIG_HEADER_MAX + 10];
    char sig[GH_SIG_B64_LEN];
    struct gh_err err = {{0}};
    (void)state;
    input_refused("", "expected LABEL=(...)");
    input_refused("=(\"@path\");created=1;keyid=\"k\"", "expected LABEL=(...)");
    input_refused("Sig=(\"@path\");created=1;keyid=\"k\"", "column 1: a label is lower-case");
    input_refused("s=\"@path\";created=1;keyid=\"k\"", "column 3: expected ( after the label");
    input_refused("s=(\"@path\"\"@method\");created=1;keyid=\"k\"", "separated by one space");
    input_refused("s=(\"@path\"  \"@method\");created=1;keyid=\"k\"",
                  "column 12: a component must be a quoted string");
    input_refused("s=(\"@path\" @method);created=1;keyid=\"k\"", "column 12: a component must be");
    input_refused("s=(\"@path);created=1;keyid=\"k\"",
                  "column 4: a component is a lower-case name");
    input_refused("s=(\"@path", "column 4: a component is not closed");
    input_refused("s=(\"@path\");created=1;keyid=\"k\";tag=\"x\"", "column 33: unknown parameter");
    input_refused("s=(\"@path\");created=1;keyid=\"k\";alg=\"hmac-sha256\"", "alg must be ed25519");
    input_refused("s=(\"@path\");keyid=\"k\"", "created and keyid are required");
    input_refused("s=(\"@path\");created=x;keyid=\"k\"", "created is a whole number");
    input_refused("s=(\"@path\");created=1234567890123456;keyid=\"k\"",
                  "created is a whole number");
    input_refused("s=(\"@path\");keyid=\"k\";created=1", "not in the canonical form");
    input_refused("s=(\"@path\");created=1;keyid=\"a\";keyid=\"b\"", "not in the canonical form");
    input_refused("s=(\"@path\");created=1;keyid=\"k\" ", "unexpected text");
    input_refused("s=(\"@Path\");created=1;keyid=\"k\"",
                  "column 4: a component is a lower-case name");
    input_refused("s=(\"@path\" \"@path\");created=1;keyid=\"k\"", "covered twice");
    input_refused("s=(\"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\" \"j\" \"k\" \"l\" "
                  "\"m\" \"n\" \"o\" \"p\" \"q\");created=1;keyid=\"k\"",
                  "more than 16 components");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    input_refused(big, "longer than 2047 bytes");
    assert_int_equal(gh_sig_value_parse("s=:abc:", "t", sig, &err), -EINVAL);
    assert_int_equal(gh_sig_value_parse("s=abc", "s", sig, &err), -EINVAL);
    assert_int_equal(gh_sig_value_parse("s=:ab c:", "s", sig, &err), -EINVAL);
    assert_int_equal(gh_sig_value_parse("s=::", "s", sig, &err), -EINVAL);
    assert_int_equal(gh_sig_value_parse("s=:abc:", "s", sig, &err), 0);
    assert_string_equal(sig, "abc");
}

static void test_content_digest(void **state)
{
    char d[GH_DIGEST_LEN];
    (void)state;
    /* the body of RFC 9421's test request; its SHA-512 there is WZDPaVn/..., SHA-256 here
     * checked with Python's hashlib */
    gh_content_digest("{\"hello\": \"world\"}", 18, d);
    assert_string_equal(d, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
    gh_content_digest("", 0, d);
    assert_string_equal(d, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9421_b26),       cmocka_unit_test(test_received_headers),
        cmocka_unit_test(test_received_refusals), cmocka_unit_test(test_params_with_nonce_and_alg),
        cmocka_unit_test(test_refusals),          cmocka_unit_test(test_content_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
