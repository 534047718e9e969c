/*
 * bench_audit.c: the audit log's speed. Measures
 *   audit_append     entries/s appended with audit_log_append() into a durable store
 *                    (synchronous=FULL), AUDIT_BATCH entries per transaction, each a
 *                    realistic ~400-byte entry; the baseline is SHA-256 (libsodium) of the
 *                    same entries' bytes, in entries/s, in the same run;
 *   audit_inclusion  inclusion proofs/s in a log of AUDIT_TREE leaves (10 million; only
 *                    the node table is built, with synthetic leaf hashes: a proof reads
 *                    nothing else), at random indexes in a tree head of the full size,
 *                    through the server's node cache (src/audit/nodecache.c) filled from
 *                    the store, as the API answers; every proof is verified against the
 *                    root. The baseline is SHA-256 of the same bytes a verifier hashes:
 *                    audit_verify_inclusion() of the same proofs, in proofs/s. Filling the
 *                    cache, and proofs read straight from the store, are shown on stderr.
 * Medians of BENCH_RUNS runs. The 10M-leaf tree is built once per invocation (about a
 * minute, ~1 GB in the scratch dir), outside timing.
 */
#include "audit/audit.h"
#include "bench.h"

#include <sodium.h>

#define AUDIT_ENTRIES    100000u /* appended per run */
#define AUDIT_BATCH      1000u   /* entries per transaction */
#define AUDIT_TREE       10000000u
#define AUDIT_PROOFS     200000u /* proofs per run */
#define APPEND_TARGET    50000.0
#define INCLUSION_TARGET 100000.0

/* Entry i: what an API change looks like in the log. */
static void make_entry(uint32_t i, char *buf, size_t len)
{
    snprintf(buf, len,
             "{\"action\":\"PATCH /api/v1/doors/{id}\",\"address\":\"10.1.%u.%u\",\"auth\":"
             "\"session\",\"changes\":[{\"after\":{\"held_open_s\":%u},\"before\":{\"held_open_s\""
             ":30},\"key\":{\"id\":%u},\"op\":\"update\",\"table\":\"doors\"}],\"object\":\"/api/"
             "v1/doors/%u\",\"request\":\"r%u\",\"request_body\":{\"held_open_s\":%u},\"roles\":"
             "\"security_operator\",\"time\":\"2026-11-30T10:%02u:%02u.%06uZ\",\"who\":\"op%u\"}",
             i % 250, (i / 250) % 250, 30 + i % 90, 1 + i % 5000, 1 + i % 5000, i, 30 + i % 90,
             (i / 60) % 60, i % 60, i % 1000000, i % 40);
}

static double append_run(const char *db, char **entries)
{
    struct store *st = NULL;
    struct gh_err err = {{0}};
    uint64_t idx;
    int64_t t0, t1;
    bench_rm_db(db);
    if (store_open(db, STORE_CREATE | STORE_DURABLE, &st, &err) < 0) {
        fprintf(stderr, "bench_audit: %s\n", err.msg);
        return -1;
    }
    t0 = bench_ns();
    for (uint32_t i = 0; i < AUDIT_ENTRIES; i += AUDIT_BATCH) {
        if (store_begin_write(st) < 0)
            goto fail;
        for (uint32_t j = i; j < i + AUDIT_BATCH; j++)
            if (audit_log_append(st, entries[j], 0, &idx, &err) < 0)
                goto fail;
        if (store_commit(st) < 0)
            goto fail;
    }
    t1 = bench_ns();
    store_close(st);
    return AUDIT_ENTRIES / ((double)(t1 - t0) / 1e9);
fail:
    fprintf(stderr, "bench_audit: append: %s %s\n", err.msg, store_errmsg(st));
    store_close(st);
    return -1;
}

static double sha256_run(char **entries)
{
    uint8_t h[32], acc = 0;
    int64_t t0 = bench_ns(), t1;
    for (uint32_t i = 0; i < AUDIT_ENTRIES; i++) {
        /* the leaf hash of the same bytes: 0x00 || entry */
        crypto_hash_sha256_state s;
        crypto_hash_sha256_init(&s);
        crypto_hash_sha256_update(&s, (const uint8_t *)"", 1);
        crypto_hash_sha256_update(&s, (const uint8_t *)entries[i], strlen(entries[i]));
        crypto_hash_sha256_final(&s, h);
        acc ^= h[0];
    }
    t1 = bench_ns();
    if (acc == 0xFF)
        fputc(' ', stderr); /* keeps the loop from being optimised away */
    return AUDIT_ENTRIES / ((double)(t1 - t0) / 1e9);
}

