/*
 * cmd_users.c: `gatehouse user add|set|list`: accounts that sign in to the console and the
 * API, their roles and local passwords (read from stdin, never from the command line,
 * where other users of the machine could see them).
 */
#include "cli/cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct user_opts {
    const char *roles, *display, *email;
    bool password_stdin, disable, enable, reset_mfa;
};

static int user_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct user_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 'r':
        o->roles = arg;
        break;
    case 'd':
        o->display = arg;
        break;
    case 'e':
        o->email = arg;
        break;
    case 'p':
        o->password_stdin = true;
        break;
    case 'D':
        o->disable = true;
        break;
    case 'E':
        o->enable = true;
        break;
    case 'M':
        o->reset_mfa = true;
        break;
    default:
        break;
    }
    return 0;
}

static const struct option user_opts_table[] = {{"roles", required_argument, NULL, 'r'},
                                                {"display-name", required_argument, NULL, 'd'},
                                                {"email", required_argument, NULL, 'e'},
                                                {"password-stdin", no_argument, NULL, 'p'},
                                                {"disable", no_argument, NULL, 'D'},
                                                {"enable", no_argument, NULL, 'E'},
                                                {"reset-mfa", no_argument, NULL, 'M'},
                                                {"help", no_argument, NULL, 'h'},
                                                {0}};

/* One line from stdin (at most 4 x the longest password in bytes), without its line end.
 * -1 on an empty or overlong input. The caller wipes buf. */
static int read_password(struct cli *c, char *buf, size_t len)
{
    size_t n;
    if (fgets(buf, (int)len, stdin) == NULL)
        return cli_error(c, "--password-stdin: no password on standard input"), -1;
    n = strcspn(buf, "\r\n");
    if (buf[n] == '\0' && n == len - 1)
        return cli_error(c, "--password-stdin: the password is too long"), -1;
    buf[n] = '\0';
    return 0;
}

