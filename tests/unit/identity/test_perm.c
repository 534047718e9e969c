/*
 * test_perm.c: the permission table and scope lists (src/identity/perm.c) against
 * identity.h. The enum numbering and every external spelling pinned; perm_name/perm_summary
 * (and "?" out of range); perm_parse round trips and refusals (PERM_NONE,
 * PERM_AUTHENTICATED and PERM_CONTROLLER are not grantable); perm_scope_parse with commas, spaces, duplicates,
 * "*", "read" and "GROUP.*"; unknown words refused with -EINVAL naming the word and the
 * accepted names, and the output untouched; empty lists refused; perm_scope_format in
 * canonical order, round trips through perm_scope_parse, and -ENOSPC; the bit set helpers
 * PERM_BIT, PERM_ALL and perm_has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "identity/identity.h"

#define SENTINEL ((perm_set)0xdeadbeefcafef00dULL)

/* Every permission's spelling, in enum order: the external API (scopes stored in the
 * database, --scope on the command line) depends on these never changing. */
static const struct {
    enum perm p;
    int value;
    const char *name;
} expected[] = {
    {PERM_NONE, 0, "none"},
    {PERM_AUTHENTICATED, 1, "authenticated"},
    {PERM_CONTROLLER, 2, "controller"},
    {PERM_SITES_READ, 3, "sites.read"},
    {PERM_SITES_WRITE, 4, "sites.write"},
    {PERM_DOORS_READ, 5, "doors.read"},
    {PERM_DOORS_WRITE, 6, "doors.write"},
    {PERM_DOORS_CONTROL, 7, "doors.control"},
    {PERM_SCHEDULES_READ, 8, "schedules.read"},
    {PERM_SCHEDULES_WRITE, 9, "schedules.write"},
    {PERM_LEVELS_READ, 10, "levels.read"},
    {PERM_LEVELS_WRITE, 11, "levels.write"},
    {PERM_PEOPLE_READ, 12, "people.read"},
    {PERM_PEOPLE_WRITE, 13, "people.write"},
    {PERM_CREDENTIALS_READ, 14, "credentials.read"},
    {PERM_CREDENTIALS_WRITE, 15, "credentials.write"},
    {PERM_CREDENTIALS_REVOKE, 16, "credentials.revoke"},
    {PERM_ASSIGNMENTS_WRITE, 17, "assignments.write"},
    {PERM_EVENTS_READ, 18, "events.read"},
    {PERM_EVENTS_EXPORT, 19, "events.export"},
    {PERM_DECISIONS_RUN, 20, "decisions.run"},
    {PERM_IMPORTS_RUN, 21, "imports.run"},
    {PERM_METRICS_READ, 22, "metrics.read"},
    {PERM_USERS_READ, 23, "users.read"},
    {PERM_USERS_ADMIN, 24, "users.admin"},
    {PERM_TOKENS_ADMIN, 25, "tokens.admin"},
    {PERM_AUDIT_READ, 26, "audit.read"},
    {PERM_ALARMS_READ, 27, "alarms.read"},
    {PERM_ALARMS_HANDLE, 28, "alarms.handle"},
    {PERM_INCIDENTS_READ, 29, "incidents.read"},
    {PERM_INCIDENTS_WRITE, 30, "incidents.write"},
    {PERM_INCIDENTS_ADMIN, 31, "incidents.admin"},
    {PERM_DIRECTORY_READ, 32, "directory.read"},
    {PERM_DIRECTORY_WRITE, 33, "directory.write"},
    {PERM_NOTIFY_SEND, 34, "notify.send"},
    {PERM_DRILLS_RUN, 35, "drills.run"},
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

/* Checks a perm_scope_parse that must fail with -EINVAL, a message containing `needle`
 * (if not NULL), and *out left alone. */
static void scope_refused(const char *scope, const char *needle, int line)
{
    struct gh_err err = {{0}};
    perm_set out = SENTINEL;
    int r = perm_scope_parse(scope, &out, &err);
    if (r != -EINVAL)
        fail_msg("line %d: scope '%s': got %d, want -EINVAL; message '%s'", line, scope, r,
                 err.msg);
    if (out != SENTINEL)
        fail_msg("line %d: scope '%s': output changed on failure", line, scope);
    if (err.msg[0] == '\0')
        fail_msg("line %d: scope '%s': no message", line, scope);
    if (needle != NULL && strstr(err.msg, needle) == NULL)
        fail_msg("line %d: scope '%s': message '%s' does not mention '%s'", line, scope, err.msg,
                 needle);
}
#define SCOPE_REFUSED(scope, needle) scope_refused((scope), (needle), __LINE__)

static perm_set scope_ok(const char *scope, int line)
{
    struct gh_err err = {{0}};
    perm_set out = SENTINEL;
    int r = perm_scope_parse(scope, &out, &err);
    if (r != 0)
        fail_msg("line %d: scope '%s': got %d; message '%s'", line, scope, r, err.msg);
    return out;
}
#define SCOPE(scope) scope_ok((scope), __LINE__)

static int popcount64(perm_set s)
{
    int n = 0;
    for (; s != 0; s &= s - 1)
        n++;
    return n;
}

/* Every grantable permission whose name ends with `suffix` or starts with `prefix`. */
static perm_set perms_matching(const char *prefix, const char *suffix)
{
    perm_set set = 0;
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        const char *name = perm_name((enum perm)p);
        size_t n = strlen(name);
        if (prefix != NULL && strncmp(name, prefix, strlen(prefix)) == 0)
            set |= PERM_BIT(p);
        if (suffix != NULL && n >= strlen(suffix) && strcmp(name + n - strlen(suffix), suffix) == 0)
            set |= PERM_BIT(p);
    }
    return set;
}