/* The node table of a tree of AUDIT_TREE leaves (leaf i: SHA-256 of its index), built level
 * by level through the store; *root gets the head. */
static int build_tree(const char *db, audit_hash root)
{
    struct store *st = NULL;
    struct gh_err err = {{0}};
    audit_hash *level = xmalloc((size_t)AUDIT_TREE * sizeof(audit_hash));
    uint64_t n = AUDIT_TREE;
    int64_t t0 = bench_ns();
    int r = -1;

    bench_rm_db(db);
    if (store_open(db, STORE_CREATE, &st, &err) < 0) {
        fprintf(stderr, "bench_audit: %s\n", err.msg);
        goto out;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint8_t be[8];
        for (int b = 0; b < 8; b++)
            be[b] = (uint8_t)(i >> (56 - 8 * b));
        audit_leaf_hash(be, sizeof(be), level[i]);
    }
    /* the store keeps the head of every complete (perfect) subtree: level l holds
     * floor(n / 2^l) nodes */
    for (unsigned l = 0; n > 0; l++) {
        if (store_begin_write(st) < 0)
            goto out;
        for (uint64_t i = 0; i < n; i++)
            if (store_audit_node_put(st, l, (int64_t)i, level[i]) < 0)
                goto out;
        if (store_commit(st) < 0)
            goto out;
        for (uint64_t i = 0; i + 1 < n; i += 2)
            audit_node_hash(level[i], level[i + 1], level[i / 2]);
        n /= 2;
    }
    {
        struct audit_nodes src = audit_store_nodes(st);
        if (audit_root(&src, AUDIT_TREE, root) < 0)
            goto out;
    }
    fprintf(stderr, "bench_audit: built a %u-leaf tree in %.1f s\n", AUDIT_TREE,
            (double)(bench_ns() - t0) / 1e9);
    r = 0;
out:
    if (r < 0)
        fprintf(stderr, "bench_audit: building the tree: %s\n", store_errmsg(st));
    store_close(st);
    free(level);
    return r;
}

struct proof {
    uint64_t index;
    size_t len;
    audit_hash hashes[AUDIT_PROOF_MAX];
};

/* Proofs at AUDIT_PROOFS random indexes (kept for the baseline); proofs/s, -1 on error. */
static double inclusion_run(struct audit_nodecache *c, uint64_t seed, struct proof *out)
{
    struct bench_rng rng = {seed};
    int64_t t0 = bench_ns(), t1;
    for (uint32_t i = 0; i < AUDIT_PROOFS; i++) {
        out[i].index = bench_below(&rng, AUDIT_TREE);
        if (audit_nodecache_inclusion(c, out[i].index, AUDIT_TREE, out[i].hashes, &out[i].len) < 0)
            return -1;
    }
    t1 = bench_ns();
    return AUDIT_PROOFS / ((double)(t1 - t0) / 1e9);
}

/* For comparison (stderr): proofs read from the store's node table, one lookup a node. */
static void store_proofs(struct store *st)
{
    struct audit_nodes src = audit_store_nodes(st);
    struct bench_rng rng = {7};
    audit_hash proof[AUDIT_PROOF_MAX];
    size_t len;
    int64_t t0 = bench_ns();
    for (uint32_t i = 0; i < AUDIT_PROOFS / 20; i++)
        if (audit_inclusion_proof(&src, bench_below(&rng, AUDIT_TREE), AUDIT_TREE, proof, &len) < 0)
            return;
    fprintf(stderr, "bench_audit: without the node cache: %.0f proofs/s\n",
            AUDIT_PROOFS / 20 / ((double)(bench_ns() - t0) / 1e9));
}

