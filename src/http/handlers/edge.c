/*
 * edge.c: the door controllers' side of the API (/edge/v1/, docs/PROTOCOL-edge.md):
 * enrollment with a one-time token, then requests signed with the controller's Ed25519 key
 * (RFC 9421) for its snapshot, its events, its heartbeat and the long poll that tells it
 * when a new snapshot is out.
 *
 * A signed request is checked before anything else: the canonical Signature-Input, the
 * covered components (@method, @path, and content-digest matching the body), created within
 * EDGE_SKEW_S of the server's clock, a nonce not seen from this controller in the last
 * EDGE_NONCE_S seconds, and the signature by the controller's current key. A refusal is a
 * 401 with the reason, a log line naming the controller, and an edge.refused event.
 *
 * State kept across requests (struct http_edge): the nonces seen, and the long polls
 * waiting for a snapshot version (their connections are suspended, then resumed by
 * http_edge_wake from the policy thread on a publish, or the timer when their time is up).
 */
#include "http/handlers/handlers.h"
#include "http/handlers/shared.h"

#include "interop/interop.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define EDGE_SKEW_S         60
#define EDGE_NONCE_S        300
#define EDGE_NONCES_MAX     65536 /* remembered at once; past that the oldest go first */
#define EDGE_POLL_MAX_S     25
#define EDGE_BATCH_MAX      1000
#define REFUSAL_WINDOW_US   (10 * INT64_C(1000000))
#define REFUSALS_PER_WINDOW 50
#define EDGE_ENROLL_TTL     (24 * 3600 * INT64_C(1000000))

struct nonce {
    uint8_t hash[16]; /* BLAKE2b of (controller, nonce) */
    int64_t until_us;
};

/* A momentary unlock waiting for its controller's long poll. Kept in memory for
 * EDGE_COMMAND_TTL_US: an unlock that cannot be delivered by then is dropped, never
 * carried out late. Ids are the server's clock at queueing (strictly increasing), so they
 * keep growing across a restart. */
struct command {
    int64_t id;
    int64_t controller;
    int64_t door;
    uint32_t ms;
};
#define EDGE_COMMANDS       256
#define EDGE_COMMAND_TTL_US (30 * INT64_C(1000000))

struct waiter {
    struct http_req *r;
    int64_t controller;
    int64_t have;
    int64_t after;       /* commands after this id */
    int64_t deadline_us; /* monotonic */
    struct waiter *next;
};

struct http_edge {
    pthread_mutex_t mu;
    struct nonce *nonces; /* a ring, in arrival order */
    size_t n_nonces, head;
    struct waiter *waiters;
    int64_t refusal_window_us; /* refusals recorded in this window (see refuse) */
    int64_t refusals, refusals_suppressed;
    struct command commands[EDGE_COMMANDS]; /* a ring, oldest first */
    size_t n_commands, cmd_head;
    int64_t last_command_id;
    bool stopping;
};

int http_edge_new(struct http_edge **out)
{
    struct http_edge *e = xcalloc(1, sizeof(*e));
    pthread_mutex_init(&e->mu, NULL);
    e->nonces = xcalloc(EDGE_NONCES_MAX, sizeof(struct nonce));
    *out = e;
    return 0;
}

void http_edge_free(struct http_edge *e)
{
    if (e == NULL)
        return;
    pthread_mutex_destroy(&e->mu);
    free(e->nonces);
    free(e);
}

/* Records a nonce; false when it was seen within EDGE_NONCE_S. A linear scan of at most
 * EDGE_NONCES_MAX hashes: a few hundred microseconds at the worst, for a handful of
 * requests per controller per minute. */
