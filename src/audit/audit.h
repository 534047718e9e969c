/*
 * audit.h: the tamper-evident audit log's Merkle tree (issue 7), as RFC 9162 (Certificate
 * Transparency 2.0, section 2.1) defines it: SHA-256, a leaf hashed with a 0x00 prefix, an
 * interior node with 0x01; the tree head of n leaves MTH(D[n]); inclusion proofs (an entry
 * is in the tree of size n) and consistency proofs (the tree of size n extends the tree of
 * size m: nothing changed, removed or reordered), and their verification.
 *
 * The tree is read through a source of perfect subtrees: node(level, i) is the head of the
 * 2^level leaves starting at i * 2^level (level 0: the leaf hashes). Any tree head and any
 * proof is made of such nodes, so a store that keeps them answers in O(log n) reads
 * whatever the log's size. struct audit_memtree is a source kept in memory (tests, tools).
 *
 * Ownership: proofs are written into the caller's arrays (at most AUDIT_PROOF_MAX hashes).
 * Thread-safety: the functions keep no state; a memtree is used by one thread at a time.
 */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H

#include "base/base.h"
#include "interop/interop.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN  32
#define AUDIT_PROOF_MAX 64 /* a proof in a tree of up to 2^63 leaves */

typedef uint8_t audit_hash[AUDIT_HASH_LEN];

/* SHA-256(0x00 || data) */
void audit_leaf_hash(const void *data, size_t len, audit_hash out);
/* SHA-256(0x01 || left || right) */
void audit_node_hash(const audit_hash left, const audit_hash right, audit_hash out);

/* Perfect subtrees of a log: node(ctx, level, index, out) fills out with the head of leaves
 * [index << level, (index + 1) << level), which the caller only asks for when they are all
 * in the log. 0, or a negative code (a storage error), passed on. */
struct audit_nodes {
    void *ctx;
    int (*node)(void *ctx, unsigned level, uint64_t index, audit_hash out);
    /* optional: MTH(D[a:b]) of a subtree that is not perfect (b - a not a power of two),
     * from a cache; -ENOENT to have it computed from the nodes (NULL: always computed) */
    int (*range)(void *ctx, uint64_t a, uint64_t b, audit_hash out);
};

/* MTH(D[a:b]), a < b. */
int audit_subtree_root(const struct audit_nodes *src, uint64_t a, uint64_t b, audit_hash out);
/* MTH(D[0:n]) (n = 0: SHA-256 of nothing). */
int audit_root(const struct audit_nodes *src, uint64_t n, audit_hash out);
/* The inclusion proof of leaf `index` in the tree of size n (index < n): *len hashes. */
int audit_inclusion_proof(const struct audit_nodes *src, uint64_t index, uint64_t n,
                          audit_hash proof[AUDIT_PROOF_MAX], size_t *len);
/* The consistency proof from size m to size n (0 < m <= n): *len hashes. */
int audit_consistency_proof(const struct audit_nodes *src, uint64_t m, uint64_t n,
                            audit_hash proof[AUDIT_PROOF_MAX], size_t *len);

/* RFC 9162 section 2.1.3.2: true when the proof shows leaf_hash at index in the tree of
 * size n whose head is root. */
bool audit_verify_inclusion(uint64_t index, uint64_t n, const audit_hash leaf_hash,
                            const audit_hash *proof, size_t len, const audit_hash root);
/* RFC 9162 section 2.1.4.2: true when the proof shows the tree of size n (head root_n)
 * extends the tree of size m (head root_m). m == n needs an empty proof and equal heads. */
bool audit_verify_consistency(uint64_t m, uint64_t n, const audit_hash root_m,
                              const audit_hash root_n, const audit_hash *proof, size_t len);

/* ---- a tree in memory ------------------------------------------------------------------ */

struct audit_memtree {
    audit_hash *levels[64]; /* levels[l][i]: node(l, i) of the complete subtrees so far */
    uint64_t count[64];
    uint64_t cap[64];
    uint64_t size; /* leaves */
};
void audit_memtree_init(struct audit_memtree *t);
void audit_memtree_free(struct audit_memtree *t);
/* Appends a leaf hash (and completes the subtrees it closes). */
void audit_memtree_append(struct audit_memtree *t, const audit_hash leaf);
/* The tree as a source of nodes. */
struct audit_nodes audit_memtree_nodes(struct audit_memtree *t);

