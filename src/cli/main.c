/*
 * main.c: the gatehouse command line. Finds the command in the command tables of the
 * groups (policy, people, ops, sim), sets up the shared context (data dir) and runs it.
 * Also the helpers every command uses: messages, option parsing, the data dir and its
 * keys, and resolving names or ids given on the command line.
 *
 * Usage: gatehouse [--data DIR] GROUP VERB [options] | gatehouse [--data DIR] COMMAND ...
 */
#include "cli/cli.h"

#include "audit/audit.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct cli_command *const command_tables[] = {
    cli_policy_commands, cli_people_commands, cli_ops_commands,  cli_sim_commands,
    cli_serve_commands,  cli_user_commands,   cli_edge_commands, cli_audit_commands,
    cli_rules_commands};

static const struct cli_command *current_cmd;

int cli_print_json(struct cli *c, json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(1));
    json_decref(v);
    if (text == NULL)
        return cli_error(c, "out of memory");
    puts(text);
    free(text);
    return 0;
}

int cli_error(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "gatehouse: %s%s", c->cmd_name ? c->cmd_name : "", c->cmd_name ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_FAILURE;
}

int cli_usage_error(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "gatehouse: %s%s", c->cmd_name ? c->cmd_name : "", c->cmd_name ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'gatehouse %s --help')\n", c->cmd_name ? c->cmd_name : "");
    return EXIT_USAGE;
}

int cli_help(struct cli *c)
{
    const struct cli_command *cmd = current_cmd;
    if (cmd == NULL)
        return 0;
    printf("usage: gatehouse [--data DIR] %s%s%s %s\n\n%s\n", cmd->group, cmd->verb ? " " : "",
           cmd->verb ? cmd->verb : "", cmd->usage[0] == '[' || cmd->usage[0] == '-' ? "" : "",
           cmd->summary);
    if (cmd->usage[0] != '\0')
        printf("\n%s\n", cmd->usage);
    (void)c;
    return 0;
}

int cli_parse(struct cli *c, int argc, char **argv, const struct option *opts, cli_opt_fn fn,
              void *ctx, int *status)
{
    char shortopts[128];
    size_t n = 0;
    int opt;

    shortopts[n++] = ':'; /* missing arguments reported as ':' */
    for (const struct option *o = opts; o->name && n + 3 < sizeof(shortopts); o++) {
        if (o->flag == NULL && o->val > 0 && o->val < 128) {
            shortopts[n++] = (char)o->val;
            if (o->has_arg == required_argument)
                shortopts[n++] = ':';
        }
    }
    shortopts[n] = '\0';
    optind = 0; /* full reset (glibc) */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        int r;
        if (opt == 'h') {
            *status = cli_help(c);
            return 1;
        }
        if (opt == '?') {
            /* optopt is 0 for an unknown long option (optind is past it); a known option's
             * letter for a long option given a value it does not take; else the unknown
             * letter, whose argument optind may not have passed yet ("-2x"). */
            if (optopt == 0)
                *status = cli_usage_error(c, "unknown option '%s'", argv[optind - 1]);
            else if (optopt < 128 && optopt != ':' && strchr(shortopts + 1, optopt) != NULL)
                *status = cli_usage_error(c, "option '%s' takes no value", argv[optind - 1]);
            else if (optopt > ' ' && optopt < 127)
                *status = cli_usage_error(c, "unknown option '-%c'", optopt);
            else
                *status =
                    cli_usage_error(c, "unknown option (byte 0x%02x)", (unsigned)optopt & 0xffu);
            return -1;
        }
        if (opt == ':') {
            *status = cli_usage_error(c, "option '%s' needs a value", argv[optind - 1]);
            return -1;
        }
        r = fn(c, ctx, opt, optarg);
        if (r != 0) {
            *status = r;
            return -1;
        }
    }
    *status = 0;
    return 0;
}

int cli_no_opts(struct cli *c, void *ctx, int opt, const char *arg)
{
    (void)ctx;
    (void)opt;
    (void)arg;
    return cli_usage_error(c, "this command takes no options");
}

int cli_db_path(struct cli *c, char *buf, size_t len)
{
    return gh_snprintf(buf, len, "%s/gatehouse.db", c->data_dir);
}