static bool nonce_fresh(struct http_edge *e, int64_t controller, const char *nonce, int64_t now)
{
    struct nonce n;
    crypto_generichash_state st;
    bool fresh = true;
    crypto_generichash_init(&st, NULL, 0, sizeof(n.hash));
    crypto_generichash_update(&st, (const uint8_t *)&controller, sizeof(controller));
    crypto_generichash_update(&st, (const uint8_t *)nonce, strlen(nonce));
    crypto_generichash_final(&st, n.hash, sizeof(n.hash));
    n.until_us = now + EDGE_NONCE_S * INT64_C(1000000);
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->n_nonces && fresh; i++) {
        const struct nonce *x = &e->nonces[i];
        if (x->until_us > now && memcmp(x->hash, n.hash, sizeof(n.hash)) == 0)
            fresh = false;
    }
    if (fresh) {
        e->nonces[e->head] = n;
        e->head = (e->head + 1) % EDGE_NONCES_MAX;
        if (e->n_nonces < EDGE_NONCES_MAX)
            e->n_nonces++;
    }
    pthread_mutex_unlock(&e->mu);
    return fresh;
}

/* ---- refusals ------------------------------------------------------------------------- */

/* 401 with the reason; logged and recorded as an edge.refused event. Returns -EACCES (a
 * reply was set). */
static int refuse(struct http_req *r, int64_t controller, const char *fmt, ...) GH_PRINTF(3, 4);
static int refuse(struct http_req *r, int64_t controller, const char *fmt, ...)
{
    struct http_edge *e = r->srv->edge;
    char why[300];
    va_list ap;
    json_t *payload;
    struct event ev;
    int64_t now = gh_now_us(), suppressed = 0;
    bool record;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    /* a flood of refused requests (anyone may send them) must not flood the log and the
     * event store: at most REFUSALS_PER_WINDOW recorded per window, the rest counted and
     * said with the next one recorded */
    pthread_mutex_lock(&e->mu);
    if (now - e->refusal_window_us >= REFUSAL_WINDOW_US) {
        e->refusal_window_us = now;
        e->refusals = 0;
    }
    record = e->refusals++ < REFUSALS_PER_WINDOW;
    if (record) {
        suppressed = e->refusals_suppressed;
        e->refusals_suppressed = 0;
    } else {
        e->refusals_suppressed++;
    }
    pthread_mutex_unlock(&e->mu);
    http_problem(r, 401, "unauthorized", NULL, "%s", why);
    if (!record)
        return -EACCES;
    log_warn("request %s %s %s from %s: controller %lld refused: %s%s", r->id, r->method, r->url,
             r->client_addr, (long long)controller, why,
             suppressed ? " (and more refusals before, not recorded one by one)" : "");
    payload =
        json_pack("{s:s, s:s, s:s}", "reason", why, "path", r->url, "address", r->client_addr);
    if (controller > 0)
        json_object_set_new(payload, "controller", json_integer(controller));
    if (suppressed > 0)
        json_object_set_new(payload, "not_recorded_before", json_integer(suppressed));
    if (event_make(&ev, EV_EDGE_REFUSED, 0, 0, 0, payload) == 0 &&
        store_event_append(http_store(r), &ev) < 0)
        log_warn("request %s: the edge.refused event was not stored", r->id);
    return -EACCES;
}

/* ---- signed requests ------------------------------------------------------------------- */

static const char *header(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* Checks the request's signature; 0 with *c the controller, or -EACCES when refused (a
 * reply was set). */
