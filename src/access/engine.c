/*
 * engine.c: publishing snapshots to lock-free readers.
 *
 * The design is simple: the current snapshot is one atomic pointer. A reader pins it in a
 * hazard slot of its own (claimed once per thread), re-checks that it is still current,
 * and then uses it without any lock. Publishing swaps the pointer and puts the old
 * snapshot on a retired list; a retired snapshot is freed as soon as no hazard slot holds
 * it (checked at every publish and at engine_free). Only publishers take the mutex. A
 * thread's slot is given back when the thread exits (a pthread key destructor), so
 * ENGINE_SLOTS bounds the reader threads alive at once, not the threads ever started.
 */
#include "access/access_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define ENGINE_SLOTS 256

struct retired {
    struct access_snapshot *snap;
    struct retired *next;
};

struct access_engine {
    pthread_key_t slot_key; /* a reader thread's slot, released when the thread exits */
    _Atomic(struct access_snapshot *) current;
    _Atomic(const struct access_snapshot *) hazard[ENGINE_SLOTS];
    atomic_bool slot_used[ENGINE_SLOTS];
    pthread_mutex_t mu; /* publishers and the retired list */
    struct retired *retired;
};


/* A claimed slot, as stored in the engine's thread key. */
struct slot_ref {
    struct access_engine *eng;
    int slot;
};

/* Thread-exit destructor of slot_key: unpins and gives the thread's slot back. */
static void release_slot(void *p)
{
    struct slot_ref *ref = p;
    atomic_store(&ref->eng->hazard[ref->slot], NULL);
    atomic_store(&ref->eng->slot_used[ref->slot], false);
    free(ref);
}

struct access_engine *access_engine_new(void)
{
    struct access_engine *eng = xcalloc(1, sizeof(*eng));
    if (pthread_key_create(&eng->slot_key, release_slot) != 0)
        gh_oom(); /* only fails when the process is out of keys or memory */
    atomic_init(&eng->current, NULL);
    for (int i = 0; i < ENGINE_SLOTS; i++) {
        atomic_init(&eng->hazard[i], NULL);
        atomic_init(&eng->slot_used[i], false);
    }
    pthread_mutex_init(&eng->mu, NULL);
    return eng;
}

/* This thread's slot in eng (per thread and per engine, through the engine's key),
 * claiming a free one on first use. -1 when all are taken. */
static int claim_slot(struct access_engine *eng)
{
    struct slot_ref *ref = pthread_getspecific(eng->slot_key);
    if (ref != NULL)
        return ref->slot;
    for (int i = 0; i < ENGINE_SLOTS; i++) {
        bool expected = false;
        if (atomic_compare_exchange_strong(&eng->slot_used[i], &expected, true)) {
            atomic_store(&eng->hazard[i], NULL);
            ref = xmalloc(sizeof(*ref));
            ref->eng = eng;
            ref->slot = i;
            pthread_setspecific(eng->slot_key, ref);
            return i;
        }
    }
    return -1;
}

static bool pinned(struct access_engine *eng, const struct access_snapshot *s)
{
    for (int i = 0; i < ENGINE_SLOTS; i++)
        if (atomic_load(&eng->hazard[i]) == s)
            return true;
    return false;
}

/* Frees every retired snapshot no reader holds. Caller holds eng->mu. */
static void reclaim(struct access_engine *eng)
{
    struct retired **pp = &eng->retired;
    while (*pp) {
        struct retired *r = *pp;
        if (!pinned(eng, r->snap)) {
            *pp = r->next;
            access_snapshot_free(r->snap);
            free(r);
        } else {
            pp = &r->next;
        }
    }
}

void access_engine_publish(struct access_engine *eng, struct access_snapshot *snap)
{
    struct access_snapshot *old;
    pthread_mutex_lock(&eng->mu);
    old = atomic_exchange(&eng->current, snap);
    if (old != NULL) {
        struct retired *r = xmalloc(sizeof(*r));
        r->snap = old;
        r->next = eng->retired;
        eng->retired = r;
    }
    reclaim(eng);
    pthread_mutex_unlock(&eng->mu);
}

const struct access_snapshot *access_engine_acquire(struct access_engine *eng)
{
    int slot = claim_slot(eng);
    const struct access_snapshot *s;
    if (slot < 0) {
        log_error("more than %d threads read decision snapshots", ENGINE_SLOTS);
        abort(); /* a programming error: the slot count bounds the reader threads */
    }
    do {
        s = atomic_load(&eng->current);
        atomic_store(&eng->hazard[slot], s);
    } while (s != atomic_load(&eng->current));
    return s;
}

void access_engine_release(struct access_engine *eng, const struct access_snapshot *snap)
{
    struct slot_ref *ref = pthread_getspecific(eng->slot_key);
    (void)snap;
    if (ref != NULL)
        atomic_store(&eng->hazard[ref->slot], NULL);
}

void access_engine_free(struct access_engine *eng)
{
    if (eng == NULL)
        return;
    pthread_mutex_lock(&eng->mu);
    for (int i = 0; i < ENGINE_SLOTS; i++)
        atomic_store(&eng->hazard[i], NULL);
    reclaim(eng);
    pthread_mutex_unlock(&eng->mu);
    access_snapshot_free(atomic_load(&eng->current));
    pthread_mutex_destroy(&eng->mu);
    /* this thread's slot record; other reader threads must have exited (see access.h),
     * and their records went with them */
    free(pthread_getspecific(eng->slot_key));
    pthread_setspecific(eng->slot_key, NULL);
    pthread_key_delete(eng->slot_key);
    free(eng);
}