int cli_open_store(struct cli *c)
{
    char path[4096];
    struct gh_err err = {{0}};
    struct stat sb;
    int r;
    if (cli_db_path(c, path, sizeof(path)) < 0)
        return cli_error(c, "data dir path too long");
    if (stat(path, &sb) != 0)
        return cli_error(c, "%s is not an initialized data dir (run 'gatehouse init --data %s')",
                         c->data_dir, c->data_dir);
    r = store_open(path, 0, &c->st, &err);
    if (r < 0)
        return cli_error(c, "%s", err.msg);
    store_track_changes(c->st, true); /* the audit entries' before and after */
    return 0;
}

void cli_block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* Options whose value is never written to the audit log. */
static bool secret_option(const char *arg)
{
    static const char *const names[] = {"--pin", "--password", "--token", "--secret"};
    for (size_t i = 0; i < GH_ARRAY_LEN(names); i++)
        if (strcmp(arg, names[i]) == 0 ||
            (strncmp(arg, names[i], strlen(names[i])) == 0 && arg[strlen(names[i])] == '='))
            return true;
    return false;
}

void cli_local_user(char who[MODEL_NAME_MAX])
{
    struct passwd *pw = getpwuid(getuid());
    gh_snprintf(who, MODEL_NAME_MAX, "local:%s", pw ? pw->pw_name : "?");
}

/* The audit entry of this command: the local user, the command, its arguments (secret
 * options' values left out) and the outcome, if any. */
static json_t *local_entry(const char *action, json_t *args)
{
    char who[MODEL_NAME_MAX];
    cli_local_user(who);
    return json_pack("{s:s, s:s, s:s, s:o}", "who", who, "auth", "local", "action", action, "args",
                     args);
}

static int record(struct cli *c, const char *outcome)
{
    json_t *e, *args = json_array();
    struct gh_err err = {{0}};
    uint64_t idx;

    for (int i = 1; i < c->argc; i++) {
        bool hide = i > 1 && secret_option(c->argv[i - 1]) && strchr(c->argv[i - 1], '=') == NULL;
        if (secret_option(c->argv[i]) && strchr(c->argv[i], '=') != NULL)
            json_array_append_new(args, json_string("(not recorded)"));
        else
            json_array_append_new(args, json_string(hide ? "(not recorded)" : c->argv[i]));
    }
    e = local_entry(c->cmd_name, args);
    if (e != NULL && outcome != NULL)
        json_object_set_new(e, "outcome", json_string(outcome));
    if (audit_record(c->st, e, gh_now_us(), &idx, &err) < 0)
        return cli_error(c, "%s", err.msg);
    if (store_commit(c->st) < 0)
        return cli_error(c, "commit failed: %s", store_errmsg(c->st));
    return 0;
}

int cli_commit(struct cli *c)
{
    return record(c, NULL);
}

int cli_audit_read(struct cli *c, const char *outcome)
{
    int status;
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot record this read in the audit log: %s", store_errmsg(c->st));
    if ((status = record(c, outcome)) != 0)
        store_rollback(c->st);
    return status;
}

int cli_load_site_key(struct cli *c, uint8_t key[ACCESS_SITE_KEY_LEN])
{
    char path[4096];
    struct gh_err err = {{0}};
    if (gh_snprintf(path, sizeof(path), "%s/keys/site.key", c->data_dir) < 0)
        return cli_error(c, "data dir path too long");
    if (access_site_key_load(path, key, &err) < 0)
        return cli_error(c, "%s", err.msg);
    return 0;
}

static int write_key_file(const char *path, struct gh_err *err)
{
    uint8_t key[ACCESS_SITE_KEY_LEN];
    int fd, r = 0;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return gh_fail(err, -errno, "%s: cannot create: %s", path, strerror(errno));
    randombytes_buf(key, sizeof(key));
    if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) != 0)
        r = gh_fail(err, -EIO, "%s: cannot write: %s", path, strerror(errno));
    sodium_memzero(key, sizeof(key));
    if (close(fd) != 0 && r == 0)
        r = gh_fail(err, -EIO, "%s: cannot write: %s", path, strerror(errno));
    return r;
}

/* Whether dir has entries other than . and .. (-1 if it cannot be read). */
static int dir_has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            found = 1;
    closedir(d);
    return found;
}

