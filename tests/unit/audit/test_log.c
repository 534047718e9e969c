/*
 * test_log.c: the audit log in a real SQLite store (src/audit/log.c): entries appended with
 * their subtree heads, signed tree heads, proofs from the stored nodes verifying against a
 * signed head; and tampering done directly in the database file, the way someone with
 * the file would (the append-only triggers dropped first): an entry edited, one deleted,
 * two swapped, the tail truncated, all the recorded hashes rewritten to match an edit.
 * Each time the verification reports the index it concerns; an untouched log verifies, and
 * so does its extension of a tree head saved earlier.
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
#include <sqlite3.h>
#include <unistd.h>

#include "audit/audit.h"
#include "../support.h"

enum { N = 40 };

static char dir[64], path[128];
static uint8_t pk[32], sk[64];
static struct audit_sth head25;

static struct store *open_store(void)
{
    struct store *st = NULL;
    struct gh_err err = {{0}};
    if (store_open(path, STORE_CREATE, &st, &err) != 0)
        fail_msg("store: %s", err.msg);
    return st;
}

/* A log of N entries with signed heads at 10, 25 and N. */
static int setup(void **state)
{
    struct store *st;
    struct gh_err err = {{0}};
    (void)state;
    gh_strlcpy(dir, "/tmp/gh_audit_XXXXXX", sizeof(dir));
    if (mkdtemp(dir) == NULL)
        return -1;
    gh_snprintf(path, sizeof(path), "%s/gatehouse.db", dir);
    crypto_sign_keypair(pk, sk);
    st = open_store();
    assert_int_equal(store_begin_write(st), 0);
    for (int i = 0; i < N; i++) {
        char entry[128];
        uint64_t idx;
        struct audit_sth h;
        gh_snprintf(entry, sizeof(entry), "{\"action\":\"door.update\",\"n\":%d}", i);
        assert_int_equal(audit_log_append(st, entry, 1000 + i, &idx, &err), 0);
        assert_int_equal(idx, (uint64_t)i);
        if (i + 1 == 10 || i + 1 == 25 || i + 1 == N) {
            assert_int_equal(audit_log_sign_head(st, sk, 5000 + i, &h, &err), 0);
            assert_int_equal(h.size, (uint64_t)i + 1);
            if (i + 1 == 25)
                head25 = h;
        }
    }
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    return 0;
}

struct reports {
    uint64_t index[16];
    char what[16][300];
    int n;
};

static void on_report(void *ctx, uint64_t index, const char *what)
{
    struct reports *r = ctx;
    if (r->n < 16) {
        r->index[r->n] = index;
        gh_strlcpy(r->what[r->n], what, sizeof(r->what[0]));
    }
    r->n++;
}

static int verify(const struct audit_sth *since, struct reports *r)
{
    struct store *st = open_store();
    struct gh_err err = {{0}};
    struct audit_verify_stats stats;
    int rc;
    memset(r, 0, sizeof(*r));
    rc = audit_log_verify(st, pk, since, on_report, r, &stats, &err);
    store_close(st);
    return rc;
}

/* Runs SQL on the file as an attacker would: the triggers that refuse changes dropped. */
static void tamper(const char *sql)
{
    sqlite3 *db;
    char *msg = NULL;
    static const char drop[] = "DROP TRIGGER audit_entries_no_update;"
                               "DROP TRIGGER audit_entries_no_delete;"
                               "DROP TRIGGER audit_nodes_no_update;"
                               "DROP TRIGGER audit_nodes_no_delete;";
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, drop, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql: %s", msg);
    sqlite3_close(db);
}

static bool reported(const struct reports *r, uint64_t index, const char *words)
{
    for (int i = 0; i < r->n && i < 16; i++)
        if (r->index[i] == index && strstr(r->what[i], words) != NULL)
            return true;
    return false;
}

