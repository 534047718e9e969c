/*
 * cmd_policy.c: commands that build a site's policy by script: init, sites, areas
 * (lockdown and release), doors, holiday calendars, schedules, access levels and
 * departments. Each change runs in one transaction and is checked by compiling the
 * policy before it is committed, so a command never leaves a policy that cannot be
 * decided on.
 */
#include "cli/cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Runs a change: begin, body, policy check, commit (rollback on failure). */
static int in_transaction(struct cli *c, int (*body)(struct cli *c, void *ctx), void *ctx)
{
    int status;
    if (store_begin_write(c->st) < 0)
        return cli_error(c, "cannot begin a transaction: %s", store_errmsg(c->st));
    status = body(c, ctx);
    if (status == 0)
        status = cli_check_policy(c);
    if (status == 0)
        status = cli_commit(c);
    if (status != 0)
        store_rollback(c->st);
    return status;
}

/* One positional NAME after the options. */
static int positional_name(struct cli *c, int argc, char **argv, const char **name)
{
    struct gh_err err = {{0}};
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one NAME");
    *name = argv[optind];
    if (model_check_name("NAME", *name, &err) < 0)
        return cli_usage_error(c, "%s", err.msg);
    return 0;
}

static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

/* ---- init ------------------------------------------------------------------------------ */

static int cmd_init(struct cli *c, int argc, char **argv)
{
    struct gh_err err = {{0}};
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    char setup[IDENTITY_TOKEN_LEN];
    if (cli_init_data_dir(c->data_dir, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("initialized %s (database gatehouse.db, site key keys/site.key, TLS certificate "
           "tls/cert.pem)\n",
           c->data_dir);
    /* no default account: the first administrator is made with this one-time token */
    if ((status = cli_open_store(c)) != 0)
        return status;
    if (identity_setup_token_create(c->st, gh_now_us(), setup, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("first administrator: POST /api/v1/setup with {\"token\": \"%s\", \"name\": ..., "
           "\"password\": ...} within 24 hours (or: %s user add NAME --roles admin "
           "--password-stdin)\n",
           setup, c->prog);
    sodium_memzero(setup, sizeof(setup));
    return 0;
}

/* ---- sites ----------------------------------------------------------------------------- */

struct site_opts {
    const char *tz;
    const char *name;
};

static int site_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct site_opts *o = ctx;
    (void)c;
    if (opt == 't')
        o->tz = arg;
    return 0;
}

static int site_add_body(struct cli *c, void *ctx)
{
    struct site_opts *o = ctx;
    struct site s = {0};
    struct gh_err err = {{0}};
    struct gh_tz *tz = NULL;
    if (tz_load(o->tz, &tz, &err) < 0)
        return cli_error(c, "--tz: %s", err.msg);
    tz_free(tz);
    gh_strlcpy(s.name, o->name, sizeof(s.name));
    gh_strlcpy(s.timezone, o->tz, sizeof(s.timezone));
    if (store_site_insert(c->st, &s, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("site %lld %s (%s)\n", (long long)s.id, s.name, s.timezone);
    return 0;
}

static int cmd_site_add(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"tz", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct site_opts o = {0};
    int status;
    if (cli_parse(c, argc, argv, opts, site_opt, &o, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &o.name)) != 0)
        return status;
    if (o.tz == NULL)
        return cli_usage_error(c, "--tz ZONE is required (an IANA zone, e.g. Europe/Berlin)");
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, site_add_body, &o);
}

static int print_site(void *ctx, const struct site *s)
{
    (void)ctx;
    printf("%lld\t%s\t%s\n", (long long)s->id, s->name, s->timezone);
    return 0;
}

static int cmd_site_list(struct cli *c, int argc, char **argv)
{
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\ttimezone\n");
    return store_site_list(c->st, print_site, NULL) < 0 ? cli_error(c, "listing failed") : 0;
}

/* ---- areas ----------------------------------------------------------------------------- */

struct area_opts {
    const char *name, *site, *parent, *apb;
};

static int area_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct area_opts *o = ctx;
    (void)c;
    if (opt == 's')
        o->site = arg;
    else if (opt == 'p')
        o->parent = arg;
    else if (opt == 'a')
        o->apb = arg;
    return 0;
}

static int area_add_body(struct cli *c, void *ctx)
{
    struct area_opts *o = ctx;
    struct area a = {0};
    struct gh_err err = {{0}};
    int status;
    gh_strlcpy(a.name, o->name, sizeof(a.name));
    if ((status = cli_site_ref(c, "--site", o->site, &a.site_id)) != 0)
        return status;
    if (o->parent != NULL) {
        struct area parent;
        if ((status = cli_area_ref(c, "--parent", o->parent, &a.parent_id)) != 0)
            return status;
        if (store_area_get(c->st, a.parent_id, &parent) == 0 && parent.site_id != a.site_id)
            return cli_error(c, "--parent: area '%s' belongs to another site", parent.name);
    }
    if (o->apb != NULL && apb_mode_parse(o->apb, &a.apb, &err) < 0)
        return cli_usage_error(c, "--apb: %s", err.msg);
    if (store_area_insert(c->st, &a, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("area %lld %s\n", (long long)a.id, a.name);
    return 0;
}

static int cmd_area_add(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"site", required_argument, NULL, 's'},
                                         {"parent", required_argument, NULL, 'p'},
                                         {"apb", required_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct area_opts o = {0};
    int status;
    if (cli_parse(c, argc, argv, opts, area_opt, &o, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &o.name)) != 0)
        return status;
    if (o.site == NULL)
        return cli_usage_error(c, "--site SITE is required");
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, area_add_body, &o);
}

static int print_area(void *ctx, const struct area *a)
{
    (void)ctx;
    printf("%lld\t%s\t%lld\t%lld\t%s\t%s\n", (long long)a->id, a->name, (long long)a->site_id,
           (long long)a->parent_id, apb_mode_name(a->apb), a->locked_down ? "locked" : "");
    return 0;
}

static int cmd_area_list(struct cli *c, int argc, char **argv)
{
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\tsite\tparent\tapb\tlockdown\n");
    return store_area_list(c->st, print_area, NULL) < 0 ? cli_error(c, "listing failed") : 0;
}

struct lock_ctx {
    const char *name;
    bool lock;
};

static int area_lock_body(struct cli *c, void *ctx)
{
    struct lock_ctx *l = ctx;
    struct area a;
    struct gh_err err = {{0}};
    int64_t id;
    int status;
    if ((status = cli_area_ref(c, "AREA", l->name, &id)) != 0)
        return status;
    if (store_area_get(c->st, id, &a) < 0)
        return cli_error(c, "AREA: no area '%s'", l->name);
    a.locked_down = l->lock;
    if (store_area_update(c->st, &a, &err) < 0)
        return cli_error(c, "%s", err.msg);
    status = cli_log_event(c, EV_OPERATOR_ACTION, 0, 0,
                           json_pack("{s:s, s:I, s:s}", "action", l->lock ? "lockdown" : "release",
                                     "area_id", (json_int_t)a.id, "area", a.name));
    if (status != 0)
        return status;
    printf("area %s %s\n", a.name, l->lock ? "locked down" : "released");
    return 0;
}

static int area_lock_cmd(struct cli *c, int argc, char **argv, bool lock)
{
    struct lock_ctx l = {NULL, lock};
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &l.name)) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, area_lock_body, &l);
}

