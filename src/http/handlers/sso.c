/*
 * sso.c: single sign-on with an OpenID Connect provider. GET /api/v1/auth/oidc/start sends
 * the browser to the provider (a fresh state in a cookie bound to this browser, the nonce
 * and PKCE challenge in the URL); GET /api/v1/auth/oidc/callback takes the state back
 * (once), exchanges the code, checks the ID token, brings the local user record up to date
 * and signs the browser in. GET /api/v1/auth/methods tells a sign-in page which ways to
 * sign in exist. Both legs talk to the provider, so they run on a worker thread; every
 * outcome is recorded as an event.
 */
#include "http/handlers/handlers.h"
#include "http/handlers/shared.h"

#include <sodium.h>
#include <string.h>

#define US         INT64_C(1000000)
#define RETURN_MAX IDENTITY_OIDC_RETURN_MAX
#define OIDC_PATH  "/api/v1/auth/oidc"

HTTP_HANDLER(h_auth_methods)
{
    json_t *oidc = json_null();
    if (r->srv->oidc != NULL)
        oidc = json_pack("{s:s, s:s}", "label", identity_oidc_config(r->srv->oidc)->label, "start",
                         OIDC_PATH "/start");
    return http_reply_json(r, 200,
                           json_pack("{s:b, s:b, s:o}", "password", true, "ldap",
                                     r->srv->cfg.ldap.url[0] != '\0', "oidc", oidc));
}

/* The state cookie (__Host-: Secure, Path=/ and no Domain, so a sibling host cannot plant
 * one); SameSite=Lax, as the provider's top-level redirect back here must carry it. An
 * empty value clears it. */
static void set_state_cookie(struct http_req *r, const char *value)
{
    char c[IDENTITY_OIDC_COOKIE_MAX + 96];
    snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=%d",
             IDENTITY_OIDC_COOKIE, value, value[0] ? IDENTITY_OIDC_STATE_TTL : 0);
    http_reply_header(r, MHD_HTTP_HEADER_SET_COOKIE, c);
    sodium_memzero(c, sizeof(c));
}

/* Where to go after signing in: a path of this server, never another site ("//host",
 * "/\host" and schemes are refused), printable ASCII. */
static bool good_return_to(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= RETURN_MAX || v[0] != '/' || v[1] == '/' || v[1] == '\\')
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] <= ' ' || v[i] > '~')
            return false;
    return true;
}

static int not_configured(struct http_req *r)
{
    return http_problem(r, 404, "not-found", NULL,
                        "single sign-on is not configured here (see [oidc] in operations.md)");
}

/* The answer of a failed single sign-on. A browser (Accept: text/html: the provider's
 * redirect brought it here) goes back to the console's sign-in page with a fixed code
 * (state, provider, token, account, unavailable, busy) that the page words; the reason
 * itself is in the log and the event, and no text from the URL is ever shown. Other
 * clients get problem+json with the reason. Returns 0 (a reply was set). */
static int tell(struct http_req *r, unsigned status, const char *slug, const char *code,
                const char *why)
{
    const char *accept =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    char where[64];
    if (accept != NULL && strstr(accept, "text/html") != NULL) {
        snprintf(where, sizeof(where), "/sign-in?sso_error=%s", code);
        return http_reply_redirect(r, 303, where);
    }
    return http_problem(r, status, slug, NULL, "%s", why);
}

/* tell() for a refused sign-in: problem type sso-refused, "single sign-on failed: why". */
static int tell_refused(struct http_req *r, unsigned status, const char *code, const char *why)
{
    char msg[600];
    snprintf(msg, sizeof(msg), "single sign-on failed: %s", why);
    return tell(r, status, "sso-refused", code, msg);
}

static int provider_down(struct http_req *r, int rc, const struct gh_err *err)
{
    if (rc == -EBUSY) {
        log_info("request %s: single sign-on: %s", r->id, err->msg);
        http_reply_header(r, "Retry-After", "5");
        return tell(r, 503, "busy", "busy",
                    "single sign-on is busy waiting on the identity provider: try again in a "
                    "few seconds");
    }
    log_error("request %s: single sign-on: %s", r->id, err->msg);
    http_reply_header(r, "Retry-After", "30");
    return tell(r, 503, "provider-unavailable", "unavailable",
                "the identity provider cannot be reached or answered nonsense: try again, or "
                "sign in with a password");
}

