/*
 * test_oidc.c: OpenID Connect sign-in (src/identity/oidc.c) without a provider. ID tokens
 * are minted here with cjose (RSA, EC and HMAC keys made once) and checked against key
 * sets made here too: signatures, algorithms, the choice of key (kid, type, curve, size),
 * every claim (iss, aud and azp, exp/iat/nbf with their leeway, nonce, sub, the user name,
 * roles, amr) and the token's shape; then the local record of a provider's user (matched by
 * sub, roles kept up to date, refusals) and sign-in states that work once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "../support.h"
#include "identity/identity.h"

#define US     INT64_C(1000000)
#define NOW_S  INT64_C(1795000000)
#define NOW    (NOW_S * US)
#define ISSUER "https://id.example.com"
#define CLIENT "gatehouse"
#define NONCE  "n-0S6_WzA2Mj"

static struct identity_oidc_config cfg;
/* rsa "r1" and ec "e1" are in the usual key set; twin is another RSA key also called
 * "r1"; small is RSA of 1024 bits; p384 an EC key on the wrong curve for ES256. */
static cjose_jwk_t *rsa, *twin, *ec, *small, *p384, *hmac;
static char *jwks;

/* ---- minting --------------------------------------------------------------------------- */

static json_t *key_json(const cjose_jwk_t *k)
{
    cjose_err ce;
    char *text = cjose_jwk_to_json(k, false, &ce);
    json_t *v;
    assert_non_null(text);
    v = json_loads(text, 0, NULL);
    cjose_get_dealloc()(text);
    assert_non_null(v);
    return v;
}

/* {"keys": keys} as text (malloc'd); takes keys (an array). */
static char *set_text(json_t *keys)
{
    json_t *set = json_pack("{s:o}", "keys", keys);
    char *text = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    assert_non_null(text);
    return text;
}

/* The public key set of the n keys. */
static char *set_of(cjose_jwk_t *const keys[], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, key_json(keys[i]));
    return set_text(a);
}

/* A compact JWS of text signed by k with header {alg, kid (unless NULL), crit (raw JSON,
 * unless NULL)}; malloc'd. */
static char *sign_text(const cjose_jwk_t *k, const char *alg, const char *kid, const char *crit,
                       const char *text)
{
    cjose_err ce;
    cjose_header_t *h = cjose_header_new(&ce);
    cjose_jws_t *jws;
    const char *ser = NULL;
    char *tok;
    assert_non_null(h);
    assert_true(cjose_header_set(h, CJOSE_HDR_ALG, alg, &ce));
    if (kid != NULL)
        assert_true(cjose_header_set(h, CJOSE_HDR_KID, kid, &ce));
    if (crit != NULL)
        assert_true(cjose_header_set_raw(h, "crit", crit, &ce));
    jws = cjose_jws_sign(k, h, (const uint8_t *)text, strlen(text), &ce);
    cjose_header_release(h);
    if (jws == NULL)
        fail_msg("cjose_jws_sign %s: %s", alg, ce.message);
    assert_true(cjose_jws_export(jws, &ser, &ce));
    tok = strdup(ser);
    cjose_jws_release(jws);
    assert_non_null(tok);
    return tok;
}

/* The same for claims (taken). */
static char *sign_claims(const cjose_jwk_t *k, const char *alg, const char *kid, json_t *claims)
{
    char *text = json_dumps(claims, JSON_COMPACT), *tok;
    json_decref(claims);
    assert_non_null(text);
    tok = sign_text(k, alg, kid, NULL, text);
    free(text);
    return tok;
}

/* The usual RS256 token of claims (taken): the rsa key, kid r1. */
static char *rs256(json_t *claims)
{
    return sign_claims(rsa, "RS256", "r1", claims);
}

/* Claims that pass every check. */
static json_t *claims(void)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s,s], s:[s,s], s:s, s:I, s:I}", "iss",
                          ISSUER, "aud", CLIENT, "sub", "248289761001", "preferred_username",
                          "jdoe", "name", "Jane Doe", "email", "jane@example.org", "groups",
                          "gh-ops", "unmapped", "amr", "pwd", "otp", "nonce", NONCE, "iat",
                          (json_int_t)NOW_S, "exp", (json_int_t)(NOW_S + 300));
    assert_non_null(c);
    return c;
}

/* The text of claims() (malloc'd). */
static char *claims_text(void)
{
    json_t *c = claims();
    char *text = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    assert_non_null(text);
    return text;
}

static json_t *with(json_t *c, const char *key, json_t *v)
{
    assert_int_equal(json_object_set_new(c, key, v), 0);
    return c;
}

static json_t *without(json_t *c, const char *key)
{
    assert_int_equal(json_object_del(c, key), 0);
    return c;
}

static json_t *at(int64_t offset_s)
{
    return json_integer((json_int_t)(NOW_S + offset_s));
}

/* base64url(s) (malloc'd by cjose). */
static char *b64u(const char *s)
{
    char *out = NULL;
    size_t n = 0;
    cjose_err ce;
    assert_true(cjose_base64url_encode((const uint8_t *)s, strlen(s), &out, &n, &ce));
    return out;
}

/* header.payload.sig from the texts of the header and payload (encoded here) and the
 * signature (as is); malloc'd. */
static char *hand_token(const char *header, const char *payload, const char *sig)
{
    char *h = b64u(header), *p = b64u(payload), *tok;
    size_t n = strlen(h) + strlen(p) + strlen(sig) + 3;
    tok = malloc(n);
    assert_non_null(tok);
    snprintf(tok, n, "%s.%s.%s", h, p, sig);
    cjose_get_dealloc()(h);
    cjose_get_dealloc()(p);
    return tok;
}

/* ---- checking ------------------------------------------------------------------------- */

static int check_tok(const struct identity_oidc_config *c, const char *set, const char *tok,
                     struct identity_oidc_user *out, struct gh_err *err)
{
    memset(out, 0x5a, sizeof(*out)); /* so that a refusal must zero it */
    memset(err, 0, sizeof(*err));
    return identity_oidc_check_id_token(c, set, strlen(set), tok, strlen(tok), NONCE, NOW, out,
                                        err);
}

