/*
 * auth.c: signing in and out with a password (POST /api/v1/auth/login, /logout) and the
 * session's own view (GET /api/v1/auth/session). The password check runs on a worker
 * thread (Argon2id is slow on purpose). Unknown names, wrong passwords, disabled users and
 * SSO users all get the same reply after the same work, so replies do not tell which
 * names exist; failures are counted per name and per address and slow down further tries.
 * Every attempt is recorded as an event.
 */
#include "http/handlers/handlers.h"
#include "http/handlers/shared.h"

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
    if (identity_mfa_missing(u))
        json_array_clear(perms); /* as the server treats the session: enrollment first */
    return json_pack("{s:{s:I, s:s, s:s, s:s}, s:o, s:o, s:s, s:o, s:i, s:b, s:b}", "user", "id",
                     (json_int_t)u->id, "name", u->name, "display_name", u->display_name, "email",
                     u->email, "roles", roles, "permissions", perms, "csrf_token", s->csrf,
                     "expires", http_json_time(s->expires_us), "idle_timeout_s", (int)idle_s,
                     "mfa_enabled", u->totp_secret_len > 0, "mfa_enrollment_required",
                     identity_mfa_missing(u));
}

/* The throttling key of a name as typed: "user:" and the name in lower case (names are
 * unique regardless of case, so every spelling counts against the same account). */
static void user_throttle_key(const char *name, char *key, size_t len)
{
    snprintf(key, len, "user:%s", name);
    for (char *c = key; *c; c++)
        *c = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
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
        log_sign_in(r, EV_SIGN_IN_FAILED, name, "password", why, 0) < 0 ||
        http_write_commit(r) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : -EIO;
    }
    log_info("request %s: sign-in of '%s' from %s refused: %s", r->id, name, r->client_addr, why);
    return http_problem(r, 401, "sign-in-failed", NULL, "the name or the password is not right");
}

/* Brings the local record of a directory user up to date (created at first sign-in; name,
 * e-mail and roles from the directory each time), in its own transaction. 0, or a reply
 * was set. Roles changed: the user's other sessions end. */
static int ldap_sync(struct http_req *r, struct user *u, bool exists, const char *name,
                     const struct identity_ldap_user *lu)
{
    struct store *st = http_store(r);
    struct gh_err err = {{0}};
    char roles[STORE_USER_ROLES_MAX];
    int rc;
    role_set_format(lu->roles, roles, sizeof(roles));
    if (http_write_begin(r) < 0)
        return -EBUSY;
    if (!exists) {
        memset(u, 0, sizeof(*u));
        gh_strlcpy(u->name, name, sizeof(u->name));
        u->source = USER_LDAP;
        gh_strlcpy(u->display_name, lu->display_name, sizeof(u->display_name));
        if (model_check_email("email", lu->email, NULL) == 0)
            gh_strlcpy(u->email, lu->email, sizeof(u->email));
        if (u->display_name[0] && model_check_name("display_name", u->display_name, NULL) < 0)
            u->display_name[0] = '\0';
        rc = identity_user_create(st, u, roles, NULL, &err);
    } else {
        bool changed = strcmp(u->roles, roles) != 0;
        gh_strlcpy(u->roles, roles, sizeof(u->roles));
        if (lu->display_name[0] && model_check_name("display_name", lu->display_name, NULL) == 0)
            gh_strlcpy(u->display_name, lu->display_name, sizeof(u->display_name));
        if (model_check_email("email", lu->email, NULL) == 0)
            gh_strlcpy(u->email, lu->email, sizeof(u->email));
        u->updated_us = gh_now_us();
        rc = store_user_update(st, u, &err);
        if (rc == 0 && changed)
            rc = store_session_end_user(st, u->id, gh_now_us(), NULL);
    }
    if (rc < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        log_error("request %s: cannot record directory user %s: %s", r->id, name, err.msg);
        if (!r->replied)
            http_problem_from(r, rc, &err);
        return rc;
    }
    return 0;
}

