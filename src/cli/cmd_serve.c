/*
 * cmd_serve.c: `gatehouse serve` (the server: configuration from a file and flags, then
 * run until SIGTERM or SIGINT), `gatehouse token create|list|revoke` (API tokens) and
 * `gatehouse routes` (the route table, as text or JSON, for tools and the contract test).
 */
#include "cli/cli.h"

#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- serve ------------------------------------------------------------------------------- */

struct serve_opts {
    const char *config;
    const char *data;
    bool check_only;
    /* flags applied over the file: section, key, value */
    struct {
        const char *section, *key, *value;
    } sets[32];
    int n_sets;
};

static int add_set(struct cli *c, struct serve_opts *o, const char *section, const char *key,
                   const char *value)
{
    if (o->n_sets == (int)GH_ARRAY_LEN(o->sets))
        return cli_usage_error(c, "too many settings");
    o->sets[o->n_sets].section = section;
    o->sets[o->n_sets].key = key;
    o->sets[o->n_sets].value = value;
    o->n_sets++;
    return 0;
}

/* --set SECTION.KEY=VALUE: any configuration key from the command line. */
static int add_set_arg(struct cli *c, struct serve_opts *o, char *arg)
{
    char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
    if (dot == NULL || eq == NULL || eq < dot)
        return cli_usage_error(c, "--set expects SECTION.KEY=VALUE (e.g. limits.max_body=2m)");
    *dot = '\0';
    *eq = '\0';
    return add_set(c, o, arg, dot + 1, eq + 1);
}

static int serve_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct serve_opts *o = ctx;
    switch (opt) {
    case 'c':
        o->config = arg;
        return 0;
    case 'D':
        o->data = arg;
        return 0;
    case 'l':
        return add_set(c, o, "server", "listen", arg);
    case 'C':
        return add_set(c, o, "tls", "cert", arg);
    case 'K':
        return add_set(c, o, "tls", "key", arg);
    case 'p':
        return add_set(c, o, "server", "plain_http", "true");
    case 't':
        return add_set(c, o, "server", "threads", arg);
    case 'k':
        o->check_only = true;
        return 0;
    case 's':
        return add_set_arg(c, o, (char *)arg);
    default:
        return 0;
    }
}

static int load_config(struct cli *c, struct serve_opts *o, struct http_config *cfg)
{
    struct gh_err err = {{0}};
    http_config_init(cfg);
    gh_strlcpy(cfg->data_dir, c->data_dir, sizeof(cfg->data_dir));
    if (o->config != NULL && http_config_load(o->config, cfg, &err) < 0)
        return cli_error(c, "%s", err.msg);
    /* --data (global or here) beats the file; the file beats the default */
    if (o->data != NULL)
        gh_strlcpy(cfg->data_dir, o->data, sizeof(cfg->data_dir));
    else if (c->data_explicit || o->config == NULL || cfg->data_dir[0] == '\0')
        gh_strlcpy(cfg->data_dir, c->data_dir, sizeof(cfg->data_dir));
    for (int i = 0; i < o->n_sets; i++) {
        if (http_config_set(cfg, o->sets[i].section, o->sets[i].key, o->sets[i].value, &err) < 0)
            return cli_usage_error(c, "%s", err.msg);
    }
    if (http_config_check(cfg, &err) < 0)
        return cli_error(c, "%s", err.msg);
    return 0;
}

