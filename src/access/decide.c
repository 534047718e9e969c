/*
 * decide.c: the decision engine: one request against a snapshot, a grant or a denial with
 * exactly one reason, and (optionally) the chain of checks that led there.
 *
 * The checks run in a fixed order; the first that fails decides the reason:
 *   door     the door exists and has a reader for the direction     (unknown_door)
 *   read     the raw Wiegand bits decode with good parity            (invalid_read)
 *   credential  the card is known                                    (unknown_credential)
 *            status active, inside its validity window
 *                  (credential_inactive, credential_not_yet_valid, credential_expired)
 *   person   active and inside the person's validity window          (person_inactive)
 *   lockdown the door or an area it joins is locked down             (door_locked_down)
 *   unlocked a door unlocked by schedule grants without a level (flagged)
 *   level    an unexpired assignment to a level with this door whose schedule is active
 *                  (no_access_level, outside_schedule, holiday)
 *   escort   visitors at escort doors need a valid escort            (escort_required)
 *   apb      anti-passback on the areas left and entered             (antipassback; soft: flag)
 *   pin      card + PIN doors                                        (pin_required, pin_incorrect)
 * Nothing here allocates or locks; the explanation is built only when asked for.
 */
#include "access/access_int.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const reason_names[REASON_COUNT] = {
    [REASON_GRANTED] = "granted",
    [REASON_UNKNOWN_CREDENTIAL] = "unknown_credential",
    [REASON_INVALID_READ] = "invalid_read",
    [REASON_CREDENTIAL_INACTIVE] = "credential_inactive",
    [REASON_CREDENTIAL_EXPIRED] = "credential_expired",
    [REASON_CREDENTIAL_NOT_YET_VALID] = "credential_not_yet_valid",
    [REASON_PERSON_INACTIVE] = "person_inactive",
    [REASON_NO_ACCESS_LEVEL] = "no_access_level",
    [REASON_OUTSIDE_SCHEDULE] = "outside_schedule",
    [REASON_HOLIDAY] = "holiday",
    [REASON_DOOR_LOCKED_DOWN] = "door_locked_down",
    [REASON_PIN_REQUIRED] = "pin_required",
    [REASON_PIN_INCORRECT] = "pin_incorrect",
    [REASON_ANTIPASSBACK] = "antipassback",
    [REASON_ESCORT_REQUIRED] = "escort_required",
    [REASON_UNKNOWN_DOOR] = "unknown_door",
    [REASON_CONTROLLER_OFFLINE] = "controller_offline",
};

const char *access_reason_name(enum access_reason r)
{
    return (unsigned)r < REASON_COUNT ? reason_names[r] : "unknown";
}

