/*
 * forward.c: the SIEM forwarder. One thread reads events and audit entries from the store
 * after its cursors (never from memory: whatever was committed, by the server or the CLI,
 * is sent) and writes them, framed by siem.c, to one receiver over TCP or TLS (GnuTLS,
 * the certificate checked against ca_file or the system's trust store and the name).
 *
 * Plain syslog has no acknowledgement: bytes a receiver's kernel accepted can still be lost
 * if it stops. So a cursor is saved only for what was sent resend_window_s ago on a
 * connection still up now; when a connection breaks, sending resumes from the saved
 * cursor, and the last seconds are sent again (at least once; each message carries its
 * offset or index for de-duplication). The receiver never sends anything: data or end of
 * stream from it means it is going away.
 */
#include "audit/audit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH_ROWS    256        /* events, and entries, read per pass */
#define BATCH_MAX     (8u << 20) /* bytes of messages per pass, at most */
#define IDLE_WAIT_MS  100        /* between looks at the store when all is sent */
#define IO_TIMEOUT_MS 10000      /* connect, handshake, a blocked write */
#define SAVE_EVERY_US 1000000    /* cursors saved at most once a second */
#define CHECKPOINTS   256
#define KEY_EVENT     "siem.event_offset"
#define KEY_AUDIT     "siem.audit_next"

struct checkpoint {
    int64_t time_us, event, audit;
};

struct audit_forwarder {
    struct audit_siem_config cfg;
    bool tls;
    char host[256], port[8], name[256], hostname[256];
    char *db_path;
    pthread_t thread;
    int stop_pipe[2];
    pthread_mutex_t mu;
    struct audit_forwarder_stats stats; /* under mu */

    /* the thread's own */
    struct store *st;
    struct export_names names;
    struct gh_buf batch;
    int fd;
    gnutls_session_t session;
    gnutls_certificate_credentials_t cred;
    bool up;
    int64_t sent_event, sent_audit; /* last offset sent; next index to send */
    int64_t safe_event, safe_audit; /* what the saved cursor may say */
    int64_t saved_event, saved_audit, saved_at_us;
    struct checkpoint ring[CHECKPOINTS];
    int ring_head, ring_n;
    int64_t next_try_us, down_since_us;
    unsigned backoff_s;
    bool ever_up, down_logged;
};

/* ---- configuration ----------------------------------------------------------------------- */

void audit_siem_config_init(struct audit_siem_config *c)
{
    memset(c, 0, sizeof(*c));
    c->format = AUDIT_SIEM_JSON;
    c->resend_window_s = 2;
    c->max_backoff_s = 30;
}

int audit_siem_target_parse(const char *target, bool *tls, char *host, size_t host_len, char *port,
                            size_t port_len, struct gh_err *err)
{
    const char *rest, *colon;
    int64_t p;
    size_t hl;
    bool is_tls;
    if (strncmp(target, "tls://", 6) == 0)
        is_tls = true;
    else if (strncmp(target, "tcp://", 6) == 0)
        is_tls = false;
    else
        return gh_fail(err, -EINVAL, "'%s' is not tcp://HOST:PORT or tls://HOST:PORT", target);
    rest = target + 6;
    colon = strrchr(rest, ':');
    if (colon == NULL || gh_parse_i64(colon + 1, 1, 65535, &p) < 0)
        return gh_fail(err, -EINVAL, "'%s': the port (1 to 65535) is missing or not a number",
                       target);
    hl = (size_t)(colon - rest);
    if (hl >= 2 && rest[0] == '[' && rest[hl - 1] == ']') { /* [v6]:port */
        rest++;
        hl -= 2;
    }
    if (hl == 0 || hl >= 256 || (host != NULL && hl >= host_len))
        return gh_fail(err, -EINVAL, "'%s': the host is missing or too long", target);
    for (size_t i = 0; i < hl; i++)
        if (rest[i] <= ' ' || rest[i] > '~' || rest[i] == '/')
            return gh_fail(err, -EINVAL, "'%s': the host has a character not allowed in it",
                           target);
    if (tls != NULL)
        *tls = is_tls;
    if (host != NULL) {
        memcpy(host, rest, hl);
        host[hl] = '\0';
    }
    if (port != NULL)
        snprintf(port, port_len, "%lld", (long long)p);
    return 0;
}

