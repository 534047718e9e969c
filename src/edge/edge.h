/*
 * edge.h: the door controller (`gatehouse edge`): what a controller board does at its
 * doors, without the server: the door state machine, the simulator's line protocol (the
 * I/O driver that tests, the demo and `gatehouse sim` use instead of wires), the
 * controller's key, and the durable journal of events waiting for the server.
 *
 * One struct door_sm per door. The controller's event loop feeds it what happens (an access
 * grant, a request-to-exit, the door contact opening or closing, a lockdown or momentary
 * unlock from the server, an I/O or power fault) and the time, and calls door_tick() when
 * door_next_deadline() comes; the machine sets its lock output and reports every
 * transition through the emit callback, in order, synchronously. It does no I/O, reads no
 * clock and allocates nothing: times are the caller's monotonic milliseconds.
 *
 * The rules (docs/PROTOCOL-edge.md has them with the events on the wire):
 * - The lock output: with a fault, what the door's fail mode says (fail-safe: unlocked,
 *   fail-secure: locked); else locked in lockdown; else unlocked while an unlock window
 *   (an access grant, a request-to-exit, a momentary unlock) lasts; else locked.
 * - An opening is authorized while an unlock window lasts, or a request-to-exit window
 *   (free egress: also in lockdown, though then the lock stays locked), or while a
 *   fail-safe fault holds the door unlocked. Any other opening is forced (an alarm).
 * - An authorized opening may stay open held_open_ms: a warning held_warn_ms before the
 *   end, then the held-open alarm. Closing the door ends the unlock window (the lock is
 *   locked again at once, "relock on close") and clears a forced or held alarm.
 * - In lockdown, grants and momentary unlocks are refused (-EPERM); a request-to-exit
 *   still lets the person out without an alarm.
 *
 * Ownership and threads: the caller owns the struct; one thread (the event loop) uses it.
 */
#ifndef GH_EDGE_H
#define GH_EDGE_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a door does, from the server's door row. */
struct door_config {
    int64_t door_id;
    uint32_t unlock_ms;    /* an access grant unlocks for this long (door.unlock_ms) */
    uint32_t held_open_ms; /* an authorized opening may last this long (door.held_open_s) */
    uint32_t held_warn_ms; /* the warning comes this long before the held-open alarm (0: none) */
    bool fail_safe;        /* on a fault: true unlocked (fail-safe), false locked (fail-secure) */
};

/* What the machine reports, each with the time it happened. */
enum door_note_kind {
    DOOR_NOTE_UNLOCKED,     /* the lock output became unlocked */
    DOOR_NOTE_LOCKED,       /* the lock output became locked */
    DOOR_NOTE_OPENED,       /* the contact opened (authorized) */
    DOOR_NOTE_FORCED,       /* the contact opened while nothing allowed it: alarm */
    DOOR_NOTE_HELD_WARNING, /* an authorized opening is about to be held too long */
    DOOR_NOTE_HELD,         /* open past held_open_ms: alarm */
    DOOR_NOTE_CLOSED,       /* the contact closed */
    DOOR_NOTE_SECURE,       /* closed again after a forced or held alarm: the alarm ends */
    DOOR_NOTE_REX,          /* request-to-exit pressed */
    DOOR_NOTE_LOCKDOWN,     /* lockdown began */
    DOOR_NOTE_RELEASE,      /* lockdown ended */
    DOOR_NOTE_FAULT,        /* an I/O or power fault: the fail mode applies */
    DOOR_NOTE_RESTORED,     /* the fault ended */
    DOOR_NOTE_COUNT
};
const char *door_note_name(enum door_note_kind k);

struct door_note {
    enum door_note_kind kind;
    int64_t door_id;
    int64_t at_ms;
};
typedef void (*door_emit_fn)(void *ctx, const struct door_note *note);

enum door_lock { DOOR_LOCKED, DOOR_UNLOCKED };

struct door_sm {
    struct door_config cfg;
    enum door_lock output;
    bool open; /* the contact */
    bool lockdown;
    bool fault;
    bool authorized_open; /* the present opening was authorized (held timer runs) */
    bool forced;          /* alarm states, cleared when the door closes */
    bool held;
    bool warned;
    int64_t unlock_until_ms; /* unlock window end (0: none) */
    int64_t rex_until_ms;    /* request-to-exit window end (0: none) */
    int64_t opened_ms;       /* when the present opening began */
    door_emit_fn emit;
    void *ctx;
};

