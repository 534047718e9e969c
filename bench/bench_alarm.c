/*
 * bench_alarm.c: how soon an alarm reaches the people watching. A real server
 * (http_server_start on a fresh data dir with ALARM_EVENTS doors a run, TLS as deployed, the rules
 * thread on) with ALARM_CLIENTS clients on GET /api/v1/events/stream?type=door.forced,alarm.
 * A producer commits a door.forced event into the store through its own connection (as a
 * controller's upload would, from another connection) every 1/ALARM_RATE s, at the next
 * door each time, and notes the time of each commit. The rules thread notices the commit,
 * raises the alarm (a new one each time), opens its incident (forced_door), writes them and
 * tells the streams. Each client notes, for the
 * door.forced event (its offset) and for the alarm it raised (its "source" offset), now -
 * the commit time of that event. Measures
 *   alarm_sse_p99  the 99th percentile, over every (alarm, client), of the time from the
 *                  commit of the event that raises an alarm to the alarm read by the client,
 *                  in ms (target <= 100: it holds the alarm-commit-to-SSE, and the
 *                  detection before it);
 * baseline: the same figure for the door.forced event itself on the same streams (the
 * live stream's own fan-out, with no rules thread in the way). Every client must get every
 * event and every alarm. The median of ALARM_RUNS runs is reported.
 */
#include "http/http.h"
#include "bench.h"
#include "sse_client.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>

#define ALARM_CLIENTS 20
#define ALARM_RATE    50 /* door.forced events per second */
#define ALARM_SECONDS 6
#define ALARM_RUNS    3
#define ALARM_EVENTS  (ALARM_RATE * ALARM_SECONDS)

struct run;

struct client {
    struct run *run;
    struct sse_conn conn;
    pthread_t thread;
    int32_t *event_us, *alarm_us; /* latencies, one per event and per alarm */
    size_t n_events, n_alarms;
};

struct run {
    _Atomic int64_t commit_ns[ALARM_EVENTS]; /* by event index; 0 until committed */
    _Atomic int64_t offset[ALARM_EVENTS];    /* the events' offsets */
    atomic_int produced;
    atomic_int connected, done;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct client clients[ALARM_CLIENTS];
};

/* The commit time of the event at offset off: -1 when it is not one of ours; 0 when the
 * producer has not noted it yet (it was read before the commit call returned: no delay). */
static int64_t commit_of(struct run *run, int64_t off)
{
    int n = atomic_load(&run->produced);
    for (int i = n - 1; i >= 0 && i >= n - 64; i--) /* it is one of the last few */
        if (atomic_load(&run->offset[i]) == off)
            return atomic_load(&run->commit_ns[i]);
    for (int i = 0; i < n; i++)
        if (atomic_load(&run->offset[i]) == off)
            return atomic_load(&run->commit_ns[i]);
    return -1;
}

static int32_t since(int64_t now, int64_t t)
{
    return t == 0 || now < t ? 0 : (int32_t)((now - t) / 1000);
}

/* A frame: "id: N", "event: TYPE", "data: {...}". */
static void client_frame(struct client *c, int64_t id, const char *type, const char *data)
{
    int64_t now = bench_ns(), t;
    if (strcmp(type, "door.forced") == 0) {
        if ((t = commit_of(c->run, id)) >= 0 && c->n_events < ALARM_EVENTS)
            c->event_us[c->n_events++] = since(now, t);
    } else if (strcmp(type, "alarm") == 0) {
        const char *src = strstr(data, "\"source\":");
        if (src != NULL && (t = commit_of(c->run, strtoll(src + 9, NULL, 10))) >= 0 &&
            c->n_alarms < ALARM_EVENTS)
            c->alarm_us[c->n_alarms++] = since(now, t);
    }
    if (c->n_events == ALARM_EVENTS && c->n_alarms == ALARM_EVENTS) {
        c->n_alarms++; /* said once */
        sse_count(&c->run->mu, &c->run->cond, &c->run->done);
    }
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    char buf[16384], line[4096], type[32] = "";
    int64_t id = 0;
    size_t ll = 0;
    bool open = false;
    ssize_t n;
    while ((n = sse_read(&c->conn, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (ll < sizeof(line) - 1)
                    line[ll++] = buf[i];
                continue;
            }
            line[ll] = '\0';
            ll = 0;
            if (!open && line[0] == ':') {
                open = true;
                sse_count(&c->run->mu, &c->run->cond, &c->run->connected);
            } else if (strncmp(line, "id: ", 4) == 0) {
                id = strtoll(line + 4, NULL, 10);
            } else if (strncmp(line, "event: ", 7) == 0) {
                gh_strlcpy(type, line + 7, sizeof(type));
            } else if (strncmp(line, "data: ", 6) == 0) {
                client_frame(c, id, type, line + 6);
            }
        }
    }
    if (!open)
        sse_count(&c->run->mu, &c->run->cond, &c->run->connected);
    return NULL;
}