int access_reason_parse(const char *s, enum access_reason *out)
{
    for (int i = 0; i < REASON_COUNT; i++) {
        if (strcmp(s, reason_names[i]) == 0) {
            *out = (enum access_reason)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- runtime state: anti-passback locations ------------------------------------------ */

struct access_state {
    int64_t version;            /* snapshot version the array is indexed for */
    uint32_t n;                 /* persons */
    _Atomic uint32_t *location; /* area index + 1; 0 = unknown */
};

struct access_state *access_state_new(const struct access_snapshot *snap)
{
    struct access_state *st = xcalloc(1, sizeof(*st));
    st->version = snap->version;
    st->n = snap->n_persons;
    st->location = xcalloc(st->n ? st->n : 1, sizeof(*st->location));
    return st;
}

void access_state_free(struct access_state *state)
{
    if (state == NULL)
        return;
    free((void *)state->location);
    free(state);
}

static uint32_t state_location(const struct access_state *state, uint32_t person)
{
    if (state == NULL || person >= state->n)
        return 0;
    return atomic_load_explicit(&state->location[person], memory_order_relaxed);
}

/* ---- explanation --------------------------------------------------------------------- */

static void explain(struct access_explain *ex, const char *check, bool ok, const char *fmt, ...)
    GH_PRINTF(4, 5);

static void explain(struct access_explain *ex, const char *check, bool ok, const char *fmt, ...)
{
    struct access_explain_step *s;
    va_list ap;
    if (ex->n >= ACCESS_EXPLAIN_MAX_STEPS)
        return;
    if (ex->n == ACCESS_EXPLAIN_MAX_STEPS - 1) { /* the last place says steps were cut */
        s = &ex->steps[ex->n++];
        s->check = "more";
        s->ok = ok;
        gh_strlcpy(s->detail, "(further checks not shown)", sizeof(s->detail));
        return;
    }
    s = &ex->steps[ex->n++];
    s->check = check;
    s->ok = ok;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
    va_end(ap);
}

/* Adds a step only when an explanation was asked for (arguments are not evaluated else). */
#define EXPLAIN(ex, ...)                                                                           \
    do {                                                                                           \
        if (ex)                                                                                    \
            explain(ex, __VA_ARGS__);                                                              \
    } while (0)

int access_explain_format(const struct access_explain *ex, struct gh_buf *out)
{
    for (int i = 0; i < ex->n; i++) {
        int r = gh_buf_printf(out, "  %-4s %-10s %s\n", ex->steps[i].ok ? "ok" : "FAIL",
                              ex->steps[i].check, ex->steps[i].detail);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

static bool is_holiday(const struct access_snapshot *s, uint32_t cal, int64_t day)
{
    const int64_t *d;
    uint32_t lo = 0, hi;
    if (cal == NONE)
        return false;
    d = s->holiday_days + s->cals[cal].day_off;
    hi = s->cals[cal].day_n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d[mid] == day)
            return true;
        if (d[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static enum sched_result eval_sched(const struct access_snapshot *s, uint32_t sched,
                                    const struct gh_local *loc)
{
    const struct snap_sched *sc = &s->scheds[sched];
    bool today = is_holiday(s, sc->calendar, loc->days);
    bool yesterday = is_holiday(s, sc->calendar, loc->days - 1);
    return sched_eval(s->intervals + sc->iv_off, (int)sc->iv_n, loc, today, yesterday, NULL);
}

/* Position of door in a level's sorted door list, or NONE. */
static uint32_t level_door_find(const struct access_snapshot *s, const struct snap_level *lv,
                                uint32_t door)
{
    const uint32_t *d = s->level_door_door + lv->door_off;
    uint32_t lo = 0, hi = lv->door_n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d[mid] == door)
            return lv->door_off + mid;
        if (d[mid] < door)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NONE;
}

/* Resolves a presented credential to a credential index. Returns a reason: GRANTED when
 * found, else INVALID_READ / UNKNOWN_CREDENTIAL. */
static enum access_reason resolve_card(const struct access_snapshot *s,
                                       const struct access_presented *p, uint32_t *cred,
                                       struct wiegand_card *card, struct access_explain *ex,
                                       const char *what)
{
    const struct snap_slot *slot;
    *cred = NONE;
    if (p->raw) {
        struct gh_err e;
        if (wiegand_decode(p->bits, p->nbits, card, ex ? &e : NULL) < 0) {
            EXPLAIN(ex, "read", false, "%s: %s", what, e.msg);
            return REASON_INVALID_READ;
        }
        EXPLAIN(ex, "read", true, "%s: %zu-bit read decodes as %s facility %u card %llu", what,
                p->nbits, cred_format_name(card->format), card->facility,
                (unsigned long long)card->number);
    } else {
        *card = p->card;
    }
    slot = access_cred_slot(
        s, access_snapshot_card_key(s, card->format, card->facility, card->number));
    if (slot != NULL) {
        /* the credential and its holder are in two far-apart arrays: start both loads now
         * so they overlap (check_holder starts the assignments' load) */
        *cred = slot->cred;
        ACCESS_PREFETCH(&s->creds[slot->cred]);
        ACCESS_PREFETCH(&s->persons[slot->person]);
    }
    if (*cred == NONE) {
        EXPLAIN(ex, "credential", false, "%s: no credential %s:%u:%llu is enrolled", what,
                cred_format_name(card->format), card->facility, (unsigned long long)card->number);
        return REASON_UNKNOWN_CREDENTIAL;
    }
    return REASON_GRANTED;
}

/* Checks a credential's status and window, then its person's. */
static enum access_reason check_holder(const struct access_snapshot *s, uint32_t cred, int64_t t,
                                       struct access_explain *ex, const char *what)
{
    const struct snap_cred *c = &s->creds[cred];
    const struct snap_person *p = &s->persons[c->person];
    if (c->asg_n > 0)
        ACCESS_PREFETCH(&s->asg[c->asg_off]); /* check_levels reads them next */
    if (c->status != CRED_ACTIVE && c->status != CRED_EXPIRED) {
        EXPLAIN(ex, "credential", false, "%s: credential %lld is %s", what, (long long)c->id,
                cred_status_name((enum cred_status)c->status));
        return REASON_CREDENTIAL_INACTIVE;
    }
    if (c->status == CRED_EXPIRED || t >= c->valid_until) {
        EXPLAIN(ex, "credential", false, "%s: credential %lld expired", what, (long long)c->id);
        return REASON_CREDENTIAL_EXPIRED;
    }
    if (t < c->valid_from) {
        EXPLAIN(ex, "credential", false, "%s: credential %lld is not valid yet", what,
                (long long)c->id);
        return REASON_CREDENTIAL_NOT_YET_VALID;
    }
    EXPLAIN(ex, "credential", true, "%s: credential %lld is active", what, (long long)c->id);
    if (p->status != PERSON_ACTIVE) {
        EXPLAIN(ex, "person", false, "%s: person %lld is %s", what, (long long)p->id,
                person_status_name((enum person_status)p->status));
        return REASON_PERSON_INACTIVE;
    }
    if (t < p->valid_from || t >= p->valid_until) {
        EXPLAIN(ex, "person", false, "%s: person %lld is outside their validity window", what,
                (long long)p->id);
        return REASON_PERSON_INACTIVE;
    }
    EXPLAIN(ex, "person", true, "%s: person %lld (%s) is active", what, (long long)p->id,
            person_kind_name((enum person_kind)p->kind));
    return REASON_GRANTED;
}

/* The level check: finds an unexpired level with this door whose schedule is active. */
static enum access_reason check_levels(const struct access_snapshot *s, uint32_t person,
                                       uint32_t door, int64_t t, const struct gh_local *loc,
                                       struct access_result *res, struct access_explain *ex)
{
    const struct snap_person *p = &s->persons[person];
    enum access_reason best = REASON_NO_ACCESS_LEVEL;
    for (uint32_t i = 0; i < p->asg_n; i++) {
        const struct snap_asg *a = &s->asg[p->asg_off + i];
        const struct snap_level *lv = &s->levels[a->level];
        uint32_t pos;
        enum sched_result sr;
        if (t >= a->expires) {
            EXPLAIN(ex, "level", false, "level '%s': assignment expired", lv->name);
            continue;
        }
        pos = level_door_find(s, lv, door);
        if (pos == NONE) {
            EXPLAIN(ex, "level", false, "level '%s' does not include this door", lv->name);
            continue;
        }
        res->level_id = lv->id;
        res->schedule_id = s->scheds[s->level_door_sched[pos]].id;
        sr = eval_sched(s, s->level_door_sched[pos], loc);
        if (sr == SCHED_ACTIVE) {
            EXPLAIN(ex, "level", true, "level '%s', schedule '%s' is active at local %02u:%02u",
                    lv->name, s->scheds[s->level_door_sched[pos]].name, loc->minute / 60,
                    loc->minute % 60);
            return REASON_GRANTED;
        }
        EXPLAIN(ex, "level", false, "level '%s', schedule '%s' is %s at local %02u:%02u %s",
                lv->name, s->scheds[s->level_door_sched[pos]].name,
                sr == SCHED_HOLIDAY ? "closed for a holiday" : "not active", loc->minute / 60,
                loc->minute % 60, gh_weekday_name(loc->weekday));
        if (sr == SCHED_HOLIDAY)
            best = REASON_HOLIDAY;
        else if (best != REASON_HOLIDAY)
            best = REASON_OUTSIDE_SCHEDULE;
    }
    if (best == REASON_NO_ACCESS_LEVEL)
        EXPLAIN(ex, "level", false, "no assigned access level includes this door");
    return best;
}

static enum access_reason check_escort(const struct access_snapshot *s,
                                       const struct access_request *req, int64_t t,
                                       struct access_explain *ex)
{
    uint32_t cred;
    struct wiegand_card card;
    enum access_reason r;
    if (!req->has_escort) {
        EXPLAIN(ex, "escort", false, "visitors need an escort at this door; none presented");
        return REASON_ESCORT_REQUIRED;
    }
    r = resolve_card(s, &req->escort, &cred, &card, ex, "escort");
    if (r == REASON_GRANTED)
        r = check_holder(s, cred, t, ex, "escort");
    if (r == REASON_GRANTED && s->persons[s->creds[cred].person].kind == PERSON_VISITOR)
        r = REASON_ESCORT_REQUIRED;
    if (r != REASON_GRANTED) {
        EXPLAIN(ex, "escort", false, "the escort's credential is not valid for escorting");
        return REASON_ESCORT_REQUIRED;
    }
    EXPLAIN(ex, "escort", true, "escorted by person %lld",
            (long long)s->persons[s->creds[cred].person].id);
    return REASON_GRANTED;
}

/* Whether area a is area `outer` or lies inside it (parents walked, depth bounded). */
static bool area_within(const struct access_snapshot *s, uint32_t a, uint32_t outer)
{
    for (uint32_t depth = 0; a != NONE && depth <= s->n_areas; depth++) {
        if (a == outer)
            return true;
        a = s->areas[a].parent;
    }
    return false;
}

/* Anti-passback: entering an area the person is already in (recorded there or in an area
 * inside it), or leaving one they are known to be outside of. */
static bool apb_violation(const struct access_snapshot *s, const struct access_state *state,
                          uint32_t person, uint32_t src, uint32_t dst, uint8_t *mode)
{
    uint32_t loc = state_location(state, person);
    *mode = APB_NONE;
    if (state == NULL || loc == 0)
        return false;
    if (s->areas[dst].apb != APB_NONE && area_within(s, loc - 1, dst)) {
        *mode = s->areas[dst].apb;
        return true;
    }
    if (s->areas[src].apb != APB_NONE && !area_within(s, loc - 1, src)) {
        *mode = s->areas[src].apb;
        return true;
    }
    return false;
}

static enum access_reason check_pin(const struct access_snapshot *s, uint32_t cred, const char *pin,
                                    struct access_explain *ex)
{
    const struct snap_cred *c = &s->creds[cred];
    uint8_t h[32];
    if (pin == NULL || pin[0] == '\0') {
        EXPLAIN(ex, "pin", false, "this door needs card and PIN; no PIN entered");
        return REASON_PIN_REQUIRED;
    }
    if (c->pin == NONE) {
        EXPLAIN(ex, "pin", false, "this door needs card and PIN; the credential has no PIN");
        return REASON_PIN_REQUIRED;
    }
    if (!s->have_key) {
        EXPLAIN(ex, "pin", false, "no PIN key is loaded; PINs cannot be checked");
        return REASON_PIN_INCORRECT;
    }
    access_pin_hash_k(s->pin_key, c->id, pin, h);
    if (sodium_memcmp(h, s->pins[c->pin], 32) != 0) {
        sodium_memzero(h, sizeof(h));
        EXPLAIN(ex, "pin", false, "the PIN entered is not the credential's PIN");
        return REASON_PIN_INCORRECT;
    }
    sodium_memzero(h, sizeof(h));
    EXPLAIN(ex, "pin", true, "PIN matches");
    return REASON_GRANTED;
}

static void finish(struct access_result *res, enum access_reason reason)
{
    res->reason = reason;
    res->granted = reason == REASON_GRANTED;
}

int access_decide(const struct access_snapshot *s, struct access_state *state,
                  const struct access_request *req, struct access_result *res,
                  struct access_explain *ex)
{
    uint32_t door_i, cred_i, person_i, src, dst;
    const struct snap_door *door;
    struct wiegand_card card;
    struct gh_local loc;
    enum access_reason r;
    uint8_t apb;

    memset(res, 0, sizeof(*res));
    res->policy_version = s->version;
    res->door_id = req->door_id;
    res->direction = req->direction;
    if (ex)
        ex->n = 0;
    if (req->direction != DIR_ENTRY && req->direction != DIR_EXIT)
        return -EINVAL;
    if (req->cred.raw && req->cred.nbits > WIEGAND_MAX_BITS)
        return -EINVAL;
    if (state != NULL && state->version != s->version)
        state = NULL; /* made for another snapshot: its indexes mean other people */

    /* the card's hash slot is far away in memory: start loading it now, while the door is
     * looked up */
    if (!req->cred.raw)
        access_cred_prefetch(s, access_snapshot_card_key(s, req->cred.card.format,
                                                         req->cred.card.facility,
                                                         req->cred.card.number));
    door_i = access_find_id(s->door_ids, s->n_doors, sizeof(int64_t), req->door_id);
    if (door_i == NONE) {
        EXPLAIN(ex, "door", false, "door %lld does not exist", (long long)req->door_id);
        finish(res, REASON_UNKNOWN_DOOR);
        return 0;
    }
    door = &s->doors[door_i];
    if (!(req->direction == DIR_ENTRY ? door->entry_reader : door->exit_reader)) {
        EXPLAIN(ex, "door", false, "door '%s' has no %s reader", door->name,
                direction_name(req->direction));
        finish(res, REASON_UNKNOWN_DOOR);
        return 0;
    }
    src = req->direction == DIR_ENTRY ? door->from_area : door->to_area;
    dst = req->direction == DIR_ENTRY ? door->to_area : door->from_area;
    EXPLAIN(ex, "door", true, "door '%s' (%s), %s from '%s' to '%s'", door->name,
            door_mode_name((enum door_mode)door->mode), direction_name(req->direction),
            s->areas[src].name, s->areas[dst].name);

    r = resolve_card(s, &req->cred, &cred_i, &card, ex, "card");
    if (r != REASON_GRANTED) {
        finish(res, r);
        return 0;
    }
    res->credential_id = s->creds[cred_i].id;
    person_i = s->creds[cred_i].person;
    res->person_id = s->persons[person_i].id;
    r = check_holder(s, cred_i, req->time_us, ex, "card");
    if (r != REASON_GRANTED) {
        finish(res, r);
        return 0;
    }

    if (door->mode == DOOR_LOCKED_DOWN || s->areas[src].locked || s->areas[dst].locked) {
        if (door->mode == DOOR_LOCKED_DOWN) {
            EXPLAIN(ex, "lockdown", false, "the door is in locked_down mode");
        } else if (ex != NULL) {
            const struct snap_area *a = s->areas[dst].locked ? &s->areas[dst] : &s->areas[src];
            const struct snap_area *by = &s->areas[a->locked_by];
            if (by == a)
                explain(ex, "lockdown", false, "'%s' is locked down", a->name);
            else
                explain(ex, "lockdown", false, "'%s' is locked down (lockdown of '%s')", a->name,
                        by->name);
        }
        finish(res, REASON_DOOR_LOCKED_DOWN);
        return 0;
    }

    tz_local(s->sites[door->site].tz, req->time_us, &loc);
    if (door->mode == DOOR_UNLOCKED_SCHEDULE &&
        eval_sched(s, door->unlock_sched, &loc) == SCHED_ACTIVE) {
        EXPLAIN(ex, "unlocked", true, "door is unlocked by schedule '%s'",
                s->scheds[door->unlock_sched].name);
        res->flags |= ACCESS_FLAG_DOOR_UNLOCKED;
    } else {
        r = check_levels(s, person_i, door_i, req->time_us, &loc, res, ex);
        if (r != REASON_GRANTED) {
            finish(res, r);
            return 0;
        }
    }

    if (door->escort_required && s->persons[person_i].kind == PERSON_VISITOR) {
        r = check_escort(s, req, req->time_us, ex);
        if (r != REASON_GRANTED) {
            finish(res, r);
            return 0;
        }
    }

    if (apb_violation(s, state, person_i, src, dst, &apb)) {
        if (apb == APB_HARD) {
            EXPLAIN(ex, "apb", false,
                    "anti-passback (hard): the person's last recorded area "
                    "does not allow this passage");
            finish(res, REASON_ANTIPASSBACK);
            return 0;
        }
        EXPLAIN(ex, "apb", true, "anti-passback (soft): violation flagged, passage allowed");
        res->flags |= ACCESS_FLAG_APB_SOFT;
    }

    if (door->mode == DOOR_CARD_PIN || req->require_pin) {
        r = check_pin(s, cred_i, req->pin, ex);
        if (r != REASON_GRANTED) {
            finish(res, r);
            return 0;
        }
    }
    EXPLAIN(ex, "decision", true, "granted");
    finish(res, REASON_GRANTED);
    return 0;
}

/* The hash slot of a request's card (NULL for raw reads, decoded only in the decision). */
static const struct snap_slot *request_slot(const struct access_snapshot *s,
                                            const struct access_request *req)
{
    if (req->cred.raw)
        return NULL;
    return access_cred_slot(s, access_snapshot_card_key(s, req->cred.card.format,
                                                        req->cred.card.facility,
                                                        req->cred.card.number));
}

/* How far ahead each stage of access_decide_batch loads. */
#define BATCH_AHEAD_SLOT   16
#define BATCH_AHEAD_HOLDER 8
#define BATCH_AHEAD_ASG    4

int access_decide_batch(const struct access_snapshot *s, struct access_state *state,
                        const struct access_request *reqs, size_t n, struct access_result *res)
{
    for (size_t i = 0; i < n; i++) {
        const struct snap_slot *slot;
        int r;
        if (i + BATCH_AHEAD_SLOT < n && !reqs[i + BATCH_AHEAD_SLOT].cred.raw) {
            const struct access_request *q = &reqs[i + BATCH_AHEAD_SLOT];
            access_cred_prefetch(s, access_snapshot_card_key(s, q->cred.card.format,
                                                             q->cred.card.facility,
                                                             q->cred.card.number));
        }
        if (i + BATCH_AHEAD_HOLDER < n &&
            (slot = request_slot(s, &reqs[i + BATCH_AHEAD_HOLDER])) != NULL) {
            ACCESS_PREFETCH(&s->creds[slot->cred]);
            ACCESS_PREFETCH(&s->persons[slot->person]);
        }
        if (i + BATCH_AHEAD_ASG < n &&
            (slot = request_slot(s, &reqs[i + BATCH_AHEAD_ASG])) != NULL &&
            s->creds[slot->cred].asg_n > 0)
            ACCESS_PREFETCH(&s->asg[s->creds[slot->cred].asg_off]);
        r = access_decide(s, state, &reqs[i], &res[i], NULL);
        if (r < 0)
            return r;
        if (state != NULL)
            access_state_commit(state, s, &res[i]);
    }
    return 0;
}

void access_state_commit(struct access_state *state, const struct access_snapshot *s,
                         const struct access_result *res)
{
    uint32_t door_i, person_i, dst;
    const struct snap_door *door;
    if (state == NULL || !res->granted || res->person_id == 0 || state->version != s->version)
        return;
    door_i = access_find_id(s->door_ids, s->n_doors, sizeof(int64_t), res->door_id);
    person_i = access_find_id(s->persons, s->n_persons, sizeof(struct snap_person), res->person_id);
    if (door_i == NONE || person_i == NONE || person_i >= state->n)
        return;
    door = &s->doors[door_i];
    dst = res->direction == DIR_ENTRY ? door->to_area : door->from_area;
    atomic_store_explicit(&state->location[person_i], dst + 1, memory_order_relaxed);
}

int access_site_key_load(const char *path, uint8_t key[ACCESS_SITE_KEY_LEN], struct gh_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return gh_fail(err, -errno, "%s: cannot open the site key: %s", path, strerror(errno));
    n = read(fd, key, ACCESS_SITE_KEY_LEN);
    close(fd);
    if (n != ACCESS_SITE_KEY_LEN) {
        sodium_memzero(key, ACCESS_SITE_KEY_LEN);
        return gh_fail(err, -EINVAL, "%s: the site key must be %d bytes", path,
                       ACCESS_SITE_KEY_LEN);
    }
    return 0;
}

void access_pin_key(const uint8_t site_key[ACCESS_SITE_KEY_LEN], uint8_t pin_key[32])
{
    crypto_kdf_derive_from_key(pin_key, 32, 1, "gh_pin__", site_key);
}

void access_pin_hash_k(const uint8_t pin_key[32], int64_t credential_id, const char *pin,
                       uint8_t out[32])
{
    crypto_generichash_state st;
    uint8_t id[8];
    for (int i = 0; i < 8; i++)
        id[i] = (uint8_t)((uint64_t)credential_id >> (8 * i));
    crypto_generichash_init(&st, pin_key, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)"gatehouse-pin-v2", 16);
    crypto_generichash_update(&st, id, sizeof(id));
    crypto_generichash_update(&st, (const uint8_t *)pin, strlen(pin));
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof(st));
}

void access_pin_hash(const uint8_t site_key[ACCESS_SITE_KEY_LEN], int64_t credential_id,
                     const char *pin, uint8_t out[32])
{
    uint8_t k[32];
    access_pin_key(site_key, k);
    access_pin_hash_k(k, credential_id, pin, out);
    sodium_memzero(k, sizeof(k));
}

int access_pin_check_format(const char *pin, struct gh_err *err)
{
    size_t n = strlen(pin);
    if (n < 4 || n > 12)
        return gh_fail(err, -EINVAL, "pin: must be 4 to 12 digits");
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return gh_fail(err, -EINVAL, "pin: must be digits only");
    return 0;
}
