/*
 * daemon.c: `gatehouse edge`, the door controller's event loop.
 *
 * One thread, one loop: curl_multi_poll() waits on the server link's sockets, the simulator
 * driver's socket and its clients, a self-pipe for SIGINT/SIGTERM, and the next timer (door
 * deadlines, heartbeat, retry). Each turn:
 *   1. reads what the simulator's clients sent and decides each card read from the snapshot
 *      (the same engine as the server), appending decisions and door transitions to the
 *      journal;
 *   2. commits the journal (one fsync for the turn): nothing acts before it is durable;
 *   3. only then releases doors for grants and answers the clients; those transitions go in
 *      a second group, committed before the turn ends;
 *   4. runs the link: the long poll (a newer snapshot is out), the snapshot fetch (checked
 *      against the server's key, never older than the one held, kept on disk), the upload
 *      of journal events in order (pruned up to what the server acknowledged), and the
 *      heartbeat. A request that fails moves to the next server of the list; once every
 *      server failed, the link waits with exponential backoff and jitter.
 * Offline (no answer from any server), doors keep deciding from the last snapshot within
 * their offline policy: card + PIN after offline_pin_after_s, every read denied
 * (controller_offline) after offline_deny_after_s.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "edge/edge.h"

#include "access/access.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_SERVERS     8
#define MAX_CLIENTS     16
#define MAX_DOORS       64
#define UPLOAD_BATCH    500
#define UPLOAD_EVERY_MS 100 /* uploads gather what came in this long (or a full batch) */
#define BACKOFF_MIN_MS  250
#define BACKOFF_MAX_MS  30000
#define CLIENT_BUF      4096
#define REFUSED_WAIT_MS 5000
#define FLUSH_MS        2                 /* door transitions wait at most this long for a group */
#define SNAPSHOT_FILE   "snapshot.signed" /* the signature's line, then the document */
#define IDENTITY_FILE   "controller.json"
#define JOURNAL_FILE    "journal.db"
#define COMMANDS_FILE   "command.last"

enum link_kind { L_POLL, L_SNAPSHOT, L_UPLOAD, L_HEARTBEAT, L_COUNT };
static const char *const link_path[L_COUNT] = {"/edge/v1/commands", "/edge/v1/snapshot",
                                               "/edge/v1/events", "/edge/v1/heartbeat"};

struct link_req {
    CURL *h;
    struct curl_slist *hdrs;
    struct gh_buf out; /* the request body */
    struct gh_buf in;  /* the response body */
    char sig_hdr[GH_SIG_B64_LEN + 8];
    int64_t upload_last; /* L_UPLOAD: the last sequence sent */
    bool busy;
    int server;            /* the index of the server it went to */
    int64_t not_before_ms; /* after a refusal, this kind waits until then */
};

struct client {
    int fd;
    char buf[CLIENT_BUF];
    size_t len;
    bool skipping; /* a line too long: discarded up to its end */
    bool closed;   /* it went away: removed at the end of the turn */
};

struct edoor {
    struct access_door_info info;
    struct door_sm sm;
};

struct edge {
    const struct edge_options *o;
    char servers[MAX_SERVERS][512];
    int n_servers, cur, round_fails;
    int64_t controller_id;
    char keyid[24];
    uint8_t pk[32], sk[64], server_pk[32];

    struct edge_journal *j;
    bool turn_open;
    int64_t flush_at_ms;  /* an open group with no decision in it is committed by then */
    int64_t upload_at_ms; /* when the last upload began */
    struct access_snapshot *snap;
    struct access_state *state;
    int64_t snap_issued_us, snap_applied_us;
    struct edoor doors[MAX_DOORS];
    int n_doors;

    CURLM *multi;
    struct link_req link[L_COUNT];
    int64_t next_try_ms;     /* backoff: no request before (monotonic ms) */
    int64_t next_beat_ms;    /* heartbeat */
    int64_t last_contact_us; /* wall clock of the last answer from a server (0: none yet) */
    int64_t cmd_after;       /* the last server command carried out */
    int64_t want_version;    /* the newest version the long poll announced */
    int64_t refused_version; /* a version this controller refused (not fetched again) */

    int listen_fd;
    struct client clients[MAX_CLIENTS];
    int n_clients;
    int sig_pipe[2];
    struct gh_err err;
};

static int sig_write_fd = -1;
static void on_stop_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;
    if (sig_write_fd >= 0 && write(sig_write_fd, &c, 1) < 0) {
        /* the pipe is full: a stop is already pending */
    }
    errno = saved;
}

static int64_t mono_ms(void)
{
    return gh_monotonic_us() / 1000;
}

/* The controller's wall clock: the system's, moved forward by the simulator's `advance`
 * (simulated time for tests and the demo: decisions, journal times, offline time). */
static int64_t skew_us;
static int64_t now_us(void)
{
    return gh_now_us() + skew_us;
}

/* ---- the journal --------------------------------------------------------------------- */

static int journal(struct edge *e, struct edge_event *ev)
{
    int r;
    if (!e->turn_open) {
        if ((r = edge_journal_begin(e->j, &e->err)) < 0)
            return r;
        e->turn_open = true;
    }
    if (ev->time_us == 0)
        ev->time_us = now_us();
    return edge_journal_append(e->j, ev, &e->err) < 0 ? -EIO : 0;
}

static int turn_commit(struct edge *e)
{
    int r = 0;
    e->flush_at_ms = 0;
    if (e->turn_open) {
        r = edge_journal_commit(e->j, &e->err);
        e->turn_open = false;
    }
    return r;
}

static void on_door_note(void *ctx, const struct door_note *n)
{
    struct edge *e = ctx;
    struct edge_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.door_id = n->door_id;
    ev.decision = ev.reason = -1;
    switch (n->kind) {
    case DOOR_NOTE_FORCED:
        gh_strlcpy(ev.type, "door.forced", sizeof(ev.type));
        break;
    case DOOR_NOTE_HELD:
        gh_strlcpy(ev.type, "door.held", sizeof(ev.type));
        break;
    case DOOR_NOTE_REX:
        gh_strlcpy(ev.type, "door.rex", sizeof(ev.type));
        break;
    default:
        gh_strlcpy(ev.type, "door.state", sizeof(ev.type));
        break;
    }
    gh_snprintf(ev.payload, sizeof(ev.payload), "{\"state\":\"%s\"}", door_note_name(n->kind));
    if (journal(e, &ev) < 0)
        log_error("journal: %s", e->err.msg);
}

