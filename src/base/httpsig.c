/*
 * httpsig.c: HTTP Message Signatures (RFC 9421) with ed25519: the signature parameters,
 * the signature base (section 2.5), and Ed25519 signing and verification (section 3.3.6)
 * with libsodium. Inputs that would make an ambiguous base (a line break in a value, a
 * name twice, a quote in a parameter) are refused rather than escaped.
 */
#include "base/base.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
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

/* ---- parsing what a controller sent -------------------------------------------------- */

static bool label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A quoted string at *p (no escapes: canonical form has none) into out; advances *p. */
static int quoted(const char **p, char *out, size_t len, const char *what, const char *start,
                  struct gh_err *err)
{
    const char *s = *p, *e;
    if (*s != '"')
        return gh_fail(err, -EINVAL, "signature input, column %zu: %s must be a quoted string",
                       (size_t)(s - start) + 1, what);
    e = strchr(s + 1, '"');
    if (e == NULL)
        return gh_fail(err, -EINVAL, "signature input, column %zu: %s is not closed",
                       (size_t)(s - start) + 1, what);
    if ((size_t)(e - s - 1) >= len)
        return gh_fail(err, -EINVAL, "signature input, column %zu: %s is too long",
                       (size_t)(s - start) + 1, what);
    memcpy(out, s + 1, (size_t)(e - s - 1));
    out[e - s - 1] = '\0';
    *p = e + 1;
    return 0;
}

