/*
 * auth.c: signing in and out with a password (POST /api/v1/auth/login, /logout) and the
 * session's own view (GET /api/v1/auth/session). The password check runs on a worker
 * thread (Argon2id is slow on purpose). Unknown names, wrong passwords, disabled users and
 * SSO users all get the same reply after the same work, so replies do not tell which
 * names exist; failures are counted per name and per address and slow down further tries.
 * Every attempt is recorded as an event.
 */
#include "http/handlers/handlers.h"

#include <sodium.h>
#include <string.h>

#define US INT64_C(1000000)

/* The reply body of a session: who, roles, permissions, the CSRF token and the limits. */
static json_t *session_json(const struct user *u, const struct session *s, unsigned idle_s)
{
    json_t *perms = json_array(), *roles = json_array();
    role_set set = identity_user_roles(u);
    perm_set p = role_set_perms(set);
    for (int i = PERM_FIRST; i < PERM_COUNT; i++)
        if (p & PERM_BIT(i))
            json_array_append_new(perms, json_string(perm_name((enum perm)i)));
    for (int i = 0; i < ROLE_COUNT; i++)
        if (set & ROLE_BIT(i))
            json_array_append_new(roles, json_string(role_name((enum role)i)));
    return json_pack("{s:{s:I, s:s, s:s, s:s}, s:o, s:o, s:s, s:o, s:i}", "user", "id",
                     (json_int_t)u->id, "name", u->name, "display_name", u->display_name, "email",
                     u->email, "roles", roles, "permissions", perms, "csrf_token", s->csrf,
                     "expires", http_json_time(s->expires_us), "idle_timeout_s", (int)idle_s);
}

static void set_cookie(struct http_req *r, const char *value, bool clear)
{
    char c[256];
    snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; Secure; SameSite=Strict%s",
             IDENTITY_SESSION_COOKIE, value, clear ? "; Max-Age=0" : "");
    http_reply_header(r, MHD_HTTP_HEADER_SET_COOKIE, c);
    sodium_memzero(c, sizeof(c));
}

static int log_attempt(struct http_req *r, enum event_type type, const char *name, const char *why,
                       int64_t session_id)
{
    json_t *p = json_pack("{s:s, s:s}", "user", name, "address", r->client_addr);
    if (p != NULL && why != NULL)
        json_object_set_new(p, "reason", json_string(why));
    if (p != NULL && session_id != 0)
        json_object_set_new(p, "session", json_integer(session_id));
    return http_log_event(r, type, 0, 0, 0, p);
}

/* The same reply for every failed sign-in, once the failure is recorded. */
static int refuse(struct http_req *r, const char *name, const char *user_key, const char *addr_key,
                  const char *why)
{
    struct store *st = http_store(r);
    int64_t now = gh_now_us();
    if (http_write_begin(r) < 0)
        return 0;
    if (identity_throttle_fail(st, user_key, now) < 0 ||
        identity_throttle_fail(st, addr_key, now) < 0 ||
        log_attempt(r, EV_SIGN_IN_FAILED, name, why, 0) < 0 || http_write_commit(r) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : -EIO;
    }
    log_info("request %s: sign-in of '%s' from %s refused: %s", r->id, name, r->client_addr, why);
    return http_problem(r, 401, "sign-in-failed", NULL, "the name or the password is not right");
}