/* tok (taken) must pass; *out gets the user. */
#define ACCEPTED(c, set, tok, out) accepted_at(__LINE__, c, set, tok, out)
static void accepted_at(int line, const struct identity_oidc_config *c, const char *set, char *tok,
                        struct identity_oidc_user *out)
{
    struct gh_err err;
    int r = check_tok(c, set, tok, out, &err);
    free(tok);
    if (r != 0)
        fail_msg("line %d: refused: %d %s", line, r, err.msg);
}

/* tok (taken) must be refused with code and a message holding text, and *out zeroed. */
#define REFUSED(c, set, tok, code, text) refused_at(__LINE__, c, set, tok, code, text)
static void refused_at(int line, const struct identity_oidc_config *c, const char *set, char *tok,
                       int code, const char *text)
{
    static const struct identity_oidc_user zero;
    struct identity_oidc_user out;
    struct gh_err err;
    int r = check_tok(c, set, tok, &out, &err);
    free(tok);
    if (r != code || strstr(err.msg, text) == NULL)
        fail_msg("line %d: got %d '%s'; wanted %d with '%s'", line, r, err.msg, code, text);
    if (memcmp(&out, &zero, sizeof(out)) != 0)
        fail_msg("line %d: *out is not zeroed after a refusal", line);
}

/* ---- fixtures -------------------------------------------------------------------------- */

static cjose_jwk_t *named(cjose_jwk_t *k, const char *kid)
{
    if (k != NULL && !cjose_jwk_set_kid(k, kid, strlen(kid), NULL)) {
        cjose_jwk_release(k);
        return NULL;
    }
    return k;
}

static void config_init(struct identity_oidc_config *c)
{
    struct gh_err err = {{0}};
    memset(c, 0, sizeof(*c));
    gh_strlcpy(c->issuer, ISSUER, sizeof(c->issuer));
    gh_strlcpy(c->client_id, CLIENT, sizeof(c->client_id));
    gh_strlcpy(c->client_secret, "s3cret-of-the-client", sizeof(c->client_secret));
    gh_strlcpy(c->redirect_uri, "https://gh.example.com/api/v1/auth/oidc/callback",
               sizeof(c->redirect_uri));
    gh_strlcpy(c->maps[0].value, "gh-ops", sizeof(c->maps[0].value));
    c->maps[0].role = ROLE_SECURITY_OPERATOR;
    gh_strlcpy(c->maps[1].value, "gh-hr", sizeof(c->maps[1].value));
    c->maps[1].role = ROLE_HR;
    c->n_maps = 2;
    if (identity_oidc_config_check(c, &err) != 0)
        fprintf(stderr, "identity_oidc_config_check: %s\n", err.msg);
}

static int keys_setup(void **state)
{
    static const uint8_t e[] = {1, 0, 1};
    cjose_jwk_t *both[2];
    (void)state;
    config_init(&cfg);
    rsa = named(cjose_jwk_create_RSA_random(2048, e, sizeof(e), NULL), "r1");
    twin = named(cjose_jwk_create_RSA_random(2048, e, sizeof(e), NULL), "r1");
    small = named(cjose_jwk_create_RSA_random(1024, e, sizeof(e), NULL), "small");
    ec = named(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL), "e1");
    p384 = named(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_384, NULL), "p384");
    hmac = named(cjose_jwk_create_oct_random(256, NULL), "h1");
    if (!rsa || !twin || !small || !ec || !p384 || !hmac)
        return -1;
    both[0] = rsa;
    both[1] = ec;
    jwks = set_of(both, 2);
    return 0;
}

static int keys_teardown(void **state)
{
    (void)state;
    cjose_jwk_release(rsa);
    cjose_jwk_release(twin);
    cjose_jwk_release(small);
    cjose_jwk_release(ec);
    cjose_jwk_release(p384);
    cjose_jwk_release(hmac);
    free(jwks);
    return 0;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_config_check(void **state)
{
    struct identity_oidc_config c;
    struct gh_err err = {{0}};
    (void)state;
    /* defaults filled by the fixture's check */
    assert_string_equal(cfg.scopes, "openid profile email");
    assert_string_equal(cfg.username_claim, "preferred_username");
    assert_string_equal(cfg.roles_claim, "groups");
    assert_string_equal(cfg.mfa_amr, IDENTITY_OIDC_DEFAULT_AMR);
    assert_string_equal(cfg.algorithms, IDENTITY_OIDC_DEFAULT_ALG);
    assert_string_equal(cfg.label, "Single sign-on");
    assert_int_equal(cfg.timeout_s, 10);
    /* no issuer: no OIDC, nothing to check */
    memset(&c, 0, sizeof(c));
    OK(identity_oidc_config_check(&c, &err));
    /* openid is always asked for */
    config_init(&c);
    gh_strlcpy(c.scopes, "email groups", sizeof(c.scopes));
    OK(identity_oidc_config_check(&c, &err));
    assert_string_equal(c.scopes, "openid email groups");
    /* http only to a loopback redirect; never an http issuer */
    config_init(&c);
    gh_strlcpy(c.redirect_uri, "http://127.0.0.1:8443/api/v1/auth/oidc/callback",
               sizeof(c.redirect_uri));
    OK(identity_oidc_config_check(&c, &err));
    {
        static const char *const fine[] = {"http://localhost/cb", "http://[::1]:8443/cb",
                                           "http://127.0.0.1"};
        /* look-alikes of a loopback host are other hosts */
        static const char *const refused[] = {
            "http://gh.example.com/cb", "http://localhost.evil.example/cb",
            "http://127.0.0.1.nip.io/cb", "http://127.0.0.1@evil.example/cb", "http:///cb"};
        for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
            gh_strlcpy(c.redirect_uri, fine[i], sizeof(c.redirect_uri));
            OK(identity_oidc_config_check(&c, &err));
        }
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
            gh_strlcpy(c.redirect_uri, refused[i], sizeof(c.redirect_uri));
            assert_int_equal(identity_oidc_config_check(&c, &err), -EINVAL);
            assert_non_null(strstr(err.msg, "oidc.redirect_uri"));
        }
    }
    config_init(&c);
    gh_strlcpy(c.issuer, "http://id.example.com", sizeof(c.issuer));
    assert_int_equal(identity_oidc_config_check(&c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "oidc.issuer"));
    config_init(&c);
    c.client_secret[0] = '\0';
    assert_int_equal(identity_oidc_config_check(&c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "client_secret_file"));
    /* HMAC and "none" cannot be configured */
    config_init(&c);
    gh_strlcpy(c.algorithms, "RS256 HS256", sizeof(c.algorithms));
    assert_int_equal(identity_oidc_config_check(&c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "'HS256' is not one of"));
    gh_strlcpy(c.algorithms, "none", sizeof(c.algorithms));
    assert_int_equal(identity_oidc_config_check(&c, &err), -EINVAL);
}