/* ---- the table ---------------------------------------------------------------------------- */

static void test_enum_and_names_pinned(void **state)
{
    (void)state;
    assert_int_equal(N_EXPECTED, PERM_COUNT);
    assert_int_equal(PERM_FIRST, PERM_SITES_READ);
    assert_true(PERM_COUNT <= 64); /* the set is a uint64_t */
    for (size_t i = 0; i < N_EXPECTED; i++) {
        assert_int_equal((int)expected[i].p, expected[i].value);
        assert_string_equal(perm_name(expected[i].p), expected[i].name);
    }
}

static void test_names_and_summaries(void **state)
{
    (void)state;
    for (int p = 0; p < PERM_COUNT; p++) {
        const char *name = perm_name((enum perm)p);
        const char *summary = perm_summary((enum perm)p);
        assert_non_null(name);
        assert_non_null(summary);
        assert_true(strlen(name) > 0);
        assert_true(strlen(summary) > 0);
        assert_string_not_equal(summary, "?");
        /* names are distinct, lower case, and (when grantable) "group.action" */
        for (int q = 0; q < p; q++)
            assert_string_not_equal(name, perm_name((enum perm)q));
        for (const char *c = name; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || *c == '.');
        if (p >= PERM_FIRST) {
            const char *dot = strchr(name, '.');
            assert_non_null(dot);
            assert_true(dot > name);
            assert_true(dot[1] != '\0');
            assert_null(strchr(dot + 1, '.'));
        }
    }
    /* out of range: "?", never NULL and never past the table */
    assert_string_equal(perm_name(PERM_COUNT), "?");
    assert_string_equal(perm_summary(PERM_COUNT), "?");
    assert_string_equal(perm_name((enum perm)63), "?");
    assert_string_equal(perm_summary((enum perm)1000), "?");
    assert_string_equal(perm_name((enum perm) - 1), "?");
    assert_string_equal(perm_summary((enum perm) - 1), "?");
}

static void test_perm_parse(void **state)
{
    enum perm out;
    (void)state;
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        out = PERM_NONE;
        assert_int_equal(perm_parse(perm_name((enum perm)p), &out), 0);
        assert_int_equal(out, p);
    }
    /* not grantable, wrong case, padded, partial, empty, wildcards: refused, out untouched */
    {
        static const char *const bad[] = {
            "none",
            "authenticated",
            "Doors.Read",
            "DOORS.READ",
            " doors.read",
            "doors.read ",
            "doors",
            "doors.",
            ".read",
            "doors.read,",
            "",
            "*",
            "read",
            "doors.*",
            "doors.readx",
            "?",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            out = PERM_METRICS_READ;
            if (perm_parse(bad[i], &out) != -EINVAL)
                fail_msg("perm_parse('%s') accepted", bad[i]);
            assert_int_equal(out, PERM_METRICS_READ);
        }
    }
}

