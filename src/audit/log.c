/*
 * log.c: the audit log kept in the store: entries appended as leaves with the heads of the
 * subtrees they complete, signed tree heads, and the verification of the whole log.
 *
 * Verification trusts nothing but the signatures: it reads the entries in index order,
 * hashes each one again and compares it with the leaf hash recorded when it was appended
 * (an entry changed, swapped or moved is named by its index), checks the indexes have no
 * gap (a deleted entry), rebuilds the tree as it goes (only its right edge in memory:
 * O(log n)) and compares the head at every signed head's size with the signed root (a
 * change that also rewrote the recorded hashes), checks each signature, and finds heads
 * that cover more entries than the log still has (a truncated tail).
 */
#include "audit/audit.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int audit_log_append(struct store *st, const char *entry, int64_t time_us, uint64_t *index,
                     struct gh_err *err)
{
    int64_t n = store_audit_size(st);
    audit_hash h;
    int r;
    if (n < 0)
        return gh_fail(err, -EIO, "audit: cannot read the log's size: %s", store_errmsg(st));
    audit_leaf_hash(entry, strlen(entry), h);
    if ((r = store_audit_entry_put(st, n, time_us, entry)) < 0 ||
        (r = store_audit_node_put(st, 0, n, h)) < 0)
        return gh_fail(err, r, "audit: cannot append entry %lld: %s", (long long)n,
                       store_errmsg(st));
    /* a leaf with an odd index closes its pair, and so on up */
    for (unsigned l = 0; ((uint64_t)n >> l) & 1; l++) {
        audit_hash left, right, parent;
        int64_t i = n >> l;
        if ((r = store_audit_node_get(st, l, i - 1, left)) < 0 ||
            (r = store_audit_node_get(st, l, i, right)) < 0)
            return gh_fail(err, r < 0 ? r : -EIO, "audit: node %u/%lld is missing", l,
                           (long long)(i - 1));
        audit_node_hash(left, right, parent);
        if ((r = store_audit_node_put(st, l + 1, i >> 1, parent)) < 0)
            return gh_fail(err, r, "audit: cannot store a node: %s", store_errmsg(st));
    }
    *index = (uint64_t)n;
    return 0;
}

static int store_node(void *ctx, unsigned level, uint64_t index, audit_hash out)
{
    return store_audit_node_get(ctx, level, (int64_t)index, out);
}

struct audit_nodes audit_store_nodes(struct store *st)
{
    return (struct audit_nodes){.ctx = st, .node = store_node};
}

/* ---- signed tree heads ------------------------------------------------------------------- */

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void sth_message(const struct audit_sth *h, uint8_t msg[AUDIT_STH_MSG_LEN])
{
    memcpy(msg, "gatehouse-sth-v1", 16);
    put_be64(msg + 16, h->size);
    put_be64(msg + 24, (uint64_t)h->time_us);
    memcpy(msg + 32, h->root, AUDIT_HASH_LEN);
}

void audit_sth_sign(struct audit_sth *h, const uint8_t sk[64])
{
    uint8_t msg[AUDIT_STH_MSG_LEN];
    sth_message(h, msg);
    crypto_sign_detached(h->signature, NULL, msg, sizeof(msg), sk);
}

bool audit_sth_verify(const struct audit_sth *h, const uint8_t pk[32])
{
    uint8_t msg[AUDIT_STH_MSG_LEN];
    sth_message(h, msg);
    return crypto_sign_verify_detached(h->signature, msg, sizeof(msg), pk) == 0;
}

int audit_sth_to_json(const struct audit_sth *h, char *buf, size_t len)
{
    char root[2 * AUDIT_HASH_LEN + 1],
        sig[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2hex(root, sizeof(root), h->root, AUDIT_HASH_LEN);
    sodium_bin2base64(sig, sizeof(sig), h->signature, 64, sodium_base64_VARIANT_ORIGINAL);
    return gh_snprintf(buf, len,
                       "{\"size\":%llu,\"time_us\":%lld,\"root\":\"%s\",\"signature\":\"%s\"}",
                       (unsigned long long)h->size, (long long)h->time_us, root, sig);
}

int audit_sth_parse(const char *text, size_t len, struct audit_sth *out, struct gh_err *err)
{
    json_t *doc;
    json_error_t je;
    json_int_t size, time_us;
    const char *root, *sig;
    size_t n = 0;
    int r = 0;

    memset(out, 0, sizeof(*out));
    if (len > AUDIT_STH_JSON_MAX)
        return gh_fail(err, -EINVAL, "tree head: %zu bytes, at most %d", len, AUDIT_STH_JSON_MAX);
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL)
        return gh_fail(err, -EINVAL, "tree head: line %d, column %d: %s", je.line, je.column,
                       je.text);
    if (json_unpack_ex(doc, &je, JSON_STRICT, "{s:I, s:I, s:s, s:s}", "size", &size, "time_us",
                       &time_us, "root", &root, "signature", &sig) != 0) {
        r = gh_fail(err, -EINVAL, "tree head: %s", je.text);
    } else if (size < 0) {
        r = gh_fail(err, -EINVAL, "tree head: size must not be negative");
    } else if (strlen(root) != 2 * AUDIT_HASH_LEN ||
               sodium_hex2bin(out->root, AUDIT_HASH_LEN, root, strlen(root), NULL, &n, NULL) != 0 ||
               n != AUDIT_HASH_LEN) {
        r = gh_fail(err, -EINVAL, "tree head: root must be 64 hex digits");
    } else if (sodium_base642bin(out->signature, 64, sig, strlen(sig), NULL, &n, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) != 0 ||
               n != 64) {
        r = gh_fail(err, -EINVAL, "tree head: signature must be 64 bytes in base64");
    } else {
        out->size = (uint64_t)size;
        out->time_us = time_us;
    }
    json_decref(doc);
    if (r < 0)
        memset(out, 0, sizeof(*out));
    return r;
}

