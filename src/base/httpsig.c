/*
 * httpsig.c: HTTP Message Signatures (RFC 9421) with ed25519: the signature parameters,
 * the signature base (section 2.5), and Ed25519 signing and verification (section 3.3.6)
 * with libsodium. Inputs that would make an ambiguous base (a line break in a value, a
 * name twice, a quote in a parameter) are refused rather than escaped.
 */
#include "base/base.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#define PARAM_MAX 255

static bool name_ok(const char *s)
{
    size_t i = 0;
    if (s[0] == '@')
        i = 1;
    if (!(s[i] >= 'a' && s[i] <= 'z'))
        return false;
    for (; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_' || s[i] == '.'))
            return false;
    return i <= 64;
}

static int check_components(const struct gh_sig_component *c, size_t n, struct gh_err *err)
{
    if (n > GH_SIG_MAX_COMPONENTS)
        return gh_fail(err, -EINVAL, "signature: more than %d covered components",
                       GH_SIG_MAX_COMPONENTS);
    for (size_t i = 0; i < n; i++) {
        if (c[i].name == NULL || !name_ok(c[i].name))
            return gh_fail(err, -EINVAL, "signature: component %zu is not a lower-case name",
                           i + 1);
        for (size_t k = 0; k < i; k++)
            if (strcmp(c[k].name, c[i].name) == 0)
                return gh_fail(err, -EINVAL, "signature: '%s' is covered twice", c[i].name);
    }
    return 0;
}

static int check_param(const char *what, const char *v, struct gh_err *err)
{
    size_t n = strlen(v);
    if (n == 0 || n > PARAM_MAX)
        return gh_fail(err, -EINVAL, "signature: %s must be 1 to %d characters", what, PARAM_MAX);
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x20 || v[i] > 0x7e || v[i] == '"' || v[i] == '\\')
            return gh_fail(err, -EINVAL,
                           "signature: %s has a character other than printable ASCII "
                           "without quotes and backslashes",
                           what);
    return 0;
}

int gh_sig_params(const struct gh_sig_component *c, size_t n, int64_t created, const char *nonce,
                  const char *keyid, const char *alg, struct gh_buf *out, struct gh_err *err)
{
    int rc;
    if ((rc = check_components(c, n, err)) < 0 || (rc = check_param("keyid", keyid, err)) < 0 ||
        (nonce && (rc = check_param("nonce", nonce, err)) < 0) ||
        (alg && (rc = check_param("alg", alg, err)) < 0))
        return rc;
    if (created < 0)
        return gh_fail(err, -EINVAL, "signature: created must not be negative");
    rc = gh_buf_append(out, "(", 1);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = gh_buf_printf(out, "%s\"%s\"", i ? " " : "", c[i].name);
    if (rc == 0)
        rc = gh_buf_printf(out, ");created=%lld", (long long)created);
    if (rc == 0 && nonce)
        rc = gh_buf_printf(out, ";nonce=\"%s\"", nonce);
    if (rc == 0)
        rc = gh_buf_printf(out, ";keyid=\"%s\"", keyid);
    if (rc == 0 && alg)
        rc = gh_buf_printf(out, ";alg=\"%s\"", alg);
    return rc < 0 ? gh_fail(err, rc, "signature: the parameters do not fit") : 0;
}

int gh_sig_base(const struct gh_sig_component *c, size_t n, const char *params, struct gh_buf *out,
                struct gh_err *err)
{
    int rc;
    if ((rc = check_components(c, n, err)) < 0)
        return rc;
    if (strpbrk(params, "\r\n") != NULL)
        return gh_fail(err, -EINVAL, "signature: a line break in the parameters");
    for (size_t i = 0; i < n; i++) {
        const char *v = c[i].value ? c[i].value : "";
        size_t len = strlen(v);
        if (strpbrk(v, "\r\n") != NULL || (len > 0 && (v[0] == ' ' || v[len - 1] == ' ')))
            return gh_fail(err, -EINVAL,
                           "signature: the value of '%s' has a line break or outer spaces",
                           c[i].name);
        if ((rc = gh_buf_printf(out, "\"%s\": %s\n", c[i].name, v)) < 0)
            return gh_fail(err, rc, "signature: the base does not fit");
    }
    if ((rc = gh_buf_printf(out, "\"@signature-params\": %s", params)) < 0)
        return gh_fail(err, rc, "signature: the base does not fit");
    return 0;
}

int gh_sig_sign(const uint8_t sk[64], const char *base, size_t len, char out[GH_SIG_B64_LEN])
{
    uint8_t sig[crypto_sign_BYTES];
    if (crypto_sign_detached(sig, NULL, (const unsigned char *)base, len, sk) != 0)
        return -EINVAL;
    sodium_bin2base64(out, GH_SIG_B64_LEN, sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int gh_sig_verify(const uint8_t pk[32], const char *base, size_t len, const char *sig_b64)
{
    uint8_t sig[crypto_sign_BYTES];
    size_t n = 0;
    if (sodium_base642bin(sig, sizeof(sig), sig_b64, strlen(sig_b64), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof(sig))
        return -EACCES;
    return crypto_sign_verify_detached(sig, (const unsigned char *)base, len, pk) == 0 ? 0
                                                                                       : -EACCES;
}
