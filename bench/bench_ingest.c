/*
 * bench_ingest.c: the event pipeline's throughput into SQLite. Measures
 *   ingest_rate   events/s through the real pipeline: ingest_start() with default options
 *                 (durable: synchronous=FULL, one transaction per batch of <= 4096), one
 *                 producer thread calling ingest_submit(), timed until ingest_flush()
 *                 returns (every event committed);
 *   ingest_ratio  ingest_rate / the sqlite3 shell inserting the same rows into a database
 *                 with the same schema (created by store_open, so the same indexes and
 *                 triggers) in ONE transaction with the same PRAGMAs (journal_mode=WAL,
 *                 synchronous=FULL, store_open's cache_size), timed as
 *                 `sqlite3 db < file.sql` in the same run.
 * Each run starts from a fresh database; the SQL file is written once per invocation,
 * outside timing.
 */
#include "ingest/ingest.h"
#include "bench.h"

#define N_EVENTS     500000u
#define ROWS_PER_SQL 500u /* rows per multi-row INSERT in the baseline file */

/* Event i of the stream (deterministic, so the SQL file holds the same rows). */
static void make_event(uint32_t i, struct event *ev)
{
    uint64_t h = bench_mix(i, 77);
    bool known = h % 10 != 0;
    ev->offset = 0;
    ev->time_us = INT64_C(1763280000000000) + (int64_t)i * 1000; /* one read a millisecond */
    ev->type = EV_ACCESS_DECISION;
    ev->door_id = 1 + (int64_t)((h >> 8) % 5000);
    ev->person_id = known ? 1 + (int64_t)((h >> 24) % 1000000) : 0;
    ev->credential_id = ev->person_id;
    ev->decision = known && (h >> 48) % 20 != 0 ? 1 : 0;
    ev->reason = ev->decision ? REASON_GRANTED
                              : (known ? REASON_NO_ACCESS_LEVEL : REASON_UNKNOWN_CREDENTIAL);
    gh_strlcpy(ev->payload,
               (h >> 56) & 1 ? "{\"direction\":\"exit\"}" : "{\"direction\":\"entry\"}",
               sizeof(ev->payload));
}

static void sql_ref(FILE *f, int64_t v)
{
    if (v == 0)
        fputs("NULL", f);
    else
        fprintf(f, "%lld", (long long)v);
}

/* The baseline's input: the same rows, as the store would bind them (0 refs as NULL). */
static int write_sql(const char *path)
{
    struct event *ev = xcalloc(1, sizeof(*ev));
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "bench_ingest: %s: %s\n", path, strerror(errno));
        free(ev);
        return -1;
    }
    fputs("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\nPRAGMA foreign_keys=ON;\n"
          "PRAGMA cache_size=-65536;\nBEGIN;\n",
          f);
    for (uint32_t i = 0; i < N_EVENTS; i++) {
        make_event(i, ev);
        if (i % ROWS_PER_SQL == 0)
            fputs("INSERT INTO events (time_us, type, door_id, person_id, credential_id, "
                  "decision, reason, payload) VALUES\n",
                  f);
        fprintf(f, "(%lld,%d,", (long long)ev->time_us, (int)ev->type);
        sql_ref(f, ev->door_id);
        fputc(',', f);
        sql_ref(f, ev->person_id);
        fputc(',', f);
        sql_ref(f, ev->credential_id);
        fprintf(f, ",%d,%d,'%s')%s\n", ev->decision, ev->reason, ev->payload,
                i % ROWS_PER_SQL == ROWS_PER_SQL - 1 || i + 1 == N_EVENTS ? ";" : ",");
    }
    fputs("COMMIT;\n", f);
    free(ev);
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_ingest: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

/* Creates an empty database with the real schema (store_open migrates it). */
static int fresh_db(const char *path)
{
    struct gh_err err = {{0}};
    struct store *st;
    bench_rm_db(path);
    if (store_open(path, STORE_CREATE | STORE_DURABLE, &st, &err) < 0) {
        fprintf(stderr, "bench_ingest: %s\n", err.msg);
        return -1;
    }
    store_close(st);
    return 0;
}

/* Events in a database (the highest offset: they are gap-free from 1). */
static int64_t db_events(const char *path)
{
    struct gh_err err = {{0}};
    struct store *st;
    int64_t n;
    if (store_open(path, 0, &st, &err) < 0) {
        fprintf(stderr, "bench_ingest: %s\n", err.msg);
        return -1;
    }
    n = store_event_last_offset(st);
    store_close(st);
    return n;
}

