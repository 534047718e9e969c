/*
 * access_int.h: private to src/access. The layout of a compiled snapshot.
 *
 * Everything is flat arrays indexed by uint32; rows are sorted by their store id (the store
 * lists in id order), so an id is found by binary search. Credentials are found through an
 * open-addressing hash keyed by (format, facility, number). NONE marks a missing index.
 */
#ifndef GH_ACCESS_INT_H
#define GH_ACCESS_INT_H

#include "access/access.h"

#define NONE UINT32_MAX

struct snap_site {
    int64_t id;
    struct gh_tz *tz;
    char name[MODEL_NAME_MAX];
};

struct snap_area {
    int64_t id;
    uint32_t site;
    uint32_t parent;
    uint8_t apb;        /* enum apb_mode */
    bool locked;        /* this area or an ancestor is locked down */
    uint32_t locked_by; /* the area whose lockdown applies (itself or an ancestor) */
    char name[MODEL_NAME_MAX];
};

struct snap_door {
    int64_t id;
    int32_t unlock_ms; /* door settings for a controller's door state machine */
    int32_t held_open_s;
    int32_t offline_pin_after_s; /* offline policy (controllers' snapshots; 0: none) */
    int32_t offline_deny_after_s;
    bool fail_safe;
    uint32_t site;
    uint32_t from_area, to_area;
    uint32_t unlock_sched; /* NONE unless DOOR_UNLOCKED_SCHEDULE */
    uint8_t mode;          /* enum door_mode */
    bool escort_required;
    bool entry_reader, exit_reader;
    char name[MODEL_NAME_MAX];
};

struct snap_sched {
    int64_t id;
    uint32_t calendar; /* NONE: no holiday calendar */
    uint32_t iv_off;
    uint32_t iv_n;
    char name[MODEL_NAME_MAX];
};

struct snap_calendar {
    int64_t id;
    uint32_t day_off; /* sorted local days in snapshot->holiday_days */
    uint32_t day_n;
};

struct snap_level {
    int64_t id;
    uint32_t door_off; /* level_door_door / level_door_sched, sorted by door index */
    uint32_t door_n;
    char name[MODEL_NAME_MAX];
};

struct snap_person {
    int64_t id;
    int64_t valid_from;
    int64_t valid_until;
    uint32_t asg_off; /* into snapshot->asg */
    uint16_t asg_n;
    uint8_t status; /* enum person_status */
    uint8_t kind;   /* enum person_kind */
};

struct snap_asg {
    int64_t expires;
    uint32_t level;
};

struct snap_cred {
    int64_t id;
    int64_t valid_from;
    int64_t valid_until;
    uint32_t person;
    uint32_t pin;   /* index into snapshot->pins, NONE: no PIN */
    uint8_t status; /* enum cred_status */
    /* copies of the holder's snap_person asg_off / asg_n (they fit in the padding), so
     * the assignments can be fetched before the person row arrives */
    uint16_t asg_n;
    uint32_t asg_off;
};

struct snap_slot {
    uint64_t key;
    uint32_t cred;
    uint32_t person;
};

struct access_snapshot {
    int64_t version;
    uint8_t pin_key[32]; /* access_pin_key() of the site key: checks PINs */
    bool have_key;
    /* A controller's snapshot knows cards only by their keyed hash (access_card_hash with
     * card_key); the credential hash is then keyed by its first 8 bytes. */
    bool hashed_cards;
    uint8_t card_key[32];

    struct snap_site *sites;
    uint32_t n_sites;
    struct snap_area *areas;
    uint32_t n_areas;
    struct snap_door *doors;
    int64_t *door_ids; /* doors[i].id, packed: the binary search by id stays in cache */
    uint32_t n_doors;
    struct snap_sched *scheds;
    uint32_t n_scheds;
    struct sched_interval *intervals;
    uint32_t n_intervals;
    struct snap_calendar *cals;
    uint32_t n_cals;
    int64_t *holiday_days;
    uint32_t n_holiday_days;
    struct snap_level *levels;
    uint32_t n_levels;
    uint32_t *level_door_door;
    uint32_t *level_door_sched;
    uint32_t n_level_doors;
    struct snap_person *persons;
    uint32_t n_persons;
    struct snap_asg *asg;
    uint32_t n_asg;
    struct snap_cred *creds;
    uint32_t n_creds;
    uint8_t (*pins)[32];
    uint32_t n_pins;

