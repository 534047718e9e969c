/*
 * token.c: API tokens. A token is "ghk_" and 32 random bytes in base64url; the store keeps
 * only its BLAKE2b-256 hash, so a copy of the database does not hold a usable token. A
 * request's token is hashed and looked up by that hash; expiry and revocation are checked
 * on every request, so a revoked token stops working at once.
 */
#include "identity/identity_int.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#define TOKEN_RANDOM_BYTES 32

void id_secret_hash_hex(const char *secret, size_t len, char hex[65])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof(h), (const uint8_t *)secret, len, NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

void id_random_b64(char *out, size_t len)
{
    uint8_t rnd[TOKEN_RANDOM_BYTES];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2base64(out, len, rnd, sizeof(rnd), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(rnd, sizeof(rnd));
}

/* Creates a token owned by u (NULL: a server token) whose scope must lie within `within`. */
static int token_create(struct store *st, const struct user *u, perm_set within, const char *name,
                        const char *scope, int64_t expires_us, char *out, size_t len,
                        struct api_token *row, struct gh_err *err)
{
    struct api_token t;
    perm_set set;
    size_t plen = strlen(IDENTITY_TOKEN_PREFIX);
    int r;

    if (len < IDENTITY_TOKEN_LEN)
        return gh_fail(err, -ENOSPC, "token buffer too small");
    if ((r = model_check_name("name", name, err)) < 0)
        return r;
    if ((r = perm_scope_parse(scope, &set, err)) < 0) {
        gh_err_prefix(err, "scope");
        return r;
    }
    if ((set & ~within) != 0) {
        int p = PERM_FIRST;
        while (!((set & ~within) & PERM_BIT(p)))
            p++;
        return gh_fail(err, -EINVAL, "scope: %s is not one of your permissions",
                       perm_name((enum perm)p));
    }
    memset(&t, 0, sizeof(t));
    gh_strlcpy(t.name, name, sizeof(t.name));
    if ((r = perm_scope_format(set, t.scopes, sizeof(t.scopes))) < 0)
        return gh_fail(err, r, "scope: too many permissions");
    t.created_us = gh_now_us();
    t.expires_us = expires_us;
    t.user_id = u != NULL ? u->id : 0;

    memcpy(out, IDENTITY_TOKEN_PREFIX, plen);
    id_random_b64(out + plen, len - plen);
    id_secret_hash_hex(out, strlen(out), t.hash_hex);

    r = store_token_insert(st, &t, err);
    if (r < 0) {
        sodium_memzero(out, len);
        return r;
    }
    if (row)
        *row = t;
    return 0;
}

int identity_token_create(struct store *st, const char *name, const char *scope, int64_t expires_us,
                          char *out, size_t len, struct api_token *row, struct gh_err *err)
{
    return token_create(st, NULL, PERM_ALL, name, scope, expires_us, out, len, row, err);
}

int identity_token_create_for(struct store *st, const struct user *u, const char *name,
                              const char *scope, int64_t expires_us, char *out, size_t len,
                              struct api_token *row, struct gh_err *err)
{
    return token_create(st, u, identity_user_perms(u), name, scope, expires_us, out, len, row, err);
}

/* The token of an Authorization header value and its hash; -EACCES with why. */
static int bearer_hash(const char *authorization, uint8_t hash[32], struct gh_err *err)
{
    static const char bearer[] = "Bearer ";
    const char *tok;
    size_t n;
    if (authorization == NULL || *authorization == '\0')
        return gh_fail(err, -EACCES, "no Authorization header");
    if (strncasecmp(authorization, bearer, sizeof(bearer) - 1) != 0)
        return gh_fail(err, -EACCES, "the Authorization header is not a Bearer token");
    tok = authorization + sizeof(bearer) - 1;
    while (*tok == ' ')
        tok++;
    n = strlen(tok);
    if (n != IDENTITY_TOKEN_LEN - 1 ||
        strncmp(tok, IDENTITY_TOKEN_PREFIX, strlen(IDENTITY_TOKEN_PREFIX)) != 0)
        return gh_fail(err, -EACCES, "malformed token");
    crypto_generichash(hash, 32, (const uint8_t *)tok, n, NULL, 0);
    return 0;
}

static int lookup(struct store *st, const uint8_t hash[32], int64_t now_us,
                  struct identity_caller *caller, int64_t *expires_us, struct gh_err *err)
{
    char hex[STORE_TOKEN_HASH_HEX];
    struct api_token t;
    int r;
    sodium_bin2hex(hex, sizeof(hex), hash, 32);
    r = store_token_by_hash(st, hex, &t);
    if (r == -ENOENT)
        return gh_fail(err, -EACCES, "unknown token");
    if (r < 0)
        return gh_fail(err, -EIO, "token lookup failed: %s", store_errmsg(st));
    if (t.revoked_us != 0)
        return gh_fail(err, -EACCES, "token '%s' was revoked", t.name);
    if (now_us >= t.expires_us)
        return gh_fail(err, -EACCES, "token '%s' expired", t.name);
    if (perm_scope_parse(t.scopes, &caller->perms, err) < 0)
        return gh_fail(err, -EACCES, "token '%s' has an unreadable scope", t.name);
    if (t.user_id != 0) { /* at most what its owner holds now */
        struct user u;
        if (store_user_get(st, t.user_id, &u) < 0 || u.disabled_us != 0)
            return gh_fail(err, -EACCES, "token '%s': its owner is disabled or gone", t.name);
        caller->perms &= identity_user_perms(&u);
        sodium_memzero(&u, sizeof(u));
    }
    caller->kind = CALLER_TOKEN;
    caller->id = t.id;
    gh_snprintf(caller->name, sizeof(caller->name), "token:%s",
                t.name); /* fits: no split character */
    *expires_us = t.expires_us;
    return 0;
}

int identity_authenticate(struct store *st, const char *authorization, int64_t now_us,
                          struct identity_caller *caller, struct gh_err *err)
{
    return identity_authenticate_cached(NULL, st, authorization, now_us, caller, err);
}

int identity_authenticate_cached(struct identity_token_cache *cache, struct store *st,
                                 const char *authorization, int64_t now_us,
                                 struct identity_caller *caller, struct gh_err *err)
{
    uint8_t hash[32];
    int64_t expires_us = GH_TIME_MAX;
    int r;

    memset(caller, 0, sizeof(*caller));
    if ((r = bearer_hash(authorization, hash, err)) < 0)
        return r;
    if (cache != NULL) {
        for (unsigned i = 0; i < IDENTITY_CACHE_SLOTS; i++) {
            if (cache->slot[i].checked_us == 0 ||
                sodium_memcmp(cache->slot[i].hash, hash, sizeof(hash)) != 0)
                continue;
            if (now_us - cache->slot[i].checked_us < IDENTITY_CACHE_TTL_US &&
                now_us >= cache->slot[i].checked_us && now_us < cache->slot[i].expires_us) {
                *caller = cache->slot[i].caller;
                return 0;
            }
            cache->slot[i].checked_us = 0; /* stale: read it again */
        }
    }
    if ((r = lookup(st, hash, now_us, caller, &expires_us, err)) < 0)
        return r;
    if (cache != NULL) {
        unsigned i = cache->next++ % IDENTITY_CACHE_SLOTS;
        memcpy(cache->slot[i].hash, hash, sizeof(hash));
        cache->slot[i].checked_us = now_us;
        cache->slot[i].expires_us = expires_us;
        cache->slot[i].caller = *caller;
    }
    return 0;
}
