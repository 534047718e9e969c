/*
 * test_nodecache.c: the server's node cache (src/audit/nodecache.c) gives the same roots,
 * inclusion proofs and consistency proofs as the store's node table it is filled from: for
 * every size up to 130 (every index, and every pair of sizes up to 70), filled in steps
 * (a sync only reads what it lacks), with several sizes asked in turn (each thread's memo
 * of right-edge roots follows the size), and again after the cache is made anew from a
 * different log at the same path (the memo does not carry over). Sizes it does not hold
 * are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "../support.h"

#define LEAVES 130

static void append(struct store *st, uint32_t from, uint32_t to, const char *salt)
{
    struct gh_err err = {{0}};
    uint64_t idx;
    OK(store_begin_write(st));
    for (uint32_t i = from; i < to; i++) {
        char e[64];
        gh_snprintf(e, sizeof(e), "{\"n\":%u,\"salt\":\"%s\"}", i, salt);
        OK(audit_log_append(st, e, 0, &idx, &err));
    }
    OK(store_commit(st));
}

/* Every proof of every size up to `upto` from the cache equals the store's. */
static void compare(struct store *st, struct audit_nodecache *c, uint64_t upto)
{
    struct audit_nodes src = audit_store_nodes(st);
    audit_hash a[AUDIT_PROOF_MAX], b[AUDIT_PROOF_MAX], ra, rb;
    size_t la, lb;
    for (uint64_t n = 1; n <= upto; n++) {
        OK(audit_root(&src, n, ra));
        OK(audit_nodecache_root(c, n, rb));
        assert_memory_equal(ra, rb, sizeof(ra));
        for (uint64_t i = 0; i < n; i++) {
            OK(audit_inclusion_proof(&src, i, n, a, &la));
            OK(audit_nodecache_inclusion(c, i, n, b, &lb));
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, la * sizeof(audit_hash));
        }
        for (uint64_t m = 1; m <= n && n <= 70; m++) {
            OK(audit_consistency_proof(&src, m, n, a, &la));
            OK(audit_nodecache_consistency(c, m, n, b, &lb));
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, la * sizeof(audit_hash));
        }
    }
}

static void test_same_as_the_store(void **state)
{
    struct temp_store *t = *state;
    struct audit_nodecache *c = NULL;
    struct gh_err err = {{0}};
    char path[160];
    audit_hash proof[AUDIT_PROOF_MAX], root;
    size_t len;

    gh_snprintf(path, sizeof(path), "%s/nodes.cache", t->dir);
    OK(audit_nodecache_open(path, &c, &err));
    append(t->st, 0, 37, "a");
    OK(audit_nodecache_sync(c, t->st, 37, &err));
    compare(t->st, c, 37);
    /* what it does not hold is refused */
    assert_int_equal(audit_nodecache_inclusion(c, 0, 38, proof, &len), -ENOENT);
    assert_int_equal(audit_nodecache_root(c, 38, root), -ENOENT);
    /* a sync past the log's end says so */
    assert_int_equal(audit_nodecache_sync(c, t->st, 38, &err), -ENOENT);
    append(t->st, 37, LEAVES, "a");
    OK(audit_nodecache_sync(c, t->st, LEAVES, &err));
    compare(t->st, c, LEAVES);
    audit_nodecache_close(c);

    /* made anew at the same path from another log: nothing of the old one is used */
    {
        struct temp_store other;
        assert_int_equal(temp_store_open(&other, "nodecache"), 0);
        append(other.st, 0, LEAVES, "b");
        OK(audit_nodecache_open(path, &c, &err));
        OK(audit_nodecache_sync(c, other.st, LEAVES, &err));
        compare(other.st, c, LEAVES);
        audit_nodecache_close(c);
        temp_store_close(&other);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_the_store, temp_store_setup,
                                        temp_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
