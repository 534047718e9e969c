/*
 * nodecache.c: the server's copy of the audit tree's nodes in one flat, memory-mapped file,
 * so that an inclusion or consistency proof costs a few dozen memory reads instead of as
 * many B-tree lookups (a 10-million-entry log: ~25 random page reads per proof otherwise).
 *
 * Node (level l, index i), the head of leaves [i * 2^l, (i + 1) * 2^l), lives in slot
 * i * 2^(l+1) + 2^l - 1: the in-order position of a complete binary tree, so a log of n
 * leaves fills slots below 2n - 1 and the file only grows at its end. The store stays the
 * truth: the cache is made again at every open (truncated), filled from the stored leaf
 * hashes (each parent hashed here) when a proof needs leaves it has not seen, and never
 * read by `audit verify`. The file is page cache, not heap: the kernel keeps what is used.
 */
#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK 65536 /* leaf hashes read from the store at a time */

struct audit_nodecache {
    pthread_rwlock_t lock; /* readers: proofs; the writer: sync */
    uint64_t gen;          /* tells this cache from one opened before at the same address */
    int fd;
    uint8_t *map;
    uint64_t cap; /* slots mapped */
    uint64_t n;   /* leaves in the cache (and every complete subtree over them) */
    char *path;
};

static uint64_t slot(unsigned level, uint64_t index)
{
    return (index << (level + 1)) + ((UINT64_C(1) << level) - 1);
}

static int node_at(void *ctx, unsigned level, uint64_t index, audit_hash out)
{
    struct audit_nodecache *c = ctx;
    uint64_t s = slot(level, index);
    if (level >= 63 || ((index + 1) << level) > c->n || s >= c->cap)
        return -ENOENT;
    memcpy(out, c->map + s * AUDIT_HASH_LEN, AUDIT_HASH_LEN);
    return 0;
}

/* The roots of the imperfect subtrees on a tree's right edge are the same for every proof
 * in a tree of that size, and each costs several hashes: each thread keeps those of the
 * last size it was asked about (the cache and the size say whether they still apply). */
#define EDGE_MAX 64
static atomic_uint_fast64_t generations;
static _Thread_local struct {
    uint64_t gen;
    uint64_t b;
    int count;
    uint64_t a[EDGE_MAX];
    audit_hash root[EDGE_MAX];
} edge;

static int range_at(void *ctx, uint64_t a, uint64_t b, audit_hash out)
{
    struct audit_nodecache *c = ctx;
    struct audit_nodes src = {.ctx = c, .node = node_at}; /* no memo inside: computes */
    int r;
    if (edge.gen != c->gen || edge.b != b) {
        edge.gen = c->gen;
        edge.b = b;
        edge.count = 0;
    }
    for (int i = 0; i < edge.count; i++)
        if (edge.a[i] == a) {
            memcpy(out, edge.root[i], AUDIT_HASH_LEN);
            return 0;
        }
    if ((r = audit_subtree_root(&src, a, b, out)) < 0)
        return r;
    if (edge.count < EDGE_MAX) {
        edge.a[edge.count] = a;
        memcpy(edge.root[edge.count++], out, AUDIT_HASH_LEN);
    }
    return 0;
}

