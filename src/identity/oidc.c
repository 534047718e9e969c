/*
 * oidc.c: sign-in with an OpenID Connect provider: the authorization code flow with PKCE
 * (S256), state and nonce. The provider's discovery document and keys (JWKS) are fetched
 * with libcurl (https only, no redirects, replies of at most 256 KiB, timeouts) and kept
 * for an hour; the ID token's signature is checked with cjose and every claim OIDC Core
 * 3.1.3.7 asks a client to check is checked here; the provider's user is matched to a
 * local record by its "sub", never by a name.
 */
#include "identity/identity_int.h"

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define US            INT64_C(1000000)
#define LEEWAY_US     (60 * US)
#define CACHE_US      (3600 * US)
#define KEYS_RETRY_US (60 * US)
#define DOWN_US       (30 * US)
#define REPLY_MAX     (256 * 1024)
#define TOKEN_MAX     (16 * 1024)
#define URL_MAX       512
#define KEYS_MAX      64
#define AUD_MAX       16
#define ROLE_VALUES   256

/* ---- configuration ---------------------------------------------------------------------- */

/* The signature algorithms an ID token may use: asymmetric only (an HMAC key would be the
 * client secret, and "none" is no signature), with the key type and curve each needs. */
static const struct {
    const char *name;
    cjose_jwk_kty_t kty;
    int crv; /* EC only */
} algs[] = {
    {"RS256", CJOSE_JWK_KTY_RSA, 0},
    {"RS384", CJOSE_JWK_KTY_RSA, 0},
    {"RS512", CJOSE_JWK_KTY_RSA, 0},
    {"PS256", CJOSE_JWK_KTY_RSA, 0},
    {"PS384", CJOSE_JWK_KTY_RSA, 0},
    {"PS512", CJOSE_JWK_KTY_RSA, 0},
    {"ES256", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_256},
    {"ES384", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_384},
    {"ES512", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_521},
};

static int alg_find(const char *name)
{
    for (size_t i = 0; i < GH_ARRAY_LEN(algs); i++)
        if (strcmp(name, algs[i].name) == 0)
            return (int)i;
    return -1;
}

/* Whether word is one of the words of list. */
static bool list_has(const char *list, const char *word)
{
    const char *p = list, *w;
    size_t n;
    while ((w = id_list_word(&p, &n)) != NULL)
        if (n == strlen(word) && strncmp(w, word, n) == 0)
            return true;
    return false;
}

/* An absolute URL of scheme https (or http to a loopback host when loopback_http) with a
 * host and no space or control character. */