/* ---- the connection --------------------------------------------------------------------- */

static void conn_close(struct audit_forwarder *f)
{
    if (f->session != NULL) {
        gnutls_deinit(f->session);
        f->session = NULL;
    }
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->up = false;
}

/* Waits until fd is ready for events (POLLIN/POLLOUT), or the timeout (-ETIMEDOUT), or
 * the forwarder is told to stop (-ECANCELED: a slow receiver never holds up shutdown). */
static int wait_fd(const struct audit_forwarder *f, int fd, short events, int timeout_ms)
{
    struct pollfd p[2] = {{fd, events, 0}, {f->stop_pipe[0], POLLIN, 0}};
    int r;
    do
        r = poll(p, 2, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r > 0 && p[1].revents)
        return -ECANCELED;
    return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

static int tcp_connect(struct audit_forwarder *f, struct gh_err *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, last = -ECONNREFUSED;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(f->host, f->port, &hints, &res)) != 0)
        return gh_fail(err, -EHOSTUNREACH, "cannot resolve %s: %s", f->host, gai_strerror(rc));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        int soerr = 0, one = 1;
        socklen_t len = sizeof(soerr);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last = -errno;
            close(fd);
            continue;
        }
        if ((rc = wait_fd(f, fd, POLLOUT, IO_TIMEOUT_MS)) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
            last = rc < 0 ? rc : -(soerr ? soerr : errno);
            close(fd);
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        f->fd = fd;
        freeaddrinfo(res);
        return 0;
    }
    freeaddrinfo(res);
    return gh_fail(err, last, "cannot connect to %s port %s: %s", f->host, f->port,
                   strerror(-last));
}

static int tls_start(struct audit_forwarder *f, struct gh_err *err)
{
    unsigned char ip[16];
    int rc;
    if ((rc = gnutls_init(&f->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL)) < 0) {
        f->session = NULL;
        return gh_fail(err, -EIO, "TLS: %s", gnutls_strerror(rc));
    }
    gnutls_set_default_priority(f->session);
    gnutls_credentials_set(f->session, GNUTLS_CRD_CERTIFICATE, f->cred);
    /* SNI for a name; an address is checked against the certificate's IP addresses */
    if (inet_pton(AF_INET, f->name, ip) != 1 && inet_pton(AF_INET6, f->name, ip) != 1)
        gnutls_server_name_set(f->session, GNUTLS_NAME_DNS, f->name, strlen(f->name));
    gnutls_session_set_verify_cert(f->session, f->name, 0);
    gnutls_transport_set_int(f->session, f->fd);
    gnutls_handshake_set_timeout(f->session, IO_TIMEOUT_MS);
    do {
        rc = gnutls_handshake(f->session);
        if (rc == GNUTLS_E_AGAIN &&
            wait_fd(f, f->fd, gnutls_record_get_direction(f->session) ? POLLOUT : POLLIN,
                    IO_TIMEOUT_MS) < 0)
            return gh_fail(err, -ETIMEDOUT, "TLS handshake with %s timed out", f->host);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
        gnutls_datum_t why = {NULL, 0};
        unsigned status = gnutls_session_get_verify_cert_status(f->session);
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
        gh_fail(err, -EACCES, "the certificate of %s is not trusted for '%s': %s", f->host, f->name,
                why.data ? (const char *)why.data : "?");
        gnutls_free(why.data);
        return -EACCES;
    }
    if (rc < 0)
        return gh_fail(err, -EIO, "TLS handshake with %s: %s", f->host, gnutls_strerror(rc));
    return 0;
}

static int conn_open(struct audit_forwarder *f, struct gh_err *err)
{
    int r = tcp_connect(f, err);
    if (r == 0 && f->tls)
        r = tls_start(f, err);
    if (r < 0)
        conn_close(f);
    else
        f->up = true;
    return r;
}