int gh_sig_input_parse(const char *header, struct gh_sig_input *out, struct gh_err *err)
{
    struct gh_sig_component c[GH_SIG_MAX_COMPONENTS];
    struct gh_buf canon;
    const char *p = header, *eq;
    int rc = -EINVAL;

    memset(out, 0, sizeof(*out));
    gh_buf_init(&canon, GH_SIG_HEADER_MAX);
    if (strlen(header) >= GH_SIG_HEADER_MAX) {
        rc = gh_fail(err, -EINVAL, "signature input: longer than %d bytes", GH_SIG_HEADER_MAX - 1);
        goto fail;
    }
    eq = strchr(p, '=');
    if (eq == NULL || eq == p || (size_t)(eq - p) >= GH_SIG_LABEL_MAX) {
        rc = gh_fail(err, -EINVAL,
                     "signature input: expected LABEL=(...) with a label of 1 to "
                     "32 characters");
        goto fail;
    }
    for (const char *q = p; q < eq; q++)
        if (!label_char(*q)) {
            rc = gh_fail(err, -EINVAL,
                         "signature input, column %zu: a label is lower-case letters, digits, - "
                         "and _",
                         (size_t)(q - header) + 1);
            goto fail;
        }
    memcpy(out->label, p, (size_t)(eq - p));
    gh_strlcpy(out->params, eq + 1, sizeof(out->params));
    p = eq + 1;
    if (*p++ != '(') {
        rc = gh_fail(err, -EINVAL, "signature input, column %zu: expected ( after the label",
                     (size_t)(p - header));
        goto fail;
    }
    while (*p != ')') {
        if (out->n == GH_SIG_MAX_COMPONENTS) {
            rc = gh_fail(err, -EINVAL, "signature input: more than %d components",
                         GH_SIG_MAX_COMPONENTS);
            goto fail;
        }
        if (out->n > 0 && *p++ != ' ') {
            rc = gh_fail(err, -EINVAL,
                         "signature input, column %zu: components are separated by one space",
                         (size_t)(p - header));
            goto fail;
        }
        {
            const char *at = p;
            if ((rc = quoted(&p, out->names[out->n], GH_SIG_NAME_MAX, "a component", header, err)) <
                0)
                goto fail;
            if (!name_ok(out->names[out->n])) {
                rc = gh_fail(err, -EINVAL,
                             "signature input, column %zu: a component is a lower-case name",
                             (size_t)(at - header) + 1);
                goto fail;
            }
        }
        out->n++;
    }
    p++;
    /* parameters: created first, then nonce, keyid, alg, in that order */
    while (*p == ';') {
        const char *name = ++p;
        const char *v = strchr(p, '=');
        if (v == NULL) {
            rc = gh_fail(err, -EINVAL, "signature input, column %zu: a parameter without a value",
                         (size_t)(name - header) + 1);
            goto fail;
        }
        p = v + 1;
        if ((size_t)(v - name) == 7 && memcmp(name, "created", 7) == 0) {
            int64_t t = 0;
            const char *d = p;
            while (*p >= '0' && *p <= '9' && p - d < 15)
                t = t * 10 + (*p++ - '0');
            if (p == d || (*p >= '0' && *p <= '9')) {
                rc = gh_fail(err, -EINVAL,
                             "signature input, column %zu: created is a whole number of seconds",
                             (size_t)(d - header) + 1);
                goto fail;
            }
            out->created = t;
        } else if ((size_t)(v - name) == 5 && memcmp(name, "nonce", 5) == 0) {
            rc = quoted(&p, out->nonce, sizeof(out->nonce), "nonce", header, err);
        } else if ((size_t)(v - name) == 5 && memcmp(name, "keyid", 5) == 0) {
            rc = quoted(&p, out->keyid, sizeof(out->keyid), "keyid", header, err);
        } else if ((size_t)(v - name) == 3 && memcmp(name, "alg", 3) == 0) {
            rc = quoted(&p, out->alg, sizeof(out->alg), "alg", header, err);
        } else {
            rc = gh_fail(err, -EINVAL,
                         "signature input, column %zu: unknown parameter (created, nonce, keyid, "
                         "alg)",
                         (size_t)(name - header) + 1);
            goto fail;
        }
        if (rc < 0)
            goto fail;
    }
    if (*p != '\0') {
        rc = gh_fail(err, -EINVAL, "signature input, column %zu: unexpected text",
                     (size_t)(p - header) + 1);
        goto fail;
    }
    if (out->keyid[0] == '\0' || out->created == 0) {
        rc = gh_fail(err, -EINVAL, "signature input: created and keyid are required");
        goto fail;
    }
    if (out->alg[0] != '\0' && strcmp(out->alg, "ed25519") != 0) {
        rc = gh_fail(err, -EINVAL, "signature input: alg must be ed25519");
        goto fail;
    }
    /* one form only: what gh_sig_params writes for these values, byte for byte */
    for (size_t i = 0; i < out->n; i++) {
        c[i].name = out->names[i];
        c[i].value = "";
    }
    if ((rc = gh_sig_params(c, out->n, out->created, out->nonce[0] ? out->nonce : NULL, out->keyid,
                            out->alg[0] ? out->alg : NULL, &canon, err)) < 0)
        goto fail;
    if (strcmp(gh_buf_cstr(&canon), out->params) != 0) {
        rc = gh_fail(err, -EINVAL,
                     "signature input: not in the canonical form (see "
                     "docs/PROTOCOL-edge.md)");
        goto fail;
    }
    gh_buf_free(&canon);
    return 0;
fail:
    gh_buf_free(&canon);
    memset(out, 0, sizeof(*out));
    return rc;
}

int gh_sig_value_parse(const char *header, const char *label, char out[GH_SIG_B64_LEN],
                       struct gh_err *err)
{
    size_t l = strlen(label), n;
    const char *b;
    out[0] = '\0';
    if (strncmp(header, label, l) != 0 || header[l] != '=' || header[l + 1] != ':')
        return gh_fail(err, -EINVAL, "signature: expected %s=:BASE64: (the label of the input)",
                       label);
    b = header + l + 2;
    n = strlen(b);
    if (n < 2 || b[n - 1] != ':' || n - 1 >= GH_SIG_B64_LEN ||
        strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n - 1)
        return gh_fail(err, -EINVAL, "signature: the value is not :BASE64: of a signature");
    memcpy(out, b, n - 1);
    out[n - 1] = '\0';
    return 0;
}

void gh_content_digest(const void *body, size_t len, char out[GH_DIGEST_LEN])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    crypto_hash_sha256(h, body, len);
    sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, GH_DIGEST_LEN, "sha-256=:%s:", b64);
}
