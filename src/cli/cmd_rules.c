/*
 * cmd_rules.c: `gatehouse rules replay`: the built-in detectors (src/rules) run over the
 * stored events, in offset order, printing every alarm they raise (and, with --scripts,
 * the custom Lua rules' too). For trying detector settings and new scripts on real
 * history, for drills, and for the test that a normal simulated day raises nothing but its
 * injected scenarios. It changes nothing.
 */
#include "cli/cli.h"

#include "rules/rules.h"

#include <stdlib.h>
#include <string.h>

struct replay {
    struct rules_engine *e;
    struct rules_scripts *scripts; /* --scripts DIR, or NULL */
    bool json;
    int64_t alarms;
};

static void print_alarm(void *ctx, const struct rules_alarm *a)
{
    struct replay *r = ctx;
    char when[GH_ISO_LEN];
    gh_format_iso(a->time_us, when);
    r->alarms++;
    if (r->json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:i, s:s, s:s}", "offset", (json_int_t)a->offset,
                              "time", when, "type", rules_alarm_type(a), "severity", a->severity,
                              "key", a->key, "detail", a->detail);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (text != NULL)
            puts(text);
        free(text);
        json_decref(j);
    } else {
        printf("%lld\t%s\t%s\t%d\t%s\n", (long long)a->offset, when, rules_alarm_type(a),
               a->severity, a->detail);
    }
}

/* A custom rule's news, on stderr. */
static void script_news(void *ctx, const char *script, const char *what, const char *why)
{
    (void)ctx;
    fprintf(stderr, "rule %s %s%s%s\n", script, what, why[0] ? ": " : "", why);
}

static int on_event(void *ctx, const struct event *ev)
{
    struct replay *r = ctx;
    rules_feed(r->e, ev, print_alarm, r);
    if (r->scripts != NULL)
        rules_scripts_feed(r->scripts, ev, print_alarm, r, script_news, r);
    return 0;
}

struct replay_opts {
    int64_t from;
    bool json;
    const char *scripts;
};

static int replay_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct replay_opts *o = ctx;
    switch (opt) {
    case 'f':
        return cli_int_parse(c, "--from", arg, 0, INT64_MAX, &o->from);
    case 'j':
        o->json = true;
        return 0;
    case 's':
        o->scripts = arg;
        return 0;
    default:
        return 0;
    }
}

static int cmd_rules_replay(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"scripts", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct replay_opts o = {0, false, NULL};
    struct rules_config cfg;
    struct rules_world *w;
    struct rules_lookup look;
    struct replay r = {NULL, NULL, false, 0};
    struct store_event_filter f;
    struct gh_err err = {{0}};
    int status, rc;

    if (cli_parse(c, argc, argv, opts, replay_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if ((status = cli_open_store(c)) != 0)
        return status;
    w = rules_world_new(c->st, &look);
    rules_config_init(&cfg);
    if (rules_engine_new(&cfg, &look, &r.e, &err) < 0) {
        rules_world_free(w);
        return cli_error(c, "%s", err.msg);
    }
    if (o.scripts != NULL) {
        struct rules_scripts_config sc;
        rules_scripts_config_init(&sc);
        sc.dir = o.scripts;
        if (rules_scripts_new(&sc, &r.scripts, &err) < 0) {
            rules_engine_free(r.e);
            rules_world_free(w);
            return cli_usage_error(c, "--scripts: %s", err.msg);
        }
        rules_scripts_reload(r.scripts, script_news, &r);
    }
    r.json = o.json;
    store_event_filter_init(&f);
    f.after_offset = o.from;
    rc = store_event_query(c->st, &f, on_event, &r);
    rules_scripts_free(r.scripts);
    rules_engine_free(r.e);
    rules_world_free(w);
    if (rc < 0)
        return cli_error(c, "reading the events: %s", store_errmsg(c->st));
    fflush(stdout);
    fprintf(stderr, "%lld alarm%s\n", (long long)r.alarms, r.alarms == 1 ? "" : "s");
    return 0;
}

const struct cli_command cli_rules_commands[] = {
    {"rules", "replay", cmd_rules_replay,
     "Run the built-in detectors over the stored events and print the alarms they raise.",
     "[--from OFFSET (after this offset; default all)] [--json (one JSON object a line)]\n"
     "  [--scripts DIR (the custom Lua rules of DIR too, e.g. DATA/rules)]\n"
     "Tab-separated: offset, time, type, severity, what. Changes nothing (docs/rules.md)."},
    {NULL, NULL, NULL, NULL, NULL}};