/* Writes all of data: 0, or negative when the connection is no good. */
static int conn_write(struct audit_forwarder *f, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n;
        if (f->session != NULL) {
            n = gnutls_record_send(f->session, data, len);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
                int w = wait_fd(f, f->fd, POLLOUT, IO_TIMEOUT_MS);
                if (w < 0)
                    return w;
                continue;
            }
            if (n < 0)
                return -EIO;
        } else {
            n = send(f->fd, data, len, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                int w = wait_fd(f, f->fd, POLLOUT, IO_TIMEOUT_MS);
                if (w < 0)
                    return w;
                continue;
            }
            if (n <= 0)
                return -errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Whether the receiver is still there: it never writes, so readable means closing (a TLS
 * 1.3 session ticket excepted, which GnuTLS consumes). */
static bool conn_alive(struct audit_forwarder *f)
{
    struct pollfd p = {f->fd, POLLIN, 0};
    char buf[512];
    if (poll(&p, 1, 0) <= 0)
        return true;
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
        return false;
    if (f->session != NULL) {
        ssize_t n = gnutls_record_recv(f->session, buf, sizeof(buf));
        return n > 0 || n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED;
    } else {
        ssize_t n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
        return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
    }
}

/* ---- cursors ---------------------------------------------------------------------------- */

static int64_t meta_int(struct store *st, const char *key, int64_t dflt)
{
    char v[32];
    int64_t n;
    if (store_meta_get(st, key, v, sizeof(v)) == 0 && gh_parse_i64(v, 0, INT64_MAX, &n) == 0)
        return n;
    return dflt;
}

static void save_cursors(struct audit_forwarder *f, int64_t now)
{
    char ev[24], au[24];
    if (f->safe_event == f->saved_event && f->safe_audit == f->saved_audit)
        return;
    snprintf(ev, sizeof(ev), "%lld", (long long)f->safe_event);
    snprintf(au, sizeof(au), "%lld", (long long)f->safe_audit);
    if (store_begin_write(f->st) < 0 || store_meta_set(f->st, KEY_EVENT, ev) < 0 ||
        store_meta_set(f->st, KEY_AUDIT, au) < 0 || store_commit(f->st) < 0) {
        store_rollback(f->st);
        log_warn("SIEM forwarding: cannot save the cursor (will try again): %s",
                 store_errmsg(f->st));
        return;
    }
    f->saved_event = f->safe_event;
    f->saved_audit = f->safe_audit;
    f->saved_at_us = now;
    pthread_mutex_lock(&f->mu);
    f->stats.event_cursor = f->saved_event;
    f->stats.audit_cursor = f->saved_audit;
    pthread_mutex_unlock(&f->mu);
}

/* What was sent at least resend_window_s ago, on a connection still up, is safe. */
static void settle(struct audit_forwarder *f, int64_t now)
{
    int64_t window = (int64_t)f->cfg.resend_window_s * 1000000;
    while (f->ring_n > 0) {
        struct checkpoint *c = &f->ring[f->ring_head];
        if (c->time_us > now - window)
            break;
        f->safe_event = c->event;
        f->safe_audit = c->audit;
        f->ring_head = (f->ring_head + 1) % CHECKPOINTS;
        f->ring_n--;
    }
}

static void checkpoint(struct audit_forwarder *f, int64_t now)
{
    int tail;
    if (f->ring_n == CHECKPOINTS) { /* full: the newest takes this one in (settles later) */
        f->ring[(f->ring_head + f->ring_n - 1) % CHECKPOINTS] =
            (struct checkpoint){now, f->sent_event, f->sent_audit};
        return;
    }
    tail = (f->ring_head + f->ring_n) % CHECKPOINTS;
    f->ring[tail] = (struct checkpoint){now, f->sent_event, f->sent_audit};
    f->ring_n++;
}

/* The connection broke: what was not safe is sent again on the next one. */
static void connection_lost(struct audit_forwarder *f, int64_t now, const char *why)
{
    conn_close(f);
    log_warn("SIEM forwarding: the connection to %s broke (%s); resending from event offset "
             "%lld and audit index %lld once it is back",
             f->cfg.target, why, (long long)f->safe_event, (long long)f->safe_audit);
    f->sent_event = f->safe_event;
    f->sent_audit = f->safe_audit;
    f->ring_n = 0;
    f->down_since_us = now;
    f->down_logged = true;
    f->backoff_s = 1;
    f->next_try_us = now + 1000000;
    pthread_mutex_lock(&f->mu);
    f->stats.connected = false;
    pthread_mutex_unlock(&f->mu);
}

static void try_connect(struct audit_forwarder *f, int64_t now)
{
    struct gh_err err = {{0}};
    if (now < f->next_try_us)
        return;
    if (conn_open(f, &err) < 0) {
        if (!f->down_logged) { /* once per outage, not once per attempt */
            log_warn("SIEM forwarding to %s: %s; retrying with backoff up to %u s, nothing is "
                     "lost meanwhile",
                     f->cfg.target, err.msg, f->cfg.max_backoff_s);
            f->down_logged = true;
            if (f->down_since_us == 0)
                f->down_since_us = now;
        }
        f->next_try_us = now + (int64_t)f->backoff_s * 1000000;
        f->backoff_s =
            f->backoff_s * 2 > f->cfg.max_backoff_s ? f->cfg.max_backoff_s : f->backoff_s * 2;
        return;
    }
    if (f->down_since_us != 0)
        log_info("SIEM forwarding: connected to %s again after %lld s; from event offset %lld "
                 "and audit index %lld",
                 f->cfg.target, (long long)((now - f->down_since_us) / 1000000),
                 (long long)f->sent_event, (long long)f->sent_audit);
    else
        log_info("SIEM forwarding: connected to %s (%s, %s)", f->cfg.target,
                 f->cfg.format == AUDIT_SIEM_CEF ? "CEF" : "JSON", f->tls ? "TLS" : "plain TCP");
    pthread_mutex_lock(&f->mu);
    f->stats.connected = true;
    if (f->ever_up)
        f->stats.reconnects++;
    pthread_mutex_unlock(&f->mu);
    f->ever_up = true;
    f->down_since_us = 0;
    f->down_logged = false;
    f->backoff_s = 1;
}

/* ---- reading and sending ---------------------------------------------------------------- */

struct fill {
    struct audit_forwarder *f;
    int64_t last;
    size_t n;
    int err;
};

static int add_event(void *ctx, const struct event *ev)
{
    struct fill *x = ctx;
    struct export_row row;
    export_row(&x->f->names, ev, &row);
    if ((x->err = audit_siem_event(&x->f->batch, x->f->cfg.format, x->f->hostname, &row, ev)) < 0)
        return 1;
    x->last = ev->offset;
    x->n++;
    return x->f->batch.len > BATCH_MAX / 2 ? 1 : 0;
}

static int add_entry(void *ctx, int64_t idx, int64_t time_us, const char *entry)
{
    struct fill *x = ctx;
    if ((x->err = audit_siem_entry(&x->f->batch, x->f->cfg.format, x->f->hostname, (uint64_t)idx,
                                   time_us, entry)) < 0)
        return 1;
    x->last = idx + 1;
    x->n++;
    return x->n >= BATCH_ROWS || x->f->batch.len > BATCH_MAX / 2 ? 1 : 0;
}

/* Reads what follows the cursors and sends it; the number of messages sent, or negative
 * (the connection broke; *why says how). */
static int pass(struct audit_forwarder *f, const char **why)
{
    struct fill ev = {f, f->sent_event, 0, 0}, au = {f, f->sent_audit, 0, 0};
    int r;
    gh_buf_reset(&f->batch);
    if (!f->cfg.no_events) {
        struct store_event_filter flt;
        store_event_filter_init(&flt);
        flt.after_offset = f->sent_event;
        flt.limit = BATCH_ROWS;
        if (store_event_query(f->st, &flt, add_event, &ev) < 0 || ev.err < 0) {
            *why = ev.err < 0 ? "a message could not be made" : "the store could not be read";
            log_error("SIEM forwarding: %s after event offset %lld", *why,
                      (long long)f->sent_event);
            return 0; /* tried again on the next pass */
        }
    }
    if (!f->cfg.no_audit &&
        (store_audit_entry_list(f->st, f->sent_audit, add_entry, &au) < 0 || au.err < 0)) {
        log_error("SIEM forwarding: audit entry %lld could not be %s (will try again)",
                  (long long)au.last, au.err < 0 ? "made into a message" : "read");
        return 0;
    }
    if (ev.n + au.n == 0)
        return 0;
    if ((r = conn_write(f, f->batch.data, f->batch.len)) < 0) {
        *why = r == -ETIMEDOUT   ? "a write timed out"
               : r == -ECANCELED ? "stopping"
                                 : "a write failed";
        return -EIO;
    }
    f->sent_event = ev.last;
    f->sent_audit = au.last;
    pthread_mutex_lock(&f->mu);
    f->stats.sent += ev.n + au.n;
    pthread_mutex_unlock(&f->mu);
    return (int)(ev.n + au.n);
}

static void *forward_main(void *arg)
{
    struct audit_forwarder *f = arg;
    bool stopping = false;
    while (!stopping) {
        int64_t now = gh_monotonic_us(); /* durations only: immune to clock steps */
        const char *why = "closed by the receiver";
        int sent = 0;
        if (!f->up)
            try_connect(f, now);
        if (f->up && !conn_alive(f)) {
            connection_lost(f, now, why);
        } else if (f->up) {
            sent = pass(f, &why);
            if (sent < 0 && strcmp(why, "stopping") == 0)
                conn_close(f); /* the saved cursor stays where it is safe */
            else if (sent < 0)
                connection_lost(f, now, why);
            else if (sent > 0) /* the time the write ended, however long it took */
                checkpoint(f, now = gh_monotonic_us());
            else if (f->ring_n == 0) { /* all sent long enough ago, and still up */
                f->safe_event = f->sent_event;
                f->safe_audit = f->sent_audit;
            }
            settle(f, now);
        }
        if (now - f->saved_at_us >= SAVE_EVERY_US)
            save_cursors(f, now);
        if (sent <= 0) {
            struct pollfd p = {f->stop_pipe[0], POLLIN, 0};
            int wait = f->up ? IDLE_WAIT_MS : 200;
            stopping = poll(&p, 1, wait) > 0;
        } else {
            struct pollfd p = {f->stop_pipe[0], POLLIN, 0};
            stopping = poll(&p, 1, 0) > 0;
        }
    }
    /* on the way out only the settled cursor is saved: the rest is sent again next time */
    if (f->up && f->ring_n == 0) {
        f->safe_event = f->sent_event;
        f->safe_audit = f->sent_audit;
    }
    save_cursors(f, gh_monotonic_us());
    conn_close(f);
    return NULL;
}

/* ---- start and stop ------------------------------------------------------------------- */

static void forwarder_free(struct audit_forwarder *f)
{
    if (f == NULL)
        return;
    conn_close(f);
    if (f->cred != NULL)
        gnutls_certificate_free_credentials(f->cred);
    store_close(f->st);
    gh_buf_free(&f->batch);
    if (f->stop_pipe[0] >= 0)
        close(f->stop_pipe[0]);
    if (f->stop_pipe[1] >= 0)
        close(f->stop_pipe[1]);
    pthread_mutex_destroy(&f->mu);
    free(f->db_path);
    free(f);
}

static int load_trust(struct audit_forwarder *f, struct gh_err *err)
{
    int rc = gnutls_certificate_allocate_credentials(&f->cred);
    if (rc < 0) {
        f->cred = NULL;
        return gh_fail(err, -ENOMEM, "TLS: %s", gnutls_strerror(rc));
    }
    if (f->cfg.ca_file[0] != '\0')
        rc = gnutls_certificate_set_x509_trust_file(f->cred, f->cfg.ca_file, GNUTLS_X509_FMT_PEM);
    else
        rc = gnutls_certificate_set_x509_system_trust(f->cred);
    if (rc <= 0)
        return gh_fail(err, -EINVAL, "siem.ca_file: %s: no CA certificate could be read%s%s",
                       f->cfg.ca_file[0] ? f->cfg.ca_file : "the system trust store",
                       rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
    return 0;
}

int audit_forwarder_start(const char *db_path, const struct audit_siem_config *cfg,
                          struct audit_forwarder **out, struct gh_err *err)
{
    struct audit_forwarder *f = xcalloc(1, sizeof(*f));
    int r;

    f->cfg = *cfg;
    f->fd = -1;
    f->stop_pipe[0] = f->stop_pipe[1] = -1;
    f->backoff_s = 1;
    pthread_mutex_init(&f->mu, NULL);
    gh_buf_init(&f->batch, BATCH_MAX + 2 * AUDIT_SIEM_MSG_MAX);
    f->db_path = xstrdup(db_path);
    if ((r = audit_siem_target_parse(cfg->target, &f->tls, f->host, sizeof(f->host), f->port,
                                     sizeof(f->port), err)) < 0)
        goto fail;
    gh_strlcpy(f->name, cfg->server_name[0] ? cfg->server_name : f->host, sizeof(f->name));
    if (cfg->hostname[0] != '\0')
        gh_strlcpy(f->hostname, cfg->hostname, sizeof(f->hostname));
    else if (gethostname(f->hostname, sizeof(f->hostname) - 1) != 0)
        gh_strlcpy(f->hostname, "-", sizeof(f->hostname));
    for (char *p = f->hostname; *p; p++) /* RFC 5424 HOSTNAME: PRINTUSASCII */
        if (*p <= ' ' || *p > '~')
            *p = '_';
    if (f->tls && (r = load_trust(f, err)) < 0)
        goto fail;
    if ((r = store_open(db_path, 0, &f->st, err)) < 0)
        goto fail;
    export_names_init(&f->names, f->st);
    /* with no saved cursor, from now (or the beginning, with from_start) */
    f->sent_event =
        meta_int(f->st, KEY_EVENT, cfg->from_start ? 0 : store_event_last_offset(f->st));
    f->sent_audit = meta_int(f->st, KEY_AUDIT, cfg->from_start ? 0 : store_audit_size(f->st));
    if (f->sent_event < 0 || f->sent_audit < 0) {
        r = gh_fail(err, -EIO, "SIEM forwarding: cannot read the store: %s", store_errmsg(f->st));
        goto fail;
    }
    f->safe_event = f->sent_event;
    f->safe_audit = f->sent_audit;
    f->saved_event = -1; /* saved at once: a restart resumes here */
    f->stats.event_cursor = f->sent_event;
    f->stats.audit_cursor = f->sent_audit;
    if (pipe(f->stop_pipe) != 0 || fcntl(f->stop_pipe[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(f->stop_pipe[1], F_SETFD, FD_CLOEXEC) != 0) {
        r = gh_fail(err, -errno, "SIEM forwarding: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&f->thread, NULL, forward_main, f) != 0) {
        r = gh_fail(err, -EAGAIN, "SIEM forwarding: cannot start its thread");
        goto fail;
    }
    log_info("SIEM forwarding to %s from event offset %lld and audit index %lld", cfg->target,
             (long long)f->sent_event, (long long)f->sent_audit);
    *out = f;
    return 0;
fail:
    forwarder_free(f);
    return r;
}

void audit_forwarder_stats(struct audit_forwarder *f, struct audit_forwarder_stats *out)
{
    pthread_mutex_lock(&f->mu);
    *out = f->stats;
    pthread_mutex_unlock(&f->mu);
}

void audit_forwarder_stop(struct audit_forwarder *f)
{
    if (f == NULL)
        return;
    if (write(f->stop_pipe[1], "x", 1) != 1)
        log_error("SIEM forwarding: cannot signal its thread to stop");
    pthread_join(f->thread, NULL);
    forwarder_free(f);
}