static void test_good_tokens(void **state)
{
    struct identity_oidc_config c = cfg;
    struct identity_oidc_user out;
    cjose_jwk_t *one[1] = {ec};
    char *ec_only = set_of(one, 1);
    (void)state;
    ACCEPTED(&cfg, jwks, rs256(claims()), &out);
    assert_string_equal(out.sub, "248289761001");
    assert_string_equal(out.name, "jdoe");
    assert_string_equal(out.display_name, "Jane Doe");
    assert_string_equal(out.email, "jane@example.org");
    assert_int_equal(out.roles, ROLE_BIT(ROLE_SECURITY_OPERATOR)); /* "unmapped" maps to none */
    assert_true(out.mfa);

    /* amr: a second factor only when one of mfa_amr is there */
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "amr", json_pack("[s]", "pwd"))), &out);
    assert_false(out.mfa);
    ACCEPTED(&cfg, jwks, rs256(without(claims(), "amr")), &out);
    assert_false(out.mfa);
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "amr", json_string("otp"))), &out);
    assert_false(out.mfa); /* amr is an array */
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "amr", json_pack("[s,s]", "hwk", "pwd"))), &out);
    assert_true(out.mfa);
    /* one method is one factor, whichever; two of the same kind are still one factor */
    {
        static const struct {
            const char *a, *b;
            bool mfa;
        } amr[] = {{"otp", NULL, false},  {"hwk", NULL, false}, {"swk", NULL, false},
                   {"sc", NULL, false},   {"mfa", NULL, true},  {"pwd", "kba", false},
                   {"otp", "hwk", false}, {"pin", "hwk", true}, {"fpt", "swk", true},
                   {"face", "pwd", true}};
        for (size_t i = 0; i < sizeof(amr) / sizeof(amr[0]); i++) {
            json_t *list =
                amr[i].b ? json_pack("[s,s]", amr[i].a, amr[i].b) : json_pack("[s]", amr[i].a);
            ACCEPTED(&cfg, jwks, rs256(with(claims(), "amr", list)), &out);
            assert_int_equal(out.mfa, amr[i].mfa);
        }
    }

    /* roles: a single string, several, none; another claim name */
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "groups", json_string("gh-hr"))), &out);
    assert_int_equal(out.roles, ROLE_BIT(ROLE_HR));
    ACCEPTED(&cfg, jwks,
             rs256(with(claims(), "groups", json_pack("[s,i,s]", "gh-hr", 7, "gh-ops"))), &out);
    assert_int_equal(out.roles, ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_SECURITY_OPERATOR));
    ACCEPTED(&cfg, jwks, rs256(without(claims(), "groups")), &out);
    assert_int_equal(out.roles, 0);
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "groups", json_pack("{s:s}", "a", "gh-hr"))), &out);
    assert_int_equal(out.roles, 0);
    gh_strlcpy(c.roles_claim, "roles", sizeof(c.roles_claim));
    gh_strlcpy(c.username_claim, "email", sizeof(c.username_claim));
    ACCEPTED(&c, jwks, rs256(with(claims(), "roles", json_pack("[s]", "gh-hr"))), &out);
    assert_int_equal(out.roles, ROLE_BIT(ROLE_HR));
    assert_string_equal(out.name, "jane@example.org");

    /* aud as an array holding only this client needs no azp; azp equal to it is fine */
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "aud", json_pack("[s]", CLIENT))), &out);
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "azp", json_string(CLIENT))), &out);
    /* another audience beside this client is one this client cannot trust, azp or not */
    REFUSED(&cfg, jwks,
            rs256(with(with(claims(), "aud", json_pack("[s,s]", "other-app", CLIENT)), "azp",
                       json_string(CLIENT))),
            -EACCES, "audience is not (only) this client");

    /* a name or e-mail the model would refuse is left out, not fatal */
    ACCEPTED(&cfg, jwks,
             rs256(with(with(claims(), "email", json_string("not-an-email")), "name",
                        json_string("Jane\x01"))),
             &out);
    assert_string_equal(out.email, "");
    assert_string_equal(out.display_name, "");
    assert_string_equal(out.name, "jdoe");
    ACCEPTED(&cfg, jwks, rs256(without(without(claims(), "email"), "name")), &out);
    assert_string_equal(out.email, "");

    /* no kid: every key of the set is tried */
    ACCEPTED(&cfg, jwks, sign_claims(rsa, "RS256", NULL, claims()), &out);
    assert_string_equal(out.sub, "248289761001");
    /* ES256 with the P-256 key, alone in its set too; PS256 with the RSA key */
    ACCEPTED(&cfg, jwks, sign_claims(ec, "ES256", "e1", claims()), &out);
    assert_string_equal(out.name, "jdoe");
    ACCEPTED(&cfg, ec_only, sign_claims(ec, "ES256", "e1", claims()), &out);
    ACCEPTED(&cfg, jwks, sign_claims(rsa, "PS256", "r1", claims()), &out);
    assert_int_equal(out.roles, ROLE_BIT(ROLE_SECURITY_OPERATOR));
    free(ec_only);
}

