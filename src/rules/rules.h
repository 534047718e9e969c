/*
 * rules.h: the built-in detectors (issue 8, R-EVT-2): they read committed events in offset
 * order and raise alarms. Each alarm has a type, a severity, the event that raised it, what
 * it concerns (door, person, credential) and a de-duplication key: the same condition on
 * the same subject, which the alarm store folds into one open alarm (src/incident, later).
 *
 * So far: badge cloning / impossible travel (one credential at two doors faster than one
 * can walk between them: a table of walking times between doors, else the distance between
 * two placed doors of one site at a walking speed, else a default within a site and another
 * between sites), a credential of a terminated, suspended or on-leave
 * person or a lost, stolen, suspended or revoked card presented, repeated denials per
 * credential and per door (N in a window), door forced open, door held open, tamper,
 * anti-passback violations, access at an hour unusual for the person (a baseline of their
 * usual hours, learnt from the stream, with a minimum history before it speaks), and a
 * tailgating signal (a door opened more often than it granted while unlocked for grants).
 *
 * What an event alone does not say (a door's site, a credential's or a person's status) the
 * engine asks through struct rules_lookup, which the server answers from its decision
 * snapshot and a test from a table.
 *
 * Ownership: rules_engine_new copies the configuration (and its walking-time table); the
 * caller frees the engine with rules_engine_free. Memory is bounded: per-subject state lives
 * in fixed-size tables (RULES_TABLE_SLOTS each); when one is full the oldest state is
 * dropped. Thread-safety: an engine is used by one thread (the rules thread).
 */
#ifndef GH_RULES_H
#define GH_RULES_H

#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rules_type {
    RULE_BADGE_CLONING = 0,  /* impossible travel */
    RULE_CREDENTIAL_MISUSE,  /* a terminated / suspended / on-leave person, a lost card ... */
    RULE_DENIALS_CREDENTIAL, /* repeated denials of one credential */
    RULE_DENIALS_DOOR,       /* repeated denials at one door */
    RULE_DOOR_FORCED,        /* opened without a grant or an exit request */
    RULE_DOOR_HELD,          /* open past its held-open time */
    RULE_TAMPER,             /* a reader or door tamper */
    RULE_ANTIPASSBACK,       /* an anti-passback violation (hard: denied; soft: let in) */
    RULE_AFTER_HOURS,        /* a grant at an hour unusual for this person */
    RULE_TAILGATING,         /* more openings than grants while a door was unlocked for them */
    RULE_HEARTBEAT_MISSED,   /* a controller's heartbeat is late */
    RULE_DEVICE_OFFLINE,     /* a controller silent for long */
    RULE_STALE_ACCESS,       /* an access review (department change) left open for N days */
    RULE_COUNT,
    RULE_CUSTOM = RULE_COUNT /* raised by a Lua rule: its type is the alarm's `custom` */
};
const char *rules_type_name(enum rules_type t);
int rules_type_parse(const char *s, enum rules_type *out);

#define RULES_KEY_MAX    96
#define RULES_DETAIL_MAX 256

struct rules_alarm {
    enum rules_type type;
    int severity;                  /* 1 (low) .. 5 (critical) */
    int64_t time_us;               /* of the event that raised it */
    int64_t offset;                /* that event's offset */
    int64_t door_id;               /* 0: none */
    int64_t person_id;             /* 0: none */
    int64_t credential_id;         /* 0: none */
    int64_t device_id;             /* a controller's id, 0: none */
    char custom[48];               /* RULE_CUSTOM: the type the script gave */
    char key[RULES_KEY_MAX];       /* "type:subject", for de-duplication */
    char detail[RULES_DETAIL_MAX]; /* one sentence for a person */
};
typedef void (*rules_emit_fn)(void *ctx, const struct rules_alarm *a);
/* A custom alarm type or key: 1 to max of a-z 0-9 _ : - . (what alarm{} of a Lua rule and
 * an incident type's alarm_types accept). */
bool rules_word_valid(const char *s, size_t max);
/* The alarm's type name: the detector's, or a custom rule's. */
const char *rules_alarm_type(const struct rules_alarm *a);

/* Minimum walking time between two doors (either way round). */
struct rules_walk {
    int64_t door_a, door_b;
    unsigned seconds;
};

/* Where a detector looks: doors of these sites, and these doors. Empty: everywhere. */
#define RULES_SCOPE_MAX 32
struct rules_scope {
    int64_t sites[RULES_SCOPE_MAX];
    int64_t doors[RULES_SCOPE_MAX];
    int n_sites, n_doors;
};

