/*
 * test_journal.c: the controller's journal: a committed turn survives a reopen with its
 * sequence numbers; an uncommitted one leaves nothing; pending events come in order and in
 * pages; an acknowledgement prunes (and sequence numbers are never reused); a full journal
 * counts what it drops in one journal_overflow event; a damaged file is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge/edge.h"

static char path[256];

static int setup(void **state)
{
    char dir[] = "/tmp/gh-journal-XXXXXX";
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/journal.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char p[300];
    (void)state;
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    return 0;
}

static struct edge_journal *open_j(int64_t capacity)
{
    struct edge_journal *j = NULL;
    struct gh_err err = {{0}};
    int rc = edge_journal_open(path, capacity, &j, &err);
    if (rc != 0)
        fail_msg("open: %s", err.msg);
    return j;
}

static struct edge_event decision(int64_t t, int64_t door, bool granted)
{
    struct edge_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.time_us = t;
    snprintf(ev.type, sizeof(ev.type), "access.decision");
    ev.door_id = door;
    snprintf(ev.credential, sizeof(ev.credential), "%064x", (unsigned)t);
    ev.decision = granted;
    ev.reason = granted ? 0 : 7;
    snprintf(ev.payload, sizeof(ev.payload), "{\"direction\":\"entry\"}");
    return ev;
}

static void append_turn(struct edge_journal *j, int64_t from, int n)
{
    struct gh_err err = {{0}};
    assert_int_equal(edge_journal_begin(j, &err), 0);
    for (int i = 0; i < n; i++) {
        struct edge_event ev = decision(from + i, 3, i % 2 == 0);
        assert_int_equal(edge_journal_append(j, &ev, &err), 0);
        assert_int_equal(ev.seq, edge_journal_last_seq(j));
    }
    assert_int_equal(edge_journal_commit(j, &err), 0);
}

struct collected {
    struct edge_event v[16];
    int n;
};

static int collect(void *ctx, const struct edge_event *ev)
{
    struct collected *c = ctx;
    c->v[c->n++] = *ev;
    return c->n == 16;
}

static struct collected pending(struct edge_journal *j, int64_t after, size_t max)
{
    struct collected c;
    struct gh_err err = {{0}};
    memset(&c, 0, sizeof(c));
    assert_true(edge_journal_pending(j, after, max, collect, &c, &err) >= 0);
    return c;
}

static void test_committed_turn_survives_reopen(void **state)
{
    struct edge_journal *j = open_j(100);
    struct collected c;
    (void)state;
    append_turn(j, 1000, 3);
    edge_journal_close(j);
    j = open_j(100);
    assert_int_equal(edge_journal_depth(j), 3);
    assert_int_equal(edge_journal_last_seq(j), 3);
    c = pending(j, 0, 10);
    assert_int_equal(c.n, 3);
    for (int i = 0; i < 3; i++) {
        struct edge_event want = decision(1000 + i, 3, i % 2 == 0);
        assert_int_equal(c.v[i].seq, i + 1);
        assert_int_equal(c.v[i].time_us, want.time_us);
        assert_string_equal(c.v[i].type, "access.decision");
        assert_string_equal(c.v[i].credential, want.credential);
        assert_int_equal(c.v[i].decision, want.decision);
        assert_int_equal(c.v[i].reason, want.reason);
        assert_string_equal(c.v[i].payload, want.payload);
    }
    edge_journal_close(j);
}

static void test_uncommitted_turn_leaves_nothing(void **state)
{
    struct edge_journal *j = open_j(100);
    struct gh_err err = {{0}};
    struct edge_event ev = decision(5, 1, true);
    (void)state;
    append_turn(j, 1, 2);
    assert_int_equal(edge_journal_begin(j, &err), 0);
    assert_int_equal(edge_journal_begin(j, &err), -EINVAL); /* one turn at a time */
    assert_int_equal(edge_journal_append(j, &ev, &err), 0);
    edge_journal_close(j); /* as if the process died before the commit */
    j = open_j(100);
    assert_int_equal(edge_journal_depth(j), 2);
    assert_int_equal(edge_journal_last_seq(j), 2);
    assert_int_equal(edge_journal_append(j, &ev, &err), -EINVAL); /* outside a turn */
    assert_int_equal(edge_journal_commit(j, &err), -EINVAL);
    edge_journal_close(j);
}