static void test_signatures(void **state)
{
    json_t *keys;
    char *tok, *set;
    size_t n;
    (void)state;
    /* a character of the signature changed */
    tok = rs256(claims());
    n = strlen(tok);
    {
        /* another base64url character (flipping a bit could make '-' or '_' invalid) */
        char *c = &tok[strrchr(tok, '.') - tok + 20];
        *c = *c == 'A' ? 'B' : 'A';
    }
    assert_int_equal(strlen(tok), n);
    REFUSED(&cfg, jwks, tok, -EACCES, "signature does not verify");
    /* claims changed under a signature of others */
    {
        char *a = rs256(claims()), *b = rs256(with(claims(), "sub", json_string("admin")));
        const char *a_sig = strrchr(a, '.');
        size_t pre = (size_t)(strrchr(b, '.') - b);
        size_t len = pre + strlen(a_sig) + 1;
        tok = malloc(len);
        assert_non_null(tok);
        snprintf(tok, len, "%.*s%s", (int)pre, b, a_sig);
        free(a);
        free(b);
        REFUSED(&cfg, jwks, tok, -EACCES, "signature does not verify");
    }
    /* another key under the same kid */
    REFUSED(&cfg, jwks, sign_claims(twin, "RS256", "r1", claims()), -EACCES,
            "signature does not verify");
    REFUSED(&cfg, jwks, sign_claims(twin, "RS256", NULL, claims()), -EACCES,
            "signature does not verify");
    /* a kid not in the set */
    REFUSED(&cfg, jwks, sign_claims(rsa, "RS256", "r2", claims()), -ENOKEY,
            "no key of the provider's key set fits the ID token (kid r2, RS256)");
    /* the key with the kid is there but marked for encryption, or for another algorithm */
    keys = json_array();
    json_array_append_new(keys, with(key_json(rsa), "use", json_string("enc")));
    set = set_text(keys);
    REFUSED(&cfg, set, rs256(claims()), -ENOKEY, "no key");
    free(set);
    keys = json_array();
    json_array_append_new(keys, with(key_json(rsa), "alg", json_string("RS512")));
    set = set_text(keys);
    REFUSED(&cfg, set, rs256(claims()), -ENOKEY, "no key");
    free(set);
    keys = json_array();
    json_array_append_new(
        keys, with(with(key_json(rsa), "alg", json_string("RS256")), "use", json_string("sig")));
    set = set_text(keys);
    assert_int_equal(check_tok(&cfg, set, (tok = rs256(claims())), &(struct identity_oidc_user){0},
                               &(struct gh_err){{0}}),
                     0);
    free(tok);
    free(set);
    /* an empty set */
    REFUSED(&cfg, "{\"keys\":[]}", rs256(claims()), -ENOKEY, "no key");
}

static void test_algorithms(void **state)
{
    struct identity_oidc_config c = cfg;
    cjose_jwk_t *one[1];
    char *set, *text = claims_text();
    (void)state;
    /* "none": no signature at all; no alg: not a JWS */
    REFUSED(&cfg, jwks, hand_token("{\"alg\":\"none\"}", text, ""), -EACCES,
            "algorithm 'none' is not accepted");
    REFUSED(&cfg, jwks, hand_token("{\"alg\":\"none\",\"kid\":\"r1\"}", text, ""), -EACCES,
            "algorithm 'none' is not accepted");
    REFUSED(&cfg, jwks, hand_token("{\"kid\":\"r1\"}", text, ""), -EACCES, "not a valid JWS");
    /* HMAC (whose key would be the client secret), under an RSA key's kid or none */
    REFUSED(&cfg, jwks, sign_claims(hmac, "HS256", "r1", claims()), -EACCES,
            "algorithm 'HS256' is not accepted");
    REFUSED(&cfg, jwks, sign_claims(hmac, "HS512", NULL, claims()), -EACCES, "is not accepted");
    /* an algorithm of the table that the configuration does not list */
    REFUSED(&cfg, jwks, sign_claims(rsa, "RS384", "r1", claims()), -EACCES,
            "algorithm 'RS384' is not accepted (oidc.algorithms: RS256 ES256 PS256)");
    gh_strlcpy(c.algorithms, "ES256", sizeof(c.algorithms));
    REFUSED(&c, jwks, rs256(claims()), -EACCES, "'RS256' is not accepted");
    ACCEPTED(&c, jwks, sign_claims(ec, "ES256", "e1", claims()), &(struct identity_oidc_user){0});
    gh_strlcpy(c.algorithms, "RS384", sizeof(c.algorithms));
    ACCEPTED(&c, jwks, sign_claims(rsa, "RS384", "r1", claims()), &(struct identity_oidc_user){0});
    /* RS256 under the kid of an EC key: that key does not fit, so none is tried */
    REFUSED(&cfg, jwks, sign_claims(rsa, "RS256", "e1", claims()), -ENOKEY,
            "no key of the provider's key set fits the ID token (kid e1, RS256)");
    /* ES256 under the kid of an RSA key, or with a P-384 key */
    REFUSED(&cfg, jwks, sign_claims(ec, "ES256", "r1", claims()), -ENOKEY, "no key");
    one[0] = p384;
    set = set_of(one, 1);
    gh_strlcpy(c.algorithms, "ES256 ES384", sizeof(c.algorithms));
    REFUSED(&c, set, sign_claims(p384, "ES256", "p384", claims()), -ENOKEY, "(kid p384, ES256)");
    ACCEPTED(&c, set, sign_claims(p384, "ES384", "p384", claims()),
             &(struct identity_oidc_user){0});
    free(set);
    /* RSA keys of fewer than 2048 bits are not used */
    one[0] = small;
    set = set_of(one, 1);
    REFUSED(&cfg, set, sign_claims(small, "RS256", "small", claims()), -ENOKEY,
            "no key of the provider's key set fits");
    REFUSED(&cfg, set, sign_claims(small, "RS256", NULL, claims()), -ENOKEY, "(kid none, RS256)");
    free(set);
    free(text);
}

