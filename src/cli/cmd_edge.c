/*
 * cmd_edge.c: `gatehouse edge` (a door controller: enrolls once with a token, then decides
 * at its doors from the server's signed snapshot and delivers its journal), and the
 * controller records on the server: `gatehouse controller add|door|token|list`.
 */
#include "cli/cli.h"
#include "edge/edge.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- edge ---------------------------------------------------------------------------- */

struct edge_cli {
    struct edge_options o;
    const char *data;
};

static int edge_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct edge_cli *e = ctx;
    int64_t v;
    switch (opt) {
    case 's':
        e->o.servers = arg;
        return 0;
    case 'e':
        e->o.enroll_token = arg;
        return 0;
    case 'a':
        e->o.ca_file = arg;
        return 0;
    case 'S':
        e->o.sim_socket = arg;
        return 0;
    case 'D':
        e->data = arg;
        return 0;
    case 'b':
        if (gh_parse_i64(arg, 1, 3600, &v) < 0)
            return cli_usage_error(c, "--heartbeat: 1 to 3600 seconds");
        e->o.heartbeat_s = (int)v;
        return 0;
    case 'w':
        if (gh_parse_i64(arg, 1, 25, &v) < 0)
            return cli_usage_error(c, "--poll-wait: 1 to 25 seconds");
        e->o.poll_wait_s = (int)v;
        return 0;
    case 'j':
        if (gh_parse_i64(arg, 1, INT64_C(100000000), &v) < 0)
            return cli_usage_error(c, "--journal-capacity: 1 to 100000000 events");
        e->o.journal_capacity = v;
        return 0;
    case 'r':
        if (gh_parse_i64(arg, 0, 1024, &v) < 0)
            return cli_usage_error(c, "--ready-fd: a file descriptor number");
        e->o.ready_fd = (int)v;
        return 0;
    default:
        return EXIT_USAGE;
    }
}

static int cmd_edge(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"server", required_argument, NULL, 's'},
                                         {"enroll", required_argument, NULL, 'e'},
                                         {"ca", required_argument, NULL, 'a'},
                                         {"sim", required_argument, NULL, 'S'},
                                         {"data", required_argument, NULL, 'D'},
                                         {"heartbeat", required_argument, NULL, 'b'},
                                         {"poll-wait", required_argument, NULL, 'w'},
                                         {"journal-capacity", required_argument, NULL, 'j'},
                                         {"ready-fd", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct edge_cli e;
    struct gh_err err = {{0}};
    char sock[4096];
    int status;

    memset(&e, 0, sizeof(e));
    e.o.heartbeat_s = 10;
    e.o.poll_wait_s = 25;
    e.o.journal_capacity = 1000000;
    e.o.ready_fd = -1;
    if (cli_parse(c, argc, argv, opts, edge_opt, &e, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (e.o.servers == NULL)
        return cli_usage_error(c, "--server URL[,URL...] is required");
    e.o.data_dir = e.data ? e.data : c->data_dir;
    if (mkdir(e.o.data_dir, 0700) != 0 && errno != EEXIST)
        return cli_error(c, "%s: cannot be created: %s", e.o.data_dir, strerror(errno));
    if (e.o.sim_socket == NULL) {
        gh_snprintf(sock, sizeof(sock), "%s/sim.sock", e.o.data_dir);
        e.o.sim_socket = sock;
    }
    if (edge_run(&e.o, &err) < 0)
        return cli_error(c, "%s", err.msg);
    return 0;
}

/* ---- controller records ------------------------------------------------------------- */

struct ctl_opts {
    const char *doors[64];
    int n_doors;
    int64_t pin_after, deny_after;
};

static int ctl_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct ctl_opts *o = ctx;
    switch (opt) {
    case 'd':
        if (o->n_doors == (int)GH_ARRAY_LEN(o->doors))
            return cli_usage_error(c, "--door: at most %zu", GH_ARRAY_LEN(o->doors));
        o->doors[o->n_doors++] = arg;
        return 0;
    case 'p':
        if (gh_parse_i64(arg, 0, 365 * 86400, &o->pin_after) < 0)
            return cli_usage_error(c, "--offline-pin-after: seconds (0: never)");
        return 0;
    case 'n':
        if (gh_parse_i64(arg, 0, 365 * 86400, &o->deny_after) < 0)
            return cli_usage_error(c, "--offline-deny-after: seconds (0: never)");
        return 0;
    default:
        return EXIT_USAGE;
    }
}

static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {0}};
static const struct option ctl_options[] = {{"door", required_argument, NULL, 'd'},
                                            {"offline-pin-after", required_argument, NULL, 'p'},
                                            {"offline-deny-after", required_argument, NULL, 'n'},
                                            {"help", no_argument, NULL, 'h'},
                                            {0}};

/* Sets o's doors on controller id, in the open write transaction. */
static int set_doors(struct cli *c, int64_t id, const struct ctl_opts *o)
{
    struct gh_err err = {{0}};
    if (o->pin_after > 0 && o->deny_after > 0 && o->deny_after <= o->pin_after)
        return cli_usage_error(c, "--offline-deny-after must be longer than --offline-pin-after");
    for (int i = 0; i < o->n_doors; i++) {
        struct controller_door d = {id, 0, (int32_t)o->pin_after, (int32_t)o->deny_after};
        int status;
        if ((status = cli_door_ref(c, "--door", o->doors[i], &d.door_id)) != 0)
            return status;
        if (store_controller_door_set(c->st, &d, &err) < 0)
            return cli_error(c, "--door %s: %s", o->doors[i], err.msg);
    }
    return 0;
}

