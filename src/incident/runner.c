/*
 * runner.c: the server's rules thread. It reads committed events from the store after its
 * cursor (never from memory: what the server, a controller or the CLI committed is seen
 * alike), feeds them to the detectors in offset order, and writes the alarms they raise
 * (with the incidents they open) in one transaction that also moves the cursor. So each
 * event is judged once, and an alarm is durable before anyone is told of it; a crash
 * between two batches judges the events after the saved cursor again.
 *
 * Detectors remember (walks, denial windows, usual hours); at start the thread warms them
 * on the events of the last warmup_s before the cursor, raising nothing. Once a tick it
 * gives the clock-driven detectors their facts (controllers' heartbeats, open access
 * reviews) and asks them, and escalates the incidents nobody acknowledged in time.
 *
 * The brief sent alarms through the ingest queue; they are written here instead, with the
 * cursor, so an alarm is never lost or raised twice across a crash. They reach the live
 * stream the same way: as events, once committed (notify says so).
 */
#include "incident/incident.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH      512                    /* events read per pass */
#define SAVE_US    (5 * GH_USEC_PER_SEC)  /* cursor saved at least this often when quiet */
#define REVIEWS_US (60 * GH_USEC_PER_SEC) /* the open reviews read this often */
#define KEY_CURSOR "rules.offset"
#define ALARMS_MAX 4096 /* alarms kept from one pass (more are counted, dropped) */
#define NOTES_MAX  64   /* custom rules' news kept from one pass */
#define SCRIPTS_US (2 * GH_USEC_PER_SEC) /* the rules directory looked at this often */

void incident_runner_config_init(struct incident_runner_config *c)
{
    memset(c, 0, sizeof(*c));
    rules_config_init(&c->rules);
    rules_scripts_config_init(&c->scripts);
    incident_config_init(&c->inc);
    c->warmup_s = 7 * 86400;
    c->tick_ms = 1000;
}

struct incident_runner {
    struct incident_runner_config cfg;
    char *db_path;
    incident_notify_fn notify;
    void *notify_ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool woken; /* under mu */
    atomic_bool stopping;
    struct incident_runner_stats stats; /* under mu */

    /* the thread's own */
    struct store *st;
    struct rules_world *world;
    struct rules_engine *engine;
    struct rules_alarm *found;
    int64_t *found_drill; /* the drill of each found alarm's event (0: none) */
    size_t n_found;
    int64_t cur_drill;             /* the drill of the event being judged */
    struct rules_scripts *scripts; /* NULL: no custom rules */
    struct event notes[NOTES_MAX]; /* the scripts' news, as events to append */
    size_t n_notes;
    int64_t scripts_at;
    uint64_t dropped;
    int64_t cursor, saved, saved_at, reviews_at;
};

static void collect(void *ctx, const struct rules_alarm *a)
{
    struct incident_runner *r = ctx;
    if (r->n_found == ALARMS_MAX) {
        r->dropped++;
        return;
    }
    r->found_drill[r->n_found] = r->cur_drill;
    r->found[r->n_found++] = *a;
}

/* A custom rule loaded, refused, disabled ...: logged, and an event with the next commit. */
static void script_news(void *ctx, const char *script, const char *what, const char *why)
{
    struct incident_runner *r = ctx;
    bool bad = strcmp(what, "refused") == 0 || strcmp(what, "disabled") == 0;
    if (bad)
        log_warn("rules: %s %s: %s", script, what, why);
    else
        log_info("rules: %s %s", script, what);
    if (r->n_notes < NOTES_MAX &&
        event_make(&r->notes[r->n_notes], EV_RULE_SCRIPT, 0, 0, 0,
                   json_pack("{s:s, s:s, s:s}", "script", script, "state", what, "why", why)) == 0)
        r->n_notes++;
}

static void discard(void *ctx, const struct rules_alarm *a)
{
    (void)ctx;
    (void)a;
}

static void count(struct incident_runner *r, uint64_t events, uint64_t alarms, uint64_t repeats,
                  uint64_t incidents, uint64_t errors)
{
    pthread_mutex_lock(&r->mu);
    r->stats.events += events;
    r->stats.alarms += alarms;
    r->stats.repeats += repeats;
    r->stats.incidents += incidents;
    r->stats.errors += errors;
    r->stats.offset = r->cursor;
    pthread_mutex_unlock(&r->mu);
}