static void test_claims(void **state)
{
    struct identity_oidc_user out;
    char long_sub[300];
    (void)state;
    /* iss */
    REFUSED(&cfg, jwks, rs256(with(claims(), "iss", json_string("https://evil.example.com"))),
            -EACCES, "issuer 'https://evil.example.com' is not https://id.example.com");
    REFUSED(&cfg, jwks, rs256(with(claims(), "iss", json_string(ISSUER "/"))), -EACCES, "issuer");
    REFUSED(&cfg, jwks, rs256(without(claims(), "iss")), -EACCES, "issuer '' is not");
    /* aud and azp */
    REFUSED(&cfg, jwks, rs256(with(claims(), "aud", json_string("other-app"))), -EACCES,
            "audience is not (only) this client (gatehouse)");
    REFUSED(&cfg, jwks, rs256(with(claims(), "aud", json_pack("[s]", "other-app"))), -EACCES,
            "audience is not (only) this client");
    REFUSED(&cfg, jwks, rs256(without(claims(), "aud")), -EACCES, "audience");
    REFUSED(&cfg, jwks, rs256(with(claims(), "aud", json_pack("[s,s]", CLIENT, "other-app"))),
            -EACCES, "audience is not (only) this client");
    REFUSED(&cfg, jwks,
            rs256(with(with(claims(), "aud", json_pack("[s,s]", CLIENT, "other-app")), "azp",
                       json_string("other-app"))),
            -EACCES, "audience is not (only) this client");
    REFUSED(&cfg, jwks, rs256(with(claims(), "azp", json_string("other-app"))), -EACCES,
            "authorized party (azp)");
    /* exp, with 60 s of leeway */
    REFUSED(&cfg, jwks, rs256(with(claims(), "exp", at(-61))), -EACCES,
            "the ID token expired 61 s ago");
    REFUSED(&cfg, jwks, rs256(with(claims(), "exp", at(-60))), -EACCES, "expired");
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "exp", at(-30))), &out);
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "exp", at(-59))), &out);
    REFUSED(&cfg, jwks, rs256(without(claims(), "exp")), -EACCES, "lacks exp or iat");
    REFUSED(&cfg, jwks, rs256(with(claims(), "exp", json_string("1795000300"))), -EACCES,
            "lacks exp or iat");
    REFUSED(&cfg, jwks, rs256(with(claims(), "exp", json_integer(-5))), -EACCES,
            "lacks exp or iat");
    REFUSED(&cfg, jwks, rs256(with(claims(), "exp", json_real(1e300))), -EACCES,
            "lacks exp or iat");
    /* iat: not in the future, not older than a sign-in may take */
    REFUSED(&cfg, jwks, rs256(with(claims(), "iat", at(120))), -EACCES,
            "issued at a time too far from now");
    REFUSED(&cfg, jwks, rs256(with(claims(), "iat", at(-20 * 60))), -EACCES,
            "issued at a time too far from now");
    REFUSED(&cfg, jwks, rs256(without(claims(), "iat")), -EACCES, "lacks exp or iat");
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "iat", at(30))), &out);
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "iat", at(-IDENTITY_OIDC_STATE_TTL))), &out);
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "iat", json_real((double)NOW_S - 0.5))), &out);
    /* nbf */
    REFUSED(&cfg, jwks, rs256(with(claims(), "nbf", at(120))), -EACCES, "not valid yet (nbf)");
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "nbf", at(30))), &out);
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "nbf", at(-100))), &out);
    /* nonce */
    REFUSED(&cfg, jwks, rs256(with(claims(), "nonce", json_string(NONCE "x"))), -EACCES,
            "nonce is not the one of this sign-in");
    REFUSED(&cfg, jwks, rs256(with(claims(), "nonce", json_string("n-0S6_WzA2MJ"))), -EACCES,
            "nonce");
    REFUSED(&cfg, jwks, rs256(with(claims(), "nonce", json_string(""))), -EACCES, "nonce");
    REFUSED(&cfg, jwks, rs256(without(claims(), "nonce")), -EACCES, "nonce");
    /* sub */
    REFUSED(&cfg, jwks, rs256(without(claims(), "sub")), -EACCES, "no valid sub");
    REFUSED(&cfg, jwks, rs256(with(claims(), "sub", json_string(""))), -EACCES, "no valid sub");
    REFUSED(&cfg, jwks, rs256(with(claims(), "sub", json_integer(42))), -EACCES, "no valid sub");
    memset(long_sub, 'a', sizeof(long_sub) - 1);
    long_sub[sizeof(long_sub) - 1] = '\0';
    REFUSED(&cfg, jwks, rs256(with(claims(), "sub", json_string(long_sub))), -EACCES,
            "no valid sub");
    long_sub[STORE_EXTERNAL_ID_MAX - 1] = '\0'; /* 255 characters: the most OIDC allows */
    ACCEPTED(&cfg, jwks, rs256(with(claims(), "sub", json_string(long_sub))), &out);
    assert_string_equal(out.sub, long_sub);
    /* the user name claim */
    REFUSED(&cfg, jwks, rs256(without(claims(), "preferred_username")), -EACCES,
            "no 'preferred_username' claim (oidc.username_claim)");
    REFUSED(&cfg, jwks, rs256(with(claims(), "preferred_username", json_true())), -EACCES,
            "no 'preferred_username' claim");
}