/* DATA/tls/{cert,key}.pem: a self-signed certificate for this host (see http_tls_generate). */
static int make_tls_files(const char *dir, struct gh_err *err)
{
    char tls[4096], cert[4200], key[4200], host[256];
    if (gh_snprintf(tls, sizeof(tls), "%s/tls", dir) < 0 ||
        gh_snprintf(cert, sizeof(cert), "%s/cert.pem", tls) < 0 ||
        gh_snprintf(key, sizeof(key), "%s/key.pem", tls) < 0)
        return gh_fail(err, -ENAMETOOLONG, "%s: path too long", dir);
    if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
        gh_strlcpy(host, "localhost", sizeof(host));
    host[sizeof(host) - 1] = '\0';
    if (mkdir(tls, 0700) != 0)
        return gh_fail(err, -errno, "%s: cannot create: %s", tls, strerror(errno));
    if (http_tls_generate(cert, key, host, err) < 0) {
        rmdir(tls);
        return -EIO;
    }
    return 0;
}

/* The audit log's first entry: the data dir was made. */
static int record_init(struct store *st, const char *dir, struct gh_err *err)
{
    json_t *e = local_entry("init", json_pack("[s]", dir));
    uint64_t idx;
    int r;
    json_object_set_new(e, "outcome", json_string("data dir created"));
    if (store_begin_write(st) < 0) {
        json_decref(e);
        return gh_fail(err, -EIO, "%s: cannot record its creation in the audit log: %s",
                       store_path(st), store_errmsg(st));
    }
    if ((r = audit_record(st, e, gh_now_us(), &idx, err)) == 0 && store_commit(st) < 0)
        r = gh_fail(err, -EIO, "%s: cannot record its creation in the audit log: %s",
                    store_path(st), store_errmsg(st));
    store_rollback(st);
    return r;
}

int cli_init_data_dir(const char *dir, struct gh_err *err)
{
    char path[4096], keys[4096], key[4096];
    struct store *st = NULL;
    struct stat sb;
    int r;

    if (gh_snprintf(path, sizeof(path), "%s/gatehouse.db", dir) < 0 ||
        gh_snprintf(keys, sizeof(keys), "%s/keys", dir) < 0 ||
        gh_snprintf(key, sizeof(key), "%s/keys/site.key", dir) < 0)
        return gh_fail(err, -ENAMETOOLONG, "%s: path too long", dir);
    if (stat(path, &sb) == 0)
        return gh_fail(err, -EEXIST, "%s is already initialized", dir);
    if (mkdir(dir, 0700) != 0) {
        if (errno != EEXIST)
            return gh_fail(err, -errno, "%s: cannot create the data dir: %s", dir, strerror(errno));
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return gh_fail(err, -ENOTDIR, "%s: exists and is not a directory", dir);
        /* An existing directory is used only when empty: never chmod or fill a directory
         * that holds other things (think --data /tmp). */
        r = dir_has_entries(dir);
        if (r != 0)
            return gh_fail(err, -EEXIST, "%s: exists and is not empty; use a new directory", dir);
        if (chmod(dir, 0700) != 0)
            return gh_fail(err, -errno, "%s: cannot make it private: %s", dir, strerror(errno));
    }
    /* The key first: a data dir with a database always has its key. */
    if (mkdir(keys, 0700) != 0)
        return gh_fail(err, -errno, "%s: cannot create: %s", keys, strerror(errno));
    r = write_key_file(key, err);
    if (r == 0 && (r = store_open(path, STORE_CREATE, &st, err)) == 0) {
        r = record_init(st, dir, err);
        store_close(st);
    }
    if (r == 0)
        r = make_tls_files(dir, err);
    if (r == 0) { /* custom rules (docs/rules.md): read by the server */
        char rules[4096];
        if (gh_snprintf(rules, sizeof(rules), "%s/rules", dir) < 0 ||
            (mkdir(rules, 0700) != 0 && errno != EEXIST))
            r = gh_fail(err, -EIO, "%s/rules: cannot create", dir);
    }
    if (r < 0) { /* leave nothing half made behind */
        unlink(path);
        unlink(key);
        rmdir(keys);
        return r;
    }
    (void)chmod(path, 0600);
    return 0;
}

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Shared shape of the *_ref helpers: the text is a name first (names may be all digits,
 * like room numbers); only when no row has that name is an all-digit text a row id. */