static void test_pages_ack_and_no_reuse(void **state)
{
    struct edge_journal *j = open_j(100);
    struct gh_err err = {{0}};
    struct collected c;
    (void)state;
    append_turn(j, 1, 5);
    c = pending(j, 0, 2);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[1].seq, 2);
    c = pending(j, 2, 2);
    assert_int_equal(c.v[0].seq, 3);
    assert_int_equal(edge_journal_ack(j, 3, &err), 0);
    assert_int_equal(edge_journal_depth(j), 2);
    assert_int_equal(edge_journal_acked(j), 3);
    assert_int_equal(edge_journal_ack(j, 2, &err), 0); /* an older ack: nothing */
    assert_int_equal(edge_journal_depth(j), 2);
    assert_int_equal(edge_journal_ack(j, 6, &err), -EINVAL); /* past the last event */
    assert_non_null(strstr(err.msg, "past the last event 5"));
    assert_int_equal(edge_journal_ack(j, 5, &err), 0);
    assert_int_equal(edge_journal_depth(j), 0);
    edge_journal_close(j);
    j = open_j(100);
    assert_int_equal(edge_journal_acked(j), 5);
    append_turn(j, 10, 1); /* the sequence goes on: 6, never 1 again */
    assert_int_equal(edge_journal_last_seq(j), 6);
    c = pending(j, edge_journal_acked(j), 10);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].seq, 6);
    edge_journal_close(j);
}

/* The capacity the issue asks for: a million events waiting (a long outage at a busy door)
 * are kept, read back in order from any point, and pruned on acknowledgement; the
 * million-and-first is counted, not kept. Turns of 10,000, as a busy controller commits. */
static void test_a_million_events(void **state)
{
    enum { N = 1000000, TURN = 10000 };
    struct edge_journal *j = open_j(N);
    struct gh_err err = {{0}};
    struct collected c;
    struct edge_event extra = decision(N + 1, 3, true);
    (void)state;
    for (int64_t from = 1; from <= N; from += TURN)
        append_turn(j, from, TURN);
    assert_int_equal(edge_journal_depth(j), N);
    c = pending(j, 777776, 3);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.v[0].seq, 777777);
    assert_int_equal(c.v[2].time_us, 777779);
    assert_int_equal(edge_journal_begin(j, &err), 0);
    assert_int_equal(edge_journal_append(j, &extra, &err), 1); /* full: counted */
    assert_int_equal(edge_journal_commit(j, &err), 0);
    assert_int_equal(edge_journal_ack(j, N / 2, &err), 0);
    assert_int_equal(edge_journal_depth(j), N / 2 + 1); /* the rest and the overflow marker */
    edge_journal_close(j);
}

static void test_full_journal_counts_what_it_drops(void **state)
{
    struct edge_journal *j = open_j(3);
    struct gh_err err = {{0}};
    struct collected c;
    (void)state;
    append_turn(j, 100, 3);
    assert_int_equal(edge_journal_begin(j, &err), 0);
    for (int i = 0; i < 4; i++) {
        struct edge_event ev = decision(200 + i, 3, true);
        assert_int_equal(edge_journal_append(j, &ev, &err), 1); /* counted, not kept */
        assert_int_equal(ev.seq, 4);
    }
    assert_int_equal(edge_journal_commit(j, &err), 0);
    edge_journal_close(j);
    j = open_j(3); /* the count survives a restart */
    c = pending(j, 0, 10);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.v[3].type, EDGE_OVERFLOW_TYPE);
    assert_string_equal(c.v[3].payload, "{\"dropped\":4,\"first_us\":200,\"last_us\":203}");
    append_turn(j, 300, 0);
    assert_int_equal(edge_journal_begin(j, &err), 0);
    {
        struct edge_event ev = decision(400, 3, true);
        assert_int_equal(edge_journal_append(j, &ev, &err), 1);
    }
    assert_int_equal(edge_journal_commit(j, &err), 0);
    c = pending(j, 3, 10);
    assert_string_equal(c.v[0].payload, "{\"dropped\":5,\"first_us\":200,\"last_us\":400}");
    /* the server takes all: room again, normal events; a later overflow is a new event */
    assert_int_equal(edge_journal_ack(j, 4, &err), 0);
    append_turn(j, 500, 3);
    assert_int_equal(edge_journal_begin(j, &err), 0);
    {
        struct edge_event ev = decision(600, 3, true);
        assert_int_equal(edge_journal_append(j, &ev, &err), 1);
        assert_int_equal(ev.seq, 8);
    }
    assert_int_equal(edge_journal_commit(j, &err), 0);
    c = pending(j, 4, 10);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.v[3].payload, "{\"dropped\":1,\"first_us\":600,\"last_us\":600}");
    edge_journal_close(j);
}

static void test_damaged_or_bad_open(void **state)
{
    struct edge_journal *j = NULL;
    struct gh_err err = {{0}};
    FILE *f;
    (void)state;
    assert_int_equal(edge_journal_open(path, 0, &j, &err), -EINVAL);
    assert_null(j);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a database, just some text that is long enough to be a header....", f);
    fclose(f);
    assert_int_equal(edge_journal_open(path, 10, &j, &err), -EIO);
    assert_null(j);
    assert_non_null(strstr(err.msg, "journal"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_committed_turn_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_turn_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_ack_and_no_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_journal_counts_what_it_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_million_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_or_bad_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