/* A closed, locked door, with no alarm. emit (may be NULL) gets every note. */
void door_init(struct door_sm *d, const struct door_config *cfg, door_emit_fn emit, void *ctx);
/* An access grant: unlock for unlock_ms. -EPERM in lockdown (nothing changes). */
int door_grant(struct door_sm *d, int64_t now_ms);
/* A momentary unlock from the server for ms milliseconds (1..3,600,000). -EPERM in lockdown,
 * -EINVAL for a bad duration. */
int door_momentary(struct door_sm *d, uint32_t ms, int64_t now_ms);
/* Request-to-exit: the next opening within unlock_ms is authorized (also in lockdown); the
 * lock is unlocked unless in lockdown. */
void door_rex(struct door_sm *d, int64_t now_ms);
/* The door contact: open (true) or closed (false). A repeat of the same state is ignored. */
void door_contact(struct door_sm *d, bool open, int64_t now_ms);
/* Lockdown on or off (from the server). */
void door_lockdown(struct door_sm *d, bool on, int64_t now_ms);
/* A fault of the lock's power or I/O, on or off. */
void door_fault(struct door_sm *d, bool on, int64_t now_ms);
/* Timers: ends unlock windows, raises the held-open warning and alarm. Call at
 * door_next_deadline() (calling earlier or later is harmless). */
void door_tick(struct door_sm *d, int64_t now_ms);
/* When door_tick() has work next; INT64_MAX when nothing is pending. */
int64_t door_next_deadline(const struct door_sm *d);

/* ---- the simulator driver's line protocol ------------------------------------------
 *
 * One command per line (LF, an optional CR before it), at most EDGE_SIM_LINE_MAX bytes,
 * words separated by single spaces or tabs:
 *   swipe DOOR BITS [pin=DIGITS]   a card read: Wiegand bits as 0/1, 1..EDGE_SIM_MAX_BITS
 *   open DOOR | close DOOR         the door contact
 *   rex DOOR                       request-to-exit pressed
 *   state DOOR                     ask for the door's state
 *   fault DOOR on|off              the lock's power or I/O fails or comes back
 *   advance SECONDS                the controller's clock moves forward (simulated time:
 *                                  decisions, journal times and offline time; 1..604800)
 * DOOR is the door's id or its name without spaces (1..64 of [A-Za-z0-9._:-]). */
#define EDGE_SIM_LINE_MAX 512
#define EDGE_SIM_MAX_BITS 64 /* as WIEGAND_MAX_BITS: the longest read a decoder takes */
#define EDGE_SIM_DOOR_MAX 65 /* 64 + NUL */
#define EDGE_SIM_PIN_MAX  13 /* 12 digits + NUL */

enum edge_sim_verb { SIM_SWIPE, SIM_OPEN, SIM_CLOSE, SIM_REX, SIM_STATE, SIM_FAULT, SIM_ADVANCE };
#define EDGE_SIM_ADVANCE_MAX 604800 /* a week */

struct edge_sim_cmd {
    enum edge_sim_verb verb;
    char door[EDGE_SIM_DOOR_MAX];
    uint8_t bits[EDGE_SIM_MAX_BITS]; /* swipe: each 0 or 1 */
    size_t nbits;
    char pin[EDGE_SIM_PIN_MAX]; /* swipe: "" when none */
    bool on;                    /* fault */
    int64_t seconds;            /* advance: the door is "" */
};

/* Parses one line (without its LF; a trailing CR is allowed). 0 and *out filled, or
 * -EINVAL with err saying what is wrong and at which column (1-based); *out is then
 * zeroed. Never reads past len; line need not be NUL-terminated. */
int edge_sim_parse(const char *line, size_t len, struct edge_sim_cmd *out, struct gh_err *err);

/* ---- the controller's key -----------------------------------------------------------
 * The controller's Ed25519 key pair (its identity to the server): the 64-byte secret key
 * in DIR/controller.key, made once (0600, written and fsynced before use), read back on
 * every start; a key file that others may read, or of the wrong size, is refused. */
#define EDGE_KEY_FILE "controller.key"
/* 0 with pk and sk filled (*created says whether it was made now), or a negative code
 * with err naming the file. The caller wipes sk (sodium_memzero) when done. */
int edge_key_load_or_create(const char *dir, uint8_t pk[32], uint8_t sk[64], bool *created,
                            struct gh_err *err);