/* ---- the bit set ------------------------------------------------------------------------- */

static void test_bits_and_all(void **state)
{
    (void)state;
    assert_int_equal(PERM_BIT(PERM_NONE), 1);
    assert_int_equal(PERM_BIT(PERM_DOORS_READ), (perm_set)1 << 5);
    /* PERM_ALL: exactly the grantable permissions */
    assert_int_equal(popcount64(PERM_ALL), PERM_COUNT - PERM_FIRST);
    for (int p = 0; p < 64; p++) {
        bool in = (PERM_ALL & PERM_BIT(p)) != 0;
        assert_int_equal(in, p >= PERM_FIRST && p < PERM_COUNT);
    }
}

static void test_perm_has(void **state)
{
    (void)state;
    /* PERM_NONE and PERM_AUTHENTICATED pass with any set, even the empty one */
    assert_true(perm_has(0, PERM_NONE));
    assert_true(perm_has(0, PERM_AUTHENTICATED));
    assert_true(perm_has(PERM_ALL, PERM_NONE));
    assert_true(perm_has(PERM_BIT(PERM_EVENTS_READ), PERM_AUTHENTICATED));
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        assert_false(perm_has(0, (enum perm)p));
        assert_true(perm_has(PERM_ALL, (enum perm)p));
        assert_true(perm_has(PERM_BIT(p), (enum perm)p));
        /* every other grantable permission is refused with only p */
        for (int q = PERM_FIRST; q < PERM_COUNT; q++)
            if (q != p)
                assert_false(perm_has(PERM_BIT(p), (enum perm)q));
        /* and with everything but p, p is refused */
        assert_false(perm_has(PERM_ALL & ~PERM_BIT(p), (enum perm)p));
    }
    /* holding the bits of NONE/AUTHENTICATED grants nothing else */
    assert_false(perm_has(PERM_BIT(PERM_NONE) | PERM_BIT(PERM_AUTHENTICATED), PERM_SITES_READ));
}

/* ---- parsing scope lists ------------------------------------------------------------------ */

static void test_scope_every_name_round_trips(void **state)
{
    char buf[64];
    (void)state;
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        const char *name = perm_name((enum perm)p);
        perm_set s = SCOPE(name);
        assert_int_equal(s, PERM_BIT(p));
        assert_int_equal(perm_scope_format(s, buf, sizeof(buf)), 0);
        assert_string_equal(buf, name);
    }
}

static void test_scope_separators(void **state)
{
    const perm_set want = PERM_BIT(PERM_DOORS_READ) | PERM_BIT(PERM_EVENTS_READ);
    static const char *const forms[] = {
        "doors.read,events.read",           "doors.read events.read",
        "doors.read, events.read",          "doors.read ,events.read",
        "  doors.read   events.read  ",     ",doors.read,,events.read,",
        " , doors.read , , events.read , ", "events.read doors.read", /* order does not matter */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (SCOPE(forms[i]) != want)
            fail_msg("scope '%s' parsed to another set", forms[i]);
    }
    /* only commas and spaces separate: anything else is part of a word */
    SCOPE_REFUSED("doors.read\tevents.read", "unknown permission");
    SCOPE_REFUSED("doors.read;events.read", "'doors.read;events.read'");
    SCOPE_REFUSED("doors.read\nevents.read", "unknown permission");
}

static void test_scope_duplicates(void **state)
{
    (void)state;
    assert_int_equal(SCOPE("doors.read doors.read"), PERM_BIT(PERM_DOORS_READ));
    assert_int_equal(SCOPE("doors.read,doors.read, doors.read"), PERM_BIT(PERM_DOORS_READ));
    assert_int_equal(SCOPE("doors.* doors.read doors.write"), perms_matching("doors.", NULL));
    assert_int_equal(SCOPE("* *"), PERM_ALL);
    assert_int_equal(SCOPE("read doors.read read"), perms_matching(NULL, ".read"));
}

