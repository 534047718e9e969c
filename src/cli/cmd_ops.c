/*
 * cmd_ops.c: operational commands: `decide` (what-if with the explanation, optionally
 * recorded in the event log) and `events` (the latest events, human-readable).
 */
#include "cli/cli.h"

#include <sodium.h>
#include <string.h>

struct decide_opts {
    const char *door, *card, *bits, *pin, *at, *escort;
    bool exit, record, pin_stdin;
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
    case 'I': o->pin_stdin = true; break;
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

/* The payload of a decision event: direction, source, and for a card that is not
 * enrolled (or a read that does not decode) what was read, so the log keeps it. A read
 * entered for another time than now also says when it was recorded. */
static json_t *decision_payload(const struct access_request *req,
                                const struct access_result *res, bool manual)
{
    json_t *p = json_pack("{s:s, s:s}", "direction", direction_name(req->direction), "source",
                          manual ? "cli-manual" : "cli");
    if (p == NULL)
        return NULL;
    if (res->credential_id == 0) {
        char read[WIEGAND_MAX_BITS + 64];
        if (req->cred.raw) {
            for (size_t i = 0; i < req->cred.nbits; i++)
                read[i] = req->cred.bits[i] ? '1' : '0';
            read[req->cred.nbits] = '\0';
            json_object_set_new(p, "bits", json_string(read));
        } else {
            snprintf(read, sizeof(read), "%s:%u:%llu", cred_format_name(req->cred.card.format),
                     req->cred.card.facility, (unsigned long long)req->cred.card.number);
            json_object_set_new(p, "card", json_string(read));
        }
    }
    if (manual) {
        char now[GH_ISO_LEN];
        gh_format_iso(gh_now_us(), now);
        json_object_set_new(p, "recorded_at", json_string(now));
    }
    return p;
}

/* The time zone of a door's site: --at without an offset is the site's local time. */
static int door_zone(struct cli *c, int64_t door_id, struct gh_tz **tz)
{
    struct door d;
    struct site s;
    struct gh_err err = {{0}};
    if (store_door_get(c->st, door_id, &d) < 0 || store_site_get(c->st, d.site_id, &s) < 0)
        return cli_error(c, "--door: the door's site is not found");
    if (tz_load(s.timezone, tz, &err) < 0)
        return cli_error(c, "site '%s': %s", s.name, err.msg);
    return 0;
}

/* "Sun 2026-11-22 07:55:00" in the zone. */
static void format_local(const struct gh_tz *tz, int64_t t, char *buf, size_t len)
{
    struct gh_local loc;
    int64_t y;
    unsigned m, d;
    tz_local(tz, t, &loc);
    gh_civil_from_days(loc.days, &y, &m, &d);
    snprintf(buf, len, "%s %04lld-%02u-%02u %02u:%02u:%02u", gh_weekday_name(loc.weekday), (long long)y, m,
             d, loc.second / 3600, loc.second / 60 % 60, loc.second % 60);
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
                                         {"pin-stdin", no_argument, NULL, 'I'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    struct decide_opts o = {0};
    char pin[32] = "";
    struct access_request req;
    struct access_result res;
    struct access_explain ex;
    struct access_snapshot *snap = NULL;
    struct gh_err err = {{0}};
    struct gh_buf out;
    uint8_t key[ACCESS_SITE_KEY_LEN];
    char when[GH_ISO_LEN], local[48];
    struct gh_tz *tz = NULL;
    int status;

    if (cli_parse(c, argc, argv, opts, decide_opt, &o, &status) != 0)
        return status;
    if (optind != argc)
        return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
    if (o.door == NULL || (o.card == NULL) == (o.bits == NULL))
        return cli_usage_error(c, "--door and one of --card or --bits are required");
    if (o.pin != NULL && o.pin_stdin)
        return cli_usage_error(c, "use --pin or --pin-stdin, not both");
    if (o.pin_stdin) {
        if (fgets(pin, sizeof(pin), stdin) == NULL)
            return cli_error(c, "--pin-stdin: no PIN on standard input");
        pin[strcspn(pin, "\r\n")] = '\0';
        o.pin = pin;
    }
    memset(&req, 0, sizeof(req));
    req.direction = o.exit ? DIR_EXIT : DIR_ENTRY;
    req.pin = o.pin;
    req.time_us = gh_now_us();
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
    if ((status = door_zone(c, req.door_id, &tz)) != 0)
        return status;
    if (o.at && strcmp(o.at, "now") != 0 && gh_parse_time(o.at, tz, &req.time_us, &err) < 0) {
        tz_free(tz);
        return cli_usage_error(c, "--at: %s", err.msg);
    }
    if ((status = cli_load_site_key(c, key)) != 0) {
        tz_free(tz);
        return status;
    }
    if (access_compile(c->st, key, &snap, &err) < 0) {
        sodium_memzero(key, sizeof(key));
        tz_free(tz);
        return cli_error(c, "%s", err.msg);
    }
    sodium_memzero(key, sizeof(key));
    if (access_decide(snap, NULL, &req, &res, &ex) < 0) {
        access_snapshot_free(snap);
        tz_free(tz);
        return cli_error(c, "the request is malformed");
    }
    gh_format_iso(req.time_us, when);
    format_local(tz, req.time_us, local, sizeof(local));
    printf("%s: %s (door %s, %s, %s = %s %s, policy version %lld)\n",
           res.granted ? "GRANTED" : "DENIED", access_reason_name(res.reason), o.door,
           direction_name(req.direction), when, local, tz_name(tz),
           (long long)res.policy_version);
    tz_free(tz);
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
        if (event_payload_set(&ev, decision_payload(&req, &res, o.at != NULL)) < 0) {
            access_snapshot_free(snap);
            return cli_error(c, "recording the decision: the event payload cannot be built");
        }
        if (store_begin_write(c->st) < 0 || store_event_append(c->st, &ev) < 0 ||
            cli_commit(c) != 0) {
            store_rollback(c->st);
            status = cli_error(c, "recording the decision: %s", store_errmsg(c->st));
        } else {
            printf("recorded as event %lld\n", (long long)ev.offset);
        }
    }
    access_snapshot_free(snap);
    sodium_memzero(pin, sizeof(pin));
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

/* Prints the Wiegand bits of a card (to test readers and panels, or for --bits). */
static int cmd_card_bits(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    struct wiegand_card card;
    struct gh_err err = {{0}};
    char bits[WIEGAND_MAX_BITS + 1];
    int status;
    struct decide_opts unused = {0};
    if (cli_parse(c, argc, argv, opts, decide_opt, &unused, &status) != 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error(c, "expected exactly one card FORMAT:FACILITY:NUMBER");
    if ((status = cli_card_parse(c, "CARD", argv[optind], &card)) != 0)
        return status;
    if (wiegand_encode_str(&card, bits, sizeof(bits), &err) < 0)
        return cli_error(c, "%s", err.msg);
    printf("%s\n", bits);
    return 0;
}

const struct cli_command cli_ops_commands[] = {
    {"card", "bits", cmd_card_bits,
     "Print the Wiegand bits of a card, parity included (for testing readers and --bits).",
     "FORMAT:FACILITY:NUMBER"},
    {"decide", NULL, cmd_decide,
     "What-if: decide a card read at a door and explain why (optionally record it).",
     "--door DOOR (--card FORMAT:FACILITY:NUMBER | --bits 0101...) [--exit] [--pin PIN]\n"
     "  [--pin-stdin] [--at TIME (default now)] [--escort FORMAT:FACILITY:NUMBER]\n"
     "  [--record (store the decision in the event log; with --at, the event says when\n"
     "  it was recorded and that it was entered by hand)]\n"
     "--at without an offset (2026-11-22T07:55) is local time at the door's site;\n"
     "with Z or +HH:MM it is that instant."},
    {"events", NULL, cmd_events, "Show the latest events.", "[--limit N (20)]"},
    {NULL, NULL, NULL, NULL, NULL}};