static bool good_url(const char *u, bool loopback_http)
{
    static const char *const loopback[] = {"127.0.0.1", "localhost", "[::1]"};
    const char *host;
    if (strncmp(u, "https://", 8) == 0)
        host = u + 8;
    else if (loopback_http && strncmp(u, "http://", 7) == 0)
        host = u + 7;
    else
        return false;
    if (*host == '\0' || *host == '/')
        return false;
    for (const char *c = u; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return false;
    if (host != u + 7)
        return true;
    for (size_t i = 0; i < GH_ARRAY_LEN(loopback); i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(host, loopback[i], n) == 0 &&
            (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
            return true;
    }
    return false;
}

int identity_oidc_config_check(struct identity_oidc_config *c, struct gh_err *err)
{
    const char *p, *w;
    size_t n;
    if (c->issuer[0] == '\0')
        return 0;
    if (!good_url(c->issuer, false))
        return gh_fail(err, -EINVAL, "oidc.issuer: an https:// URL, exactly as in the tokens");
    if (!c->client_id[0] || !c->client_secret[0])
        return gh_fail(err, -EINVAL, "oidc: client_id and client_secret_file are required");
    if (!good_url(c->redirect_uri, true))
        return gh_fail(err, -EINVAL,
                       "oidc.redirect_uri: https://THIS-SERVER/api/v1/auth/oidc/"
                       "callback, as registered at the provider");
    if (!c->scopes[0])
        gh_strlcpy(c->scopes, "openid profile email", sizeof(c->scopes));
    else if (!list_has(c->scopes, "openid")) {
        char s[sizeof(c->scopes)];
        if (gh_snprintf(s, sizeof(s), "openid %s", c->scopes) < 0)
            return gh_fail(err, -EINVAL, "oidc.scopes: too long");
        gh_strlcpy(c->scopes, s, sizeof(c->scopes));
    }
    if (!c->label[0])
        gh_strlcpy(c->label, "Single sign-on", sizeof(c->label));
    if (!c->username_claim[0])
        gh_strlcpy(c->username_claim, "preferred_username", sizeof(c->username_claim));
    if (!c->roles_claim[0])
        gh_strlcpy(c->roles_claim, "groups", sizeof(c->roles_claim));
    if (!c->mfa_amr[0])
        gh_strlcpy(c->mfa_amr, IDENTITY_OIDC_DEFAULT_AMR, sizeof(c->mfa_amr));
    if (!c->algorithms[0])
        gh_strlcpy(c->algorithms, IDENTITY_OIDC_DEFAULT_ALG, sizeof(c->algorithms));
    if (c->timeout_s == 0)
        c->timeout_s = 10;
    if (c->max_concurrent == 0)
        c->max_concurrent = 1;
    p = c->algorithms;
    while ((w = id_list_word(&p, &n)) != NULL) {
        char a[16];
        gh_snprintf(a, sizeof(a), "%.*s", (int)(n < 15 ? n : 15), w);
        if (n > 15 || alg_find(a) < 0)
            return gh_fail(err, -EINVAL,
                           "oidc.algorithms: '%.*s' is not one of RS256 RS384 RS512 PS256 PS384 "
                           "PS512 ES256 ES384 ES512",
                           (int)(n < 32 ? n : 32), w);
    }
    return 0;
}

/* ---- small helpers ---------------------------------------------------------------------- */

/* Text from a provider, for messages: printable ASCII only, at most len - 1 bytes. */
static void clean_text(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; in != NULL && *in && o + 1 < len; in++)
        out[o++] = (*in >= ' ' && *in < 0x7f) ? *in : '?';
    out[o] = '\0';
}

/* The nonce and PKCE verifier of a state: keyed BLAKE2b of it under a key derived from the
 * site key, as 43 base64url characters each (RFC 7636 allows 43..128 of them). */
static void state_secrets(const uint8_t site_key[32], const char *state, char nonce[44],
                          char verifier[44])
{
    static const char *const labels[2] = {"nonce:", "pkce:"};
    char *outs[2] = {nonce, verifier};
    uint8_t k[32], h[32];
    crypto_kdf_derive_from_key(k, sizeof(k), 1, "gh_oidc_", site_key);
    for (int i = 0; i < 2; i++) {
        crypto_generichash_state g;
        crypto_generichash_init(&g, k, sizeof(k), sizeof(h));
        crypto_generichash_update(&g, (const uint8_t *)labels[i], strlen(labels[i]));
        crypto_generichash_update(&g, (const uint8_t *)state, strlen(state));
        crypto_generichash_final(&g, h, sizeof(h));
        sodium_bin2base64(outs[i], 44, h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    }
    sodium_memzero(k, sizeof(k));
    sodium_memzero(h, sizeof(h));
}

/* ---- talking to the provider -------------------------------------------------------------- */

struct reply {
    char *p;
    size_t n;
    bool too_big;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct reply *b = ctx;
    size_t k = size * nmemb;
    char *q;
    if (b->n + k > REPLY_MAX) {
        b->too_big = true;
        return 0;
    }
    q = malloc(b->n + k + 1); /* not realloc: the old copy (tokens) is wiped first */
    if (q == NULL)
        return 0;
    if (b->p != NULL) {
        memcpy(q, b->p, b->n);
        sodium_memzero(b->p, b->n);
        free(b->p);
    }
    b->p = q;
    memcpy(b->p + b->n, data, k);
    b->n += k;
    b->p[b->n] = '\0';
    return k;
}

/* GETs url (form NULL) or POSTs the form to it; *out gets the JSON object of a 200 reply.
 * Refusals of the token endpoint (400, 401) are -EACCES with its error and description;
 * anything else that is not a JSON object is -EIO. The reply is wiped (it may hold tokens). */
static int fetch_json(const struct identity_oidc_config *c, const char *what, const char *url,
                      const char *form, const char *auth_header, json_t **out, struct gh_err *err)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL, *tmp;
    struct reply b = {NULL, 0, false};
    json_t *v = NULL;
    json_error_t je;
    long status = 0;
    CURLcode cc;
    int r = -EIO;
    *out = NULL;
    if (h == NULL)
        return gh_fail(err, -ENOMEM, "%s: cannot make an HTTP client", what);
    if ((tmp = curl_slist_append(hdr, "Accept: application/json")) != NULL)
        hdr = tmp;
    if (auth_header != NULL && (tmp = curl_slist_append(hdr, auth_header)) != NULL)
        hdr = tmp;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)(c->timeout_s < 3 ? c->timeout_s : 3));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "gatehouse");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (c->ca_file[0])
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (form != NULL)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
    cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        gh_fail(err, -EIO, "%s %s: %s", what, url,
                b.too_big ? "the reply is larger than 256 KiB" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    v = json_loadb(b.p ? b.p : "", b.n, JSON_REJECT_DUPLICATES, &je);
    if (status != 200) {
        char e[64], d[200];
        clean_text(json_string_value(json_object_get(v, "error")), e, sizeof(e));
        clean_text(json_string_value(json_object_get(v, "error_description")), d, sizeof(d));
        gh_fail(err, form != NULL && (status == 400 || status == 401) ? -EACCES : -EIO,
                "%s %s: HTTP %ld%s%s%s%s%s", what, url, status, e[0] ? ": " : "", e,
                d[0] ? " (" : "", d, d[0] ? ")" : "");
        goto out;
    }
    if (!json_is_object(v)) {
        gh_fail(err, -EIO, "%s %s: the reply is not a JSON object%s%s", what, url,
                v == NULL ? ": " : "", v == NULL ? je.text : "");
        goto out;
    }
    *out = v;
    v = NULL;
    r = 0;
out:
    json_decref(v);
    if (b.p != NULL)
        sodium_memzero(b.p, b.n);
    free(b.p);
    for (tmp = hdr; tmp != NULL; tmp = tmp->next) /* the Authorization header */
        sodium_memzero(tmp->data, strlen(tmp->data));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return r;
}

/* Wipes the string members of a reply (the token endpoint's holds tokens) before it is
 * freed. */
static void wipe_strings(json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (json_is_string(v))
            sodium_memzero((char *)json_string_value(v), json_string_length(v));
    }
}