static int cmd_area_lockdown(struct cli *c, int argc, char **argv)
{
    return area_lock_cmd(c, argc, argv, true);
}

static int cmd_area_release(struct cli *c, int argc, char **argv)
{
    return area_lock_cmd(c, argc, argv, false);
}

/* ---- doors ----------------------------------------------------------------------------- */

struct door_opts {
    const char *name, *site, *from, *to, *mode, *unlock_sched, *fail;
    const char *unlock_ms, *held_open, *position;
    bool no_position;
    int escort;      /* -1 unset, 0 no, 1 yes */
    int entry, exit; /* readers: -1 unset */
    bool update;
};

static int door_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct door_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 's':
        o->site = arg;
        break;
    case 'f':
        o->from = arg;
        break;
    case 't':
        o->to = arg;
        break;
    case 'm':
        o->mode = arg;
        break;
    case 'u':
        o->unlock_sched = arg;
        break;
    case 'F':
        o->fail = arg;
        break;
    case 'U':
        o->unlock_ms = arg;
        break;
    case 'H':
        o->held_open = arg;
        break;
    case 'e':
        o->escort = 1;
        break;
    case 'E':
        o->escort = 0;
        break;
    case 'x':
        o->exit = 0;
        break;
    case 'X':
        o->exit = 1;
        break;
    case 'n':
        o->entry = 0;
        break;
    case 'p':
        o->position = arg;
        break;
    case 'P':
        o->no_position = true;
        break;
    default:
        break;
    }
    return 0;
}

