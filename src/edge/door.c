/*
 * door.c: the door state machine (see edge.h for the rules): the lock output from the
 * fault, lockdown and unlock windows; authorized and forced openings; the held-open
 * warning and alarm; relock on close. Every transition is reported as a note.
 */
#include "edge/edge.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define MOMENTARY_MAX_MS 3600000u

static const char *const note_names[DOOR_NOTE_COUNT] = {
    [DOOR_NOTE_UNLOCKED] = "unlocked",
    [DOOR_NOTE_LOCKED] = "locked",
    [DOOR_NOTE_OPENED] = "opened",
    [DOOR_NOTE_FORCED] = "forced",
    [DOOR_NOTE_HELD_WARNING] = "held_warning",
    [DOOR_NOTE_HELD] = "held",
    [DOOR_NOTE_CLOSED] = "closed",
    [DOOR_NOTE_SECURE] = "secure",
    [DOOR_NOTE_REX] = "rex",
    [DOOR_NOTE_LOCKDOWN] = "lockdown",
    [DOOR_NOTE_RELEASE] = "release",
    [DOOR_NOTE_FAULT] = "fault",
    [DOOR_NOTE_RESTORED] = "restored",
};

const char *door_note_name(enum door_note_kind k)
{
    return (unsigned)k < DOOR_NOTE_COUNT ? note_names[k] : "?";
}

static void note(struct door_sm *d, enum door_note_kind kind, int64_t now_ms)
{
    struct door_note n = {kind, d->cfg.door_id, now_ms};
    if (d->emit != NULL)
        d->emit(d->ctx, &n);
}

/* What the lock output should be now. */
static enum door_lock wanted(const struct door_sm *d, int64_t now_ms)
{
    if (d->fault)
        return d->cfg.fail_safe ? DOOR_UNLOCKED : DOOR_LOCKED;
    if (d->lockdown)
        return DOOR_LOCKED;
    return now_ms < d->unlock_until_ms ? DOOR_UNLOCKED : DOOR_LOCKED;
}

/* Sets the output to what it should be, reporting a change. */
static void settle(struct door_sm *d, int64_t now_ms)
{
    enum door_lock w = wanted(d, now_ms);
    if (w == d->output)
        return;
    d->output = w;
    note(d, w == DOOR_UNLOCKED ? DOOR_NOTE_UNLOCKED : DOOR_NOTE_LOCKED, now_ms);
}

void door_init(struct door_sm *d, const struct door_config *cfg, door_emit_fn emit, void *ctx)
{
    memset(d, 0, sizeof(*d));
    d->cfg = *cfg;
    d->output = DOOR_LOCKED;
    d->emit = emit;
    d->ctx = ctx;
}

static void open_window(struct door_sm *d, uint32_t ms, int64_t now_ms)
{
    int64_t until = now_ms + (int64_t)ms;
    if (until > d->unlock_until_ms)
        d->unlock_until_ms = until;
    settle(d, now_ms);
}

int door_grant(struct door_sm *d, int64_t now_ms)
{
    if (d->lockdown)
        return -EPERM;
    open_window(d, d->cfg.unlock_ms, now_ms);
    return 0;
}

int door_momentary(struct door_sm *d, uint32_t ms, int64_t now_ms)
{
    if (ms == 0 || ms > MOMENTARY_MAX_MS)
        return -EINVAL;
    if (d->lockdown)
        return -EPERM;
    open_window(d, ms, now_ms);
    return 0;
}

void door_rex(struct door_sm *d, int64_t now_ms)
{
    int64_t until = now_ms + (int64_t)d->cfg.unlock_ms;
    note(d, DOOR_NOTE_REX, now_ms);
    if (until > d->rex_until_ms)
        d->rex_until_ms = until;
    if (!d->lockdown)
        open_window(d, d->cfg.unlock_ms, now_ms);
}

/* Whether an opening now is allowed: a window, free egress, or a fail-safe fault. */
static bool authorized(const struct door_sm *d, int64_t now_ms)
{
    return (d->output == DOOR_UNLOCKED && now_ms < d->unlock_until_ms) ||
           now_ms < d->rex_until_ms || (d->fault && d->cfg.fail_safe);
}

void door_contact(struct door_sm *d, bool open, int64_t now_ms)
{
    if (open == d->open)
        return;
    d->open = open;
    if (open) {
        d->opened_ms = now_ms;
        d->warned = d->held = false;
        d->authorized_open = authorized(d, now_ms);
        d->rex_until_ms = 0; /* one request-to-exit lets one opening through */
        if (d->authorized_open) {
            note(d, DOOR_NOTE_OPENED, now_ms);
        } else {
            d->forced = true;
            note(d, DOOR_NOTE_FORCED, now_ms);
        }
        return;
    }
    note(d, DOOR_NOTE_CLOSED, now_ms);
    if (d->forced || d->held)
        note(d, DOOR_NOTE_SECURE, now_ms);
    d->forced = d->held = d->warned = d->authorized_open = false;
    /* relock on close: the window served its opening */
    d->unlock_until_ms = 0;
    settle(d, now_ms);
}

void door_lockdown(struct door_sm *d, bool on, int64_t now_ms)
{
    if (on == d->lockdown)
        return;
    d->lockdown = on;
    if (on)
        d->unlock_until_ms = 0; /* a lockdown ends every unlock window */
    note(d, on ? DOOR_NOTE_LOCKDOWN : DOOR_NOTE_RELEASE, now_ms);
    settle(d, now_ms);
}

void door_fault(struct door_sm *d, bool on, int64_t now_ms)
{
    if (on == d->fault)
        return;
    d->fault = on;
    note(d, on ? DOOR_NOTE_FAULT : DOOR_NOTE_RESTORED, now_ms);
    settle(d, now_ms);
}

/* When the held-open warning and alarm are due for the present opening. */
static int64_t warn_at(const struct door_sm *d)
{
    return d->opened_ms + (int64_t)d->cfg.held_open_ms - (int64_t)d->cfg.held_warn_ms;
}

static int64_t held_at(const struct door_sm *d)
{
    return d->opened_ms + (int64_t)d->cfg.held_open_ms;
}

void door_tick(struct door_sm *d, int64_t now_ms)
{
    if (d->unlock_until_ms != 0 && now_ms >= d->unlock_until_ms)
        d->unlock_until_ms = 0;
    if (d->rex_until_ms != 0 && now_ms >= d->rex_until_ms)
        d->rex_until_ms = 0;
    settle(d, now_ms);
    if (d->open && d->authorized_open && !d->held) {
        if (d->cfg.held_warn_ms > 0 && !d->warned && now_ms >= warn_at(d) && now_ms < held_at(d)) {
            d->warned = true;
            note(d, DOOR_NOTE_HELD_WARNING, now_ms);
        }
        if (now_ms >= held_at(d)) {
            d->held = true;
            note(d, DOOR_NOTE_HELD, now_ms);
        }
    }
}

int64_t door_next_deadline(const struct door_sm *d)
{
    int64_t next = INT64_MAX;
    if (d->unlock_until_ms != 0 && d->unlock_until_ms < next)
        next = d->unlock_until_ms;
    if (d->rex_until_ms != 0 && d->rex_until_ms < next)
        next = d->rex_until_ms;
    if (d->open && d->authorized_open && !d->held) {
        if (d->cfg.held_warn_ms > 0 && !d->warned && warn_at(d) < next && warn_at(d) < held_at(d))
            next = warn_at(d);
        if (held_at(d) < next)
            next = held_at(d);
    }
    return next;
}