int audit_log_sign_head(struct store *st, const uint8_t sk[64], int64_t now_us,
                        struct audit_sth *out, struct gh_err *err)
{
    struct audit_nodes src = audit_store_nodes(st);
    struct store_audit_head row;
    int64_t n = store_audit_size(st);
    int r;
    if (n < 0)
        return gh_fail(err, -EIO, "audit: cannot read the log's size: %s", store_errmsg(st));
    memset(out, 0, sizeof(*out));
    out->size = (uint64_t)n;
    out->time_us = now_us;
    if ((r = audit_root(&src, out->size, out->root)) < 0)
        return gh_fail(err, r, "audit: cannot compute the tree head of %lld entries", (long long)n);
    audit_sth_sign(out, sk);
    row.size = n;
    row.time_us = now_us;
    memcpy(row.root, out->root, 32);
    memcpy(row.signature, out->signature, 64);
    if ((r = store_audit_head_put(st, &row)) < 0)
        return gh_fail(err, r, "audit: cannot store the tree head: %s", store_errmsg(st));
    return 0;
}

/* ---- verification -------------------------------------------------------------------------- */

/* The right edge of a tree being rebuilt: perfect subtrees of decreasing size. */
struct edge {
    audit_hash h[64];
    unsigned level[64];
    int n;
};

static void edge_push(struct edge *e, const audit_hash leaf)
{
    memcpy(e->h[e->n], leaf, AUDIT_HASH_LEN);
    e->level[e->n++] = 0;
    while (e->n >= 2 && e->level[e->n - 1] == e->level[e->n - 2]) {
        audit_node_hash(e->h[e->n - 2], e->h[e->n - 1], e->h[e->n - 2]);
        e->level[e->n - 2]++;
        e->n--;
    }
}

/* The head of the leaves pushed so far: the subtrees folded from the right. */
static void edge_root(const struct edge *e, audit_hash out)
{
    if (e->n == 0) {
        crypto_hash_sha256(out, (const uint8_t *)"", 0);
        return;
    }
    memcpy(out, e->h[e->n - 1], AUDIT_HASH_LEN);
    for (int i = e->n - 2; i >= 0; i--)
        audit_node_hash(e->h[i], out, out);
}

struct heads {
    struct audit_sth *v;
    size_t n, cap;
};

static int collect_head(void *ctx, const struct store_audit_head *row)
{
    struct heads *hs = ctx;
    struct audit_sth *h;
    if (hs->n == hs->cap) {
        hs->cap = hs->cap ? hs->cap * 2 : 64;
        hs->v = xreallocarray(hs->v, hs->cap, sizeof(*hs->v));
    }
    h = &hs->v[hs->n++];
    h->size = (uint64_t)row->size;
    h->time_us = row->time_us;
    memcpy(h->root, row->root, AUDIT_HASH_LEN);
    memcpy(h->signature, row->signature, 64);
    return 0;
}

struct walk {
    struct store *st;
    const uint8_t *pk;
    struct edge edge;
    uint64_t next; /* the index expected next */
    struct heads heads;
    size_t head_i; /* the next head to check (by size) */
    const struct audit_sth *since;
    bool since_checked;
    audit_report_fn report;
    void *ctx;
    struct audit_verify_stats *stats;
    int error;
};

static void problem(struct walk *w, uint64_t index, const char *fmt, ...) GH_PRINTF(3, 4);
static void problem(struct walk *w, uint64_t index, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    w->stats->problems++;
    if (w->report)
        w->report(w->ctx, index, what);
}

static void timestr(int64_t us, char out[GH_ISO_LEN])
{
    gh_format_iso(us, out);
}