static void test_shape(void **state)
{
    char *tok, *big;
    size_t n;
    (void)state;
    /* claims that are not one JSON object */
    REFUSED(&cfg, jwks, sign_text(rsa, "RS256", "r1", NULL, "[1,2]"), -EACCES,
            "claims are not a JSON object");
    REFUSED(&cfg, jwks, sign_text(rsa, "RS256", "r1", NULL, "\"sub\""), -EACCES,
            "claims are not a JSON object");
    REFUSED(&cfg, jwks, sign_text(rsa, "RS256", "r1", NULL, "{\"sub\":"), -EACCES,
            "claims are not a JSON object");
    REFUSED(&cfg, jwks,
            sign_text(rsa, "RS256", "r1", NULL,
                      "{\"iss\":\"" ISSUER "\",\"aud\":\"" CLIENT "\",\"sub\":\"a\",\"sub\":\"b\","
                      "\"preferred_username\":\"jdoe\",\"nonce\":\"" NONCE "\","
                      "\"iat\":1795000000,\"exp\":1795000300}"),
            -EACCES, "claims are not a JSON object");
    /* the same text without the second sub passes */
    ACCEPTED(&cfg, jwks,
             sign_text(rsa, "RS256", "r1", NULL,
                       "{\"iss\":\"" ISSUER "\",\"aud\":\"" CLIENT "\",\"sub\":\"a\","
                       "\"preferred_username\":\"jdoe\",\"nonce\":\"" NONCE "\","
                       "\"iat\":1795000000,\"exp\":1795000300}"),
             &(struct identity_oidc_user){0});
    /* at most 16 KiB */
    big = malloc(17000);
    assert_non_null(big);
    memset(big, 'x', 16999);
    big[16999] = '\0';
    tok = rs256(with(claims(), "padding", json_string(big)));
    assert_true(strlen(tok) > 16 * 1024);
    REFUSED(&cfg, jwks, tok, -EACCES, "larger than 16384 bytes");
    big[11000] = '\0';
    tok = rs256(with(claims(), "padding", json_string(big)));
    assert_true(strlen(tok) > 14000 && strlen(tok) <= 16 * 1024);
    ACCEPTED(&cfg, jwks, tok, &(struct identity_oidc_user){0});
    /* the limit is on the length alone: 16384 bytes are read, 16385 are not */
    memset(big, 'A', 16 * 1024 + 1);
    big[100] = big[200] = '.';
    big[16 * 1024 + 1] = '\0';
    REFUSED(&cfg, jwks, strdup(big), -EACCES, "larger than 16384 bytes");
    big[16 * 1024] = '\0';
    REFUSED(&cfg, jwks, strdup(big), -EACCES, "not a valid JWS");
    free(big);
    /* five parts: a JWE; two or four: nothing */
    tok = rs256(claims());
    n = strlen(tok);
    tok = realloc(tok, n + 8);
    assert_non_null(tok);
    memcpy(tok + n, ".AA.BB", 7);
    REFUSED(&cfg, jwks, tok, -EACCES, "encrypted ID tokens are not supported");
    REFUSED(&cfg, jwks, strdup("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), -EACCES,
            "encrypted ID tokens are not supported");
    tok = rs256(claims());
    *strrchr(tok, '.') = '\0';
    REFUSED(&cfg, jwks, tok, -EACCES, "not a signed JWT");
    tok = rs256(claims());
    n = strlen(tok);
    tok = realloc(tok, n + 2);
    assert_non_null(tok);
    memcpy(tok + n, ".", 2);
    REFUSED(&cfg, jwks, tok, -EACCES, "not a signed JWT");
    REFUSED(&cfg, jwks, strdup(""), -EACCES, "not a signed JWT");
    REFUSED(&cfg, jwks, strdup(".."), -EACCES, "not a valid JWS");
    REFUSED(&cfg, jwks, strdup("not base64!.at all?.x"), -EACCES, "not base64url");
    /* a '=' one character into a quantum: cjose's decoder would abort the process */
    REFUSED(&cfg, jwks, strdup("A=AA.e30.AAAA"), -EACCES, "not base64url");
    REFUSED(&cfg, jwks, strdup("eyJhbGciOiJSUzI1NiJ9.e30.A=AAAAAA"), -EACCES, "not base64url");
    /* critical header extensions: none is understood here */
    REFUSED(&cfg, jwks, sign_text(rsa, "RS256", "r1", "[\"alg\"]", "{}"), -EACCES,
            "critical header extensions (crit)");
    {
        char *text = claims_text();
        REFUSED(&cfg, jwks,
                hand_token("{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[\"exp\"],\"exp\":1}", text,
                           "c2ln"),
                -EACCES, "critical header extensions (crit)");
        free(text);
    }
}

static void test_bad_key_sets(void **state)
{
    (void)state;
    REFUSED(&cfg, "", rs256(claims()), -EIO, "key set (JWKS) is not valid");
    REFUSED(&cfg, "{\"keys\":[", rs256(claims()), -EIO, "key set (JWKS) is not valid");
    REFUSED(&cfg, "{}", rs256(claims()), -EIO, "key set (JWKS) is not valid");
    REFUSED(&cfg, "{\"keys\":{}}", rs256(claims()), -EIO, "key set (JWKS) is not valid");
    REFUSED(&cfg, "[]", rs256(claims()), -EIO, "key set (JWKS) is not valid");
    REFUSED(&cfg, "{\"keys\":[],\"keys\":[]}", rs256(claims()), -EIO, "not valid");
    /* keys cjose cannot read are passed over */
    REFUSED(&cfg, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"!!\",\"e\":\"AQAB\"}]}",
            rs256(claims()), -ENOKEY, "no key");
    REFUSED(&cfg, "{\"keys\":[{\"kty\":\"OKP\",\"kid\":\"r1\",\"crv\":\"Ed25519\",\"x\":\"AA\"}]}",
            rs256(claims()), -ENOKEY, "no key");
    /* a '=' one character into a quantum of a key value (cjose would abort): skipped */
    REFUSED(&cfg, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"A=AA\",\"e\":\"AQAB\"}]}",
            rs256(claims()), -ENOKEY, "no key");
}

/* ---- the local record ------------------------------------------------------------------ */

static struct identity_oidc_user provider_user(const char *sub, const char *name, role_set roles,
                                               bool mfa)
{
    struct identity_oidc_user ou;
    memset(&ou, 0, sizeof(ou));
    gh_strlcpy(ou.sub, sub, sizeof(ou.sub));
    gh_strlcpy(ou.name, name, sizeof(ou.name));
    gh_strlcpy(ou.display_name, "Jane Doe", sizeof(ou.display_name));
    gh_strlcpy(ou.email, "jane@example.org", sizeof(ou.email));
    ou.roles = roles;
    ou.mfa = mfa;
    return ou;
}

static void test_user_sync(void **state)
{
    struct temp_store *t = *state;
    struct identity_oidc_user ou =
        provider_user("s-1", "jdoe", ROLE_BIT(ROLE_SECURITY_OPERATOR), true);
    struct user u, got, local;
    struct gh_err err = {{0}};
    bool changed = true;
    int64_t id;

    /* the first sign-in creates the user */
    OK(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err));
    assert_false(changed);
    assert_true(u.id > 0);
    id = u.id;
    OK(store_user_find(t->st, "jdoe", &got));
    assert_int_equal(got.id, id);
    assert_int_equal(got.source, USER_OIDC);
    assert_string_equal(got.external_id, "s-1");
    assert_string_equal(got.display_name, "Jane Doe");
    assert_string_equal(got.email, "jane@example.org");
    assert_string_equal(got.password_hash, "");
    assert_int_equal(identity_user_roles(&got), ROLE_BIT(ROLE_SECURITY_OPERATOR));
    OK(store_user_find_external(t->st, USER_OIDC, "s-1", &got));
    assert_int_equal(got.id, id);

    /* the same roles again: nothing changed */
    OK(identity_oidc_user_sync(t->st, &ou, NOW + US, &u, &changed, &err));
    assert_false(changed);
    assert_int_equal(u.id, id);

    /* new roles, name and e-mail: updated, and the caller is told about the roles */
    ou.roles |= ROLE_BIT(ROLE_HR);
    gh_strlcpy(ou.display_name, "Jane Q. Doe", sizeof(ou.display_name));
    gh_strlcpy(ou.email, "jdoe@example.org", sizeof(ou.email));
    OK(identity_oidc_user_sync(t->st, &ou, NOW + 2 * US, &u, &changed, &err));
    assert_true(changed);
    OK(store_user_get(t->st, id, &got));
    assert_int_equal(identity_user_roles(&got),
                     ROLE_BIT(ROLE_SECURITY_OPERATOR) | ROLE_BIT(ROLE_HR));
    assert_string_equal(got.display_name, "Jane Q. Doe");
    assert_string_equal(got.email, "jdoe@example.org");
    assert_int_equal(got.updated_us, NOW + 2 * US);

    /* an empty e-mail or display name from the provider keeps the stored ones */
    ou.email[0] = ou.display_name[0] = '\0';
    OK(identity_oidc_user_sync(t->st, &ou, NOW + 3 * US, &u, &changed, &err));
    assert_false(changed);
    OK(store_user_get(t->st, id, &got));
    assert_string_equal(got.email, "jdoe@example.org");
    assert_string_equal(got.display_name, "Jane Q. Doe");

    /* the same sub under another user name: the same user (matched by sub, not by name) */
    ou = provider_user("s-1", "jane.doe", ROLE_BIT(ROLE_HR), false);
    OK(identity_oidc_user_sync(t->st, &ou, NOW + 4 * US, &u, &changed, &err));
    assert_true(changed);
    assert_int_equal(u.id, id);
    assert_int_equal(count_users(t->st), 1);
    assert_int_equal(store_user_find(t->st, "jane.doe", &got), -ENOENT);

    /* a new sub whose name is taken: by a local user, or by the provider's other user */
    memset(&local, 0, sizeof(local));
    gh_strlcpy(local.name, "olga", sizeof(local.name));
    OK(identity_user_create(t->st, &local, "admin", NULL, &err));
    ou = provider_user("s-2", "olga", ROLE_BIT(ROLE_HR), false);
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EEXIST);
    assert_non_null(strstr(err.msg, "the name 'olga' belongs to another user here"));
    ou = provider_user("s-2", "OLGA", ROLE_BIT(ROLE_HR), false);
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EEXIST);
    assert_non_null(strstr(err.msg, "belongs to another user"));
    ou = provider_user("s-3", "jdoe", ROLE_BIT(ROLE_HR), false);
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EEXIST);
    assert_non_null(strstr(err.msg, "belongs to another user"));
    assert_int_equal(count_users(t->st), 2);
    OK(store_user_find(t->st, "olga", &got));
    assert_int_equal(got.source, USER_LOCAL);
    assert_int_equal(identity_user_roles(&got), ROLE_BIT(ROLE_ADMIN));

    /* a provider name that is no sign-in name here */
    ou = provider_user("s-4", "Jane Doe", ROLE_BIT(ROLE_HR), false);
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EACCES);
    assert_non_null(strstr(err.msg, "the provider's user name 'Jane Doe'"));
    assert_int_equal(count_users(t->st), 2);

    /* a provider's admin needs no TOTP here: the provider reported the second factor */
    ou = provider_user("s-5", "root", ROLE_BIT(ROLE_ADMIN), true);
    OK(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err));
    OK(store_user_get(t->st, u.id, &got));
    assert_int_equal(got.totp_secret_len, 0);
    assert_false(identity_mfa_missing(&got));
    assert_int_equal(identity_user_perms(&got), role_set_perms(ROLE_BIT(ROLE_ADMIN)));
    assert_int_equal(identity_user_perms(&got), PERM_ALL);
    /* while a local admin without TOTP gets nothing until enrolled */
    assert_true(identity_mfa_missing(&local));
    assert_int_equal(identity_user_perms(&local), 0);
}

