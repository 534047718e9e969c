/*
 * sse_client.h: the client side of a live stream for the benchmarks (bench_sse, bench_alarm):
 * a TLS connection to the server on 127.0.0.1 that asks for one stream path with a bearer
 * token (HTTP/1.0: no chunked framing to undo), and reads. A connection with no TLS session
 * reads a plain socket (the baselines). Static inline: each benchmark is its own program.
 */
#ifndef GH_BENCH_SSE_CLIENT_H
#define GH_BENCH_SSE_CLIENT_H

#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

struct sse_conn {
    int fd;
    gnutls_session_t tls; /* NULL: plain */
};

static inline int sse_tcp_connect(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Opens GET path over TLS (the server's certificate checked against cred, name localhost). */
static inline int sse_open_tls(struct sse_conn *c, unsigned port,
                               gnutls_certificate_credentials_t cred, const char *path,
                               const char *token)
{
    char req[512];
    int rc, len;
    c->tls = NULL;
    c->fd = sse_tcp_connect(port);
    if (c->fd < 0)
        return -1;
    if (gnutls_init(&c->tls, GNUTLS_CLIENT) < 0)
        return -1;
    gnutls_set_default_priority(c->tls);
    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred);
    gnutls_session_set_verify_cert(c->tls, "localhost", 0);
    gnutls_transport_set_int(c->tls, c->fd);
    do {
        rc = gnutls_handshake(c->tls);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc < 0) {
        fprintf(stderr, "bench: TLS handshake: %s\n", gnutls_strerror(rc));
        return -1;
    }
    len = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.0\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
                   "Accept: text/event-stream\r\n\r\n",
                   path, token);
    if (len < 0 || (size_t)len >= sizeof(req) ||
        gnutls_record_send(c->tls, req, (size_t)len) != len)
        return -1;
    return 0;
}

static inline ssize_t sse_read(struct sse_conn *c, char *buf, size_t len)
{
    for (;;) {
        ssize_t n = c->tls ? gnutls_record_recv(c->tls, buf, len) : read(c->fd, buf, len);
        if (c->tls && (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED))
            continue;
        if (!c->tls && n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

static inline void sse_close(struct sse_conn *c)
{
    if (c->tls) {
        gnutls_deinit(c->tls);
        c->tls = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Starts a server on a free port of 127.0.0.1 over data (TLS as deployed), and makes the
 * credentials that trust its certificate; db gets the database's path. -1 (said on
 * stderr) on failure, with nothing left running. */
static inline int sse_server(const char *data, struct http_server **srv,
                             gnutls_certificate_credentials_t *cred, char *db, size_t db_len)
{
    struct http_config cfg;
    struct gh_err err = {{0}};
    char cert[4096];
    *srv = NULL;
    *cred = NULL;
    http_config_init(&cfg);
    gh_strlcpy(cfg.data_dir, data, sizeof(cfg.data_dir));
    gh_strlcpy(cfg.listen_addr, "127.0.0.1", sizeof(cfg.listen_addr));
    cfg.port = 0;
    if (http_config_check(&cfg, &err) < 0 || http_server_start(&cfg, srv, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return -1;
    }
    if (gh_snprintf(db, db_len, "%s/gatehouse.db", data) < 0 ||
        gh_snprintf(cert, sizeof(cert), "%s/tls/cert.pem", data) < 0 ||
        gnutls_certificate_allocate_credentials(cred) < 0 ||
        gnutls_certificate_set_x509_trust_file(*cred, cert, GNUTLS_X509_FMT_PEM) <= 0) {
        fprintf(stderr, "bench: the server's certificate cannot be trusted\n");
        if (*cred != NULL)
            gnutls_certificate_free_credentials(*cred);
        *cred = NULL;
        http_server_stop(*srv);
        *srv = NULL;
        return -1;
    }
    return 0;
}

/* The benchmark's threads meet on counters: a client says it connected, or is done. */
static inline void sse_count(pthread_mutex_t *mu, pthread_cond_t *cond, atomic_int *counter)
{
    pthread_mutex_lock(mu);
    atomic_fetch_add(counter, 1);
    pthread_cond_broadcast(cond);
    pthread_mutex_unlock(mu);
}

/* Waits until *counter reaches want, or timeout_s. */
static inline void sse_wait(pthread_mutex_t *mu, pthread_cond_t *cond, atomic_int *counter,
                            int want, int timeout_s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_s;
    pthread_mutex_lock(mu);
    while (atomic_load(counter) < want)
        if (pthread_cond_timedwait(cond, mu, &until) != 0)
            break;
    pthread_mutex_unlock(mu);
}

/* Sleeps until the monotonic time t (ns). */
static inline void sse_sleep_until(int64_t t)
{
    struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static inline int sse_cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

#endif
