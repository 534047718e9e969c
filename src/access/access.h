/*
 * access.h: the decision engine. Wiegand decoding, schedule evaluation, the policy
 * compiler (store -> immutable snapshot) and `decide` with its explanation.
 *
 * The design is simple: access_compile() reads every policy row in one read transaction
 * and builds a struct access_snapshot: flat arrays plus an open-addressing hash of
 * credentials. A snapshot never changes after it is built, so any number of threads may
 * call access_decide() on it without locks. An access_engine holds the current snapshot
 * and publishes a new one atomically; readers pin it with access_engine_acquire() (a
 * hazard-pointer slot per thread, no lock) and the engine frees an old snapshot only
 * when no reader holds it.
 *
 * Mutable runtime state that decisions read and grants update (where each person is, for
 * anti-passback) lives beside the snapshot in struct access_state, updated with atomics.
 *
 * Ownership: access_compile() returns a snapshot the caller frees with
 * access_snapshot_free() unless it hands it to access_engine_publish(), which takes it.
 * Thread-safety: access_decide(), access_wiegand_*() and schedule functions are
 * thread-safe; access_state_* use atomics and are thread-safe; engine functions are
 * thread-safe.
 */
#ifndef GH_ACCESS_H
#define GH_ACCESS_H

#include "model/model.h"
#include "store/store.h"

/* ---- Wiegand (src/access/wiegand.c) -------------------------------------------------- */

#define WIEGAND_MAX_BITS 64

struct wiegand_card {
    enum cred_format format;
    uint32_t facility;
    uint64_t number;
};

/* Decodes a raw read: bits[i] is 0 or 1, bits[0] is the first bit on the wire. The format
 * is chosen by length (26, 34, 35, 37); a second format of an existing length (e.g.
 * H10302, also 37 bits) would need a format hint. -EPROTO with the reason in err for an
 * unknown length, a bad parity bit, or a bit value other than 0/1; -EINVAL for NULL. */
int wiegand_decode(const uint8_t *bits, size_t nbits, struct wiegand_card *out, struct gh_err *err);
/* Parses "FORMAT:FACILITY:NUMBER" (e.g. h10301:12:3456) with the format's ranges checked. */
int wiegand_card_parse(const char *s, struct wiegand_card *out, struct gh_err *err);
/* Same as wiegand_decode, from a string of '0'/'1' characters (at most WIEGAND_MAX_BITS). */
int wiegand_decode_str(const char *bitstr, struct wiegand_card *out, struct gh_err *err);
/* Encodes a card with correct parity. -ERANGE if facility/number do not fit the format. */
int wiegand_encode(const struct wiegand_card *card, uint8_t bits[WIEGAND_MAX_BITS], size_t *nbits,
                   struct gh_err *err);
/* Encodes to a '0'/'1' string; buf at least WIEGAND_MAX_BITS + 1 (-ENOSPC if shorter
 * than the format's length + 1). -EINVAL for an unknown format. */
int wiegand_encode_str(const struct wiegand_card *card, char *buf, size_t len, struct gh_err *err);

/* ---- schedules (src/access/schedule.c) ----------------------------------------------- */

enum sched_result { SCHED_ACTIVE = 0, SCHED_INACTIVE, SCHED_HOLIDAY };

/* Whether a set of intervals is active at local time `loc`. `today_holiday` and
 * `yesterday_holiday` say whether the local day (and the one before, for intervals that
 * cross midnight) is a holiday of the schedule's calendar. On a holiday only intervals
 * with the holiday bit apply; SCHED_HOLIDAY says the schedule would have been active had
 * the day not been a holiday. Index of the matching interval in *which (may be NULL; -1
 * unless SCHED_ACTIVE). A NULL list, n <= 0 or a weekday > 6 is SCHED_INACTIVE. */
enum sched_result sched_eval(const struct sched_interval *iv, int n, const struct gh_local *loc,
                             bool today_holiday, bool yesterday_holiday, int *which);

/* ---- decisions ---------------------------------------------------------------------- */

/* Reason codes. The numbers are stored in events; never renumber, only append. */
enum access_reason {
    REASON_GRANTED = 0,
    REASON_UNKNOWN_CREDENTIAL,
    REASON_INVALID_READ,
    REASON_CREDENTIAL_INACTIVE,
    REASON_CREDENTIAL_EXPIRED,
    REASON_CREDENTIAL_NOT_YET_VALID,
    REASON_PERSON_INACTIVE,
    REASON_NO_ACCESS_LEVEL,
    REASON_OUTSIDE_SCHEDULE,
    REASON_HOLIDAY,
    REASON_DOOR_LOCKED_DOWN,
    REASON_PIN_REQUIRED,
    REASON_PIN_INCORRECT,
    REASON_ANTIPASSBACK,
    REASON_ESCORT_REQUIRED,
    REASON_UNKNOWN_DOOR,
    REASON_CONTROLLER_OFFLINE, /* a controller out of reach of its server past the door's limit */
    REASON_COUNT
};
const char *access_reason_name(enum access_reason r);
int access_reason_parse(const char *s, enum access_reason *out);

