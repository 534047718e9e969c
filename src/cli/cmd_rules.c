/*
 * cmd_rules.c: `gatehouse rules replay`: the built-in detectors (src/rules) run over the
 * stored events, in offset order, printing every alarm they raise (and, with --scripts,
 * the custom Lua rules' too). For trying detector settings and new scripts on real
 * history, for drills, and for the test that a normal simulated day raises nothing but its
 * injected scenarios. It changes nothing.
 */
#include "cli/cli.h"

#include "incident/incident.h"
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

/* ---- drills ---------------------------------------------------------------------------------- */

struct drill_opts {
    const char *door;
    bool json;
};

static int drill_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct drill_opts *o = ctx;
    (void)c;
    if (opt == 'd')
        o->door = arg;
    else if (opt == 'j')
        o->json = true;
    return 0;
}

static void print_seconds(json_t *v)
{
    if (json_is_number(v))
        printf("\t%.1f", json_number_value(v));
    else
        printf("\t-");
}

static int drill_report(struct cli *c, const char *arg, bool as_json)
{
    json_t *rep = NULL, *list, *x;
    struct gh_err err = {{0}};
    const char *dept;
    int64_t id;
    size_t i;
    int status;
    if ((status = cli_int_parse(c, "ID", arg, 1, INT64_MAX, &id)) != 0)
        return status;
    if (incident_drill_report(c->st, id, &rep, &err) < 0)
        return cli_error(c, "%s", err.msg);
    if (as_json) {
        char *text = json_dumps(rep, JSON_INDENT(2));
        puts(text ? text : "{}");
        free(text);
    } else {
        printf("drill %lld: %s, started %s by %s\n", (long long)id,
               json_string_value(json_object_get(rep, "scenario")),
               json_string_value(json_object_get(rep, "started")),
               json_string_value(json_object_get(rep, "by")));
        printf("department\tincident\tstatus\tto_alarm_s\tto_acknowledge_s\tto_resolve_s\n");
        json_object_foreach(json_object_get(rep, "departments"), dept, list)
        {
            json_array_foreach(list, i, x)
            {
                printf("%s\t%lld\t%s", dept,
                       (long long)json_integer_value(json_object_get(x, "incident")),
                       json_string_value(json_object_get(x, "status")));
                print_seconds(json_object_get(x, "to_alarm_s"));
                print_seconds(json_object_get(x, "to_acknowledge_s"));
                print_seconds(json_object_get(x, "to_resolve_s"));
                printf("\n");
            }
        }
    }
    json_decref(rep);
    return 0;
}

static int print_drill(void *ctx, const struct drill *d)
{
    char when[GH_ISO_LEN];
    (void)ctx;
    gh_format_iso(d->started_us, when);
    printf("%lld\t%s\t%s\t%s\n", (long long)d->id, d->scenario, when, d->by);
    return 0;
}

static int cmd_drill(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"door", required_argument, NULL, 'd'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct drill_opts o = {NULL, false};
    struct gh_err err = {{0}};
    char who[MODEL_NAME_MAX];
    enum incident_drill d;
    int64_t id = 0;
    int status;
    if (cli_parse(c, argc, argv, opts, drill_opt, &o, &status) != 0)
        return status;
    if (optind >= argc)
        return cli_usage_error(c, "a scenario (badge-cloning, terminated-employee, forced-door, "
                                  "after-hours), report ID, or list");
    if ((status = cli_open_store(c)) != 0)
        return status;
    if (strcmp(argv[optind], "report") == 0) {
        if (optind + 2 != argc)
            return cli_usage_error(c, "drill report ID");
        return drill_report(c, argv[optind + 1], o.json);
    }
    if (strcmp(argv[optind], "list") == 0) {
        printf("id\tscenario\tstarted\tby\n");
        return store_drill_list(c->st, print_drill, NULL) < 0 ? cli_error(c, "listing failed") : 0;
    }
    if (optind + 1 != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind + 1]);
    if (incident_drill_parse(argv[optind], &d) < 0)
        return cli_usage_error(c,
                               "'%s' is not a scenario: badge-cloning, terminated-employee, "
                               "forced-door or after-hours",
                               argv[optind]);
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    cli_local_user(who);
    if (incident_drill_run(c->st, d, o.door, who, gh_now_us(), &id, &err) < 0) {
        store_rollback(c->st);
        return cli_error(c, "%s", err.msg);
    }
    if ((status = cli_commit(c)) != 0) {
        store_rollback(c->st);
        return status;
    }
    printf("drill %lld: %s injected; a running server raises its alarm now. Afterwards: "
           "%s --data %s drill report %lld\n",
           (long long)id, incident_drill_name(d), c->prog, c->data_dir, (long long)id);
    return 0;
}

const struct cli_command cli_rules_commands[] = {
    {"drill", NULL, cmd_drill,
     "Run a drill: inject a marked scenario for the server's detectors, people and procedures.",
     "SCENARIO [--door DOOR] | report ID [--json] | list\n"
     "Scenarios: badge-cloning, terminated-employee, forced-door, after-hours. The report\n"
     "gives, per department, the seconds from the injection to the alarm, to the\n"
     "acknowledgement and to the resolution (docs/incidents.md)."},
    {"rules", "replay", cmd_rules_replay,
     "Run the built-in detectors over the stored events and print the alarms they raise.",
     "[--from OFFSET (after this offset; default all)] [--json (one JSON object a line)]\n"
     "  [--scripts DIR (the custom Lua rules of DIR too, e.g. DATA/rules)]\n"
     "Tab-separated: offset, time, type, severity, what. Changes nothing (docs/rules.md)."},
    {NULL, NULL, NULL, NULL, NULL}};
