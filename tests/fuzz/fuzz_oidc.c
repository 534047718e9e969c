/*
 * fuzz_oidc.c: libFuzzer target for the ID token check of OpenID Connect sign-in
 * (identity_oidc_check_id_token in src/identity/oidc.c: cjose's JWS parser, the key set,
 * signature verification and every claim).
 *
 * The input is a key set (JWKS text), a 0x00 byte, then the ID token (without a 0x00 byte,
 * the whole input is the token and the key set is empty). Each part is copied to a buffer
 * of exactly its length, so reading past it is caught. An input that starts with "CLM:" is
 * claims instead: the target signs the rest (ES256, a key made at start) and checks the
 * token against that key's set, so that mutated claims get past the signature. The
 * configuration, nonce and clock are fixed (the seed corpus holds tokens signed for them,
 * so signatures verify and the claim checks run). The answer must be 0 with a user that
 * has a sub and a name, or -EACCES, -ENOKEY or -EIO with a reason and a zeroed user.
 * Anything else aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <sodium.h>

#include "identity/identity.h"

#define NOW   (INT64_C(1795000000) * INT64_C(1000000))
#define NONCE "fuzz-nonce-0S6_WzA2Mj"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void config_init(struct identity_oidc_config *c)
{
    struct gh_err err = {{0}};
    memset(c, 0, sizeof(*c));
    gh_strlcpy(c->issuer, "https://id.example.com", sizeof(c->issuer));
    gh_strlcpy(c->client_id, "gatehouse", sizeof(c->client_id));
    gh_strlcpy(c->client_secret, "s3cret-of-the-client", sizeof(c->client_secret));
    gh_strlcpy(c->redirect_uri, "https://gh.example.com/api/v1/auth/oidc/callback",
               sizeof(c->redirect_uri));
    gh_strlcpy(c->maps[0].value, "gh-ops", sizeof(c->maps[0].value));
    c->maps[0].role = ROLE_SECURITY_OPERATOR;
    gh_strlcpy(c->maps[1].value, "gh-hr", sizeof(c->maps[1].value));
    c->maps[1].role = ROLE_HR;
    c->n_maps = 2;
    if (sodium_init() < 0 || identity_oidc_config_check(c, &err) != 0)
        abort();
}

#define CLAIMS_TAG "CLM:"

/* The key that signs claims inputs, and its public key set as text (made once). */
static cjose_jwk_t *claims_key;
static char *claims_set;

static void claims_key_init(void)
{
    cjose_err ce;
    char *pub, *set;
    size_t n;
    claims_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &ce);
    if (claims_key == NULL || !cjose_jwk_set_kid(claims_key, "fz", 2, &ce) ||
        (pub = cjose_jwk_to_json(claims_key, false, &ce)) == NULL)
        abort();
    n = strlen(pub) + 16;
    set = malloc(n);
    if (set == NULL)
        abort();
    snprintf(set, n, "{\"keys\":[%s]}", pub);
    cjose_get_dealloc()(pub);
    claims_set = set;
}

/* The compact ES256 token of the claims text p[0..n) (malloc'd, NUL-terminated). */
static char *sign_claims(const uint8_t *p, size_t n)
{
    cjose_err ce;
    cjose_header_t *h = cjose_header_new(&ce);
    cjose_jws_t *jws;
    const char *ser;
    char *tok;
    if (h == NULL || !cjose_header_set(h, CJOSE_HDR_ALG, "ES256", &ce) ||
        !cjose_header_set(h, CJOSE_HDR_KID, "fz", &ce))
        abort();
    jws = cjose_jws_sign(claims_key, h, p, n, &ce);
    cjose_header_release(h);
    if (jws == NULL || !cjose_jws_export(jws, &ser, &ce) || (tok = strdup(ser)) == NULL)
        abort();
    cjose_jws_release(jws);
    return tok;
}

/* A copy of n bytes in a buffer of exactly n bytes (no terminator). */
static char *copy(const uint8_t *p, size_t n)
{
    char *q = malloc(n > 0 ? n : 1);
    if (q == NULL)
        abort();
    if (n > 0)
        memcpy(q, p, n);
    return q;
}

static bool terminated(const char *s, size_t len)
{
    return memchr(s, '\0', len) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct identity_oidc_config c;
    static bool ready;
    static const struct identity_oidc_user zero;
    const uint8_t *sep;
    struct identity_oidc_user out;
    struct gh_err err = {{0}};
    size_t set_len = 0, tok_off = 0;
    char *set, *tok;
    int r;

    if (!ready) {
        config_init(&c);
        claims_key_init();
        ready = true;
    }
    if (size > 64 * 1024)
        return 0;
    memset(&out, 0x5a, sizeof(out));
    if (size >= 4 && memcmp(data, CLAIMS_TAG, 4) == 0) {
        set = copy((const uint8_t *)claims_set, set_len = strlen(claims_set));
        tok = sign_claims(data + 4, size - 4);
        r = identity_oidc_check_id_token(&c, set, set_len, tok, strlen(tok), NONCE, NOW, &out,
                                         &err);
    } else {
        sep = memchr(data, 0, size);
        if (sep != NULL) {
            set_len = (size_t)(sep - data);
            tok_off = set_len + 1;
        }
        set = copy(data, set_len);
        tok = copy(data + tok_off, size - tok_off);
        r = identity_oidc_check_id_token(&c, set, set_len, tok, size - tok_off, NONCE, NOW, &out,
                                         &err);
    }
    if (r == 0) {
        if (!terminated(out.sub, sizeof(out.sub)) || out.sub[0] == '\0' ||
            !terminated(out.name, sizeof(out.name)) ||
            !terminated(out.display_name, sizeof(out.display_name)) ||
            !terminated(out.email, sizeof(out.email)) ||
            (out.roles & ~(ROLE_BIT(ROLE_SECURITY_OPERATOR) | ROLE_BIT(ROLE_HR))) != 0)
            abort();
    } else if ((r != -EACCES && r != -ENOKEY && r != -EIO) || err.msg[0] == '\0' ||
               !terminated(err.msg, sizeof(err.msg)) || memcmp(&out, &zero, sizeof(out)) != 0) {
        fprintf(stderr, "fuzz_oidc: %d %s\n", r, err.msg);
        abort();
    }
    free(set);
    free(tok);
    return 0;
}