/* Runs on a worker thread. */
static int login_job(struct http_req *r)
{
    struct store *st = http_store(r);
    struct http_form f;
    struct user u;
    struct session s;
    char name[MODEL_NAME_MAX], user_key[MODEL_NAME_MAX + 8], addr_key[80];
    char pw[IDENTITY_PASSWORD_MAX * 4 + 1], cookie[IDENTITY_COOKIE_LEN],
        rehashed[IDENTITY_HASH_MAX];
    int64_t now = gh_now_us(), wait_s;
    bool rehash = false, ok;
    const char *why = NULL;
    int rc = 0, found;

    http_form_init(&f, r);
    http_form_string(&f, "name", true, name, sizeof(name));
    http_form_string(&f, "password", true, pw, sizeof(pw));
    if (http_form_finish(&f) < 0)
        goto out;
    if (st == NULL) {
        rc = -EIO;
        goto out;
    }
    snprintf(user_key, sizeof(user_key), "user:%s", name);
    for (char *c = user_key; *c; c++)
        *c = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
    snprintf(addr_key, sizeof(addr_key), "addr:%s", r->client_addr);

    wait_s = identity_throttle_wait(st, user_key, now);
    {
        int64_t w = identity_throttle_wait(st, addr_key, now);
        wait_s = w > wait_s ? w : wait_s;
    }
    if (wait_s > 0) {
        char ra[24];
        snprintf(ra, sizeof(ra), "%lld", (long long)wait_s);
        if (http_write_begin(r) < 0)
            goto out;
        if (log_attempt(r, EV_SIGN_IN_FAILED, name, "throttled", 0) < 0 ||
            http_write_commit(r) < 0) {
            http_write_rollback(r);
            rc = r->replied ? 0 : -EIO;
            goto out;
        }
        http_reply_header(r, "Retry-After", ra);
        http_problem(r, 429, "too-many-attempts", NULL,
                     "too many failed sign-ins: try again in %lld seconds", (long long)wait_s);
        goto out;
    }

    found = store_user_find(st, name, &u);
    if (found == 0 && u.source == USER_LOCAL && u.disabled_us == 0 && u.password_hash[0]) {
        ok = identity_password_verify(u.password_hash, pw, &rehash) == 0;
        why = ok ? NULL : "wrong password";
    } else {
        identity_password_verify_dummy(pw); /* the same time as a real check */
        ok = false;
        why = found != 0               ? "unknown user"
              : u.disabled_us != 0     ? "user disabled"
              : u.source != USER_LOCAL ? "not a local user"
                                       : "no password set";
    }
    if (!ok) {
        rc = refuse(r, name, user_key, addr_key, why);
        goto out;
    }
    if (rehash && identity_password_hash(pw, rehashed, NULL) == 0)
        gh_strlcpy(u.password_hash, rehashed, sizeof(u.password_hash));

    if (http_write_begin(r) < 0)
        goto out;
    if (store_throttle_clear(st, user_key) < 0 || (rehash && store_user_update(st, &u, NULL) < 0) ||
        identity_session_create(st, &u, r->client_addr, now,
                                (int64_t)r->srv->cfg.session_lifetime_s * US, cookie, &s,
                                NULL) < 0 ||
        log_attempt(r, EV_SIGN_IN, u.name, NULL, s.id) < 0 || http_write_commit(r) < 0) {
        http_write_rollback(r);
        rc = r->replied ? 0 : -EIO;
        goto out;
    }
    log_info("request %s: user %s signed in from %s (session %lld)", r->id, u.name, r->client_addr,
             (long long)s.id);
    set_cookie(r, cookie, false);
    rc = http_reply_json(r, 200, session_json(&u, &s, r->srv->cfg.session_idle_s));
out:
    /* the password is in the request body, the parsed JSON and here: wipe all three */
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(cookie, sizeof(cookie));
    sodium_memzero(rehashed, sizeof(rehashed));
    sodium_memzero(&u, sizeof(u));
    if (r->json != NULL) {
        json_t *v = json_object_get(r->json, "password");
        if (json_is_string(v))
            sodium_memzero((char *)json_string_value(v), json_string_length(v));
    }
    if (r->body.data != NULL)
        sodium_memzero(r->body.data, r->body.len);
    return rc;
}

HTTP_HANDLER(h_login)
{
    return http_defer(r, login_job);
}

HTTP_HANDLER(h_logout)
{
    struct store *st = http_store(r);
    struct user u;
    if (r->caller.kind != CALLER_USER)
        return http_problem(r, 400, "bad-request", NULL,
                            "only a signed-in session signs out (API tokens are revoked)");
    if (http_write_begin(r) < 0)
        return 0;
    if (store_session_end(st, r->caller.session_id, gh_now_us()) < 0 ||
        store_user_get(st, r->caller.id, &u) < 0 ||
        log_attempt(r, EV_SIGN_OUT, u.name, NULL, r->caller.session_id) < 0 ||
        http_write_commit(r) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : -EIO;
    }
    set_cookie(r, "", true);
    return http_reply_empty(r, 204);
}

HTTP_HANDLER(h_session)
{
    struct user u;
    int rc;
    if (r->caller.kind != CALLER_USER)
        return http_problem(r, 404, "not-found", NULL,
                            "the caller is not a signed-in session (see /api/v1/whoami)");
    if ((rc = store_user_get(http_store(r), r->caller.id, &u)) < 0)
        return http_problem_from(r, rc, NULL);
    rc = http_reply_json(r, 200, session_json(&u, &r->session, r->srv->cfg.session_idle_s));
    sodium_memzero(&u, sizeof(u));
    return rc;
}