static int produce(struct run *run, const char *db, const int64_t *doors)
{
    struct store *st = NULL;
    struct gh_err err = {{0}};
    int64_t start = bench_ns();
    int rc = -1;
    if (store_open(db, STORE_DURABLE, &st, &err) < 0) {
        fprintf(stderr, "bench_alarm: %s\n", err.msg);
        return -1;
    }
    for (int i = 0; i < ALARM_EVENTS; i++) {
        struct event ev;
        sse_sleep_until(start + (int64_t)i * 1000000000 / ALARM_RATE);
        if (event_make(&ev, EV_DOOR_FORCED, doors[i], 0, 0, json_pack("{s:i}", "n", i)) < 0 ||
            store_begin_write(st) < 0)
            goto out;
        if (store_event_append(st, &ev) < 0) {
            store_rollback(st);
            goto out;
        }
        atomic_store(&run->offset[i], ev.offset);
        atomic_store(&run->produced, i + 1);
        if (store_commit(st) < 0)
            goto out;
        atomic_store(&run->commit_ns[i], bench_ns());
    }
    rc = 0;
out:
    store_close(st);
    return rc;
}

static double p99(int32_t *v, size_t n)
{
    qsort(v, n, sizeof(int32_t), sse_cmp_i32);
    return n ? v[(size_t)((double)n * 0.99)] / 1000.0 : 0;
}

static int one_run(const char *data, const char *token, const int64_t *doors, double *alarm99,
                   double *event99)
{
    static struct run run;
    struct http_server *srv = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    char db[4096];
    int32_t *ev_all = NULL, *al_all = NULL;
    size_t ne = 0, na = 0;
    int rc = -1;

    memset(&run, 0, sizeof(run));
    pthread_mutex_init(&run.mu, NULL);
    pthread_cond_init(&run.cond, NULL);
    if (sse_server(data, &srv, &cred, db, sizeof(db)) < 0) {
        pthread_mutex_destroy(&run.mu);
        pthread_cond_destroy(&run.cond);
        return -1;
    }
    for (int i = 0; i < ALARM_CLIENTS; i++) {
        struct client *c = &run.clients[i];
        c->run = &run;
        c->event_us = calloc(ALARM_EVENTS, sizeof(int32_t));
        c->alarm_us = calloc(ALARM_EVENTS, sizeof(int32_t));
        if (sse_open_tls(&c->conn, http_server_port(srv), cred,
                         "/api/v1/events/stream?type=door.forced,alarm", token) < 0) {
            fprintf(stderr, "bench_alarm: client %d could not open a stream\n", i);
            sse_close(&c->conn);
        }
        pthread_create(&c->thread, NULL, client_main, c);
    }
    sse_wait(&run.mu, &run.cond, &run.connected, ALARM_CLIENTS, 30);
    if (produce(&run, db, doors) < 0)
        fprintf(stderr, "bench_alarm: the producer failed\n");
    sse_wait(&run.mu, &run.cond, &run.done, ALARM_CLIENTS, 30);
    http_server_stop(srv); /* ends the streams */
    ev_all = calloc(ALARM_CLIENTS * ALARM_EVENTS, sizeof(int32_t));
    al_all = calloc(ALARM_CLIENTS * ALARM_EVENTS, sizeof(int32_t));
    rc = 0;
    for (int i = 0; i < ALARM_CLIENTS; i++) {
        struct client *c = &run.clients[i];
        pthread_join(c->thread, NULL);
        if (c->n_events != ALARM_EVENTS || c->n_alarms <= ALARM_EVENTS) {
            fprintf(stderr, "bench_alarm: client %d got %zu events and %zu alarms of %d\n", i,
                    c->n_events, c->n_alarms > ALARM_EVENTS ? ALARM_EVENTS : c->n_alarms,
                    ALARM_EVENTS);
            rc = -1;
        }
        memcpy(ev_all + ne, c->event_us, c->n_events * sizeof(int32_t));
        ne += c->n_events;
        memcpy(al_all + na, c->alarm_us,
               (c->n_alarms > ALARM_EVENTS ? ALARM_EVENTS : c->n_alarms) * sizeof(int32_t));
        na += c->n_alarms > ALARM_EVENTS ? ALARM_EVENTS : c->n_alarms;
        sse_close(&c->conn);
        free(c->event_us);
        free(c->alarm_us);
    }
    *alarm99 = p99(al_all, na);
    *event99 = p99(ev_all, ne);
    free(ev_all);
    free(al_all);
    gnutls_certificate_free_credentials(cred);
    pthread_mutex_destroy(&run.mu);
    pthread_cond_destroy(&run.cond);
    return rc;
}