/* ---- the snapshot ----------------------------------------------------------------------- */

static struct edoor *door_find(struct edge *e, const char *key)
{
    int64_t id = 0;
    bool numeric = gh_parse_i64(key, 1, INT64_MAX, &id) == 0;
    for (int i = 0; i < e->n_doors; i++)
        if ((numeric && e->doors[i].info.id == id) ||
            (!numeric && gh_streq_nocase(e->doors[i].info.name, key)))
            return &e->doors[i];
    return NULL;
}

/* Makes the door machines follow a new snapshot: settings and lockdown; the state of a
 * door that stays (open, alarms, windows) is kept. */
static void doors_follow(struct edge *e)
{
    struct edoor old[MAX_DOORS];
    int n_old = e->n_doors, n = access_snapshot_door_count(e->snap);
    int64_t now = mono_ms();
    memcpy(old, e->doors, sizeof(old));
    if (n > MAX_DOORS) {
        log_warn("the snapshot has %d doors; this controller drives at most %d", n, MAX_DOORS);
        n = MAX_DOORS;
    }
    e->n_doors = 0;
    for (int i = 0; i < n; i++) {
        struct edoor *d = &e->doors[e->n_doors];
        struct door_config cfg;
        int k;
        if (access_snapshot_door_at(e->snap, i, &d->info) != 0)
            continue;
        cfg = (struct door_config){d->info.id, (uint32_t)d->info.unlock_ms,
                                   (uint32_t)d->info.held_open_s * 1000u,
                                   (uint32_t)d->info.held_open_s * 200u, d->info.fail_safe};
        for (k = 0; k < n_old && old[k].info.id != d->info.id; k++)
            ;
        if (k < n_old) {
            d->sm = old[k].sm;
            d->sm.cfg = cfg;
        } else {
            door_init(&d->sm, &cfg, on_door_note, e);
        }
        d->sm.emit = on_door_note;
        d->sm.ctx = e;
        if (d->sm.lockdown != d->info.locked_down)
            door_lockdown(&d->sm, d->info.locked_down, now);
        e->n_doors++;
    }
}

static int apply_snapshot(struct edge *e, struct access_snapshot *snap, int64_t issued_us)
{
    access_state_free(e->state);
    access_snapshot_free(e->snap);
    e->snap = snap;
    e->state = access_state_new(snap);
    e->snap_issued_us = issued_us;
    e->snap_applied_us = now_us();
    e->next_beat_ms = 0; /* the server learns at once which version this controller applies */
    doors_follow(e);
    log_info("deciding from snapshot version %lld (%d doors, %zu credentials)",
             (long long)access_snapshot_version(snap), e->n_doors,
             access_snapshot_credentials(snap));
    return 0;
}

/* Verifies and parses a document; 0 with *out, or a negative code with e->err. */
static int check_snapshot(struct edge *e, const char *doc, size_t len, const char *sig_b64,
                          struct access_snapshot **out, struct access_edge_info *info)
{
    struct access_edge_import want = {e->controller_id};
    if (gh_sig_verify(e->server_pk, doc, len, sig_b64) != 0)
        return gh_fail(&e->err, -EACCES,
                       "the snapshot's signature does not verify with the server's key");
    return access_edge_import(doc, len, &want, out, info, &e->err);
}

/* An edge.refused event in the journal: the server learns what this controller refused. */
static void refused_event(struct edge *e, const char *what, const char *why)
{
    struct edge_event ev;
    size_t n = strlen(why) > 200 ? 200 : strlen(why); /* the payload holds 511 bytes */
    json_t *p = json_pack("{s:s, s:s#}", "refused", what, "reason", why, n);
    char *t = json_dumps(p, JSON_COMPACT);
    memset(&ev, 0, sizeof(ev));
    gh_strlcpy(ev.type, "edge.refused", sizeof(ev.type));
    ev.decision = ev.reason = -1;
    if (t != NULL)
        gh_strlcpy(ev.payload, t, sizeof(ev.payload));
    free(t);
    json_decref(p);
    if (journal(e, &ev) < 0)
        log_error("journal: %s", e->err.msg);
}

static int load_snapshot(struct edge *e)
{
    char path[4096], *text = NULL, *nl;
    size_t len = 0;
    struct access_snapshot *snap = NULL;
    struct access_edge_info info;
    int r;
    gh_snprintf(path, sizeof(path), "%s/%s", e->o->data_dir, SNAPSHOT_FILE);
    r = gh_read_file(path, ACCESS_EDGE_MAX_BYTES + GH_SIG_B64_LEN + 1, &text, &len, &e->err);
    if (r == -ENOENT) {
        log_info("no snapshot on disk yet: card reads wait for the first one");
        return 0;
    }
    if (r == 0 && ((nl = memchr(text, '\n', len)) == NULL || nl - text >= GH_SIG_B64_LEN))
        r = gh_fail(&e->err, -EINVAL, "%s: not a signature line and a document", path);
    if (r == 0) {
        *nl = '\0';
        r = check_snapshot(e, nl + 1, len - (size_t)(nl + 1 - text), text, &snap, &info);
    }
    if (r == 0) {
        apply_snapshot(e, snap, info.issued_us);
    } else {
        log_error("the snapshot on disk is refused: %s", e->err.msg);
        refused_event(e, "the snapshot on disk", e->err.msg);
    }
    free(text);
    return 0; /* a bad file is replaced by the next good one from the server */
}