static void test_scope_wildcards(void **state)
{
    perm_set reads;
    (void)state;
    /* "*": every grantable permission, never NONE or AUTHENTICATED */
    assert_int_equal(SCOPE("*"), PERM_ALL);
    assert_int_equal(SCOPE("*") & (PERM_BIT(PERM_NONE) | PERM_BIT(PERM_AUTHENTICATED)), 0);
    assert_int_equal(SCOPE("* doors.read"), PERM_ALL);

    /* "read": every *.read permission and nothing else */
    reads = SCOPE("read");
    assert_int_equal(reads, PERM_BIT(PERM_SITES_READ) | PERM_BIT(PERM_DOORS_READ) |
                                PERM_BIT(PERM_SCHEDULES_READ) | PERM_BIT(PERM_LEVELS_READ) |
                                PERM_BIT(PERM_PEOPLE_READ) | PERM_BIT(PERM_CREDENTIALS_READ) |
                                PERM_BIT(PERM_EVENTS_READ) | PERM_BIT(PERM_METRICS_READ) |
                                PERM_BIT(PERM_USERS_READ) | PERM_BIT(PERM_AUDIT_READ) |
                                PERM_BIT(PERM_ALARMS_READ) | PERM_BIT(PERM_INCIDENTS_READ) |
                                PERM_BIT(PERM_DIRECTORY_READ));
    assert_int_equal(reads, perms_matching(NULL, ".read"));
    assert_false(perm_has(reads, PERM_DOORS_WRITE));
    assert_false(perm_has(reads, PERM_EVENTS_EXPORT));
    assert_int_equal(SCOPE("read, events.export"), reads | PERM_BIT(PERM_EVENTS_EXPORT));

    /* "GROUP.*": every permission of a group, and only whole group names */
    assert_int_equal(SCOPE("events.*"), PERM_BIT(PERM_EVENTS_READ) | PERM_BIT(PERM_EVENTS_EXPORT));
    assert_int_equal(SCOPE("credentials.*"), PERM_BIT(PERM_CREDENTIALS_READ) |
                                                 PERM_BIT(PERM_CREDENTIALS_WRITE) |
                                                 PERM_BIT(PERM_CREDENTIALS_REVOKE));
    assert_int_equal(SCOPE("doors.*"), PERM_BIT(PERM_DOORS_READ) | PERM_BIT(PERM_DOORS_WRITE) |
                                           PERM_BIT(PERM_DOORS_CONTROL));
    assert_int_equal(SCOPE("metrics.*"), PERM_BIT(PERM_METRICS_READ));
    assert_int_equal(SCOPE("sites.*, people.*"),
                     PERM_BIT(PERM_SITES_READ) | PERM_BIT(PERM_SITES_WRITE) |
                         PERM_BIT(PERM_PEOPLE_READ) | PERM_BIT(PERM_PEOPLE_WRITE));
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        /* each group's wildcard is exactly the permissions named "group." something */
        char group[64], prefix[64];
        const char *name = perm_name((enum perm)p);
        int n = (int)(strchr(name, '.') - name);
        assert_int_equal(gh_snprintf(group, sizeof(group), "%.*s.*", n, name), 0);
        assert_int_equal(gh_snprintf(prefix, sizeof(prefix), "%.*s.", n, name), 0);
        assert_true(perm_has(SCOPE(group), (enum perm)p));
        assert_int_equal(SCOPE(group), perms_matching(prefix, NULL));
    }
    /* a group prefix is not a group: "event.*" is not "events.*" */
    SCOPE_REFUSED("event.*", "'event.*'");
    SCOPE_REFUSED("s.*", "'s.*'");
    SCOPE_REFUSED("nosuch.*", "'nosuch.*'");
    SCOPE_REFUSED("none.*", "'none.*'");
    SCOPE_REFUSED("authenticated.*", "'authenticated.*'");
    SCOPE_REFUSED(".*", "'.*'");
    SCOPE_REFUSED("*.*", "'*.*'");
    SCOPE_REFUSED("*.read", "'*.read'");
    SCOPE_REFUSED("doors*", "'doors*'");
    SCOPE_REFUSED("doors.", "'doors.'");
    SCOPE_REFUSED("**", "'**'");
    SCOPE_REFUSED("all", "'all'");
    SCOPE_REFUSED("write", "'write'");
    SCOPE_REFUSED("Read", "'Read'");
}