struct rules_config {
    bool disabled[RULE_COUNT];
    /* the detectors of doors look only at the doors in their scope (when it is set); the
     * clock-driven ones (devices, reviews) have none */
    struct rules_scope scope[RULE_COUNT];
    /* impossible travel: the table first, else the defaults (0 turns a default off) */
    const struct rules_walk *walks;
    size_t n_walks;
    unsigned walk_same_site_s;  /* two different doors of one site (default 0: off; doors of
                                   one site may be steps apart, give them in the table) */
    unsigned walk_other_site_s; /* doors of two sites (default 900) */
    double walk_speed_mps;      /* two placed doors of one site: the straight line between
                                   them at this speed (default 2.0 m/s, a brisk walk) */
    /* repeated denials: n within window_s (defaults 5 in 60 s for a credential, 10 in 60 s
     * at a door) */
    unsigned denials_credential_n, denials_credential_window_s;
    unsigned denials_door_n, denials_door_window_s;
    /* after hours: a grant on a kind of day (weekday, weekend) within an hour of which the
     * person has never been let in, once they have this many grants behind them (40) */
    unsigned after_hours_min_history;
    /* devices: a heartbeat later than its period and this grace is missed (5 s); a device
     * silent longer than this and three periods is offline (90 s) */
    unsigned heartbeat_grace_s, offline_after_s;
    /* an access review still open this many days after a department change (30; 0 off) */
    unsigned stale_access_days;
};
void rules_config_init(struct rules_config *c);

/* What the engine asks about the world. Each answers -1 (or 0 for a site) when it does not
 * know; a detector then stays silent rather than guess. */
struct rules_lookup {
    void *ctx;
    int64_t (*door_site)(void *ctx, int64_t door_id);
    int (*credential_status)(void *ctx, int64_t credential_id); /* enum cred_status */
    int (*person_status)(void *ctx, int64_t person_id);         /* enum person_status */
    /* the local day of the week (0 Monday .. 6 Sunday) and hour at a door's site */
    int (*local_time)(void *ctx, int64_t door_id, int64_t time_us, int *weekday, int *hour);
    /* where a door is on its site's plan, in metres: 0, or -1 when it was not placed */
    int (*door_position)(void *ctx, int64_t door_id, double *x_m, double *y_m);
};

/* The lookup answered from a store (lookup.c): the returned world is the lookup's ctx;
 * free it after the engine. st stays the caller's and is used by the engine's thread. */
struct store;
struct rules_world;
struct rules_world *rules_world_new(struct store *st, struct rules_lookup *out);
void rules_world_free(struct rules_world *w);

/* ---- custom rules in Lua (script.c) -------------------------------------------------------- */

struct rules_scripts_config {
    const char *dir;           /* the rules directory: its *.lua files (copied) */
    size_t memory_max;         /* bytes one script's state may hold (8 MiB) */
    uint64_t instructions_max; /* VM instructions one call may run (1,000,000) */
};
void rules_scripts_config_init(struct rules_scripts_config *c);
/* What became of a script: "loaded", "reloaded", "refused" (it does not load), "disabled"
 * (it failed: why says how), "removed". */
typedef void (*rules_script_report_fn)(void *ctx, const char *script, const char *what,
                                       const char *why);
/* Ownership: rules_scripts_new returns a set the caller frees with rules_scripts_free.
 * Thread-safety: one thread (the rules thread). */
struct rules_scripts;
int rules_scripts_new(const struct rules_scripts_config *cfg, struct rules_scripts **out,
                      struct gh_err *err);
/* Loads new and changed files, drops removed ones (a disabled script runs again once its
 * file changes); each change goes to report. */
void rules_scripts_reload(struct rules_scripts *s, rules_script_report_fn report, void *rctx);
/* Gives an event to the handlers subscribed to its type; their alarms go to emit. A script
 * that fails is disabled and reported. */
void rules_scripts_feed(struct rules_scripts *s, const struct event *ev, rules_emit_fn emit,
                        void *ctx, rules_script_report_fn report, void *rctx);
/* How many scripts there are; *running (may be NULL) how many run. */
int rules_scripts_count(const struct rules_scripts *s, int *running);
void rules_scripts_free(struct rules_scripts *s);

#define RULES_TABLE_SLOTS  65536 /* subjects remembered per detector */
#define RULES_DEVICE_SLOTS 4096  /* controllers, and open access reviews, remembered */

struct rules_engine;
int rules_engine_new(const struct rules_config *cfg, const struct rules_lookup *lookup,
                     struct rules_engine **out, struct gh_err *err);
void rules_engine_free(struct rules_engine *e);
/* Feeds one committed event (in offset order); every alarm it raises goes to emit. */
void rules_feed(struct rules_engine *e, const struct event *ev, rules_emit_fn emit, void *ctx);

/* The clock-driven detectors. Their facts come from the store, not the event stream: the
 * server tells the engine each controller's last heartbeat (and its period) and, after
 * rules_reviews_begin, every access review still open (a roll call: one not named since
 * is closed), then calls rules_tick with the time. Each condition is said once until the
 * facts change (a newer heartbeat). */
void rules_device_seen(struct rules_engine *e, int64_t controller_id, int64_t heartbeat_us,
                       unsigned period_s);
void rules_reviews_begin(struct rules_engine *e);
void rules_review_open(struct rules_engine *e, int64_t review_id, int64_t person_id,
                       int64_t opened_us);
void rules_tick(struct rules_engine *e, int64_t now_us, rules_emit_fn emit, void *ctx);

#endif
