/*
 * ingest.c: the event pipeline: bounded queue -> writer thread (group commit) -> subscribers.
 *
 * The design is simple: a ring of queue_max event slots guarded by one mutex. Producers
 * copy an event into the tail slot (waiting on `not_full` while the ring is full). The
 * writer waits on `not_empty`, then takes the run of slots from the head (up to
 * batch_max) WITHOUT copying them: producers cannot overwrite those slots because the
 * head does not move until the writer is done. It writes them in one transaction
 * (BEGIN IMMEDIATE ... COMMIT), and only after the commit calls every subscriber with the
 * batch, offsets filled in. Then it advances the head and wakes producers and flushers.
 *
 * ingest_flush() waits for a ticket: the count of events submitted before it was called
 * must be <= the count the writer has finished.
 */
#include "ingest/ingest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBSCRIBERS 16

struct subscriber {
    ingest_subscriber_fn fn;
    void *ctx;
};

struct ingest {
    struct store *st;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t mu;
    pthread_cond_t not_empty; /* writer waits */
    pthread_cond_t not_full;  /* producers wait */
    pthread_cond_t done;      /* flushers wait */

    struct event *ring;
    size_t cap;
    size_t head;  /* next slot the writer takes */
    size_t count; /* slots in use, including the batch being written */
    size_t batch_max;
    bool stopping;

    uint64_t submitted; /* events accepted */
    uint64_t finished;  /* events committed or failed */
    int first_error;
    struct ingest_stats stats;

    struct subscriber subs[MAX_SUBSCRIBERS];
    int n_subs;
};

void ingest_options_init(struct ingest_options *o)
{
    o->queue_max = 16384;
    o->batch_max = 4096;
    o->durable = true;
}

/* Writes evs[0..n) in one transaction; returns 0 or a negative code (rolled back). */
static int write_batch(struct ingest *ing, struct event *evs, size_t n)
{
    int r = store_begin_write(ing->st);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        r = store_event_append(ing->st, &evs[i]);
        if (r < 0) {
            store_rollback(ing->st);
            return r;
        }
    }
    r = store_commit(ing->st);
    if (r < 0)
        store_rollback(ing->st);
    return r;
}

static void *writer_main(void *arg)
{
    struct ingest *ing = arg;

    pthread_mutex_lock(&ing->mu);
    for (;;) {
        size_t n, head;
        int r;

        while (ing->count == 0 && !ing->stopping)
            pthread_cond_wait(&ing->not_empty, &ing->mu);
        if (ing->count == 0 && ing->stopping)
            break;
        head = ing->head;
        n = ing->count;
        if (n > ing->batch_max)
            n = ing->batch_max;
        if (n > ing->cap - head)
            n = ing->cap - head; /* a contiguous run; the wrapped part is the next batch */
        pthread_mutex_unlock(&ing->mu);

        r = write_batch(ing, &ing->ring[head], n);
        if (r == 0) {
            for (int i = 0; i < ing->n_subs; i++)
                ing->subs[i].fn(ing->subs[i].ctx, &ing->ring[head], n);
        } else {
            log_err_f(r, "event batch of %zu not stored: %s", n, store_errmsg(ing->st));
        }

        pthread_mutex_lock(&ing->mu);
        if (r == 0) {
            ing->stats.committed += n;
            ing->stats.batches++;
            ing->stats.last_offset = ing->ring[head + n - 1].offset;
        } else {
            ing->stats.failed += n;
            if (ing->first_error == 0)
                ing->first_error = r;
        }
        ing->head = (head + n) % ing->cap;
        ing->count -= n;
        ing->finished += n;
        pthread_cond_broadcast(&ing->not_full);
        pthread_cond_broadcast(&ing->done);
    }
    pthread_mutex_unlock(&ing->mu);
    return NULL;
}

int ingest_start(const char *db_path, const struct ingest_options *opt, struct ingest **out,
                 struct gh_err *err)
{
    struct ingest_options def;
    struct ingest *ing;
    int r;