#define REF_FUNC(fname, type, get, find, what)                                                     \
    int fname(struct cli *c, const char *opt, const char *s, int64_t *id)                          \
    {                                                                                              \
        type row;                                                                                  \
        int r = find(c->st, s, &row);                                                              \
        if (r == -ENOENT && all_digits(s)) {                                                       \
            int64_t v;                                                                             \
            r = gh_parse_i64(s, 1, INT64_MAX, &v);                                                 \
            r = r == 0 ? get(c->st, v, &row) : -ENOENT;                                            \
        }                                                                                          \
        if (r == -ENOENT)                                                                          \
            return cli_error(c, "%s: no %s '%s'", opt, what, s);                                   \
        if (r < 0)                                                                                 \
            return cli_error(c, "%s: %s", opt, store_errmsg(c->st));                               \
        *id = row.id;                                                                              \
        return 0;                                                                                  \
    }

REF_FUNC(cli_site_ref, struct site, store_site_get, store_site_find, "site")
REF_FUNC(cli_area_ref, struct area, store_area_get, store_area_find, "area")
REF_FUNC(cli_door_ref, struct door, store_door_get, store_door_find, "door")
REF_FUNC(cli_schedule_ref, struct schedule, store_schedule_get, store_schedule_find, "schedule")
REF_FUNC(cli_level_ref, struct access_level, store_level_get, store_level_find, "access level")

/* People are named by employee id (which may be all digits), never by row id. */
int cli_person_ref(struct cli *c, const char *opt, const char *s, int64_t *id)
{
    struct person p;
    int r = store_person_find(c->st, s, &p);
    if (r == -ENOENT)
        return cli_error(c, "%s: no person with employee id '%s'", opt, s);
    if (r < 0)
        return cli_error(c, "%s: %s", opt, store_errmsg(c->st));
    *id = p.id;
    return 0;
}

int cli_calendar_ref(struct cli *c, const char *opt, const char *s, int64_t *id)
{
    struct holiday_calendar cal;
    int r = store_calendar_find(c->st, s, &cal);
    if (r == -ENOENT)
        return cli_error(c, "%s: no holiday calendar '%s'", opt, s);
    if (r < 0)
        return cli_error(c, "%s: %s", opt, store_errmsg(c->st));
    *id = cal.id;
    return 0;
}

int cli_card_parse(struct cli *c, const char *opt, const char *s, struct wiegand_card *out)
{
    struct gh_err err = {{0}};
    if (wiegand_card_parse(s, out, &err) < 0)
        return cli_usage_error(c, "%s: %s", opt, err.msg);
    return 0;
}

int cli_time_parse(struct cli *c, const char *opt, const char *s, int64_t *out)
{
    struct gh_err err = {{0}};
    if (strcmp(s, "now") == 0) {
        *out = gh_now_us();
        return 0;
    }
    if (gh_parse_time(s, NULL, out, &err) < 0)
        return cli_usage_error(c, "%s: %s", opt, err.msg);
    return 0;
}

int cli_int_parse(struct cli *c, const char *opt, const char *s, int64_t min, int64_t max,
                  int64_t *out)
{
    if (gh_parse_i64(s, min, max, out) < 0)
        return cli_usage_error(c, "%s: '%s' is not a whole number from %lld to %lld", opt, s,
                               (long long)min, (long long)max);
    return 0;
}

int cli_log_event(struct cli *c, enum event_type type, int64_t person_id, int64_t cred_id,
                  json_t *payload)
{
    struct event ev;
    int r = event_make(&ev, type, 0, person_id, cred_id, payload);
    if (r < 0)
        return cli_error(c, "building the %s event: %s", event_type_name(type), gh_strerror(r));
    if (store_event_append(c->st, &ev) < 0)
        return cli_error(c, "writing the event log: %s", store_errmsg(c->st));
    return 0;
}

int cli_check_policy(struct cli *c)
{
    struct access_snapshot *snap = NULL;
    struct gh_err err = {{0}};
    int r = access_compile(c->st, NULL, &snap, &err);
    access_snapshot_free(snap);
    if (r < 0)
        return cli_error(c, "the policy no longer compiles: %s", err.msg);
    return 0;
}

