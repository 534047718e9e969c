/*
 * session.c: sign-in sessions (a random id in the __Host-gh_session cookie, stored only hashed,
 * with an idle and an absolute limit and a CSRF token) and the throttling of failed
 * sign-ins per account name and per client address.
 */
#include "identity/identity_int.h"

#include <sodium.h>
#include <string.h>

#define TOUCH_EVERY_US (60 * INT64_C(1000000))
#define US             INT64_C(1000000)

int identity_session_create(struct store *st, const struct user *u, const char *address,
                            int64_t now_us, int64_t lifetime_us, char cookie[IDENTITY_COOKIE_LEN],
                            struct session *row, struct gh_err *err)
{
    struct session s;
    int r;
    memset(&s, 0, sizeof(s));
    id_random_b64(cookie, IDENTITY_COOKIE_LEN);
    id_secret_hash_hex(cookie, strlen(cookie), s.id_hash);
    id_random_b64(s.csrf, sizeof(s.csrf));
    s.user_id = u->id;
    gh_strlcpy(s.address, address ? address : "", sizeof(s.address));
    s.created_us = s.last_seen_us = now_us;
    s.expires_us = now_us + lifetime_us;
    if ((r = store_session_insert(st, &s, err)) < 0) {
        sodium_memzero(cookie, IDENTITY_COOKIE_LEN);
        return r;
    }
    if (row)
        *row = s;
    return 0;
}

int identity_session_authenticate(struct store *st, const char *cookie, int64_t now_us,
                                  int64_t idle_us, struct identity_caller *caller,
                                  struct session *s, struct gh_err *err)
{
    char hash[STORE_SESSION_HASH_HEX];
    struct user u;
    int r;
    memset(caller, 0, sizeof(*caller));
    if (strlen(cookie) != IDENTITY_COOKIE_LEN - 1)
        return gh_fail(err, -EACCES, "malformed session cookie");
    id_secret_hash_hex(cookie, strlen(cookie), hash);
    r = store_session_by_hash(st, hash, s);
    if (r == -ENOENT)
        return gh_fail(err, -EACCES, "unknown session");
    if (r < 0)
        return gh_fail(err, r, "reading sessions: %s", store_errmsg(st));
    if (s->ended_us != 0)
        return gh_fail(err, -EACCES, "session %lld has ended", (long long)s->id);
    if (now_us >= s->expires_us)
        return gh_fail(err, -EACCES, "session %lld reached its absolute limit", (long long)s->id);
    if (now_us - s->last_seen_us >= idle_us)
        return gh_fail(err, -EACCES, "session %lld was idle too long", (long long)s->id);
    if ((r = store_user_get(st, s->user_id, &u)) < 0)
        return gh_fail(err, -EACCES, "session %lld: its user is gone", (long long)s->id);
    if (u.disabled_us != 0)
        return gh_fail(err, -EACCES, "user %s is disabled", u.name);
    caller->kind = CALLER_USER;
    caller->id = u.id;
    caller->session_id = s->id;
    gh_snprintf(caller->name, sizeof(caller->name), "user:%s", u.name);
    caller->perms = identity_user_perms(&u); /* none until MFA, if the roles need it */
    caller->mfa_enroll_only = identity_mfa_missing(&u);
    sodium_memzero(&u, sizeof(u)); /* the password hash */
    if (now_us - s->last_seen_us >= TOUCH_EVERY_US && store_session_touch(st, s->id, now_us) == 0)
        s->last_seen_us = now_us;
    return 0;
}

int64_t identity_throttle_wait(struct store *st, const char *key, int64_t now_us)
{
    struct login_throttle t;
    if (store_throttle_get(st, key, &t) < 0)
        return 1; /* cannot tell: make the client wait a little rather than let it through */
    return t.blocked_until_us > now_us ? (t.blocked_until_us - now_us + US - 1) / US : 0;
}

int identity_throttle_fail(struct store *st, const char *key, int64_t now_us)
{
    struct login_throttle t;
    int64_t wait_s = 0;
    int r = store_throttle_get(st, key, &t);
    if (r < 0)
        return r;
    if (now_us - t.last_failure_us >= IDENTITY_THROTTLE_FORGET_S * US)
        t.failures = 0;
    t.failures++;
    t.last_failure_us = now_us;
    if (t.failures > IDENTITY_THROTTLE_FREE) {
        int64_t k = t.failures - IDENTITY_THROTTLE_FREE - 1;
        wait_s = k >= 10 ? IDENTITY_THROTTLE_MAX_S : INT64_C(1) << k;
        if (wait_s > IDENTITY_THROTTLE_MAX_S)
            wait_s = IDENTITY_THROTTLE_MAX_S;
    }
    t.blocked_until_us = now_us + wait_s * US;
    return store_throttle_set(st, key, &t);
}
