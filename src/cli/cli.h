/*
 * cli.h: private to src/cli. The command table, the shared context of a command run and
 * the helpers every command group uses (data dir, store, keys, reference resolution,
 * option parsing, messages).
 *
 * Exit statuses: 0 success, 1 failure (the message says what and where), 2 usage error.
 */
#ifndef GH_CLI_H
#define GH_CLI_H

#include "http/http.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#define EXIT_USAGE 2

struct cli {
    const char *prog;     /* argv[0], for commands printed back to the user */
    const char *data_dir; /* --data, $GATEHOUSE_DATA, or ./gatehouse-data */
    bool data_explicit;   /* data_dir came from --data or $GATEHOUSE_DATA */
    const char *cmd_name; /* "door add", for messages */
    struct store *st;     /* opened by cli_open_store() */
    int argc;             /* the command's own arguments (argv[0] the program) */
    char **argv;
};

struct cli_command {
    const char *group; /* "door" (or the command itself for single words: "decide") */
    const char *verb;  /* "add", or NULL for a single-word command */
    int (*run)(struct cli *c, int argc, char **argv);
    const char *summary;
    const char *usage; /* options, one per line */
};

extern const struct cli_command cli_policy_commands[];
extern const struct cli_command cli_people_commands[];
extern const struct cli_command cli_ops_commands[];
extern const struct cli_command cli_sim_commands[];
extern const struct cli_command cli_serve_commands[];
extern const struct cli_command cli_user_commands[];
extern const struct cli_command cli_edge_commands[];
extern const struct cli_command cli_audit_commands[];
extern const struct cli_command cli_rules_commands[];

/* Messages: "gatehouse: door add: <msg>" on stderr. Return the exit status to use. */
int cli_error(struct cli *c, const char *fmt, ...) GH_PRINTF(2, 3);
int cli_usage_error(struct cli *c, const char *fmt, ...) GH_PRINTF(2, 3);
/* Prints v as indented JSON on stdout and releases it; the exit status. */
int cli_print_json(struct cli *c, json_t *v);
/* Prints the command's usage to stdout and returns 0 (for --help). */
int cli_help(struct cli *c);

/* Parses options with getopt_long (resetting it first). Handles --help (prints usage,
 * returns 1 so the caller returns 0) and unknown options (returns -1, usage printed). The
 * callback gets each option; it returns 0 or an exit status (non-zero stops). */
typedef int (*cli_opt_fn)(struct cli *c, void *ctx, int opt, const char *arg);
int cli_parse(struct cli *c, int argc, char **argv, const struct option *opts, cli_opt_fn fn,
              void *ctx, int *status);

/* The option callback of commands that take no options (help aside). */
int cli_no_opts(struct cli *c, void *ctx, int opt, const char *arg);

/* Data dir paths. */
int cli_db_path(struct cli *c, char *buf, size_t len);
/* Commits the open write transaction with the change's audit entry in it (who: the local
 * user; the command and its arguments, secret options' values left out). 0, or the exit
 * status after a message (the caller rolls back). */
int cli_commit(struct cli *c);
/* Records a sensitive read (an export, the audit log read or verified) in the audit log in
 * a transaction of its own, with outcome (NULL: none). 0, or the exit status after a
 * message. */
int cli_audit_read(struct cli *c, const char *outcome);
/* Who runs this command, as the audit log names them: "local:USER". */
void cli_local_user(char who[MODEL_NAME_MAX]);
/* Opens the store of an initialized data dir (message and exit status on failure). */
int cli_open_store(struct cli *c);
/* Blocks SIGINT and SIGTERM in this thread and the threads it starts, filling set, so a
 * long-running command takes them with sigwait/sigtimedwait (serve, demo, sim --rate). */
void cli_block_stop_signals(sigset_t *set);
/* Loads keys/site.key of the data dir. */
int cli_load_site_key(struct cli *c, uint8_t key[ACCESS_SITE_KEY_LEN]);
/* Creates a data dir (0700), its database and its site key (0600). */
int cli_init_data_dir(const char *dir, struct gh_err *err);