/* Runs on a worker thread. */
static int login_job(struct http_req *r)
{
    static const char *const secret_fields[] = {"password", "code", "recovery_code", NULL};
    struct store *st = http_store(r);
    struct http_form f;
    struct user u;
    struct session s;
    char name[MODEL_NAME_MAX], user_key[MODEL_NAME_MAX + 8], addr_key[80];
    char pw[IDENTITY_PASSWORD_MAX * 4 + 1], cookie[IDENTITY_COOKIE_LEN],
        rehashed[IDENTITY_HASH_MAX];
    char code[16] = "", recovery[32] = "";
    struct identity_ldap_user lu;
    bool ldap_user = false;
    int64_t now = gh_now_us(), wait_s;
    bool rehash = false, ok;
    const char *why = NULL;
    int rc = 0, found;

    http_form_init(&f, r);
    http_form_string(&f, "name", true, name, sizeof(name));
    http_form_string(&f, "password", true, pw, sizeof(pw));
    http_form_string(&f, "code", false, code, sizeof(code));
    http_form_string(&f, "recovery_code", false, recovery, sizeof(recovery));
    if (http_form_finish(&f) < 0)
        goto out;
    if (st == NULL) {
        rc = -EIO;
        goto out;
    }
    user_throttle_key(name, user_key, sizeof(user_key));
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
        if (log_sign_in(r, EV_SIGN_IN_FAILED, name, "password", "throttled", 0) < 0 ||
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
    if (r->srv->cfg.ldap.url[0] && (found != 0 || u.source == USER_LDAP)) {
        /* the directory vouches for names it knows that are not local accounts */
        struct gh_err lerr = {{0}};
        int lr = identity_ldap_authenticate(&r->srv->cfg.ldap, name, pw, &lu, &lerr);
        if (lr == -EIO || lr == -EINVAL) {
            log_error("request %s: %s", r->id, lerr.msg);
            http_reply_header(r, "Retry-After", "5");
            rc = http_problem(r, 503, "directory-unavailable", NULL,
                              "the directory (LDAP) cannot check passwords now");
            goto out;
        }
        ok = lr == 0 && (found != 0 || u.disabled_us == 0);
        why = lr < 0 ? "ldap refused" : ok ? NULL : "user disabled";
        if (lr < 0)
            log_info("request %s: %s", r->id, lerr.msg);
        ldap_user = ok;
    } else if (found == 0 && u.source == USER_LOCAL && u.disabled_us == 0 && u.password_hash[0]) {
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
    if (ldap_user && (rc = ldap_sync(r, &u, found == 0, name, &lu)) != 0)
        goto out;

    if (u.totp_secret_len > 0 && code[0] == '\0' && recovery[0] == '\0') {
        /* the password was right: the second factor is asked for (nothing is counted) */
        rc = http_problem(r, 401, "mfa-required", NULL,
                          "a code from the authenticator app (code) or a recovery code "
                          "(recovery_code) is needed");
        goto out;
    }
    if (http_write_begin(r) < 0)
        goto out;
    if (u.totp_secret_len > 0) {
        int m = code[0] ? identity_mfa_check(st, &u, r->srv->site_key, code, now)
                        : identity_mfa_recovery(st, &u, r->srv->site_key, recovery, now);
        if (m < 0) {
            http_write_rollback(r);
            rc = refuse(r, name, user_key, addr_key,
                        code[0] ? "wrong or reused code" : "wrong or used recovery code");
            goto out;
        }
    }
    if (store_throttle_clear(st, user_key) < 0 || (rehash && store_user_update(st, &u, NULL) < 0) ||
        identity_session_create(st, &u, r->client_addr, now,
                                (int64_t)r->srv->cfg.session_lifetime_s * US, cookie, &s,
                                NULL) < 0 ||
        log_sign_in(r, EV_SIGN_IN, u.name, ldap_user ? "ldap" : "password", NULL, s.id) < 0 ||
        http_write_commit(r) < 0) {
        http_write_rollback(r);
        rc = r->replied ? 0 : -EIO;
        goto out;
    }
    log_info("request %s: user %s signed in from %s (session %lld)", r->id, u.name, r->client_addr,
             (long long)s.id);
    set_session_cookie(r, cookie, false);
    rc = http_reply_json(r, 200, session_json(&u, &s, r->srv->cfg.session_idle_s));
out:
    /* the password is in the request body, the parsed JSON and here: wipe all three */
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(recovery, sizeof(recovery));
    sodium_memzero(cookie, sizeof(cookie));
    sodium_memzero(rehashed, sizeof(rehashed));
    sodium_memzero(&u, sizeof(u));
    wipe_request(r, secret_fields);
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
        log_sign_in(r, EV_SIGN_OUT, u.name, NULL, NULL, r->caller.session_id) < 0 ||
        http_write_commit(r) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : -EIO;
    }
    set_session_cookie(r, "", true);
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

/* ---- the caller's own sessions ----------------------------------------------------------- */

struct own_sessions {
    struct http_req *r;
    int64_t now_us, idle_us;
    int64_t find; /* h_session_end: the id looked for */
    bool found;
    json_t *items;
};

static int own_session(void *ctx, const struct session *s)
{
    struct own_sessions *o = ctx;
    if (o->now_us - s->last_seen_us >= o->idle_us)
        return 0; /* idle too long: no longer usable */
    if (o->find != 0) {
        o->found = o->found || s->id == o->find;
        return 0;
    }
    json_array_append_new(o->items,
                          json_pack("{s:I, s:s, s:o, s:o, s:o, s:b}", "id", (json_int_t)s->id,
                                    "address", s->address, "created", http_json_time(s->created_us),
                                    "last_seen", http_json_time(s->last_seen_us), "expires",
                                    http_json_time(s->expires_us), "current",
                                    s->id == o->r->caller.session_id));
    return 0;
}

/* Lists the caller's usable sessions into o: as JSON into items, or (find != 0) only
 * whether session find is one of them. 0, or a negative code (a reply may be set). */
static int own_sessions(struct http_req *r, struct own_sessions *o, int64_t find, json_t *items)
{
    memset(o, 0, sizeof(*o));
    o->r = r;
    o->now_us = gh_now_us();
    o->idle_us = (int64_t)r->srv->cfg.session_idle_s * GH_USEC_PER_SEC;
    o->find = find;
    o->items = items;
    if (r->caller.kind != CALLER_USER)
        return http_problem(r, 404, "not-found", NULL,
                            "the caller is not a signed-in session (see /api/v1/whoami)"),
               -ENOENT;
    return store_session_list_user(http_store(r), r->caller.id, o->now_us, own_session, o);
}

HTTP_HANDLER(h_session_list)
{
    struct own_sessions o;
    json_t *items = json_array();
    int rc = own_sessions(r, &o, 0, items);
    if (rc < 0) {
        json_decref(items);
        return r->replied ? 0 : http_problem_from(r, rc, NULL);
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

HTTP_HANDLER(h_session_end)
{
    struct store *st = http_store(r);
    struct own_sessions o;
    struct user u;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = own_sessions(r, &o, id, NULL)) < 0)
        return r->replied ? 0 : http_problem_from(r, rc, NULL);
    if (!o.found)
        return http_problem(r, 404, "not-found", NULL,
                            "session %lld is not one of your live sessions", (long long)id);
    if (http_write_begin(r) < 0)
        return 0;
    memset(&u, 0, sizeof(u));
    rc = store_session_end(st, id, gh_now_us());
    if (rc == -ENOENT) { /* ended meanwhile (another tab, the idle limit) */
        http_write_rollback(r);
        return http_problem(r, 404, "not-found", NULL,
                            "session %lld is not one of your live sessions", (long long)id);
    }
    if (rc < 0 || store_user_get(st, r->caller.id, &u) < 0 ||
        log_sign_in(r, EV_SIGN_OUT, u.name, NULL, NULL, id) < 0 || http_write_commit(r) < 0) {
        http_write_rollback(r);
        sodium_memzero(&u, sizeof(u));
        return r->replied ? 0 : -EIO;
    }
    sodium_memzero(&u, sizeof(u));
    if (id == r->caller.session_id)
        set_session_cookie(r, "", true);
    return http_reply_empty(r, 204);
}

/* ---- changes that need the password again (re-authentication) --------------------------- */

/* Whether the directory accepts this password of name now. */
static bool ldap_password_ok(struct http_req *r, const char *name, const char *password)
{
    struct identity_ldap_user lu;
    struct gh_err err = {{0}};
    if (!r->srv->cfg.ldap.url[0])
        return false;
    if (identity_ldap_authenticate(&r->srv->cfg.ldap, name, password, &lu, &err) == 0)
        return true;
    log_info("request %s: re-authentication of %s by the directory: %s", r->id, name, err.msg);
    return false;
}

/* Loads the signed-in user into u and checks their password again (slow: on a worker).
 * Failures count against the user's name as sign-in failures do. 0, or a reply was set. */
static int reauth(struct http_req *r, struct user *u, const char *password)
{
    struct store *st = http_store(r);
    char key[MODEL_NAME_MAX + 8];
    int64_t now = gh_now_us();
    int rc;
    if (r->caller.kind != CALLER_USER)
        return http_problem(r, 400, "bad-request", NULL,
                            "only a signed-in user can do this (not an API token)"),
               -EPERM;
    if ((rc = store_user_get(st, r->caller.id, u)) < 0)
        return http_problem_from(r, rc, NULL), rc;
    user_throttle_key(u->name, key, sizeof(key));
    if (identity_throttle_wait(st, key, now) > 0)
        return http_problem(r, 429, "too-many-attempts", NULL,
                            "too many failed attempts: try again later"),
               -EAGAIN;
    if (u->source == USER_OIDC)
        return http_problem(r, 409, "managed-by-provider", NULL,
                            "%s signs in with the identity provider, which keeps their "
                            "password and second factor",
                            u->name),
               -EPERM;
    if (u->source == USER_LDAP
            ? !ldap_password_ok(r, u->name, password)
            : u->password_hash[0] == '\0' ||
                  identity_password_verify(u->password_hash, password, NULL) < 0) {
        if (http_write_begin(r) == 0) {
            if (identity_throttle_fail(st, key, now) < 0 || http_write_commit(r) < 0)
                http_write_rollback(r);
        }
        return http_problem(r, 401, "reauth-failed", NULL, "the current password is not right"),
               -EACCES;
    }
    return 0;
}

/* Ends the caller's session and starts a new one for u (a new id after a privilege
 * change), in the caller's transaction; sets the cookie. */
static int rotate_session(struct http_req *r, const struct user *u, struct session *s)
{
    struct store *st = http_store(r);
    char cookie[IDENTITY_COOKIE_LEN];
    int64_t now = gh_now_us();
    int rc = store_session_end(st, r->caller.session_id, now);
    if (rc == -ENOENT)
        rc = 0; /* already ended with the user's others (a password change) */
    if (rc < 0 || (rc = identity_session_create(st, u, r->client_addr, now,
                                                (int64_t)r->srv->cfg.session_lifetime_s * US,
                                                cookie, s, NULL)) < 0)
        return rc;
    set_session_cookie(r, cookie, false);
    sodium_memzero(cookie, sizeof(cookie));
    return 0;
}

static int mfa_enroll_job(struct http_req *r)
{
    static const char *const secret_fields[] = {"password", NULL};
    struct http_form f;
    struct user u;
    char pw[IDENTITY_PASSWORD_MAX * 4 + 1], uri[IDENTITY_OTPAUTH_MAX];
    char *svg = NULL;
    struct gh_err err = {{0}};
    int rc = 0;
    memset(&u, 0, sizeof(u));
    http_form_init(&f, r);
    http_form_string(&f, "password", true, pw, sizeof(pw));
    if (http_form_finish(&f) < 0 || reauth(r, &u, pw) < 0)
        goto out;
    if ((rc = identity_mfa_begin(&u, r->srv->site_key, uri, &svg, &err)) < 0) {
        rc = http_problem_from(r, rc, &err);
        goto out;
    }
    u.updated_us = gh_now_us();
    if (http_write_begin(r) < 0)
        goto out;
    if ((rc = store_user_update(http_store(r), &u, &err)) < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        rc = r->replied ? 0 : rc;
        goto out;
    }
    rc = http_reply_json(r, 200, json_pack("{s:s, s:s}", "otpauth_uri", uri, "qr_svg", svg));
out:
    free(svg);
    sodium_memzero(uri, sizeof(uri));
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(&u, sizeof(u));
    wipe_request(r, secret_fields);
    return rc;
}

HTTP_HANDLER(h_mfa_enroll)
{
    return http_defer(r, mfa_enroll_job);
}

HTTP_HANDLER(h_mfa_confirm)
{
    struct store *st = http_store(r);
    struct http_form f;
    struct user u;
    struct session s;
    struct gh_err err = {{0}};
    char code[16] = "", codes[IDENTITY_RECOVERY_CODES][IDENTITY_RECOVERY_LEN];
    json_t *list, *body;
    int rc;
    if (r->caller.kind != CALLER_USER)
        return http_problem(r, 400, "bad-request", NULL, "only a signed-in user enrolls");
    http_form_init(&f, r);
    http_form_string(&f, "code", true, code, sizeof(code));
    if (http_form_finish(&f) < 0)
        return 0;
    if ((rc = store_user_get(st, r->caller.id, &u)) < 0)
        return http_problem_from(r, rc, NULL);
    if (http_write_begin(r) < 0)
        return 0;
    rc = identity_mfa_confirm(st, &u, r->srv->site_key, code, gh_now_us(), codes, &err);
    if (rc == -EACCES || rc == -EINVAL) {
        http_write_rollback(r);
        return http_problem(r, 422, "validation",
                            json_pack("[{s:s, s:s}]", "field", "code", "detail", err.msg), "%s",
                            err.msg);
    }
    /* MFA on: the session's privileges change, so it gets a new id */
    if (rc < 0 || (rc = rotate_session(r, &u, &s)) < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : rc;
    }
    log_info("request %s: user %s enrolled TOTP", r->id, u.name);
    list = json_array();
    for (int i = 0; i < IDENTITY_RECOVERY_CODES; i++)
        json_array_append_new(list, json_string(codes[i]));
    sodium_memzero(codes, sizeof(codes));
    body = json_pack("{s:o, s:o}", "recovery_codes", list, "session",
                     session_json(&u, &s, r->srv->cfg.session_idle_s));
    sodium_memzero(&u, sizeof(u));
    return http_reply_json(r, 200, body);
}

static int password_job(struct http_req *r)
{
    static const char *const secret_fields[] = {"current_password", "new_password", NULL};
    struct store *st = http_store(r);
    struct http_form f;
    struct user u;
    struct session s;
    struct gh_err err = {{0}};
    char cur[IDENTITY_PASSWORD_MAX * 4 + 1], next[IDENTITY_PASSWORD_MAX * 4 + 1];
    int rc = 0;
    memset(&u, 0, sizeof(u));
    http_form_init(&f, r);
    http_form_string(&f, "current_password", true, cur, sizeof(cur));
    http_form_string(&f, "new_password", true, next, sizeof(next));
    if (http_form_finish(&f) < 0 || reauth(r, &u, cur) < 0)
        goto out;
    if (http_write_begin(r) < 0)
        goto out;
    rc = identity_user_set_password(st, &u, next, &err);
    if (rc == -EINVAL) {
        http_write_rollback(r);
        rc = http_problem(r, 422, "validation",
                          json_pack("[{s:s, s:s}]", "field", "new_password", "detail", err.msg),
                          "%s", err.msg);
        goto out;
    }
    /* every other session of the user ends; this one continues under a new id */
    if (rc < 0 || (rc = store_session_end_user(st, u.id, gh_now_us(), NULL)) < 0 ||
        (rc = rotate_session(r, &u, &s)) < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        rc = r->replied ? 0 : rc;
        goto out;
    }
    log_info("request %s: user %s changed their password", r->id, u.name);
    rc = http_reply_json(r, 200, session_json(&u, &s, r->srv->cfg.session_idle_s));
out:
    sodium_memzero(cur, sizeof(cur));
    sodium_memzero(next, sizeof(next));
    sodium_memzero(&u, sizeof(u));
    wipe_request(r, secret_fields);
    return rc;
}

HTTP_HANDLER(h_password_change)
{
    return http_defer(r, password_job);
}

/* ---- the first administrator --------------------------------------------------------------- */

static int setup_job(struct http_req *r)
{
    static const char *const secret_fields[] = {"token", "password", NULL};
    struct http_form f;
    struct user u;
    struct gh_err err = {{0}};
    char token[IDENTITY_TOKEN_LEN + 8], pw[IDENTITY_PASSWORD_MAX * 4 + 1];
    int rc = 0;
    memset(&u, 0, sizeof(u));
    http_form_init(&f, r);
    http_form_string(&f, "token", true, token, sizeof(token));
    http_form_string(&f, "name", true, u.name, sizeof(u.name));
    http_form_string(&f, "password", true, pw, sizeof(pw));
    http_form_name(&f, "display_name", false, u.display_name, sizeof(u.display_name));
    http_form_string(&f, "email", false, u.email, sizeof(u.email));
    if (http_form_finish(&f) < 0)
        goto out;
    if (http_write_begin(r) < 0)
        goto out;
    rc = identity_setup_admin(http_store(r), token, &u, pw, gh_now_us(), &err);
    if (rc == -EACCES) {
        http_write_rollback(r);
        log_info("request %s: setup refused: %s", r->id, err.msg);
        rc = http_problem(r, 403, "setup-refused", NULL, "%s", err.msg);
        goto out;
    }
    if (rc < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        rc = r->replied ? 0 : http_problem_from(r, rc, &err);
        goto out;
    }
    log_info("request %s: first administrator %s created with the setup token", r->id, u.name);
    rc = http_reply_json(r, 201,
                         json_pack("{s:I, s:s, s:o}", "id", (json_int_t)u.id, "name", u.name,
                                   "roles", json_pack("[s]", "admin")));
out:
    sodium_memzero(token, sizeof(token));
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(&u, sizeof(u));
    wipe_request(r, secret_fields);
    return rc;
}

HTTP_HANDLER(h_setup)
{
    return http_defer(r, setup_job);
}
