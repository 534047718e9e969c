/*
 * test_roster.c: the HR roster CSV parser (src/interop/roster.c). RFC 4180 quoting with
 * embedded commas, quotes and line breaks (and the line numbers of the records after
 * them), CRLF, a BOM, the header mapped by name in any order and case, column mappings
 * from a spec and from a file, every per-row validation error at its exact line:column,
 * fatal header problems, limits, and a generated 100,000-row roster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "interop/interop.h"

#define HDR                                                                                        \
    "employee_id,first_name,last_name,email,department,title,manager_id,status,start_date,"        \
    "end_date,kind\n"
#define DAY_US (86400 * INT64_C(1000000))

#ifndef GH_TEST_DATA
#define GH_TEST_DATA "tests/data"
#endif

/* ---- helpers ------------------------------------------------------------------------ */

static void dump_errors(const struct roster *r)
{
    size_t kept = r->n_errors < ROSTER_MAX_ERRORS ? r->n_errors : ROSTER_MAX_ERRORS;
    for (size_t i = 0; i < kept; i++)
        fprintf(stderr, "  error %u:%u: %s\n", r->errors[i].line, r->errors[i].column,
                r->errors[i].msg);
}

static struct roster *parse_map(const char *csv, size_t len, const struct roster_mapping *m)
{
    struct roster *r = NULL;
    struct gh_err err = {{0}};
    int rc = roster_parse(csv, len, m, &r, &err);
    if (rc != 0)
        fail_msg("roster_parse: %d %s", rc, err.msg);
    assert_non_null(r);
    return r;
}

static struct roster *parse(const char *csv)
{
    return parse_map(csv, strlen(csv), NULL);
}

/* Parses input that must be rejected as a whole; returns the message. */
static void parse_fatal(const char *csv, size_t len, const struct roster_mapping *m, int code,
                        const char *want_msg)
{
    struct roster *r = (struct roster *)1;
    struct gh_err err = {{0}};
    int rc = roster_parse(csv, len, m, &r, &err);
    if (rc != code)
        fail_msg("roster_parse: %d (wanted %d) %s", rc, code, err.msg);
    assert_null(r);
    if (strstr(err.msg, want_msg) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, want_msg);
}

#define FATAL(lit, m, code, msg) parse_fatal(lit, sizeof(lit) - 1, m, code, msg)

/* Asserts that r has an error at line:column whose message contains want. */
static void has_error(const struct roster *r, unsigned line, unsigned column, const char *want)
{
    size_t kept = r->n_errors < ROSTER_MAX_ERRORS ? r->n_errors : ROSTER_MAX_ERRORS;
    for (size_t i = 0; i < kept; i++) {
        if (r->errors[i].line == line && r->errors[i].column == column &&
            strstr(r->errors[i].msg, want) != NULL)
            return;
    }
    dump_errors(r);
    fail_msg("no error %u:%u containing '%s'", line, column, want);
}

static void no_errors(const struct roster *r)
{
    if (r->n_errors != 0) {
        dump_errors(r);
        fail_msg("%zu unexpected errors", r->n_errors);
    }
}

static int64_t day_us(int64_t y, unsigned m, unsigned d)
{
    return gh_days_from_civil(y, m, d) * DAY_US;
}

/* Writes text to a new file in /tmp, loads it as a mapping file and removes it again;
 * returns what roster_mapping_load() returned. path gets the file's name. */
static int load_temp(const char *text, size_t len, struct roster_mapping *m, struct gh_err *err,
                     char path[64])
{
    int fd, rc;
    snprintf(path, 64, "/tmp/gh_roster_map_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        unlink(path);
        fail_msg("cannot write %s", path);
    }
    close(fd);
    rc = roster_mapping_load(path, m, err);
    unlink(path);
    return rc;
}

