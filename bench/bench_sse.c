/*
 * bench_sse.c: live-stream fan-out. A real server (http_server_start on a fresh data dir,
 * TLS as deployed) with SSE_CLIENTS clients on GET /api/v1/events/stream over TLS; a
 * producer commits SSE_RATE events/s into the store through its own connection, in groups
 * every SSE_TICK_MS (as the ingest writer commits), and notes the monotonic time after each
 * commit. Each client notes, for every "id:" it reads, now - commit time. Measures
 *   sse_p99   the 99th percentile of commit-to-client latency over every (event, client)
 *             pair, in ms (target <= 50);
 * baseline: the same client code reading the same frames from plain loopback sockets that
 * one thread writes to right after the same "commit" (the floor of a bare fan-out on this
 * machine). Every client must receive every event exactly once, in order. The median of
 * SSE_RUNS runs is reported; p50 and per-run figures go to stderr.
 */
#include "http/http.h"
#include "bench.h"
#include "sse_client.h"

#include <sodium.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#define SSE_CLIENTS 100
#define SSE_RATE    1000 /* events per second */
#define SSE_TICK_MS 5    /* a commit every tick: SSE_RATE * SSE_TICK_MS / 1000 events */
#define SSE_SECONDS 8
#define SSE_RUNS    3
#define SSE_EVENTS  (SSE_RATE * SSE_SECONDS)

struct run;

struct client {
    struct run *run;
    struct sse_conn conn; /* plain for the baseline */
    pthread_t thread;
    int32_t *lat_us; /* one per event received */
    size_t n;
    int64_t last_offset;
    bool bad; /* out of order, duplicate, or unknown event */
};

struct run {
    const char *name;
    _Atomic int64_t *commit_ns; /* by offset - base; 0 until committed */
    atomic_llong base;          /* offset of the first event of the run */
    atomic_int connected;
    atomic_int done;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct client clients[SSE_CLIENTS];
};

/* ---- the client ------------------------------------------------------------------------ */

/* One line of the stream: "id: N" is an event (the rest of the frame is not needed);
 * the first comment line means the stream is open. */
static void client_line(struct client *c, const char *line, bool *open)
{
    struct run *run = c->run;
    if (!*open && line[0] == ':') {
        *open = true;
        sse_count(&run->mu, &run->cond, &run->connected);
        return;
    }
    if (strncmp(line, "id: ", 4) == 0) {
        int64_t off = strtoll(line + 4, NULL, 10), now = bench_ns(), base = atomic_load(&run->base);
        int64_t idx = off - base, t;
        if (base == 0 || idx < 0 || idx >= SSE_EVENTS || off <= c->last_offset ||
            c->n >= SSE_EVENTS) {
            c->bad = true;
            return;
        }
        t = atomic_load(&run->commit_ns[idx]);
        c->lat_us[c->n++] = t == 0 || now < t ? 0 : (int32_t)((now - t) / 1000);
        c->last_offset = off;
        if (c->n == SSE_EVENTS)
            sse_count(&run->mu, &run->cond, &run->done);
    }
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    char buf[16384], line[2048];
    size_t ll = 0;
    bool open = false;
    ssize_t n;
    while ((n = sse_read(&c->conn, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                if (ll > 0 && line[ll - 1] == '\r')
                    ll--;
                line[ll] = '\0';
                client_line(c, line, &open);
                ll = 0;
            } else if (ll < sizeof(line) - 1) {
                line[ll++] = buf[i];
            }
        }
    }
    if (!open) /* never connected: let the main thread go on (it reports the failure) */
        sse_count(&c->run->mu, &c->run->cond, &c->run->connected);
    return NULL;
}

/* ---- the producer ------------------------------------------------------------------------ */
/* Commits SSE_EVENTS events into db at SSE_RATE; -1 on failure. */
static int produce_store(struct run *run, const char *db)
{
    struct store *st = NULL;
    struct gh_err err = {{0}};
    const int per_tick = SSE_RATE * SSE_TICK_MS / 1000;
    int64_t start = bench_ns(), offs[64];
    int rc = -1;
    if (store_open(db, STORE_DURABLE, &st, &err) < 0) {
        fprintf(stderr, "bench_sse: %s\n", err.msg);
        return -1;
    }
    for (int i = 0, tick = 0; i < SSE_EVENTS; tick++) {
        int k = 0;
        sse_sleep_until(start + (int64_t)tick * SSE_TICK_MS * 1000000);
        if (store_begin_write(st) < 0)
            goto out;
        for (; k < per_tick && i < SSE_EVENTS; k++, i++) {
            struct event ev;
            if (event_make(&ev, EV_DOOR_STATE, 0, 0, 0,
                           json_pack("{s:s, s:i}", "state", "opened", "n", i)) < 0 ||
                store_event_append(st, &ev) < 0) {
                store_rollback(st);
                goto out;
            }
            offs[k] = ev.offset;
        }
        if (i == k) /* the first group: offsets are known before the commit is visible */
            atomic_store(&run->base, offs[0]);
        if (store_commit(st) < 0)
            goto out;
        {
            int64_t now = bench_ns();
            for (int j = 0; j < k; j++)
                atomic_store(&run->commit_ns[offs[j] - atomic_load(&run->base)], now);
        }
    }
    rc = 0;
out:
    store_close(st);
    return rc;
}

