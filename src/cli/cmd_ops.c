/*
 * cmd_ops.c: operational commands: `decide` (what-if with the explanation, optionally
 * recorded in the event log) and `events` (the latest events, human-readable).
 */
#include "cli/cli.h"

#include <sodium.h>
#include <string.h>

struct decide_opts {
    const char *door, *card, *bits, *pin, *at, *escort;
    bool exit, record, json;
};

static int decide_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct decide_opts *o = ctx;
    (void)c;
    switch (opt) {
    case 'D': o->door = arg; break;
    case 'c': o->card = arg; break;
    case 'b': o->bits = arg; break;
    case 'p': o->pin = arg; break;
    case 'a': o->at = arg; break;
    case 'e': o->escort = arg; break;
    case 'x': o->exit = true; break;
    case 'r': o->record = true; break;
    default: break;
    }
    return 0;
}

static int presented(struct cli *c, const char *opt, const char *card, const char *bits,
                     struct access_presented *p)
{
    memset(p, 0, sizeof(*p));
    if (bits != NULL) {
        size_t n = strlen(bits);
        if (n == 0 || n > WIEGAND_MAX_BITS)
            return cli_usage_error(c, "--bits: 1 to %d characters of 0 and 1",
                                   WIEGAND_MAX_BITS);
        for (size_t i = 0; i < n; i++) {
            if (bits[i] != '0' && bits[i] != '1')
                return cli_usage_error(c, "--bits: character %zu is not 0 or 1", i + 1);
            p->bits[i] = (uint8_t)(bits[i] - '0');
        }
        p->raw = true;
        p->nbits = n;
        return 0;
    }
    return cli_card_parse(c, opt, card, &p->card);
}