/* The presented credential: raw Wiegand bits, or format + facility + number. */
struct access_presented {
    bool raw;
    uint8_t bits[WIEGAND_MAX_BITS];
    size_t nbits;
    struct wiegand_card card; /* when !raw */
};

struct access_request {
    int64_t door_id;
    enum direction direction;
    struct access_presented cred;
    const char *pin; /* NULL: none entered */
    int64_t time_us; /* when */
    bool has_escort; /* an escort's credential was presented too */
    bool require_pin; /* card + PIN whatever the door's mode (a controller's offline policy) */
    struct access_presented escort;
};

enum access_flag {
    ACCESS_FLAG_APB_SOFT = 1u << 0,     /* granted, but a soft anti-passback violation */
    ACCESS_FLAG_DOOR_UNLOCKED = 1u << 1 /* door unlocked by schedule: no level needed */
};

struct access_result {
    bool granted;
    enum access_reason reason;
    unsigned flags;
    int64_t credential_id; /* 0 when unknown */
    int64_t person_id;     /* 0 when unknown */
    int64_t level_id;      /* level that granted, or the last one tried */
    int64_t schedule_id;
    int64_t door_id;
    enum direction direction;
    int64_t policy_version;
};

/* The explanation: the chain of checks made, in order, each passed or failed with a
 * sentence. Optional (pass NULL to access_decide for speed). */
#define ACCESS_EXPLAIN_MAX_STEPS 24
struct access_explain_step {
    const char *check; /* static name: "read", "credential", "person", "door", "level" ... */
    bool ok;
    char detail[200];
};
struct access_explain {
    int n;
    struct access_explain_step steps[ACCESS_EXPLAIN_MAX_STEPS];
};

struct access_snapshot;
struct access_state;

/* Builds a snapshot of the whole policy from the store, in one read transaction. site_key
 * (the data dir's key, for PIN hashes) is copied into the snapshot; NULL: PINs never match. */
int access_compile(struct store *st, const uint8_t *site_key, struct access_snapshot **out,
                   struct gh_err *err);
void access_snapshot_free(struct access_snapshot *snap);
int64_t access_snapshot_version(const struct access_snapshot *snap);
size_t access_snapshot_credentials(const struct access_snapshot *snap);
/* Bytes of heap the snapshot holds. */
size_t access_snapshot_bytes(const struct access_snapshot *snap);
/* Door row id for a name (ASCII case ignored, as in the store), or 0. */
int64_t access_snapshot_door_by_name(const struct access_snapshot *snap, const char *name);

/* Runtime state: anti-passback locations. Sized for one snapshot: access_decide ignores a
 * state made for another snapshot version (as if NULL) and access_state_commit does not
 * record into it; carrying locations across a republish is the server's job. NULL in
 * access_decide means "no state" (anti-passback not checked: what-if questions).
 * Anti-passback follows nesting: a person recorded in an area inside the destination is
 * already in the destination. */
struct access_state *access_state_new(const struct access_snapshot *snap);
void access_state_free(struct access_state *state);
/* Records the passage of a granted decision (moves the person for anti-passback). */
void access_state_commit(struct access_state *state, const struct access_snapshot *snap,
                         const struct access_result *res);

/* Decides. Returns 0 with *res filled (granted or denied with a reason), or -EINVAL for a
 * malformed request. ex may be NULL. */
int access_decide(const struct access_snapshot *snap, struct access_state *state,
                  const struct access_request *req, struct access_result *res,
                  struct access_explain *ex);
/* Decides reqs[0..n) in order, exactly as n calls of access_decide would (with a state,
 * each grant is committed with access_state_commit before the next request is decided),
 * but overlaps the memory loads of later requests with the work on earlier ones: the
 * hash slot of request i+16, the credential and holder of i+8 and the assignments of i+4
 * are loaded while request i is decided. For bursts of reads (a reader gateway, a replay
 * of a day). Returns 0, or -EINVAL at the first malformed request (results before it are
 * filled, the rest are not). */
int access_decide_batch(const struct access_snapshot *snap, struct access_state *state,
                        const struct access_request *reqs, size_t n, struct access_result *res);

/* Renders an explanation as text lines ("  ok   credential: ..."). */
int access_explain_format(const struct access_explain *ex, struct gh_buf *out);

/* PIN hashing: keyed BLAKE2b-256 of (credential id, PIN) with the PIN key, a key derived
 * from the site key (libsodium KDF, context "gh_pin__"). Controllers get the PIN key in
 * their snapshot, never the site key. */