/* Writes the alarms found (and the cursor) in one transaction; tells the server. */
static void commit_alarms(struct incident_runner *r)
{
    struct gh_err err = {{0}};
    char cur[24];
    uint64_t alarms = 0, repeats = 0, incidents = 0;
    int64_t now = gh_now_us();
    int rc = store_begin_write(r->st);
    for (size_t i = 0; rc == 0 && i < r->n_notes; i++)
        if (store_event_append(r->st, &r->notes[i]) < 0)
            rc = gh_fail(&err, -EIO, "a custom rule's news: %s", store_errmsg(r->st));
    for (size_t i = 0; rc == 0 && i < r->n_found; i++) {
        struct incident_raise how = {r->found[i].device_id, r->found_drill[i]};
        struct incident_raised out;
        rc = incident_alarm_raise(r->st, &r->cfg.inc, &r->found[i], &how, now, &out, &err);
        if (rc == 0) {
            alarms += !out.repeated;
            repeats += out.repeated;
            incidents += !out.repeated && out.incident_id != 0;
        }
    }
    snprintf(cur, sizeof(cur), "%lld", (long long)r->cursor);
    if (rc == 0 && store_meta_set(r->st, KEY_CURSOR, cur) < 0)
        rc = gh_fail(&err, -EIO, "saving the cursor: %s", store_errmsg(r->st));
    if (rc == 0 && (rc = store_commit(r->st)) < 0)
        gh_fail(&err, rc, "commit: %s", store_errmsg(r->st));
    if (rc < 0) {
        store_rollback(r->st);
        log_error("rules: %zu alarm%s up to event %lld not recorded: %s", r->n_found,
                  r->n_found == 1 ? "" : "s", (long long)r->cursor,
                  err.msg[0] ? err.msg : "store error");
        count(r, 0, 0, 0, 0, r->n_found);
    } else {
        r->saved = r->cursor;
        r->saved_at = gh_monotonic_us();
        count(r, 0, alarms, repeats, incidents, 0);
        if (r->notify != NULL)
            r->notify(r->notify_ctx, store_event_last_offset(r->st));
    }
    if (r->dropped > 0) {
        log_warn("rules: %llu alarms beyond %d in one pass were dropped",
                 (unsigned long long)r->dropped, ALARMS_MAX);
        count(r, 0, 0, 0, 0, r->dropped);
        r->dropped = 0;
    }
    r->n_found = 0;
    r->n_notes = 0;
}

static void save_cursor(struct incident_runner *r)
{
    char cur[24];
    snprintf(cur, sizeof(cur), "%lld", (long long)r->cursor);
    if (store_begin_write(r->st) == 0 && store_meta_set(r->st, KEY_CURSOR, cur) == 0 &&
        store_commit(r->st) == 0) {
        r->saved = r->cursor;
        r->saved_at = gh_monotonic_us();
        return;
    }
    store_rollback(r->st);
}

struct pass {
    struct incident_runner *r;
    uint64_t n;
    bool warm; /* warming up: raise nothing */
};

/* The drill an event belongs to: its payload's "drill" (0: none). */
static int64_t drill_of(const struct event *ev)
{
    json_t *p, *d;
    int64_t id = 0;
    if (strstr(ev->payload, "\"drill\"") == NULL)
        return 0;
    p = json_loads(ev->payload, 0, NULL);
    d = json_object_get(p, "drill");
    if (json_is_integer(d) && json_integer_value(d) > 0)
        id = json_integer_value(d);
    json_decref(p);
    return id;
}

static int on_event(void *ctx, const struct event *ev)
{
    struct pass *p = ctx;
    p->r->cur_drill = p->warm ? 0 : drill_of(ev);
    rules_feed(p->r->engine, ev, p->warm ? discard : collect, p->r);
    if (p->r->scripts != NULL)
        rules_scripts_feed(p->r->scripts, ev, p->warm ? discard : collect, p->r, script_news, p->r);
    p->r->cur_drill = 0;
    p->n++;
    if (!p->warm)
        p->r->cursor = ev->offset;
    return atomic_load(&p->r->stopping) ? 1 : 0;
}