/* The baseline: the same frames written to every client socket right after "commit". */
static int produce_bare(struct run *run, const int *fds)
{
    const int per_tick = SSE_RATE * SSE_TICK_MS / 1000;
    const int64_t base = 1000;
    int64_t start = bench_ns();
    atomic_store(&run->base, base);
    for (int i = 0, tick = 0; i < SSE_EVENTS; tick++) {
        char frame[4096];
        size_t len = 0;
        int n0 = i;
        sse_sleep_until(start + (int64_t)tick * SSE_TICK_MS * 1000000);
        for (int k = 0; k < per_tick && i < SSE_EVENTS; k++, i++) {
            int w = snprintf(frame + len, sizeof(frame) - len,
                             "id: %lld\nevent: door_state\ndata: {\"offset\":%lld,\"type\":"
                             "\"door_state\",\"payload\":{\"state\":\"opened\",\"n\":%d}}\n\n",
                             (long long)(base + i), (long long)(base + i), i);
            if (w < 0 || (size_t)w >= sizeof(frame) - len)
                return -1;
            len += (size_t)w;
        }
        {
            int64_t now = bench_ns();
            for (int j = n0; j < i; j++)
                atomic_store(&run->commit_ns[j], now);
        }
        for (int c = 0; c < SSE_CLIENTS; c++) {
            for (size_t off = 0; off < len;) {
                ssize_t w = write(fds[c], frame + off, len - off);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    return -1;
                off += (size_t)w;
            }
        }
    }
    return 0;
}

/* ---- one run --------------------------------------------------------------------------- */

static void run_init(struct run *run, const char *name)
{
    memset(run, 0, sizeof(*run));
    run->name = name;
    run->commit_ns = calloc(SSE_EVENTS, sizeof(*run->commit_ns));
    pthread_mutex_init(&run->mu, NULL);
    pthread_cond_init(&run->cond, NULL);
    for (int i = 0; i < SSE_CLIENTS; i++) {
        run->clients[i].run = run;
        run->clients[i].conn.fd = -1;
        run->clients[i].lat_us = malloc(SSE_EVENTS * sizeof(int32_t));
    }
}

/* Joins the clients, checks that each got every event in order, and computes p50/p99 (ms)
 * over every sample. Frees the run. -1 when an event was lost or out of order. */
static int run_finish(struct run *run, double *p50, double *p99)
{
    size_t total = 0, k = 0;
    int32_t *all;
    int rc = 0;
    for (int i = 0; i < SSE_CLIENTS; i++)
        pthread_join(run->clients[i].thread, NULL);
    for (int i = 0; i < SSE_CLIENTS; i++) {
        struct client *c = &run->clients[i];
        if (c->bad || c->n != SSE_EVENTS) {
            fprintf(stderr, "bench_sse: %s client %d got %zu of %d events%s\n", run->name, i, c->n,
                    SSE_EVENTS, c->bad ? " (and a wrong one)" : "");
            rc = -1;
        }
        total += c->n;
    }
    all = malloc((total ? total : 1) * sizeof(int32_t));
    for (int i = 0; i < SSE_CLIENTS; i++) {
        memcpy(all + k, run->clients[i].lat_us, run->clients[i].n * sizeof(int32_t));
        k += run->clients[i].n;
        free(run->clients[i].lat_us);
    }
    qsort(all, total, sizeof(int32_t), sse_cmp_i32);
    *p50 = total ? all[total / 2] / 1000.0 : 0;
    *p99 = total ? all[(size_t)((double)total * 0.99)] / 1000.0 : 0;
    free(all);
    free((void *)run->commit_ns);
    pthread_mutex_destroy(&run->mu);
    pthread_cond_destroy(&run->cond);
    return rc;
}

