/*
 * token.c: API tokens over the API: a signed-in user makes tokens of their own (a scope
 * within their permissions; the token is shown once), lists and revokes them; a caller
 * with tokens.admin lists and revokes every token. Someone else's token is "not found".
 */
#include "http/handlers/handlers.h"
#include "http/handlers/shared.h"

#include <sodium.h>
#include <string.h>

static json_t *token_json(const struct api_token *t, int64_t now)
{
    json_t *scope = json_array();
    const char *p = t->scopes;
    while (*p) {
        size_t n = strcspn(p, " ");
        json_array_append_new(scope, json_stringn(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    return json_pack("{s:I, s:s, s:o, s:o, s:o, s:s, s:o}", "id", (json_int_t)t->id, "name",
                     t->name, "scope", scope, "created", http_json_time(t->created_us), "expires",
                     http_json_time(t->expires_us), "state",
                     t->revoked_us          ? "revoked"
                     : now >= t->expires_us ? "expired"
                                            : "active",
                     "owner_id", t->user_id ? json_integer(t->user_id) : json_null());
}

/* Whether the caller may see and revoke t: its owner, or tokens.admin. */
static bool may_manage(const struct http_req *r, const struct api_token *t)
{
    if (perm_has(r->caller.perms, PERM_TOKENS_ADMIN))
        return true;
    return r->caller.kind == CALLER_USER && t->user_id == r->caller.id;
}

struct token_list {
    struct page p;
    struct http_req *r;
    bool all;
    int64_t now;
};

static int list_token(void *ctx, const struct api_token *t)
{
    struct token_list *l = ctx;
    if (t->id <= l->p.after || !may_manage(l->r, t))
        return 0;
    if (!l->all && !(l->r->caller.kind == CALLER_USER && t->user_id == l->r->caller.id))
        return 0;
    return page_add(&l->p, t->id, token_json(t, l->now));
}

HTTP_HANDLER(h_token_list)
{
    struct token_list l = {{0}, r, false, gh_now_us()};
    if (page_begin(&l.p, r) < 0 || http_query_bool(r, "all", &l.all) < 0)
        return 0;
    if (l.all && !perm_has(r->caller.perms, PERM_TOKENS_ADMIN))
        return http_problem(r, 403, "forbidden", NULL, "%s lacks the permission tokens.admin",
                            r->caller.name);
    if (r->caller.kind != CALLER_USER)
        l.all = true; /* a token with tokens.admin sees them all; others see none */
    return page_reply(&l.p, store_token_list(http_store(r), list_token, &l));
}

HTTP_HANDLER(h_token_create)
{
    struct store *st = http_store(r);
    struct http_form f;
    struct user u;
    struct api_token t;
    struct gh_err err = {{0}};
    char name[MODEL_NAME_MAX], scope[STORE_TOKEN_SCOPES_MAX], secret[IDENTITY_TOKEN_LEN];
    int64_t days = 0, expires = GH_TIME_MAX;
    json_t *body;
    int rc;
    if (r->caller.kind != CALLER_USER)
        return http_problem(r, 400, "bad-request", NULL,
                            "tokens are made by signed-in users (or on the server host with "
                            "gatehouse token create)");
    http_form_init(&f, r);
    http_form_name(&f, "name", true, name, sizeof(name));
    http_form_string(&f, "scope", true, scope, sizeof(scope));
    if (http_form_int(&f, "expires_in_days", false, 1, 3650, &days))
        expires = gh_now_us() + days * 86400 * INT64_C(1000000);
    if (http_form_finish(&f) < 0)
        return 0;
    if ((rc = store_user_get(st, r->caller.id, &u)) < 0)
        return http_problem_from(r, rc, NULL);
    if (u.source == USER_OIDC) {
        /* a token would outlive what the provider vouches for at each sign-in */
        sodium_memzero(&u, sizeof(u));
        return http_problem(r, 409, "managed-by-provider", NULL,
                            "users of the identity provider cannot make API tokens: their "
                            "roles are only as current as their last sign-in (use a local "
                            "account for integrations)");
    }
    if (http_write_begin(r) < 0)
        return 0;
    rc = identity_token_create_for(st, &u, name, scope, expires, secret, sizeof(secret), &t, &err);
    sodium_memzero(&u, sizeof(u));
    if (rc == -EINVAL) {
        http_write_rollback(r);
        return http_problem(r, 422, "validation",
                            json_pack("[{s:s, s:s}]", "field",
                                      strncmp(err.msg, "name", 4) == 0 ? "name" : "scope", "detail",
                                      err.msg),
                            "%s", err.msg);
    }
    if (rc < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        sodium_memzero(secret, sizeof(secret));
        return r->replied ? 0 : http_problem_from(r, rc, &err);
    }
    body = token_json(&t, gh_now_us());
    json_object_set_new(body, "token", json_string(secret)); /* shown this once */
    sodium_memzero(secret, sizeof(secret));
    return reply_created(r, "tokens", t.id, body);
}

struct token_find {
    int64_t id;
    struct api_token t;
    bool found;
};

static int find_token(void *ctx, const struct api_token *t)
{
    struct token_find *f = ctx;
    if (t->id != f->id)
        return 0;
    f->t = *t;
    f->found = true;
    return 1;
}

HTTP_HANDLER(h_token_revoke)
{
    struct store *st = http_store(r);
    struct token_find f = {0};
    int rc;
    if (http_param_id(r, "id", &f.id) < 0)
        return 0;
    if ((rc = store_token_list(st, find_token, &f)) < 0)
        return http_problem_from(r, rc, NULL);
    if (!f.found || !may_manage(r, &f.t))
        return http_problem(r, 404, "not-found", NULL, "there is no token %lld", (long long)f.id);
    if (http_write_begin(r) < 0)
        return 0;
    rc = store_token_revoke(st, f.id, gh_now_us());
    if (rc == -ENOENT) {
        http_write_rollback(r);
        return http_problem(r, 409, "conflict", NULL, "token %s is already revoked", f.t.name);
    }
    if (rc < 0 || (rc = http_write_commit(r)) < 0) {
        http_write_rollback(r);
        return r->replied ? 0 : http_problem_from(r, rc, NULL);
    }
    return http_reply_empty(r, 204);
}