static void leaf_of(uint64_t i, audit_hash out)
{
    uint8_t be[8];
    for (int b = 0; b < 8; b++)
        be[b] = (uint8_t)(i >> (56 - 8 * b));
    audit_leaf_hash(be, sizeof(be), out);
}

/* Verifies the proofs (the verifier's SHA-256 work); proofs/s, -1 if one fails. */
static double verify_run(const struct proof *p, const audit_hash root)
{
    int64_t t0 = bench_ns(), t1;
    for (uint32_t i = 0; i < AUDIT_PROOFS; i++) {
        audit_hash leaf;
        leaf_of(p[i].index, leaf);
        if (!audit_verify_inclusion(p[i].index, AUDIT_TREE, leaf, (const audit_hash *)p[i].hashes,
                                    p[i].len, root)) {
            fprintf(stderr, "bench_audit: the proof of leaf %llu does not verify\n",
                    (unsigned long long)p[i].index);
            return -1;
        }
    }
    t1 = bench_ns();
    return AUDIT_PROOFS / ((double)(t1 - t0) / 1e9);
}

int main(void)
{
    const char *dir = bench_tmp_dir();
    char db[4096], tree[4096], cache[4096];
    struct audit_nodecache *nc = NULL;
    audit_hash cached_root;
    int64_t t0;
    char **entries = xcalloc(AUDIT_ENTRIES, sizeof(char *));
    struct proof *proofs = xcalloc(AUDIT_PROOFS, sizeof(*proofs));
    double rate[BENCH_RUNS], base[BENCH_RUNS];
    struct store *st = NULL;
    struct gh_err err = {{0}};
    audit_hash root;
    int status = 1;

    if (sodium_init() < 0 || dir == NULL ||
        gh_snprintf(db, sizeof(db), "%s/audit-append.db", dir) < 0 ||
        gh_snprintf(tree, sizeof(tree), "%s/audit-tree.db", dir) < 0 ||
        gh_snprintf(cache, sizeof(cache), "%s/audit-nodes.cache", dir) < 0)
        goto out;
    for (uint32_t i = 0; i < AUDIT_ENTRIES; i++) {
        entries[i] = xmalloc(512);
        make_entry(i, entries[i], 512);
    }
    for (int r = 0; r < BENCH_RUNS; r++) {
        if ((rate[r] = append_run(db, entries)) < 0)
            goto out;
        base[r] = sha256_run(entries);
    }
    bench_report("audit_append", bench_median(rate, BENCH_RUNS), "entries/s",
                 bench_median(base, BENCH_RUNS), "entries/s", true, APPEND_TARGET);
    bench_rm_db(db);

    if (build_tree(tree, root) < 0)
        goto out;
    if (store_open(tree, STORE_READONLY, &st, &err) < 0) {
        fprintf(stderr, "bench_audit: %s\n", err.msg);
        goto out;
    }
    store_proofs(st);
    t0 = bench_ns();
    if (audit_nodecache_open(cache, &nc, &err) < 0 ||
        audit_nodecache_sync(nc, st, AUDIT_TREE, &err) < 0 ||
        audit_nodecache_root(nc, AUDIT_TREE, cached_root) < 0 ||
        memcmp(root, cached_root, sizeof(root)) != 0) {
        fprintf(stderr, "bench_audit: the node cache: %s\n", err.msg[0] ? err.msg : "wrong root");
        goto out;
    }
    fprintf(stderr, "bench_audit: the node cache filled from the store in %.1f s\n",
            (double)(bench_ns() - t0) / 1e9);
    for (int r = 0; r < BENCH_RUNS; r++) {
        if ((rate[r] = inclusion_run(nc, 1000 + (uint64_t)r, proofs)) < 0 ||
            (base[r] = verify_run(proofs, root)) < 0)
            goto out;
    }
    bench_report("audit_inclusion", bench_median(rate, BENCH_RUNS), "proofs/s",
                 bench_median(base, BENCH_RUNS), "verifications/s", true, INCLUSION_TARGET);
    status = 0;
out:
    audit_nodecache_close(nc);
    unlink(cache);
    store_close(st);
    bench_rm_db(tree);
    for (uint32_t i = 0; i < AUDIT_ENTRIES; i++)
        free(entries[i]);
    free(entries);
    free(proofs);
    return status;
}
