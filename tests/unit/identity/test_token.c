/*
 * test_token.c: API tokens (src/identity/token.c over the store's api_tokens table) against
 * identity.h. identity_token_create: the "ghk_" + 43 base64url format, a fresh secret each
 * time, the row (canonical scope, expiry, id) and only the BLAKE2b-256 hash stored (never
 * the token, in any column or in the database files); refusals (small buffer, bad name, bad
 * or empty scope, duplicate name in any case) with -errno, a message and nothing stored.
 * identity_authenticate: a live token gives a CALLER_TOKEN caller with the token's id,
 * "token:NAME" and its permissions; missing, non-Bearer, wrong, mangled, truncated,
 * extended, wrongly prefixed, unknown, expired (at the injected clock), revoked and
 * unreadable-scope tokens get -EACCES with a reason that never contains the token, and an
 * anonymous caller. identity_authenticate_cached: hits within IDENTITY_CACHE_TTL_US, a
 * revoked token refused once the entry is older than the TTL, expiry checked on every hit,
 * a clock going backwards forcing a re-read, more tokens than slots, and no mixing of
 * callers. The cache's clock is the now_us argument, so nothing sleeps. Every test runs in
 * its own temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "../support.h"
#include "identity/identity.h"

#define US         INT64_C(1000000)
#define BODY_LEN   43 /* base64url characters of 32 bytes, no padding */
#define PREFIX_LEN 4

/* ---- fixture: a temp dir with a fresh database ---------------------------------------- */

struct fx {
    struct temp_store t;
    int64_t now; /* the injected clock */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL || temp_store_open(&f->t, "token") < 0) {
        free(f);
        return -1;
    }
    f->now = gh_now_us();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    temp_store_close(&f->t);
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* Creates a token; fails the test if that fails. */
static struct api_token make_token(struct fx *f, const char *name, const char *scope,
                                   int64_t expires_us, char tok[IDENTITY_TOKEN_LEN])
{
    struct api_token row;
    struct gh_err err = {{0}};
    int r;
    memset(&row, 0, sizeof(row));
    r = identity_token_create(f->t.st, name, scope, expires_us, tok, IDENTITY_TOKEN_LEN, &row,
                              &err);
    if (r != 0)
        fail_msg("token create '%s': %d %s", name, r, err.msg);
    return row;
}

static void bearer(char *buf, size_t len, const char *tok)
{
    assert_int_equal(gh_snprintf(buf, len, "Bearer %s", tok), 0);
}

