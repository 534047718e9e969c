/*
 * audit.c: the audit log for auditors (audit.read): the latest signed tree head with the
 * key to check it, entries in index order, an entry with its inclusion proof in the latest
 * signed head, and a consistency proof between two sizes. Nothing here changes or removes
 * an entry; reading the log is itself recorded in it (a sensitive read).
 */
#include "http/handlers/handlers.h"
#include "http/handlers/shared.h"

#include "audit/audit.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static json_t *hex_of(const uint8_t *h, size_t n)
{
    char out[2 * 64 + 1];
    sodium_bin2hex(out, sizeof(out), h, n);
    return json_string(out);
}

static json_t *proof_json(const audit_hash *proof, size_t len)
{
    json_t *a = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(a, hex_of(proof[i], AUDIT_HASH_LEN));
    return a;
}

/* The latest signed head, or -ENOENT. */
static int latest(struct http_req *r, struct store_audit_head *h)
{
    return store_audit_head_latest(http_store(r), h);
}

HTTP_HANDLER(h_audit_head)
{
    struct store_audit_head h;
    char sig[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    char pk[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    int rc = latest(r, &h);
    if (rc == -ENOENT)
        return http_problem(r, 404, "not-found", NULL, "no tree head has been signed yet");
    if (rc < 0 || (rc = http_audit_read(r)) < 0)
        return http_problem_from(r, rc < 0 ? rc : -EIO, NULL);
    sodium_bin2base64(sig, sizeof(sig), h.signature, 64, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(pk, sizeof(pk), r->srv->server_pk, 32, sodium_base64_VARIANT_ORIGINAL);
    return http_reply_json(r, 200,
                           json_pack("{s:I, s:I, s:o, s:o, s:s, s:s}", "size", (json_int_t)h.size,
                                     "time_us", (json_int_t)h.time_us, "time",
                                     http_json_time(h.time_us), "root", hex_of(h.root, 32),
                                     "signature", sig, "public_key", pk));
}

/* Entries looked at per request when a filter is given: a page may come back short (even
 * empty) with a cursor to go on from, rather than one request reading the whole log. */
#define SCAN_MAX 100000

struct entry_page {
    struct page p;
    const char *q, *who; /* filters: text anywhere in the entry (ASCII case ignored); who */
    int64_t scanned;
};

static int on_entry(void *ctx, int64_t idx, int64_t time_us, const char *entry)
{
    struct entry_page *e = ctx;
    json_t *doc;
    if (++e->scanned > SCAN_MAX) { /* go on from here next time */
        e->p.more = true;
        e->p.last = idx;
        return 1;
    }
    if (e->q != NULL && !gh_contains_nocase(entry, e->q))
        return 0;
    doc = json_loads(entry, 0, NULL);
    if (e->who != NULL) {
        const char *who = json_string_value(json_object_get(doc, "who"));
        if (who == NULL || strcmp(who, e->who) != 0) {
            json_decref(doc);
            return 0;
        }
    }
    return page_add(&e->p, idx + 1,
                    json_pack("{s:I, s:o, s:o}", "index", (json_int_t)idx, "time",
                              http_json_time(time_us), "entry", doc ? doc : json_string(entry)));
}

HTTP_HANDLER(h_audit_entries)
{
    struct entry_page e = {.q = http_query(r, "q"), .who = http_query(r, "who")};
    int rc;
    if (page_begin(&e.p, r) < 0)
        return 0;
    if (e.q != NULL && strlen(e.q) > 255)
        return http_problem(r, 400, "bad-request",
                            json_pack("[{s:s, s:s}]", "field", "q", "detail", "at most 255 bytes"),
                            "query parameter 'q' is longer than 255 bytes");
    if ((rc = http_audit_read(r)) < 0)
        return http_problem_from(r, rc, NULL);
    /* the cursor is the next index: entries from there */
    return page_reply(&e.p, store_audit_entry_list(http_store(r), e.p.after, on_entry, &e));
}

/* ---- the whole log verified (in a worker: it reads every entry) ----------------------- */

#define PROBLEMS_MAX 50

static void on_problem(void *ctx, uint64_t index, const char *what)
{
    json_t *list = ctx;
    if (json_array_size(list) < PROBLEMS_MAX)
        json_array_append_new(list,
                              json_pack("{s:I, s:s}", "index", (json_int_t)index, "what", what));
}

static int verify_job(struct http_req *r)
{
    struct audit_verify_stats stats;
    struct gh_err err = {{0}};
    json_t *problems = json_array();
    int64_t t0 = gh_now_us();
    int rc = audit_log_verify(http_store(r), r->srv->server_pk, NULL, on_problem, problems, &stats,
                              &err);
    if (rc < 0) {
        json_decref(problems);
        log_error("request %s: verifying the audit log: %s", r->id, err.msg);
        return http_problem_from(r, -EIO, NULL);
    }
    gh_snprintf(r->audit_outcome, sizeof(r->audit_outcome),
                rc == 0 ? "verified: %llu entries, %llu signed tree heads"
                        : "does not verify: %llu entries, %llu signed tree heads",
                (unsigned long long)stats.entries, (unsigned long long)stats.heads);
    if ((rc = http_audit_read(r)) < 0) {
        json_decref(problems);
        return http_problem_from(r, rc, NULL);
    }
    return http_reply_json(
        r, 200,
        json_pack("{s:b, s:I, s:I, s:I, s:o, s:o, s:I}", "verified",
                  json_array_size(problems) == 0 && stats.problems == 0, "entries",
                  (json_int_t)stats.entries, "heads", (json_int_t)stats.heads, "problem_count",
                  (json_int_t)stats.problems, "problems", problems, "checked_at",
                  http_json_time(t0), "duration_ms", (json_int_t)((gh_now_us() - t0) / 1000)));
}

HTTP_HANDLER(h_audit_verification)
{
    return http_defer(r, verify_job);
}

/* The inclusion proof of idx in the tree of size n, from the node cache (brought up to n
 * from this request's store connection first). */
static int inclusion(struct http_req *r, int64_t idx, int64_t n, audit_hash *proof, size_t *len)
{
    struct gh_err err = {{0}};
    int rc = audit_nodecache_sync(r->srv->nodes, http_store(r), (uint64_t)n, &err);
    if (rc < 0) {
        log_error("request %s: %s", r->id, err.msg);
        return rc;
    }
    return audit_nodecache_inclusion(r->srv->nodes, (uint64_t)idx, (uint64_t)n, proof, len);
}

HTTP_HANDLER(h_audit_entry)
{
    struct store_audit_head h;
    audit_hash proof[AUDIT_PROOF_MAX], leaf;
    size_t len = 0;
    int64_t idx, time_us;
    char *text = NULL;
    json_t *doc, *out, *p = json_null();
    int rc;

    if (gh_parse_i64(http_param(r, "index") ? http_param(r, "index") : "", 0, INT64_MAX, &idx) <
        0) {
        return http_problem(r, 404, "not-found", NULL,
                            "an entry is named by its index (0, 1, ...)");
    }
    rc = store_audit_entry_get(http_store(r), idx, &time_us, &text);
    if (rc < 0) {
        return http_problem_from(r, rc == -ENOENT ? -ENOENT : -EIO, NULL);
    }
    if ((rc = store_audit_node_get(http_store(r), 0, idx, leaf)) < 0) {
        free(text);
        return http_problem_from(r, -EIO, NULL);
    }
    if (latest(r, &h) == 0 && idx < h.size) {
        if ((rc = inclusion(r, idx, h.size, proof, &len)) < 0) {
            free(text);
            return http_problem_from(r, -EIO, NULL);
        }
        char sig[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(sig, sizeof(sig), h.signature, 64, sodium_base64_VARIANT_ORIGINAL);
        p = json_pack("{s:I, s:I, s:o, s:s, s:o}", "size", (json_int_t)h.size, "time_us",
                      (json_int_t)h.time_us, "root", hex_of(h.root, 32), "signature", sig, "hashes",
                      proof_json((const audit_hash *)proof, len));
    }
    if ((rc = http_audit_read(r)) < 0) {
        free(text);
        json_decref(p);
        return http_problem_from(r, rc, NULL);
    }
    doc = json_loads(text, 0, NULL);
    out = json_pack("{s:I, s:o, s:o, s:s, s:o, s:o}", "index", (json_int_t)idx, "time",
                    http_json_time(time_us), "entry", doc ? doc : json_string(text), "entry_text",
                    text, "leaf_hash", hex_of(leaf, 32), "inclusion", p);
    free(text);
    return http_reply_json(r, 200, out);
}

HTTP_HANDLER(h_audit_consistency)
{
    struct gh_err err = {{0}};
    audit_hash proof[AUDIT_PROOF_MAX];
    int64_t from = 0, to = 0, size = store_audit_size(http_store(r));
    size_t len = 0;
    int rc;
    if (http_query_int(r, "from", 1, INT64_MAX, &from) <= 0 ||
        http_query_int(r, "to", 1, INT64_MAX, &to) <= 0) {
        if (!r->replied)
            http_problem(r, 400, "bad-request", NULL,
                         "from and to (sizes, 1 <= from <= to) are "
                         "both required");
        return 0;
    }
    if (from > to || to > size)
        return http_problem(r, 400, "bad-request", NULL,
                            "from must be at most to, and to at most the log's size (%lld)",
                            (long long)size);
    if ((rc = audit_nodecache_sync(r->srv->nodes, http_store(r), (uint64_t)to, &err)) < 0 ||
        (rc = audit_nodecache_consistency(r->srv->nodes, (uint64_t)from, (uint64_t)to, proof,
                                          &len)) < 0 ||
        (rc = http_audit_read(r)) < 0) {
        if (err.msg[0])
            log_error("request %s: %s", r->id, err.msg);
        return http_problem_from(r, rc == -ENOENT ? -EIO : rc, NULL);
    }
    return http_reply_json(r, 200,
                           json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to",
                                     (json_int_t)to, "hashes",
                                     proof_json((const audit_hash *)proof, len)));
}