/* ---- the journal ------------------------------------------------------------------
 *
 * Every event the controller makes is written to its journal (SQLite, WAL,
 * synchronous=FULL) before anything acts on it, with a per-controller sequence number that
 * only grows (never reused, also after pruning). Events are appended in a turn (one per
 * loop iteration: begin, append..., commit: one fsync for the group); uploaded in order
 * from edge_journal_pending(); pruned up to the highest sequence the server acknowledged.
 * At most `capacity` unacknowledged events are kept; past that each new event is counted
 * in one journal_overflow event (its payload says how many and from when to when) and
 * dropped, so a full journal is recorded, never silent, and the controller keeps working.
 *
 * Ownership and threads: edge_journal_open gives the caller the journal; one thread uses
 * it; edge_journal_close frees it. */
#define EDGE_TYPE_MAX      32
#define EDGE_CRED_MAX      65 /* a credential's keyed hash in hex + NUL */
#define EDGE_PAYLOAD_MAX   512
#define EDGE_OVERFLOW_TYPE "edge.journal_overflow" /* the server's event type */

struct edge_event {
    int64_t seq;                    /* set by edge_journal_append */
    int64_t time_us;                /* UTC microseconds, the controller's clock */
    char type[EDGE_TYPE_MAX];       /* "access.decision", "door.forced", ... */
    int64_t door_id;                /* 0: none */
    char credential[EDGE_CRED_MAX]; /* "" when none */
    int decision;                   /* 1 granted, 0 denied, -1 not a decision */
    int reason;                     /* access reason code, -1 none */
    char payload[EDGE_PAYLOAD_MAX]; /* a JSON object's text, "" for none */
};

struct edge_journal;
/* Opens (creating) the journal at path, checks its integrity, and keeps at most capacity
 * unacknowledged events (>= 1). */
int edge_journal_open(const char *path, int64_t capacity, struct edge_journal **out,
                      struct gh_err *err);
/* Closes; an open turn is rolled back (its events were never committed). */
void edge_journal_close(struct edge_journal *j);
int edge_journal_begin(struct edge_journal *j, struct gh_err *err);
/* Appends ev in the open turn and sets ev->seq; 1 instead of 0 when the journal is full
 * and ev was counted in the overflow event instead (ev->seq is then that event's). */
int edge_journal_append(struct edge_journal *j, struct edge_event *ev, struct gh_err *err);
/* Makes the turn durable (fsync) before returning 0. */
int edge_journal_commit(struct edge_journal *j, struct gh_err *err);
typedef int (*edge_event_cb)(void *ctx, const struct edge_event *ev);
/* Calls cb for at most max events with seq > after, in order (stops early if cb returns
 * non-zero, which is then returned). */
int edge_journal_pending(struct edge_journal *j, int64_t after, size_t max, edge_event_cb cb,
                         void *ctx, struct gh_err *err);
/* The server has every event up to seq: they are deleted. A seq at or below the last
 * acknowledgement changes nothing; one past the last appended event is -EINVAL. */
int edge_journal_ack(struct edge_journal *j, int64_t seq, struct gh_err *err);
/* Events kept (not yet acknowledged), the last sequence given, the last acknowledged. */
int64_t edge_journal_depth(const struct edge_journal *j);
int64_t edge_journal_last_seq(const struct edge_journal *j);
int64_t edge_journal_acked(const struct edge_journal *j);

/* ---- the daemon (src/edge/daemon.c) -------------------------------------------------- */

struct edge_options {
    const char *data_dir;     /* the key, identity, snapshot and journal live here */
    const char *servers;      /* "https://a:8443,https://b:8443": tried in order */
    const char *enroll_token; /* enroll with it first (NULL: enrolled before) */
    const char *ca_file;      /* trust for the servers' certificates (NULL: the system's) */
    const char *sim_socket;   /* the simulator driver's Unix socket (NULL: none) */
    int heartbeat_s;          /* a heartbeat this often */
    int poll_wait_s;          /* the long poll waits this long at most (1..25) */
    int64_t journal_capacity; /* unacknowledged events kept at most */
    int ready_fd;             /* "ready\n" is written here once running (-1: none) */
};
/* Runs the controller until SIGINT or SIGTERM: 0 after a clean stop, or a negative code
 * with err saying why it could not start or had to stop. */
int edge_run(const struct edge_options *o, struct gh_err *err);

#endif