    /* credential hash: open addressing, linear probing; a slot holds the card key with
     * its credential and person indexes, so one cache line answers a probe (cred NONE:
     * empty) */
    struct snap_slot *slots;
    uint32_t hmask;

    size_t bytes;
};

/* Key of a card in the credential hash. */
static inline uint64_t access_card_key(enum cred_format f, uint32_t facility, uint64_t number)
{
    return ((uint64_t)f << 56) ^ ((uint64_t)facility << 32) ^ number;
}

static inline uint64_t access_hash64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* The credential hash key of a card in this snapshot: access_card_key, or in a
 * controller's snapshot the first 8 bytes of its keyed hash. */
uint64_t access_snapshot_card_key_hashed(const struct access_snapshot *s, enum cred_format f,
                                         uint32_t facility, uint64_t number);
static inline uint64_t access_snapshot_card_key(const struct access_snapshot *s, enum cred_format f,
                                                uint32_t facility, uint64_t number)
{
    if (s->hashed_cards)
        return access_snapshot_card_key_hashed(s, f, facility, number);
    return access_card_key(f, facility, number);
}

/* A source of policy rows for the compiler, each table listed in id order (holidays by
 * calendar then day). The store is one (access_compile); a controller's snapshot document
 * is the other (access_edge_import). A credential comes with its hash key. */
typedef int (*access_cred_row_cb)(void *ctx, const struct credential *row, uint64_t key);
struct access_rows {
    void *src;
    int (*sites)(void *src, store_site_cb cb, void *ctx);
    int (*areas)(void *src, store_area_cb cb, void *ctx);
    int (*schedules)(void *src, store_schedule_cb cb, void *ctx);
    int (*calendars)(void *src, store_calendar_cb cb, void *ctx);
    int (*holidays)(void *src, store_holiday_cb cb, void *ctx);
    int (*doors)(void *src, store_door_cb cb, void *ctx);
    int (*levels)(void *src, store_level_cb cb, void *ctx);
    int (*level_doors)(void *src, store_level_door_cb cb, void *ctx);
    int (*persons)(void *src, store_person_cb cb, void *ctx);
    int (*assignments)(void *src, store_assignment_cb cb, void *ctx);
    int (*credentials)(void *src, access_cred_row_cb cb, void *ctx);
};
/* Compiles the rows into s (version, keys and flags already set by the caller); on error
 * s holds what was built so far, for access_snapshot_free. */
int access_compile_rows(const struct access_rows *rows, struct access_snapshot *s,
                        struct gh_err *err);

/* Index of a row id in an array of structs sorted by an int64 `id` first member. */
uint32_t access_find_id(const void *base, uint32_t n, size_t size, int64_t id);

/* The hash slot of a card, or NULL. */
const struct snap_slot *access_cred_slot(const struct access_snapshot *s, uint64_t key);

/* A hint to start loading the cache line at p; no effect on results. A decision touches
 * rows of several large arrays (hash slot, credential, person, assignments) that are not
 * in cache; issuing the loads as soon as their addresses are known lets them overlap
 * instead of following one another. */
#if defined(__GNUC__)
#define ACCESS_PREFETCH(p) __builtin_prefetch(p)
#else
#define ACCESS_PREFETCH(p) ((void)(p))
#endif

/* Starts loading the hash slot of a card. */
static inline void access_cred_prefetch(const struct access_snapshot *s, uint64_t key)
{
    if (s->slots != NULL)
        ACCESS_PREFETCH(&s->slots[(uint32_t)access_hash64(key) & s->hmask]);
}

#endif