static int authenticate(struct http_req *r, struct controller *c)
{
    const char *input = header(r, "Signature-Input"), *sig = header(r, "Signature");
    const char *digest = header(r, "Content-Digest");
    struct gh_sig_input in;
    struct gh_sig_component comp[GH_SIG_MAX_COMPONENTS];
    char sigb64[GH_SIG_B64_LEN], want[GH_DIGEST_LEN];
    struct gh_buf base;
    struct gh_err err = {{0}};
    bool has_method = false, has_path = false, has_digest = false;
    int64_t now = gh_now_us(), id;
    int rc;

    if (input == NULL || sig == NULL)
        return refuse(r, 0, "the request is not signed (Signature-Input and Signature)");
    if (gh_sig_input_parse(input, &in, &err) < 0)
        return refuse(r, 0, "%s", err.msg);
    if (gh_sig_value_parse(sig, in.label, sigb64, &err) < 0)
        return refuse(r, 0, "%s", err.msg);
    if (gh_parse_i64(in.keyid, 1, INT64_MAX, &id) < 0)
        return refuse(r, 0, "keyid '%s' is not a controller id", in.keyid);
    if ((rc = store_controller_get(http_store(r), id, c)) < 0 || c->key_id == 0)
        return refuse(r, id, "controller %lld is not enrolled", (long long)id);
    for (size_t i = 0; i < in.n; i++) {
        comp[i].name = in.names[i];
        if (strcmp(in.names[i], "@method") == 0) {
            comp[i].value = r->method;
            has_method = true;
        } else if (strcmp(in.names[i], "@path") == 0) {
            comp[i].value = r->url;
            has_path = true;
        } else if (strcmp(in.names[i], "content-digest") == 0 && digest != NULL) {
            comp[i].value = digest;
            has_digest = true;
        } else {
            return refuse(r, id, "the signature covers '%s', which this server does not check",
                          in.names[i]);
        }
    }
    if (!has_method || !has_path || (r->body.len > 0 && !has_digest))
        return refuse(r, id, "the signature must cover @method, @path and content-digest");
    if (has_digest) {
        gh_content_digest(r->body.data ? r->body.data : "", r->body.len, want);
        if (strcmp(want, digest) != 0)
            return refuse(r, id, "Content-Digest does not match the body");
    }
    if (in.created < now / 1000000 - EDGE_SKEW_S || in.created > now / 1000000 + EDGE_SKEW_S)
        return refuse(r, id,
                      "the signature was created %+lld s from the server's clock (at most "
                      "%d s either way): check the controller's clock",
                      (long long)(in.created - now / 1000000), EDGE_SKEW_S);
    if (in.nonce[0] == '\0')
        return refuse(r, id, "the signature has no nonce");
    gh_buf_init(&base, GH_SIG_HEADER_MAX * 4);
    rc = gh_sig_base(comp, in.n, in.params, &base, &err);
    if (rc == 0)
        rc = gh_sig_verify(c->public_key, base.data, base.len, sigb64);
    gh_buf_free(&base);
    if (rc < 0)
        return refuse(r, id, "the signature does not verify with controller %lld's key",
                      (long long)id);
    /* only a verified request uses up its nonce: a forger cannot burn a real one */
    if (!nonce_fresh(r->srv->edge, id, in.nonce, now))
        return refuse(r, id, "replayed request: nonce seen in the last %d s", EDGE_NONCE_S);
    store_controller_seen(http_store(r), id, now);
    return 0;
}

/* ---- enrollment ------------------------------------------------------------------------ */