static int cmd_controller_add(struct cli *c, int argc, char **argv)
{
    struct ctl_opts o;
    struct controller ctl;
    struct gh_err err = {{0}};
    int status;
    memset(&o, 0, sizeof(o));
    if (cli_parse(c, argc, argv, ctl_options, ctl_opt, &o, &status) != 0)
        return status;
    if (optind + 1 != argc)
        return cli_usage_error(c, "give the controller's name");
    memset(&ctl, 0, sizeof(ctl));
    if (model_check_name("name", argv[optind], &err) < 0)
        return cli_usage_error(c, "%s", err.msg);
    gh_strlcpy(ctl.name, argv[optind], sizeof(ctl.name));
    ctl.created_us = gh_now_us();
    if ((status = cli_open_store(c)) != 0)
        return status;
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot begin a write: %s", store_errmsg(c->st));
    if (store_controller_insert(c->st, &ctl, &err) < 0) {
        store_rollback(c->st);
        return cli_error(c, "%s", err.msg);
    }
    if ((status = set_doors(c, ctl.id, &o)) != 0) {
        store_rollback(c->st);
        return status;
    }
    if ((status = cli_commit(c)) != 0) {
        store_rollback(c->st);
        return status;
    }
    printf("controller %lld '%s' added with %d door(s)\n", (long long)ctl.id, ctl.name, o.n_doors);
    return 0;
}

static int find_controller(struct cli *c, const char *ref, struct controller *out)
{
    int64_t id;
    int rc = gh_parse_i64(ref, 1, INT64_MAX, &id) == 0 ? store_controller_get(c->st, id, out)
                                                       : store_controller_find(c->st, ref, out);
    if (rc < 0)
        return cli_error(c, "no controller '%s'", ref);
    return 0;
}

static int cmd_controller_door(struct cli *c, int argc, char **argv)
{
    struct ctl_opts o;
    struct controller ctl;
    int status;
    memset(&o, 0, sizeof(o));
    if (cli_parse(c, argc, argv, ctl_options, ctl_opt, &o, &status) != 0)
        return status;
    if (optind + 1 != argc || o.n_doors == 0)
        return cli_usage_error(c, "give the controller and at least one --door");
    if ((status = cli_open_store(c)) != 0 || (status = find_controller(c, argv[optind], &ctl)))
        return status;
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot begin a write: %s", store_errmsg(c->st));
    if ((status = set_doors(c, ctl.id, &o)) != 0) {
        store_rollback(c->st);
        return status;
    }
    if ((status = cli_commit(c)) != 0)
        store_rollback(c->st);
    return status;
}

static int cmd_controller_token(struct cli *c, int argc, char **argv)
{
    struct controller ctl;
    char token[GH_ONETIME_TOKEN_LEN], hex[65];
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if (optind + 1 != argc)
        return cli_usage_error(c, "give the controller");
    if ((status = cli_open_store(c)) != 0 || (status = find_controller(c, argv[optind], &ctl)))
        return status;
    gh_onetime_token(token, hex);
    if (store_begin_write(c->st) < 0 ||
        store_controller_set_enroll(c->st, ctl.id, hex,
                                    gh_now_us() + 24 * 3600 * INT64_C(1000000)) < 0) {
        status = cli_error(c, "cannot store the token: %s", store_errmsg(c->st));
        store_rollback(c->st);
        sodium_memzero(token, sizeof(token));
        return status;
    }
    if ((status = cli_commit(c)) != 0) { /* with its audit entry (the token's hash hidden) */
        store_rollback(c->st);
        sodium_memzero(token, sizeof(token));
        return status;
    }
    /* the token alone on stdout, for $(gatehouse controller token NAME) */
    printf("%s\n", token);
    fflush(stdout);
    sodium_memzero(token, sizeof(token));
    return 0;
}

static int print_controller(void *ctx, const struct controller *r)
{
    char seen[GH_ISO_LEN] = "never";
    (void)ctx;
    if (r->last_seen_us)
        gh_format_iso(r->last_seen_us, seen);
    printf("%lld\t%s\t%s\tlast seen %s\tversion %lld\n", (long long)r->id, r->name,
           r->key_id              ? "enrolled"
           : r->enroll_expires_us ? "token waiting"
                                  : "not enrolled",
           seen, (long long)r->applied_version);
    return 0;
}

static int cmd_controller_list(struct cli *c, int argc, char **argv)
{
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    return store_controller_list(c->st, print_controller, NULL) < 0
               ? cli_error(c, "cannot list: %s", store_errmsg(c->st))
               : 0;
}

const struct cli_command cli_edge_commands[] = {
    {"edge", NULL, cmd_edge,
     "Run a door controller: decides at its doors from the server's signed snapshot, also "
     "offline, and delivers every event exactly once.",
     "--server URL[,URL...] [--data DIR] [--enroll TOKEN (the first time)]\n"
     "[--ca FILE (the servers' certificate or CA)] [--sim SOCKET (default DATA/sim.sock)]\n"
     "[--heartbeat SECONDS (10)] [--poll-wait SECONDS (25)]\n"
     "[--journal-capacity EVENTS (1000000)]\n"
     "See docs/operations.md (enrolling and replacing a controller)."},
    {"controller", "add", cmd_controller_add,
     "Add a door controller record with the doors it drives.",
     "NAME [--door DOOR ...] [--offline-pin-after SECONDS] [--offline-deny-after SECONDS]"},
    {"controller", "door", cmd_controller_door,
     "Give doors to a controller, or change their offline policy.",
     "CONTROLLER --door DOOR [--door DOOR ...] [--offline-pin-after S] [--offline-deny-after S]"},
    {"controller", "token", cmd_controller_token,
     "Make a one-time enrollment token for a controller (valid 24 h); prints it alone.",
     "CONTROLLER"},
    {"controller", "list", cmd_controller_list, "List controllers and their state.", ""},
    {NULL, NULL, NULL, NULL, NULL}};