/* "X,Y": whole metres on the site's plan. */
static int parse_position(struct cli *c, const char *arg, struct door *d)
{
    char x[24], y[24];
    const char *comma = strchr(arg, ',');
    int64_t vx, vy;
    if (comma == NULL || (size_t)(comma - arg) >= sizeof(x) || strlen(comma + 1) >= sizeof(y))
        return cli_usage_error(c, "--position: '%s' is not X,Y (metres, e.g. 120,-35)", arg);
    memcpy(x, arg, (size_t)(comma - arg));
    x[comma - arg] = '\0';
    gh_strlcpy(y, comma + 1, sizeof(y));
    if (gh_parse_i64(x, -DOOR_POSITION_MAX, DOOR_POSITION_MAX, &vx) < 0 ||
        gh_parse_i64(y, -DOOR_POSITION_MAX, DOOR_POSITION_MAX, &vy) < 0)
        return cli_usage_error(c, "--position: '%s': X and Y are whole metres within +-%d", arg,
                               DOOR_POSITION_MAX);
    d->has_position = true;
    d->x_m = (int32_t)vx;
    d->y_m = (int32_t)vy;
    return 0;
}

static int door_apply(struct cli *c, struct door_opts *o, struct door *d)
{
    struct gh_err err = {{0}};
    int64_t v;
    int status;
    if (o->site && (status = cli_site_ref(c, "--site", o->site, &d->site_id)) != 0)
        return status;
    if (o->from && (status = cli_area_ref(c, "--from", o->from, &d->from_area_id)) != 0)
        return status;
    if (o->to && (status = cli_area_ref(c, "--to", o->to, &d->to_area_id)) != 0)
        return status;
    if (o->mode && door_mode_parse(o->mode, &d->mode, &err) < 0)
        return cli_usage_error(c, "--mode: %s", err.msg);
    if (o->unlock_sched && (status = cli_schedule_ref(c, "--unlock-schedule", o->unlock_sched,
                                                      &d->unlock_schedule_id)) != 0)
        return status;
    if (o->fail && door_fail_parse(o->fail, &d->fail, &err) < 0)
        return cli_usage_error(c, "--fail: %s", err.msg);
    if (o->unlock_ms) {
        if ((status = cli_int_parse(c, "--unlock-ms", o->unlock_ms, 100, 600000, &v)) != 0)
            return status;
        d->unlock_ms = (int32_t)v;
    }
    if (o->held_open) {
        if ((status = cli_int_parse(c, "--held-open", o->held_open, 1, 86400, &v)) != 0)
            return status;
        d->held_open_s = (int32_t)v;
    }
    if (o->position && (status = parse_position(c, o->position, d)) != 0)
        return status;
    if (o->no_position)
        d->has_position = false;
    if (o->escort >= 0)
        d->escort_required = o->escort == 1;
    if (o->entry >= 0)
        d->has_entry_reader = o->entry == 1;
    if (o->exit >= 0)
        d->has_exit_reader = o->exit == 1;
    if (d->mode == DOOR_UNLOCKED_SCHEDULE && d->unlock_schedule_id == 0)
        return cli_usage_error(c, "--mode unlocked_schedule needs --unlock-schedule SCHEDULE");
    if (d->from_area_id == d->to_area_id)
        return cli_usage_error(c, "--from and --to must be different areas");
    {
        struct area a, b;
        if (store_area_get(c->st, d->from_area_id, &a) < 0 ||
            store_area_get(c->st, d->to_area_id, &b) < 0)
            return cli_error(c, "--from/--to: area not found");
        if (a.site_id != d->site_id || b.site_id != d->site_id)
            return cli_error(c, "--from/--to: both areas must belong to the door's site");
    }
    return 0;
}