static void test_scope_unknown_refused(void **state)
{
    struct gh_err err = {{0}};
    perm_set out = SENTINEL;
    char long_word[201];
    (void)state;

    /* the bad word is named, with the accepted forms */
    assert_int_equal(perm_scope_parse("doors.read bogus.perm events.read", &out, &err), -EINVAL);
    assert_int_equal(out, SENTINEL);
    assert_non_null(strstr(err.msg, "unknown permission 'bogus.perm'"));
    assert_non_null(strstr(err.msg, "*"));
    assert_non_null(strstr(err.msg, "GROUP.*"));
    assert_non_null(strstr(err.msg, "sites.read"));
    assert_non_null(strstr(err.msg, "doors.control"));
    assert_null(strstr(err.msg, "doors.read bogus")); /* only the word, not the whole list */

    /* the first bad word is the one named; good words around it do not help */
    SCOPE_REFUSED("bogus", "'bogus'");
    SCOPE_REFUSED("doors.read, first.bad, second.bad", "'first.bad'");
    SCOPE_REFUSED("* nope", "'nope'");
    /* not grantable */
    SCOPE_REFUSED("none", "'none'");
    SCOPE_REFUSED("authenticated", "'authenticated'");
    SCOPE_REFUSED("doors.read authenticated", "'authenticated'");
    /* case matters */
    SCOPE_REFUSED("Doors.Read", "'Doors.Read'");
    SCOPE_REFUSED("EVENTS.*", "'EVENTS.*'");
    /* a prefix or an extension of a name is not the name */
    SCOPE_REFUSED("doors.rea", "'doors.rea'");
    SCOPE_REFUSED("doors.reads", "'doors.reads'");
    SCOPE_REFUSED("doors", "'doors'");

    /* a long word: refused, and the message names only its start */
    memset(long_word, 'x', sizeof(long_word) - 1);
    long_word[sizeof(long_word) - 1] = '\0';
    memcpy(long_word, "doors.read", strlen("doors.read"));
    memset(&err, 0, sizeof(err));
    out = SENTINEL;
    assert_int_equal(perm_scope_parse(long_word, &out, &err), -EINVAL);
    assert_int_equal(out, SENTINEL);
    assert_non_null(strstr(err.msg, "unknown permission 'doors.readxxx"));
    assert_null(strstr(err.msg, long_word));
    /* a 63-byte word (the longest the parser copies) and a 64-byte one are refused alike */
    long_word[63] = '\0';
    SCOPE_REFUSED(long_word, "unknown permission");
    long_word[63] = 'x';
    long_word[64] = '\0';
    SCOPE_REFUSED(long_word, "unknown permission");

    /* UTF-8 and control characters are words like any other */
    SCOPE_REFUSED("d\xc3\xb6ors.read", "unknown permission");

    /* err may be NULL */
    out = SENTINEL;
    assert_int_equal(perm_scope_parse("bogus", &out, NULL), -EINVAL);
    assert_int_equal(perm_scope_parse("", &out, NULL), -EINVAL);
    assert_int_equal(out, SENTINEL);
}

static void test_scope_empty_refused(void **state)
{
    (void)state;
    SCOPE_REFUSED("", "names no permission");
    SCOPE_REFUSED(" ", "names no permission");
    SCOPE_REFUSED(",", "names no permission");
    SCOPE_REFUSED(" , ,,  ,", "names no permission");
}

/* ---- formatting --------------------------------------------------------------------------- */