/* A data dir with a token and ALARM_EVENTS doors to force for each run (a door forced in an
 * earlier run would only repeat its open alarm). */
static int make_data_dir(const char *data, char *token, size_t len, int64_t *doors)
{
    char *init[] = {"./gatehouse", "--data", (char *)data, "init", NULL};
    char db[4096];
    struct store *st = NULL;
    struct api_token row;
    struct gh_err err = {{0}};
    struct site s = {0};
    struct area out = {0}, in = {0};
    struct door d = {0};
    int rc;
    if (bench_run_stdin(init, "/dev/null") != 0) {
        fprintf(stderr, "bench_alarm: ./gatehouse init failed (run from the build dir)\n");
        return -1;
    }
    if (gh_snprintf(db, sizeof(db), "%s/gatehouse.db", data) < 0 ||
        store_open(db, 0, &st, &err) < 0) {
        fprintf(stderr, "bench_alarm: %s\n", err.msg);
        return -1;
    }
    gh_strlcpy(s.name, "HQ", sizeof(s.name));
    gh_strlcpy(s.timezone, "UTC", sizeof(s.timezone));
    gh_strlcpy(out.name, "Outside", sizeof(out.name));
    gh_strlcpy(in.name, "Lobby", sizeof(in.name));
    rc = store_begin_write(st);
    if (rc == 0)
        rc = store_site_insert(st, &s, &err);
    out.site_id = in.site_id = d.site_id = s.id;
    if (rc == 0)
        rc = store_area_insert(st, &out, &err);
    if (rc == 0)
        rc = store_area_insert(st, &in, &err);
    d.from_area_id = out.id;
    d.to_area_id = in.id;
    d.unlock_ms = 5000;
    d.held_open_s = 30;
    for (int i = 0; rc == 0 && i < ALARM_RUNS * ALARM_EVENTS; i++) {
        snprintf(d.name, sizeof(d.name), "Door %d", i + 1);
        rc = store_door_insert(st, &d, &err);
        doors[i] = d.id;
    }
    if (rc == 0)
        rc = store_commit(st);
    if (rc == 0)
        rc = identity_token_create(st, "bench", "events.read", GH_TIME_MAX, token, len, &row, &err);
    if (rc < 0)
        fprintf(stderr, "bench_alarm: %s\n", err.msg[0] ? err.msg : store_errmsg(st));
    store_close(st);
    return rc;
}

int main(void)
{
    const char *tmp = bench_tmp_dir();
    char data[4096], token[IDENTITY_TOKEN_LEN];
    char *rm[] = {"/bin/rm", "-rf", data, NULL};
    double al99[ALARM_RUNS], ev99[ALARM_RUNS];
    static int64_t doors[ALARM_RUNS * ALARM_EVENTS];
    int rc = 1;

    if (tmp == NULL || gh_snprintf(data, sizeof(data), "%s/alarm.%d", tmp, (int)getpid()) < 0)
        return 1;
    log_set_level(LOG_WARN);
    if (make_data_dir(data, token, sizeof(token), doors) < 0)
        goto out;
    fprintf(stderr,
            "bench_alarm: %d clients, a door forced %d times a second (a new alarm and "
            "incident each), %d s a run\n",
            ALARM_CLIENTS, ALARM_RATE, ALARM_SECONDS);
    for (int i = 0; i < ALARM_RUNS; i++) {
        if (one_run(data, token, doors + i * ALARM_EVENTS, &al99[i], &ev99[i]) < 0)
            goto out;
        fprintf(stderr, "bench_alarm: run %d: alarm p99 %.2f ms, its event p99 %.2f ms\n", i + 1,
                al99[i], ev99[i]);
    }
    bench_report("alarm_sse_p99", bench_median(al99, ALARM_RUNS), "ms",
                 bench_median(ev99, ALARM_RUNS), "ms", false, 100);
    rc = 0;
out:
    sodium_memzero(token, sizeof(token));
    bench_run_stdin(rm, "/dev/null");
    return rc;
}