static int door_body(struct cli *c, void *ctx)
{
    struct door_opts *o = ctx;
    struct door d = {0};
    struct gh_err err = {{0}};
    int status;
    if (o->update) {
        int64_t id;
        if ((status = cli_door_ref(c, "DOOR", o->name, &id)) != 0)
            return status;
        if (store_door_get(c->st, id, &d) < 0)
            return cli_error(c, "DOOR: reading door '%s': %s", o->name, store_errmsg(c->st));
    } else {
        gh_strlcpy(d.name, o->name, sizeof(d.name));
        d.mode = DOOR_CARD;
        d.unlock_ms = 5000;
        d.held_open_s = 30;
        d.fail = DOOR_FAIL_SECURE;
        d.has_entry_reader = true;
        d.has_exit_reader = true;
    }
    if ((status = door_apply(c, o, &d)) != 0)
        return status;
    if (o->update ? store_door_update(c->st, &d, &err) < 0 : store_door_insert(c->st, &d, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("door %lld %s (%s, fail-%s)\n", (long long)d.id, d.name, door_mode_name(d.mode),
           door_fail_name(d.fail));
    return 0;
}

static const struct option door_options[] = {{"site", required_argument, NULL, 's'},
                                             {"from", required_argument, NULL, 'f'},
                                             {"to", required_argument, NULL, 't'},
                                             {"mode", required_argument, NULL, 'm'},
                                             {"unlock-schedule", required_argument, NULL, 'u'},
                                             {"fail", required_argument, NULL, 'F'},
                                             {"unlock-ms", required_argument, NULL, 'U'},
                                             {"held-open", required_argument, NULL, 'H'},
                                             {"escort", no_argument, NULL, 'e'},
                                             {"no-escort", no_argument, NULL, 'E'},
                                             {"no-exit-reader", no_argument, NULL, 'x'},
                                             {"exit-reader", no_argument, NULL, 'X'},
                                             {"no-entry-reader", no_argument, NULL, 'n'},
                                             {"position", required_argument, NULL, 'p'},
                                             {"no-position", no_argument, NULL, 'P'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};

static int door_cmd(struct cli *c, int argc, char **argv, bool update)
{
    struct door_opts o = {.escort = -1, .entry = -1, .exit = -1, .update = update};
    int status;
    if (cli_parse(c, argc, argv, door_options, door_opt, &o, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &o.name)) != 0)
        return status;
    if (!update && (o.site == NULL || o.from == NULL || o.to == NULL))
        return cli_usage_error(c, "--site, --from and --to are required");
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, door_body, &o);
}

static int cmd_door_add(struct cli *c, int argc, char **argv)
{
    return door_cmd(c, argc, argv, false);
}

static int cmd_door_set(struct cli *c, int argc, char **argv)
{
    return door_cmd(c, argc, argv, true);
}

static int print_door(void *ctx, const struct door *d)
{
    char pos[32] = "";
    (void)ctx;
    if (d->has_position)
        snprintf(pos, sizeof(pos), "%d,%d", (int)d->x_m, (int)d->y_m);
    printf("%lld\t%s\t%lld\t%lld\t%lld\t%s\t%d\t%d\t%s\t%s\t%s\n", (long long)d->id, d->name,
           (long long)d->site_id, (long long)d->from_area_id, (long long)d->to_area_id,
           door_mode_name(d->mode), d->unlock_ms, d->held_open_s, door_fail_name(d->fail),
           d->escort_required ? "escort" : "", pos);
    return 0;
}

static int cmd_door_list(struct cli *c, int argc, char **argv)
{
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\tsite\tfrom\tto\tmode\tunlock_ms\theld_open_s\tfail\tescort\tposition\n");
    return store_door_list(c->st, print_door, NULL) < 0 ? cli_error(c, "listing failed") : 0;
}

/* ---- holiday calendars ---------------------------------------------------------------- */

struct holiday_opts {
    const char *name, *calendar, *date, *hname;
};

static int holiday_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct holiday_opts *o = ctx;
    (void)c;
    if (opt == 'c')
        o->calendar = arg;
    else if (opt == 'D')
        o->date = arg;
    else if (opt == 'n')
        o->hname = arg;
    return 0;
}

static int calendar_add_body(struct cli *c, void *ctx)
{
    struct holiday_opts *o = ctx;
    struct holiday_calendar cal = {0};
    struct gh_err err = {{0}};
    gh_strlcpy(cal.name, o->name, sizeof(cal.name));
    if (store_calendar_insert(c->st, &cal, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("holiday calendar %lld %s\n", (long long)cal.id, cal.name);
    return 0;
}

static int cmd_calendar_add(struct cli *c, int argc, char **argv)
{
    struct holiday_opts o = {0};
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &o.name)) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, calendar_add_body, &o);
}