/* Checks the heads whose size the walk has just reached. */
static void check_heads(struct walk *w)
{
    audit_hash root;
    edge_root(&w->edge, root);
    while (w->head_i < w->heads.n && w->heads.v[w->head_i].size <= w->next) {
        const struct audit_sth *h = &w->heads.v[w->head_i++];
        char t[GH_ISO_LEN];
        timestr(h->time_us, t);
        w->stats->heads++;
        if (!audit_sth_verify(h, w->pk))
            problem(w, h->size,
                    "the tree head of size %llu (%s) is not signed by this server's "
                    "key: it was forged or altered",
                    (unsigned long long)h->size, t);
        if (h->size == w->next && sodium_memcmp(root, h->root, AUDIT_HASH_LEN) != 0)
            problem(w, h->size > 0 ? h->size - 1 : 0,
                    "the entries before index %llu no longer give the tree head signed at %s: "
                    "an entry was changed, removed, inserted or reordered (with its recorded "
                    "hash)",
                    (unsigned long long)h->size, t);
    }
    if (w->since != NULL && !w->since_checked && w->since->size == w->next) {
        w->since_checked = true;
        if (sodium_memcmp(root, w->since->root, AUDIT_HASH_LEN) != 0)
            problem(w, w->since->size > 0 ? w->since->size - 1 : 0,
                    "the log does not extend the saved tree head of size %llu: an entry before "
                    "it was changed, removed, inserted or reordered",
                    (unsigned long long)w->since->size);
    }
}

static int on_entry(void *ctx, int64_t idx, int64_t time_us, const char *entry)
{
    struct walk *w = ctx;
    audit_hash leaf, recorded;
    int r;
    (void)time_us;
    if ((uint64_t)idx != w->next) {
        problem(w, w->next, "entries %llu to %lld are missing (deleted)",
                (unsigned long long)w->next, (long long)idx - 1);
        /* the tree cannot be rebuilt past a hole; the entries after it are still compared
         * with their recorded hashes */
        w->next = (uint64_t)idx;
        w->head_i = w->heads.n; /* heads past the hole cannot match */
    }
    audit_leaf_hash(entry, strlen(entry), leaf);
    r = store_audit_node_get(w->st, 0, idx, recorded);
    if (r == -ENOENT)
        problem(w, (uint64_t)idx, "entry %lld has no recorded hash", (long long)idx);
    else if (r < 0)
        return w->error = r;
    else if (sodium_memcmp(leaf, recorded, AUDIT_HASH_LEN) != 0)
        problem(w, (uint64_t)idx,
                "entry %lld is not the entry that was appended (changed, or swapped with "
                "another)",
                (long long)idx);
    edge_push(&w->edge, leaf);
    w->next++;
    w->stats->entries++;
    check_heads(w);
    return 0;
}

int audit_log_verify(struct store *st, const uint8_t pk[32], const struct audit_sth *since,
                     audit_report_fn report, void *ctx, struct audit_verify_stats *stats,
                     struct gh_err *err)
{
    struct audit_verify_stats local;
    struct walk w;
    int r;

    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    memset(&w, 0, sizeof(w));
    w.st = st;
    w.pk = pk;
    w.since = since;
    w.report = report;
    w.ctx = ctx;
    w.stats = stats;
    if (since != NULL && !audit_sth_verify(since, pk)) {
        problem(&w, since->size, "the saved tree head is not signed by this server's key");
        since = w.since = NULL;
    }
    if ((r = store_audit_head_list(st, collect_head, &w.heads)) < 0) {
        free(w.heads.v);
        return gh_fail(err, r, "audit: cannot read the tree heads: %s", store_errmsg(st));
    }
    check_heads(&w); /* heads of size 0 */
    r = store_audit_entry_list(st, 0, on_entry, &w);
    if (r < 0 || w.error < 0) {
        free(w.heads.v);
        return gh_fail(err, r < 0 ? r : w.error, "audit: cannot read the entries: %s",
                       store_errmsg(st));
    }
    /* heads (and a saved head) past the end: the tail was cut off */
    for (; w.head_i < w.heads.n; w.head_i++) {
        const struct audit_sth *h = &w.heads.v[w.head_i];
        char t[GH_ISO_LEN];
        if (h->size <= w.next)
            continue;
        timestr(h->time_us, t);
        problem(&w, w.next,
                "the log ends at index %llu, but a tree head signed at %s covers %llu entries: "
                "entries %llu to %llu are missing (the log was truncated)",
                (unsigned long long)w.next, t, (unsigned long long)h->size,
                (unsigned long long)w.next, (unsigned long long)h->size - 1);
        w.stats->heads++;
        break;
    }
    if (since != NULL && !w.since_checked && since->size > w.next)
        problem(&w, w.next,
                "the log ends at index %llu, before the saved tree head's size %llu: it was "
                "truncated",
                (unsigned long long)w.next, (unsigned long long)since->size);
    free(w.heads.v);
    return stats->problems > 0 ? 1 : 0;
}