static int start_job(struct http_req *r)
{
    struct gh_err err = {{0}};
    char state[IDENTITY_COOKIE_LEN], cookie[IDENTITY_OIDC_COOKIE_MAX];
    const char *back = http_query(r, "return_to");
    char *url = NULL;
    int rc;
    if (back == NULL)
        back = "/";
    if (!good_return_to(back))
        return http_problem(r, 400, "validation",
                            json_pack("[{s:s, s:s}]", "field", "return_to", "detail",
                                      "a path on this server, starting with one /"),
                            "return_to must be a path on this server");
    if ((rc = identity_oidc_begin(r->srv->oidc, r->srv->site_key, state, &url, &err)) < 0)
        return provider_down(r, rc, &err);
    /* nothing is stored: the state, return_to and the deadline go sealed in the cookie */
    if ((rc = identity_oidc_state_seal(r->srv->site_key, state, back, gh_now_us(), cookie, &err)) <
        0) {
        http_problem_from(r, rc, &err);
        goto out;
    }
    set_state_cookie(r, cookie);
    http_reply_redirect(r, 303, url);
out:
    sodium_memzero(state, sizeof(state));
    sodium_memzero(cookie, sizeof(cookie));
    free(url);
    return 0;
}

HTTP_HANDLER(h_oidc_start)
{
    if (r->srv->oidc == NULL)
        return not_configured(r);
    return http_defer(r, start_job);
}

/* Records a refused single sign-on (log and event). 0, or a reply was set. */
static int record_refusal(struct http_req *r, const char *name, const char *why)
{
    log_info("request %s: single sign-on%s%s from %s refused: %s", r->id, name[0] ? " of " : "",
             name, r->client_addr, why);
    if (http_write_begin(r) < 0)
        return -EIO;
    if (log_sign_in(r, EV_SIGN_IN_FAILED, name, "oidc", why, 0) < 0 || http_write_commit(r) < 0) {
        http_write_rollback(r);
        if (!r->replied)
            http_problem_from(r, -EIO, NULL);
        return -EIO;
    }
    return 0;
}

/* A refused single sign-on: recorded, the state cookie cleared, and the reason told (it
 * is about the sign-in, never about which users exist). Returns 0 (a reply was set). */
static int refuse(struct http_req *r, unsigned status, const char *code, const char *name,
                  const char *why)
{
    if (record_refusal(r, name, why) < 0)
        return 0;
    set_state_cookie(r, "");
    return tell_refused(r, status, code, why);
}

/* Refuses a callback that is not (yet) a sign-in of ours: logged, not recorded as an
 * event (anyone can call the callback; only sign-ins past the state check are events). */
static int reject(struct http_req *r, unsigned status, const char *why)
{
    log_info("request %s: single sign-on callback from %s refused: %s", r->id, r->client_addr, why);
    set_state_cookie(r, "");
    return tell_refused(r, status, "state", why);
}

/* Takes the state back: it must be the one of this browser's cookie, in time, and unused
 * (a state works once). 0, or a reply was set. */
static int take_state(struct http_req *r, const char *state, char return_to[RETURN_MAX])
{
    const char *cookie =
        MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, IDENTITY_OIDC_COOKIE);
    struct gh_err err = {{0}};
    int rc;
    if (http_write_begin(r) < 0)
        return -EIO;
    rc = identity_oidc_state_open(http_store(r), r->srv->site_key, cookie, state, gh_now_us(),
                                  return_to, RETURN_MAX, &err);
    if (rc < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        if (rc == -EACCES)
            return reject(r, 401, err.msg), rc;
        return r->replied ? rc : (http_problem_from(r, rc, &err), rc);
    }
    return 0;
}

/* Signs the provider's user in: the local record, the session, the event; one
 * transaction. 0, or a reply was set. */