HTTP_HANDLER(h_edge_enroll)
{
    struct http_form f;
    char token[128], pk_b64[64], hash[65];
    uint8_t pk[32];
    size_t n = 0;
    struct controller c;
    struct gh_err err = {{0}};
    int64_t key_id, now = gh_now_us();
    char server_pk[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    int rc;

    http_form_init(&f, r);
    http_form_string(&f, "token", true, token, sizeof(token));
    http_form_string(&f, "public_key", true, pk_b64, sizeof(pk_b64));
    if (http_form_finish(&f) < 0)
        return 0;
    if (sodium_base642bin(pk, sizeof(pk), pk_b64, strlen(pk_b64), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != 32)
        return http_problem(r, 422, "validation", NULL,
                            "public_key: must be an Ed25519 public key (32 bytes, base64)");
    gh_sha256_hex(token, hash);
    sodium_memzero(token, sizeof(token));
    if (http_write_begin(r) < 0)
        return 0;
    rc = store_controller_by_enroll(http_store(r), hash, &c);
    if (rc < 0 || c.enroll_expires_us <= now) {
        refuse(r, rc < 0 ? 0 : c.id,
               rc < 0 ? "the enrollment token is not known (used already, or never made)"
                      : "the enrollment token has expired: make a new one");
        store_commit(http_store(r)); /* keeps the edge.refused event */
        return 0;
    }
    if ((rc = store_controller_enroll(http_store(r), c.id, pk, now, &key_id, &err)) < 0)
        return fail_rollback(r, rc, &err);
    {
        json_t *payload = json_pack("{s:s, s:I, s:s}", "controller", c.name, "key",
                                    (json_int_t)key_id, "address", r->client_addr);
        struct event ev;
        if (event_make(&ev, EV_EDGE_ENROLLED, 0, 0, 0, payload) == 0)
            store_event_append(http_store(r), &ev);
    }
    if (http_write_commit(r) < 0)
        return 0;
    log_info("controller %lld '%s' enrolled a new key (%lld) from %s", (long long)c.id, c.name,
             (long long)key_id, r->client_addr);
    sodium_bin2base64(server_pk, sizeof(server_pk), r->srv->server_pk, 32,
                      sodium_base64_VARIANT_ORIGINAL);
    return http_reply_json(r, 200,
                           json_pack("{s:I, s:s, s:s}", "controller", (json_int_t)c.id, "name",
                                     c.name, "server_key", server_pk));
}

/* Makes a one-time enrollment token for a controller (shown once). */
HTTP_HANDLER(h_controller_enroll_token)
{
    struct controller c;
    char token[GH_ONETIME_TOKEN_LEN], hash[65];
    int64_t id, expires = gh_now_us() + EDGE_ENROLL_TTL;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if (http_write_begin(r) < 0)
        return 0;
    if ((rc = store_controller_get(http_store(r), id, &c)) < 0)
        return fail_rollback(r, rc, NULL);
    gh_onetime_token(token, hash);
    if ((rc = store_controller_set_enroll(http_store(r), id, hash, expires)) < 0)
        return fail_rollback(r, rc, NULL);
    if (http_write_commit(r) < 0)
        return 0;
    rc = http_reply_json(r, 201,
                         json_pack("{s:I, s:s, s:s, s:o}", "controller", (json_int_t)id, "name",
                                   c.name, "token", token, "expires", http_json_time(expires)));
    sodium_memzero(token, sizeof(token));
    return rc;
}

/* ---- snapshot ------------------------------------------------------------------------- */

struct door_list {
    struct access_edge_door *doors;
    size_t n, cap;
};

static int on_cdoor(void *ctx, const struct controller_door *row)
{
    struct door_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->doors = xreallocarray(l->doors, l->cap, sizeof(*l->doors));
    }
    l->doors[l->n++] = (struct access_edge_door){row->door_id, row->offline_pin_after_s,
                                                 row->offline_deny_after_s};
    return 0;
}

/* The signed document for controller c from the published snapshot; 0, or a reply was set. */
static int reply_snapshot(struct http_req *r, const struct controller *c, int64_t have)
{
    struct access_engine *eng = r->srv->engine;
    const struct access_snapshot *snap;
    struct door_list l = {NULL, 0, 0};
    uint8_t card_key[32];
    struct gh_buf doc;
    struct gh_err err = {{0}};
    char sig[GH_SIG_B64_LEN], hdr[GH_SIG_B64_LEN + 4], ver[24];
    struct access_edge_export o;
    int rc;

    if ((rc = store_controller_door_list(http_store(r), c->id, on_cdoor, &l)) < 0) {
        free(l.doors);
        return http_problem_from(r, rc, NULL);
    }
    snap = access_engine_acquire(eng);
    if (snap == NULL) {
        free(l.doors);
        access_engine_release(eng, snap);
        return http_problem(r, 503, "unavailable", NULL, "no decision snapshot is published");
    }
    if (access_snapshot_version(snap) <= have) {
        gh_snprintf(ver, sizeof(ver), "%lld", (long long)access_snapshot_version(snap));
        access_engine_release(eng, snap);
        free(l.doors);
        http_reply_header(r, "Snapshot-Version", ver);
        return http_reply_empty(r, 204);
    }
    access_edge_card_key(r->srv->site_key, c->id, card_key);
    o = (struct access_edge_export){c->id, gh_now_us(), card_key, l.doors, l.n};
    gh_buf_init(&doc, ACCESS_EDGE_MAX_BYTES);
    rc = access_edge_export(snap, &o, &doc, &err);
    access_engine_release(eng, snap);
    sodium_memzero(card_key, sizeof(card_key));
    free(l.doors);
    if (rc < 0) {
        gh_buf_free(&doc);
        return http_problem_from(r, rc, &err);
    }
    gh_sig_sign(r->srv->server_sk, doc.data, doc.len, sig);
    gh_snprintf(hdr, sizeof(hdr), ":%s:", sig);
    http_reply_header(r, "Snapshot-Signature", hdr);
    rc = http_reply_text(r, 200, "application/json", doc.data, doc.len);
    sodium_memzero(doc.data, doc.len); /* the card and PIN keys */
    gh_buf_free(&doc);
    return rc;
}

HTTP_HANDLER(h_edge_snapshot)
{
    struct controller c;
    struct http_form f;
    int64_t have = 0;
    if (authenticate(r, &c) != 0)
        return 0;
    http_form_init(&f, r);
    http_form_int(&f, "have", false, 0, INT64_MAX, &have);
    if (http_form_finish(&f) < 0)
        return 0;
    return reply_snapshot(r, &c, have);
}

/* ---- events ----------------------------------------------------------------------------- */

static const enum event_type edge_types[] = {EV_ACCESS_DECISION, EV_DOOR_FORCED, EV_DOOR_HELD,
                                             EV_DOOR_REX,        EV_DOOR_STATE,  EV_DOOR_TAMPER,
                                             EV_EDGE_OVERFLOW,   EV_EDGE_REFUSED};

/* One uploaded event into ev; -EINVAL with err naming the field. */
static int edge_event(json_t *v, size_t i, int64_t source, struct event *ev, struct gh_err *err)
{
    json_error_t je;
    json_int_t seq, t, door = 0, decision = -1, reason = -1;
    const char *type;
    json_t *payload = NULL;
    enum event_type et;
    char *text;
    bool allowed = false;

    if (json_unpack_ex(v, &je, JSON_STRICT, "{s:I, s:I, s:s, s?I, s?I, s?I, s?o}", "seq", &seq,
                       "time_us", &t, "type", &type, "door", &door, "decision", &decision, "reason",
                       &reason, "payload", &payload) != 0)
        return gh_fail(err, -EINVAL, "events[%zu]: %s", i, je.text);
    if (event_type_parse(type, &et, err) < 0)
        return gh_fail(err, -EINVAL, "events[%zu].type: unknown type '%s'", i, type);
    for (size_t k = 0; k < GH_ARRAY_LEN(edge_types); k++)
        allowed |= edge_types[k] == et;
    if (!allowed)
        return gh_fail(err, -EINVAL, "events[%zu].type: a controller does not send '%s'", i, type);
    if (seq < 1 || door < 0 || decision < -1 || decision > 1 || reason < -1 ||
        reason >= REASON_COUNT || (payload != NULL && !json_is_object(payload)))
        return gh_fail(err, -EINVAL,
                       "events[%zu]: seq, door, decision, reason or payload out "
                       "of range",
                       i);
    memset(ev, 0, sizeof(*ev));
    ev->source = source;
    ev->source_seq = seq;
    ev->time_us = t;
    ev->type = et;
    ev->door_id = door;
    ev->decision = (int)decision;
    ev->reason = (int)reason;
    if (payload != NULL) {
        json_int_t cred = 0, person = 0;
        json_unpack(payload, "{s?I, s?I}", "credential_id", &cred, "person_id", &person);
        ev->credential_id = cred > 0 ? cred : 0;
        ev->person_id = person > 0 ? person : 0;
        text = json_dumps(payload, JSON_COMPACT);
        if (text == NULL || strlen(text) >= sizeof(ev->payload)) {
            free(text);
            return gh_fail(err, -EINVAL, "events[%zu].payload: longer than %zu bytes", i,
                           sizeof(ev->payload) - 1);
        }
        gh_strlcpy(ev->payload, text, sizeof(ev->payload));
        free(text);
    }
    return 0;
}

int http_edge_events_parse(json_t *body, int64_t source, struct event **out, size_t *n_out,
                           struct gh_err *err)
{
    json_t *events, *v;
    json_error_t je;
    struct event *evs;
    size_t i, n;

    *out = NULL;
    *n_out = 0;
    if (json_unpack_ex(body, &je, JSON_STRICT, "{s:o}", "events", &events) != 0 ||
        !json_is_array(events))
        return gh_fail(err, -EINVAL, "the body must be {\"events\": [...]}");
    n = json_array_size(events);
    if (n > EDGE_BATCH_MAX)
        return gh_fail(err, -EINVAL, "at most %d events per batch", EDGE_BATCH_MAX);
    evs = xcalloc(n ? n : 1, sizeof(*evs));
    json_array_foreach(events, i, v)
    {
        if (edge_event(v, i, source, &evs[i], err) < 0) {
            free(evs);
            return -EINVAL;
        }
        if (i > 0 && evs[i].source_seq != evs[i - 1].source_seq + 1) {
            free(evs);
            return gh_fail(err, -EINVAL, "events[%zu].seq: the batch must be in order with no gap",
                           i);
        }
    }
    *out = evs;
    *n_out = n;
    return 0;
}

/* Adds "key": value to an event's payload (a JSON object's text). */
static void payload_note(struct event *ev, const char *key, int64_t value)
{
    size_t n = strlen(ev->payload);
    char add[80];
    gh_snprintf(add, sizeof(add), "%s\"%s\":%lld}", n > 2 ? "," : "", key, (long long)value);
    if (n == 0) {
        gh_snprintf(ev->payload, sizeof(ev->payload), "{%s", add);
    } else if (ev->payload[n - 1] == '}' && n - 1 + strlen(add) < sizeof(ev->payload)) {
        gh_strlcpy(ev->payload + n - 1, add, sizeof(ev->payload) - (n - 1));
    }
}

struct door_set {
    int64_t ids[256];
    size_t n;
};

static int on_own_door(void *ctx, const struct controller_door *row)
{
    struct door_set *d = ctx;
    if (d->n < GH_ARRAY_LEN(d->ids))
        d->ids[d->n++] = row->door_id;
    return 0;
}

/* A controller's key is good for its own doors only: an event naming another door, or a
 * credential that is not that person's, is kept (the controller said it) but not filed
 * under them; what it claimed is in the payload. */
static void check_claims(struct http_req *r, const struct door_set *doors, struct event *ev)
{
    bool own = ev->door_id == 0;
    for (size_t i = 0; i < doors->n && !own; i++)
        own = doors->ids[i] == ev->door_id;
    if (!own) {
        payload_note(ev, "claimed_door", ev->door_id);
        ev->door_id = 0;
    }
    if (ev->credential_id != 0) {
        struct credential c;
        if (store_credential_get(http_store(r), ev->credential_id, &c) < 0 ||
            c.person_id != ev->person_id) {
            payload_note(ev, "unverified_credential", ev->credential_id);
            ev->credential_id = ev->person_id = 0;
        }
    } else if (ev->person_id != 0) {
        payload_note(ev, "unverified_person", ev->person_id);
        ev->person_id = 0;
    }
}

HTTP_HANDLER(h_edge_events)
{
    struct door_set doors = {{0}, 0};
    struct controller c;
    struct event *evs = NULL;
    struct gh_err err = {{0}};
    int64_t acked, expect;
    size_t i, n, stored = 0;
    int rc;

    if (authenticate(r, &c) != 0)
        return 0;
    if (http_edge_events_parse(r->json, c.key_id, &evs, &n, &err) < 0) {
        log_warn("request %s: controller %lld sent a batch refused whole: %s", r->id,
                 (long long)c.id, err.msg);
        return http_problem(r, 422, "validation", NULL, "%s", err.msg);
    }
    if (http_write_begin(r) < 0) {
        free(evs);
        return 0;
    }
    store_controller_door_list(http_store(r), c.id, on_own_door, &doors);
    acked = store_edge_acked(http_store(r), c.key_id);
    expect = acked + 1;
    /* a key's first events may start past 1: a board enrolled again keeps its journal,
     * whose sequence goes on from where it was */
    if (acked == 0 && n > 0)
        expect = evs[0].source_seq;
    for (i = 0; i < n && acked >= 0; i++) {
        if (evs[i].source_seq < expect)
            continue; /* stored before: a batch sent again after a lost answer */
        if (evs[i].source_seq > expect)
            break; /* a gap: what follows waits until the missing events come */
        check_claims(r, &doors, &evs[i]);
        if ((rc = store_event_append(http_store(r), &evs[i])) < 0) {
            free(evs);
            return fail_rollback(r, rc, NULL);
        }
        stored++;
        expect++;
    }
    free(evs);
    if (acked < 0)
        return fail_rollback(r, -EIO, NULL);
    if (http_write_commit(r) < 0)
        return 0;
    return http_reply_json(
        r, 200,
        json_pack("{s:I, s:I}", "acked", (json_int_t)(expect - 1), "stored", (json_int_t)stored));
}

/* ---- heartbeat -------------------------------------------------------------------------- */

HTTP_HANDLER(h_edge_heartbeat)
{
    struct controller c;
    json_int_t version = 0, issued = 0, applied = 0, clock = 0;
    int64_t now = gh_now_us(), offset, lag = -1;
    char *text;
    json_t *copy;
    int rc;

    if (authenticate(r, &c) != 0)
        return 0;
    if (json_unpack(r->json, "{s:I, s:I, s:I, s:I}", "time_us", &clock, "snapshot_version",
                    &version, "snapshot_issued_us", &issued, "snapshot_applied_us", &applied) != 0)
        return http_problem(r, 422, "validation", NULL,
                            "a heartbeat has time_us, snapshot_version, snapshot_issued_us and "
                            "snapshot_applied_us (integers)");
    offset = now - clock; /* the controller's clock is this far behind */
    if (version > 0 && issued > 0 && applied > 0)
        lag = (applied + offset - issued) / 1000;
    copy = json_deep_copy(r->json);
    json_object_set_new(copy, "clock_offset_ms", json_integer(offset / 1000));
    json_object_set_new(copy, "received", http_json_time(now));
    json_object_set_new(copy, "received_us", json_integer(now));
    text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    if (text == NULL || strlen(text) >= STORE_HEALTH_MAX) {
        free(text);
        return http_problem(r, 422, "validation", NULL, "the heartbeat is longer than %d bytes",
                            STORE_HEALTH_MAX - 1);
    }
    rc = store_controller_health(http_store(r), c.id, now, text, version, lag);
    free(text);
    if (rc < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, json_pack("{s:I}", "time_us", (json_int_t)now));
}

/* ---- the long poll ------------------------------------------------------------------------ */

/* Whether controller has commands after `after` (call with e->mu held). */
static bool has_commands(struct http_edge *e, int64_t controller, int64_t after, int64_t now)
{
    for (size_t i = 0; i < e->n_commands; i++) {
        const struct command *c = &e->commands[(e->cmd_head + i) % EDGE_COMMANDS];
        if (c->controller == controller && c->id > after && now - c->id < EDGE_COMMAND_TTL_US)
            return true;
    }
    return false;
}

static json_t *poll_answer(struct http_server *srv, int64_t controller, int64_t after)
{
    struct http_edge *e = srv->edge;
    json_t *cmds = json_array();
    int64_t v, now = gh_now_us();
    pthread_mutex_lock(&srv->policy_mu);
    v = srv->snapshot_version;
    pthread_mutex_unlock(&srv->policy_mu);
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->n_commands; i++) {
        const struct command *c = &e->commands[(e->cmd_head + i) % EDGE_COMMANDS];
        if (c->controller == controller && c->id > after && now - c->id < EDGE_COMMAND_TTL_US)
            json_array_append_new(cmds, json_pack("{s:I, s:s, s:I, s:i}", "id", (json_int_t)c->id,
                                                  "do", "unlock", "door", (json_int_t)c->door,
                                                  "unlock_ms", (int)c->ms));
    }
    pthread_mutex_unlock(&e->mu);
    return json_pack("{s:I, s:o}", "snapshot", (json_int_t)v, "commands", cmds);
}