/* Room for the slots of `leaves` leaves (the write lock held). */
static int reserve(struct audit_nodecache *c, uint64_t leaves, struct gh_err *err)
{
    uint64_t want = leaves * 2, cap = c->cap ? c->cap : 4096;
    void *m;
    int r;
    if (want <= c->cap)
        return 0;
    while (cap < want)
        cap *= 2;
    /* blocks allocated now: a full disk is an error here, not a SIGBUS on a write later */
    if ((r = posix_fallocate(c->fd, 0, (off_t)(cap * AUDIT_HASH_LEN))) != 0)
        return gh_fail(err, -r, "%s: cannot grow to %llu bytes: %s", c->path,
                       (unsigned long long)(cap * AUDIT_HASH_LEN), strerror(r));
    m = mmap(NULL, cap * AUDIT_HASH_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (m == MAP_FAILED)
        return gh_fail(err, -errno, "%s: cannot map: %s", c->path, strerror(errno));
    if (c->map != NULL)
        munmap(c->map, c->cap * AUDIT_HASH_LEN);
    c->map = m;
    c->cap = cap;
    return 0;
}

int audit_nodecache_open(const char *path, struct audit_nodecache **out, struct gh_err *err)
{
    struct audit_nodecache *c = xcalloc(1, sizeof(*c));
    c->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (c->fd < 0) {
        int e = errno;
        free(c);
        return gh_fail(err, -e, "%s: cannot be created: %s", path, strerror(e));
    }
    c->path = xstrdup(path);
    c->gen = atomic_fetch_add(&generations, 1) + 1;
    pthread_rwlock_init(&c->lock, NULL);
    *out = c;
    return 0;
}

void audit_nodecache_close(struct audit_nodecache *c)
{
    if (c == NULL)
        return;
    if (c->map != NULL)
        munmap(c->map, c->cap * AUDIT_HASH_LEN);
    close(c->fd);
    pthread_rwlock_destroy(&c->lock);
    free(c->path);
    free(c);
}

/* Adds leaves [c->n, c->n + k) and the subtrees they complete (the write lock held). */
static void add_leaves(struct audit_nodecache *c, const audit_hash *leaves, uint64_t k)
{
    for (uint64_t j = 0; j < k; j++) {
        uint64_t n = c->n;
        memcpy(c->map + slot(0, n) * AUDIT_HASH_LEN, leaves[j], AUDIT_HASH_LEN);
        /* a leaf with an odd index closes its pair, and so on up */
        for (unsigned l = 0; (n >> l) & 1; l++) {
            uint64_t i = n >> l;
            audit_node_hash(c->map + slot(l, i - 1) * AUDIT_HASH_LEN,
                            c->map + slot(l, i) * AUDIT_HASH_LEN,
                            c->map + slot(l + 1, i >> 1) * AUDIT_HASH_LEN);
        }
        c->n = n + 1;
    }
}

int audit_nodecache_sync(struct audit_nodecache *c, struct store *st, uint64_t size,
                         struct gh_err *err)
{
    audit_hash *buf = NULL;
    int r = 0;
    pthread_rwlock_rdlock(&c->lock);
    if (c->n >= size) {
        pthread_rwlock_unlock(&c->lock);
        return 0;
    }
    pthread_rwlock_unlock(&c->lock);
    pthread_rwlock_wrlock(&c->lock);
    if (c->n < size && (r = reserve(c, size, err)) == 0)
        buf = xmalloc(CHUNK * sizeof(audit_hash));
    while (r == 0 && c->n < size) {
        uint64_t want = size - c->n < CHUNK ? size - c->n : CHUNK;
        int64_t got = store_audit_leaf_hashes(st, (int64_t)c->n, (int64_t)want, buf);
        if (got <= 0) {
            r = gh_fail(err, got < 0 ? -EIO : -ENOENT,
                        "the audit log's leaf %llu cannot be read from the store",
                        (unsigned long long)c->n);
            break;
        }
        add_leaves(c, (const audit_hash *)buf, (uint64_t)got);
    }
    pthread_rwlock_unlock(&c->lock);
    free(buf);
    return r;
}

/* Takes the read lock when the cache holds a tree of n leaves (then src reads it): the
 * caller releases it; false, unlocked, when it does not. */
static bool hold(struct audit_nodecache *c, uint64_t n, struct audit_nodes *src)
{
    pthread_rwlock_rdlock(&c->lock);
    if (n > c->n) {
        pthread_rwlock_unlock(&c->lock);
        return false;
    }
    *src = (struct audit_nodes){.ctx = c, .node = node_at, .range = range_at};
    return true;
}

int audit_nodecache_inclusion(struct audit_nodecache *c, uint64_t index, uint64_t n,
                              audit_hash proof[AUDIT_PROOF_MAX], size_t *len)
{
    struct audit_nodes src;
    int r;
    if (!hold(c, n, &src))
        return -ENOENT;
    r = audit_inclusion_proof(&src, index, n, proof, len);
    pthread_rwlock_unlock(&c->lock);
    return r;
}

int audit_nodecache_consistency(struct audit_nodecache *c, uint64_t m, uint64_t n,
                                audit_hash proof[AUDIT_PROOF_MAX], size_t *len)
{
    struct audit_nodes src;
    int r;
    if (!hold(c, n, &src))
        return -ENOENT;
    r = audit_consistency_proof(&src, m, n, proof, len);
    pthread_rwlock_unlock(&c->lock);
    return r;
}

int audit_nodecache_root(struct audit_nodecache *c, uint64_t n, audit_hash out)
{
    struct audit_nodes src;
    int r;
    if (!hold(c, n, &src))
        return -ENOENT;
    r = audit_root(&src, n, out);
    pthread_rwlock_unlock(&c->lock);
    return r;
}