static void test_scope_format_canonical(void **state)
{
    char buf[STORE_TOKEN_SCOPES_MAX];
    char want[STORE_TOKEN_SCOPES_MAX];
    size_t used = 0;
    (void)state;

    /* every permission, in enum order, single spaces, no trailing space; fits a token row */
    want[0] = '\0';
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        assert_int_equal(gh_snprintf(want + used, sizeof(want) - used, "%s%s", used ? " " : "",
                                     perm_name((enum perm)p)),
                         0);
        used += strlen(want + used);
    }
    assert_int_equal(perm_scope_format(PERM_ALL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
    assert_int_equal(strncmp(buf, "sites.read sites.write doors.read", 33), 0);
    assert_int_equal(SCOPE(buf), PERM_ALL);

    /* canonical: the same set, however it was written, formats the same */
    assert_int_equal(
        perm_scope_format(SCOPE(", events.read,doors.read  doors.read"), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "doors.read events.read");
    assert_int_equal(perm_scope_format(SCOPE("events.*"), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "events.read events.export");

    /* the empty set is the empty string */
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(perm_scope_format(0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");

    /* bits that are not grantable permissions have no spelling and are left out */
    assert_int_equal(perm_scope_format(PERM_BIT(PERM_NONE) | PERM_BIT(PERM_AUTHENTICATED) |
                                           PERM_BIT(PERM_DOORS_READ) | PERM_BIT(PERM_COUNT) |
                                           PERM_BIT(63),
                                       buf, sizeof(buf)),
                     0);
    assert_string_equal(buf, "doors.read");
}

static void test_scope_format_round_trips(void **state)
{
    char buf[STORE_TOKEN_SCOPES_MAX];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    (void)state;
    /* pairs of permissions */
    for (int p = PERM_FIRST; p < PERM_COUNT; p++) {
        for (int q = PERM_FIRST; q < PERM_COUNT; q++) {
            perm_set s = PERM_BIT(p) | PERM_BIT(q);
            assert_int_equal(perm_scope_format(s, buf, sizeof(buf)), 0);
            assert_int_equal(SCOPE(buf), s);
        }
    }
    /* pseudo-random subsets (xorshift, fixed seed) */
    for (int i = 0; i < 500; i++) {
        perm_set s;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s = x & PERM_ALL;
        if (s == 0)
            continue;
        assert_int_equal(perm_scope_format(s, buf, sizeof(buf)), 0);
        assert_int_equal(SCOPE(buf), s);
        /* and formatting the parsed set again gives the same text */
        {
            char again[STORE_TOKEN_SCOPES_MAX];
            assert_int_equal(perm_scope_format(SCOPE(buf), again, sizeof(again)), 0);
            assert_string_equal(again, buf);
        }
    }
}

static void test_scope_format_no_space(void **state)
{
    char buf[STORE_TOKEN_SCOPES_MAX];
    char small[STORE_TOKEN_SCOPES_MAX];
    size_t need;
    const perm_set s = PERM_BIT(PERM_DOORS_READ) | PERM_BIT(PERM_EVENTS_READ);
    (void)state;

    assert_int_equal(perm_scope_format(s, buf, sizeof(buf)), 0);
    need = strlen(buf) + 1; /* "doors.read events.read" and its NUL */
    assert_int_equal(need, sizeof("doors.read events.read"));

    /* exactly enough */
    assert_int_equal(perm_scope_format(s, small, need), 0);
    assert_string_equal(small, "doors.read events.read");
    /* one byte short, short of the second name, short of the first, nothing */
    for (size_t len = need - 1; len > 0; len--) {
        memset(small, 'x', sizeof(small));
        assert_int_equal(perm_scope_format(s, small, len), -ENOSPC);
        assert_non_null(memchr(small, '\0', len)); /* still a string within len */
        assert_int_equal(small[len], 'x');         /* nothing written past len */
    }
    small[0] = 'x';
    assert_int_equal(perm_scope_format(s, small, 0), -ENOSPC);
    assert_int_equal(small[0], 'x');
    /* the empty set needs only the NUL */
    assert_int_equal(perm_scope_format(0, small, 1), 0);
    assert_string_equal(small, "");
    /* PERM_ALL in a small buffer */
    assert_int_equal(perm_scope_format(PERM_ALL, small, 64), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_and_names_pinned),
        cmocka_unit_test(test_names_and_summaries),
        cmocka_unit_test(test_perm_parse),
        cmocka_unit_test(test_bits_and_all),
        cmocka_unit_test(test_perm_has),
        cmocka_unit_test(test_scope_every_name_round_trips),
        cmocka_unit_test(test_scope_separators),
        cmocka_unit_test(test_scope_duplicates),
        cmocka_unit_test(test_scope_wildcards),
        cmocka_unit_test(test_scope_unknown_refused),
        cmocka_unit_test(test_scope_empty_refused),
        cmocka_unit_test(test_scope_format_canonical),
        cmocka_unit_test(test_scope_format_round_trips),
        cmocka_unit_test(test_scope_format_no_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