HTTP_HANDLER(h_edge_commands)
{
    struct controller c;
    struct http_form f;
    struct http_edge *e = r->srv->edge;
    int64_t have = 0, after = 0, wait_s = EDGE_POLL_MAX_S, current;
    struct waiter *w;
    bool ready;

    if (authenticate(r, &c) != 0)
        return 0;
    http_form_init(&f, r);
    http_form_int(&f, "have", true, 0, INT64_MAX, &have);
    http_form_int(&f, "after", false, 0, INT64_MAX, &after);
    http_form_int(&f, "wait_s", false, 0, EDGE_POLL_MAX_S, &wait_s);
    if (http_form_finish(&f) < 0)
        return 0;
    pthread_mutex_lock(&r->srv->policy_mu);
    current = r->srv->snapshot_version;
    pthread_mutex_unlock(&r->srv->policy_mu);
    w = xcalloc(1, sizeof(*w));
    *w = (struct waiter){r, c.id, have, after, gh_monotonic_us() + wait_s * INT64_C(1000000), NULL};
    pthread_mutex_lock(&e->mu);
    ready =
        current > have || wait_s == 0 || e->stopping || has_commands(e, c.id, after, gh_now_us());
    if (!ready) {
        /* suspended before the waiter is visible: a waker may resume it at once */
        r->deferred = true;
        MHD_suspend_connection(r->conn);
        w->next = e->waiters;
        e->waiters = w;
    }
    pthread_mutex_unlock(&e->mu);
    if (ready) {
        free(w);
        return http_reply_json(r, 200, poll_answer(r->srv, c.id, after));
    }
    return 0;
}