/* A snapshot from the server: verified, not older, written to disk, then decided from. */
static int take_snapshot(struct edge *e, const char *doc, size_t len, const char *sig_hdr)
{
    struct access_snapshot *snap = NULL;
    struct access_edge_info info;
    char sig[GH_SIG_B64_LEN], path[4096];
    size_t n = strlen(sig_hdr);
    int r;

    if (n < 3 || n - 2 >= sizeof(sig) || sig_hdr[0] != ':' || sig_hdr[n - 1] != ':') {
        r = gh_fail(&e->err, -EACCES, "the snapshot came without its signature");
    } else {
        memcpy(sig, sig_hdr + 1, n - 2);
        sig[n - 2] = '\0';
        r = check_snapshot(e, doc, len, sig, &snap, &info);
    }
    if (r == 0 && e->snap != NULL && info.version <= access_snapshot_version(e->snap)) {
        r = gh_fail(&e->err, -ESTALE, "snapshot version %lld is not newer than %lld",
                    (long long)info.version, (long long)access_snapshot_version(e->snap));
        access_snapshot_free(snap);
    }
    if (r == 0) {
        /* one file, the signature's line then the document: a crash leaves the old pair or
         * the new one, never one's signature with the other's document */
        struct gh_buf file;
        gh_buf_init(&file, ACCESS_EDGE_MAX_BYTES + GH_SIG_B64_LEN + 1);
        r = gh_buf_printf(&file, "%s\n", sig);
        if (r == 0)
            r = gh_buf_append(&file, doc, len);
        gh_snprintf(path, sizeof(path), "%s/%s", e->o->data_dir, SNAPSHOT_FILE);
        if (r == 0)
            r = gh_write_file_atomic(path, file.data, file.len, 0600, &e->err);
        else
            gh_fail(&e->err, r, "the snapshot is too large to keep");
        gh_buf_free(&file);
        if (r < 0) {
            log_error("the snapshot could not be kept on disk: %s", e->err.msg);
            access_snapshot_free(snap);
            return r;
        }
        apply_snapshot(e, snap, info.issued_us);
        return 0;
    }
    log_error("snapshot refused: %s", e->err.msg);
    refused_event(e, "a snapshot from the server", e->err.msg);
    return r;
}

/* ---- decisions --------------------------------------------------------------------------- */

static int64_t offline_s(const struct edge *e)
{
    int64_t since = e->last_contact_us ? e->last_contact_us : e->snap_issued_us;
    int64_t d = (now_us() - since) / 1000000;
    return d > 0 ? d : 0;
}

static void reply(struct client *c, const char *fmt, ...) GH_PRINTF(2, 3);
static void reply(struct client *c, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(c->fd, line, (size_t)n) < 0) {
        /* the client went away: noticed when its socket is read */
    }
}

/* What a swipe needs after the commit. */
struct pending {
    struct client *c;
    struct edoor *d;
    bool granted;
    enum access_reason reason;
    int64_t seq;
};

static void decide_swipe(struct edge *e, struct client *c, const struct edge_sim_cmd *cmd,
                         struct pending *p)
{
    struct access_request rq;
    struct access_result res;
    struct edge_event ev;
    struct edoor *d = door_find(e, cmd->door);
    int64_t off = offline_s(e);
    /* offline: no answer from any server for two heartbeat periods (every period brings
     * at least the heartbeat's answer) */
    bool offline = e->last_contact_us == 0 ||
                   now_us() - e->last_contact_us > 2 * e->o->heartbeat_s * INT64_C(1000000);
    char bits[EDGE_SIM_MAX_BITS + 1];

    memset(p, 0, sizeof(*p));
    p->c = c;
    if (e->snap == NULL) {
        reply(c, "error no snapshot yet: this controller has not been able to reach a server");
        return;
    }
    if (d == NULL) {
        reply(c, "error unknown door %s", cmd->door);
        return;
    }
    memset(&rq, 0, sizeof(rq));
    rq.door_id = d->info.id;
    rq.direction = DIR_ENTRY;
    rq.cred.raw = true;
    memcpy(rq.cred.bits, cmd->bits, cmd->nbits);
    rq.cred.nbits = cmd->nbits;
    rq.pin = cmd->pin[0] ? cmd->pin : NULL;
    rq.time_us = now_us();
    rq.require_pin =
        offline && d->info.offline_pin_after_s > 0 && off >= d->info.offline_pin_after_s;
    access_decide(e->snap, e->state, &rq, &res, NULL);
    if (offline && d->info.offline_deny_after_s > 0 && off >= d->info.offline_deny_after_s) {
        res.granted = false;
        res.reason = REASON_CONTROLLER_OFFLINE;
    }
    if (res.granted && d->sm.lockdown) { /* the machine's lockdown is the last word */
        res.granted = false;
        res.reason = REASON_DOOR_LOCKED_DOWN;
    }
    for (size_t i = 0; i < cmd->nbits; i++)
        bits[i] = (char)('0' + cmd->bits[i]);
    bits[cmd->nbits] = '\0';
    memset(&ev, 0, sizeof(ev));
    gh_strlcpy(ev.type, "access.decision", sizeof(ev.type));
    ev.time_us = rq.time_us;
    ev.door_id = d->info.id;
    ev.decision = res.granted;
    ev.reason = (int)res.reason;
    if (res.credential_id != 0)
        gh_snprintf(ev.payload, sizeof(ev.payload),
                    "{\"credential_id\":%lld,\"person_id\":%lld,\"policy_version\":%lld,"
                    "\"offline_s\":%lld}",
                    (long long)res.credential_id, (long long)res.person_id,
                    (long long)res.policy_version, (long long)(offline ? off : 0));
    else
        gh_snprintf(ev.payload, sizeof(ev.payload),
                    "{\"bits\":\"%s\",\"policy_version\":%lld,\"offline_s\":%lld}", bits,
                    (long long)res.policy_version, (long long)(offline ? off : 0));
    if (journal(e, &ev) < 0) {
        log_error("journal: %s", e->err.msg);
        reply(c, "error the journal failed: %s", e->err.msg);
        return;
    }
    if (res.granted)
        access_state_commit(e->state, e->snap, &res);
    p->d = d;
    p->granted = res.granted;
    p->reason = res.reason;
    p->seq = ev.seq;
}

static void door_state_line(struct client *c, const struct edoor *d)
{
    const struct door_sm *s = &d->sm;
    reply(c, "state %s lock=%s open=%s lockdown=%s fault=%s alarm=%s", d->info.name,
          s->output == DOOR_UNLOCKED ? "unlocked" : "locked", s->open ? "yes" : "no",
          s->lockdown ? "yes" : "no", s->fault ? "yes" : "no",
          s->forced ? "forced"
          : s->held ? "held"
                    : "none");
}