static void print_overview(void)
{
    printf("usage: gatehouse [--data DIR] COMMAND [options]\n\n"
           "gatehouse: unified physical security. Commands:\n\n");
    for (size_t t = 0; t < GH_ARRAY_LEN(command_tables); t++) {
        for (const struct cli_command *cmd = command_tables[t]; cmd->group; cmd++) {
            char name[64];
            snprintf(name, sizeof(name), "%s%s%s", cmd->group, cmd->verb ? " " : "",
                     cmd->verb ? cmd->verb : "");
            printf("  %-20s %s\n", name, cmd->summary);
        }
    }
    printf("\nEvery command takes --data DIR (default $GATEHOUSE_DATA, else ./gatehouse-data)\n"
           "and --help. Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const struct cli_command *find_command(const char *group, const char *verb,
                                              bool *group_known)
{
    *group_known = false;
    for (size_t t = 0; t < GH_ARRAY_LEN(command_tables); t++) {
        for (const struct cli_command *cmd = command_tables[t]; cmd->group; cmd++) {
            if (strcmp(cmd->group, group) != 0)
                continue;
            *group_known = true;
            if (cmd->verb == NULL || (verb != NULL && strcmp(cmd->verb, verb) == 0))
                return cmd;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct cli c = {0};
    const struct cli_command *cmd;
    bool group_known;
    char name[64];
    int i = 1, status, sub_argc;
    char **sub_argv;

    umask(077); /* the database, its WAL and every key file are private to the owner */
    if (sodium_init() < 0) {
        fputs("gatehouse: libsodium failed to initialize\n", stderr);
        return EXIT_FAILURE;
    }
    c.prog = argv[0];
    c.data_dir = getenv("GATEHOUSE_DATA");
    c.data_explicit = c.data_dir != NULL && c.data_dir[0] != '\0';
    if (!c.data_explicit)
        c.data_dir = "./gatehouse-data";
    /* --data may come first; commands also accept it anywhere (filtered below). */
    while (i < argc && argv[i][0] == '-') {
        if ((strcmp(argv[i], "--data") == 0 || strcmp(argv[i], "-d") == 0) && i + 1 < argc) {
            c.data_dir = argv[i + 1];
            c.data_explicit = true;
            i += 2;
        } else if (strncmp(argv[i], "--data=", 7) == 0) {
            c.data_dir = argv[i] + 7;
            c.data_explicit = true;
            i++;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_overview();
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("gatehouse 0.1.0 (schema %d)\n", store_schema_latest());
            return 0;
        } else {
            fprintf(stderr, "gatehouse: unknown option '%s' (see 'gatehouse --help')\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        print_overview();
        return EXIT_USAGE;
    }
    cmd = find_command(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &group_known);
    if (cmd == NULL) {
        if (group_known) {
            fprintf(stderr, "gatehouse: %s: unknown or missing sub-command; one of:", argv[i]);
            for (size_t t = 0; t < GH_ARRAY_LEN(command_tables); t++)
                for (const struct cli_command *k = command_tables[t]; k->group; k++)
                    if (strcmp(k->group, argv[i]) == 0)
                        fprintf(stderr, " %s", k->verb);
            fputc('\n', stderr);
        } else {
            fprintf(stderr, "gatehouse: unknown command '%s' (see 'gatehouse --help')\n", argv[i]);
        }
        return EXIT_USAGE;
    }
    snprintf(name, sizeof(name), "%s%s%s", cmd->group, cmd->verb ? " " : "",
             cmd->verb ? cmd->verb : "");
    c.cmd_name = name;
    current_cmd = cmd;
    /* The command sees argv from its own name; pull --data DIR out wherever it is. */
    sub_argv = xcalloc((size_t)argc + 1, sizeof(char *));
    sub_argc = 0;
    sub_argv[sub_argc++] = argv[0];
    for (int k = i + (cmd->verb ? 2 : 1); k < argc; k++) {
        if (strcmp(argv[k], "--data") == 0 && k + 1 < argc) {
            c.data_dir = argv[++k];
            c.data_explicit = true;
            continue;
        }
        if (strncmp(argv[k], "--data=", 7) == 0) {
            c.data_dir = argv[k] + 7;
            c.data_explicit = true;
            continue;
        }
        sub_argv[sub_argc++] = argv[k];
    }
    c.argc = sub_argc;
    c.argv = sub_argv;
    status = cmd->run(&c, sub_argc, sub_argv);
    store_close(c.st);
    free(sub_argv);
    return status;
}
