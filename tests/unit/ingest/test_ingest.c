/*
 * test_ingest.c: the event pipeline (src/ingest/ingest.c). Events submitted from 4 threads
 * are all stored exactly once, in each producer's order, with strictly increasing
 * offsets; subscribers are called only after the batch committed (the subscriber opens a
 * second, read-only connection with store_open() and finds every published offset
 * already there); a small queue applies back-pressure without losing events;
 * ingest_try_submit() returns -EAGAIN when the queue is full; ingest_stop() drains the
 * queue; submits after stop began return -ECANCELED. The queue is filled
 * deterministically by a subscriber that blocks the writer thread on a condition
 * variable; nothing waits by sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest/ingest.h"
#include "../support.h"

/* ---- fixture: a temp dir --------------------------------------------------------------- */

struct fx {
    char dir[64];
    char path[128];
};


static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    gh_strlcpy(f->dir, "/tmp/gh_ingest_XXXXXX", sizeof(f->dir));
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    gh_snprintf(f->path, sizeof(f->path), "%s/gatehouse.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rm_tree(f->dir);
    free(f);
    return 0;
}

/* ---- the subscriber: records, checks visibility, optionally blocks the writer ----------- */

struct sub {
    const char *path;
    struct store *ro; /* read-only connection, opened on the writer thread */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* gate: when `hold` is set, the first call blocks until `released` */
    bool hold, entered, released;
    /* recorded under mu */
    size_t calls, seen;
    int64_t last_offset;
    long violations;
    char first_violation[256];
};

static void sub_init(struct sub *s, const char *path, bool hold)
{
    memset(s, 0, sizeof(*s));
    s->path = path;
    s->hold = hold;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
}