/* One command line of a client. Swipes are decided now and finished after the commit. */
static void handle_line(struct edge *e, struct client *c, const char *line, size_t len,
                        struct pending *p)
{
    struct edge_sim_cmd cmd;
    struct gh_err err = {{0}};
    struct edoor *d;
    int64_t now = mono_ms();
    memset(p, 0, sizeof(*p));
    if (edge_sim_parse(line, len, &cmd, &err) < 0) {
        reply(c, "error %s", err.msg);
        return;
    }
    if (cmd.verb == SIM_SWIPE) {
        decide_swipe(e, c, &cmd, p);
        return;
    }
    if (cmd.verb == SIM_ADVANCE) {
        skew_us += cmd.seconds * INT64_C(1000000);
        log_info("simulated time: the clock moved forward %lld s (now %lld s ahead)",
                 (long long)cmd.seconds, (long long)(skew_us / 1000000));
        reply(c, "advanced %lld", (long long)(skew_us / 1000000));
        return;
    }
    if ((d = door_find(e, cmd.door)) == NULL) {
        reply(c, "error unknown door %s", cmd.door);
        return;
    }
    switch (cmd.verb) {
    case SIM_OPEN:
    case SIM_CLOSE:
        door_contact(&d->sm, cmd.verb == SIM_OPEN, now);
        break;
    case SIM_REX:
        door_rex(&d->sm, now);
        break;
    case SIM_FAULT:
        door_fault(&d->sm, cmd.on, now);
        break;
    default:
        break;
    }
    /* answered after the commit, so that what it caused is durable first */
    p->c = c;
    p->d = d;
    p->seq = -1;
}

static void finish_pending(struct edge *e, struct pending *p)
{
    (void)e;
    if (p->c == NULL || p->d == NULL)
        return;
    if (p->seq < 0) {
        door_state_line(p->c, p->d);
        return;
    }
    if (p->granted && door_grant(&p->d->sm, mono_ms()) == 0)
        reply(p->c, "granted %lld", (long long)p->seq);
    else if (p->granted)
        reply(p->c, "denied door_locked_down %lld", (long long)p->seq);
    else
        reply(p->c, "denied %s %lld", access_reason_name(p->reason), (long long)p->seq);
}

/* Reads what a client sent into its buffer (until it has no more, or the buffer is full);
 * marks it closed when it went away. */
static void fill_client(struct client *c)
{
    while (!c->closed && c->len < sizeof(c->buf)) {
        ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            c->closed = true;
            return;
        }
        c->len += (size_t)n;
    }
}

/* Takes complete lines from a client's buffer while the turn has room; what is left waits
 * for the next turn (back-pressure: the client's socket fills, nothing is refused). */
static void take_lines(struct edge *e, struct client *c, struct pending *pend, size_t *n_pend,
                       size_t max_pend)
{
    char *nl;
    while (*n_pend < max_pend && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
        size_t len = (size_t)(nl - c->buf);
        if (!c->skipping)
            handle_line(e, c, c->buf, len, &pend[(*n_pend)++]);
        c->skipping = false;
        memmove(c->buf, nl + 1, c->len - len - 1);
        c->len -= len + 1;
    }
    if (c->len == sizeof(c->buf) && memchr(c->buf, '\n', c->len) == NULL) {
        reply(c, "error the line is longer than %d bytes", EDGE_SIM_LINE_MAX);
        c->len = 0;
        c->skipping = true; /* up to the end of that line */
    }
}

static bool has_line(const struct client *c)
{
    return memchr(c->buf, '\n', c->len) != NULL;
}