static void test_user_sync_refusals(void **state)
{
    struct temp_store *t = *state;
    struct identity_oidc_user ou = provider_user("s-1", "jdoe", ROLE_BIT(ROLE_HR), false);
    struct user u;
    struct gh_err err = {{0}};
    bool changed = true;

    /* no group maps to a role */
    ou.roles = 0;
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EACCES);
    assert_non_null(strstr(err.msg, "none of the user's groups maps to a gatehouse role"));
    assert_false(changed);
    assert_int_equal(count_users(t->st), 0);

    /* roles that need a second factor, without one */
    ou.roles = ROLE_BIT(ROLE_ADMIN);
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EACCES);
    assert_non_null(strstr(err.msg, "require a second factor and the provider reported none"));
    ou.roles = ROLE_BIT(ROLE_HR) | ROLE_BIT(ROLE_SECURITY_VIEWER);
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EACCES);
    assert_non_null(strstr(err.msg, "second factor"));
    assert_int_equal(count_users(t->st), 0);

    /* a known user who then loses the factor, or who is disabled */
    ou.roles = ROLE_BIT(ROLE_IT_ADMIN);
    ou.mfa = true;
    OK(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err));
    ou.mfa = false;
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err), -EACCES);
    assert_non_null(strstr(err.msg, "second factor"));
    ou.roles = ROLE_BIT(ROLE_HR);
    OK(identity_oidc_user_sync(t->st, &ou, NOW, &u, &changed, &err));
    assert_true(changed);
    u.disabled_us = NOW;
    OK(store_user_update(t->st, &u, &err));
    assert_int_equal(identity_oidc_user_sync(t->st, &ou, NOW + US, &u, &changed, &err), -EACCES);
    assert_non_null(strstr(err.msg, "user jdoe is disabled"));
    assert_false(changed);
    OK(store_user_find(t->st, "jdoe", &u));
    assert_int_equal(u.disabled_us, NOW);
    assert_int_equal(count_users(t->st), 1);
}