static int run_server(const char *data, const char *token, double *p50, double *p99)
{
    static struct run run;
    struct http_server *srv = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    char db[4096];
    int rc;

    if (sse_server(data, &srv, &cred, db, sizeof(db)) < 0)
        return -1;
    run_init(&run, "server");
    for (int i = 0; i < SSE_CLIENTS; i++) {
        struct client *c = &run.clients[i];
        if (sse_open_tls(&c->conn, http_server_port(srv), cred, "/api/v1/events/stream", token) <
            0) {
            fprintf(stderr, "bench_sse: client %d could not open a stream\n", i);
            sse_close(&c->conn);
        }
        pthread_create(&c->thread, NULL, client_main, c);
    }
    sse_wait(&run.mu, &run.cond, &run.connected, SSE_CLIENTS, 30);
    if (produce_store(&run, db) < 0)
        fprintf(stderr, "bench_sse: the producer failed\n");
    sse_wait(&run.mu, &run.cond, &run.done, SSE_CLIENTS, 30);
    http_server_stop(srv); /* ends the streams: the clients see EOF */
    rc = run_finish(&run, p50, p99);
    for (int i = 0; i < SSE_CLIENTS; i++)
        sse_close(&run.clients[i].conn);
    gnutls_certificate_free_credentials(cred);
    return rc;
}

static int run_bare(double *p50, double *p99)
{
    static struct run run;
    int fds[SSE_CLIENTS], rc;
    run_init(&run, "bare");
    for (int i = 0; i < SSE_CLIENTS; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return -1;
        fds[i] = sv[0];
        run.clients[i].conn.fd = sv[1];
        if (write(sv[0], ": open\n\n", 8) != 8)
            return -1;
        pthread_create(&run.clients[i].thread, NULL, client_main, &run.clients[i]);
    }
    sse_wait(&run.mu, &run.cond, &run.connected, SSE_CLIENTS, 30);
    rc = produce_bare(&run, fds);
    sse_wait(&run.mu, &run.cond, &run.done, SSE_CLIENTS, 30);
    for (int i = 0; i < SSE_CLIENTS; i++)
        close(fds[i]);
    if (run_finish(&run, p50, p99) < 0)
        rc = -1;
    for (int i = 0; i < SSE_CLIENTS; i++)
        sse_close(&run.clients[i].conn);
    return rc;
}

/* ---- main ------------------------------------------------------------------------------ */

static int make_data_dir(const char *data, char *token, size_t len)
{
    char *init[] = {"./gatehouse", "--data", (char *)data, "init", NULL};
    char db[4096];
    struct store *st = NULL;
    struct api_token row;
    struct gh_err err = {{0}};
    int rc;
    if (bench_run_stdin(init, "/dev/null") != 0) {
        fprintf(stderr, "bench_sse: ./gatehouse init failed (run from the build dir)\n");
        return -1;
    }
    if (gh_snprintf(db, sizeof(db), "%s/gatehouse.db", data) < 0 ||
        store_open(db, 0, &st, &err) < 0) {
        fprintf(stderr, "bench_sse: %s\n", err.msg);
        return -1;
    }
    rc = identity_token_create(st, "bench", "events.read", GH_TIME_MAX, token, len, &row, &err);
    if (rc < 0)
        fprintf(stderr, "bench_sse: %s\n", err.msg);
    store_close(st);
    return rc;
}

int main(void)
{
    const char *tmp = bench_tmp_dir();
    char data[4096], token[IDENTITY_TOKEN_LEN];
    char *rm[] = {"/bin/rm", "-rf", data, NULL};
    double gh99[SSE_RUNS], bare99[SSE_RUNS];
    int rc = 1;

    if (tmp == NULL || gh_snprintf(data, sizeof(data), "%s/sse.%d", tmp, (int)getpid()) < 0)
        return 1;
    log_set_level(LOG_WARN);
    if (make_data_dir(data, token, sizeof(token)) < 0)
        goto out;
    fprintf(stderr, "bench_sse: %d clients, %d events/s in commits every %d ms, %d s a run\n",
            SSE_CLIENTS, SSE_RATE, SSE_TICK_MS, SSE_SECONDS);
    for (int i = 0; i < SSE_RUNS; i++) {
        double p50, bp50;
        if (run_server(data, token, &p50, &gh99[i]) < 0 || run_bare(&bp50, &bare99[i]) < 0)
            goto out;
        fprintf(stderr,
                "bench_sse: run %d: server p50 %.2f ms p99 %.2f ms; bare p50 %.3f ms "
                "p99 %.3f ms\n",
                i + 1, p50, gh99[i], bp50, bare99[i]);
    }
    {
        double g = bench_median(gh99, SSE_RUNS), b = bench_median(bare99, SSE_RUNS);
        bench_report("sse_p99", g, "ms", b, "ms", false, 50);
    }
    rc = 0;
out:
    sodium_memzero(token, sizeof(token));
    bench_run_stdin(rm, "/dev/null");
    return rc;
}
