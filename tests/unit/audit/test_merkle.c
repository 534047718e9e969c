/*
 * test_merkle.c: the audit log's Merkle tree (src/audit/merkle.c) against the published
 * Certificate Transparency test vectors (RFC 6962 / RFC 9162 hashing: the tree heads of
 * the 8 reference leaves at every size, their inclusion and consistency proofs), and
 * against a straightforward reference implementation of the RFC's definitions written
 * here on arrays: every inclusion proof and every consistency proof of every tree size up
 * to 256 is generated equal to the reference's and verifies; random larger trees too; and
 * a proof with any hash changed, a wrong leaf, index or head, or a length changed, is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "audit/audit.h"

/* ---- the published vectors ------------------------------------------------------------ */

static const char *const ct_leaves[8] = {"",
                                         "00",
                                         "10",
                                         "2021",
                                         "3031",
                                         "40414243",
                                         "5051525354555657",
                                         "606162636465666768696a6b6c6d6e6f"};
static const char *const ct_roots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

struct vector {
    uint64_t a, b; /* inclusion: leaf (0-based) and size; consistency: m and n */
    int len;
    const char *proof[3];
};

static const struct vector inclusion[] = {
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const struct vector consistency[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static void unhex(const char *hex, uint8_t *out, size_t *len)
{
    size_t n = 0;
    assert_int_equal(sodium_hex2bin(out, 64, hex, strlen(hex), NULL, &n, NULL), 0);
    if (len)
        *len = n;
}

static void expect_hash(const audit_hash got, const char *hex)
{
    char have[2 * AUDIT_HASH_LEN + 1];
    sodium_bin2hex(have, sizeof(have), got, AUDIT_HASH_LEN);
    assert_string_equal(have, hex);
}

static void ct_tree(struct audit_memtree *t, int n)
{
    audit_memtree_init(t);
    for (int i = 0; i < n; i++) {
        uint8_t data[64];
        size_t len;
        audit_hash h;
        unhex(ct_leaves[i], data, &len);
        audit_leaf_hash(data, len, h);
        audit_memtree_append(t, h);
    }
}

static void test_ct_roots(void **state)
{
    (void)state;
    for (int n = 0; n <= 8; n++) {
        struct audit_memtree t;
        struct audit_nodes src;
        audit_hash root;
        ct_tree(&t, n);
        src = audit_memtree_nodes(&t);
        assert_int_equal(audit_root(&src, (uint64_t)n, root), 0);
        expect_hash(root, ct_roots[n]);
        audit_memtree_free(&t);
    }
}

static void test_ct_inclusion(void **state)
{
    struct audit_memtree t;
    struct audit_nodes src;
    (void)state;
    ct_tree(&t, 8);
    src = audit_memtree_nodes(&t);
    for (size_t v = 0; v < sizeof(inclusion) / sizeof(inclusion[0]); v++) {
        const struct vector *x = &inclusion[v];
        audit_hash proof[AUDIT_PROOF_MAX], root;
        size_t len;
        assert_int_equal(audit_inclusion_proof(&src, x->a, x->b, proof, &len), 0);
        assert_int_equal(len, x->len);
        for (int i = 0; i < x->len; i++)
            expect_hash(proof[i], x->proof[i]);
        unhex(ct_roots[x->b], root, NULL);
        assert_true(audit_verify_inclusion(x->a, x->b, t.levels[0][x->a], (const audit_hash *)proof,
                                           len, root));
    }
    audit_memtree_free(&t);
}

static void test_ct_consistency(void **state)
{
    struct audit_memtree t;
    struct audit_nodes src;
    (void)state;
    ct_tree(&t, 8);
    src = audit_memtree_nodes(&t);
    for (size_t v = 0; v < sizeof(consistency) / sizeof(consistency[0]); v++) {
        const struct vector *x = &consistency[v];
        audit_hash proof[AUDIT_PROOF_MAX], rm, rn;
        size_t len;
        assert_int_equal(audit_consistency_proof(&src, x->a, x->b, proof, &len), 0);
        assert_int_equal(len, x->len);
        for (int i = 0; i < x->len; i++)
            expect_hash(proof[i], x->proof[i]);
        unhex(ct_roots[x->a], rm, NULL);
        unhex(ct_roots[x->b], rn, NULL);
        assert_true(audit_verify_consistency(x->a, x->b, rm, rn, (const audit_hash *)proof, len));
    }
    audit_memtree_free(&t);
}

/* ---- a reference implementation, straight from the RFC's definitions ------------------- */

static uint64_t k_of(uint64_t n)
{
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static void ref_mth(audit_hash *d, uint64_t n, audit_hash out)
{
    audit_hash l, r;
    if (n == 1) {
        memcpy(out, d[0], AUDIT_HASH_LEN);
        return;
    }
    ref_mth(d, k_of(n), l);
    ref_mth(d + k_of(n), n - k_of(n), r);
    audit_node_hash(l, r, out);
}

static void ref_path(uint64_t m, audit_hash *d, uint64_t n, audit_hash *out, size_t *len)
{
    uint64_t k;
    if (n == 1)
        return;
    k = k_of(n);
    if (m < k) {
        ref_path(m, d, k, out, len);
        ref_mth(d + k, n - k, out[(*len)++]);
    } else {
        ref_path(m - k, d + k, n - k, out, len);
        ref_mth(d, k, out[(*len)++]);
    }
}

static void ref_subproof(uint64_t m, audit_hash *d, uint64_t n, bool b, audit_hash *out,
                         size_t *len)
{
    uint64_t k;
    if (m == n) {
        if (!b)
            ref_mth(d, n, out[(*len)++]);
        return;
    }
    k = k_of(n);
    if (m <= k) {
        ref_subproof(m, d, k, b, out, len);
        ref_mth(d + k, n - k, out[(*len)++]);
    } else {
        ref_subproof(m - k, d + k, n - k, false, out, len);
        ref_mth(d, k, out[(*len)++]);
    }
}

/* A tree of n random leaves, with the reference's leaf array. */
static audit_hash *random_tree(struct audit_memtree *t, uint64_t n)
{
    audit_hash *d = malloc(n * sizeof(audit_hash));
    audit_memtree_init(t);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t data[16];
        randombytes_buf(data, sizeof(data));
        audit_leaf_hash(data, (size_t)(i % 17), d[i]);
        audit_memtree_append(t, d[i]);
    }
    return d;
}

static void check_inclusion(struct audit_nodes *src, audit_hash *d, uint64_t i, uint64_t n,
                            const audit_hash root)
{
    audit_hash proof[AUDIT_PROOF_MAX], ref[AUDIT_PROOF_MAX], bad;
    size_t len, rlen = 0;
    assert_int_equal(audit_inclusion_proof(src, i, n, proof, &len), 0);
    ref_path(i, d, n, ref, &rlen);
    assert_int_equal(len, rlen);
    assert_memory_equal(proof, ref, len * AUDIT_HASH_LEN);
    assert_true(audit_verify_inclusion(i, n, d[i], (const audit_hash *)proof, len, root));
    /* wrong leaf, index, head; a proof hash changed; one hash short or long (a size comes
     * with its head in a signed tree head: the pair is what is checked) */
    memcpy(bad, d[i], AUDIT_HASH_LEN);
    bad[0] ^= 1;
    assert_false(audit_verify_inclusion(i, n, bad, (const audit_hash *)proof, len, root));
    if (n > 1)
        assert_false(audit_verify_inclusion((i ^ 1) < n ? i ^ 1 : i - 1, n, d[i],
                                            (const audit_hash *)proof, len, root));
    assert_false(audit_verify_inclusion(i, n, d[i], (const audit_hash *)proof, len, bad));
    if (len > 0) {
        proof[len / 2][3] ^= 0x40;
        assert_false(audit_verify_inclusion(i, n, d[i], (const audit_hash *)proof, len, root));
        proof[len / 2][3] ^= 0x40;
        assert_false(audit_verify_inclusion(i, n, d[i], (const audit_hash *)proof, len - 1, root));
    }
    memcpy(proof[len], root, AUDIT_HASH_LEN);
    assert_false(audit_verify_inclusion(i, n, d[i], (const audit_hash *)proof, len + 1, root));
}

static void check_consistency(struct audit_nodes *src, audit_hash *d, uint64_t m, uint64_t n,
                              const audit_hash rm, const audit_hash rn, bool with_ref)
{
    audit_hash proof[AUDIT_PROOF_MAX], ref[AUDIT_PROOF_MAX], bad;
    size_t len, rlen = 0;
    assert_int_equal(audit_consistency_proof(src, m, n, proof, &len), 0);
    if (with_ref) {
        ref_subproof(m, d, n, true, ref, &rlen);
        assert_int_equal(len, rlen);
        assert_memory_equal(proof, ref, len * AUDIT_HASH_LEN);
    }
    assert_true(audit_verify_consistency(m, n, rm, rn, (const audit_hash *)proof, len));
    memcpy(bad, rm, AUDIT_HASH_LEN);
    bad[31] ^= 1;
    assert_false(audit_verify_consistency(m, n, bad, rn, (const audit_hash *)proof, len));
    assert_false(audit_verify_consistency(m, n, rm, bad, (const audit_hash *)proof, len));
    if (len > 0) {
        proof[0][0] ^= 0x80;
        assert_false(audit_verify_consistency(m, n, rm, rn, (const audit_hash *)proof, len));
        proof[0][0] ^= 0x80;
        assert_false(audit_verify_consistency(m, n, rm, rn, (const audit_hash *)proof, len - 1));
    }
}

/* Every inclusion proof and every consistency proof of every tree up to 256 leaves. */
static void test_every_size_up_to_256(void **state)
{
    enum { N = 256 };
    struct audit_memtree t;
    audit_hash *d = random_tree(&t, N), roots[N + 1];
    struct audit_nodes src = audit_memtree_nodes(&t);
    (void)state;
    for (uint64_t n = 1; n <= N; n++) {
        audit_hash ref;
        assert_int_equal(audit_root(&src, n, roots[n]), 0);
        ref_mth(d, n, ref);
        assert_memory_equal(roots[n], ref, AUDIT_HASH_LEN);
    }
    for (uint64_t n = 1; n <= N; n++) {
        for (uint64_t i = 0; i < n; i++)
            check_inclusion(&src, d, i, n, roots[n]);
        for (uint64_t m = 1; m <= n; m++)
            /* every pair verifies and every tamper is refused; the reference (slow: it
             * recomputes every subtree) checks the proofs of every pair up to 128 and a
             * seventh of the rest */
            check_consistency(&src, d, m, n, roots[m], roots[n], n <= 128 || m % 7 == 0);
    }
    free(d);
    audit_memtree_free(&t);
}

/* Random larger trees, random leaves and sizes. */
static void test_random_large_trees(void **state)
{
    enum { N = 70000 };
    struct audit_memtree t;
    audit_hash *d = random_tree(&t, N);
    struct audit_nodes src = audit_memtree_nodes(&t);
    (void)state;
    for (int round = 0; round < 200; round++) {
        uint64_t n = 1 + randombytes_uniform(N), m = 1 + randombytes_uniform((uint32_t)n);
        uint64_t i = randombytes_uniform((uint32_t)n);
        audit_hash rn, rm;
        assert_int_equal(audit_root(&src, n, rn), 0);
        assert_int_equal(audit_root(&src, m, rm), 0);
        if (round < 20) { /* the reference recursion is slow on big trees */
            audit_hash ref;
            ref_mth(d, n, ref);
            assert_memory_equal(rn, ref, AUDIT_HASH_LEN);
            check_inclusion(&src, d, i, n, rn);
            check_consistency(&src, d, m, n, rm, rn, true);
        } else {
            audit_hash proof[AUDIT_PROOF_MAX];
            size_t len;
            assert_int_equal(audit_inclusion_proof(&src, i, n, proof, &len), 0);
            assert_true(audit_verify_inclusion(i, n, d[i], (const audit_hash *)proof, len, rn));
            assert_int_equal(audit_consistency_proof(&src, m, n, proof, &len), 0);
            assert_true(audit_verify_consistency(m, n, rm, rn, (const audit_hash *)proof, len));
        }
    }
    free(d);
    audit_memtree_free(&t);
}

static void test_refusals(void **state)
{
    struct audit_memtree t;
    audit_hash *d = random_tree(&t, 5), proof[AUDIT_PROOF_MAX], root;
    struct audit_nodes src = audit_memtree_nodes(&t);
    size_t len = 99;
    (void)state;
    assert_int_equal(audit_root(&src, 5, root), 0);
    assert_int_equal(audit_inclusion_proof(&src, 5, 5, proof, &len), -EINVAL);
    assert_int_equal(len, 0);
    assert_int_equal(audit_consistency_proof(&src, 0, 5, proof, &len), -EINVAL);
    assert_int_equal(audit_consistency_proof(&src, 6, 5, proof, &len), -EINVAL);
    assert_false(audit_verify_inclusion(5, 5, d[0], (const audit_hash *)proof, 0, root));
    assert_false(audit_verify_consistency(0, 5, root, root, (const audit_hash *)proof, 0));
    assert_false(audit_verify_consistency(3, 5, root, root, (const audit_hash *)proof, 0));
    assert_false(audit_verify_consistency(5, 5, root, root, (const audit_hash *)proof, 1));
    assert_true(audit_verify_consistency(5, 5, root, root, (const audit_hash *)proof, 0));
    /* a node the store does not have is an error, passed on */
    assert_int_equal(audit_root(&src, 9, root), -ERANGE);
    free(d);
    audit_memtree_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ct_roots),           cmocka_unit_test(test_ct_inclusion),
        cmocka_unit_test(test_ct_consistency),     cmocka_unit_test(test_every_size_up_to_256),
        cmocka_unit_test(test_random_large_trees), cmocka_unit_test(test_refusals),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