/* ---- sign-in states -------------------------------------------------------------------- */

static const uint8_t site_key[32] = {7, 7, 7, 1, 2, 3};
#define STATE_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /* 43 characters */
#define STATE_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

/* Opens cookie for state at now; the return code, with back and err filled. */
static int open_at(struct temp_store *t, const char *cookie, const char *st, int64_t now,
                   char *back, size_t len, struct gh_err *err)
{
    memset(err, 0, sizeof(*err));
    return identity_oidc_state_open(t->st, site_key, cookie, st, now, back, len, err);
}

static void test_states(void **state)
{
    struct temp_store *t = *state;
    struct gh_err err = {{0}};
    char a[IDENTITY_OIDC_COOKIE_MAX], b[IDENTITY_OIDC_COOKIE_MAX], back[IDENTITY_OIDC_RETURN_MAX];
    char longest[IDENTITY_OIDC_RETURN_MAX], other_key_cookie[IDENTITY_OIDC_COOKIE_MAX];
    const uint8_t other_key[32] = {9};

    OK(identity_oidc_state_seal(site_key, STATE_A, "/doors/7?tab=events", NOW, a, &err));
    OK(identity_oidc_state_seal(site_key, STATE_B, "/", NOW, b, &err));
    /* the cookie is the state and a sealed box: return_to is not readable in it */
    assert_int_equal(strncmp(a, STATE_A ".", 44), 0);
    assert_null(strstr(a, "doors"));
    /* works once, and gives where to go back */
    memset(back, 'x', sizeof(back));
    OK(open_at(t, a, STATE_A, NOW + US, back, sizeof(back), &err));
    assert_string_equal(back, "/doors/7?tab=events");
    assert_int_equal(open_at(t, a, STATE_A, NOW + US, back, sizeof(back), &err), -EACCES);
    assert_non_null(strstr(err.msg, "used already"));
    /* another browser's cookie, no cookie, a cookie whose box was changed or made with
     * another key: not this browser's sign-in */
    assert_int_equal(open_at(t, a, STATE_B, NOW, back, sizeof(back), &err), -EACCES);
    assert_non_null(strstr(err.msg, "not started in this browser"));
    assert_int_equal(open_at(t, NULL, STATE_B, NOW, back, sizeof(back), &err), -EACCES);
    assert_non_null(strstr(err.msg, "not started in this browser"));
    assert_int_equal(open_at(t, STATE_B, STATE_B, NOW, back, sizeof(back), &err), -EACCES);
    {
        char bent[IDENTITY_OIDC_COOKIE_MAX];
        gh_strlcpy(bent, b, sizeof(bent));
        bent[60] = bent[60] == 'A' ? 'B' : 'A';
        assert_int_equal(open_at(t, bent, STATE_B, NOW, back, sizeof(back), &err), -EACCES);
        assert_non_null(strstr(err.msg, "not started in this browser"));
    }
    OK(identity_oidc_state_seal(other_key, STATE_B, "/", NOW, other_key_cookie, &err));
    assert_int_equal(open_at(t, other_key_cookie, STATE_B, NOW, back, sizeof(back), &err), -EACCES);
    assert_int_equal(open_at(t, b, "short", NOW, back, sizeof(back), &err), -EACCES);
    assert_non_null(strstr(err.msg, "no valid state"));
    /* the last microsecond of its life works; after it, too late (and not marked used) */
    assert_int_equal(
        open_at(t, b, STATE_B, NOW + IDENTITY_OIDC_STATE_TTL * US, back, sizeof(back), &err),
        -EACCES);
    assert_non_null(strstr(err.msg, "took longer than 10 minutes"));
    OK(open_at(t, b, STATE_B, NOW + IDENTITY_OIDC_STATE_TTL * US - 1, back, sizeof(back), &err));
    assert_string_equal(back, "/");
    /* a used state is remembered while its cookie could still be used, then forgotten */
    OK(identity_oidc_state_seal(site_key, STATE_A, "/x", NOW + 2 * IDENTITY_OIDC_STATE_TTL * US, a,
                                &err));
    OK(open_at(t, a, STATE_A, NOW + 2 * IDENTITY_OIDC_STATE_TTL * US, back, sizeof(back), &err));
    /* the longest return_to fits the cookie; one byte more is refused */
    memset(longest, 'p', sizeof(longest) - 1);
    longest[0] = '/';
    longest[sizeof(longest) - 1] = '\0';
    OK(identity_oidc_state_seal(site_key, STATE_B, longest, NOW, b, &err));
    assert_true(strlen(b) < IDENTITY_OIDC_COOKIE_MAX);
    assert_int_equal(open_at(t, b, STATE_B, NOW, back, 64, &err), -EACCES); /* no room */
    {
        char too_long[IDENTITY_OIDC_RETURN_MAX + 1];
        memset(too_long, 'p', sizeof(too_long) - 1);
        too_long[sizeof(too_long) - 1] = '\0';
        assert_int_equal(identity_oidc_state_seal(site_key, STATE_B, too_long, NOW, b, &err),
                         -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_good_tokens),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_bad_key_sets),
        cmocka_unit_test_setup_teardown(test_user_sync, temp_store_setup, temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_user_sync_refusals, temp_store_setup,
                                        temp_store_teardown),
        cmocka_unit_test_setup_teardown(test_states, temp_store_setup, temp_store_teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