/* ---- the server link ------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct gh_buf *b = ctx;
    return gh_buf_append(b, p, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct link_req *l = ctx;
    size_t len = size * n;
    static const char name[] = "snapshot-signature:";
    if (len > sizeof(name) && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        size_t v = sizeof(name) - 1;
        while (v < len && (p[v] == ' ' || p[v] == '\t'))
            v++;
        while (len > v && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
            len--;
        if (len - v < sizeof(l->sig_hdr)) {
            memcpy(l->sig_hdr, p + v, len - v);
            l->sig_hdr[len - v] = '\0';
        }
    }
    return size * n;
}

/* Starts a signed POST of l->out to the current server. */
static int link_start(struct edge *e, enum link_kind k, long timeout_s)
{
    struct link_req *l = &e->link[k];
    struct gh_sig_component comp[3];
    char digest[GH_DIGEST_LEN], nonce[32], url[600], sig[GH_SIG_B64_LEN];
    char hdr_input[GH_SIG_HEADER_MAX + 32], hdr_sig[GH_SIG_B64_LEN + 32], hdr_digest[80];
    uint8_t raw[16];
    struct gh_buf params, base;
    int r;

    gh_content_digest(l->out.data ? l->out.data : "", l->out.len, digest);
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(nonce, sizeof(nonce), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    comp[0] = (struct gh_sig_component){"@method", "POST"};
    comp[1] = (struct gh_sig_component){"@path", link_path[k]};
    comp[2] = (struct gh_sig_component){"content-digest", digest};
    gh_buf_init(&params, GH_SIG_HEADER_MAX);
    gh_buf_init(&base, GH_SIG_HEADER_MAX * 4);
    r = gh_sig_params(comp, 3, gh_now_us() / 1000000, nonce, e->keyid, "ed25519", &params, &e->err);
    if (r == 0)
        r = gh_sig_base(comp, 3, gh_buf_cstr(&params), &base, &e->err);
    if (r == 0)
        gh_sig_sign(e->sk, base.data, base.len, sig);
    if (r == 0) {
        gh_snprintf(hdr_input, sizeof(hdr_input), "Signature-Input: sig1=%s", gh_buf_cstr(&params));
        gh_snprintf(hdr_sig, sizeof(hdr_sig), "Signature: sig1=:%s:", sig);
        gh_snprintf(hdr_digest, sizeof(hdr_digest), "Content-Digest: %s", digest);
    }
    gh_buf_free(&params);
    gh_buf_free(&base);
    if (r < 0)
        return r;
    gh_snprintf(url, sizeof(url), "%s%s", e->servers[e->cur], link_path[k]);
    l->server = e->cur;
    l->h = curl_easy_init();
    l->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    l->hdrs = curl_slist_append(l->hdrs, hdr_input);
    l->hdrs = curl_slist_append(l->hdrs, hdr_sig);
    l->hdrs = curl_slist_append(l->hdrs, hdr_digest);
    l->hdrs = curl_slist_append(l->hdrs, "Expect:");
    gh_buf_reset(&l->in);
    l->sig_hdr[0] = '\0';
    curl_easy_setopt(l->h, CURLOPT_URL, url);
    curl_easy_setopt(l->h, CURLOPT_POSTFIELDS, l->out.data ? l->out.data : "");
    curl_easy_setopt(l->h, CURLOPT_POSTFIELDSIZE, (long)l->out.len);
    curl_easy_setopt(l->h, CURLOPT_HTTPHEADER, l->hdrs);
    curl_easy_setopt(l->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(l->h, CURLOPT_WRITEDATA, &l->in);
    curl_easy_setopt(l->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(l->h, CURLOPT_HEADERDATA, l);
    curl_easy_setopt(l->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(l->h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(l->h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(l->h, CURLOPT_PRIVATE, l);
    if (e->o->ca_file != NULL)
        curl_easy_setopt(l->h, CURLOPT_CAINFO, e->o->ca_file);
    curl_multi_add_handle(e->multi, l->h);
    l->busy = true;
    return 0;
}

static void link_end(struct edge *e, struct link_req *l)
{
    curl_multi_remove_handle(e->multi, l->h);
    curl_easy_cleanup(l->h);
    curl_slist_free_all(l->hdrs);
    l->h = NULL;
    l->hdrs = NULL;
    l->busy = false;
}

/* A request failed: try the next server; after a round of failures, back off. */
static void link_failed(struct edge *e, enum link_kind k, const char *why)
{
    int64_t delay;
    struct link_req *l = &e->link[k];
    log_warn("%s at %s: %s", link_path[k], e->servers[l->server], why);
    if (l->server != e->cur)
        return; /* another request has moved on from that server already */
    e->cur = (e->cur + 1) % e->n_servers;
    if (++e->round_fails < e->n_servers)
        return;
    delay = (int64_t)BACKOFF_MIN_MS
            << (e->round_fails / e->n_servers > 7 ? 7 : e->round_fails / e->n_servers);
    if (delay > BACKOFF_MAX_MS)
        delay = BACKOFF_MAX_MS;
    delay = delay / 2 + randombytes_uniform((uint32_t)delay / 2 + 1); /* jitter */
    e->next_try_ms = mono_ms() + delay;
}

static void link_ok(struct edge *e)
{
    e->round_fails = 0;
    e->last_contact_us = now_us();
}

static int upload_one(void *ctx, const struct edge_event *ev)
{
    json_t *arr = ctx, *o, *payload = NULL;
    o = json_pack("{s:I, s:I, s:s}", "seq", (json_int_t)ev->seq, "time_us", (json_int_t)ev->time_us,
                  "type", ev->type);
    if (ev->door_id > 0)
        json_object_set_new(o, "door", json_integer(ev->door_id));
    if (ev->decision >= 0)
        json_object_set_new(o, "decision", json_integer(ev->decision));
    if (ev->reason >= 0)
        json_object_set_new(o, "reason", json_integer(ev->reason));
    if (ev->payload[0] != '\0' && (payload = json_loads(ev->payload, 0, NULL)) != NULL)
        json_object_set_new(o, "payload", payload);
    json_array_append_new(arr, o);
    return 0;
}

static int set_body(struct link_req *l, json_t *body)
{
    char *t = json_dumps(body, JSON_COMPACT);
    int r;
    json_decref(body);
    if (t == NULL)
        return -ENOMEM;
    gh_buf_reset(&l->out);
    r = gh_buf_append(&l->out, t, strlen(t));
    free(t);
    return r;
}

static void heartbeat_body(struct edge *e, struct link_req *l)
{
    json_t *doors = json_array();
    for (int i = 0; i < e->n_doors; i++) {
        const struct door_sm *s = &e->doors[i].sm;
        json_array_append_new(
            doors, json_pack("{s:I, s:s, s:s, s:b, s:b, s:b, s:s}", "id",
                             (json_int_t)e->doors[i].info.id, "name", e->doors[i].info.name, "lock",
                             s->output == DOOR_UNLOCKED ? "unlocked" : "locked", "open", s->open,
                             "lockdown", s->lockdown, "fault", s->fault, "alarm",
                             s->forced ? "forced"
                             : s->held ? "held"
                                       : "none"));
    }
    set_body(l, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o}", "time_us",
                          (json_int_t)now_us(), "snapshot_version",
                          (json_int_t)(e->snap ? access_snapshot_version(e->snap) : 0),
                          "snapshot_issued_us", (json_int_t)e->snap_issued_us,
                          "snapshot_applied_us", (json_int_t)e->snap_applied_us, "journal_depth",
                          (json_int_t)edge_journal_depth(e->j), "journal_last_seq",
                          (json_int_t)edge_journal_last_seq(e->j), "heartbeat_s",
                          (json_int_t)e->o->heartbeat_s, "software", "gatehouse edge", "doors",
                          doors));
}

/* Starts what the link should be doing and is not. */
static void link_run(struct edge *e)
{
    int64_t now = mono_ms(), have = e->snap ? access_snapshot_version(e->snap) : 0;
    struct link_req *l;
    if (now < e->next_try_ms)
        return;
    l = &e->link[L_SNAPSHOT];
    /* a version this controller refused is not fetched again: the next one will be */
    if (!l->busy && l->not_before_ms <= now && (e->snap == NULL || e->want_version > have) &&
        e->want_version != e->refused_version) {
        set_body(l, json_pack("{s:I}", "have", (json_int_t)have));
        if (link_start(e, L_SNAPSHOT, 60) < 0)
            log_error("snapshot request: %s", e->err.msg);
    }
    l = &e->link[L_POLL];
    if (!l->busy && l->not_before_ms <= now && !e->link[L_SNAPSHOT].busy) {
        /* the long poll waits for a version newer than both the one held and one refused */
        int64_t seen = have > e->refused_version ? have : e->refused_version;
        set_body(l, json_pack("{s:I, s:I, s:i}", "have", (json_int_t)seen, "after",
                              (json_int_t)e->cmd_after, "wait_s", e->o->poll_wait_s));
        if (link_start(e, L_POLL, e->o->poll_wait_s + 15) < 0)
            log_error("long poll: %s", e->err.msg);
    }
    l = &e->link[L_UPLOAD];
    /* only committed events leave the board: an open group is uploaded once it is durable */
    if (!l->busy && l->not_before_ms <= now && !e->turn_open &&
        edge_journal_last_seq(e->j) > edge_journal_acked(e->j) &&
        (now - e->upload_at_ms >= UPLOAD_EVERY_MS ||
         edge_journal_last_seq(e->j) - edge_journal_acked(e->j) >= UPLOAD_BATCH)) {
        e->upload_at_ms = now;
        json_t *arr = json_array();
        edge_journal_pending(e->j, edge_journal_acked(e->j), UPLOAD_BATCH, upload_one, arr,
                             &e->err);
        if (json_array_size(arr) > 0) {
            l->upload_last = json_integer_value(
                json_object_get(json_array_get(arr, json_array_size(arr) - 1), "seq"));
            set_body(l, json_pack("{s:o}", "events", arr));
            if (link_start(e, L_UPLOAD, 30) < 0)
                log_error("upload: %s", e->err.msg);
        } else {
            json_decref(arr);
        }
    }
    l = &e->link[L_HEARTBEAT];
    if (!l->busy && l->not_before_ms <= now && now >= e->next_beat_ms) {
        heartbeat_body(e, l);
        e->next_beat_ms = now + e->o->heartbeat_s * 1000;
        if (link_start(e, L_HEARTBEAT, 10) < 0)
            log_error("heartbeat: %s", e->err.msg);
    }
}

/* A command from the server's long poll: a momentary unlock of a door. Each is carried
 * out once (ids only grow). */
static void run_command(struct edge *e, json_t *cmd)
{
    json_int_t id = 0, door = 0;
    int ms = 0;
    const char *what = NULL;
    struct edoor *d = NULL;
    char key[24];
    if (json_unpack(cmd, "{s:I, s:s, s:I, s:i}", "id", &id, "do", &what, "door", &door, "unlock_ms",
                    &ms) != 0 ||
        strcmp(what, "unlock") != 0) {
        log_warn("a command from the server is not understood; ignored");
        return;
    }
    if (id <= e->cmd_after)
        return;
    /* recorded before it is carried out: a restart never carries it out again */
    {
        char path[4096], text[24];
        gh_snprintf(path, sizeof(path), "%s/%s", e->o->data_dir, COMMANDS_FILE);
        gh_snprintf(text, sizeof(text), "%lld\n", (long long)id);
        if (gh_write_file_atomic(path, text, strlen(text), 0600, &e->err) < 0) {
            log_error("command %lld not carried out: %s", (long long)id, e->err.msg);
            return;
        }
    }
    e->cmd_after = id;
    gh_snprintf(key, sizeof(key), "%lld", (long long)door);
    if ((d = door_find(e, key)) == NULL) {
        log_warn("momentary unlock of door %lld: not a door of this controller", (long long)door);
        return;
    }
    if (door_momentary(&d->sm, (uint32_t)ms, mono_ms()) < 0)
        log_warn("momentary unlock of door %lld refused: the door is locked down or the "
                 "duration is out of range",
                 (long long)door);
}

/* A finished request. */
static void link_done(struct edge *e, struct link_req *l, CURLcode res)
{
    enum link_kind k = (enum link_kind)(l - e->link);
    long status = 0;
    json_t *body = NULL;
    curl_easy_getinfo(l->h, CURLINFO_RESPONSE_CODE, &status);
    if (res != CURLE_OK) {
        link_failed(e, k, curl_easy_strerror(res));
        link_end(e, l);
        return;
    }
    if (status >= 500 || status == 0) {
        char why[64];
        gh_snprintf(why, sizeof(why), "HTTP %ld", status);
        link_failed(e, k, why);
        link_end(e, l);
        return;
    }
    if (status != 200 && status != 204) {
        /* refused: this kind of request waits; the others go on. A refusal is no contact:
         * offline limits keep counting (a controller whose key was replaced, or whose
         * clock is off, must not decide as if it heard every revocation) */
        log_error("%s: HTTP %ld: %.300s", link_path[k], status, gh_buf_cstr(&l->in));
        l->not_before_ms = mono_ms() + REFUSED_WAIT_MS;
        link_end(e, l);
        return;
    }
    link_ok(e);
    if (status == 200 && k != L_SNAPSHOT)
        body = json_loadb(l->in.data ? l->in.data : "", l->in.len, 0, NULL);
    switch (k) {
    case L_POLL: {
        json_int_t v = json_integer_value(json_object_get(body, "snapshot"));
        int64_t have = e->snap ? access_snapshot_version(e->snap) : 0;
        json_t *cmd;
        size_t i;
        if (v > have)
            e->want_version = v;
        json_array_foreach(json_object_get(body, "commands"), i, cmd)
        {
            run_command(e, cmd);
        }
        break;
    }
    case L_SNAPSHOT:
        if (status == 200 &&
            take_snapshot(e, l->in.data ? l->in.data : "", l->in.len, l->sig_hdr) < 0)
            e->refused_version = e->want_version;
        break;
    case L_UPLOAD: {
        json_int_t acked = json_integer_value(json_object_get(body, "acked"));
        if (acked > 0 && acked <= l->upload_last && edge_journal_ack(e->j, acked, &e->err) < 0)
            log_error("journal: %s", e->err.msg);
        break;
    }
    default:
        break;
    }
    json_decref(body);
    link_end(e, l);
}

/* ---- identity and enrollment ------------------------------------------------------------- */

static int save_identity(struct edge *e)
{
    char path[4096], pkb[64];
    json_t *o;
    char *t;
    int r;
    sodium_bin2base64(pkb, sizeof(pkb), e->server_pk, 32, sodium_base64_VARIANT_ORIGINAL);
    o = json_pack("{s:I, s:s}", "controller", (json_int_t)e->controller_id, "server_key", pkb);
    t = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    gh_snprintf(path, sizeof(path), "%s/%s", e->o->data_dir, IDENTITY_FILE);
    r = gh_write_file_atomic(path, t, strlen(t), 0600, &e->err);
    free(t);
    return r;
}

static int load_identity(struct edge *e)
{
    char path[4096], *t = NULL;
    size_t len = 0, n = 0;
    json_t *o;
    json_int_t id = 0;
    const char *pkb = NULL;
    int r;
    gh_snprintf(path, sizeof(path), "%s/%s", e->o->data_dir, IDENTITY_FILE);
    if ((r = gh_read_file(path, 4096, &t, &len, &e->err)) < 0) {
        if (r == -ENOENT)
            gh_fail(&e->err, r,
                    "%s: this controller is not enrolled: start it once with --enroll TOKEN "
                    "(an administrator makes the token on the server)",
                    path);
        return r;
    }
    o = json_loadb(t, len, 0, NULL);
    free(t);
    if (o == NULL || json_unpack(o, "{s:I, s:s}", "controller", &id, "server_key", &pkb) != 0 ||
        id <= 0 ||
        sodium_base642bin(e->server_pk, 32, pkb, strlen(pkb), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != 32) {
        json_decref(o);
        return gh_fail(&e->err, -EINVAL, "%s: not a controller identity file", path);
    }
    json_decref(o);
    e->controller_id = id;
    gh_snprintf(e->keyid, sizeof(e->keyid), "%lld", (long long)id);
    return 0;
}

static int enroll(struct edge *e, const char *token)
{
    char pkb[64], url[600];
    json_t *req, *ans = NULL;
    char *body;
    int r = -EIO;
    sodium_bin2base64(pkb, sizeof(pkb), e->pk, 32, sodium_base64_VARIANT_ORIGINAL);
    req = json_pack("{s:s, s:s}", "token", token, "public_key", pkb);
    body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    for (int i = 0; i < e->n_servers && r < 0; i++) {
        CURL *h = curl_easy_init();
        struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        struct gh_buf in;
        long status = 0;
        CURLcode cr;
        gh_buf_init(&in, 1 << 16);
        gh_snprintf(url, sizeof(url), "%s/edge/v1/enroll", e->servers[i]);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &in);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
        if (e->o->ca_file != NULL)
            curl_easy_setopt(h, CURLOPT_CAINFO, e->o->ca_file);
        cr = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (cr != CURLE_OK) {
            gh_fail(&e->err, -EIO, "enrollment at %s: %s", e->servers[i], curl_easy_strerror(cr));
        } else if (status != 200) {
            json_t *p = json_loadb(in.data ? in.data : "", in.len, 0, NULL);
            const char *detail = json_string_value(json_object_get(p, "detail"));
            gh_fail(&e->err, -EACCES, "enrollment refused by %s (HTTP %ld): %s", e->servers[i],
                    status, detail ? detail : "no reason given");
            json_decref(p);
            i = e->n_servers; /* a refusal is an answer: the token is wrong */
        } else {
            json_int_t id = 0;
            const char *skb = NULL;
            size_t n = 0;
            ans = json_loadb(in.data, in.len, 0, NULL);
            if (json_unpack(ans, "{s:I, s:s}", "controller", &id, "server_key", &skb) == 0 &&
                sodium_base642bin(e->server_pk, 32, skb, strlen(skb), NULL, &n, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) == 0 &&
                n == 32) {
                e->controller_id = id;
                gh_snprintf(e->keyid, sizeof(e->keyid), "%lld", (long long)id);
                r = save_identity(e);
                if (r == 0)
                    log_info("enrolled as controller %lld at %s", (long long)id, e->servers[i]);
            } else {
                gh_fail(&e->err, -EPROTO, "enrollment at %s: the answer is not understood",
                        e->servers[i]);
            }
            json_decref(ans);
        }
        gh_buf_free(&in);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
    }
    sodium_memzero(body, strlen(body));
    free(body);
    return r;
}

/* ---- the simulator socket ------------------------------------------------------------------- */

static int listen_sim(struct edge *e, const char *path)
{
    struct sockaddr_un a;
    int fd;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(a.sun_path))
        return gh_fail(&e->err, -ENAMETOOLONG, "%s: the socket path is too long", path);
    gh_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
        int r = -errno;
        if (fd >= 0)
            close(fd);
        return gh_fail(&e->err, r, "%s: cannot listen: %s", path, gh_strerror(r));
    }
    chmod(path, 0600);
    e->listen_fd = fd;
    return 0;
}

static void accept_clients(struct edge *e)
{
    for (;;) {
        int fd = accept4(e->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (e->n_clients == MAX_CLIENTS) {
            const char msg[] = "error too many clients\n";
            if (write(fd, msg, sizeof(msg) - 1) < 0) {
                /* nothing more to say */
            }
            close(fd);
            continue;
        }
        memset(&e->clients[e->n_clients], 0, sizeof(struct client));
        e->clients[e->n_clients++].fd = fd;
    }
}

/* ---- the loop ----------------------------------------------------------------------------------
 */

static int next_timeout_ms(struct edge *e)
{
    int64_t now = mono_ms(), next = now + 1000;
    for (int i = 0; i < e->n_doors; i++) {
        int64_t d = door_next_deadline(&e->doors[i].sm);
        if (d < next)
            next = d;
    }
    /* the link's own times count only when it could act on them: while backing off (or
     * paused after a refusal) the retry time is what wakes the loop */
    if (e->next_try_ms <= now && !e->link[L_HEARTBEAT].busy) {
        int64_t beat = e->next_beat_ms > e->link[L_HEARTBEAT].not_before_ms
                           ? e->next_beat_ms
                           : e->link[L_HEARTBEAT].not_before_ms;
        if (beat < next)
            next = beat;
    }
    if (e->next_try_ms > now && e->next_try_ms < next)
        next = e->next_try_ms;
    if (e->turn_open && e->flush_at_ms != 0 && e->flush_at_ms < next)
        next = e->flush_at_ms;
    /* (while backing off, the retry time above is what wakes the loop) */
    if (!e->link[L_UPLOAD].busy && e->next_try_ms <= now && !e->turn_open &&
        e->link[L_UPLOAD].not_before_ms <= now &&
        edge_journal_last_seq(e->j) > edge_journal_acked(e->j) &&
        e->upload_at_ms + UPLOAD_EVERY_MS < next)
        next = e->upload_at_ms + UPLOAD_EVERY_MS;
    return next <= now ? 0 : (int)(next - now);
}

static int parse_servers(struct edge *e, const char *list)
{
    const char *p = list;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (e->n_servers == MAX_SERVERS)
            return gh_fail(&e->err, -E2BIG, "--server: at most %d servers", MAX_SERVERS);
        if (n == 0 || n >= sizeof(e->servers[0]) ||
            (strncmp(p, "https://", 8) != 0 && strncmp(p, "http://", 7) != 0))
            return gh_fail(&e->err, -EINVAL, "--server: '%.*s' is not an http(s) URL", (int)n, p);
        memcpy(e->servers[e->n_servers], p, n);
        e->servers[e->n_servers][n] = '\0';
        while (n > 0 && e->servers[e->n_servers][n - 1] == '/')
            e->servers[e->n_servers][--n] = '\0';
        e->n_servers++;
        p += n + (p[n] == ',');
        if (p[-1] == ',' && *p == '\0')
            break;
    }
    return e->n_servers > 0 ? 0 : gh_fail(&e->err, -EINVAL, "--server: no URL given");
}

static void edge_free(struct edge *e)
{
    for (int k = 0; k < L_COUNT; k++) {
        if (e->link[k].busy)
            link_end(e, &e->link[k]);
        gh_buf_free(&e->link[k].out);
        gh_buf_free(&e->link[k].in);
    }
    if (e->multi)
        curl_multi_cleanup(e->multi);
    for (int i = 0; i < e->n_clients; i++)
        close(e->clients[i].fd);
    if (e->listen_fd >= 0)
        close(e->listen_fd);
    if (e->sig_pipe[0] >= 0) {
        close(e->sig_pipe[0]);
        close(e->sig_pipe[1]);
    }
    sig_write_fd = -1;
    if (e->turn_open)
        turn_commit(e);
    edge_journal_close(e->j);
    access_state_free(e->state);
    access_snapshot_free(e->snap);
    sodium_memzero(e->sk, sizeof(e->sk));
}

int edge_run(const struct edge_options *o, struct gh_err *err)
{
    struct edge *e = xcalloc(1, sizeof(*e));
    char path[4096];
    bool created = false;
    struct sigaction sa;
    int r;

    e->o = o;
    e->listen_fd = -1;
    e->sig_pipe[0] = e->sig_pipe[1] = -1;
    if ((r = parse_servers(e, o->servers)) < 0)
        goto out;
    if ((r = edge_key_load_or_create(o->data_dir, e->pk, e->sk, &created, &e->err)) < 0)
        goto out;
    if (created)
        log_info("made this controller's key %s/%s", o->data_dir, EDGE_KEY_FILE);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (o->enroll_token != NULL) {
        if ((r = enroll(e, o->enroll_token)) < 0)
            goto out;
    } else if ((r = load_identity(e)) < 0) {
        goto out;
    }
    gh_snprintf(path, sizeof(path), "%s/%s", o->data_dir, JOURNAL_FILE);
    if ((r = edge_journal_open(path, o->journal_capacity, &e->j, &e->err)) < 0)
        goto out;
    load_snapshot(e);
    {
        char *t = NULL;
        size_t n = 0;
        gh_snprintf(path, sizeof(path), "%s/%s", o->data_dir, COMMANDS_FILE);
        if (gh_read_file(path, 64, &t, &n, &e->err) == 0) {
            while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r'))
                t[--n] = '\0';
            if (gh_parse_i64(t, 0, INT64_MAX, &e->cmd_after) < 0)
                log_warn("%s: not a command id; commands of the last 30 s may run again", path);
        }
        free(t);
    }
    if (o->sim_socket != NULL && (r = listen_sim(e, o->sim_socket)) < 0)
        goto out;
    if (pipe2(e->sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        r = gh_fail(&e->err, -errno, "pipe: %s", strerror(errno));
        goto out;
    }
    sig_write_fd = e->sig_pipe[1];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (int k = 0; k < L_COUNT; k++) {
        gh_buf_init(&e->link[k].out, 16u << 20);
        gh_buf_init(&e->link[k].in, ACCESS_EDGE_MAX_BYTES);
    }
    e->multi = curl_multi_init();
    log_info("controller %lld running: %d server(s), simulator socket %s, journal depth %lld",
             (long long)e->controller_id, e->n_servers, o->sim_socket ? o->sim_socket : "none",
             (long long)edge_journal_depth(e->j));
    if (o->ready_fd >= 0) { /* tell whoever started us that we are up */
        if (write(o->ready_fd, "ready\n", 6) < 0) {
            /* the parent went away */
        }
    }

    for (;;) {
        struct curl_waitfd extra[MAX_CLIENTS + 2];
        struct pending pend[64];
        size_t n_pend = 0;
        unsigned n_extra = 0, first_client;
        bool backlog = false;
        int running, numfds, msgs;
        CURLMsg *m;
        char sigbuf[8];
        int64_t now;

        extra[n_extra++] = (struct curl_waitfd){e->sig_pipe[0], CURL_WAIT_POLLIN, 0};
        if (e->listen_fd >= 0)
            extra[n_extra++] = (struct curl_waitfd){e->listen_fd, CURL_WAIT_POLLIN, 0};
        first_client = n_extra;
        for (int i = 0; i < e->n_clients; i++) {
            extra[n_extra++] = (struct curl_waitfd){e->clients[i].fd, CURL_WAIT_POLLIN, 0};
            backlog = backlog || has_line(&e->clients[i]);
        }
        curl_multi_poll(e->multi, extra, n_extra, backlog ? 0 : next_timeout_ms(e), &numfds);
        if (read(e->sig_pipe[0], sigbuf, sizeof(sigbuf)) > 0) {
            log_info("stopping: the journal is closed with %lld events not yet acknowledged",
                     (long long)edge_journal_depth(e->j));
            break;
        }
        now = mono_ms();
        /* 1. inputs and decisions: every client's lines in turn, up to a turn's worth */
        for (int i = 0; i < e->n_clients; i++)
            if (extra[first_client + (unsigned)i].revents & CURL_WAIT_POLLIN)
                fill_client(&e->clients[i]);
        for (bool more = true; more && n_pend < GH_ARRAY_LEN(pend);) {
            size_t before = n_pend;
            for (int i = 0; i < e->n_clients && n_pend < GH_ARRAY_LEN(pend); i++)
                take_lines(e, &e->clients[i], pend, &n_pend, n_pend + 1); /* one line each */
            more = n_pend > before;
        }
        for (int i = 0; i < e->n_doors; i++)
            door_tick(&e->doors[i].sm, now);
        /* 2. durable before anything acts (the decisions, and what the last turn left) */
        if (n_pend > 0 && (r = turn_commit(e)) < 0) {
            log_error("journal: %s", e->err.msg);
            break;
        }
        /* 3. act and answer. What that causes (a door unlocked) goes in the journal with
         * the next group: at the next turn with input, or within FLUSH_MS when idle */
        for (size_t k = 0; k < n_pend; k++)
            finish_pending(e, &pend[k]);
        for (int i = 0; i < e->n_clients; i++) {
            if (!e->clients[i].closed || has_line(&e->clients[i]))
                continue; /* what a client sent before it went away is still carried out */
            close(e->clients[i].fd);
            e->clients[i--] = e->clients[--e->n_clients];
        }
        if (e->listen_fd >= 0)
            accept_clients(e);
        /* 4. the link */
        curl_multi_perform(e->multi, &running);
        while ((m = curl_multi_info_read(e->multi, &msgs)) != NULL) {
            struct link_req *l = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&l);
            link_done(e, l, m->data.result);
        }
        if (e->turn_open) {
            if (e->flush_at_ms == 0)
                e->flush_at_ms = mono_ms() + FLUSH_MS;
            if (mono_ms() >= e->flush_at_ms && (r = turn_commit(e)) < 0) {
                log_error("journal: %s", e->err.msg);
                break;
            }
        }
        link_run(e);
        curl_multi_perform(e->multi, &running);
    }
out:
    if (r < 0 && err != NULL)
        *err = e->err;
    edge_free(e);
    curl_global_cleanup();
    free(e);
    return r < 0 ? r : 0;
}