static int cmd_user_add(struct cli *c, int argc, char **argv)
{
    struct user_opts o = {0};
    struct user u;
    struct gh_err err = {{0}};
    char pw[IDENTITY_PASSWORD_MAX * 4 + 2];
    int status;

    if (cli_parse(c, argc, argv, user_opts_table, user_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one user NAME");
    if (o.disable || o.enable || o.reset_mfa)
        return cli_usage_error(c, "--disable, --enable and --reset-mfa are for `user set`");
    memset(&u, 0, sizeof(u));
    u.source = USER_LOCAL;
    if (gh_strlcpy(u.name, argv[optind], sizeof(u.name)) >= sizeof(u.name) ||
        (o.display &&
         gh_strlcpy(u.display_name, o.display, sizeof(u.display_name)) >= sizeof(u.display_name)) ||
        (o.email && gh_strlcpy(u.email, o.email, sizeof(u.email)) >= sizeof(u.email)))
        return cli_usage_error(c, "a value is too long");
    if (o.password_stdin && read_password(c, pw, sizeof(pw)) < 0)
        return 1;
    if ((status = cli_open_store(c)) == 0 && store_begin_write(c->st) < 0)
        status = cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    if (status == 0 && identity_user_create(c->st, &u, o.roles ? o.roles : "",
                                            o.password_stdin ? pw : NULL, &err) < 0)
        status = cli_error(c, "%s", err.msg);
    if (status == 0)
        status = cli_commit(c); /* with its audit entry */
    if (status != 0 && c->st != NULL)
        store_rollback(c->st);
    sodium_memzero(pw, sizeof(pw));
    if (status == 0)
        printf("user %s added (roles: %s)%s\n", u.name, u.roles[0] ? u.roles : "none",
               u.password_hash[0] ? ""
                                  : "; no password yet: set one with `user set --password-stdin`");
    return status;
}

static int cmd_user_set(struct cli *c, int argc, char **argv)
{
    struct user_opts o = {0};
    struct user u;
    struct gh_err err = {{0}};
    char pw[IDENTITY_PASSWORD_MAX * 4 + 2];
    role_set roles;
    int status, r, ended = 0;

    if (cli_parse(c, argc, argv, user_opts_table, user_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one user NAME");
    if (o.disable && o.enable)
        return cli_usage_error(c, "--disable and --enable together");
    if ((status = cli_open_store(c)) != 0)
        return status;
    r = store_user_find(c->st, argv[optind], &u);
    if (r == -ENOENT)
        return cli_error(c, "there is no user named '%s'", argv[optind]);
    if (r < 0)
        return cli_error(c, "reading users: %s", store_errmsg(c->st));
    /* everything is checked before anything is written */
    if (o.roles) {
        if (role_set_parse(o.roles, &roles, &err) < 0)
            return cli_usage_error(c, "--roles: %s", err.msg);
        role_set_format(roles, u.roles, sizeof(u.roles));
    }
    if (o.display &&
        (gh_strlcpy(u.display_name, o.display, sizeof(u.display_name)) >= sizeof(u.display_name) ||
         (o.display[0] && model_check_name("display_name", o.display, &err) < 0)))
        return cli_usage_error(c, "--display-name: %s", err.msg[0] ? err.msg : "too long");
    if (o.email && (gh_strlcpy(u.email, o.email, sizeof(u.email)) >= sizeof(u.email) ||
                    model_check_email("email", o.email, &err) < 0))
        return cli_usage_error(c, "--email: %s", err.msg[0] ? err.msg : "too long");
    if (o.disable && u.disabled_us == 0)
        u.disabled_us = gh_now_us();
    if (o.enable)
        u.disabled_us = 0;
    u.updated_us = gh_now_us();
    if (o.password_stdin && read_password(c, pw, sizeof(pw)) < 0)
        return 1;
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    if (o.password_stdin)
        r = identity_user_set_password(c->st, &u, pw, &err);
    else
        r = store_user_update(c->st, &u, &err);
    sodium_memzero(pw, sizeof(pw));
    if (r == 0 && o.reset_mfa) /* a lost device: the user enrolls again at next sign-in */
        r = identity_mfa_reset(c->st, &u, &err);
    /* new roles, a disabled account, a new password or no MFA: every session starts again */
    if (r == 0 && (o.roles || o.disable || o.password_stdin || o.reset_mfa))
        r = store_session_end_user(c->st, u.id, gh_now_us(), &ended);
    if (r == 0 && cli_commit(c) != 0)
        r = gh_fail(&err, -EIO, "the change could not be committed with its audit entry");
    if (r < 0) {
        store_rollback(c->st);
        return cli_error(c, "%s", err.msg[0] ? err.msg : store_errmsg(c->st));
    }
    printf("user %s: roles %s, %s%s%s", u.name, u.roles[0] ? u.roles : "none",
           u.disabled_us ? "disabled" : "enabled", o.password_stdin ? ", password changed" : "",
           o.reset_mfa ? ", MFA removed" : "");
    if (ended > 0)
        printf(", %d session%s ended", ended, ended == 1 ? "" : "s");
    printf("\n");
    return 0;
}

static int print_user(void *ctx, const struct user *u)
{
    (void)ctx;
    printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)u->id, u->name, u->display_name,
           u->email, user_source_name(u->source), u->disabled_us ? "disabled" : "enabled",
           u->password_hash[0] ? "yes" : "no", u->totp_secret_len ? "totp" : "none", u->roles);
    return 0;
}

static int cmd_user_list(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    int status;
    if (cli_parse(c, argc, argv, opts, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\tdisplay name\temail\tsource\tstate\tpassword\tmfa\troles\n");
    return store_user_list(c->st, print_user, NULL) < 0 ? cli_error(c, "listing failed") : 0;
}

/* ---- sync from LDAP -------------------------------------------------------------------- */

struct dir_entry {
    char name[MODEL_NAME_MAX];
    struct identity_ldap_user u;
};

struct dir_list {
    struct dir_entry *v;
    size_t n, cap;
};

static int collect(void *ctx, const char *name, const struct identity_ldap_user *u)
{
    struct dir_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    gh_strlcpy(l->v[l->n].name, name, sizeof(l->v[0].name));
    l->v[l->n].u = *u;
    l->n++;
    return 0;
}

struct sync_state {
    struct cli *c;
    const struct dir_list *dir;
    int created, updated, disabled, skipped;
    int64_t now;
};

static const struct dir_entry *dir_find(const struct dir_list *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcasecmp(d->v[i].name, name) == 0)
            return &d->v[i];
    return NULL;
}

/* Local directory users the directory no longer lists are disabled (sessions end). */
static int sync_gone(void *ctx, const struct user *u)
{
    struct sync_state *s = ctx;
    struct user copy = *u;
    if (u->source != USER_LDAP || u->disabled_us != 0 || dir_find(s->dir, u->name) != NULL)
        return 0;
    copy.disabled_us = copy.updated_us = s->now;
    if (store_user_update(s->c->st, &copy, NULL) < 0 ||
        store_session_end_user(s->c->st, u->id, s->now, NULL) < 0)
        return -EIO;
    printf("disabled %s (no longer in the directory)\n", u->name);
    s->disabled++;
    return 0;
}

static int sync_one(struct sync_state *s, const struct dir_entry *e)
{
    struct user u;
    struct gh_err err = {{0}};
    char roles[STORE_USER_ROLES_MAX];
    int r = store_user_find(s->c->st, e->name, &u);
    role_set_format(e->u.roles, roles, sizeof(roles));
    if (r == -ENOENT) {
        memset(&u, 0, sizeof(u));
        u.source = USER_LDAP;
        gh_strlcpy(u.name, e->name, sizeof(u.name));
        if (model_check_name("display_name", e->u.display_name, NULL) == 0)
            gh_strlcpy(u.display_name, e->u.display_name, sizeof(u.display_name));
        if (model_check_email("email", e->u.email, NULL) == 0)
            gh_strlcpy(u.email, e->u.email, sizeof(u.email));
        if (identity_user_create(s->c->st, &u, roles, NULL, &err) < 0) {
            printf("skipped %s: %s\n", e->name, err.msg);
            s->skipped++;
            return 0;
        }
        printf("created %s (roles: %s)\n", u.name, roles[0] ? roles : "none");
        s->created++;
        return 0;
    }
    if (r < 0)
        return r;
    if (u.source != USER_LDAP) {
        printf("skipped %s: a %s account of that name exists\n", e->name,
               user_source_name(u.source));
        s->skipped++;
        return 0;
    }
    if (strcmp(u.roles, roles) != 0 ||
        (e->u.display_name[0] && strcmp(u.display_name, e->u.display_name) != 0) ||
        strcmp(u.email, e->u.email) != 0) {
        bool new_roles = strcmp(u.roles, roles) != 0;
        gh_strlcpy(u.roles, roles, sizeof(u.roles));
        if (model_check_name("display_name", e->u.display_name, NULL) == 0)
            gh_strlcpy(u.display_name, e->u.display_name, sizeof(u.display_name));
        if (model_check_email("email", e->u.email, NULL) == 0)
            gh_strlcpy(u.email, e->u.email, sizeof(u.email));
        u.updated_us = s->now;
        if ((r = store_user_update(s->c->st, &u, &err)) < 0 ||
            (new_roles && (r = store_session_end_user(s->c->st, u.id, s->now, NULL)) < 0))
            return r;
        printf("updated %s (roles: %s)\n", u.name, roles[0] ? roles : "none");
        s->updated++;
    }
    return 0;
}

struct sync_opts {
    const char *config;
    bool dry_run;
};

static int sync_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct sync_opts *o = ctx;
    (void)c;
    if (opt == 'c')
        o->config = arg;
    else if (opt == 'n')
        o->dry_run = true;
    return 0;
}

static int cmd_user_sync_ldap(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct sync_opts o = {NULL, false};
    struct http_config cfg;
    struct dir_list dir = {0};
    struct gh_err err = {{0}};
    struct sync_state s = {c, &dir, 0, 0, 0, 0, gh_now_us()};
    int status, r = 0;

    if (cli_parse(c, argc, argv, opts, sync_opt, &o, &status) != 0)
        return status;
    if (o.config == NULL)
        return cli_usage_error(c, "--config FILE (the server's, with an [ldap] section) is needed");
    http_config_init(&cfg);
    if (http_config_load(o.config, &cfg, &err) < 0)
        return cli_error(c, "%s", err.msg);
    if (cfg.ldap.url[0] == '\0')
        return cli_error(c, "%s has no [ldap] url", o.config);
    if (identity_ldap_list(&cfg.ldap, collect, &dir, &err) < 0) {
        status = cli_error(c, "%s", err.msg);
        goto out;
    }
    if ((status = cli_open_store(c)) != 0)
        goto out;
    if (store_begin_write(c->st) < 0) {
        status = cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
        goto out;
    }
    for (size_t i = 0; i < dir.n && r == 0; i++)
        r = sync_one(&s, &dir.v[i]);
    if (r == 0)
        r = store_user_list(c->st, sync_gone, &s);
    if (r < 0 || o.dry_run || cli_commit(c) != 0) {
        store_rollback(c->st);
        if (r < 0 || !o.dry_run) {
            status = cli_error(c, "sync failed, nothing changed: %s", store_errmsg(c->st));
            goto out;
        }
    }
    printf("%s%zu in the directory: %d created, %d updated, %d disabled, %d skipped\n",
           o.dry_run ? "dry run (nothing changed): " : "", dir.n, s.created, s.updated, s.disabled,
           s.skipped);
out:
    http_config_wipe(&cfg);
    sodium_memzero(dir.v, dir.n * sizeof(*dir.v));
    free(dir.v);
    return status;
}

static int roles_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    (void)c;
    (void)arg;
    if (opt == 'j')
        *(bool *)ctx = true;
    return 0;
}

/* The role table as the server applies it (src/identity/role.c): for tools and tests. */
static int cmd_roles(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
    bool as_json = false;
    int status;
    if (cli_parse(c, argc, argv, opts, roles_opt, &as_json, &status) != 0)
        return status;
    if (as_json)
        return cli_print_json(c, identity_roles_json());
    for (int r = 0; r < ROLE_COUNT; r++) {
        char perms[STORE_TOKEN_SCOPES_MAX];
        perm_scope_format(role_perms((enum role)r), perms, sizeof(perms));
        printf("%-18s %s%s\n  %s\n", role_name((enum role)r), role_summary((enum role)r),
               identity_mfa_required(ROLE_BIT(r)) ? " (MFA required)" : "", perms);
    }
    return 0;
}

const struct cli_command cli_user_commands[] = {
    {"user", "add", cmd_user_add, "Add a user who signs in to the console and the API.",
     "NAME [--roles ROLE,...] [--display-name TEXT] [--email ADDRESS] [--password-stdin]\n"
     "ROLE: admin, security_operator, security_viewer, it_admin, hr, facilities, legal,\n"
     "finance, communications, auditor (docs/operations.md says what each may do).\n"
     "--password-stdin reads the password from the first line of standard input."},
    {"user", "set", cmd_user_set, "Change a user: roles, name details, password, enabled.",
     "NAME [--roles ROLE,... (replacing all)] [--display-name TEXT] [--email ADDRESS]\n"
     "[--password-stdin] [--disable | --enable] [--reset-mfa (a lost device: enroll again)]"},
    {"user", "list", cmd_user_list, "List users (never their passwords).", ""},
    {"user", "sync-ldap", cmd_user_sync_ldap,
     "Bring the users from LDAP in: create, update roles, disable those gone.",
     "--config FILE (the server's configuration, with its [ldap] section) [--dry-run]\n"
     "Users are otherwise created at their first sign-in; a local account of the same name\n"
     "is never touched."},
    {"roles", NULL, cmd_roles, "Print the roles and the permissions each grants.", "[--json]"},
    {NULL, NULL, NULL, NULL, NULL}};