    if (opt == NULL) {
        ingest_options_init(&def);
        opt = &def;
    }
    if (opt->queue_max == 0 || opt->batch_max == 0 || opt->queue_max > (1u << 24))
        return gh_fail(err, -EINVAL, "ingest: queue_max and batch_max must be 1..16777216");
    ing = xcalloc(1, sizeof(*ing));
    pthread_mutex_init(&ing->mu, NULL);
    pthread_cond_init(&ing->not_empty, NULL);
    pthread_cond_init(&ing->not_full, NULL);
    pthread_cond_init(&ing->done, NULL);
    ing->cap = opt->queue_max;
    ing->batch_max = opt->batch_max;
    ing->ring = xcalloc(ing->cap, sizeof(struct event));

    r = store_open(db_path, STORE_CREATE | (opt->durable ? STORE_DURABLE : 0), &ing->st, err);
    if (r < 0)
        goto fail;
    ing->stats.last_offset = store_event_last_offset(ing->st);
    if (pthread_create(&ing->thread, NULL, writer_main, ing) != 0) {
        r = gh_fail(err, -EAGAIN, "ingest: cannot start the writer thread");
        goto fail;
    }
    ing->thread_started = true;
    *out = ing;
    return 0;
fail:
    ingest_stop(ing);
    return r;
}

int ingest_subscribe(struct ingest *ing, ingest_subscriber_fn fn, void *ctx)
{
    int r = 0;
    pthread_mutex_lock(&ing->mu);
    if (ing->n_subs >= MAX_SUBSCRIBERS)
        r = -ENOSPC;
    else
        ing->subs[ing->n_subs++] = (struct subscriber){fn, ctx};
    pthread_mutex_unlock(&ing->mu);
    return r;
}

static int submit(struct ingest *ing, const struct event *ev, bool block)
{
    int r = 0;
    pthread_mutex_lock(&ing->mu);
    if (ing->count == ing->cap && !ing->stopping) {
        if (!block) {
            r = -EAGAIN;
            goto out;
        }
        ing->stats.blocked++;
        while (ing->count == ing->cap && !ing->stopping)
            pthread_cond_wait(&ing->not_full, &ing->mu);
    }
    if (ing->stopping) {
        r = -ECANCELED;
        goto out;
    }
    {
        struct event *slot = &ing->ring[(ing->head + ing->count) % ing->cap];
        *slot = *ev;
        slot->offset = 0;
    }
    if (ing->count++ == 0)
        pthread_cond_signal(&ing->not_empty);
    ing->submitted++;
    ing->stats.submitted++;
out:
    pthread_mutex_unlock(&ing->mu);
    return r;
}

int ingest_submit(struct ingest *ing, const struct event *ev)
{
    return submit(ing, ev, true);
}

int ingest_try_submit(struct ingest *ing, const struct event *ev)
{
    return submit(ing, ev, false);
}

int ingest_flush(struct ingest *ing)
{
    int r;
    pthread_mutex_lock(&ing->mu);
    uint64_t ticket = ing->submitted;
    while (ing->finished < ticket)
        pthread_cond_wait(&ing->done, &ing->mu);
    r = ing->first_error;
    pthread_mutex_unlock(&ing->mu);
    return r;
}

void ingest_stats(struct ingest *ing, struct ingest_stats *out)
{
    pthread_mutex_lock(&ing->mu);
    *out = ing->stats;
    pthread_mutex_unlock(&ing->mu);
}

void ingest_stop(struct ingest *ing)
{
    if (ing == NULL)
        return;
    if (ing->thread_started) {
        pthread_mutex_lock(&ing->mu);
        ing->stopping = true;
        pthread_cond_broadcast(&ing->not_empty);
        pthread_cond_broadcast(&ing->not_full);
        pthread_mutex_unlock(&ing->mu);
        pthread_join(ing->thread, NULL);
    }
    store_close(ing->st);
    pthread_cond_destroy(&ing->done);
    pthread_cond_destroy(&ing->not_full);
    pthread_cond_destroy(&ing->not_empty);
    pthread_mutex_destroy(&ing->mu);
    free(ing->ring);
    free(ing);
}
