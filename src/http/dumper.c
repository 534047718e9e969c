/*
 * dumper.c: the daily access dump's thread (R-HR-2). With [dump] dir set, it looks every
 * 30 s (and at start) whether a dump is due: yesterday's once the local time in
 * dump.timezone has reached dump.at, and any of the backfill_days days before it whose
 * dump is missing (the server was down at dump time). Each dump (src/interop/dump.c) is an
 * export of the access log, so each is recorded in the audit log.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <string.h>

#define DUMP_CHECK_MS 30000

static void record_dump(struct http_server *srv, struct store *st,
                        const struct export_dump_result *res)
{
    char outcome[HTTP_PATH_MAX + 128];
    struct gh_err err = {{0}};
    uint64_t idx;
    json_t *e;
    gh_snprintf(outcome, sizeof(outcome), "%s: %lld rows, sha256 %s", res->path,
                (long long)res->rows, res->sha256);
    e = json_pack("{s:s, s:s, s:s, s:s}", "who", "gatehouse", "auth", "system", "action",
                  "daily dump", "outcome", outcome);
    (void)srv;
    if (store_begin_write(st) < 0 || audit_record(st, e, gh_now_us(), &idx, &err) < 0 ||
        store_commit(st) < 0) {
        store_rollback(st);
        log_error("daily dump %s written but not recorded in the audit log: %s", res->path,
                  err.msg[0] ? err.msg : store_errmsg(st));
    }
}

/* Writes every dump that is due and missing. */
static void dump_due(struct http_server *srv, struct store *st)
{
    const struct http_dump_config *c = &srv->cfg.dump;
    int64_t now = gh_now_us(), first;
    struct gh_local local;
    tz_local(srv->dump_tz, now, &local);
    first = local.days - 1 - (int64_t)c->backfill_days;
    for (int64_t day = first; day < local.days; day++) {
        struct export_dump_result res;
        struct gh_err err = {{0}};
        char name[EXPORT_DUMP_NAME_MAX];
        /* yesterday's is due at dump.at today; older ones are overdue */
        if (day == local.days - 1 &&
            now < tz_utc_from_local(srv->dump_tz, local.days, c->at_minute * 60) * GH_USEC_PER_SEC)
            continue;
        if (export_dump_exists(c->dir, day))
            continue;
        export_dump_name(day, name);
        if (export_dump_day(st, c->dir, srv->dump_tz, day, &res, &err) < 0) {
            log_error("daily dump %s/%s: %s (will try again)", c->dir, name, err.msg);
            continue;
        }
        log_info("daily dump %s: %lld rows, sha256 %s", res.path, (long long)res.rows, res.sha256);
        record_dump(srv, st, &res);
    }
}

static void *dumper_main(void *arg)
{
    struct http_server *srv = arg;
    struct store *st = NULL;
    struct gh_err err = {{0}};
    if (store_open(srv->db_path, 0, &st, &err) < 0) {
        log_error("daily dump: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&srv->dump_mu);
    while (!srv->dump_stop) {
        struct timespec ts;
        pthread_mutex_unlock(&srv->dump_mu);
        dump_due(srv, st);
        pthread_mutex_lock(&srv->dump_mu);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += DUMP_CHECK_MS / 1000;
        if (!srv->dump_stop)
            pthread_cond_timedwait(&srv->dump_cond, &srv->dump_mu, &ts);
    }
    pthread_mutex_unlock(&srv->dump_mu);
    store_close(st);
    return NULL;
}

int http_dumper_start(struct http_server *srv, struct gh_err *err)
{
    const struct http_dump_config *c = &srv->cfg.dump;
    int r;
    if (c->dir[0] == '\0')
        return 0;
    if ((r = tz_load(c->timezone, &srv->dump_tz, err)) < 0) {
        gh_err_prefix(err, "dump.timezone");
        return r;
    }
    pthread_mutex_init(&srv->dump_mu, NULL);
    pthread_cond_init(&srv->dump_cond, NULL);
    if (pthread_create(&srv->dump_thread, NULL, dumper_main, srv) != 0) {
        pthread_mutex_destroy(&srv->dump_mu);
        pthread_cond_destroy(&srv->dump_cond);
        tz_free(srv->dump_tz);
        srv->dump_tz = NULL;
        return gh_fail(err, -EAGAIN, "cannot start the daily dump thread");
    }
    srv->dump_started = true;
    log_info("daily access dumps into %s at %02u:%02u %s", c->dir, c->at_minute / 60,
             c->at_minute % 60, c->timezone);
    return 0;
}

void http_dumper_stop(struct http_server *srv)
{
    if (!srv->dump_started)
        return;
    pthread_mutex_lock(&srv->dump_mu);
    srv->dump_stop = true;
    pthread_cond_signal(&srv->dump_cond);
    pthread_mutex_unlock(&srv->dump_mu);
    pthread_join(srv->dump_thread, NULL);
    pthread_mutex_destroy(&srv->dump_mu);
    pthread_cond_destroy(&srv->dump_cond);
    tz_free(srv->dump_tz);
    srv->dump_tz = NULL;
    srv->dump_started = false;
}