/* One timed run through the pipeline; events/s, or a negative value on failure. */
static double pipeline_run(const char *path, struct event *ev)
{
    struct gh_err err = {{0}};
    struct ingest *ing = NULL;
    struct ingest_stats stats;
    int64_t t0, t1;
    int r;

    bench_rm_db(path);
    if (ingest_start(path, NULL, &ing, &err) < 0) {
        fprintf(stderr, "bench_ingest: ingest_start: %s\n", err.msg);
        return -1;
    }
    t0 = bench_ns();
    for (uint32_t i = 0; i < N_EVENTS; i++) {
        make_event(i, ev);
        if (ingest_submit(ing, ev) < 0) {
            fprintf(stderr, "bench_ingest: ingest_submit failed at %u\n", i);
            ingest_stop(ing);
            return -1;
        }
    }
    r = ingest_flush(ing);
    t1 = bench_ns();
    ingest_stats(ing, &stats);
    ingest_stop(ing);
    if (r < 0 || stats.committed != N_EVENTS || stats.failed != 0) {
        fprintf(stderr, "bench_ingest: flush %d, %llu committed, %llu failed\n", r,
                (unsigned long long)stats.committed, (unsigned long long)stats.failed);
        return -1;
    }
    fprintf(stderr,
            "bench_ingest: pipeline: %u events in %.3f s, %llu batches (%.0f per batch), "
            "%llu submits waited for room\n",
            N_EVENTS, (double)(t1 - t0) / 1e9, (unsigned long long)stats.batches,
            (double)N_EVENTS / (double)stats.batches, (unsigned long long)stats.blocked);
    return (double)N_EVENTS / ((double)(t1 - t0) / 1e9);
}

/* One timed run of the sqlite3 shell; rows/s, or a negative value on failure. */
static double baseline_run(const char *path, const char *sql)
{
    char *argv[] = {(char *)bench_sqlite3(), (char *)path, NULL};
    int64_t t0, t1;
    int rc;
    if (fresh_db(path) < 0)
        return -1;
    t0 = bench_ns();
    rc = bench_run_stdin(argv, sql);
    t1 = bench_ns();
    if (rc != 0) {
        fprintf(stderr, "bench_ingest: %s failed (%d)\n", argv[0], rc);
        return -1;
    }
    fprintf(stderr, "bench_ingest: sqlite3 shell: %u rows in %.3f s\n", N_EVENTS,
            (double)(t1 - t0) / 1e9);
    return (double)N_EVENTS / ((double)(t1 - t0) / 1e9);
}

int main(void)
{
    const char *dir = bench_tmp_dir();
    char sql[4096], db[4096], bdb[4096];
    double rate[BENCH_RUNS], base[BENCH_RUNS], mr, mb;
    struct event *ev = xcalloc(1, sizeof(*ev));
    int status = 1;

    if (dir == NULL || gh_snprintf(sql, sizeof(sql), "%s/ingest-%u.sql", dir, N_EVENTS) < 0 ||
        gh_snprintf(db, sizeof(db), "%s/ingest-pipeline.db", dir) < 0 ||
        gh_snprintf(bdb, sizeof(bdb), "%s/ingest-sqlite3.db", dir) < 0)
        goto out;
    if (access(bench_sqlite3(), X_OK) != 0) {
        fprintf(stderr, "bench_ingest: %s not found (set GH_BENCH_SQLITE3)\n", bench_sqlite3());
        goto out;
    }
    if (write_sql(sql) < 0)
        goto out;
    for (int r = 0; r < BENCH_RUNS; r++) {
        rate[r] = pipeline_run(db, ev);
        if (rate[r] < 0 || db_events(db) != N_EVENTS)
            goto out;
        base[r] = baseline_run(bdb, sql);
        if (base[r] < 0 || db_events(bdb) != N_EVENTS) {
            fprintf(stderr, "bench_ingest: the baseline database does not hold %u events\n",
                    N_EVENTS);
            goto out;
        }
    }
    mr = bench_median(rate, BENCH_RUNS);
    mb = bench_median(base, BENCH_RUNS);
    bench_report("ingest_rate", mr, "events/s", mb, "rows/s", true, 200000);
    bench_report_r("ingest_ratio", mr / mb, "x", mb, "rows/s", mr / mb, true, 0.5);
    status = 0;
out:
    bench_rm_db(db);
    bench_rm_db(bdb);
    free(ev);
    return status;
}