/* ---- the log in the store (src/audit/log.c) --------------------------------------------- */

/* Appends an entry (its canonical JSON text) as the next leaf, with the heads of the
 * subtrees it completes, in the caller's write transaction; *index is its leaf index. */
int audit_log_append(struct store *st, const char *entry, int64_t time_us, uint64_t *index,
                     struct gh_err *err);
/* Records an entry (an object; the reference is stolen) in the caller's write transaction:
 * sets "time" (ISO 8601 of now_us) and "changes", the rows the transaction changed so far
 * (store_track_changes), then appends it in canonical form (compact, keys sorted). Each
 * change is {"table", "op": insert|update|delete, "key": {primary key columns}, "before",
 * "after"}: an update shows the columns it changed, a secret column (a hash of a password,
 * PIN or token; a TOTP secret) shows "(not recorded)". Beyond AUDIT_CHANGES_MAX rows or
 * AUDIT_CHANGES_BYTES of them the rest are counted in "changes_unlisted". */
#define AUDIT_CHANGES_MAX   2000
#define AUDIT_CHANGES_BYTES (512u << 10)
int audit_record(struct store *st, json_t *entry, int64_t now_us, uint64_t *index,
                 struct gh_err *err);
/* The stored log as a source of nodes (reads through st; one thread). */
struct audit_nodes audit_store_nodes(struct store *st);

/* The server's cache of the tree's nodes (src/audit/nodecache.c): a flat file, mapped,
 * made again at every open from the store's leaf hashes, so a proof in a log of millions
 * of entries costs memory reads, not B-tree lookups. sync brings it up to `size` leaves
 * (reading only what it lacks); the proof functions answer for sizes it holds (-ENOENT
 * beyond). Thread-safety: any number of threads; sync takes a write lock, proofs a read
 * lock. */
struct audit_nodecache;
int audit_nodecache_open(const char *path, struct audit_nodecache **out, struct gh_err *err);
void audit_nodecache_close(struct audit_nodecache *c);
int audit_nodecache_sync(struct audit_nodecache *c, struct store *st, uint64_t size,
                         struct gh_err *err);
int audit_nodecache_inclusion(struct audit_nodecache *c, uint64_t index, uint64_t n,
                              audit_hash proof[AUDIT_PROOF_MAX], size_t *len);
int audit_nodecache_consistency(struct audit_nodecache *c, uint64_t m, uint64_t n,
                                audit_hash proof[AUDIT_PROOF_MAX], size_t *len);
int audit_nodecache_root(struct audit_nodecache *c, uint64_t n, audit_hash out);

/* A signed tree head: Ed25519 over "gatehouse-sth-v1" || size || time (both 64-bit big
 * endian) || root. */
#define AUDIT_STH_MSG_LEN 64
struct audit_sth {
    uint64_t size;
    int64_t time_us;
    audit_hash root;
    uint8_t signature[64];
};
void audit_sth_sign(struct audit_sth *h, const uint8_t sk[64]);
bool audit_sth_verify(const struct audit_sth *h, const uint8_t pk[32]);
/* The JSON form of a head (what an auditor saves and passes to `audit verify --since-sth`):
 * {"size":N,"time_us":T,"root":"HEX","signature":"BASE64"}. */
#define AUDIT_STH_JSON_MAX 512
int audit_sth_to_json(const struct audit_sth *h, char *buf, size_t len);
/* Parses that form exactly (at most AUDIT_STH_JSON_MAX bytes; every field present and well
 * formed, nothing else). 0, or -EINVAL with err saying what is wrong. Does not check the
 * signature. */
int audit_sth_parse(const char *text, size_t len, struct audit_sth *out, struct gh_err *err);
/* Signs the log's current head and stores it (nothing when a head of that size exists);
 * in the caller's write transaction. */
int audit_log_sign_head(struct store *st, const uint8_t sk[64], int64_t now_us,
                        struct audit_sth *out, struct gh_err *err);

