/*
 * ingest.h: the event pipeline. Producers submit events to a bounded queue; one writer
 * thread owns the only write connection and commits them in batches (group commit: one
 * transaction per batch); only after the commit does it publish the batch, offsets
 * assigned, to subscribers. Nothing is shown before it is durable.
 *
 * Back-pressure, not loss: when the queue is full, ingest_submit() blocks until there is
 * room (or returns -EAGAIN with the non-blocking variant). Memory is bounded by the queue
 * size set at start.
 *
 * Ownership: ingest_start() returns a pipeline the caller stops and frees with
 * ingest_stop(), which drains the queue first. Subscribers' callbacks run on the writer
 * thread after each commit and must be quick (copy what they need, wake their own thread).
 * Thread-safety: ingest_submit*, ingest_flush and ingest_stats are thread-safe;
 * ingest_subscribe must be called before events are submitted.
 */
#ifndef GH_INGEST_H
#define GH_INGEST_H

#include "access/access.h"

struct ingest;

struct ingest_options {
    size_t queue_max; /* events the queue holds (default 16384) */
    size_t batch_max; /* events per transaction at most (default 4096) */
    bool durable;     /* synchronous=FULL: each commit reaches the disk (default true) */
};
void ingest_options_init(struct ingest_options *o);

/* Runs on the writer thread after a batch committed; evs have their offsets. */
typedef void (*ingest_subscriber_fn)(void *ctx, const struct event *evs, size_t n);

int ingest_start(const char *db_path, const struct ingest_options *opt, struct ingest **out,
                 struct gh_err *err);
int ingest_subscribe(struct ingest *ing, ingest_subscriber_fn fn, void *ctx);
/* Copies ev into the queue; blocks while the queue is full. -ECANCELED after stop began. */
int ingest_submit(struct ingest *ing, const struct event *ev);
/* Same, but -EAGAIN instead of blocking. */
int ingest_try_submit(struct ingest *ing, const struct event *ev);
/* Waits until every event submitted before the call is committed and published. Returns
 * the writer's first error, if a batch failed (that batch's events are lost and counted). */
int ingest_flush(struct ingest *ing);
/* Drains, stops the writer and frees everything. */
void ingest_stop(struct ingest *ing);

struct ingest_stats {
    uint64_t submitted;
    uint64_t committed;
    uint64_t batches;
    uint64_t failed; /* events in batches whose commit failed */
    uint64_t blocked; /* submits that had to wait for room */
    int64_t last_offset;
};
void ingest_stats(struct ingest *ing, struct ingest_stats *out);

#endif