static int cmd_serve(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"data", required_argument, NULL, 'D'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"tls-cert", required_argument, NULL, 'C'},
                                         {"tls-key", required_argument, NULL, 'K'},
                                         {"plain-http", no_argument, NULL, 'p'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"check-config", no_argument, NULL, 'k'},
                                         {"set", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct serve_opts o;
    struct http_config cfg;
    struct http_server *srv = NULL;
    struct gh_err err = {{0}};
    sigset_t set;
    int status, sig = 0;

    memset(&o, 0, sizeof(o));
    if (cli_parse(c, argc, argv, opts, serve_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if ((status = load_config(c, &o, &cfg)) != 0)
        return status;
    if (o.check_only) {
        printf("configuration OK: data %s, listen %s port %u, %s, %u threads\n", cfg.data_dir,
               cfg.listen_addr, cfg.port, cfg.plain_http ? "plain HTTP (loopback only)" : "TLS",
               cfg.threads);
        http_config_wipe(&cfg);
        return 0;
    }

    /* every thread inherits this mask; the main thread takes the signals with sigwait */
    cli_block_stop_signals(&set);

    log_set_level(LOG_INFO);
    status = http_server_start(&cfg, &srv, &err);
    http_config_wipe(&cfg); /* the server holds its own copy */
    if (status < 0)
        return cli_error(c, "%s", err.msg);
    printf("gatehouse: serving %s://%s%s%s:%u (data %s)\n", cfg.plain_http ? "http" : "https",
           strchr(cfg.listen_addr, ':') ? "[" : "", cfg.listen_addr,
           strchr(cfg.listen_addr, ':') ? "]" : "", http_server_port(srv), cfg.data_dir);
    fflush(stdout);
    sigwait(&set, &sig);
    log_info("%s: stopping (in-flight requests finish, events are flushed)",
             sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_stop(srv);
    return 0;
}

/* ---- tokens ------------------------------------------------------------------------------- */

struct token_opts {
    const char *name, *scope, *expires;
};

static int token_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct token_opts *o = ctx;
    (void)c;
    if (opt == 'n')
        o->name = arg;
    else if (opt == 's')
        o->scope = arg;
    else if (opt == 'e')
        o->expires = arg;
    return 0;
}

static int cmd_token_create(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"scope", required_argument, NULL, 's'},
                                         {"expires", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct token_opts o = {0};
    struct gh_err err = {{0}};
    char token[IDENTITY_TOKEN_LEN];
    int64_t expires = GH_TIME_MAX, dur;
    int status;

    if (cli_parse(c, argc, argv, opts, token_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (o.name == NULL || o.scope == NULL)
        return cli_usage_error(c, "--name NAME and --scope SCOPE are required");
    if (o.expires != NULL) {
        if (gh_parse_duration(o.expires, &dur, &err) < 0 || dur <= 0)
            return cli_usage_error(c, "--expires: %s",
                                   err.msg[0] ? err.msg : "must be a positive duration");
        expires = gh_now_us() + dur;
    }
    if ((status = cli_open_store(c)) != 0)
        return status;
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    if (identity_token_create(c->st, o.name, o.scope, expires, token, sizeof(token), NULL, &err) <
        0) {
        store_rollback(c->st);
        return cli_error(c, "%s", err.msg);
    }
    if ((status = cli_commit(c)) != 0) { /* with its audit entry */
        store_rollback(c->st);
        sodium_memzero(token, sizeof(token));
        return status;
    }
    /* the token alone on stdout, for $(gatehouse token create ...) */
    printf("%s\n", token);
    fflush(stdout);
    sodium_memzero(token, sizeof(token));
    return 0;
}

static int print_token(void *ctx, const struct api_token *t)
{
    char created[GH_ISO_LEN], expires[GH_ISO_LEN];
    int64_t now = *(const int64_t *)ctx;
    const char *state = t->revoked_us ? "revoked" : now >= t->expires_us ? "expired" : "active";
    gh_format_iso(t->created_us, created);
    if (t->expires_us == GH_TIME_MAX)
        gh_strlcpy(expires, "never", sizeof(expires));
    else
        gh_format_iso(t->expires_us, expires);
    printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)t->id, t->name, state, created, expires,
           t->scopes);
    return 0;
}

static int cmd_token_list(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    int64_t now = gh_now_us();
    int status;
    if (cli_parse(c, argc, argv, opts, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\tstate\tcreated\texpires\tscope\n");
    return store_token_list(c->st, print_token, &now) < 0 ? cli_error(c, "listing failed") : 0;
}

static int cmd_token_revoke(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    struct api_token t;
    int status, r;
    if (cli_parse(c, argc, argv, opts, cli_no_opts, NULL, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one token NAME");
    if ((status = cli_open_store(c)) != 0)
        return status;
    r = store_token_find(c->st, argv[optind], &t);
    if (r == -ENOENT)
        return cli_error(c, "there is no token named '%s'", argv[optind]);
    if (r < 0)
        return cli_error(c, "reading tokens: %s", store_errmsg(c->st));
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    r = store_token_revoke(c->st, t.id, gh_now_us());
    if (r < 0)
        store_rollback(c->st);
    if (r == -ENOENT)
        return cli_error(c, "token '%s' is already revoked", t.name);
    if (r < 0)
        return cli_error(c, "revoking: %s", store_errmsg(c->st));
    if ((status = cli_commit(c)) != 0) { /* with its audit entry */
        store_rollback(c->st);
        return status;
    }
    printf("token %s revoked\n", t.name);
    return 0;
}

/* ---- routes ------------------------------------------------------------------------------- */

static int routes_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    (void)c;
    (void)arg;
    if (opt == 'j')
        *(bool *)ctx = true;
    return 0;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int cmd_routes(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
    bool as_json = false;
    int status;
    json_t *all;
    if (cli_parse(c, argc, argv, opts, routes_opt, &as_json, &status) != 0)
        return status;
    all = json_array();
    for (size_t i = 0; i < http_route_count(); i++) {
        struct http_route_info ri;
        http_route_get(i, &ri);
        if (!as_json) {
            printf("%-7s %-45s %s\n", ri.method, ri.pattern, ri.perm);
            continue;
        }
        json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "method", ri.method,
                                             "pattern", ri.pattern, "perm", ri.perm, "request",
                                             str_or_null(ri.request), "response",
                                             str_or_null(ri.response), "summary", ri.summary));
    }
    if (as_json)
        return cli_print_json(c, all);
    json_decref(all);
    return 0;
}

const struct cli_command cli_serve_commands[] = {
    {"serve", NULL, cmd_serve,
     "Run the server: the HTTP API over TLS, live events, health and metrics.",
     "[--config FILE] [--data DIR] [--listen ADDR:PORT (127.0.0.1:8443)]\n"
     "[--tls-cert FILE --tls-key FILE (default DATA/tls/cert.pem, key.pem)]\n"
     "[--plain-http (only on a loopback address)] [--threads N]\n"
     "[--set SECTION.KEY=VALUE (any key of the configuration file)]\n"
     "[--check-config (check the configuration and exit)]\n"
     "Flags override the configuration file; see docs/operations.md."},
    {"token", "create", cmd_token_create,
     "Create an API token; prints the token alone (it is stored only as a hash).",
     "--name NAME --scope SCOPE [--expires DURATION (e.g. 90d)]\n"
     "SCOPE: permission names separated by commas (doors.read,events.read), GROUP.*\n"
     "(events.*), read (every .read permission) or * (everything)."},
    {"token", "list", cmd_token_list, "List API tokens (never the tokens themselves).", ""},
    {"token", "revoke", cmd_token_revoke, "Revoke an API token at once.", "NAME"},
    {"routes", NULL, cmd_routes, "Print the HTTP route table.", "[--json]"},
    {NULL, NULL, NULL, NULL, NULL}};
