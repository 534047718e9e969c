/*
 * bench_import.c: importing an HR roster. Measures
 *   import_100k   seconds to import a generated 100,000-person roster CSV (every column,
 *                 quoted fields, UTF-8 names, managers before and after their reports)
 *                 into a fresh store the way `gatehouse import people` does: read the file,
 *                 roster_parse(), roster_apply() in one transaction;
 *   baseline      the sqlite3 shell inserting the same 100,000 people (departments and
 *                 managers already resolved to ids; a manager who comes later in the file is
 *                 set by an UPDATE afterwards, as roster_apply does) in ONE transaction into
 *                 a database with the same schema and PRAGMAs (WAL, synchronous=NORMAL,
 *                 foreign keys on, store_open's cache_size).
 * The ratio is import / baseline (lower is better; informational). The CSV and the SQL are
 * generated once, outside timing; each run uses a fresh database.
 */
#include "interop/interop.h"
#include "bench.h"

#define N_PEOPLE 100000u
#define N_DEPTS  40u
#define N_EXECS  50u /* the first rows have no manager */

static const char *const first_names[] = {"Anna",   "Ben",  "Chloé", "David", "Emre", "Fatma",
                                          "Günter", "Hana", "Ivan",  "Julia", "Kai",  "Lena",
                                          "Miguel", "Nora", "Olaf",  "Priya"};
static const char *const last_names[] = {"Müller", "Schmidt",  "Schneider", "Fischer",
                                         "Weber",  "Meyer",    "Wagner",    "Becker",
                                         "Nguyen", "Kowalski", "O'Brien",   "García"};
static const char *const titles[] = {
    "Engineer", "\"Engineer, Senior\"",     "Analyst", "Technician",
    "Manager",  "\"Director, Operations\"", "Guard",   ""};

/* Row i of the roster (0-based), re-derivable: the CSV and the SQL hold the same people. */
struct person_row {
    uint32_t dept;     /* 0..N_DEPTS-1 */
    uint32_t manager;  /* row index, or UINT32_MAX: none */
    unsigned status;   /* enum person_status */
    unsigned kind;     /* enum person_kind */
    int64_t start_day; /* days since 1970 */
    int64_t end_day;   /* -1: none */
    uint32_t fn, ln, title;
};

static void person_row(uint32_t i, struct person_row *p)
{
    uint64_t h = bench_mix(i, 0x5eed);
    unsigned s = (unsigned)(h % 100);
    p->dept = (uint32_t)((h >> 8) % N_DEPTS);
    if (i < N_EXECS)
        p->manager = UINT32_MAX;
    else if ((h >> 16) % 100 < 3) /* managed by someone later in the file: second pass */
        p->manager = i + 1 + (uint32_t)((h >> 24) % 100) < N_PEOPLE
                         ? i + 1 + (uint32_t)((h >> 24) % 100)
                         : (uint32_t)((h >> 24) % N_EXECS);
    else
        p->manager = (uint32_t)((h >> 24) % (i < 1000 ? i : i / 10 + 1));
    p->status = s < 95 ? PERSON_ACTIVE : s < 98 ? PERSON_ON_LEAVE : PERSON_SUSPENDED;
    p->kind = (h >> 40) % 10 == 0 ? PERSON_CONTRACTOR : PERSON_EMPLOYEE;
    p->start_day = gh_days_from_civil(2015, 1, 1) + (int64_t)((h >> 44) % 4000);
    p->end_day = (h >> 56) % 10 == 0 ? p->start_day + 365 + (int64_t)((h >> 20) % 1500) : -1;
    p->fn = (uint32_t)((h >> 32) % GH_ARRAY_LEN(first_names));
    p->ln = (uint32_t)((h >> 36) % GH_ARRAY_LEN(last_names));
    p->title = (uint32_t)((h >> 48) % GH_ARRAY_LEN(titles));
}

static const char *status_name(unsigned s)
{
    return person_status_name((enum person_status)s);
}