static int count_cb(void *ctx, const struct api_token *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

static int count_tokens(struct store *st)
{
    int n = 0;
    OK(store_token_list(st, count_cb, &n));
    return n;
}

static bool is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Whether `needle` (n bytes) occurs in `hay` (len bytes). */
static bool contains(const unsigned char *hay, size_t len, const char *needle, size_t n)
{
    if (n == 0 || len < n)
        return n == 0;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* Whether the file at path contains the bytes (a missing file contains nothing). */
static bool file_contains(const char *path, const char *needle, size_t n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    size_t len = 0, cap = 1 << 16;
    bool found;
    if (fp == NULL)
        return false;
    buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (len < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
        assert_non_null(buf);
    }
    fclose(fp);
    found = contains(buf, len, needle, n);
    free(buf);
    return found;
}

/* Raw SQL on a second, plain sqlite3 connection; returns the sqlite3 result code. */
static int raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* Whether any text column of any api_tokens row contains s. */
static bool any_column_contains(const char *path, const char *s)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool found = false;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT * FROM api_tokens", -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            if (v != NULL && strstr((const char *)v, s) != NULL)
                found = true;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
}

/* A caller that must be anonymous and empty (as after any refusal). */
static void assert_anonymous(const struct identity_caller *c)
{
    assert_int_equal(c->kind, CALLER_ANONYMOUS);
    assert_int_equal(c->id, 0);
    assert_int_equal(c->perms, 0);
    assert_string_equal(c->name, "");
}

/* Checks an authentication that must be refused with -EACCES, a reason containing
 * `needle`, an anonymous caller, and a message that does not contain the token `tok`. */
static void refused(struct identity_token_cache *cache, struct store *st, const char *header,
                    int64_t now, const char *needle, const char *tok, int line)
{
    struct identity_caller c;
    struct gh_err err = {{0}};
    int r;
    memset(&c, 0xa5, sizeof(c));
    r = identity_authenticate_cached(cache, st, header, now, &c, &err);
    if (r != -EACCES)
        fail_msg("line %d: got %d (%s), want -EACCES; message '%s'", line, r, gh_strerror(r),
                 err.msg);
    if (needle != NULL && strstr(err.msg, needle) == NULL)
        fail_msg("line %d: message '%s' does not mention '%s'", line, err.msg, needle);
    if (tok != NULL && strlen(tok) > PREFIX_LEN + 8 && strstr(err.msg, tok + PREFIX_LEN) != NULL)
        fail_msg("line %d: the reason contains the token", line);
    assert_anonymous(&c);
}
#define REFUSED(header, now, needle, tok)                                                          \
    refused(NULL, f->t.st, (header), (now), (needle), (tok), __LINE__)
#define REFUSED_CACHED(cache, header, now, needle)                                                 \
    refused((cache), f->t.st, (header), (now), (needle), NULL, __LINE__)

/* Checks an authentication that must succeed and returns the caller. */
static struct identity_caller accepted(struct identity_token_cache *cache, struct store *st,
                                       const char *header, int64_t now, int line)
{
    struct identity_caller c;
    struct gh_err err = {{0}};
    int r;
    memset(&c, 0xa5, sizeof(c));
    r = identity_authenticate_cached(cache, st, header, now, &c, &err);
    if (r != 0)
        fail_msg("line %d: got %d (%s); message '%s'", line, r, gh_strerror(r), err.msg);
    return c;
}
#define ACCEPTED(header, now)               accepted(NULL, f->t.st, (header), (now), __LINE__)
#define ACCEPTED_CACHED(cache, header, now) accepted((cache), f->t.st, (header), (now), __LINE__)

/* ---- creating tokens -------------------------------------------------------------------- */

static void test_create_format(void **state)
{
    struct fx *f = *state;
    char out[96];
    struct api_token row, got;
    struct gh_err err = {{0}};
    uint8_t h[32];
    char hex[STORE_TOKEN_HASH_HEX];
    int64_t before = gh_now_us(), after;

    memset(out, 'X', sizeof(out));
    memset(&row, 0, sizeof(row));
    OK(identity_token_create(f->t.st, "ci-export", "events.export, events.read", GH_TIME_MAX, out,
                             sizeof(out), &row, &err));
    after = gh_now_us();

    /* "ghk_" + 43 base64url characters, NUL-terminated */
    assert_int_equal(strlen(out), IDENTITY_TOKEN_LEN - 1);
    assert_int_equal(strlen(IDENTITY_TOKEN_PREFIX), PREFIX_LEN);
    assert_int_equal(PREFIX_LEN + BODY_LEN + 1, IDENTITY_TOKEN_LEN);
    assert_memory_equal(out, "ghk_", PREFIX_LEN);
    for (int i = PREFIX_LEN; i < PREFIX_LEN + BODY_LEN; i++)
        if (!is_b64url(out[i]))
            fail_msg("character %d of the token is not base64url", i);
    /* the body decodes to 32 bytes */
    {
        uint8_t bin[40];
        size_t bin_len = 0;
        assert_int_equal(sodium_base642bin(bin, sizeof(bin), out + PREFIX_LEN, BODY_LEN, NULL,
                                           &bin_len, NULL,
                                           sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                         0);
        assert_int_equal(bin_len, 32);
    }

    /* the row: id, name, canonical scope, times */
    assert_true(row.id > 0);
    assert_string_equal(row.name, "ci-export");
    assert_string_equal(row.scopes, "events.read events.export");
    assert_int_equal(row.expires_us, GH_TIME_MAX);
    assert_int_equal(row.revoked_us, 0);
    assert_true(row.created_us >= before && row.created_us <= after);

    /* stored: the BLAKE2b-256 of the whole token, as lower-case hex */
    crypto_generichash(h, sizeof(h), (const uint8_t *)out, strlen(out), NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    assert_int_equal(strlen(row.hash_hex), 64);
    assert_string_equal(row.hash_hex, hex);

    /* the store has the same row, by name and by hash */
    memset(&got, 0, sizeof(got));
    OK(store_token_find(f->t.st, "ci-export", &got));
    assert_int_equal(got.id, row.id);
    assert_string_equal(got.hash_hex, hex);
    assert_string_equal(got.scopes, "events.read events.export");
    assert_int_equal(got.expires_us, GH_TIME_MAX);
    assert_int_equal(got.created_us, row.created_us);
    assert_int_equal(got.revoked_us, 0);
    memset(&got, 0, sizeof(got));
    OK(store_token_by_hash(f->t.st, hex, &got));
    assert_int_equal(got.id, row.id);
    assert_int_equal(count_tokens(f->t.st), 1);

    /* a finite expiry is kept as given */
    {
        char tok[IDENTITY_TOKEN_LEN];
        struct api_token r2 = make_token(f, "short-lived", "metrics.read", f->now + 3600 * US, tok);
        OK(store_token_find(f->t.st, "short-lived", &got));
        assert_int_equal(got.expires_us, f->now + 3600 * US);
        assert_int_equal(r2.expires_us, f->now + 3600 * US);
        assert_true(r2.id > row.id);
    }

    /* row may be NULL */
    {
        char tok[IDENTITY_TOKEN_LEN];
        OK(identity_token_create(f->t.st, "no-row", "*", GH_TIME_MAX, tok, sizeof(tok), NULL,
                                 &err));
        assert_int_equal(strlen(tok), IDENTITY_TOKEN_LEN - 1);
        OK(store_token_find(f->t.st, "no-row", &got));
        {
            char all[STORE_TOKEN_SCOPES_MAX];
            OK(perm_scope_format(PERM_ALL, all, sizeof(all)));
            assert_string_equal(got.scopes, all); /* "*" is stored as every name */
        }
    }
}

static void test_stored_only_as_hash(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN];
    char wal[160];
    struct api_token got;

    make_token(f, "secret-keeper", "doors.read", GH_TIME_MAX, tok);

    /* nowhere in the row the store gives back */
    OK(store_token_find(f->t.st, "secret-keeper", &got));
    assert_null(strstr(got.hash_hex, tok + PREFIX_LEN));
    assert_null(strstr(got.name, tok + PREFIX_LEN));
    assert_null(strstr(got.scopes, tok + PREFIX_LEN));
    /* nor in any column (looking for the random part, which is all of its secret) */
    assert_false(any_column_contains(f->t.path, tok + PREFIX_LEN));
    assert_false(any_column_contains(f->t.path, tok));
    /* nor anywhere in the database files, however SQLite laid them out */
    gh_snprintf(wal, sizeof(wal), "%s-wal", f->t.path);
    assert_false(file_contains(f->t.path, tok + PREFIX_LEN, BODY_LEN));
    assert_false(file_contains(wal, tok + PREFIX_LEN, BODY_LEN));
    /* ... while the hash is there (so the search would have found a token) */
    assert_true(any_column_contains(f->t.path, got.hash_hex));
    assert_true(file_contains(f->t.path, got.hash_hex, 64) || file_contains(wal, got.hash_hex, 64));
}

static void test_create_fresh_secrets(void **state)
{
    struct fx *f = *state;
    char a[IDENTITY_TOKEN_LEN], b[IDENTITY_TOKEN_LEN];
    struct api_token ra, rb;

    ra = make_token(f, "one", "doors.read", GH_TIME_MAX, a);
    rb = make_token(f, "two", "doors.read", GH_TIME_MAX, b);
    assert_string_not_equal(a, b);
    assert_string_not_equal(ra.hash_hex, rb.hash_hex);
    assert_int_not_equal(ra.id, rb.id);
    /* each authenticates as itself */
    {
        char h[64];
        struct identity_caller c;
        bearer(h, sizeof(h), a);
        c = ACCEPTED(h, f->now);
        assert_int_equal(c.id, ra.id);
        bearer(h, sizeof(h), b);
        c = ACCEPTED(h, f->now);
        assert_int_equal(c.id, rb.id);
    }
}

static void test_create_refused(void **state)
{
    struct fx *f = *state;
    char out[IDENTITY_TOKEN_LEN];
    char sentinel[IDENTITY_TOKEN_LEN];
    char first[IDENTITY_TOKEN_LEN];
    char long_name[MODEL_NAME_MAX + 1];
    struct api_token row;
    struct gh_err err;
    static const struct {
        const char *name, *scope;
        size_t len;
        int code;
        const char *needle;
    } bad[] = {
        {"small", "doors.read", IDENTITY_TOKEN_LEN - 1, -ENOSPC, "too small"},
        {"small", "doors.read", 0, -ENOSPC, "too small"},
        {"", "doors.read", IDENTITY_TOKEN_LEN, -EINVAL, "name"},
        {" padded", "doors.read", IDENTITY_TOKEN_LEN, -EINVAL, "white space"},
        {"padded ", "doors.read", IDENTITY_TOKEN_LEN, -EINVAL, "white space"},
        {"new\nline", "doors.read", IDENTITY_TOKEN_LEN, -EINVAL, "name"},
        {"bad-utf8-\xc3", "doors.read", IDENTITY_TOKEN_LEN, -EINVAL, "name"},
        {"bad-scope", "doors.read bogus", IDENTITY_TOKEN_LEN, -EINVAL, "'bogus'"},
        {"bad-scope", "authenticated", IDENTITY_TOKEN_LEN, -EINVAL, "'authenticated'"},
        {"empty-scope", "", IDENTITY_TOKEN_LEN, -EINVAL, "names no permission"},
        {"empty-scope", " , ", IDENTITY_TOKEN_LEN, -EINVAL, "names no permission"},
        {"taken", "doors.read", IDENTITY_TOKEN_LEN, -EEXIST, "already exists"},
        {"TAKEN", "doors.read", IDENTITY_TOKEN_LEN, -EEXIST, "already exists"}, /* NOCASE */
    };

    make_token(f, "taken", "events.read", GH_TIME_MAX, first);
    assert_int_equal(count_tokens(f->t.st), 1);
    memset(sentinel, 'S', sizeof(sentinel));

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r;
        memset(&err, 0, sizeof(err));
        memset(&row, 0x5a, sizeof(row));
        memcpy(out, sentinel, sizeof(out));
        r = identity_token_create(f->t.st, bad[i].name, bad[i].scope, GH_TIME_MAX, out, bad[i].len,
                                  &row, &err);
        if (r != bad[i].code)
            fail_msg("case %zu: got %d (%s), want %d; message '%s'", i, r, gh_strerror(r),
                     bad[i].code, err.msg);
        if (strstr(err.msg, bad[i].needle) == NULL)
            fail_msg("case %zu: message '%s' does not mention '%s'", i, err.msg, bad[i].needle);
        /* nothing stored, the row untouched, and no usable secret left in out */
        assert_int_equal(count_tokens(f->t.st), 1);
        assert_int_equal(row.id, (int64_t)0x5a5a5a5a5a5a5a5aLL);
        if (bad[i].code == -EEXIST) {
            /* a secret was made, then refused by the store: wiped */
            for (size_t j = 0; j < sizeof(out); j++)
                assert_int_equal(out[j], 0);
        } else {
            /* refused before anything was made: out untouched */
            assert_memory_equal(out, sentinel, sizeof(out));
        }
    }
    /* the bad scope's message says it was the scope */
    memset(&err, 0, sizeof(err));
    assert_int_equal(
        identity_token_create(f->t.st, "x", "nope", GH_TIME_MAX, out, sizeof(out), NULL, &err),
        -EINVAL);
    assert_int_equal(strncmp(err.msg, "scope", 5), 0);
    assert_non_null(strstr(err.msg, "unknown permission 'nope'"));

    /* too long a name */
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    memset(&err, 0, sizeof(err));
    assert_int_equal(identity_token_create(f->t.st, long_name, "doors.read", GH_TIME_MAX, out,
                                           sizeof(out), NULL, &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "longer than"));
    /* the longest allowed is fine */
    long_name[MODEL_NAME_MAX - 1] = '\0';
    OK(identity_token_create(f->t.st, long_name, "doors.read", GH_TIME_MAX, out, sizeof(out), NULL,
                             &err));
    assert_int_equal(count_tokens(f->t.st), 2);

    /* the first token still works and is unchanged */
    {
        char h[64];
        struct identity_caller c;
        struct api_token got;
        bearer(h, sizeof(h), first);
        c = ACCEPTED(h, f->now);
        assert_int_equal(c.perms, PERM_BIT(PERM_EVENTS_READ));
        OK(store_token_find(f->t.st, "taken", &got));
        assert_string_equal(got.scopes, "events.read");
        assert_int_equal(got.revoked_us, 0);
    }
}

/* ---- authenticating --------------------------------------------------------------------- */

static void test_authenticate_ok(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[96];
    struct api_token row;
    struct identity_caller c;

    row = make_token(f, "door-panel", "doors.read, metrics.read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    c = ACCEPTED(h, f->now);
    assert_int_equal(c.kind, CALLER_TOKEN);
    assert_int_equal(c.id, row.id);
    assert_string_equal(c.name, "token:door-panel");
    assert_int_equal(c.perms, PERM_BIT(PERM_DOORS_READ) | PERM_BIT(PERM_METRICS_READ));
    assert_true(perm_has(c.perms, PERM_DOORS_READ));
    assert_true(perm_has(c.perms, PERM_AUTHENTICATED));
    assert_false(perm_has(c.perms, PERM_DOORS_WRITE));

    /* the scheme is case-insensitive, and spaces before the token are allowed */
    gh_snprintf(h, sizeof(h), "bearer %s", tok);
    assert_int_equal(ACCEPTED(h, f->now).id, row.id);
    gh_snprintf(h, sizeof(h), "BEARER %s", tok);
    assert_int_equal(ACCEPTED(h, f->now).id, row.id);
    gh_snprintf(h, sizeof(h), "Bearer    %s", tok);
    assert_int_equal(ACCEPTED(h, f->now).id, row.id);

    /* wildcards are resolved at creation: "*" gives every permission */
    row = make_token(f, "admin", "*", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    c = ACCEPTED(h, f->now);
    assert_int_equal(c.perms, PERM_ALL);
    assert_int_equal(c.id, row.id);
    assert_string_equal(c.name, "token:admin");

    /* authenticating changes nothing in the store */
    {
        struct api_token got;
        OK(store_token_find(f->t.st, "admin", &got));
        assert_int_equal(got.revoked_us, 0);
        assert_int_equal(got.expires_us, GH_TIME_MAX);
        assert_int_equal(count_tokens(f->t.st), 2);
    }
}

static void test_authenticate_refused(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], other[IDENTITY_TOKEN_LEN];
    char mangled[IDENTITY_TOKEN_LEN];
    char h[128];
    struct api_token row;

    row = make_token(f, "real", "doors.read", GH_TIME_MAX, tok);

    /* no header, or not a Bearer header */
    REFUSED(NULL, f->now, "no Authorization header", NULL);
    REFUSED("", f->now, "no Authorization header", NULL);
    gh_snprintf(h, sizeof(h), "Basic %s", tok);
    REFUSED(h, f->now, "not a Bearer token", tok);
    REFUSED(tok, f->now, "not a Bearer token", tok); /* the token alone */
    gh_snprintf(h, sizeof(h), "Bearer:%s", tok);
    REFUSED(h, f->now, "not a Bearer token", tok);
    gh_snprintf(h, sizeof(h), "Bearer\t%s", tok);
    REFUSED(h, f->now, "not a Bearer token", tok);
    REFUSED("Bearer", f->now, "not a Bearer token", NULL);
    REFUSED("Bearer ", f->now, "malformed token", NULL);
    REFUSED("Bearer    ", f->now, "malformed token", NULL);

    /* truncated, extended, padded after */
    gh_snprintf(h, sizeof(h), "Bearer %.*s", IDENTITY_TOKEN_LEN - 2, tok);
    REFUSED(h, f->now, "malformed token", tok);
    gh_snprintf(h, sizeof(h), "Bearer %.*s", PREFIX_LEN, tok);
    REFUSED(h, f->now, "malformed token", tok);
    gh_snprintf(h, sizeof(h), "Bearer %sA", tok);
    REFUSED(h, f->now, "malformed token", tok);
    gh_snprintf(h, sizeof(h), "Bearer %s ", tok);
    REFUSED(h, f->now, "malformed token", tok);
    gh_snprintf(h, sizeof(h), "Bearer %s%s", tok, tok);
    REFUSED(h, f->now, "malformed token", tok);

    /* the right length with a wrong prefix */
    static const char *const prefixes[] = {"ghx_", "GHK_", "Ghk_", "ghk-", "xhk_"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        gh_strlcpy(mangled, tok, sizeof(mangled));
        memcpy(mangled, prefixes[i], PREFIX_LEN);
        bearer(h, sizeof(h), mangled);
        REFUSED(h, f->now, "malformed token", tok);
    }

    /* well formed but not a token we made: every single character changed in turn */
    for (int i = PREFIX_LEN; i < IDENTITY_TOKEN_LEN - 1; i++) {
        gh_strlcpy(mangled, tok, sizeof(mangled));
        mangled[i] = mangled[i] == 'A' ? 'B' : 'A';
        bearer(h, sizeof(h), mangled);
        REFUSED(h, f->now, "unknown token", tok);
    }
    /* two characters swapped */
    gh_strlcpy(mangled, tok, sizeof(mangled));
    if (mangled[10] != mangled[11]) {
        char t = mangled[10];
        mangled[10] = mangled[11];
        mangled[11] = t;
        bearer(h, sizeof(h), mangled);
        REFUSED(h, f->now, "unknown token", tok);
    }
    /* a token of another database (same format) */
    {
        uint8_t rnd[32];
        memcpy(other, IDENTITY_TOKEN_PREFIX, PREFIX_LEN);
        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2base64(other + PREFIX_LEN, sizeof(other) - PREFIX_LEN, rnd, sizeof(rnd),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        assert_int_equal(strlen(other), IDENTITY_TOKEN_LEN - 1);
        bearer(h, sizeof(h), other);
        REFUSED(h, f->now, "unknown token", other);
    }
    /* the stored hash itself is not a token */
    gh_snprintf(h, sizeof(h), "Bearer %s", row.hash_hex);
    REFUSED(h, f->now, "malformed token", NULL);

    /* a NULL err is allowed */
    {
        struct identity_caller c;
        assert_int_equal(identity_authenticate(f->t.st, "Basic x", f->now, &c, NULL), -EACCES);
        assert_anonymous(&c);
    }

    /* nothing changed: the real token still works, nothing was added or revoked */
    bearer(h, sizeof(h), tok);
    assert_int_equal(ACCEPTED(h, f->now).id, row.id);
    assert_int_equal(count_tokens(f->t.st), 1);
}

static void test_authenticate_expired(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    const int64_t expires = f->now + 3600 * US;
    struct api_token row, got;

    row = make_token(f, "temp", "events.read", expires, tok);
    bearer(h, sizeof(h), tok);
    assert_int_equal(ACCEPTED(h, f->now).id, row.id);
    assert_int_equal(ACCEPTED(h, expires - 1).id, row.id);
    /* expired at expires_us exactly, and ever after */
    REFUSED(h, expires, "token 'temp' expired", tok);
    REFUSED(h, expires + 1, "expired", tok);
    REFUSED(h, expires + 365 * 86400 * US, "expired", tok);
    /* the row is not changed by being refused */
    OK(store_token_find(f->t.st, "temp", &got));
    assert_int_equal(got.expires_us, expires);
    assert_int_equal(got.revoked_us, 0);

    /* a token created already expired is refused at once */
    row = make_token(f, "stale", "events.read", f->now - 1, tok);
    bearer(h, sizeof(h), tok);
    REFUSED(h, f->now, "token 'stale' expired", tok);
    /* "never" is never reached */
    row = make_token(f, "forever", "events.read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    assert_int_equal(ACCEPTED(h, GH_TIME_MAX - 1).id, row.id);
}

static void test_authenticate_revoked(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], keep[IDENTITY_TOKEN_LEN], h[64];
    struct api_token row, other, got;

    row = make_token(f, "leaked", "doors.control", GH_TIME_MAX, tok);
    other = make_token(f, "kept", "doors.control", GH_TIME_MAX, keep);
    bearer(h, sizeof(h), tok);
    assert_int_equal(ACCEPTED(h, f->now).id, row.id);

    OK(store_token_revoke(f->t.st, row.id, f->now + 5));
    OK(store_token_find(f->t.st, "leaked", &got));
    assert_int_equal(got.revoked_us, f->now + 5);
    /* refused at once (the uncached path reads the row every time) */
    REFUSED(h, f->now + 6, "token 'leaked' was revoked", tok);
    REFUSED(h, f->now, "revoked", tok); /* whenever it is asked */
    /* revoking again, or a token that does not exist: -ENOENT, nothing changed */
    assert_int_equal(store_token_revoke(f->t.st, row.id, f->now + 99), -ENOENT);
    assert_int_equal(store_token_revoke(f->t.st, 9999, f->now), -ENOENT);
    OK(store_token_find(f->t.st, "leaked", &got));
    assert_int_equal(got.revoked_us, f->now + 5);
    /* the other token is untouched */
    bearer(h, sizeof(h), keep);
    assert_int_equal(ACCEPTED(h, f->now + 6).id, other.id);
    OK(store_token_find(f->t.st, "kept", &got));
    assert_int_equal(got.revoked_us, 0);
    /* the name stays taken by the revoked token */
    {
        char out[IDENTITY_TOKEN_LEN];
        struct gh_err err = {{0}};
        assert_int_equal(identity_token_create(f->t.st, "leaked", "doors.read", GH_TIME_MAX, out,
                                               sizeof(out), NULL, &err),
                         -EEXIST);
    }
}

static void test_authenticate_unreadable_scope(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    char sql[256];
    struct api_token row;

    row = make_token(f, "tampered", "doors.read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    assert_int_equal(ACCEPTED(h, f->now).id, row.id);

    /* a scope that no longer parses (edited, or from a newer version) refuses the token */
    gh_snprintf(sql, sizeof(sql),
                "UPDATE api_tokens SET scopes = 'doors.read doors.fly' "
                "WHERE id = %lld",
                (long long)row.id);
    assert_int_equal(raw_exec(f->t.path, sql), SQLITE_OK);
    REFUSED(h, f->now, "token 'tampered' has an unreadable scope", tok);
    gh_snprintf(sql, sizeof(sql), "UPDATE api_tokens SET scopes = '' WHERE id = %lld",
                (long long)row.id);
    assert_int_equal(raw_exec(f->t.path, sql), SQLITE_OK);
    REFUSED(h, f->now, "unreadable scope", tok);
    /* and a readable one is used as stored (scopes are read on every request) */
    gh_snprintf(sql, sizeof(sql), "UPDATE api_tokens SET scopes = 'events.read' WHERE id = %lld",
                (long long)row.id);
    assert_int_equal(raw_exec(f->t.path, sql), SQLITE_OK);
    assert_int_equal(ACCEPTED(h, f->now).perms, PERM_BIT(PERM_EVENTS_READ));
}

static void test_caller_name(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    char name[MODEL_NAME_MAX];
    struct identity_caller c;

    /* UTF-8 names are carried as they are */
    make_token(f, "Zo\xc3\xab's laptop", "read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    c = ACCEPTED(h, f->now);
    assert_string_equal(c.name, "token:Zo\xc3\xab's laptop");

    /* the longest name: the caller's name is bounded and starts with "token:" + the name */
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    make_token(f, name, "read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    c = ACCEPTED(h, f->now);
    assert_true(strlen(c.name) < sizeof(c.name));
    assert_int_equal(strncmp(c.name, "token:", 6), 0);
    assert_string_equal(c.name + 6, name); /* the whole name */

    /* the longest UTF-8 name: never cut inside a character (it goes into JSON) */
    name[0] = 'a';
    for (size_t i = 1; i + 2 < sizeof(name); i += 2)
        memcpy(name + i, "\xc3\xa9", 2);
    name[sizeof(name) - 1] = '\0';
    make_token(f, name, "read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    c = ACCEPTED(h, f->now);
    assert_true(gh_utf8_valid_text(c.name, strlen(c.name)));
    assert_string_equal(c.name + 6, name);
}

/* ---- the cache -------------------------------------------------------------------------- */

static void test_cache_hit_then_revocation_after_ttl(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    struct identity_token_cache cache;
    struct api_token row;
    struct identity_caller c;
    const int64_t t0 = f->now;

    memset(&cache, 0, sizeof(cache));
    row = make_token(f, "busy", "events.read events.export", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);

    c = ACCEPTED_CACHED(&cache, h, t0);
    assert_int_equal(c.kind, CALLER_TOKEN);
    assert_int_equal(c.id, row.id);
    assert_string_equal(c.name, "token:busy");
    assert_int_equal(c.perms, PERM_BIT(PERM_EVENTS_READ) | PERM_BIT(PERM_EVENTS_EXPORT));

    OK(store_token_revoke(f->t.st, row.id, t0 + 1));
    /* the uncached path refuses at once */
    REFUSED(h, t0 + 1, "revoked", tok);
    /* the cache may trust its entry for less than IDENTITY_CACHE_TTL_US after reading it ... */
    c = ACCEPTED_CACHED(&cache, h, t0 + IDENTITY_CACHE_TTL_US - 1);
    assert_int_equal(c.id, row.id);
    assert_int_equal(c.perms, PERM_BIT(PERM_EVENTS_READ) | PERM_BIT(PERM_EVENTS_EXPORT));
    /* ... and not a moment longer */
    REFUSED_CACHED(&cache, h, t0 + IDENTITY_CACHE_TTL_US, "token 'busy' was revoked");
    /* and from then on, every time (a refusal is not cached as a success) */
    REFUSED_CACHED(&cache, h, t0 + IDENTITY_CACHE_TTL_US + 1, "revoked");
    REFUSED_CACHED(&cache, h, t0 + 2, "revoked");
    REFUSED_CACHED(&cache, h, t0 + 10 * IDENTITY_CACHE_TTL_US, "revoked");
}

static void test_cache_revocation_seen_on_reread(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    struct identity_token_cache cache;
    struct api_token row;
    const int64_t t0 = f->now;

    memset(&cache, 0, sizeof(cache));
    row = make_token(f, "reread", "doors.read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);

    /* an entry is good for a TTL after it was read: a re-read at t0+TTL starts a new one */
    assert_int_equal(ACCEPTED_CACHED(&cache, h, t0).id, row.id);
    assert_int_equal(ACCEPTED_CACHED(&cache, h, t0 + IDENTITY_CACHE_TTL_US).id, row.id);
    OK(store_token_revoke(f->t.st, row.id, t0 + IDENTITY_CACHE_TTL_US + 1));
    assert_int_equal(ACCEPTED_CACHED(&cache, h, t0 + 2 * IDENTITY_CACHE_TTL_US - 1).id, row.id);
    REFUSED_CACHED(&cache, h, t0 + 2 * IDENTITY_CACHE_TTL_US, "revoked");
}

static void test_cache_clock_backwards(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    struct identity_token_cache cache;
    struct api_token row;
    const int64_t t0 = f->now;

    memset(&cache, 0, sizeof(cache));
    row = make_token(f, "clock", "doors.read", GH_TIME_MAX, tok);
    bearer(h, sizeof(h), tok);
    assert_int_equal(ACCEPTED_CACHED(&cache, h, t0).id, row.id);
    OK(store_token_revoke(f->t.st, row.id, t0));
    /* a clock that went back does not extend the entry's life: it is read again */
    REFUSED_CACHED(&cache, h, t0 - 1, "revoked");
    REFUSED_CACHED(&cache, h, t0 - 1000 * US, "revoked");
}

static void test_cache_checks_expiry_every_use(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    struct identity_token_cache cache;
    struct api_token row;
    const int64_t expires = f->now + 100;

    memset(&cache, 0, sizeof(cache));
    row = make_token(f, "brief", "doors.read", expires, tok);
    bearer(h, sizeof(h), tok);
    assert_int_equal(ACCEPTED_CACHED(&cache, h, expires - 50).id, row.id);
    assert_int_equal(ACCEPTED_CACHED(&cache, h, expires - 1).id, row.id);
    /* well within the TTL, but past the expiry */
    REFUSED_CACHED(&cache, h, expires, "token 'brief' expired");
    REFUSED_CACHED(&cache, h, expires + 1, "expired");
}

static void test_cache_refusals_not_cached(void **state)
{
    struct fx *f = *state;
    char tok[IDENTITY_TOKEN_LEN], h[64];
    struct identity_token_cache cache, empty;
    char mangled[IDENTITY_TOKEN_LEN];

    memset(&cache, 0, sizeof(cache));
    memset(&empty, 0, sizeof(empty));
    make_token(f, "good", "doors.read", GH_TIME_MAX, tok);

    /* malformed and unknown tokens leave the cache as it was */
    REFUSED_CACHED(&cache, "Bearer nope", f->now, "malformed token");
    REFUSED_CACHED(&cache, NULL, f->now, "no Authorization header");
    gh_strlcpy(mangled, tok, sizeof(mangled));
    mangled[20] = mangled[20] == 'A' ? 'B' : 'A';
    bearer(h, sizeof(h), mangled);
    REFUSED_CACHED(&cache, h, f->now, "unknown token");
    REFUSED_CACHED(&cache, h, f->now + 1, "unknown token");
    assert_memory_equal(&cache, &empty, sizeof(cache));

    /* the cache=NULL form is the uncached path */
    bearer(h, sizeof(h), tok);
    assert_string_equal(accepted(NULL, f->t.st, h, f->now, __LINE__).name, "token:good");
    assert_memory_equal(&cache, &empty, sizeof(cache));
}

static void test_cache_many_tokens(void **state)
{
    struct fx *f = *state;
    enum { N = IDENTITY_CACHE_SLOTS + 5 };
    char tok[N][IDENTITY_TOKEN_LEN];
    struct api_token row[N];
    struct identity_token_cache cache;
    char h[64], name[32];
    const int64_t t0 = f->now;

    memset(&cache, 0, sizeof(cache));
    for (int i = 0; i < N; i++) {
        gh_snprintf(name, sizeof(name), "tok-%02d", i);
        /* each token a different permission, so callers cannot be confused */
        row[i] =
            make_token(f, name, perm_name((enum perm)(PERM_FIRST + i % (PERM_COUNT - PERM_FIRST))),
                       GH_TIME_MAX, tok[i]);
    }
    /* several rounds over more tokens than slots: every caller is its own */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            struct identity_caller c;
            bearer(h, sizeof(h), tok[i]);
            c = ACCEPTED_CACHED(&cache, h, t0 + round * 1000 + i);
            assert_int_equal(c.kind, CALLER_TOKEN);
            assert_int_equal(c.id, row[i].id);
            gh_snprintf(name, sizeof(name), "token:tok-%02d", i);
            assert_string_equal(c.name, name);
            assert_int_equal(c.perms, PERM_BIT(PERM_FIRST + i % (PERM_COUNT - PERM_FIRST)));
        }
    }
    /* revoke them all. Within the TTL only tokens still in the cache may pass (each as
     * itself); those pushed out are read again and refused at once. */
    for (int i = 0; i < N; i++)
        OK(store_token_revoke(f->t.st, row[i].id, t0 + 5000));
    {
        int passed = 0;
        for (int i = 0; i < N; i++) {
            struct identity_caller c;
            struct gh_err err = {{0}};
            int r;
            bearer(h, sizeof(h), tok[i]);
            r = identity_authenticate_cached(&cache, f->t.st, h, t0 + 5001, &c, &err);
            if (r == 0) {
                assert_int_equal(c.id, row[i].id);
                passed++;
            } else {
                assert_int_equal(r, -EACCES);
                assert_non_null(strstr(err.msg, "revoked"));
                assert_anonymous(&c);
            }
        }
        assert_true(passed >= 1);
        assert_true(passed <= IDENTITY_CACHE_SLOTS);
    }
    /* after the TTL, none does */
    for (int i = 0; i < N; i++) {
        bearer(h, sizeof(h), tok[i]);
        REFUSED_CACHED(&cache, h, t0 + 2000 + N + IDENTITY_CACHE_TTL_US, "revoked");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_only_as_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_fresh_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_unreadable_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caller_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_hit_then_revocation_after_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_revocation_seen_on_reread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_clock_backwards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_checks_expiry_every_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_refusals_not_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_many_tokens, setup, teardown),
    };
    if (sodium_init() < 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