static int sign_in(struct http_req *r, const struct identity_oidc_user *ou, const char *return_to)
{
    struct store *st = http_store(r);
    struct gh_err err = {{0}};
    char cookie[IDENTITY_COOKIE_LEN];
    struct session s;
    struct user u;
    bool roles_changed;
    int64_t now = gh_now_us();
    int rc;
    if (http_write_begin(r) < 0)
        return -EIO;
    rc = identity_oidc_user_sync(st, ou, now, &u, &roles_changed, &err);
    if (rc == -EACCES && roles_changed) {
        /* the provider took roles away: that holds here at once, sessions included */
        log_info("request %s: single sign-on of %s refused, roles taken away: %s", r->id, u.name,
                 err.msg);
        if ((rc = store_session_end_user(st, u.id, now, NULL)) < 0 ||
            (rc = log_sign_in(r, EV_SIGN_IN_FAILED, u.name, "oidc", err.msg, 0)) < 0 ||
            (rc = http_write_commit(r)) < 0) {
            http_write_rollback(r);
            return r->replied ? rc : (http_problem_from(r, rc, NULL), rc);
        }
        set_state_cookie(r, "");
        return tell_refused(r, 403, "account", err.msg), -EACCES;
    }
    if (rc == -EACCES || rc == -EEXIST) {
        http_write_rollback(r);
        return refuse(r, 403, "account", ou->name, err.msg), rc;
    }
    if (rc < 0 || (roles_changed && (rc = store_session_end_user(st, u.id, now, NULL)) < 0) ||
        (rc = identity_session_create(st, &u, r->client_addr, now,
                                      (int64_t)r->srv->cfg.session_lifetime_s * US, cookie, &s,
                                      &err)) < 0 ||
        (rc = log_sign_in(r, EV_SIGN_IN, u.name, "oidc", NULL, s.id)) < 0 ||
        (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        sodium_memzero(cookie, sizeof(cookie));
        return r->replied ? rc : (http_problem_from(r, rc, &err), rc);
    }
    log_info("request %s: user %s signed in with the identity provider from %s (session %lld)",
             r->id, u.name, r->client_addr, (long long)s.id);
    set_session_cookie(r, cookie, false);
    set_state_cookie(r, "");
    sodium_memzero(cookie, sizeof(cookie));
    http_reply_redirect(r, 303, return_to);
    return 0;
}

static int callback_job(struct http_req *r)
{
    const char *state = http_query(r, "state"), *code = http_query(r, "code");
    const char *error = http_query(r, "error"), *iss = http_query(r, "iss");
    struct identity_oidc_user ou;
    struct gh_err err = {{0}};
    char return_to[RETURN_MAX], why[300];
    int rc;
    if (take_state(r, state, return_to) < 0)
        return 0;
    if (error != NULL) { /* the provider refused (the user cancelled, no access...) */
        const char *d = http_query(r, "error_description");
        snprintf(why, sizeof(why), "the identity provider answered %.64s%s%.160s%s", error,
                 d ? " (" : "", d ? d : "", d ? ")" : "");
        for (char *c = why; *c; c++)
            *c = (*c < ' ' || *c > '~') ? '?' : *c;
        return refuse(r, 401, "provider", "", why);
    }
    if (code == NULL || code[0] == '\0')
        return refuse(r, 400, "token", "", "the provider's reply has no code");
    /* RFC 9207: a provider that names itself must be the configured one (mix-up defence) */
    if (iss != NULL && strcmp(iss, identity_oidc_config(r->srv->oidc)->issuer) != 0)
        return refuse(r, 401, "token", "", "the reply names another issuer (iss)");
    rc = identity_oidc_finish(r->srv->oidc, r->srv->site_key, state, code, gh_now_us(), &ou, &err);
    if (rc == -EACCES)
        return refuse(r, 401, "token", "", err.msg);
    if (rc < 0)
        return record_refusal(r, "", err.msg) < 0 ? 0 : provider_down(r, rc, &err);
    sign_in(r, &ou, return_to);
    sodium_memzero(&ou, sizeof(ou));
    return 0;
}

HTTP_HANDLER(h_oidc_callback)
{
    if (r->srv->oidc == NULL)
        return not_configured(r);
    return http_defer(r, callback_job);
}
