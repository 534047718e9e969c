/*
 * user.c: user administration over the API (users.read, users.admin): list and read users,
 * create them (with a first password, checked on a worker), change their details, roles
 * and enabled state, end all their sessions, and remove their MFA after a lost device.
 * New roles, disabling and MFA removal end the user's sessions at once.
 */
#include "http/handlers/handlers.h"
#include "http/handlers/shared.h"

#include <sodium.h>
#include <string.h>

static json_t *user_json(const struct user *u)
{
    json_t *roles = json_array();
    role_set set = identity_user_roles(u);
    for (int i = 0; i < ROLE_COUNT; i++)
        if (set & ROLE_BIT(i))
            json_array_append_new(roles, json_string(role_name((enum role)i)));
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:b, s:o}", "id", (json_int_t)u->id,
                     "name", u->name, "display_name", u->display_name, "email", u->email, "source",
                     user_source_name(u->source), "roles", roles, "enabled", u->disabled_us == 0,
                     "password_set", u->password_hash[0] != '\0', "mfa_enabled",
                     u->totp_secret_len > 0, "created", http_json_time(u->created_us));
}

struct user_list {
    struct page p;
};

static int list_user(void *ctx, const struct user *u)
{
    struct user_list *l = ctx;
    if (u->id <= l->p.after)
        return 0;
    return page_add(&l->p, u->id, user_json(u));
}

HTTP_HANDLER(h_user_list)
{
    struct user_list l = {{0}};
    if (page_begin(&l.p, r) < 0)
        return 0;
    return page_reply(&l.p, store_user_list(http_store(r), list_user, &l));
}

/* The user named by the path's id into u; replies 404 when there is none. */
static int path_user(struct http_req *r, struct user *u)
{
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return -ENOENT;
    if ((rc = store_user_get(http_store(r), id, u)) < 0) {
        http_problem(r, 404, "not-found", NULL, "there is no user %lld", (long long)id);
        return rc;
    }
    return 0;
}

HTTP_HANDLER(h_user_get)
{
    struct user u;
    int rc;
    if (path_user(r, &u) < 0)
        return 0;
    rc = http_reply_json(r, 200, user_json(&u));
    sodium_memzero(&u, sizeof(u));
    return rc;
}

/* Runs on a worker: a password is hashed. */
static int user_create_job(struct http_req *r)
{
    static const char *const secret_fields[] = {"password", NULL};
    struct http_form f;
    struct user u;
    struct gh_err err = {{0}};
    char roles[STORE_USER_ROLES_MAX] = "", pw[IDENTITY_PASSWORD_MAX * 4 + 1] = "";
    bool has_pw;
    int rc = 0;
    memset(&u, 0, sizeof(u));
    u.source = USER_LOCAL;
    http_form_init(&f, r);
    http_form_string(&f, "name", true, u.name, sizeof(u.name));
    http_form_name(&f, "display_name", false, u.display_name, sizeof(u.display_name));
    http_form_string(&f, "email", false, u.email, sizeof(u.email));
    http_form_string(&f, "roles", false, roles, sizeof(roles));
    has_pw = http_form_string(&f, "password", false, pw, sizeof(pw));
    if (http_form_finish(&f) < 0)
        goto out;
    if (http_write_begin(r) < 0)
        goto out;
    rc = identity_user_create(http_store(r), &u, roles, has_pw ? pw : NULL, &err);
    if (rc == -EINVAL) {
        const char *field = strncmp(err.msg, "password", 8) == 0  ? "password"
                            : strncmp(err.msg, "roles", 5) == 0   ? "roles"
                            : strncmp(err.msg, "email", 5) == 0   ? "email"
                            : strncmp(err.msg, "display", 7) == 0 ? "display_name"
                                                                  : "name";
        http_write_rollback(r);
        rc = http_problem(r, 422, "validation",
                          json_pack("[{s:s, s:s}]", "field", field, "detail", err.msg), "%s",
                          err.msg);
        goto out;
    }
    if (rc < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        rc = r->replied ? 0 : http_problem_from(r, rc, &err);
        goto out;
    }
    log_info("request %s: %s created user %s (%s)", r->id, r->caller.name, u.name, u.roles);
    rc = reply_created(r, "users", u.id, user_json(&u));
out:
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(&u, sizeof(u));
    wipe_request(r, secret_fields);
    return rc;
}