static void date_str(int64_t day, char buf[16])
{
    int64_t y;
    unsigned m, d;
    gh_civil_from_days(day, &y, &m, &d);
    snprintf(buf, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

static int write_csv(const char *path)
{
    struct person_row p;
    char sd[16], ed[16];
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "bench_import: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("employee_id,first_name,last_name,email,department,title,manager_id,status,"
          "start_date,end_date,kind\n",
          f);
    for (uint32_t i = 0; i < N_PEOPLE; i++) {
        person_row(i, &p);
        date_str(p.start_day, sd);
        if (p.end_day >= 0)
            date_str(p.end_day, ed);
        else
            ed[0] = '\0';
        fprintf(f, "E%06u,%s,%s,e%06u@example.com,Department %02u,%s,", i, first_names[p.fn],
                last_names[p.ln], i, p.dept, titles[p.title]);
        if (p.manager != UINT32_MAX)
            fprintf(f, "E%06u", p.manager);
        fprintf(f, ",%s,%s,%s,%s\r\n", status_name(p.status), sd, ed,
                person_kind_name((enum person_kind)p.kind));
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_import: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

/* A title as SQL text: the CSV quoting removed, single quotes doubled (none here). */
static void sql_title(FILE *f, const char *t)
{
    size_t n = strlen(t);
    if (n >= 2 && t[0] == '"')
        fprintf(f, "'%.*s'", (int)(n - 2), t + 1);
    else
        fprintf(f, "'%s'", t);
}

static void sql_name(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* The baseline: the same people with ids resolved, as roster_apply stores them. */
static int write_sql(const char *path)
{
    struct person_row p;
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "bench_import: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA foreign_keys=ON;\n"
          "PRAGMA cache_size=-65536;\nBEGIN;\n",
          f);
    for (uint32_t d = 0; d < N_DEPTS; d++)
        fprintf(f, "INSERT INTO departments (id, name) VALUES (%u, 'Department %02u');\n", d + 1,
                d);
    for (uint32_t i = 0; i < N_PEOPLE; i++) {
        person_row(i, &p);
        if (i % 500 == 0)
            fputs("INSERT INTO people (id, employee_id, first_name, last_name, email, "
                  "department_id, title, manager_id, kind, status, valid_from, valid_until) "
                  "VALUES\n",
                  f);
        fprintf(f, "(%u,'E%06u',", i + 1, i);
        sql_name(f, first_names[p.fn]);
        fputc(',', f);
        sql_name(f, last_names[p.ln]);
        fprintf(f, ",'e%06u@example.com',%u,", i, p.dept + 1);
        sql_title(f, titles[p.title]);
        if (p.manager < i) /* later managers are set below, as roster_apply does */
            fprintf(f, ",%u", p.manager + 1);
        else
            fputs(",NULL", f);
        fprintf(f, ",%u,%u,%lld,", p.kind, p.status,
                (long long)(p.start_day * 86400 * GH_USEC_PER_SEC));
        if (p.end_day >= 0)
            fprintf(f, "%lld", (long long)((p.end_day + 1) * 86400 * GH_USEC_PER_SEC));
        else
            fputs("NULL", f);
        fputs(i % 500 == 499 || i + 1 == N_PEOPLE ? ");\n" : "),\n", f);
    }
    for (uint32_t i = 0; i < N_PEOPLE; i++) {
        person_row(i, &p);
        if (p.manager != UINT32_MAX && p.manager > i)
            fprintf(f, "UPDATE people SET manager_id = %u WHERE id = %u;\n", p.manager + 1, i + 1);
    }
    fputs("COMMIT;\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_import: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

static int64_t people_in(const char *path)
{
    struct gh_err err = {{0}};
    struct store *st;
    int64_t n = -1;
    if (store_open(path, 0, &st, &err) < 0) {
        fprintf(stderr, "bench_import: %s\n", err.msg);
        return -1;
    }
    if (store_person_count(st, &n) < 0)
        n = -1;
    store_close(st);
    return n;
}

/* One timed import into a fresh store; seconds, or a negative value on failure. */
static double import_run(const char *csv, const char *db)
{
    struct gh_err err = {{0}};
    struct roster_mapping map;
    struct roster_summary sum;
    struct roster *ro = NULL;
    struct store *st = NULL;
    char *data = NULL;
    size_t len = 0;
    int64_t t0, t1, t2;
    double secs = -1;

    bench_rm_db(db);
    if (store_open(db, STORE_CREATE, &st, &err) < 0) { /* the CLI's flags: not durable */
        fprintf(stderr, "bench_import: %s\n", err.msg);
        return -1;
    }
    roster_mapping_init(&map);
    t0 = bench_ns();
    if (gh_read_file(csv, ROSTER_MAX_BYTES, &data, &len, &err) < 0) { /* as the CLI reads */
        fprintf(stderr, "bench_import: %s\n", err.msg);
        goto out;
    }
    if (roster_parse(data, len, &map, &ro, &err) < 0 || ro->n_errors > 0) {
        fprintf(stderr, "bench_import: parse: %s (%zu row errors%s%s)\n", err.msg,
                ro ? ro->n_errors : 0, ro && ro->n_errors ? ", first: " : "",
                ro && ro->n_errors ? ro->errors[0].msg : "");
        goto out;
    }
    t1 = bench_ns();
    if (roster_apply(st, ro, false, gh_now_us(), &sum, NULL, NULL, &err) < 0) {
        fprintf(stderr, "bench_import: apply: %s\n", err.msg);
        goto out;
    }
    t2 = bench_ns();
    if (sum.created != N_PEOPLE) {
        fprintf(stderr, "bench_import: %zu created, expected %u\n", sum.created, N_PEOPLE);
        goto out;
    }
    secs = (double)(t2 - t0) / 1e9;
    fprintf(stderr, "bench_import: import: %.3f s (read + parse %.3f s, apply %.3f s)\n", secs,
            (double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9);
out:
    store_close(st);
    roster_free(ro);
    roster_mapping_free(&map);
    free(data);
    return secs;
}

/* One timed run of the sqlite3 shell; seconds, or a negative value on failure. */
static double baseline_run(const char *sql, const char *db)
{
    char *argv[] = {(char *)bench_sqlite3(), (char *)db, NULL};
    struct gh_err err = {{0}};
    struct store *st;
    int64_t t0, t1;
    int rc;
    bench_rm_db(db);
    if (store_open(db, STORE_CREATE, &st, &err) < 0) {
        fprintf(stderr, "bench_import: %s\n", err.msg);
        return -1;
    }
    store_close(st);
    t0 = bench_ns();
    rc = bench_run_stdin(argv, sql);
    t1 = bench_ns();
    if (rc != 0) {
        fprintf(stderr, "bench_import: %s failed (%d)\n", argv[0], rc);
        return -1;
    }
    fprintf(stderr, "bench_import: sqlite3 shell: %.3f s\n", (double)(t1 - t0) / 1e9);
    return (double)(t1 - t0) / 1e9;
}

int main(void)
{
    const char *dir = bench_tmp_dir();
    char csv[4096], sql[4096], db[4096], bdb[4096];
    double imp[BENCH_RUNS], base[BENCH_RUNS];
    int status = 1;

    if (dir == NULL || gh_snprintf(csv, sizeof(csv), "%s/roster-%u.csv", dir, N_PEOPLE) < 0 ||
        gh_snprintf(sql, sizeof(sql), "%s/roster-%u.sql", dir, N_PEOPLE) < 0 ||
        gh_snprintf(db, sizeof(db), "%s/import.db", dir) < 0 ||
        gh_snprintf(bdb, sizeof(bdb), "%s/import-sqlite3.db", dir) < 0)
        return 1;
    if (access(bench_sqlite3(), X_OK) != 0) {
        fprintf(stderr, "bench_import: %s not found (set GH_BENCH_SQLITE3)\n", bench_sqlite3());
        return 1;
    }
    if (write_csv(csv) < 0 || write_sql(sql) < 0)
        goto out;
    for (int r = 0; r < BENCH_RUNS; r++) {
        imp[r] = import_run(csv, db);
        if (imp[r] < 0 || people_in(db) != N_PEOPLE)
            goto out;
        base[r] = baseline_run(sql, bdb);
        if (base[r] < 0 || people_in(bdb) != N_PEOPLE) {
            fprintf(stderr, "bench_import: the baseline database does not hold %u people\n",
                    N_PEOPLE);
            goto out;
        }
    }
    bench_report("import_100k", bench_median(imp, BENCH_RUNS), "s", bench_median(base, BENCH_RUNS),
                 "s", false, 3);
    status = 0;
out:
    bench_rm_db(db);
    bench_rm_db(bdb);
    return status;
}