/* Reads tests/data/roster/<name> into a malloc'ed buffer. */
static char *read_data(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    char *buf = malloc(64 * 1024);
    snprintf(path, sizeof(path), "%s/roster/%s", GH_TEST_DATA, name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    *len = fread(buf, 1, 64 * 1024, f);
    fclose(f);
    return buf;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_field_names(void **state)
{
    (void)state;
    assert_string_equal(roster_field_name(RF_EMPLOYEE_ID), "employee_id");
    assert_string_equal(roster_field_name(RF_MANAGER_ID), "manager_id");
    assert_string_equal(roster_field_name(RF_KIND), "kind");
    assert_string_equal(roster_field_name(ROSTER_FIELD_COUNT), "unknown");
    assert_true(roster_field_required(RF_EMPLOYEE_ID));
    assert_true(roster_field_required(RF_FIRST_NAME));
    assert_true(roster_field_required(RF_LAST_NAME));
    assert_false(roster_field_required(RF_EMAIL));
    assert_false(roster_field_required(RF_KIND));
}

static void test_basic(void **state)
{
    struct roster *r;
    (void)state;
    r = parse(HDR "E1,Ada,Lovelace,ada@example.test,Engineering,Engineer,,,2024-03-01,,\n"
                  "E2,Bo,Berg,,,,E1,On Leave,,2025-12-31,Contractor\n");
    no_errors(r);
    assert_int_equal(r->n_rows, 2);
    assert_int_equal(r->n_unknown, 0);
    assert_int_equal(r->field_column[RF_EMPLOYEE_ID], 1);
    assert_int_equal(r->field_column[RF_KIND], 11);

    assert_int_equal(r->rows[0].line, 2);
    assert_string_equal(r->rows[0].field[RF_EMPLOYEE_ID], "E1");
    assert_string_equal(r->rows[0].field[RF_EMAIL], "ada@example.test");
    assert_string_equal(r->rows[0].field[RF_DEPARTMENT], "Engineering");
    assert_string_equal(r->rows[0].field[RF_MANAGER_ID], "");
    assert_int_equal(r->rows[0].status, PERSON_ACTIVE);
    assert_int_equal(r->rows[0].kind, PERSON_EMPLOYEE);
    assert_true(r->rows[0].valid_from == day_us(2024, 3, 1));
    assert_true(r->rows[0].valid_until == GH_TIME_MAX);

    assert_int_equal(r->rows[1].line, 3);
    assert_string_equal(r->rows[1].field[RF_MANAGER_ID], "E1");
    assert_string_equal(r->rows[1].field[RF_STATUS], "On Leave");
    assert_int_equal(r->rows[1].status, PERSON_ON_LEAVE);
    assert_int_equal(r->rows[1].kind, PERSON_CONTRACTOR);
    assert_true(r->rows[1].valid_from == GH_TIME_MIN);
    assert_true(r->rows[1].valid_until == day_us(2026, 1, 1)); /* the day after */
    roster_free(r);
}

static void test_status_spellings(void **state)
{
    static const char *const ok[] = {"on_leave", "On Leave", "on-leave", "ON_LEAVE", " on leave "};
    (void)state;
    for (size_t i = 0; i < GH_ARRAY_LEN(ok); i++) {
        char csv[256];
        struct roster *r;
        snprintf(csv, sizeof(csv), "employee_id,first_name,last_name,status\nE1,A,B,\"%s\"\n",
                 ok[i]);
        r = parse(csv);
        no_errors(r);
        assert_int_equal(r->rows[0].status, PERSON_ON_LEAVE);
        roster_free(r);
    }
}

static void test_quoted_fields(void **state)
{
    struct roster *r;
    (void)state;
    r = parse("employee_id,first_name,last_name,title,notes\n"        /* 1 */
              "E1,\"Ann, Marie\",Lee,\"Head of \"\"Ops\"\"\",plain\n" /* 2 */
              "E2,Bob,Ray,x,\"three\n"                                /* 3 */
              "line\r\n"                                              /* 4 */
              "note, with comma\"\n"                                  /* 5 */
              "E3,Cy,Dee,y,\"\"\n"                                    /* 6 */
              "E4,Di,\"\",z,\n"                                       /* 7 */
              "E5,\"  Ed  \",Fox,,\"a\"\"\"\n");                      /* 8 */
    assert_int_equal(r->n_errors, 1);
    has_error(r, 7, 3, "last_name: must not be empty");
    assert_int_equal(r->n_rows, 4);
    assert_int_equal(r->n_unknown, 1);
    assert_string_equal(r->unknown_columns[0], "notes");
    assert_string_equal(r->rows[0].field[RF_FIRST_NAME], "Ann, Marie");
    assert_string_equal(r->rows[0].field[RF_TITLE], "Head of \"Ops\"");
    assert_int_equal(r->rows[0].line, 2);
    assert_int_equal(r->rows[1].line, 3);
    assert_int_equal(r->rows[2].line, 6);
    assert_string_equal(r->rows[2].field[RF_EMPLOYEE_ID], "E3");
    assert_int_equal(r->rows[3].line, 8);
    assert_string_equal(r->rows[3].field[RF_FIRST_NAME], "Ed"); /* trimmed */
    roster_free(r);
}

static void test_crlf_bom(void **state)
{
    struct roster *r;
    (void)state;
    r = parse("\xef\xbb\xbf"
              "Employee_ID,First_Name,Last_Name,Email\r\n"
              "E1,Ann,Lee,ann@example.test\r\n"
              "\r\n"
              "E2,\"Bo\r\nBo\",Ray,bo@example.test\r\n"
              "E3,Cy,Dee,not-an-email\r\n");
    assert_int_equal(r->n_rows, 1);
    assert_string_equal(r->rows[0].field[RF_EMAIL], "ann@example.test"); /* no \r */
    assert_int_equal(r->field_column[RF_EMPLOYEE_ID], 1);                /* BOM gone */
    has_error(r, 4, 2, "first_name: not printable UTF-8 text");
    has_error(r, 6, 4, "email: 'not-an-email' is not an e-mail address");
    assert_int_equal(r->n_errors, 2);
    roster_free(r);

    /* CRLF without a final line break, LF-only lines mixed in */
    r = parse("employee_id,first_name,last_name\r\nE1,A,B\nE2,C,D\r\nE3,E,F");
    no_errors(r);
    assert_int_equal(r->n_rows, 3);
    assert_int_equal(r->rows[2].line, 4);
    assert_string_equal(r->rows[2].field[RF_LAST_NAME], "F");
    roster_free(r);
}

static void test_header_order_and_case(void **state)
{
    struct roster *r;
    (void)state;
    r = parse(" LAST_NAME ,Kind,Employee_Id,\"First_Name\",Start_Date\n"
              "Lee,visitor,V-1,Ann,2024-01-31\n");
    no_errors(r);
    assert_int_equal(r->field_column[RF_LAST_NAME], 1);
    assert_int_equal(r->field_column[RF_EMPLOYEE_ID], 3);
    assert_int_equal(r->field_column[RF_EMAIL], 0);
    assert_string_equal(r->rows[0].field[RF_EMPLOYEE_ID], "V-1");
    assert_string_equal(r->rows[0].field[RF_FIRST_NAME], "Ann");
    assert_string_equal(r->rows[0].field[RF_EMAIL], "");
    assert_int_equal(r->rows[0].kind, PERSON_VISITOR);
    assert_true(r->rows[0].valid_from == day_us(2024, 1, 31));
    roster_free(r);
}

static void test_unknown_columns(void **state)
{
    struct roster *r;
    (void)state;
    r = parse("employee_id,Badge Photo,first_name,last_name,Cost Center,\nE1,x.jpg,A,B,42,\n");
    no_errors(r);
    assert_int_equal(r->n_unknown, 2); /* the unnamed last column is ignored */
    assert_string_equal(r->unknown_columns[0], "Badge Photo");
    assert_string_equal(r->unknown_columns[1], "Cost Center");
    assert_int_equal(r->n_rows, 1);
    roster_free(r);
}

static void test_fatal_header(void **state)
{
    struct roster_mapping m;
    struct gh_err err = {{0}};
    char wide[1024];
    size_t n = 0;
    (void)state;

    FATAL("first_name,last_name\nA,B\n", NULL, -EINVAL,
          "missing required column 'employee_id' (header has: first_name, last_name)");
    FATAL("employee_id,first_name,Employee_ID,last_name\n", NULL, -EINVAL,
          "line 1: column 'Employee_ID' appears twice (columns 1 and 3)");
    parse_fatal("", 0, NULL, -EINVAL, "empty");
    FATAL("\n  \n\r\n", NULL, -EINVAL, "empty");
    FATAL("\xff\xfe"
          "e\0",
          NULL, -EINVAL, "UTF-16");
    FATAL("employee_id,first_name,last\"name\n", NULL, -EINVAL,
          "line 1, column 3: malformed header");
    FATAL("employee_id,first_name,\"last_name\n", NULL, -EINVAL,
          "line 1, column 3: the header has an unterminated quote");
    FATAL("employee_id,first_name,last_name,\xc3\n", NULL, -EINVAL,
          "line 1, column 4: the header is not UTF-8");
    parse_fatal("x", (size_t)ROSTER_MAX_BYTES + 1, NULL, -EFBIG, "more than the limit");

    for (unsigned c = 0; c <= ROSTER_MAX_COLUMNS; c++)
        n += (size_t)snprintf(wide + n, sizeof(wide) - n, "c%u,", c);
    wide[n - 1] = '\n';
    parse_fatal(wide, n, NULL, -EINVAL, "more than 128 columns");

    /* a mapped required column that is missing names both the column and the field */
    roster_mapping_init(&m);
    assert_int_equal(roster_mapping_parse("employee_id=Worker ID", &m, &err), 0);
    FATAL("employee_id,first_name,last_name\n", &m, -EINVAL,
          "missing required column 'Worker ID' for employee_id (header has: "
          "employee_id, first_name, last_name)");
    roster_mapping_free(&m);

    /* a mapping that names one column for two fields */
    assert_int_equal(roster_mapping_parse("first_name=last_name", &m, &err), 0);
    FATAL("employee_id,first_name,last_name\n", &m, -EINVAL,
          "names column 'last_name' for both first_name and last_name");
    roster_mapping_free(&m);
}

static void test_row_errors(void **state)
{
    struct roster *r;
    (void)state;
    r = parse(HDR
              /* 2 */ "A 12,Ann,Lee,,,,,,,,\n"
                      /* 3 */ "E3,,Lee,,,,,,,,\n"
                      /* 4 */ "E4,Ann,Lee,ann@@x,,,,,,,\n"
                      /* 5 */ "E5,Ann,Lee,,,,,retired,,,\n"
                      /* 6 */ "E6,Ann,Lee,,,,,,,,robot\n"
                      /* 7 */ "E7,Ann,Lee,,,,,,2024-13-01,,\n"
                      /* 8 */ "E8,Ann,Lee,,,,,,,2024/01/01,\n"
                      /* 9 */ "E9,Ann,Lee,,,,,,2024-05-02,2024-05-01,\n"
                      /* 10 */ "E10,Ann,Lee,,,,bad id!,,,,\n"
                      /* 11 */ "E11,Ann,Lee,,\"Sales\tand\x01Marketing\",,,,,,\n"
                      /* 12 */ "E12,Ann,Lee,,,\xff\xfe,,,,,\n"
                      /* 13 */ "E13,Ann,Lee\n"
                      /* 14 */ "E14,Ann,Lee,,,,,,,,,extra\n"
                      /* 15 */ "E3,Dup,Lee,,,,,,,,\n"
                      /* 16 */ "E16,Ann,Lee,,,,,,2024-05-01,2024-05-01,\n"
                      /* 17 */ "E16,Ann,Lee,,,,,,,,\n"
                      /* 18 */ ",,Lee,,,,,terminated,,,\n");
    has_error(r, 2, 1, "employee_id: 'A 12' may contain only letters, digits and . _ : -");
    has_error(r, 3, 2, "first_name: must not be empty");
    has_error(r, 4, 4, "email: 'ann@@x' is not an e-mail address");
    has_error(r, 5, 8, "status 'retired' is not one of: active, on_leave, suspended, terminated");
    has_error(r, 6, 11, "kind 'robot' is not one of: employee, contractor, visitor");
    has_error(r, 7, 9, "start_date: '2024-13-01' is not a valid calendar date");
    has_error(r, 8, 10, "end_date: '2024/01/01' is not a date (expected YYYY-MM-DD)");
    has_error(r, 9, 10, "end_date: 2024-05-01 is before start_date 2024-05-02");
    has_error(r, 10, 7, "manager_id: 'bad id!' may contain only letters");
    has_error(r, 11, 5, "department: not printable UTF-8 text");
    has_error(r, 12, 6, "title: not printable UTF-8 text");
    has_error(r, 13, 0, "the record has 3 fields, the header has 11");
    has_error(r, 14, 0, "the record has 12 fields, the header has 11");
    has_error(r, 15, 1, "employee_id: 'E3' appears twice (lines 3 and 15)");
    has_error(r, 17, 1, "employee_id: 'E16' appears twice (lines 16 and 17)");
    has_error(r, 18, 1, "employee_id: must not be empty");
    has_error(r, 18, 2, "first_name: must not be empty");
    assert_int_equal(r->n_errors, 17);
    assert_int_equal(r->n_rows, 1); /* only line 16 is clean (one day long) */
    assert_int_equal(r->rows[0].line, 16);
    assert_true(r->rows[0].valid_from == day_us(2024, 5, 1));
    assert_true(r->rows[0].valid_until == day_us(2024, 5, 2));
    roster_free(r);
}

static void test_blank_lines(void **state)
{
    struct roster *r;
    (void)state;
    r = parse("\n\nemployee_id,first_name,last_name\n" /* header on line 3 */
              "\n"                                     /* 4 */
              "E1,A,B\n"                               /* 5 */
              "   \t\n"                                /* 6 */
              "\"\"\n"                                 /* 7: one empty field */
              ",,\n"                                   /* 8: all fields empty */
              "E2,C,D\n"                               /* 9 */
              "\n");
    no_errors(r);
    assert_int_equal(r->n_rows, 2);
    assert_int_equal(r->rows[0].line, 5);
    assert_int_equal(r->rows[1].line, 9);
    roster_free(r);
}

static void test_stray_quote(void **state)
{
    struct roster *r;
    (void)state;
    r = parse("employee_id,first_name,last_name,notes\n" /* 1 */
              "E1,Ann\"e,Lee,x\n"                        /* 2: quote in an unquoted field */
              "E2,Bo,Ray,x\n"                            /* 3 */
              "E3,\"Cy\"x,Dee,x\n"                       /* 4: text after a closing quote */
              "E4,Di,Eve,\"multi\n"                      /* 5 */
              "line \"oops\" here\"\n"                   /* 6: the error is on line 6 */
              "E5,Ed,Fox,x\n"                            /* 7 */
              "E6,Flo,\"Gee\n");                         /* 8: never closed */
    has_error(r, 2, 2, "stray quote");
    has_error(r, 4, 2, "stray quote");
    has_error(r, 6, 4, "stray quote");
    has_error(r, 8, 3, "unterminated quote");
    assert_int_equal(r->n_errors, 4);
    assert_int_equal(r->n_rows, 2);
    assert_string_equal(r->rows[0].field[RF_EMPLOYEE_ID], "E2");
    assert_int_equal(r->rows[0].line, 3);
    assert_string_equal(r->rows[1].field[RF_EMPLOYEE_ID], "E5");
    assert_int_equal(r->rows[1].line, 7);
    roster_free(r);
}

static void test_oversize_field(void **state)
{
    size_t big = 70 * 1024;
    char *csv = malloc(big + 200);
    struct roster *r;
    size_t n;
    (void)state;

    /* ROSTER_MAX_FIELD bytes in an unknown column is fine; one more is an error */
    n = (size_t)snprintf(csv, 200, "employee_id,first_name,last_name,notes\nE1,A,B,\"");
    memset(csv + n, 'x', ROSTER_MAX_FIELD);
    n += ROSTER_MAX_FIELD;
    n += (size_t)snprintf(csv + n, 200, "\"\nE2,C,\"");
    memset(csv + n, 'y', ROSTER_MAX_FIELD + 1);
    n += ROSTER_MAX_FIELD + 1;
    n += (size_t)snprintf(csv + n, 200, "\",z\nE3,E,F,w\n");
    r = parse_map(csv, n, NULL);
    assert_int_equal(r->n_errors, 1);
    has_error(r, 3, 3, "last_name: longer than 1024 bytes");
    assert_int_equal(r->n_rows, 2);
    assert_int_equal(r->rows[1].line, 4);
    roster_free(r);

    /* a field the tokenizer cannot hold at all is fatal, with where it started */
    n = (size_t)snprintf(csv, 200, "employee_id,first_name,last_name\nE1,A,B\nE2,C,\"");
    memset(csv + n, 'z', big);
    n += big;
    parse_fatal(csv, n, NULL, -EINVAL, "line 3, column 3: a field longer than");

    /* a NUL byte in a field */
    {
        static const char nul[] = "employee_id,first_name,last_name\nE1,A\0x,B\n";
        r = parse_map(nul, sizeof(nul) - 1, NULL);
    }
    has_error(r, 2, 2, "first_name: contains a NUL byte");
    assert_int_equal(r->n_rows, 0);
    roster_free(r);
    free(csv);
}

static void test_error_cap(void **state)
{
    size_t cap = 64 + 400 * 16, n;
    char *csv = malloc(cap);
    struct roster *r;
    (void)state;
    n = (size_t)snprintf(csv, cap, "employee_id,first_name,last_name\n");
    for (int i = 0; i < 400; i++)
        n += (size_t)snprintf(csv + n, cap - n, "bad id %d,A,B\n", i);
    r = parse_map(csv, n, NULL);
    assert_int_equal(r->n_errors, 400);
    assert_int_equal(r->errors[ROSTER_MAX_ERRORS - 1].line, ROSTER_MAX_ERRORS + 1);
    assert_int_equal(r->n_rows, 0);
    roster_free(r);
    free(csv);

    /* one record too many (short records: cheap to count, no rows to store) */
    cap = 64 + 2 * ((size_t)ROSTER_MAX_ROWS + 1);
    csv = malloc(cap);
    n = (size_t)snprintf(csv, cap, "employee_id,first_name,last_name\n");
    for (size_t i = 0; i <= ROSTER_MAX_ROWS; i++, n += 2)
        memcpy(csv + n, "x\n", 2);
    parse_fatal(csv, n, NULL, -EFBIG, "line 2000002: more than 2000000 rows");
    free(csv);
}

static void test_mapping_spec(void **state)
{
    struct roster_mapping m;
    struct gh_err err = {{0}};
    struct roster *r;
    const char *csv = "Employee ID,Given Name,\"Surname, family\",\"Worker \"\"Type\"\"\"\n"
                      "W-1,Ann,Lee,Contractor\n";
    char *spec;
    (void)state;

    roster_mapping_init(&m);
    assert_int_equal(roster_mapping_parse("employee_id=Employee ID, first_name = Given Name ,"
                                          "last_name=\"Surname, family\","
                                          "KIND=\"Worker \"\"Type\"\"\"",
                                          &m, &err),
                     0);
    assert_string_equal(m.column[RF_EMPLOYEE_ID], "Employee ID");
    assert_string_equal(m.column[RF_FIRST_NAME], "Given Name");
    assert_string_equal(m.column[RF_LAST_NAME], "Surname, family");
    assert_string_equal(m.column[RF_KIND], "Worker \"Type\"");
    assert_null(m.column[RF_EMAIL]);
    parse_fatal(csv, strlen(csv), NULL, -EINVAL, "missing required column 'employee_id'");
    r = parse_map(csv, strlen(csv), &m);
    no_errors(r);
    assert_int_equal(r->n_rows, 1);
    assert_string_equal(r->rows[0].field[RF_LAST_NAME], "Lee");
    assert_int_equal(r->rows[0].kind, PERSON_CONTRACTOR);

    /* a later spec overrides one field and keeps the rest */
    roster_free(r);
    assert_int_equal(roster_mapping_parse("email=Mail", &m, &err), 0);
    assert_string_equal(m.column[RF_EMAIL], "Mail");
    assert_string_equal(m.column[RF_EMPLOYEE_ID], "Employee ID");
    assert_int_equal(roster_mapping_parse("  ", &m, &err), 0);

    /* errors name the position and leave the mapping as it was */
    assert_int_equal(roster_mapping_parse("employee_id=A,emp=B", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 15: unknown field 'emp' (fields: "
                                 "employee_id, first_name, last_name, email, department, "
                                 "title, manager_id, status, start_date, end_date, kind)");
    assert_string_equal(m.column[RF_EMPLOYEE_ID], "Employee ID");
    assert_int_equal(roster_mapping_parse("title Job", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 7: expected '=' after the field name");
    assert_int_equal(roster_mapping_parse("title=\"Job", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 7: unterminated quote");
    assert_int_equal(roster_mapping_parse("title=\"Job\" x", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 13: unexpected text after the closing quote");
    assert_int_equal(roster_mapping_parse("title=Job \"T\"", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 11: a column name with a quote must be "
                                 "quoted (\"...\", each quote doubled)");
    assert_int_equal(roster_mapping_parse("title=", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 7: empty column name for title");
    assert_int_equal(roster_mapping_parse("title=A,,email=B", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 9: expected 'field=Column Name'");
    assert_int_equal(roster_mapping_parse("title=A,title=B", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 9: title is mapped twice (first at "
                                 "position 1)");
    assert_int_equal(roster_mapping_parse("title=A,email=a", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 9: column 'a' is already mapped to title "
                                 "(position 1)");
    spec = malloc(20 * 1024);
    memcpy(spec, "title=", 6);
    memset(spec + 6, 'x', 300);
    spec[306] = '\0';
    assert_int_equal(roster_mapping_parse(spec, &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 7: column name longer than 256 bytes");
    memset(spec + 6, 'x', 17 * 1024);
    spec[6 + 17 * 1024] = '\0';
    assert_int_equal(roster_mapping_parse(spec, &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping: longer than 16384 bytes");
    free(spec);
    assert_null(m.column[RF_TITLE]);
    roster_mapping_free(&m);
    assert_null(m.column[RF_EMPLOYEE_ID]);
}

static void test_mapping_file(void **state)
{
    static const char text[] = "\xef\xbb\xbf# Workday export\r\n"
                               "\r\n"
                               "employee_id = Employee ID\r\n"
                               "  # indented comment\n"
                               "first_name= Legal First Name\n"
                               "last_name =\"Legal Last Name\"\n"
                               "department = Cost Center, Level 2\n"
                               "status=Worker Status";
    struct roster_mapping m;
    struct gh_err err = {{0}};
    struct roster *r;
    char path[64], msg[600];
    const char *csv = "Legal Last Name,Employee ID,Legal First Name,\"Cost Center, Level 2\","
                      "Worker Status,Extra\n"
                      "Lee,E-7,Ann,Finance,Terminated,1\n";
    (void)state;

    roster_mapping_init(&m);
    if (load_temp(text, sizeof(text) - 1, &m, &err, path) != 0)
        fail_msg("roster_mapping_load: %s", err.msg);
    assert_string_equal(m.column[RF_EMPLOYEE_ID], "Employee ID");
    assert_string_equal(m.column[RF_FIRST_NAME], "Legal First Name");
    assert_string_equal(m.column[RF_LAST_NAME], "Legal Last Name");
    assert_string_equal(m.column[RF_DEPARTMENT], "Cost Center, Level 2");
    assert_string_equal(m.column[RF_STATUS], "Worker Status");
    r = parse_map(csv, strlen(csv), &m);
    no_errors(r);
    assert_int_equal(r->n_rows, 1);
    assert_string_equal(r->rows[0].field[RF_DEPARTMENT], "Finance");
    assert_int_equal(r->rows[0].status, PERSON_TERMINATED);
    assert_int_equal(r->n_unknown, 1);
    assert_string_equal(r->unknown_columns[0], "Extra");
    roster_free(r);
    roster_mapping_free(&m);

    /* errors say file:line */
    assert_int_equal(load_temp("employee_id=A\n# c\nbadge=B\n", 26, &m, &err, path), -EINVAL);
    snprintf(msg, sizeof(msg), "%s:3: unknown field 'badge'", path);
    assert_memory_equal(err.msg, msg, strlen(msg));
    assert_null(m.column[RF_EMPLOYEE_ID]);

    assert_int_equal(load_temp("employee_id=A\n\nemployee_id=B\n", 29, &m, &err, path), -EINVAL);
    snprintf(msg, sizeof(msg), "%s:3: employee_id is mapped twice (first at line 1)", path);
    assert_string_equal(err.msg, msg);

    assert_int_equal(load_temp("title\n", 6, &m, &err, path), -EINVAL);
    snprintf(msg, sizeof(msg), "%s:1: expected '=' after the field name", path);
    assert_string_equal(err.msg, msg);

    {
        size_t n = 65 * 1024;
        char *big = malloc(n);
        memset(big, '#', n);
        int rc = load_temp(big, n, &m, &err, path);
        free(big);
        assert_int_equal(rc, -EFBIG);
        assert_non_null(strstr(err.msg, "larger than the limit of 65536 bytes"));
    }
    assert_int_equal(roster_mapping_load("/nonexistent/gh.map", &m, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/gh.map: cannot open"));
    roster_mapping_free(&m);
}

static void test_100k_rows(void **state)
{
    const size_t rows = 100000;
    size_t cap = rows * 160 + 256, n;
    char *csv = malloc(cap);
    struct roster *r;
    struct timespec t0, t1;
    double secs;
    static const char *const depts[] = {"Engineering", "Finance", "Facilities"};
    (void)state;

    n = (size_t)snprintf(csv, cap, HDR);
    for (size_t i = 0; i < rows; i++) {
        n += (size_t)snprintf(csv + n, cap - n,
                              "E%06zu,First%zu,\"Last, %zu\",p%zu@example.test,%s,Engineer,"
                              "%s,%s,2020-01-%02zu,,employee\n",
                              i, i, i, i, depts[i % 3], i ? "E000000" : "",
                              i % 10 == 0 ? "on_leave" : "active", 1 + i % 28);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = parse_map(csv, n, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("100000 rows parsed in %.3f s\n", secs);
    no_errors(r);
    assert_int_equal(r->n_rows, rows);
    assert_string_equal(r->rows[0].field[RF_EMPLOYEE_ID], "E000000");
    assert_string_equal(r->rows[0].field[RF_MANAGER_ID], "");
    assert_string_equal(r->rows[54321].field[RF_EMPLOYEE_ID], "E054321");
    assert_string_equal(r->rows[54321].field[RF_LAST_NAME], "Last, 54321");
    assert_string_equal(r->rows[54322].field[RF_DEPARTMENT], "Finance");
    assert_int_equal(r->rows[54320].status, PERSON_ON_LEAVE);
    assert_int_equal(r->rows[99999].line, 100001);
    assert_true(r->rows[99999].valid_from == day_us(2020, 1, 1 + 99999 % 28));
    assert_true(secs < 5.0); /* about 0.05 s in an optimized build */
    roster_free(r);
    free(csv);
}

/* Messages quote untrusted text: they stay valid UTF-8 without control characters. */
static void test_messages(void **state)
{
    struct roster_mapping m;
    struct gh_err err = {{0}};
    struct roster *r;
    char *csv = malloc(8192);
    size_t n = 0;
    (void)state;

    r = parse("employee_id,first_name,last_name,notes\n"
              "J\xc3\xbcrgen\x1b[31m,A,B,x\n" /* ü kept, ESC replaced */
              "K\xff\xc3,A,B,x\n"             /* invalid UTF-8 replaced */
              "E3,A,B,x,\"toolong");          /* an extra column, never closed */
    has_error(r, 2, 1, "employee_id: 'J\xc3\xbcrgen?[31m' may contain only");
    has_error(r, 3, 1, "employee_id: 'K?\?' may contain only");
    has_error(r, 4, 5, "unterminated quote");
    roster_free(r);

    /* an oversize value in an unknown column and in a column past the header */
    n = (size_t)snprintf(csv, 8192, "employee_id,first_name,last_name,notes\nE1,A,B,");
    memset(csv + n, 'n', 2000);
    n += 2000;
    n += (size_t)snprintf(csv + n, 8192 - n, ",");
    memset(csv + n, 'm', 2000);
    n += 2000;
    n += (size_t)snprintf(csv + n, 8192 - n, "\n");
    r = parse_map(csv, n, NULL);
    has_error(r, 2, 4, "notes: longer than 1024 bytes");
    has_error(r, 2, 5, "column 5: longer than 1024 bytes");
    has_error(r, 2, 0, "the record has 5 fields, the header has 4");
    roster_free(r);

    /* a header name that is too long; a long header list is cut short with "..." */
    n = (size_t)snprintf(csv, 8192, "employee_id,first_name,last_name,");
    memset(csv + n, 'h', 300);
    n += 300;
    csv[n++] = '\n';
    parse_fatal(csv, n, NULL, -EINVAL, "line 1, column 4: header name longer than 256 bytes");
    n = 0;
    for (int c = 0; c < 20; c++)
        n += (size_t)snprintf(csv + n, 8192 - n, "%sa fairly long column name %d", c ? "," : "", c);
    csv[n++] = '\n';
    parse_fatal(csv, n, NULL, -EINVAL, "...");
    free(csv);

    /* a mapping set by hand is checked too */
    roster_mapping_init(&m);
    m.column[RF_TITLE] = strdup("   ");
    FATAL("employee_id,first_name,last_name\n", &m, -EINVAL,
          "the column mapping for title is empty");
    roster_mapping_free(&m);
    assert_int_equal(roster_mapping_parse("title=\"\xff\"", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 7: the column name is not UTF-8 text");
    csv = malloc(400);
    memcpy(csv, "title=\"", 7);
    memset(csv + 7, 'q', 300);
    memcpy(csv + 307, "\"", 2);
    assert_int_equal(roster_mapping_parse(csv, &m, &err), -EINVAL);
    assert_string_equal(err.msg, "mapping, position 7: column name longer than 256 bytes");
    free(csv);
}

/* The sample files in tests/data/roster that the integration tests use. */
static void test_data_files(void **state)
{
    struct roster_mapping m;
    struct gh_err err = {{0}};
    struct roster *r;
    char path[512];
    size_t len, n_term = 0, n_leave = 0, n_contract = 0;
    char *text;
    (void)state;

    text = read_data("good.csv", &len);
    r = parse_map(text, len, NULL);
    no_errors(r);
    assert_int_equal(r->n_rows, 10);
    for (size_t i = 0; i < r->n_rows; i++) {
        n_term += r->rows[i].status == PERSON_TERMINATED;
        n_leave += r->rows[i].status == PERSON_ON_LEAVE;
        n_contract += r->rows[i].kind == PERSON_CONTRACTOR;
    }
    assert_int_equal(n_term, 1);
    assert_int_equal(n_leave, 1);
    assert_int_equal(n_contract, 1);
    roster_free(r);
    free(text);

    text = read_data("bad.csv", &len);
    r = parse_map(text, len, NULL);
    has_error(r, 3, 1, "employee_id: 'A 12' may contain only");
    has_error(r, 4, 2, "first_name: must not be empty");
    has_error(r, 5, 4, "email:");
    has_error(r, 6, 8, "status 'retired'");
    has_error(r, 7, 9, "start_date: '2018-02-30' is not a valid calendar date");
    has_error(r, 8, 10, "end_date: 2021-12-31 is before start_date 2022-02-14");
    has_error(r, 9, 11, "kind 'robot'");
    has_error(r, 10, 0, "the record has 5 fields, the header has 11");
    has_error(r, 11, 1, "employee_id: 'E1001' appears twice (lines 2 and 11)");
    has_error(r, 12, 3, "stray quote");
    has_error(r, 13, 7, "manager_id: 'not valid!'");
    assert_int_equal(r->n_errors, 11);
    assert_int_equal(r->n_rows, 1);
    roster_free(r);
    free(text);

    roster_mapping_init(&m);
    snprintf(path, sizeof(path), "%s/roster/workday.map", GH_TEST_DATA);
    if (roster_mapping_load(path, &m, &err) != 0)
        fail_msg("%s", err.msg);
    text = read_data("workday_export.csv", &len);
    r = parse_map(text, len, &m);
    no_errors(r);
    assert_int_equal(r->n_rows, 6);
    assert_int_equal(r->n_unknown, 1);
    assert_string_equal(r->unknown_columns[0], "Pay Group");
    assert_string_equal(r->rows[0].field[RF_TITLE], "Director, Platform");
    assert_string_equal(r->rows[2].field[RF_TITLE], "Engineer \"II\"");
    assert_int_equal(r->rows[2].status, PERSON_ON_LEAVE);
    assert_int_equal(r->rows[4].status, PERSON_TERMINATED);
    assert_true(r->rows[4].valid_until == day_us(2025, 7, 1));
    roster_free(r);
    free(text);
    roster_mapping_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_names),      cmocka_unit_test(test_basic),
        cmocka_unit_test(test_status_spellings), cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_crlf_bom),         cmocka_unit_test(test_header_order_and_case),
        cmocka_unit_test(test_unknown_columns),  cmocka_unit_test(test_fatal_header),
        cmocka_unit_test(test_row_errors),       cmocka_unit_test(test_blank_lines),
        cmocka_unit_test(test_stray_quote),      cmocka_unit_test(test_oversize_field),
        cmocka_unit_test(test_error_cap),        cmocka_unit_test(test_mapping_spec),
        cmocka_unit_test(test_mapping_file),     cmocka_unit_test(test_messages),
        cmocka_unit_test(test_data_files),       cmocka_unit_test(test_100k_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