/* One pass over the events after the cursor; true when it read a full batch. */
static bool read_events(struct incident_runner *r)
{
    struct store_event_filter f;
    struct pass p = {r, 0, false};
    store_event_filter_init(&f);
    f.after_offset = r->cursor;
    f.limit = BATCH;
    if (store_event_query(r->st, &f, on_event, &p) < 0 && !atomic_load(&r->stopping)) {
        log_error("rules: reading events after %lld: %s", (long long)r->cursor,
                  store_errmsg(r->st));
        count(r, 0, 0, 0, 0, 1);
    }
    count(r, p.n, 0, 0, 0, 0);
    return p.n == BATCH;
}

static int on_controller(void *ctx, const struct controller *c)
{
    struct incident_runner *r = ctx;
    json_t *h;
    if (c->key_id == 0 || c->health[0] == '\0')
        return 0;
    h = json_loads(c->health, 0, NULL);
    rules_device_seen(r->engine, c->id, json_integer_value(json_object_get(h, "received_us")),
                      (unsigned)json_integer_value(json_object_get(h, "heartbeat_s")));
    json_decref(h);
    return 0;
}

static int on_review(void *ctx, const struct access_review *v)
{
    struct incident_runner *r = ctx;
    rules_review_open(r->engine, v->id, v->person_id, v->opened_us);
    return 0;
}

/* Incidents nobody acknowledged in time go to the next level of their department. */
static void escalate(struct incident_runner *r)
{
    struct gh_err err = {{0}};
    int64_t next = store_incident_next_escalation(r->st), now = gh_now_us();
    int n = 0, rc;
    if (next == 0 || next > now || store_begin_write(r->st) < 0)
        return;
    rc = incident_escalate_due(r->st, &r->cfg.inc, now, &n, &err);
    if (rc == 0 && (rc = store_commit(r->st)) < 0)
        gh_fail(&err, rc, "commit: %s", store_errmsg(r->st));
    if (rc < 0) {
        store_rollback(r->st);
        log_error("escalation: %s", err.msg);
        return;
    }
    if (r->notify != NULL)
        r->notify(r->notify_ctx, store_event_last_offset(r->st));
}

/* The clock-driven detectors: their facts, then the time. */
static void tick(struct incident_runner *r)
{
    if (store_controller_list(r->st, on_controller, r) < 0)
        log_warn("rules: reading controllers: %s", store_errmsg(r->st));
    if (gh_monotonic_us() >= r->reviews_at) {
        rules_reviews_begin(r->engine);
        if (store_review_list(r->st, true, on_review, r) < 0)
            log_warn("rules: reading access reviews: %s", store_errmsg(r->st));
        r->reviews_at = gh_monotonic_us() + REVIEWS_US;
    }
    rules_tick(r->engine, gh_now_us(), collect, r);
}

static int64_t meta_cursor(struct store *st)
{
    char v[32];
    int64_t n;
    if (store_meta_get(st, KEY_CURSOR, v, sizeof(v)) == 0 && gh_parse_i64(v, 0, INT64_MAX, &n) == 0)
        return n;
    return -1;
}

static void warm_up(struct incident_runner *r)
{
    struct store_event_filter f;
    struct pass p = {r, 0, true};
    int64_t t0 = gh_monotonic_us();
    store_event_filter_init(&f);
    f.from_us = gh_now_us() - (int64_t)r->cfg.warmup_s * GH_USEC_PER_SEC;
    f.until_offset = r->cursor;
    if (r->cursor > 0 && r->cfg.warmup_s > 0)
        store_event_query(r->st, &f, on_event, &p);
    log_info("rules: warmed up on %llu events of the last %u s in %.1f s; judging events after "
             "%lld",
             (unsigned long long)p.n, r->cfg.warmup_s, (double)(gh_monotonic_us() - t0) / 1e6,
             (long long)r->cursor);
}