static int holiday_add_body(struct cli *c, void *ctx)
{
    struct holiday_opts *o = ctx;
    struct holiday h = {0};
    struct gh_err err = {{0}};
    int status;
    if ((status = cli_calendar_ref(c, "--calendar", o->calendar, &h.calendar_id)) != 0)
        return status;
    if (gh_parse_date(o->date, &h.day, &err) < 0)
        return cli_usage_error(c, "--date: %s", err.msg);
    gh_strlcpy(h.name, o->hname, sizeof(h.name));
    if (model_check_name("--name", h.name, &err) < 0)
        return cli_usage_error(c, "%s", err.msg);
    if (store_holiday_insert(c->st, &h, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("holiday %s on %s in %s\n", h.name, o->date, o->calendar);
    return 0;
}

static int cmd_holiday_add(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"calendar", required_argument, NULL, 'c'},
                                         {"date", required_argument, NULL, 'D'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct holiday_opts o = {0};
    int status;
    if (cli_parse(c, argc, argv, opts, holiday_opt, &o, &status) != 0)
        return status;
    if (o.calendar == NULL || o.date == NULL || o.hname == NULL)
        return cli_usage_error(c, "--calendar, --date and --name are required");
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, holiday_add_body, &o);
}

/* ---- schedules ------------------------------------------------------------------------- */

struct sched_opts {
    const char *name, *calendar;
    struct schedule s;
};

static int sched_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct sched_opts *o = ctx;
    struct gh_err err = {{0}};
    if (opt == 'c') {
        o->calendar = arg;
    } else if (opt == 'i') {
        if (o->s.n_intervals >= SCHEDULE_MAX_INTERVALS)
            return cli_usage_error(c, "--interval: at most %d", SCHEDULE_MAX_INTERVALS);
        if (sched_interval_parse(arg, &o->s.intervals[o->s.n_intervals], &err) < 0)
            return cli_usage_error(c, "--interval: %s", err.msg);
        o->s.n_intervals++;
    }
    return 0;
}

static const struct option sched_options[] = {{"interval", required_argument, NULL, 'i'},
                                              {"holidays", required_argument, NULL, 'c'},
                                              {"help", no_argument, NULL, 'h'},
                                              {0}};