HTTP_HANDLER(h_user_create)
{
    return http_defer(r, user_create_job);
}

/* Saves u and ends its sessions when `end` (in one transaction); replies with the user. */
static int save_user(struct http_req *r, struct user *u, bool end, const char *what)
{
    struct gh_err err = {{0}};
    int n = 0, rc;
    if (http_write_begin(r) < 0)
        return 0;
    u->updated_us = gh_now_us();
    if ((rc = store_user_update(http_store(r), u, &err)) < 0 ||
        (end && (rc = store_session_end_user(http_store(r), u->id, gh_now_us(), &n)) < 0) ||
        (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : http_problem_from(r, rc, &err);
    }
    log_info("request %s: %s %s user %s (%d session%s ended)", r->id, r->caller.name, what, u->name,
             n, n == 1 ? "" : "s");
    rc = http_reply_json(r, 200, user_json(u));
    sodium_memzero(u, sizeof(*u));
    return rc;
}

HTTP_HANDLER(h_user_update)
{
    struct http_form f;
    struct user u;
    struct gh_err err = {{0}};
    char roles[STORE_USER_ROLES_MAX];
    role_set set;
    bool enabled = true, end = false;
    if (path_user(r, &u) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_name(&f, "display_name", false, u.display_name, sizeof(u.display_name));
    if (http_form_string(&f, "email", false, u.email, sizeof(u.email)) &&
        model_check_email("email", u.email, &err) < 0)
        http_form_error(&f, "email", "%s", err.msg);
    if (http_form_string(&f, "roles", false, roles, sizeof(roles))) {
        if (role_set_parse(roles, &set, &err) < 0) {
            http_form_error(&f, "roles", "%s", err.msg);
        } else {
            role_set_format(set, u.roles, sizeof(u.roles));
            end = true; /* new privileges: every session starts again */
        }
    }
    if (http_form_bool(&f, "enabled", false, &enabled)) {
        if (!enabled && u.disabled_us == 0) {
            u.disabled_us = gh_now_us();
            end = true;
        } else if (enabled) {
            u.disabled_us = 0;
        }
    }
    if (http_form_finish(&f) < 0) {
        sodium_memzero(&u, sizeof(u));
        return 0;
    }
    /* an administrator cannot lock themselves out (another one can) */
    if (r->caller.kind == CALLER_USER && u.id == r->caller.id &&
        (u.disabled_us != 0 ||
         !(role_set_perms(identity_user_roles(&u)) & PERM_BIT(PERM_USERS_ADMIN)))) {
        sodium_memzero(&u, sizeof(u));
        return http_problem(r, 409, "conflict", NULL,
                            "you cannot disable yourself or drop your own user administration "
                            "(ask another administrator)");
    }
    return save_user(r, &u, end, "changed");
}

HTTP_HANDLER(h_user_end_sessions)
{
    struct user u;
    if (path_user(r, &u) < 0)
        return 0;
    return save_user(r, &u, true, "ended the sessions of");
}

HTTP_HANDLER(h_user_reset_mfa)
{
    struct user u;
    struct gh_err err = {{0}};
    int n = 0, rc;
    if (path_user(r, &u) < 0)
        return 0;
    if (http_write_begin(r) < 0)
        return 0;
    if ((rc = identity_mfa_reset(http_store(r), &u, &err)) < 0 ||
        (rc = store_session_end_user(http_store(r), u.id, gh_now_us(), &n)) < 0 ||
        (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : http_problem_from(r, rc, &err);
    }
    log_info("request %s: %s removed the MFA of user %s (%d sessions ended)", r->id, r->caller.name,
             u.name, n);
    rc = http_reply_json(r, 200, user_json(&u));
    sodium_memzero(&u, sizeof(u));
    return rc;
}

/* The roles a user can be given: what each is for, its permissions, whether it needs MFA. */
HTTP_HANDLER(h_role_list)
{
    return http_reply_json(r, 200, identity_roles_json());
}