/* Verifies the whole log: every entry's hash against the one recorded when it was appended,
 * the indexes without a gap, the tree head recomputed at every signed head's size and each
 * signature (pk), and, with `since` (a head saved earlier), that the log still extends it.
 * Each problem is reported with the first index it concerns; the return is 0 when the log
 * verifies, 1 when a problem was reported, negative for an error reading it. */
typedef void (*audit_report_fn)(void *ctx, uint64_t index, const char *what);
struct audit_verify_stats {
    uint64_t entries;
    uint64_t heads;
    uint64_t problems;
};
int audit_log_verify(struct store *st, const uint8_t pk[32], const struct audit_sth *since,
                     audit_report_fn report, void *ctx, struct audit_verify_stats *stats,
                     struct gh_err *err);

/* ---- forwarding to a SIEM (src/audit/siem.c, src/audit/forward.c) ----------------------- */

enum audit_siem_format { AUDIT_SIEM_JSON = 0, AUDIT_SIEM_CEF };
int audit_siem_format_parse(const char *s, enum audit_siem_format *out);

/* [siem] in the server's configuration. */
struct audit_siem_config {
    char target[300];      /* "tcp://HOST:PORT" or "tls://HOST:PORT"; "": no forwarding */
    char ca_file[4096];    /* tls: the CA bundle the receiver's certificate chains to ("": the
                              system's trust store) */
    char server_name[256]; /* tls: the name the certificate must carry ("": HOST) */
    enum audit_siem_format format;
    bool no_events, no_audit; /* a stream left out */
    bool from_start;          /* no saved cursor yet: from the beginning (default: from now) */
    char hostname[256];       /* the messages' HOSTNAME ("": this machine's name) */
    unsigned resend_window_s; /* after a broken connection, what was sent in the last N s is
                                 sent again (plain syslog has no acknowledgement); default 2 */
    unsigned max_backoff_s;   /* reconnect attempts back off up to this; default 30 */
};
void audit_siem_config_init(struct audit_siem_config *c);
/* Splits a target: 0, or -EINVAL with err saying what is wrong. host and port may be NULL. */
int audit_siem_target_parse(const char *target, bool *tls, char *host, size_t host_len, char *port,
                            size_t port_len, struct gh_err *err);

/* One framed message (octet counting, RFC 6587 3.4.1: "LEN SP" then an RFC 5424 message),
 * appended to out: an event (facility authpriv, MSGID "event", its offset in the body) or
 * an audit entry (facility log audit, MSGID "audit", its index in the body). The body is
 * the export's JSON line (plus "stream") or CEF. A message is at most AUDIT_SIEM_MSG_MAX
 * bytes: an audit entry too large for that goes without its row changes. host: the
 * HOSTNAME field (printable ASCII, no space). */
#define AUDIT_SIEM_MSG_MAX (64u << 10)
int audit_siem_event(struct gh_buf *out, enum audit_siem_format fmt, const char *host,
                     const struct export_row *row, const struct event *ev);
int audit_siem_entry(struct gh_buf *out, enum audit_siem_format fmt, const char *host,
                     uint64_t index, int64_t time_us, const char *entry);

/* The forwarder: a thread with its own store connection that sends every event and audit
 * entry after its cursors, in order, over TCP or TLS, reconnecting with backoff when the
 * receiver is away. The cursors (meta keys siem.event_offset and siem.audit_next) are saved
 * once what they cover has been sent resend_window_s ago on a connection that is still up;
 * after a broken connection or a restart, sending resumes from them: at least once, with
 * duplicates a receiver drops by offset or index.
 * Thread-safety: start, stats and stop from one thread (the server's main thread). */
struct audit_forwarder;
struct audit_forwarder_stats {
    bool connected;
    uint64_t sent;                      /* messages written to connections */
    uint64_t reconnects;                /* connections made after the first */
    int64_t event_cursor, audit_cursor; /* saved: last event offset, next audit index */
};
int audit_forwarder_start(const char *db_path, const struct audit_siem_config *cfg,
                          struct audit_forwarder **out, struct gh_err *err);
void audit_forwarder_stats(struct audit_forwarder *f, struct audit_forwarder_stats *out);
/* Saves the cursors, closes the connection and joins the thread. NULL is fine. */
void audit_forwarder_stop(struct audit_forwarder *f);

#endif