static int sched_add_body(struct cli *c, void *ctx)
{
    struct sched_opts *o = ctx;
    struct gh_err err = {{0}};
    int status;
    gh_strlcpy(o->s.name, o->name, sizeof(o->s.name));
    if (o->calendar &&
        (status = cli_calendar_ref(c, "--holidays", o->calendar, &o->s.calendar_id)) != 0)
        return status;
    if (store_schedule_insert(c->st, &o->s, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("schedule %lld %s (%d intervals)\n", (long long)o->s.id, o->s.name, o->s.n_intervals);
    return 0;
}

static int sched_set_body(struct cli *c, void *ctx)
{
    struct sched_opts *o = ctx;
    struct schedule old;
    struct gh_err err = {{0}};
    int64_t id;
    int status;
    if ((status = cli_schedule_ref(c, "NAME", o->name, &id)) != 0)
        return status;
    if (store_schedule_get(c->st, id, &old) < 0)
        return cli_error(c, "NAME: reading schedule '%s': %s", o->name, store_errmsg(c->st));
    o->s.id = id;
    gh_strlcpy(o->s.name, old.name, sizeof(o->s.name));
    o->s.calendar_id = old.calendar_id;
    if (o->s.n_intervals == 0) { /* only the calendar changes */
        o->s.n_intervals = old.n_intervals;
        memcpy(o->s.intervals, old.intervals, sizeof(old.intervals));
    }
    if (o->calendar) {
        o->s.calendar_id = 0;
        if (o->calendar[0] != '\0' &&
            (status = cli_calendar_ref(c, "--holidays", o->calendar, &o->s.calendar_id)) != 0)
            return status;
    }
    if (store_schedule_update(c->st, &o->s, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("schedule %s: %d intervals\n", o->s.name, o->s.n_intervals);
    return 0;
}

static int cmd_schedule_set(struct cli *c, int argc, char **argv)
{
    struct sched_opts o;
    int status;
    memset(&o, 0, sizeof(o));
    if (cli_parse(c, argc, argv, sched_options, sched_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one schedule NAME");
    o.name = argv[optind];
    if (o.s.n_intervals == 0 && o.calendar == NULL)
        return cli_usage_error(c, "give --interval (replaces all) and/or --holidays CALENDAR");
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, sched_set_body, &o);
}

static int cmd_schedule_add(struct cli *c, int argc, char **argv)
{
    struct sched_opts o;
    int status;
    memset(&o, 0, sizeof(o));
    if (cli_parse(c, argc, argv, sched_options, sched_opt, &o, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &o.name)) != 0)
        return status;
    if (o.s.n_intervals == 0)
        return cli_usage_error(c, "at least one --interval is required");
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, sched_add_body, &o);
}

static int print_schedule(void *ctx, const struct schedule *s)
{
    (void)ctx;
    printf("%lld\t%s\t%lld\t", (long long)s->id, s->name, (long long)s->calendar_id);
    for (int i = 0; i < s->n_intervals; i++) {
        char buf[80];
        sched_interval_format(&s->intervals[i], buf, sizeof(buf));
        printf("%s%s", i ? "; " : "", buf);
    }
    putchar('\n');
    return 0;
}

static int cmd_schedule_list(struct cli *c, int argc, char **argv)
{
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\tcalendar\tintervals\n");
    return store_schedule_list(c->st, print_schedule, NULL) < 0 ? cli_error(c, "listing failed")
                                                                : 0;
}

/* ---- access levels --------------------------------------------------------------------- */

struct level_opts {
    const char *name, *door, *schedule;
    bool remove;
};

static int level_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct level_opts *o = ctx;
    (void)c;
    if (opt == 'D')
        o->door = arg;
    else if (opt == 's')
        o->schedule = arg;
    else if (opt == 'r')
        o->remove = true;
    return 0;
}

static int level_add_body(struct cli *c, void *ctx)
{
    struct level_opts *o = ctx;
    struct access_level lv = {0};
    struct gh_err err = {{0}};
    gh_strlcpy(lv.name, o->name, sizeof(lv.name));
    if (store_level_insert(c->st, &lv, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("access level %lld %s\n", (long long)lv.id, lv.name);
    return 0;
}

static int cmd_level_add(struct cli *c, int argc, char **argv)
{
    struct level_opts o = {0};
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &o.name)) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, level_add_body, &o);
}

static int level_door_body(struct cli *c, void *ctx)
{
    struct level_opts *o = ctx;
    struct level_door ld = {0};
    struct gh_err err = {{0}};
    int status;
    if ((status = cli_level_ref(c, "LEVEL", o->name, &ld.level_id)) != 0 ||
        (status = cli_door_ref(c, "--door", o->door, &ld.door_id)) != 0)
        return status;
    if (o->remove) {
        if (store_level_door_remove(c->st, ld.level_id, ld.door_id) < 0)
            return cli_error(c, "door '%s' is not in level '%s'", o->door, o->name);
        printf("removed door %s from %s\n", o->door, o->name);
        return 0;
    }
    if ((status = cli_schedule_ref(c, "--schedule", o->schedule, &ld.schedule_id)) != 0)
        return status;
    if (store_level_door_set(c->st, &ld, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("level %s: door %s on schedule %s\n", o->name, o->door, o->schedule);
    return 0;
}

static int cmd_level_door(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"door", required_argument, NULL, 'D'},
                                         {"schedule", required_argument, NULL, 's'},
                                         {"remove", no_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct level_opts o = {0};
    int status;
    if (cli_parse(c, argc, argv, opts, level_opt, &o, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one LEVEL");
    o.name = argv[optind];
    if (o.door == NULL || (!o.remove && o.schedule == NULL))
        return cli_usage_error(c, "--door and --schedule are required (or --door --remove)");
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, level_door_body, &o);
}

static int print_level(void *ctx, const struct access_level *l)
{
    (void)ctx;
    printf("%lld\t%s\n", (long long)l->id, l->name);
    return 0;
}

static int print_level_door(void *ctx, const struct level_door *l)
{
    (void)ctx;
    printf("%lld\t%lld\t%lld\n", (long long)l->level_id, (long long)l->door_id,
           (long long)l->schedule_id);
    return 0;
}

static int cmd_level_list(struct cli *c, int argc, char **argv)
{
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\n");
    if (store_level_list(c->st, print_level, NULL) < 0)
        return cli_error(c, "listing failed");
    printf("\nlevel\tdoor\tschedule\n");
    return store_level_door_list(c->st, print_level_door, NULL) < 0 ? cli_error(c, "listing failed")
                                                                    : 0;
}

/* ---- departments ----------------------------------------------------------------------- */

static int dept_add_body(struct cli *c, void *ctx)
{
    struct department d = {0};
    struct gh_err err = {{0}};
    gh_strlcpy(d.name, ctx, sizeof(d.name));
    if (store_department_insert(c->st, &d, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("department %lld %s\n", (long long)d.id, d.name);
    return 0;
}

static int cmd_department_add(struct cli *c, int argc, char **argv)
{
    const char *name;
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = positional_name(c, argc, argv, &name)) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, dept_add_body, (void *)name);
}

static int print_department(void *ctx, const struct department *d)
{
    (void)ctx;
    printf("%lld\t%s\n", (long long)d->id, d->name);
    return 0;
}

static int cmd_department_list(struct cli *c, int argc, char **argv)
{
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    printf("id\tname\n");
    return store_department_list(c->st, print_department, NULL) < 0 ? cli_error(c, "listing failed")
                                                                    : 0;
}

/* ---- removing rows -------------------------------------------------------------------- */

struct remove_ctx {
    enum store_table table;
    const char *ref;
};

static int remove_body(struct cli *c, void *ctx)
{
    struct remove_ctx *rc = ctx;
    struct gh_err err = {{0}};
    int64_t id = 0;
    int status = 0;
    switch (rc->table) {
    case ST_SITE:
        status = cli_site_ref(c, "NAME", rc->ref, &id);
        break;
    case ST_AREA:
        status = cli_area_ref(c, "NAME", rc->ref, &id);
        break;
    case ST_DOOR:
        status = cli_door_ref(c, "NAME", rc->ref, &id);
        break;
    case ST_SCHEDULE:
        status = cli_schedule_ref(c, "NAME", rc->ref, &id);
        break;
    case ST_CALENDAR:
        status = cli_calendar_ref(c, "NAME", rc->ref, &id);
        break;
    case ST_LEVEL:
        status = cli_level_ref(c, "NAME", rc->ref, &id);
        break;
    case ST_PERSON:
        status = cli_person_ref(c, "EMPLOYEE_ID", rc->ref, &id);
        break;
    case ST_DEPARTMENT: {
        struct department d;
        if (store_department_find(c->st, rc->ref, &d) < 0)
            return cli_error(c, "NAME: no department '%s'", rc->ref);
        id = d.id;
        break;
    }
    case ST_CREDENTIAL: {
        struct wiegand_card card;
        struct credential cr;
        if ((status = cli_card_parse(c, "CARD", rc->ref, &card)) != 0)
            return status;
        if (store_credential_find(c->st, card.format, card.facility, card.number, &cr) < 0)
            return cli_error(c, "CARD: no credential %s", rc->ref);
        id = cr.id;
        break;
    }
    default:
        return cli_error(c, "cannot remove this kind of row");
    }
    if (status != 0)
        return status;
    if (store_delete(c->st, rc->table, id, &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("removed %s\n", rc->ref);
    return 0;
}

static int remove_cmd(struct cli *c, int argc, char **argv, enum store_table t)
{
    struct remove_ctx rc = {t, NULL};
    int status;
    if (cli_parse(c, argc, argv, help_only, cli_no_opts, NULL, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one name");
    rc.ref = argv[optind];
    if ((status = cli_open_store(c)) != 0)
        return status;
    return in_transaction(c, remove_body, &rc);
}

#define REMOVE_CMD(fn, table)                                                                      \
    static int fn(struct cli *c, int argc, char **argv)                                            \
    {                                                                                              \
        return remove_cmd(c, argc, argv, table);                                                   \
    }
REMOVE_CMD(cmd_site_remove, ST_SITE)
REMOVE_CMD(cmd_area_remove, ST_AREA)
REMOVE_CMD(cmd_door_remove, ST_DOOR)
REMOVE_CMD(cmd_schedule_remove, ST_SCHEDULE)
REMOVE_CMD(cmd_calendar_remove, ST_CALENDAR)
REMOVE_CMD(cmd_level_remove, ST_LEVEL)
REMOVE_CMD(cmd_department_remove, ST_DEPARTMENT)
REMOVE_CMD(cmd_person_remove, ST_PERSON)
REMOVE_CMD(cmd_credential_remove, ST_CREDENTIAL)

const struct cli_command cli_policy_commands[] = {
    {"init", NULL, cmd_init, "Create a data dir: database and site key.", ""},
    {"site", "add", cmd_site_add, "Add a site with its IANA time zone.",
     "NAME --tz ZONE    e.g. site add HQ --tz Europe/Berlin"},
    {"site", "list", cmd_site_list, "List sites.", ""},
    {"site", "remove", cmd_site_remove, "Remove a site (nothing may refer to it).", "SITE"},
    {"area", "add", cmd_area_add, "Add an area (zone) to a site.",
     "NAME --site SITE [--parent AREA] [--apb none|soft|hard]"},
    {"area", "list", cmd_area_list, "List areas.", ""},
    {"area", "remove", cmd_area_remove, "Remove an area (no door or area may refer to it).",
     "AREA"},
    {"area", "lockdown", cmd_area_lockdown,
     "Lock down an area (and the areas inside it): card reads at its doors are denied.", "AREA"},
    {"area", "release", cmd_area_release, "Release an area lockdown.", "AREA"},
    {"door", "add", cmd_door_add, "Add a door between two areas of a site.",
     "NAME --site SITE --from AREA --to AREA\n"
     "  [--mode card|card_pin|unlocked_schedule|locked_down] [--unlock-schedule SCHEDULE]\n"
     "  [--unlock-ms MS (5000)] [--held-open SECONDS (30)] [--fail secure|safe]\n"
     "  [--escort] [--no-exit-reader] [--no-entry-reader] [--position X,Y | --no-position]\n"
     "The entry reader moves people from --from to --to; the exit reader back.\n"
     "--position places the door on the site's plan, in metres: walking times between\n"
     "placed doors let the badge-cloning detector judge reads within a site."},
    {"door", "set", cmd_door_set, "Change a door (same options as door add).",
     "DOOR [door add options]"},
    {"door", "list", cmd_door_list, "List doors.", ""},
    {"door", "remove", cmd_door_remove, "Remove a door (and it from every access level).", "DOOR"},
    {"calendar", "add", cmd_calendar_add, "Add a holiday calendar.", "NAME"},
    {"calendar", "remove", cmd_calendar_remove,
     "Remove a holiday calendar and its holidays (no schedule may use it).", "CALENDAR"},
    {"holiday", "add", cmd_holiday_add, "Add a holiday to a calendar (a local date).",
     "--calendar CALENDAR --date YYYY-MM-DD --name NAME"},
    {"schedule", "add", cmd_schedule_add, "Add a weekly schedule in site-local time.",
     "NAME --interval 'mon-fri 08:00-18:00' [--interval ...] [--holidays CALENDAR]\n"
     "Days: mon..sun, mon-fri, daily, weekdays, weekends, hol (applies on holidays).\n"
     "An end before the start crosses midnight ('fri 22:00-06:00' runs into Saturday).\n"
     "On a holiday of the calendar only intervals with 'hol' apply."},
    {"schedule", "set", cmd_schedule_set,
     "Change a schedule: new intervals (replacing all) and/or its holiday calendar.",
     "NAME [--interval 'mon-fri 08:00-18:00' ...] [--holidays CALENDAR | --holidays '']"},
    {"schedule", "list", cmd_schedule_list, "List schedules.", ""},
    {"schedule", "remove", cmd_schedule_remove, "Remove a schedule (nothing may use it).",
     "SCHEDULE"},
    {"level", "add", cmd_level_add, "Add an access level.", "NAME"},
    {"level", "door", cmd_level_door, "Put a door in an access level with a schedule.",
     "LEVEL --door DOOR --schedule SCHEDULE | LEVEL --door DOOR --remove"},
    {"level", "list", cmd_level_list, "List access levels and their doors.", ""},
    {"level", "remove", cmd_level_remove,
     "Remove an access level (its door list and assignments go with it).", "LEVEL"},
    {"department", "add", cmd_department_add, "Add a department.", "NAME"},
    {"department", "list", cmd_department_list, "List departments.", ""},
    {"department", "remove", cmd_department_remove, "Remove a department (no person may be in it).",
     "NAME"},
    {"person", "remove", cmd_person_remove,
     "Remove a person with no credentials (prefer --status terminated: it keeps history).",
     "EMPLOYEE_ID"},
    {"credential", "remove", cmd_credential_remove,
     "Remove a credential (prefer --status revoked: it keeps history).", "FORMAT:FACILITY:NUMBER"},
    {NULL, NULL, NULL, NULL, NULL}};