static void *runner_main(void *arg)
{
    struct incident_runner *r = arg;
    int64_t next_tick = 0;
    r->cursor = meta_cursor(r->st);
    if (r->cursor < 0) /* first start: from now on (history is not judged) */
        r->cursor = store_event_last_offset(r->st);
    r->saved = r->cursor;
    if (r->scripts != NULL) /* before the warm-up: the scripts learn from it too */
        rules_scripts_reload(r->scripts, script_news, r);
    r->scripts_at = gh_monotonic_us() + SCRIPTS_US;
    warm_up(r);
    count(r, 0, 0, 0, 0, 0);
    while (!atomic_load(&r->stopping)) {
        bool more = read_events(r);
        if (r->scripts != NULL && gh_monotonic_us() >= r->scripts_at) {
            rules_scripts_reload(r->scripts, script_news, r);
            r->scripts_at = gh_monotonic_us() + SCRIPTS_US;
        }
        if (gh_monotonic_us() >= next_tick) {
            tick(r);
            escalate(r);
            next_tick = gh_monotonic_us() + (int64_t)r->cfg.tick_ms * 1000;
        }
        if (r->n_found > 0 || r->n_notes > 0)
            commit_alarms(r);
        else if (r->cursor != r->saved && gh_monotonic_us() - r->saved_at >= SAVE_US)
            save_cursor(r);
        if (more)
            continue;
        pthread_mutex_lock(&r->mu);
        if (!r->woken && !atomic_load(&r->stopping)) {
            struct timespec until;
            int64_t wait_us = next_tick - gh_monotonic_us();
            clock_gettime(CLOCK_REALTIME, &until);
            if (wait_us < 1000)
                wait_us = 1000;
            until.tv_sec += (time_t)(wait_us / GH_USEC_PER_SEC);
            until.tv_nsec += (long)(wait_us % GH_USEC_PER_SEC) * 1000;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&r->cond, &r->mu, &until);
        }
        r->woken = false;
        pthread_mutex_unlock(&r->mu);
    }
    if (r->cursor != r->saved)
        save_cursor(r);
    return NULL;
}

static void runner_free(struct incident_runner *r)
{
    rules_scripts_free(r->scripts);
    rules_engine_free(r->engine);
    rules_world_free(r->world);
    store_close(r->st);
    free(r->found);
    free(r->found_drill);
    free(r->db_path);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int incident_runner_start(const char *db_path, const struct incident_runner_config *cfg,
                          incident_notify_fn notify, void *ctx, struct incident_runner **out,
                          struct gh_err *err)
{
    struct incident_runner *r = xcalloc(1, sizeof(*r));
    struct rules_lookup look;
    int rc;
    r->cfg = *cfg;
    r->notify = notify;
    r->notify_ctx = ctx;
    r->db_path = xstrdup(db_path);
    r->found = xcalloc(ALARMS_MAX, sizeof(*r->found));
    r->found_drill = xcalloc(ALARMS_MAX, sizeof(*r->found_drill));
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    atomic_init(&r->stopping, false);
    if ((rc = store_open(db_path, STORE_DURABLE, &r->st, err)) < 0)
        goto fail;
    r->world = rules_world_new(r->st, &look);
    {
        struct rules_config rc_cfg = cfg->rules;
        rc_cfg.walks = cfg->walks;
        rc_cfg.n_walks = cfg->n_walks;
        if ((rc = rules_engine_new(&rc_cfg, &look, &r->engine, err)) < 0)
            goto fail;
    }
    if (cfg->scripts_dir[0]) {
        struct rules_scripts_config sc = cfg->scripts;
        sc.dir = cfg->scripts_dir;
        if ((rc = rules_scripts_new(&sc, &r->scripts, err)) < 0)
            goto fail;
    }
    if (pthread_create(&r->thread, NULL, runner_main, r) != 0) {
        rc = gh_fail(err, -EAGAIN, "cannot start the rules thread");
        goto fail;
    }
    *out = r;
    return 0;
fail:
    runner_free(r);
    return rc;
}

void incident_runner_wake(struct incident_runner *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->woken = true;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

void incident_runner_stats(struct incident_runner *r, struct incident_runner_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    *out = r->stats;
    pthread_mutex_unlock(&r->mu);
}

void incident_runner_stop(struct incident_runner *r)
{
    if (r == NULL)
        return;
    atomic_store(&r->stopping, true);
    incident_runner_wake(r);
    pthread_join(r->thread, NULL);
    runner_free(r);
}