static void test_untouched_log_verifies_and_proves(void **state)
{
    struct reports r;
    struct store *st;
    struct store_audit_head latest;
    struct audit_sth h;
    struct audit_nodes src;
    (void)state;
    assert_int_equal(verify(NULL, &r), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(verify(&head25, &r), 0); /* the log extends the head saved at 25 */
    st = open_store();
    assert_int_equal(store_audit_head_latest(st, &latest), 0);
    h.size = (uint64_t)latest.size;
    h.time_us = latest.time_us;
    memcpy(h.root, latest.root, 32);
    memcpy(h.signature, latest.signature, 64);
    assert_true(audit_sth_verify(&h, pk));
    src = audit_store_nodes(st);
    for (uint64_t i = 0; i < N; i++) {
        audit_hash proof[AUDIT_PROOF_MAX], leaf;
        size_t len;
        assert_int_equal(store_audit_node_get(st, 0, (int64_t)i, leaf), 0);
        assert_int_equal(audit_inclusion_proof(&src, i, N, proof, &len), 0);
        assert_true(audit_verify_inclusion(i, N, leaf, (const audit_hash *)proof, len, h.root));
    }
    {
        audit_hash proof[AUDIT_PROOF_MAX];
        size_t len;
        assert_int_equal(audit_consistency_proof(&src, 25, N, proof, &len), 0);
        assert_true(
            audit_verify_consistency(25, N, head25.root, h.root, (const audit_hash *)proof, len));
    }
    /* an index is written once */
    assert_int_not_equal(store_audit_entry_put(st, 3, 1, "{}"), 0);
    store_close(st);
    h.size++;
    assert_false(audit_sth_verify(&h, pk));
}

static void test_edited_entry(void **state)
{
    struct reports r;
    (void)state;
    tamper(
        "UPDATE audit_entries SET entry = '{\"action\":\"door.update\",\"n\":99}' WHERE idx = 7");
    assert_int_equal(verify(NULL, &r), 1);
    assert_true(reported(&r, 7, "entry 7 is not the entry that was appended"));
    assert_int_equal(verify(&head25, &r), 1);
}

static void test_deleted_entry(void **state)
{
    struct reports r;
    (void)state;
    tamper("DELETE FROM audit_entries WHERE idx = 12");
    assert_int_equal(verify(NULL, &r), 1);
    assert_true(reported(&r, 12, "entries 12 to 12 are missing"));
}

static void test_swapped_entries(void **state)
{
    struct reports r;
    (void)state;
    tamper("UPDATE audit_entries SET idx = -1 WHERE idx = 3;"
           "UPDATE audit_entries SET idx = 3 WHERE idx = 4;"
           "UPDATE audit_entries SET idx = 4 WHERE idx = -1;");
    assert_int_equal(verify(NULL, &r), 1);
    assert_true(reported(&r, 3, "entry 3 is not"));
    assert_true(reported(&r, 4, "entry 4 is not"));
}

static void test_truncated_tail(void **state)
{
    struct reports r;
    (void)state;
    tamper("DELETE FROM audit_entries WHERE idx >= 30; DELETE FROM audit_nodes WHERE "
           "(idx << level) + (1 << level) > 30");
    assert_int_equal(verify(NULL, &r), 1);
    assert_true(reported(&r, 30, "entries 30 to 39 are missing (the log was truncated)"));
}

/* Someone who also rewrites the recorded hashes: the signed heads still catch it. */
static void test_hashes_rewritten_too(void **state)
{
    struct reports r;
    audit_hash h;
    char sql[512], hex[65];
    (void)state;
    audit_leaf_hash("{\"forged\":true}", 15, h);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    gh_snprintf(sql, sizeof(sql),
                "UPDATE audit_entries SET entry = '{\"forged\":true}' WHERE idx = 20;"
                "UPDATE audit_nodes SET hash = X'%s' WHERE level = 0 AND idx = 20",
                hex);
    tamper(sql);
    assert_int_equal(verify(NULL, &r), 1);
    assert_true(reported(&r, 24, "no longer give the tree head"));
    assert_int_equal(verify(&head25, &r), 1);
    assert_true(reported(&r, 24, "does not extend the saved tree head of size 25"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_untouched_log_verifies_and_proves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hashes_rewritten_too, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