#define ACCESS_SITE_KEY_LEN 32
/* Reads the site key file (exactly ACCESS_SITE_KEY_LEN bytes, see `gatehouse init`). */
int access_site_key_load(const char *path, uint8_t key[ACCESS_SITE_KEY_LEN], struct gh_err *err);
void access_pin_key(const uint8_t site_key[ACCESS_SITE_KEY_LEN], uint8_t pin_key[32]);
void access_pin_hash_k(const uint8_t pin_key[32], int64_t credential_id, const char *pin,
                       uint8_t out[32]);
/* access_pin_hash_k with the PIN key of site_key. */
void access_pin_hash(const uint8_t site_key[ACCESS_SITE_KEY_LEN], int64_t credential_id,
                     const char *pin, uint8_t out[32]);
/* Checks a PIN: 4 to 12 digits. */
int access_pin_check_format(const char *pin, struct gh_err *err);

/* ---- controllers' snapshots (src/access/edgesnap.c) ---------------------------------
 *
 * The part of the policy one door controller needs, as a JSON document (its format in
 * docs/PROTOCOL-edge.md): the controller's doors with their settings and offline policy,
 * their sites and areas, the schedules, calendars and access levels that reach them, the
 * people holding those levels (ids, status, validity: no names) and their credentials
 * (the card as a keyed hash with the controller's card key, no number in clear; the PIN
 * hash). access_edge_import() rebuilds a snapshot from it with the same compiler, so the
 * controller decides with the same engine; a card read is looked up by its keyed hash. */
#define ACCESS_EDGE_MAX_BYTES (64 * 1024 * 1024)

/* A door the controller drives, with its offline policy: once the server has been out of
 * reach this long, card + PIN is required (pin) or every read is denied (deny); 0: never. */
struct access_edge_door {
    int64_t door_id;
    int32_t offline_pin_after_s;
    int32_t offline_deny_after_s;
};
struct access_edge_export {
    int64_t controller_id;
    int64_t issued_us;
    const uint8_t *card_key; /* 32 bytes, access_edge_card_key() */
    const struct access_edge_door *doors;
    size_t n_doors;
};
/* The controller's card key: derived from the site key and the controller's id. */
void access_edge_card_key(const uint8_t site_key[ACCESS_SITE_KEY_LEN], int64_t controller_id,
                          uint8_t out[32]);
/* The keyed hash of a card as the document lists it (64 hex digits + NUL). */
void access_edge_card_hash(const uint8_t card_key[32], const struct wiegand_card *card,
                           char hex[65]);
/* Appends the document for o's doors to out. -ENOENT (door named) if a door is not in s. */
int access_edge_export(const struct access_snapshot *s, const struct access_edge_export *o,
                       struct gh_buf *out, struct gh_err *err);

struct access_edge_import {
    int64_t controller_id; /* refuse a document made for another controller (0: any) */
};
struct access_edge_info {
    int64_t controller_id;
    int64_t version;
    int64_t issued_us;
};
/* Parses and compiles a document (at most ACCESS_EDGE_MAX_BYTES). 0 with *out (free with
 * access_snapshot_free) and *info (may be NULL), or a negative code with err saying what is
 * wrong and where ("snapshot: doors[2]: ..."); nothing is returned half built. */
int access_edge_import(const char *text, size_t len, const struct access_edge_import *want,
                       struct access_snapshot **out, struct access_edge_info *info,
                       struct gh_err *err);

/* A snapshot's doors, for a controller's door state machines. */
struct access_door_info {
    int64_t id;
    char name[MODEL_NAME_MAX];
    int32_t unlock_ms, held_open_s;
    bool fail_safe;
    int32_t offline_pin_after_s, offline_deny_after_s;
    bool locked_down; /* the door's mode, or an area it joins, is locked down */
};
int access_snapshot_door_count(const struct access_snapshot *snap);
/* The i-th door (0 <= i < count) in id order; -ENOENT past the end. */
int access_snapshot_door_at(const struct access_snapshot *snap, int i,
                            struct access_door_info *out);

/* ---- engine: the published snapshot ------------------------------------------------- */

struct access_engine;
struct access_engine *access_engine_new(void);
/* Frees the engine and its current snapshot. No reader may hold a snapshot, and every
 * other thread that read from it must have exited. */
void access_engine_free(struct access_engine *eng);
/* Publishes snap (takes ownership); the previous snapshot is freed once unpinned. */
void access_engine_publish(struct access_engine *eng, struct access_snapshot *snap);
/* Pins the current snapshot for this thread (NULL if none published). Lock-free. One
 * snapshot per thread at a time; release before acquiring again. At most 256 threads
 * may read at once (a thread's slot is given back when it exits). */
const struct access_snapshot *access_engine_acquire(struct access_engine *eng);
void access_engine_release(struct access_engine *eng, const struct access_snapshot *snap);

#endif