/* A momentary unlock of a door, for the controller that drives it. */
HTTP_HANDLER(h_door_unlock)
{
    struct http_edge *e = r->srv->edge;
    struct http_form f;
    int64_t door, seconds = 5, controller, id;
    struct command *c;
    json_t *payload;
    int rc;

    if (http_param_id(r, "id", &door) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_int(&f, "seconds", false, 1, 3600, &seconds);
    if (http_form_finish(&f) < 0)
        return 0;
    if (http_write_begin(r) < 0)
        return 0;
    if ((rc = store_door_get(http_store(r), door, &(struct door){0})) < 0)
        return fail_rollback(r, rc, NULL);
    controller = store_controller_of_door(http_store(r), door);
    if (controller < 0)
        return fail_rollback(r, -EIO, NULL);
    if (controller == 0) {
        http_write_rollback(r);
        return http_problem(r, 409, "conflict", NULL,
                            "door %lld is driven by no controller: nothing can unlock it",
                            (long long)door);
    }
    payload = json_pack("{s:s, s:I, s:I}", "action", "momentary_unlock", "seconds",
                        (json_int_t)seconds, "controller", (json_int_t)controller);
    if ((rc = http_log_event(r, EV_OPERATOR_ACTION, door, 0, 0, payload)) < 0)
        return fail_rollback(r, rc, NULL);
    if (http_write_commit(r) < 0)
        return 0;
    pthread_mutex_lock(&e->mu);
    id = gh_now_us();
    if (id <= e->last_command_id)
        id = e->last_command_id + 1;
    e->last_command_id = id;
    if (e->n_commands == EDGE_COMMANDS) {
        e->cmd_head = (e->cmd_head + 1) % EDGE_COMMANDS;
        e->n_commands--;
    }
    c = &e->commands[(e->cmd_head + e->n_commands++) % EDGE_COMMANDS];
    *c = (struct command){id, controller, door, (uint32_t)seconds * 1000u};
    pthread_mutex_unlock(&e->mu);
    http_edge_wake(r->srv, false);
    return http_reply_json(r, 202,
                           json_pack("{s:I, s:I, s:I}", "command", (json_int_t)id, "controller",
                                     (json_int_t)controller, "door", (json_int_t)door));
}

void http_edge_wake(struct http_server *srv, bool all)
{
    struct http_edge *e = srv->edge;
    struct waiter *done = NULL, **p;
    int64_t now = gh_monotonic_us(), wall = gh_now_us(), current;
    if (e == NULL)
        return;
    pthread_mutex_lock(&srv->policy_mu);
    current = srv->snapshot_version;
    pthread_mutex_unlock(&srv->policy_mu);
    pthread_mutex_lock(&e->mu);
    if (all)
        e->stopping = true;
    p = &e->waiters;
    while (*p != NULL) {
        struct waiter *w = *p;
        if (all || current > w->have || now >= w->deadline_us ||
            has_commands(e, w->controller, w->after, wall)) {
            *p = w->next;
            w->next = done;
            done = w;
        } else {
            p = &w->next;
        }
    }
    pthread_mutex_unlock(&e->mu);
    while (done != NULL) {
        struct waiter *w = done;
        done = w->next;
        http_reply_json(w->r, 200, poll_answer(srv, w->controller, w->after));
        MHD_resume_connection(w->r->conn);
        free(w);
    }
}