/* Resolve "NAME" or a numeric id to a row id; the message names the option. */
int cli_site_ref(struct cli *c, const char *opt, const char *s, int64_t *id);
int cli_area_ref(struct cli *c, const char *opt, const char *s, int64_t *id);
int cli_door_ref(struct cli *c, const char *opt, const char *s, int64_t *id);
int cli_schedule_ref(struct cli *c, const char *opt, const char *s, int64_t *id);
int cli_calendar_ref(struct cli *c, const char *opt, const char *s, int64_t *id);
int cli_level_ref(struct cli *c, const char *opt, const char *s, int64_t *id);
int cli_person_ref(struct cli *c, const char *opt, const char *s, int64_t *id);
/* A card "FORMAT:FACILITY:NUMBER", e.g. h10301:12:3456. */
int cli_card_parse(struct cli *c, const char *opt, const char *s, struct wiegand_card *out);
/* A time (ISO-8601, or "now"); zone-less times are UTC. */
int cli_time_parse(struct cli *c, const char *opt, const char *s, int64_t *out);
/* A whole number option in [min, max]. */
int cli_int_parse(struct cli *c, const char *opt, const char *s, int64_t min, int64_t max,
                  int64_t *out);

/* Appends an event in the caller's transaction; payload is a jansson object whose
 * reference it takes (e.g. straight from json_pack). */
int cli_log_event(struct cli *c, enum event_type type, int64_t person_id, int64_t cred_id,
                  json_t *payload);

/* Recompiles the snapshot to check the policy still compiles (after a change). */
int cli_check_policy(struct cli *c);

/* Simulator entry points (sim.c), used by `sim` and `demo`. */
struct sim_options {
    uint64_t seed;
    int people;
    int buildings;
    int64_t day; /* local date (days since epoch) to simulate */
    const char *timezone;
    bool scenarios; /* inject the incident scenarios */
    bool quiet;
    /* live mode: replay the planned reads at this many per second, stamped now, until a
     * signal of live_stop arrives (taken with sigtimedwait; block them first). Each person
     * keeps to their own day's order and the walking time between doors, so the rate is at
     * most what the population can walk; live_flood drops that (a load generator: the
     * detectors then see impossible travel everywhere). */
    double live_rate;
    bool live_flood;
    const sigset_t *live_stop;
    struct demo_edge *edge; /* live mode: reads at its doors go to this controller (or NULL) */
};
void sim_options_init(struct sim_options *o);

/* The demo's door controller (demo_edge.c): a real `gatehouse edge` for the first
 * DEMO_EDGE_DOORS doors, enrolled against the demo's server, fed through its socket. */
#define DEMO_EDGE_DOORS 2
struct demo_edge {
    pid_t pid;
    int fd; /* its simulator socket */
    int64_t doors[DEMO_EDGE_DOORS];
    int n_doors;
    char names[2 * 64 + 8];
    char socket_path[108];
};
/* Records the controller (once), starts and enrolls it, connects to its socket. */
int demo_edge_start(struct cli *c, const char *url, const char *ca, struct demo_edge *out,
                    struct gh_err *err);
bool demo_edge_has(const struct demo_edge *e, int64_t door);
/* Sends a card read and waits for the controller's answer (2 s at most). */
int demo_edge_swipe(struct demo_edge *e, int64_t door, const char *bits, const char *pin);
/* Stops the controller (SIGTERM) and waits for it. */
void demo_edge_stop(struct demo_edge *e);
/* Builds an organization into an empty store. */
int sim_build_org(struct cli *c, const struct sim_options *o);
/* Replays one working day of badge traffic through the engine into the event log and
 * prints a summary (grants/denials by reason, top doors). */
int sim_run_day(struct cli *c, const struct sim_options *o);

#endif