static int cmd_decide(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"door", required_argument, NULL, 'D'},
                                         {"card", required_argument, NULL, 'c'},
                                         {"bits", required_argument, NULL, 'b'},
                                         {"pin", required_argument, NULL, 'p'},
                                         {"at", required_argument, NULL, 'a'},
                                         {"escort", required_argument, NULL, 'e'},
                                         {"exit", no_argument, NULL, 'x'},
                                         {"record", no_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct decide_opts o = {0};
    struct access_request req;
    struct access_result res;
    struct access_explain ex;
    struct access_snapshot *snap = NULL;
    struct gh_err err = {{0}};
    struct gh_buf out;
    uint8_t key[ACCESS_SITE_KEY_LEN];
    char when[GH_ISO_LEN];
    int status;

    if (cli_parse(c, argc, argv, opts, decide_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (o.door == NULL || (o.card == NULL) == (o.bits == NULL))
        return cli_usage_error(c, "--door and one of --card or --bits are required");
    memset(&req, 0, sizeof(req));
    req.direction = o.exit ? DIR_EXIT : DIR_ENTRY;
    req.pin = o.pin;
    req.time_us = gh_now_us();
    if (o.at && (status = cli_time_parse(c, "--at", o.at, &req.time_us)) != 0)
        return status;
    if ((status = presented(c, "--card", o.card, o.bits, &req.cred)) != 0)
        return status;
    if (o.escort) {
        if ((status = presented(c, "--escort", o.escort, NULL, &req.escort)) != 0)
            return status;
        req.has_escort = true;
    }
    if ((status = cli_open_store(c)) != 0)
        return status;
    if ((status = cli_door_ref(c, "--door", o.door, &req.door_id)) != 0)
        return status;
    if ((status = cli_load_site_key(c, key)) != 0)
        return status;
    if (access_compile(c->st, key, &snap, &err) < 0) {
        sodium_memzero(key, sizeof(key));
        return cli_error(c, "%s", err.msg);
    }
    sodium_memzero(key, sizeof(key));
    if (access_decide(snap, NULL, &req, &res, &ex) < 0) {
        access_snapshot_free(snap);
        return cli_error(c, "the request is malformed");
    }
    gh_format_iso(req.time_us, when);
    printf("%s: %s (door %s, %s, %s, policy version %lld)\n",
           res.granted ? "GRANTED" : "DENIED", access_reason_name(res.reason), o.door,
           direction_name(req.direction), when, (long long)res.policy_version);
    if (res.person_id != 0) {
        struct person p;
        if (store_person_get(c->st, res.person_id, &p) == 0)
            printf("  card holder: %s %s (%s, %s)\n", p.first_name, p.last_name, p.employee_id,
                   person_status_name(p.status));
    }
    gh_buf_init(&out, 64 * 1024);
    access_explain_format(&ex, &out);
    fputs(gh_buf_cstr(&out), stdout);
    gh_buf_free(&out);
    if (o.record) {
        struct event ev;
        memset(&ev, 0, sizeof(ev));
        ev.time_us = req.time_us;
        ev.type = EV_ACCESS_DECISION;
        ev.door_id = req.door_id;
        ev.person_id = res.person_id;
        ev.credential_id = res.credential_id;
        ev.decision = res.granted;
        ev.reason = (int)res.reason;
        snprintf(ev.payload, sizeof(ev.payload), "{\"direction\":\"%s\",\"source\":\"cli\"}",
                 direction_name(req.direction));
        if (store_begin_write(c->st) < 0 || store_event_append(c->st, &ev) < 0 ||
            store_commit(c->st) < 0) {
            store_rollback(c->st);
            status = cli_error(c, "recording the decision: %s", store_errmsg(c->st));
        } else {
            printf("recorded as event %lld\n", (long long)ev.offset);
        }
    }
    access_snapshot_free(snap);
    return status;
}

struct events_opts {
    int64_t limit;
};

static int events_opt(struct cli *c, void *ctx, int opt, const char *arg)
{
    struct events_opts *o = ctx;
    if (opt == 'n')
        return cli_int_parse(c, "--limit", arg, 1, 1000000, &o->limit);
    return 0;
}

static int print_event(void *ctx, const struct event *ev)
{
    char ts[GH_ISO_LEN];
    (void)ctx;
    gh_format_iso(ev->time_us, ts);
    printf("%lld\t%s\t%s", (long long)ev->offset, ts, event_type_name(ev->type));
    if (ev->decision >= 0)
        printf("\t%s\t%s", ev->decision ? "granted" : "denied",
               access_reason_name((enum access_reason)ev->reason));
    if (ev->door_id)
        printf("\tdoor=%lld", (long long)ev->door_id);
    if (ev->person_id)
        printf("\tperson=%lld", (long long)ev->person_id);
    if (ev->payload[0])
        printf("\t%s", ev->payload);
    putchar('\n');
    return 0;
}

static int cmd_events(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"limit", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct events_opts o = {20};
    struct store_event_filter f;
    int64_t last;
    int status;
    if (cli_parse(c, argc, argv, opts, events_opt, &o, &status) != 0)
        return status;
    if ((status = cli_open_store(c)) != 0)
        return status;
    store_event_filter_init(&f);
    last = store_event_last_offset(c->st);
    f.after_offset = last > o.limit ? last - o.limit : 0;
    return store_event_query(c->st, &f, print_event, NULL) < 0 ? cli_error(c, "query failed")
                                                               : 0;
}

const struct cli_command cli_ops_commands[] = {
    {"decide", NULL, cmd_decide,
     "What-if: decide a card read at a door and explain why (optionally record it).",
     "--door DOOR (--card FORMAT:FACILITY:NUMBER | --bits 0101...) [--exit] [--pin PIN]\n"
     "  [--at TIME (default now)] [--escort FORMAT:FACILITY:NUMBER] [--record]"},
    {"events", NULL, cmd_events, "Show the latest events.", "[--limit N (20)]"},
    {NULL, NULL, NULL, NULL, NULL}};
