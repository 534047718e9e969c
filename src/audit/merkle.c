/*
 * merkle.c: RFC 9162 Merkle tree heads, inclusion and consistency proofs and their
 * verification, over a source of perfect subtrees (see audit.h).
 *
 * The design is the RFC's own recursion on ranges of leaves: MTH(D[a:b]) splits at the
 * largest power of two below b - a. A range that is a whole aligned power of two is one
 * node of the source; any other range (only on a tree's right edge) splits again, so a head
 * or a proof costs O(log n) node reads. Verification follows the RFC's algorithms step by
 * step (sections 2.1.3.2 and 2.1.4.2), with its bit arithmetic, and never trusts a length.
 */
#include "audit/audit.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void audit_leaf_hash(const void *data, size_t len, audit_hash out)
{
    crypto_hash_sha256_state st;
    const uint8_t prefix = 0x00;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, out);
}

void audit_node_hash(const audit_hash left, const audit_hash right, audit_hash out)
{
    uint8_t buf[1 + 2 * AUDIT_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, AUDIT_HASH_LEN);
    memcpy(buf + 1 + AUDIT_HASH_LEN, right, AUDIT_HASH_LEN);
    crypto_hash_sha256(out, buf, sizeof(buf));
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static bool is_pow2(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

static unsigned log2_exact(uint64_t n)
{
    unsigned l = 0;
    while ((UINT64_C(1) << l) < n)
        l++;
    return l;
}

/* MTH(D[a:b]), a < b. */
static int subtree(const struct audit_nodes *src, uint64_t a, uint64_t b, audit_hash out)
{
    uint64_t n = b - a, k;
    audit_hash l, r;
    int rc;
    if (is_pow2(n) && a % n == 0) {
        unsigned level = log2_exact(n);
        return src->node(src->ctx, level, a >> level, out);
    }
    if (n == 1) /* unaligned single leaf cannot happen (any a is a multiple of 1) */
        return -EINVAL;
    if (src->range != NULL && (rc = src->range(src->ctx, a, b, out)) != -ENOENT)
        return rc;
    k = split_point(n);
    if ((rc = subtree(src, a, a + k, l)) < 0 || (rc = subtree(src, a + k, b, r)) < 0)
        return rc;
    audit_node_hash(l, r, out);
    return 0;
}

int audit_subtree_root(const struct audit_nodes *src, uint64_t a, uint64_t b, audit_hash out)
{
    return a < b ? subtree(src, a, b, out) : -EINVAL;
}

int audit_root(const struct audit_nodes *src, uint64_t n, audit_hash out)
{
    if (n == 0) {
        crypto_hash_sha256(out, (const uint8_t *)"", 0);
        return 0;
    }
    return subtree(src, 0, n, out);
}

/* PATH(m, D[a:b]) appended to proof (deepest first), m relative to a. */
static int path(const struct audit_nodes *src, uint64_t m, uint64_t a, uint64_t b,
                audit_hash *proof, size_t *len)
{
    uint64_t n = b - a, k;
    int rc;
    if (n == 1)
        return 0;
    k = split_point(n);
    if (m < k)
        rc = path(src, m, a, a + k, proof, len);
    else
        rc = path(src, m - k, a + k, b, proof, len);
    if (rc < 0)
        return rc;
    if (*len == AUDIT_PROOF_MAX)
        return -E2BIG;
    return m < k ? subtree(src, a + k, b, proof[(*len)++])
                 : subtree(src, a, a + k, proof[(*len)++]);
}

int audit_inclusion_proof(const struct audit_nodes *src, uint64_t index, uint64_t n,
                          audit_hash proof[AUDIT_PROOF_MAX], size_t *len)
{
    *len = 0;
    if (index >= n)
        return -EINVAL;
    return path(src, index, 0, n, proof, len);
}

/* SUBPROOF(m, D[a:b], whole) appended to proof. */
static int subproof(const struct audit_nodes *src, uint64_t m, uint64_t a, uint64_t b, bool whole,
                    audit_hash *proof, size_t *len)
{
    uint64_t n = b - a, k;
    int rc;
    if (m == n) {
        if (whole)
            return 0;
        if (*len == AUDIT_PROOF_MAX)
            return -E2BIG;
        return subtree(src, a, b, proof[(*len)++]);
    }
    k = split_point(n);
    if (m <= k)
        rc = subproof(src, m, a, a + k, whole, proof, len);
    else
        rc = subproof(src, m - k, a + k, b, false, proof, len);
    if (rc < 0)
        return rc;
    if (*len == AUDIT_PROOF_MAX)
        return -E2BIG;
    return m <= k ? subtree(src, a + k, b, proof[(*len)++])
                  : subtree(src, a, a + k, proof[(*len)++]);
}

int audit_consistency_proof(const struct audit_nodes *src, uint64_t m, uint64_t n,
                            audit_hash proof[AUDIT_PROOF_MAX], size_t *len)
{
    *len = 0;
    if (m == 0 || m > n)
        return -EINVAL;
    return subproof(src, m, 0, n, true, proof, len);
}

bool audit_verify_inclusion(uint64_t index, uint64_t n, const audit_hash leaf_hash,
                            const audit_hash *proof, size_t len, const audit_hash root)
{
    uint64_t fn, sn;
    audit_hash r;
    if (index >= n || len > AUDIT_PROOF_MAX)
        return false;
    fn = index;
    sn = n - 1;
    memcpy(r, leaf_hash, AUDIT_HASH_LEN);
    for (size_t i = 0; i < len; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            audit_node_hash(proof[i], r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            audit_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(r, root, AUDIT_HASH_LEN) == 0;
}

bool audit_verify_consistency(uint64_t m, uint64_t n, const audit_hash root_m,
                              const audit_hash root_n, const audit_hash *proof, size_t len)
{
    audit_hash fr, sr;
    uint64_t fn, sn;
    size_t i = 0;
    const uint8_t *first;
    if (m == 0 || m > n || len > AUDIT_PROOF_MAX)
        return false;
    if (m == n)
        return len == 0 && sodium_memcmp(root_m, root_n, AUDIT_HASH_LEN) == 0;
    if (len == 0)
        return false;
    /* a first size that is a power of two: its head is the path's first element */
    if (is_pow2(m)) {
        first = root_m;
    } else {
        first = proof[0];
        i = 1;
    }
    fn = m - 1;
    sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, first, AUDIT_HASH_LEN);
    memcpy(sr, first, AUDIT_HASH_LEN);
    for (; i < len; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            audit_node_hash(proof[i], fr, fr);
            audit_node_hash(proof[i], sr, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            audit_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(fr, root_m, AUDIT_HASH_LEN) == 0 &&
           sodium_memcmp(sr, root_n, AUDIT_HASH_LEN) == 0;
}

/* ---- a tree in memory ------------------------------------------------------------------ */

void audit_memtree_init(struct audit_memtree *t)
{
    memset(t, 0, sizeof(*t));
}

void audit_memtree_free(struct audit_memtree *t)
{
    for (int l = 0; l < 64; l++)
        free(t->levels[l]);
    memset(t, 0, sizeof(*t));
}

static void push(struct audit_memtree *t, unsigned l, const audit_hash h)
{
    if (t->count[l] == t->cap[l]) {
        t->cap[l] = t->cap[l] ? t->cap[l] * 2 : 16;
        t->levels[l] = xreallocarray(t->levels[l], t->cap[l], sizeof(audit_hash));
    }
    memcpy(t->levels[l][t->count[l]++], h, AUDIT_HASH_LEN);
}

void audit_memtree_append(struct audit_memtree *t, const audit_hash leaf)
{
    push(t, 0, leaf);
    t->size++;
    /* each level whose count became even closed a pair: its parent is complete */
    for (unsigned l = 0; l < 63 && t->count[l] % 2 == 0; l++) {
        audit_hash parent;
        audit_node_hash(t->levels[l][t->count[l] - 2], t->levels[l][t->count[l] - 1], parent);
        push(t, l + 1, parent);
    }
}

static int memtree_node(void *ctx, unsigned level, uint64_t index, audit_hash out)
{
    struct audit_memtree *t = ctx;
    if (level >= 64 || index >= t->count[level])
        return -ERANGE;
    memcpy(out, t->levels[level][index], AUDIT_HASH_LEN);
    return 0;
}

struct audit_nodes audit_memtree_nodes(struct audit_memtree *t)
{
    return (struct audit_nodes){.ctx = t, .node = memtree_node};
}