static void sub_destroy(struct sub *s)
{
    store_close(s->ro);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

static void sub_violation(struct sub *s, const char *what, int64_t a, int64_t b)
{
    if (s->violations++ == 0)
        gh_snprintf(s->first_violation, sizeof(s->first_violation), "%s (%lld, %lld)", what,
                    (long long)a, (long long)b);
}

struct visible_ctx {
    const struct event *evs;
    size_t n, i;
    long mismatches;
};

static int visible_cb(void *ctx, const struct event *ev)
{
    struct visible_ctx *v = ctx;
    if (v->i >= v->n)
        return 1;
    if (ev->offset != v->evs[v->i].offset || ev->time_us != v->evs[v->i].time_us ||
        ev->type != v->evs[v->i].type || ev->door_id != v->evs[v->i].door_id ||
        ev->person_id != v->evs[v->i].person_id || strcmp(ev->payload, v->evs[v->i].payload) != 0)
        v->mismatches++;
    v->i++;
    return 0;
}

static void on_batch(void *ctx, const struct event *evs, size_t n)
{
    struct sub *s = ctx;
    struct store_event_filter flt;
    struct visible_ctx v = {evs, n, 0, 0};
    struct gh_err err = {{0}};
    int r;

    pthread_mutex_lock(&s->mu);
    s->calls++;
    /* offsets strictly increase within and across batches */
    for (size_t i = 0; i < n; i++) {
        if (evs[i].offset <= s->last_offset)
            sub_violation(s, "offset not increasing", s->last_offset, evs[i].offset);
        s->last_offset = evs[i].offset;
    }
    s->seen += n;

    /* publish after commit: another connection already sees every event of the batch */
    if (s->ro == NULL) {
        r = store_open(s->path, STORE_READONLY, &s->ro, &err);
        if (r != 0)
            sub_violation(s, "read-only open failed", r, 0);
    }
    if (s->ro != NULL && n > 0) {
        store_event_filter_init(&flt);
        flt.after_offset = evs[0].offset - 1;
        flt.limit = (int64_t)n;
        r = store_event_query(s->ro, &flt, visible_cb, &v);
        if (r != 0 || v.i != n || v.mismatches != 0)
            sub_violation(s, "published events not visible to another connection", (int64_t)v.i,
                          (int64_t)n);
        if (store_event_last_offset(s->ro) < evs[n - 1].offset)
            sub_violation(s, "last offset not visible", store_event_last_offset(s->ro),
                          evs[n - 1].offset);
    }

    if (s->hold && !s->entered) {
        s->entered = true;
        pthread_cond_broadcast(&s->cv);
        while (!s->released)
            pthread_cond_wait(&s->cv, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
}

static void sub_wait_entered(struct sub *s)
{
    pthread_mutex_lock(&s->mu);
    while (!s->entered)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

static void sub_release(struct sub *s)
{
    pthread_mutex_lock(&s->mu);
    s->released = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void sub_check(struct sub *s, size_t want_seen)
{
    pthread_mutex_lock(&s->mu);
    if (s->violations != 0)
        fail_msg("%ld subscriber violations, first: %s", s->violations, s->first_violation);
    assert_int_equal(s->seen, want_seen);
    pthread_mutex_unlock(&s->mu);
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Event i of producer p: door p + 1, person i + 1, a payload naming both. */
static struct event ev_make(int p, int i)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.time_us = INT64_C(1773219600000000) + (int64_t)p * 1000000 + i;
    ev.type = EV_DOOR_STATE;
    ev.door_id = p + 1;
    ev.person_id = i + 1;
    ev.decision = -1;
    ev.reason = -1;
    gh_snprintf(ev.payload, sizeof(ev.payload), "{\"p\":%d,\"i\":%d}", p, i);
    return ev;
}

static struct ingest *start(const char *path, size_t queue_max, size_t batch_max, bool durable)
{
    struct ingest_options o;
    struct ingest *ing = NULL;
    struct gh_err err = {{0}};
    int r;
    ingest_options_init(&o);
    o.queue_max = queue_max;
    o.batch_max = batch_max;
    o.durable = durable;
    r = ingest_start(path, &o, &ing, &err);
    if (r != 0)
        fail_msg("ingest_start: %d %s", r, err.msg);
    assert_non_null(ing);
    return ing;
}

/* Checks the stored log: `producers` x `per` events, each exactly once, offsets strictly
 * increasing, each producer's events in its submit order. */
struct verify {
    int producers, per;
    unsigned char *seen; /* producers * per */
    int *next;           /* per producer: next expected i */
    int64_t last_offset;
    long bad;
    long count;
};

static int verify_cb(void *ctx, const struct event *ev)
{
    struct verify *v = ctx;
    int p = (int)ev->door_id - 1, i = (int)ev->person_id - 1;
    struct event want;
    v->count++;
    if (ev->offset <= v->last_offset || p < 0 || p >= v->producers || i < 0 || i >= v->per) {
        v->bad++;
        return 0;
    }
    v->last_offset = ev->offset;
    want = ev_make(p, i);
    if (v->seen[p * v->per + i]++ != 0 || i != v->next[p] || ev->time_us != want.time_us ||
        strcmp(ev->payload, want.payload) != 0 || ev->decision != -1)
        v->bad++;
    v->next[p] = i + 1;
    return 0;
}

static void verify_log(const char *path, int producers, int per)
{
    struct store *st = NULL;
    struct gh_err err = {{0}};
    struct store_event_filter flt;
    struct verify v = {producers, per, NULL, NULL, 0, 0, 0};
    int r = store_open(path, 0, &st, &err);
    if (r != 0)
        fail_msg("store_open: %d %s", r, err.msg);
    v.seen = calloc((size_t)producers * (size_t)per + 1, 1);
    v.next = calloc((size_t)producers, sizeof(int));
    assert_non_null(v.seen);
    assert_non_null(v.next);
    store_event_filter_init(&flt);
    assert_int_equal(store_event_query(st, &flt, verify_cb, &v), 0);
    assert_int_equal(v.count, (long)producers * per);
    assert_int_equal(v.bad, 0);
    for (int p = 0; p < producers; p++)
        assert_int_equal(v.next[p], per);
    assert_int_equal(store_event_last_offset(st), v.last_offset);
    free(v.seen);
    free(v.next);
    store_close(st);
}

struct producer {
    struct ingest *ing;
    int p, n;
    bool use_try; /* retry ingest_try_submit on -EAGAIN (yielding) instead of blocking */
    int first_error;
    long eagain;
};

static void *producer_main(void *arg)
{
    struct producer *pr = arg;
    for (int i = 0; i < pr->n; i++) {
        struct event ev = ev_make(pr->p, i);
        int r;
        if (pr->use_try) {
            while ((r = ingest_try_submit(pr->ing, &ev)) == -EAGAIN) {
                pr->eagain++;
                sched_yield();
            }
        } else {
            r = ingest_submit(pr->ing, &ev);
        }
        if (r != 0 && pr->first_error == 0)
            pr->first_error = r;
    }
    return NULL;
}

static void run_producers(struct ingest *ing, int producers, int per, bool use_try)
{
    pthread_t th[8];
    struct producer pr[8];
    assert_true(producers <= 8);
    for (int p = 0; p < producers; p++) {
        pr[p] = (struct producer){ing, p, per, use_try, 0, 0};
        assert_int_equal(pthread_create(&th[p], NULL, producer_main, &pr[p]), 0);
    }
    for (int p = 0; p < producers; p++) {
        pthread_join(th[p], NULL);
        assert_int_equal(pr[p].first_error, 0);
    }
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_options(void **state)
{
    struct fx *f = *state;
    struct ingest_options o;
    struct ingest *ing = NULL;
    struct gh_err err = {{0}};

    ingest_options_init(&o);
    assert_int_equal(o.queue_max, 16384);
    assert_int_equal(o.batch_max, 4096);
    assert_true(o.durable);
    o.queue_max = 0;
    assert_int_equal(ingest_start(f->path, &o, &ing, &err), -EINVAL);
    assert_null(ing);
    o.queue_max = 8;
    o.batch_max = 0;
    assert_int_equal(ingest_start(f->path, &o, &ing, &err), -EINVAL);
    assert_null(ing);

    /* default options; an empty pipeline flushes and stops at once */
    assert_int_equal(ingest_start(f->path, NULL, &ing, &err), 0);
    assert_int_equal(ingest_flush(ing), 0);
    ingest_stop(ing);
    verify_log(f->path, 1, 0);
}

static void test_concurrent_submit(void **state)
{
    struct fx *f = *state;
    enum { PRODUCERS = 4, PER = 1500 };
    struct sub sub;
    struct ingest *ing = start(f->path, 256, 64, false);
    struct ingest_stats stats;

    sub_init(&sub, f->path, false);
    assert_int_equal(ingest_subscribe(ing, on_batch, &sub), 0);
    run_producers(ing, PRODUCERS, PER, false);
    assert_int_equal(ingest_flush(ing), 0);

    /* after flush, every submitted event is committed and published */
    sub_check(&sub, (size_t)PRODUCERS * PER);
    ingest_stats(ing, &stats);
    assert_int_equal(stats.submitted, PRODUCERS * PER);
    assert_int_equal(stats.committed, PRODUCERS * PER);
    assert_int_equal(stats.failed, 0);
    assert_true(stats.batches >= (uint64_t)PRODUCERS * PER / 64);
    assert_int_equal(stats.last_offset, sub.last_offset);
    ingest_stop(ing);
    sub_destroy(&sub);
    verify_log(f->path, PRODUCERS, PER);
}

static void test_durable_and_restart(void **state)
{
    struct fx *f = *state;
    struct sub sub;
    struct ingest *ing = start(f->path, 16, 4, true);
    struct ingest_stats stats;
    int64_t first_last;

    sub_init(&sub, f->path, false);
    assert_int_equal(ingest_subscribe(ing, on_batch, &sub), 0);
    for (int i = 0; i < 20; i++) {
        struct event ev = ev_make(0, i);
        assert_int_equal(ingest_submit(ing, &ev), 0);
    }
    assert_int_equal(ingest_flush(ing), 0);
    sub_check(&sub, 20);
    ingest_stats(ing, &stats);
    first_last = stats.last_offset;
    ingest_stop(ing);

    /* a second pipeline on the same file continues after the stored offsets */
    ing = start(f->path, 16, 4, true);
    ingest_stats(ing, &stats);
    assert_int_equal(stats.last_offset, first_last);
    assert_int_equal(ingest_subscribe(ing, on_batch, &sub), 0);
    for (int i = 20; i < 40; i++) {
        struct event ev = ev_make(0, i);
        assert_int_equal(ingest_submit(ing, &ev), 0);
    }
    ingest_stop(ing); /* drains without a flush */
    sub_check(&sub, 40);
    assert_true(sub.last_offset > first_last);
    sub_destroy(&sub);
    verify_log(f->path, 1, 40);
}

static void test_backpressure(void **state)
{
    struct fx *f = *state;
    enum { PRODUCERS = 4, PER = 500 };
    struct sub sub;
    struct ingest *ing = start(f->path, 8, 3, false);
    struct ingest_stats stats;

    sub_init(&sub, f->path, false);
    assert_int_equal(ingest_subscribe(ing, on_batch, &sub), 0);
    run_producers(ing, PRODUCERS, PER, false);
    assert_int_equal(ingest_flush(ing), 0);
    ingest_stats(ing, &stats);
    assert_int_equal(stats.submitted, PRODUCERS * PER);
    assert_int_equal(stats.committed, PRODUCERS * PER);
    assert_int_equal(stats.failed, 0);
    /* batches never exceed batch_max */
    assert_true(stats.batches >= (uint64_t)PRODUCERS * PER / 3);
    sub_check(&sub, (size_t)PRODUCERS * PER);
    ingest_stop(ing);
    sub_destroy(&sub);
    verify_log(f->path, PRODUCERS, PER);
}

static void test_backpressure_try_submit(void **state)
{
    struct fx *f = *state;
    enum { PRODUCERS = 4, PER = 300 };
    struct sub sub;
    struct ingest *ing = start(f->path, 8, 8, false);

    sub_init(&sub, f->path, false);
    assert_int_equal(ingest_subscribe(ing, on_batch, &sub), 0);
    run_producers(ing, PRODUCERS, PER, true);
    assert_int_equal(ingest_flush(ing), 0);
    sub_check(&sub, (size_t)PRODUCERS * PER);
    ingest_stop(ing);
    sub_destroy(&sub);
    verify_log(f->path, PRODUCERS, PER);
}

/* Fills a queue of 8 while the writer is held inside the subscriber with event 0:
 * afterwards events 0..7 are accepted and the queue is full. */
static void fill_while_held(struct ingest *ing, struct sub *sub)
{
    struct event ev = ev_make(0, 0);
    assert_int_equal(ingest_submit(ing, &ev), 0);
    sub_wait_entered(sub); /* event 0 is committed; the writer is blocked in on_batch */
    for (int i = 1; i < 8; i++) {
        ev = ev_make(0, i);
        assert_int_equal(ingest_try_submit(ing, &ev), 0);
    }
    ev = ev_make(0, 8);
    assert_int_equal(ingest_try_submit(ing, &ev), -EAGAIN);
    assert_int_equal(ingest_try_submit(ing, &ev), -EAGAIN);
}

/* One submit on its own thread. */
struct one_submit {
    struct ingest *ing;
    struct event ev;
    int r;
};

static void *submit_one(void *arg)
{
    struct one_submit *o = arg;
    o->r = ingest_submit(o->ing, &o->ev);
    return NULL;
}

/* Waits until `n` submits have had to wait for room (a blocked producer is parked on the
 * pipeline's condition variable; this polls its counter, yielding). */
static void wait_blocked(struct ingest *ing, uint64_t n)
{
    struct ingest_stats stats;
    for (;;) {
        ingest_stats(ing, &stats);
        if (stats.blocked >= n)
            return;
        sched_yield();
    }
}

static void test_try_submit_full(void **state)
{
    struct fx *f = *state;
    struct sub sub;
    struct ingest *ing = start(f->path, 8, 8, false);
    struct ingest_stats stats;
    struct one_submit one;
    pthread_t th;

    sub_init(&sub, f->path, true);
    assert_int_equal(ingest_subscribe(ing, on_batch, &sub), 0);
    fill_while_held(ing, &sub);

    ingest_stats(ing, &stats);
    assert_int_equal(stats.submitted, 8);
    assert_int_equal(stats.committed, 0); /* counted once the subscribers returned */
    assert_int_equal(stats.blocked, 0);

    /* a blocking submit waits for room, and completes once the writer moves on */
    one = (struct one_submit){ing, ev_make(0, 8), 1};
    assert_int_equal(pthread_create(&th, NULL, submit_one, &one), 0);
    wait_blocked(ing, 1);
    ingest_stats(ing, &stats);
    assert_int_equal(stats.submitted, 8);
    sub_release(&sub);
    pthread_join(th, NULL);
    assert_int_equal(one.r, 0);

    assert_int_equal(ingest_flush(ing), 0);
    ingest_stats(ing, &stats);
    assert_int_equal(stats.submitted, 9);
    assert_int_equal(stats.committed, 9);
    assert_int_equal(stats.blocked, 1);
    assert_int_equal(stats.failed, 0);
    /* room again */
    {
        struct event ev = ev_make(0, 9);
        assert_int_equal(ingest_try_submit(ing, &ev), 0);
    }
    ingest_stop(ing);
    sub_check(&sub, 10);
    sub_destroy(&sub);
    verify_log(f->path, 1, 10);
}

static void *stop_main(void *arg)
{
    ingest_stop(arg);
    return NULL;
}

static void test_stop_drains_and_cancels(void **state)
{
    struct fx *f = *state;
    struct sub sub;
    struct ingest *ing = start(f->path, 8, 8, false);
    struct one_submit one;
    pthread_t producer, stopper;
    struct event ev = ev_make(0, 8);

    sub_init(&sub, f->path, true);
    assert_int_equal(ingest_subscribe(ing, on_batch, &sub), 0);
    fill_while_held(ing, &sub);

    /* a producer blocked on the full queue ... */
    one = (struct one_submit){ing, ev_make(0, 8), 1};
    assert_int_equal(pthread_create(&producer, NULL, submit_one, &one), 0);
    wait_blocked(ing, 1);
    /* ... is woken by ingest_stop with -ECANCELED. The queue cannot drain while the
     * writer is held, so the producer can return only because stop began; and the
     * pipeline cannot be freed before the writer is released below. */
    assert_int_equal(pthread_create(&stopper, NULL, stop_main, ing), 0);
    pthread_join(producer, NULL);
    assert_int_equal(one.r, -ECANCELED);
    /* stop has begun and has not finished: new submits are refused */
    assert_int_equal(ingest_try_submit(ing, &ev), -ECANCELED);
    assert_int_equal(ingest_submit(ing, &ev), -ECANCELED);

    /* release the writer: stop drains the 7 queued events before it returns */
    sub_release(&sub);
    pthread_join(stopper, NULL);
    sub_check(&sub, 8);
    sub_destroy(&sub);
    verify_log(f->path, 1, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_submit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure_try_submit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_try_submit_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_drains_and_cancels, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
