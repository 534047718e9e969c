/*
 * user.c: user accounts: the checks of a new account (sign-in name, display name, e-mail,
 * roles), setting a password under the policy, and reading a user's roles.
 */
#include "identity/identity_int.h"

#include <sodium.h>
#include <string.h>

int identity_user_name_check(const char *name, struct gh_err *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return gh_fail(err, -EINVAL, "name: must be 1 to 64 characters");
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
          (name[0] >= '0' && name[0] <= '9')))
        return gh_fail(err, -EINVAL, "name: must start with a letter or a digit");
    if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") != n)
        return gh_fail(err, -EINVAL,
                       "name: only letters, digits and . _ @ - are allowed (found '%c')",
                       name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789._@-")]);
    return 0;
}

role_set identity_user_roles(const struct user *u)
{
    role_set set = 0;
    return role_set_parse(u->roles, &set, NULL) == 0 ? set : 0;
}

/* Policy and hash of a new password for u, into u (not saved). */
static int new_password(struct user *u, const char *password, struct gh_err *err)
{
    const char *words[] = {u->name, u->display_name, u->email, NULL};
    char hash[IDENTITY_HASH_MAX];
    int r;
    if (u->source != USER_LOCAL)
        return gh_fail(err, -EINVAL, "password: %s users sign in through %s, not a password",
                       user_source_name(u->source), user_source_name(u->source));
    /* without MFA the longer minimum applies */
    if ((r = identity_password_policy(password, u->totp_secret_len > 0, words, err)) < 0) {
        gh_err_prefix(err, "password");
        return r;
    }
    if ((r = identity_password_hash(password, hash, err)) < 0)
        return r;
    gh_strlcpy(u->password_hash, hash, sizeof(u->password_hash));
    sodium_memzero(hash, sizeof(hash));
    u->password_changed_us = gh_now_us();
    return 0;
}

int identity_user_create(struct store *st, struct user *u, const char *roles, const char *password,
                         struct gh_err *err)
{
    role_set set;
    int r;
    if ((r = identity_user_name_check(u->name, err)) < 0)
        return r;
    if (u->display_name[0] != '\0' &&
        (r = model_check_name("display_name", u->display_name, err)) < 0)
        return r;
    if ((r = model_check_email("email", u->email, err)) < 0)
        return r;
    if ((r = role_set_parse(roles, &set, err)) < 0) {
        gh_err_prefix(err, "roles");
        return r;
    }
    if ((r = role_set_format(set, u->roles, sizeof(u->roles))) < 0)
        return gh_fail(err, r, "roles: too many");
    u->password_hash[0] = '\0';
    u->password_changed_us = 0;
    if (password != NULL && (r = new_password(u, password, err)) < 0)
        return r;
    u->created_us = u->updated_us = gh_now_us();
    u->disabled_us = 0;
    return store_user_insert(st, u, err);
}

int identity_user_set_password(struct store *st, struct user *u, const char *password,
                               struct gh_err *err)
{
    int r = new_password(u, password, err);
    if (r < 0)
        return r;
    u->updated_us = gh_now_us();
    return store_user_update(st, u, err);
}

/* ---- the first administrator ----------------------------------------------------------- */

int identity_setup_token_create(struct store *st, int64_t now_us, char out[IDENTITY_TOKEN_LEN],
                                struct gh_err *err)
{
    char hash[65];
    size_t plen = strlen(IDENTITY_SETUP_PREFIX);
    int r;
    memcpy(out, IDENTITY_SETUP_PREFIX, plen);
    id_random_b64(out + plen, IDENTITY_TOKEN_LEN - plen);
    id_secret_hash_hex(out, strlen(out), hash);
    if ((r = store_setup_insert(st, hash, now_us, now_us + IDENTITY_SETUP_TTL_US)) < 0) {
        sodium_memzero(out, IDENTITY_TOKEN_LEN);
        return gh_fail(err, r, "cannot store the setup token: %s", store_errmsg(st));
    }
    return 0;
}

static int find_admin(void *ctx, const struct user *u)
{
    if (u->disabled_us == 0 && (identity_user_roles(u) & ROLE_BIT(ROLE_ADMIN))) {
        *(bool *)ctx = true;
        return 1; /* stop */
    }
    return 0;
}

bool identity_admin_exists(struct store *st)
{
    bool found = false;
    if (store_user_list(st, find_admin, &found) < 0)
        return true; /* cannot tell: refuse the setup path */
    return found;
}

int identity_setup_admin(struct store *st, const char *token, struct user *u, const char *password,
                         int64_t now_us, struct gh_err *err)
{
    char hash[65];
    if (strncmp(token, IDENTITY_SETUP_PREFIX, strlen(IDENTITY_SETUP_PREFIX)) != 0 ||
        strlen(token) != IDENTITY_TOKEN_LEN - 1)
        return gh_fail(err, -EACCES, "not a setup token");
    if (identity_admin_exists(st))
        return gh_fail(err, -EACCES, "an administrator exists already");
    id_secret_hash_hex(token, strlen(token), hash);
    if (store_setup_use(st, hash, now_us) < 0)
        return gh_fail(err, -EACCES, "the setup token is unknown, used or expired");
    u->source = USER_LOCAL;
    return identity_user_create(st, u, "admin", password, err);
}

perm_set identity_user_perms(const struct user *u)
{
    if (u->disabled_us != 0 || identity_mfa_missing(u))
        return 0;
    return role_set_perms(identity_user_roles(u));
}
