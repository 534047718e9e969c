/*
 * bench.h: helpers shared by the bench_*.c programs (header-only, every function static
 * inline): a splitmix64 PRNG, a monotonic clock, medians and percentiles, resident memory,
 * a scratch directory, running a child process with redirected stdin, and the one result
 * line each figure prints:
 *
 *   bench: NAME VALUE UNIT baseline VALUE UNIT ratio R target >=T   (or target <=T)
 *
 * Everything else a bench says goes to stderr, so stdout holds only result lines.
 */
#ifndef GH_BENCH_H
#define GH_BENCH_H

#include "base/base.h"

#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How many times each timed figure is measured; the median is reported. */
#define BENCH_RUNS 5

/* ---- PRNG ---------------------------------------------------------------------------- */

struct bench_rng {
    uint64_t s;
};

static inline uint64_t bench_next(struct bench_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0; the modulo bias is irrelevant here). */
static inline uint64_t bench_below(struct bench_rng *r, uint64_t n)
{
    return bench_next(r) % n;
}

/* A stateless mix of two numbers: the same inputs always give the same output, so data
 * generated from it can be re-derived later without storing it. */
static inline uint64_t bench_mix(uint64_t a, uint64_t b)
{
    struct bench_rng r = {a * UINT64_C(0xd1b54a32d192ed03) ^ b};
    return bench_next(&r);
}

/* ---- time ---------------------------------------------------------------------------- */

static inline int64_t bench_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of n values (the array is sorted in place). */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- memory --------------------------------------------------------------------------- */

/* VmRSS of this process in bytes, or -1. */
static inline int64_t bench_rss_bytes(void)
{
    char buf[4096];
    ssize_t n;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    char *p;
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strstr(buf, "VmRSS:");
    if (p == NULL)
        return -1;
    return (int64_t)strtoll(p + 6, NULL, 10) * 1024; /* "VmRSS:   12345 kB" */
}

/* ---- files and processes ------------------------------------------------------------- */

/* Creates dir if missing (one level). */
static inline int bench_mkdir(const char *dir)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Removes a SQLite database and its -wal / -shm / -journal files. */
static inline void bench_rm_db(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];
    for (size_t i = 0; i < GH_ARRAY_LEN(sfx); i++) {
        if (gh_snprintf(p, sizeof(p), "%s%s", path, sfx[i]) == 0)
            unlink(p);
    }
}

/* Runs argv[0] (a path) with stdin from in_path and stdout to /dev/null; returns its exit
 * status (0 on success) or -1 when it could not be run. */
static inline int bench_run_stdin(char *const argv[], const char *in_path)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0, rc;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, in_path, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (!WIFEXITED(status)) {
        fprintf(stderr, "bench: %s died (status %d)\n", argv[0], status);
        return -1;
    }
    return WEXITSTATUS(status);
}

/* The sqlite3 shell used for baselines: $GH_BENCH_SQLITE3 or /usr/bin/sqlite3. */
static inline const char *bench_sqlite3(void)
{
    const char *p = getenv("GH_BENCH_SQLITE3");
    return p != NULL && p[0] != '\0' ? p : "/usr/bin/sqlite3";
}

/* Directory for scratch databases: $GH_BENCH_TMP or ./bench-tmp (on the same file system
 * as the build, so fsync costs what it costs there, not on a tmpfs). */
static inline const char *bench_tmp_dir(void)
{
    const char *p = getenv("GH_BENCH_TMP");
    p = p != NULL && p[0] != '\0' ? p : "bench-tmp";
    return bench_mkdir(p) == 0 ? p : NULL;
}

/* ---- the result line ------------------------------------------------------------------ */

static inline void bench_fmt(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (a >= 1000)
        snprintf(buf, len, "%.0f", v);
    else if (a >= 10)
        snprintf(buf, len, "%.1f", v);
    else if (a >= 1)
        snprintf(buf, len, "%.2f", v);
    else
        snprintf(buf, len, "%.3f", v);
}

/* Prints one result line with an explicit ratio. higher_better picks ">=" or "<=". */
static inline void bench_report_r(const char *name, double value, const char *unit, double baseline,
                                  const char *base_unit, double ratio, bool higher_better,
                                  double target)
{
    char v[48], b[48], r[48], t[48];
    bench_fmt(v, sizeof(v), value);
    bench_fmt(b, sizeof(b), baseline);
    bench_fmt(r, sizeof(r), ratio);
    bench_fmt(t, sizeof(t), target);
    printf("bench: %s %s %s baseline %s %s ratio %s target %s%s\n", name, v, unit, b, base_unit, r,
           higher_better ? ">=" : "<=", t);
    fflush(stdout);
}

/* Prints one result line; the ratio is value / baseline. */
static inline void bench_report(const char *name, double value, const char *unit, double baseline,
                                const char *base_unit, bool higher_better, double target)
{
    bench_report_r(name, value, unit, baseline, base_unit, baseline != 0 ? value / baseline : 0,
                   higher_better, target);
}

#endif