struct identity_oidc {
    struct identity_oidc_config c;
    pthread_mutex_t mu; /* guards everything below */
    char auth_ep[URL_MAX], token_ep[URL_MAX], jwks_uri[URL_MAX];
    int64_t discovered_us; /* monotonic; 0: not yet */
    char *jwks;            /* the last key set fetched (JSON text), or NULL */
    size_t jwks_len;
    int64_t keys_us;
    int64_t down_until_us; /* monotonic: the provider failed, do not wait on it again */
    char down_why[256];
    atomic_uint busy; /* begin and finish running; at most c.max_concurrent */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_status;

static void curl_start(void)
{
    curl_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int identity_oidc_new(const struct identity_oidc_config *c, struct identity_oidc **out,
                      struct gh_err *err)
{
    struct identity_oidc *o;
    pthread_once(&curl_once, curl_start);
    if (curl_status != CURLE_OK)
        return gh_fail(err, -EIO, "oidc: libcurl: %s", curl_easy_strerror(curl_status));
    o = xcalloc(1, sizeof(*o));
    o->c = *c;
    pthread_mutex_init(&o->mu, NULL);
    *out = o;
    return 0;
}

void identity_oidc_free(struct identity_oidc *o)
{
    if (o == NULL)
        return;
    pthread_mutex_destroy(&o->mu);
    free(o->jwks);
    sodium_memzero(&o->c, sizeof(o->c));
    free(o);
}

const struct identity_oidc_config *identity_oidc_config(const struct identity_oidc *o)
{
    return &o->c;
}

/* A string member of the discovery document that must be an https URL. */
static int endpoint(json_t *doc, const char *key, char out[URL_MAX], struct gh_err *err)
{
    const char *v = json_string_value(json_object_get(doc, key));
    if (v == NULL || !good_url(v, false) || strlen(v) >= URL_MAX)
        return gh_fail(err, -EIO, "oidc discovery: %s is missing or not an https URL", key);
    gh_strlcpy(out, v, URL_MAX);
    return 0;
}

/* Reads the discovery document unless a fresh one is known. */
static int discover(struct identity_oidc *o, struct gh_err *err)
{
    char url[URL_MAX + 64], auth[URL_MAX], token[URL_MAX], jwks[URL_MAX];
    size_t n = strlen(o->c.issuer);
    json_t *doc = NULL, *methods;
    const char *iss;
    int64_t now_us = gh_monotonic_us();
    bool fresh;
    int r;
    pthread_mutex_lock(&o->mu);
    fresh = o->discovered_us != 0 && now_us - o->discovered_us < CACHE_US;
    pthread_mutex_unlock(&o->mu);
    if (fresh)
        return 0;
    /* OpenID Connect Discovery 4: a trailing / of the issuer is dropped before the path */
    if (n > 0 && o->c.issuer[n - 1] == '/')
        n--;
    gh_snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration", (int)n, o->c.issuer);
    if ((r = fetch_json(&o->c, "oidc discovery", url, NULL, NULL, &doc, err)) < 0)
        return r == -EACCES ? -EIO : r;
    iss = json_string_value(json_object_get(doc, "issuer"));
    if (iss == NULL || strcmp(iss, o->c.issuer) != 0) {
        char shown[128];
        clean_text(iss, shown, sizeof(shown));
        r = gh_fail(err, -EIO,
                    "oidc discovery: the provider calls itself '%s', not '%s' (oidc.issuer)", shown,
                    o->c.issuer);
        goto out;
    }
    if ((r = endpoint(doc, "authorization_endpoint", auth, err)) < 0 ||
        (r = endpoint(doc, "token_endpoint", token, err)) < 0 ||
        (r = endpoint(doc, "jwks_uri", jwks, err)) < 0)
        goto out;
    methods = json_object_get(doc, "code_challenge_methods_supported");
    if (json_is_array(methods)) {
        size_t i;
        json_t *m;
        bool s256 = false;
        json_array_foreach(methods, i, m) s256 =
            s256 || (json_is_string(m) && strcmp(json_string_value(m), "S256") == 0);
        if (!s256) {
            r = gh_fail(err, -EIO, "oidc discovery: the provider does not offer PKCE with S256");
            goto out;
        }
    }
    pthread_mutex_lock(&o->mu);
    gh_strlcpy(o->auth_ep, auth, sizeof(o->auth_ep));
    gh_strlcpy(o->token_ep, token, sizeof(o->token_ep));
    gh_strlcpy(o->jwks_uri, jwks, sizeof(o->jwks_uri));
    o->discovered_us = now_us;
    pthread_mutex_unlock(&o->mu);
    r = 0;
out:
    json_decref(doc);
    return r;
}

/* A copy of the provider's key set (*jwks malloc'd), fetched when none is known, when the
 * one known is an hour old, or when refresh asks and the last fetch is a minute old. */
static int keys(struct identity_oidc *o, bool refresh, char **jwks, size_t *len, struct gh_err *err)
{
    int64_t now_us = gh_monotonic_us();
    char uri[URL_MAX];
    json_t *doc = NULL;
    char *text;
    bool fetch;
    int r;
    pthread_mutex_lock(&o->mu);
    fetch = o->jwks == NULL || now_us - o->keys_us >= CACHE_US ||
            (refresh && now_us - o->keys_us >= KEYS_RETRY_US);
    gh_strlcpy(uri, o->jwks_uri, sizeof(uri));
    pthread_mutex_unlock(&o->mu);
    if (fetch) {
        if ((r = fetch_json(&o->c, "oidc keys", uri, NULL, NULL, &doc, err)) < 0)
            return r == -EACCES ? -EIO : r;
        if (!json_is_array(json_object_get(doc, "keys"))) {
            json_decref(doc);
            return gh_fail(err, -EIO, "oidc keys %s: no \"keys\" array", uri);
        }
        text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (text == NULL)
            return gh_fail(err, -ENOMEM, "oidc keys: out of memory");
        pthread_mutex_lock(&o->mu);
        free(o->jwks);
        o->jwks = text;
        o->jwks_len = strlen(text);
        o->keys_us = now_us;
        pthread_mutex_unlock(&o->mu);
    }
    pthread_mutex_lock(&o->mu);
    *len = o->jwks_len;
    *jwks = xmalloc(o->jwks_len + 1);
    memcpy(*jwks, o->jwks, o->jwks_len + 1);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

/* Admits a call that talks to the provider: at most c.max_concurrent at once (the rest of
 * the worker pool stays free for password sign-ins), and none for a while after the
 * provider failed (nobody waits on a provider known to be down). -EBUSY or -EIO. */
static int enter(struct identity_oidc *o, struct gh_err *err)
{
    int64_t until;
    if (atomic_fetch_add(&o->busy, 1) >= o->c.max_concurrent) {
        atomic_fetch_sub(&o->busy, 1);
        return gh_fail(err, -EBUSY, "%u single sign-ons are talking to the provider already",
                       o->c.max_concurrent);
    }
    pthread_mutex_lock(&o->mu);
    until = o->down_until_us;
    if (until > gh_monotonic_us())
        gh_fail(err, -EIO, "%s (less than %d s ago)", o->down_why, (int)(DOWN_US / US));
    pthread_mutex_unlock(&o->mu);
    if (until > gh_monotonic_us()) {
        atomic_fetch_sub(&o->busy, 1);
        return -EIO;
    }
    return 0;
}

/* Ends a call admitted by enter(); r -EIO marks the provider down for DOWN_US. */
static void leave(struct identity_oidc *o, int r, const struct gh_err *err)
{
    if (r == -EIO) {
        pthread_mutex_lock(&o->mu);
        o->down_until_us = gh_monotonic_us() + DOWN_US;
        gh_strlcpy(o->down_why, err ? err->msg : "the provider failed", sizeof(o->down_why));
        pthread_mutex_unlock(&o->mu);
    }
    atomic_fetch_sub(&o->busy, 1);
}

/* ---- the flow ------------------------------------------------------------------------------ */

int identity_oidc_begin(struct identity_oidc *o, const uint8_t site_key[32],
                        char state[IDENTITY_COOKIE_LEN], char **url, struct gh_err *err)
{
    char nonce[44], verifier[44], challenge[44], ep[URL_MAX];
    char id[3 * sizeof(o->c.client_id)], redirect[3 * sizeof(o->c.redirect_uri)],
        scope[3 * sizeof(o->c.scopes)];
    uint8_t h[crypto_hash_sha256_BYTES];
    size_t cap = 4096;
    int r;
    *url = NULL;
    if ((r = enter(o, err)) < 0)
        return r;
    r = discover(o, err);
    leave(o, r, err);
    if (r < 0)
        return r;
    id_random_b64(state, IDENTITY_COOKIE_LEN);
    state_secrets(site_key, state, nonce, verifier);
    crypto_hash_sha256(h, (const uint8_t *)verifier, strlen(verifier));
    sodium_bin2base64(challenge, sizeof(challenge), h, sizeof(h),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(verifier, sizeof(verifier));
    pthread_mutex_lock(&o->mu);
    gh_strlcpy(ep, o->auth_ep, sizeof(ep));
    pthread_mutex_unlock(&o->mu);
    gh_url_encode(o->c.client_id, id, sizeof(id));
    gh_url_encode(o->c.redirect_uri, redirect, sizeof(redirect));
    gh_url_encode(o->c.scopes, scope, sizeof(scope));
    *url = xmalloc(cap);
    if (gh_snprintf(*url, cap,
                    "%s%cresponse_type=code&client_id=%s&redirect_uri=%s&scope=%s&state=%s"
                    "&nonce=%s&code_challenge=%s&code_challenge_method=S256",
                    ep, strchr(ep, '?') ? '&' : '?', id, redirect, scope, state, nonce,
                    challenge) < 0) {
        free(*url);
        *url = NULL;
        return gh_fail(err, -ENOSPC, "oidc: the authorization URL is too long");
    }
    return 0;
}

/* The key that seals state cookies. */
static void seal_key(const uint8_t site_key[32], uint8_t k[32])
{
    crypto_kdf_derive_from_key(k, 32, 2, "gh_oidc_", site_key);
}

#define BOX_MAX                                                                                    \
    (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 8 + IDENTITY_OIDC_RETURN_MAX)

int identity_oidc_state_seal(const uint8_t site_key[32], const char *state, const char *return_to,
                             int64_t now_us, char cookie[IDENTITY_OIDC_COOKIE_MAX],
                             struct gh_err *err)
{
    uint8_t k[32], msg[8 + IDENTITY_OIDC_RETURN_MAX], box[BOX_MAX];
    size_t n = strlen(return_to), sn = strlen(state), blen;
    uint64_t until = (uint64_t)(now_us + IDENTITY_OIDC_STATE_TTL * US);
    if (n >= IDENTITY_OIDC_RETURN_MAX || sn != IDENTITY_COOKIE_LEN - 1)
        return gh_fail(err, -EINVAL, "return_to is longer than %d bytes",
                       IDENTITY_OIDC_RETURN_MAX - 1);
    for (int i = 0; i < 8; i++)
        msg[i] = (uint8_t)(until >> (56 - 8 * i));
    memcpy(msg + 8, return_to, n);
    seal_key(site_key, k);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, msg, 8 + n, box, k);
    sodium_memzero(k, sizeof(k));
    blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 8 + n;
    memcpy(cookie, state, sn);
    cookie[sn] = '.';
    sodium_bin2base64(cookie + sn + 1, IDENTITY_OIDC_COOKIE_MAX - sn - 1, box, blen,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

int identity_oidc_state_open(struct store *st, const uint8_t site_key[32], const char *cookie,
                             const char *state, int64_t now_us, char *return_to, size_t len,
                             struct gh_err *err)
{
    static const char foreign[] =
        "this sign-in was not started in this browser, or took longer than 10 minutes";
    const size_t sn = IDENTITY_COOKIE_LEN - 1;
    uint8_t k[32], msg[8 + IDENTITY_OIDC_RETURN_MAX], box[BOX_MAX];
    size_t blen = 0, n;
    uint64_t until = 0;
    char hash[65];
    int r;
    if (state == NULL || strlen(state) != sn)
        return gh_fail(err, -EACCES, "the provider's reply has no valid state");
    if (cookie == NULL || strlen(cookie) <= sn + 1 || cookie[sn] != '.' ||
        sodium_memcmp(cookie, state, sn) != 0 ||
        sodium_base642bin(box, sizeof(box), cookie + sn + 1, strlen(cookie + sn + 1), NULL, &blen,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 8)
        return gh_fail(err, -EACCES, "%s", foreign);
    n = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    seal_key(site_key, k);
    r = crypto_secretbox_open_easy(msg, box + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, box, k);
    sodium_memzero(k, sizeof(k));
    if (r != 0)
        return gh_fail(err, -EACCES, "%s", foreign);
    for (int i = 0; i < 8; i++)
        until = until << 8 | msg[i];
    if ((int64_t)until <= now_us)
        return gh_fail(err, -EACCES, "the sign-in took longer than %d minutes",
                       IDENTITY_OIDC_STATE_TTL / 60);
    if (n - 8 >= len)
        return gh_fail(err, -EACCES, "%s", foreign);
    id_secret_hash_hex(state, sn, hash);
    r = store_oidc_state_use(st, hash, now_us, (int64_t)until);
    if (r == -EEXIST)
        return gh_fail(err, -EACCES, "the state was used already (a replayed sign-in)");
    if (r < 0)
        return gh_fail(err, r, "sign-in states: %s", store_errmsg(st));
    memcpy(return_to, msg + 8, n - 8);
    return_to[n - 8] = '\0';
    return 0;
}

/* The Authorization header of client_secret_basic: RFC 6749 2.3.1 form-encodes the id and
 * the secret before joining them. */
static int basic_auth(const struct identity_oidc_config *c, char *out, size_t len)
{
    char id[3 * sizeof(c->client_id)], secret[3 * sizeof(c->client_secret)];
    char pair[sizeof(id) + sizeof(secret) + 2];
    static const char prefix[] = "Authorization: Basic ";
    int r = -ENOSPC;
    gh_url_encode(c->client_id, id, sizeof(id));
    gh_url_encode(c->client_secret, secret, sizeof(secret));
    snprintf(pair, sizeof(pair), "%s:%s", id, secret);
    if (len > sizeof(prefix) &&
        sodium_base64_encoded_len(strlen(pair), sodium_base64_VARIANT_ORIGINAL) <=
            len - sizeof(prefix) + 1) {
        memcpy(out, prefix, sizeof(prefix));
        sodium_bin2base64(out + sizeof(prefix) - 1, len - sizeof(prefix) + 1, (const uint8_t *)pair,
                          strlen(pair), sodium_base64_VARIANT_ORIGINAL);
        r = 0;
    }
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(pair, sizeof(pair));
    return r;
}

int identity_oidc_finish(struct identity_oidc *o, const uint8_t site_key[32], const char *state,
                         const char *code, int64_t now_us, struct identity_oidc_user *out,
                         struct gh_err *err)
{
    const struct identity_oidc_config *c = &o->c;
    char nonce[44], verifier[44], ep[URL_MAX], auth[2048];
    char code_enc[3 * 2048], redirect[3 * sizeof(c->redirect_uri)], id[3 * sizeof(c->client_id)],
        secret[3 * sizeof(c->client_secret)];
    char *form = NULL, *jwks = NULL;
    size_t form_len, jwks_len = 0;
    json_t *reply = NULL;
    const char *tok, *type;
    int r;
    memset(out, 0, sizeof(*out));
    auth[0] = secret[0] = '\0';
    if (strlen(code) >= 2048 || gh_url_encode(code, code_enc, sizeof(code_enc)) < 0)
        return gh_fail(err, -EACCES, "the authorization code is longer than 2047 characters");
    if ((r = enter(o, err)) < 0)
        return r;
    if ((r = discover(o, err)) < 0)
        goto out;
    state_secrets(site_key, state, nonce, verifier);
    gh_url_encode(c->redirect_uri, redirect, sizeof(redirect));
    gh_url_encode(c->client_id, id, sizeof(id));
    form_len = strlen(code_enc) + sizeof(redirect) + sizeof(id) + sizeof(secret) + 256;
    form = xmalloc(form_len);
    if (c->client_secret_post) {
        gh_url_encode(c->client_secret, secret, sizeof(secret));
        snprintf(form, form_len,
                 "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s"
                 "&client_id=%s&client_secret=%s",
                 code_enc, redirect, verifier, id, secret);
    } else {
        snprintf(form, form_len,
                 "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s", code_enc,
                 redirect, verifier);
        if (basic_auth(c, auth, sizeof(auth)) < 0) {
            r = gh_fail(err, -ENOSPC, "oidc: the client id and secret are too long");
            goto out;
        }
    }
    pthread_mutex_lock(&o->mu);
    gh_strlcpy(ep, o->token_ep, sizeof(ep));
    pthread_mutex_unlock(&o->mu);
    if ((r = fetch_json(c, "oidc token", ep, form, auth[0] ? auth : NULL, &reply, err)) < 0)
        goto out;
    tok = json_string_value(json_object_get(reply, "id_token"));
    type = json_string_value(json_object_get(reply, "token_type"));
    if (tok == NULL) {
        r = gh_fail(err, -EIO, "oidc token %s: the reply has no id_token", ep);
        goto out;
    }
    if (type != NULL && strcasecmp(type, "Bearer") != 0) {
        r = gh_fail(err, -EIO, "oidc token %s: token_type is not Bearer", ep);
        goto out;
    }
    for (int pass = 0; pass < 2; pass++) {
        free(jwks);
        jwks = NULL;
        if ((r = keys(o, pass > 0, &jwks, &jwks_len, err)) < 0)
            goto out;
        r = identity_oidc_check_id_token(c, jwks, jwks_len, tok, strlen(tok), nonce, now_us, out,
                                         err);
        if (r != -ENOKEY) /* else the provider may have new keys: fetch them once */
            break;
    }
    if (r == -ENOKEY)
        r = -EACCES;
out:
    leave(o, r, err);
    sodium_memzero(verifier, sizeof(verifier));
    sodium_memzero(auth, sizeof(auth));
    sodium_memzero(secret, sizeof(secret));
    if (form != NULL)
        sodium_memzero(form, form_len);
    sodium_memzero(code_enc, sizeof(code_enc));
    free(form);
    free(jwks);
    wipe_strings(reply);
    json_decref(reply);
    return r;
}

/* ---- the ID token -------------------------------------------------------------------------- */

/* A NumericDate claim in microseconds; -1 when absent or not a sane number. */
static int64_t claim_time(json_t *claims, const char *key)
{
    json_t *v = json_object_get(claims, key);
    double d;
    if (!json_is_number(v))
        return -1;
    d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d > 1e11) /* past the year 5000: nonsense */
        return -1;
    return (int64_t)(d * 1e6);
}

/* Whether s[0..n) is unpadded base64url that cjose can decode (its decoder asserts on a
 * '=' after one character of a quantum). */
static bool b64url_ok(const char *s, size_t n)
{
    if (n % 4 == 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

static bool key_b64_ok(json_t *k)
{
    static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *v = json_object_get(k, names[i]);
        if (v != NULL &&
            (!json_is_string(v) || !b64url_ok(json_string_value(v), json_string_length(v))))
            return false;
    }
    return true;
}

/* Verifies the signature of jws (alg index a, kid may be NULL) with a key of the set.
 * 0 when one verifies; -ENOKEY when no key could be tried; -EACCES when none verifies. */
static int verify_signature(cjose_jws_t *jws, int a, const char *kid, const char *jwks,
                            size_t jwks_len, struct gh_err *err)
{
    json_error_t je;
    json_t *set = json_loadb(jwks, jwks_len, JSON_REJECT_DUPLICATES, &je), *k;
    json_t *list = json_object_get(set, "keys");
    size_t i;
    int tried = 0;
    char shown[64];
    if (!json_is_array(list)) {
        json_decref(set);
        return gh_fail(err, -EIO, "the provider's key set (JWKS) is not valid");
    }
    json_array_foreach(list, i, k)
    {
        const char *kkid = json_string_value(json_object_get(k, "kid"));
        const char *use = json_string_value(json_object_get(k, "use"));
        const char *kalg = json_string_value(json_object_get(k, "alg"));
        cjose_jwk_t *jwk;
        cjose_err ce;
        bool fits;
        if (i >= KEYS_MAX)
            break;
        if (!json_is_object(k))
            continue;
        if ((use != NULL && strcmp(use, "sig") != 0) ||
            (kalg != NULL && strcmp(kalg, algs[a].name) != 0) ||
            (kid != NULL && (kkid == NULL || strcmp(kid, kkid) != 0)))
            continue;
        if (!key_b64_ok(k) || (jwk = cjose_jwk_import_json((cjose_header_t *)k, &ce)) == NULL)
            continue; /* a key of a type cjose does not know (OKP...): not ours to use */
        fits = cjose_jwk_get_kty(jwk, &ce) == algs[a].kty;
        if (fits && algs[a].kty == CJOSE_JWK_KTY_RSA)
            fits = cjose_jwk_get_keysize(jwk, &ce) >= 2048;
        if (fits && algs[a].kty == CJOSE_JWK_KTY_EC)
            fits = (int)cjose_jwk_EC_get_curve(jwk, &ce) == algs[a].crv;
        if (fits) {
            tried++;
            if (cjose_jws_verify(jws, jwk, &ce)) {
                cjose_jwk_release(jwk);
                json_decref(set);
                return 0;
            }
        }
        cjose_jwk_release(jwk);
    }
    json_decref(set);
    if (tried > 0)
        return gh_fail(err, -EACCES, "the ID token's signature does not verify");
    clean_text(kid ? kid : "none", shown, sizeof(shown));
    return gh_fail(err, -ENOKEY, "no key of the provider's key set fits the ID token (kid %s, %s)",
                   shown, algs[a].name);
}

/* Whether aud is id, or an array of strings each of which is id. */
static bool audience_has(json_t *aud, const char *id, size_t *count)
{
    json_t *v;
    size_t i;
    bool has = false;
    *count = 0;
    if (json_is_string(aud)) {
        *count = 1;
        return strcmp(json_string_value(aud), id) == 0;
    }
    if (!json_is_array(aud) || json_array_size(aud) > AUD_MAX)
        return false;
    json_array_foreach(aud, i, v)
    {
        (*count)++;
        if (!json_is_string(v) || strcmp(json_string_value(v), id) != 0)
            return false; /* an audience we do not know is one we cannot trust */
        has = true;
    }
    return has;
}

/* The roles the values of the roles claim (a string or an array of strings) map to. */
static role_set mapped_roles(const struct identity_oidc_config *c, json_t *claim)
{
    role_set roles = 0;
    json_t *v;
    size_t i;
    if (json_is_string(claim))
        claim = json_pack("[O]", claim);
    else if (json_is_array(claim))
        json_incref(claim);
    else
        return 0;
    json_array_foreach(claim, i, v)
    {
        if (i >= ROLE_VALUES)
            break;
        for (int m = 0; json_is_string(v) && m < c->n_maps; m++)
            if (strcmp(json_string_value(v), c->maps[m].value) == 0)
                roles |= ROLE_BIT(c->maps[m].role);
    }
    json_decref(claim);
    return roles;
}

/* RFC 8176 methods by the factor they prove: what one knows, has, or is. */
static const struct {
    const char *amr;
    char factor;
} factors[] = {
    {"pwd", 'k'},  {"pin", 'k'},  {"kba", 'k'},    {"otp", 'h'}, {"hwk", 'h'},
    {"swk", 'h'},  {"sc", 'h'},   {"sms", 'h'},    {"tel", 'h'}, {"fpt", 'i'},
    {"face", 'i'}, {"iris", 'i'}, {"retina", 'i'}, {"vbm", 'i'},
};

/* Whether amr (an array of strings) shows a second factor: a method of the list (by
 * default only "mfa"), or methods of two different factors (e.g. pwd and otp, pin and
 * hwk). One method alone is one factor, whatever it is. */
static bool amr_has(json_t *amr, const char *list)
{
    json_t *v;
    size_t i;
    char seen = 0;
    if (!json_is_array(amr))
        return false;
    json_array_foreach(amr, i, v)
    {
        const char *m = json_string_value(v);
        if (m == NULL || i >= 32)
            continue;
        if (list_has(list, m))
            return true;
        for (size_t f = 0; f < GH_ARRAY_LEN(factors); f++)
            if (strcmp(m, factors[f].amr) == 0) {
                if (seen != 0 && seen != factors[f].factor)
                    return true;
                seen = factors[f].factor;
            }
    }
    return false;
}

/* The claims of a verified token into out; -EACCES with the first that fails. */
static int check_claims(const struct identity_oidc_config *c, json_t *claims, const char *nonce,
                        int64_t now_us, struct identity_oidc_user *out, struct gh_err *err)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    json_t *azp_v = json_object_get(claims, "azp");
    const char *azp = json_string_value(azp_v);
    const char *got = json_string_value(json_object_get(claims, "nonce"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *name = json_string_value(json_object_get(claims, c->username_claim));
    const char *shown = json_string_value(json_object_get(claims, "name"));
    const char *email = json_string_value(json_object_get(claims, "email"));
    int64_t exp = claim_time(claims, "exp"), iat = claim_time(claims, "iat");
    int64_t nbf = claim_time(claims, "nbf");
    size_t n_aud;
    char seen[128];
    if (iss == NULL || strcmp(iss, c->issuer) != 0) {
        clean_text(iss, seen, sizeof(seen));
        return gh_fail(err, -EACCES, "the ID token's issuer '%s' is not %s", seen, c->issuer);
    }
    if (!audience_has(json_object_get(claims, "aud"), c->client_id, &n_aud))
        return gh_fail(err, -EACCES, "the ID token's audience is not (only) this client (%s)",
                       c->client_id);
    if ((n_aud > 1 || azp_v != NULL) && (azp == NULL || strcmp(azp, c->client_id) != 0))
        return gh_fail(err, -EACCES,
                       "the ID token has several audiences and its authorized "
                       "party (azp) is not this client");
    if (exp < 0 || iat < 0)
        return gh_fail(err, -EACCES, "the ID token lacks exp or iat");
    if (now_us >= exp + LEEWAY_US)
        return gh_fail(err, -EACCES, "the ID token expired %lld s ago",
                       (long long)((now_us - exp) / US));
    if (iat > now_us + LEEWAY_US || now_us - iat > IDENTITY_OIDC_STATE_TTL * US + LEEWAY_US)
        return gh_fail(err, -EACCES,
                       "the ID token was issued at a time too far from now "
                       "(iat; are both clocks right?)");
    if (nbf >= 0 && nbf > now_us + LEEWAY_US)
        return gh_fail(err, -EACCES, "the ID token is not valid yet (nbf)");
    if (got == NULL || strlen(got) != strlen(nonce) ||
        sodium_memcmp(got, nonce, strlen(nonce)) != 0)
        return gh_fail(err, -EACCES, "the ID token's nonce is not the one of this sign-in");
    if (sub == NULL || sub[0] == '\0' || strlen(sub) >= sizeof(out->sub))
        return gh_fail(err, -EACCES, "the ID token has no valid sub");
    if (name == NULL || strlen(name) >= sizeof(out->name))
        return gh_fail(err, -EACCES, "the ID token has no '%s' claim (oidc.username_claim)",
                       c->username_claim);
    if (identity_user_name_check(name, NULL) < 0)
        return gh_fail(err, -EACCES,
                       "the ID token's '%s' is not a usable sign-in name (letters, digits and "
                       ". _ @ -, at most 64)",
                       c->username_claim);
    gh_strlcpy(out->sub, sub, sizeof(out->sub));
    gh_strlcpy(out->name, name, sizeof(out->name));
    if (shown != NULL && strlen(shown) < sizeof(out->display_name) &&
        model_check_name("display_name", shown, NULL) == 0)
        gh_strlcpy(out->display_name, shown, sizeof(out->display_name));
    if (email != NULL && strlen(email) < sizeof(out->email) &&
        model_check_email("email", email, NULL) == 0)
        gh_strlcpy(out->email, email, sizeof(out->email));
    out->roles = mapped_roles(c, json_object_get(claims, c->roles_claim));
    out->mfa = amr_has(json_object_get(claims, "amr"), c->mfa_amr);
    return 0;
}

int identity_oidc_check_id_token(const struct identity_oidc_config *c, const char *jwks,
                                 size_t jwks_len, const char *token, size_t len, const char *nonce,
                                 int64_t now_us, struct identity_oidc_user *out, struct gh_err *err)
{
    cjose_jws_t *jws = NULL;
    cjose_header_t *hdr;
    cjose_err ce;
    json_t *claims = NULL;
    json_error_t je;
    uint8_t *payload = NULL;
    size_t payload_len = 0, dots = 0;
    const char *alg, *kid;
    int a, r;
    memset(out, 0, sizeof(*out));
    if (len > TOKEN_MAX)
        return gh_fail(err, -EACCES, "the ID token is larger than %d bytes", TOKEN_MAX);
    for (size_t i = 0; i < len; i++)
        dots += token[i] == '.';
    if (dots != 2)
        return gh_fail(err, -EACCES,
                       dots == 4 ? "encrypted ID tokens are not supported"
                                 : "the ID token is not a signed JWT");
    for (size_t i = 0, start = 0; i <= len; i++)
        if (i == len || token[i] == '.') {
            if (!b64url_ok(token + start, i - start))
                return gh_fail(err, -EACCES, "the ID token is not base64url");
            start = i + 1;
        }
    if ((jws = cjose_jws_import(token, len, &ce)) == NULL)
        return gh_fail(err, -EACCES, "the ID token is not a valid JWS: %s", ce.message);
    hdr = cjose_jws_get_protected(jws);
    alg = cjose_header_get(hdr, CJOSE_HDR_ALG, &ce);
    kid = cjose_header_get(hdr, CJOSE_HDR_KID, &ce);
    if (kid == NULL && json_object_get((json_t *)hdr, "kid") != NULL) {
        r = gh_fail(err, -EACCES, "the ID token's kid is not a string");
        goto out;
    }
    if (alg == NULL || (a = alg_find(alg)) < 0 || !list_has(c->algorithms, alg)) {
        char shown[32];
        clean_text(alg, shown, sizeof(shown));
        r = gh_fail(err, -EACCES,
                    "the ID token's algorithm '%s' is not accepted (oidc.algorithms: %s)", shown,
                    c->algorithms);
        goto out;
    }
    if (json_object_get((json_t *)hdr, "crit") != NULL) {
        r = gh_fail(err, -EACCES, "the ID token has critical header extensions (crit)");
        goto out;
    }
    if ((r = verify_signature(jws, a, kid, jwks, jwks_len, err)) < 0)
        goto out;
    if (cjose_jws_get_plaintext(jws, &payload, &payload_len, &ce))
        claims = json_loadb((const char *)payload, payload_len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(claims)) {
        r = gh_fail(err, -EACCES, "the ID token's claims are not a JSON object");
        goto out;
    }
    r = check_claims(c, claims, nonce, now_us, out, err);
out:
    json_decref(claims);
    cjose_jws_release(jws);
    if (r < 0)
        memset(out, 0, sizeof(*out));
    return r;
}

/* ---- the local record ------------------------------------------------------------------------ */

int identity_oidc_user_sync(struct store *st, const struct identity_oidc_user *ou, int64_t now_us,
                            struct user *u, bool *roles_changed, struct gh_err *err)
{
    char roles[STORE_USER_ROLES_MAX];
    const char *refusal = NULL;
    int r;
    *roles_changed = false;
    if (ou->roles == 0)
        refusal = "none of the user's groups maps to a gatehouse role (oidc.role.ROLE)";
    else if (identity_mfa_required(ou->roles) && !ou->mfa)
        refusal = "the user's roles require a second factor and the provider reported none "
                  "(amr)";
    role_set_format(refusal ? 0 : ou->roles, roles, sizeof(roles));
    r = store_user_find_external(st, USER_OIDC, ou->sub, u);
    if (r == 0) {
        if (u->disabled_us != 0)
            return gh_fail(err, -EACCES, "user %s is disabled", u->name);
        /* what the provider says now holds, a refusal included: roles it took away (or
         * that it no longer backs with a second factor) are taken away here too */
        *roles_changed = strcmp(u->roles, roles) != 0;
        gh_strlcpy(u->roles, roles, sizeof(u->roles));
        if (ou->display_name[0])
            gh_strlcpy(u->display_name, ou->display_name, sizeof(u->display_name));
        if (ou->email[0])
            gh_strlcpy(u->email, ou->email, sizeof(u->email));
        u->updated_us = now_us;
        if ((r = store_user_update(st, u, err)) < 0)
            return r;
        return refusal ? gh_fail(err, -EACCES, "%s", refusal) : 0;
    }
    if (r != -ENOENT)
        return gh_fail(err, r, "reading users: %s", store_errmsg(st));
    memset(u, 0, sizeof(*u));
    if (refusal)
        return gh_fail(err, -EACCES, "%s", refusal);
    if (identity_user_name_check(ou->name, err) < 0) {
        gh_err_prefix(err, "the provider's user name '%.64s'", ou->name);
        return -EACCES;
    }
    gh_strlcpy(u->name, ou->name, sizeof(u->name));
    gh_strlcpy(u->display_name, ou->display_name, sizeof(u->display_name));
    gh_strlcpy(u->email, ou->email, sizeof(u->email));
    gh_strlcpy(u->external_id, ou->sub, sizeof(u->external_id));
    u->source = USER_OIDC;
    r = identity_user_create(st, u, roles, NULL, err);
    if (r == -EEXIST)
        gh_fail(err, -EEXIST,
                "the name '%s' belongs to another user here: an administrator must rename or "
                "remove it first",
                u->name);
    return r;
}
