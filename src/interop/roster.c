/*
 * roster.c: the HR roster CSV parser and its column mapping.
 *
 * How it works: libcsv tokenizes RFC 4180 in strict mode while we feed it the input one
 * physical line at a time, so the line being parsed is always known. A record starts on
 * the first non-blank line after the previous record ended; a quoted field holding line
 * breaks simply spans several feeds. libcsv calls field_cb() for each field (we trim it
 * and copy it into the roster's string blocks) and record_cb() at the end of each record:
 * the first record is the header, which maps columns to fields by name; every later one
 * is validated into a row or into errors (line:column: message). Records whose fields are
 * all empty (blank lines, a lone "", ",,,") are skipped. A quoting error costs the record
 * it is in: the tokenizer is reset and resumes at the next line. libcsv's field buffer
 * grows through capped_realloc(), so no field can grow without bound.
 *
 * Strings live in blocks owned by the roster (16 KiB doubling up to 1 MiB; one malloc per
 * block, not per field); rows point into them. Duplicate employee ids are found with an
 * open-addressing hash table of the ids seen so far, which remembers the line of each.
 */
#include "interop/interop.h"

#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK_MIN       ((size_t)16 * 1024)
#define BLOCK_SIZE      ((size_t)1024 * 1024)    /* BLOCK_MIN << 6 */
#define TOKEN_MAX       (64u * ROSTER_MAX_FIELD) /* libcsv's field buffer stops here */
#define SPEC_MAX        (16u * 1024)
#define MAPFILE_MAX     (64u * 1024)
#define COLUMN_NAME_MAX 256u
#define USEC_PER_DAY    (86400 * GH_USEC_PER_SEC)

/* STRICT: a stray quote is an error, not data. STRICT_FINI: a quote still open at the end
 * of the input is an error (else it silently swallows the rest of the file). APPEND_NULL:
 * fields arrive NUL-terminated. Not REPALL_NL: blank lines carry nothing, and we count
 * lines ourselves. Not EMPTY_IS_NULL: an empty field is just "". */
#define CSV_OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

_Static_assert(BLOCK_MIN > ROSTER_MAX_FIELD && BLOCK_MIN > COLUMN_NAME_MAX, "strings fit blocks");
_Static_assert((BLOCK_MIN << 6) == BLOCK_SIZE, "block sizes double up to BLOCK_SIZE");

static const char *const field_names[ROSTER_FIELD_COUNT] = {
    "employee_id", "first_name", "last_name",  "email",    "department", "title",
    "manager_id",  "status",     "start_date", "end_date", "kind"};

const char *roster_field_name(enum roster_field f)
{
    return (unsigned)f < ROSTER_FIELD_COUNT ? field_names[f] : "unknown";
}

bool roster_field_required(enum roster_field f)
{
    return f == RF_EMPLOYEE_ID || f == RF_FIRST_NAME || f == RF_LAST_NAME;
}

/* ---- small text helpers ------------------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Narrows [*a, *b) of s to exclude white space at both ends. */
static void trim_range(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && is_ws(s[*a]))
        (*a)++;
    while (*b > *a && is_ws(s[*b - 1]))
        (*b)--;
}

/* Copies src into dst[size] as valid UTF-8 without control characters (each bad byte
 * becomes '?'), never splitting a character: messages quote untrusted text. */
static void copy_clean(char *dst, size_t size, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, left = strlen(src);
    while (*s != '\0' && o + 1 < size) {
        size_t k = gh_utf8_seq((const char *)s, left);
        if (k == 0 || (k == 1 && (*s < 0x20 || *s == 0x7f))) {
            dst[o++] = '?';
            s++;
            left--;
            continue;
        }
        if (o + k >= size)
            break;
        memcpy(dst + o, s, k);
        o += k;
        s += k;
        left -= k;
    }
    dst[o] = '\0';
}

/* The field names as "employee_id, first_name, ..." for messages. */
static void field_list(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        int w = snprintf(buf + used, size - used, "%s%s", f ? ", " : "", field_names[f]);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

/* Field whose canonical name is s[0..n) (case-insensitive), or -1. */
static int field_by_name(const char *s, size_t n)
{
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        if (strlen(field_names[f]) == n && strncasecmp(s, field_names[f], n) == 0)
            return f;
    }
    return -1;
}

/* ---- string storage ----------------------------------------------------------------- */

/* Size of block number k: 16 KiB doubling up to BLOCK_SIZE, so small rosters stay small.
 * Every block holds at least one string of ROSTER_MAX_FIELD or COLUMN_NAME_MAX bytes. */
static size_t block_size(size_t k)
{
    return k < 6 ? BLOCK_MIN << k : BLOCK_SIZE;
}

/* Copies s[0..n) (n <= ROSTER_MAX_FIELD or a column name) into the roster's blocks. */
static char *store_str(struct roster *r, const char *s, size_t n)
{
    char *dst;
    if (r->n_blocks == 0 || block_size(r->n_blocks - 1) - r->block_used < n + 1) {
        /* the block table doubles whenever its length reaches a power of two */
        if ((r->n_blocks & (r->n_blocks - 1)) == 0)
            r->blocks = xreallocarray(r->blocks, r->n_blocks ? r->n_blocks * 2 : 4, sizeof(char *));
        r->blocks[r->n_blocks] = xmalloc(block_size(r->n_blocks));
        r->n_blocks++;
        r->block_used = 0;
    }
    dst = r->blocks[r->n_blocks - 1] + r->block_used;
    memcpy(dst, s, n);
    dst[n] = '\0';
    r->block_used += n + 1;
    return dst;
}

void roster_free(struct roster *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_blocks; i++)
        free(r->blocks[i]);
    free(r->blocks);
    free(r->rows);
    free(r->errors);
    free(r->unknown_columns);
    free(r);
}

/* ---- parser state ------------------------------------------------------------------- */

struct dup_slot {
    const char *id; /* NULL: empty slot */
    uint32_t hash;
    unsigned line;
};

struct parser {
    struct roster *r;
    struct gh_err *err;
    int fatal; /* negative once the input as a whole is rejected (err is set) */

    const char *want[ROSTER_FIELD_COUNT]; /* header text naming each field, trimmed */
    char *hdr[ROSTER_MAX_COLUMNS];        /* the header's column names */
    int col_field[ROSTER_MAX_COLUMNS];    /* field of each column, -1 for none */
    unsigned n_cols;
    bool header_done;

    unsigned line;       /* physical line being fed to libcsv (1-based) */
    unsigned rec_line;   /* line where the current record started */
    unsigned field_line; /* line where the current field started */
    bool in_record;      /* libcsv is inside a record */

    /* the current record */
    unsigned ncol; /* fields seen so far */
    bool nonempty; /* some field is not empty */
    const char *val[ROSTER_FIELD_COUNT];
    bool bad[ROSTER_FIELD_COUNT]; /* already reported (too long, NUL byte) */

    size_t n_records; /* data records seen, with or without errors */
    size_t rows_cap;
    struct dup_slot *dup;
    size_t dup_cap, dup_n;
};

static void set_fatal(struct parser *p, int code, const char *fmt, ...) GH_PRINTF(3, 4);
static void set_fatal(struct parser *p, int code, const char *fmt, ...)
{
    char tmp[sizeof(p->err->msg)];
    va_list ap;
    if (p->fatal)
        return;
    p->fatal = code;
    if (p->err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    copy_clean(p->err->msg, sizeof(p->err->msg), tmp);
}

static void add_error(struct parser *p, unsigned line, unsigned column, const char *fmt, ...)
    GH_PRINTF(4, 5);
static void add_error(struct parser *p, unsigned line, unsigned column, const char *fmt, ...)
{
    struct roster *r = p->r;
    struct roster_error *e;
    char tmp[sizeof(e->msg) + 64];
    va_list ap;

    if (r->n_errors++ >= ROSTER_MAX_ERRORS)
        return;
    if (r->errors == NULL)
        r->errors = xcalloc(ROSTER_MAX_ERRORS, sizeof(*r->errors));
    e = &r->errors[r->n_errors - 1];
    e->line = line;
    e->column = column;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    copy_clean(e->msg, sizeof(e->msg), tmp);
}

static void reset_record(struct parser *p)
{
    p->ncol = 0;
    p->nonempty = false;
    p->field_line = p->rec_line;
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        p->val[f] = "";
        p->bad[f] = false;
    }
}

/* ---- duplicate employee ids --------------------------------------------------------- */

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void dup_insert(struct dup_slot *tab, size_t cap, const char *id, uint32_t h, unsigned line)
{
    size_t i = h & (cap - 1);
    while (tab[i].id != NULL)
        i = (i + 1) & (cap - 1);
    tab[i] = (struct dup_slot){.id = id, .hash = h, .line = line};
}

/* Records id (stored in the blocks) at line; returns the line of an earlier record with
 * the same id, or 0. */
static unsigned dup_check(struct parser *p, const char *id, unsigned line)
{
    uint32_t h = hash_str(id);
    size_t i;

    if (p->dup_cap > 0) {
        for (i = h & (p->dup_cap - 1); p->dup[i].id != NULL; i = (i + 1) & (p->dup_cap - 1)) {
            if (p->dup[i].hash == h && strcmp(p->dup[i].id, id) == 0)
                return p->dup[i].line;
        }
    }
    if (2 * (p->dup_n + 1) > p->dup_cap) {
        size_t cap = p->dup_cap ? p->dup_cap * 2 : 256;
        struct dup_slot *tab = xcalloc(cap, sizeof(*tab));
        for (i = 0; i < p->dup_cap; i++) {
            if (p->dup[i].id != NULL)
                dup_insert(tab, cap, p->dup[i].id, p->dup[i].hash, p->dup[i].line);
        }
        free(p->dup);
        p->dup = tab;
        p->dup_cap = cap;
    }
    dup_insert(p->dup, p->dup_cap, id, h, line);
    p->dup_n++;
    return 0;
}

/* ---- the header --------------------------------------------------------------------- */

/* The header's names as "a, b, c" for messages (truncated with "..."). */
static void header_list(const struct parser *p, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned c = 0; c < p->n_cols; c++) {
        int w = snprintf(buf + used, size - used, "%s%s", c ? ", " : "", p->hdr[c]);
        if (w < 0 || (size_t)w >= size - used) {
            if (size > 4)
                memcpy(buf + size - 4, "...", 4);
            return;
        }
        used += (size_t)w;
    }
}

static void header_field(struct parser *p, unsigned col, const char *s, size_t len)
{
    size_t a = 0, b = len;
    trim_range(s, &a, &b);
    if (col >= ROSTER_MAX_COLUMNS) {
        set_fatal(p, -EINVAL, "line %u: the header has more than %u columns", p->rec_line,
                  ROSTER_MAX_COLUMNS);
        return;
    }
    if (b - a > COLUMN_NAME_MAX) {
        set_fatal(p, -EINVAL, "line %u, column %u: header name longer than %u bytes", p->rec_line,
                  col + 1, COLUMN_NAME_MAX);
        return;
    }
    if (!gh_utf8_valid_text(s + a, b - a)) {
        set_fatal(p, -EINVAL,
                  "line %u, column %u: the header is not UTF-8 text (save the file as "
                  "UTF-8 CSV)",
                  p->rec_line, col + 1);
        return;
    }
    p->hdr[col] = store_str(p->r, s + a, b - a);
    if (a < b)
        p->nonempty = true;
}

static void finish_header(struct parser *p)
{
    struct roster *r = p->r;
    char list[320];

    p->n_cols = p->ncol;
    for (unsigned c = 0; c < p->n_cols; c++) {
        p->col_field[c] = -1;
        if (p->hdr[c][0] == '\0')
            continue; /* an unnamed column (e.g. a trailing comma) is ignored */
        for (unsigned d = 0; d < c; d++) {
            if (gh_streq_nocase(p->hdr[c], p->hdr[d])) {
                set_fatal(p, -EINVAL, "line %u: column '%s' appears twice (columns %u and %u)",
                          p->rec_line, p->hdr[c], d + 1, c + 1);
                return;
            }
        }
        for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
            if (gh_streq_nocase(p->hdr[c], p->want[f])) {
                p->col_field[c] = f;
                r->field_column[f] = c + 1;
                break;
            }
        }
        if (p->col_field[c] < 0) {
            r->unknown_columns =
                xreallocarray(r->unknown_columns, r->n_unknown + 1, sizeof(char *));
            r->unknown_columns[r->n_unknown++] = p->hdr[c];
        }
    }
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        if (!roster_field_required(f) || r->field_column[f] != 0)
            continue;
        header_list(p, list, sizeof(list));
        if (strcmp(p->want[f], field_names[f]) == 0)
            set_fatal(p, -EINVAL, "missing required column '%s' (header has: %s)", field_names[f],
                      list);
        else
            set_fatal(p, -EINVAL, "missing required column '%s' for %s (header has: %s)",
                      p->want[f], field_names[f], list);
        return;
    }
    p->header_done = true;
}

/* ---- records ------------------------------------------------------------------------ */

static void field_error(struct parser *p, enum roster_field f, const char *msg)
{
    add_error(p, p->rec_line, p->r->field_column[f], "%s", msg);
}

/* Checks value v of field f into row; 0 or -EINVAL with err set. *days gets a date. */
static int check_field(enum roster_field f, const char *v, struct roster_row *row, int64_t *days,
                       struct gh_err *e)
{
    int rc;
    switch (f) {
    case RF_EMPLOYEE_ID:
        return model_check_ext_id(field_names[f], v, e);
    case RF_FIRST_NAME:
    case RF_LAST_NAME:
        return model_check_name(field_names[f], v, e);
    case RF_DEPARTMENT:
    case RF_TITLE:
        return v[0] ? model_check_name(field_names[f], v, e) : 0;
    case RF_EMAIL:
        return model_check_email(field_names[f], v, e);
    case RF_MANAGER_ID:
        return v[0] ? model_check_ext_id(field_names[f], v, e) : 0;
    case RF_STATUS:
        return v[0] ? person_status_parse(v, &row->status, e) : 0;
    case RF_KIND:
        return v[0] ? person_kind_parse(v, &row->kind, e) : 0;
    case RF_START_DATE:
    case RF_END_DATE:
        if (v[0] == '\0')
            return 0;
        rc = gh_parse_date(v, days, e);
        if (rc < 0)
            gh_err_prefix(e, "%s", field_names[f]);
        return rc;
    default:
        return 0;
    }
}

static void finish_record(struct parser *p)
{
    struct roster *r = p->r;
    struct roster_row row = {.line = p->rec_line,
                             .status = PERSON_ACTIVE,
                             .kind = PERSON_EMPLOYEE,
                             .valid_from = GH_TIME_MIN,
                             .valid_until = GH_TIME_MAX};
    bool failed[ROSTER_FIELD_COUNT];
    struct gh_err e; /* written only on failure: not cleared for every row */
    int64_t start = 0, end = 0;
    bool ok = true;
    unsigned first;

    if (!p->nonempty)
        return; /* a blank record */
    if (++p->n_records > ROSTER_MAX_ROWS) {
        set_fatal(p, -EFBIG, "line %u: more than %u rows", p->rec_line, ROSTER_MAX_ROWS);
        return;
    }
    if (p->ncol != p->n_cols) {
        add_error(p, p->rec_line, 0, "the record has %u fields, the header has %u", p->ncol,
                  p->n_cols);
        return;
    }
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        row.field[f] = p->val[f];
        failed[f] = p->bad[f];
        if (!failed[f] &&
            check_field(f, p->val[f], &row, f == RF_START_DATE ? &start : &end, &e) < 0) {
            field_error(p, f, e.msg);
            failed[f] = true;
        }
        ok = ok && !failed[f];
    }
    if (row.field[RF_START_DATE][0] != '\0' && !failed[RF_START_DATE])
        row.valid_from = start * USEC_PER_DAY;
    if (row.field[RF_END_DATE][0] != '\0' && !failed[RF_END_DATE])
        row.valid_until = (end + 1) * USEC_PER_DAY;
    if (row.valid_from != GH_TIME_MIN && row.valid_until != GH_TIME_MAX && end < start) {
        add_error(p, p->rec_line, r->field_column[RF_END_DATE],
                  "end_date: %s is before start_date %s", row.field[RF_END_DATE],
                  row.field[RF_START_DATE]);
        ok = false;
    }
    if (!failed[RF_EMPLOYEE_ID] &&
        (first = dup_check(p, row.field[RF_EMPLOYEE_ID], p->rec_line)) != 0) {
        add_error(p, p->rec_line, r->field_column[RF_EMPLOYEE_ID],
                  "employee_id: '%s' appears twice (lines %u and %u)", row.field[RF_EMPLOYEE_ID],
                  first, p->rec_line);
        ok = false;
    }
    if (!ok)
        return;
    if (r->n_rows == p->rows_cap) {
        p->rows_cap = p->rows_cap ? p->rows_cap * 2 : 256;
        r->rows = xreallocarray(r->rows, p->rows_cap, sizeof(*r->rows));
    }
    r->rows[r->n_rows++] = row;
}

/* What to call column col (of field f, or -1) in a message. */
static const char *column_label(const struct parser *p, unsigned col, int f, char *buf, size_t size)
{
    if (f >= 0)
        return field_names[f];
    if (col < p->n_cols && p->hdr[col][0] != '\0')
        return p->hdr[col];
    snprintf(buf, size, "column %u", col + 1);
    return buf;
}

/* libcsv: one field of the current record (NUL-terminated thanks to CSV_APPEND_NULL). */
static void field_cb(void *data, size_t len, void *ctx)
{
    struct parser *p = ctx;
    const char *s = data != NULL ? data : "";
    unsigned col = p->ncol++;
    size_t a = 0, b = len;
    char label[32];
    int f;

    p->field_line = p->line; /* the next field starts after this delimiter */
    if (p->fatal)
        return;
    if (!p->header_done) {
        header_field(p, col, s, len);
        return;
    }
    trim_range(s, &a, &b);
    if (a == b)
        return;
    p->nonempty = true;
    f = col < p->n_cols ? p->col_field[col] : -1;
    if (b - a > ROSTER_MAX_FIELD) {
        add_error(p, p->rec_line, col + 1, "%s: longer than %u bytes",
                  column_label(p, col, f, label, sizeof(label)), ROSTER_MAX_FIELD);
    } else if (memchr(s + a, '\0', b - a) != NULL) {
        add_error(p, p->rec_line, col + 1, "%s: contains a NUL byte",
                  column_label(p, col, f, label, sizeof(label)));
    } else {
        if (f >= 0)
            p->val[f] = store_str(p->r, s + a, b - a);
        return;
    }
    if (f >= 0)
        p->bad[f] = true;
}

/* libcsv: the end of a record. */
static void record_cb(int c, void *ctx)
{
    struct parser *p = ctx;
    (void)c;
    p->in_record = false;
    if (!p->fatal) {
        if (!p->header_done) {
            if (p->nonempty)
                finish_header(p);
        } else {
            finish_record(p);
        }
    }
    reset_record(p);
}

/* libcsv's buffer for one field grows only up to TOKEN_MAX (then csv_parse stops with
 * CSV_ENOMEM); real out-of-memory aborts as everywhere else. */
static void *capped_realloc(void *ptr, size_t n)
{
    if (n > TOKEN_MAX)
        return NULL;
    return xrealloc(ptr, n);
}

static void csv_start(struct csv_parser *csv)
{
    csv_init(csv, CSV_OPTIONS);
    csv_set_realloc_func(csv, capped_realloc);
}

/* The tokenizer stopped inside the current chunk: a quoting error (this record is lost,
 * parsing resumes at the next line) or a field that is far too long (fatal). */
static void tokenizer_error(struct parser *p, struct csv_parser *csv)
{
    if (csv_error(csv) != CSV_EPARSE) {
        set_fatal(p, -EINVAL,
                  "line %u, column %u: a field longer than %u bytes (an unterminated quote?)",
                  p->field_line, p->ncol + 1, TOKEN_MAX);
        return;
    }
    if (!p->header_done) {
        set_fatal(p, -EINVAL,
                  "line %u, column %u: malformed header: a stray quote (a field with quotes "
                  "must be enclosed in quotes, each quote doubled)",
                  p->line, p->ncol + 1);
        return;
    }
    if (++p->n_records > ROSTER_MAX_ROWS) {
        set_fatal(p, -EFBIG, "line %u: more than %u rows", p->rec_line, ROSTER_MAX_ROWS);
        return;
    }
    add_error(p, p->line, p->ncol + 1,
              "a stray quote (a field with quotes must be enclosed in quotes, each quote "
              "doubled); the record is skipped");
    csv_free(csv);
    csv_start(csv);
    p->in_record = false;
    reset_record(p);
}

/* The input ended inside a quoted field. */
static void unterminated_quote(struct parser *p, struct csv_parser *csv)
{
    if (!p->header_done)
        set_fatal(p, -EINVAL, "line %u, column %u: the header has an unterminated quote",
                  p->field_line, p->ncol + 1);
    else
        add_error(p, p->field_line, p->ncol + 1,
                  "unterminated quote: the rest of the file was read into this field");
    csv_free(csv);
    csv_start(csv);
    p->in_record = false;
    reset_record(p);
}

/* The header text for each field, trimmed, checked to name distinct columns. */
static int setup_names(struct parser *p, const struct roster_mapping *m)
{
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        const char *name = m != NULL && m->column[f] != NULL ? m->column[f] : field_names[f];
        size_t a = 0, b = strlen(name);
        trim_range(name, &a, &b);
        if (a == b || b - a > COLUMN_NAME_MAX || !gh_utf8_valid_text(name + a, b - a))
            return gh_fail(p->err, -EINVAL,
                           "the column mapping for %s is empty, too long or not UTF-8 text",
                           field_names[f]);
        p->want[f] = store_str(p->r, name + a, b - a);
        for (int g = 0; g < f; g++) {
            if (gh_streq_nocase(p->want[f], p->want[g]))
                return gh_fail(p->err, -EINVAL,
                               "the column mapping names column '%s' for both %s and %s",
                               p->want[f], field_names[g], field_names[f]);
        }
    }
    return 0;
}

int roster_parse(const char *data, size_t len, const struct roster_mapping *m, struct roster **out,
                 struct gh_err *err)
{
    struct parser *p = xcalloc(1, sizeof(*p));
    struct csv_parser csv;
    bool csv_live = false;
    size_t pos = 0;
    int rc;

    *out = NULL;
    p->err = err;
    p->r = xcalloc(1, sizeof(*p->r));
    if (data == NULL && len > 0) {
        rc = gh_fail(err, -EINVAL, "no roster data");
        goto out;
    }
    if (len > ROSTER_MAX_BYTES) {
        rc = gh_fail(err, -EFBIG, "the roster is %zu bytes, more than the limit of %u", len,
                     ROSTER_MAX_BYTES);
        goto out;
    }
    if (len >= 2 &&
        ((data[0] == '\xff' && data[1] == '\xfe') || (data[0] == '\xfe' && data[1] == '\xff'))) {
        rc = gh_fail(err, -EINVAL, "the roster is UTF-16 text; save it as UTF-8 CSV");
        goto out;
    }
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    rc = setup_names(p, m);
    if (rc < 0)
        goto out;

    csv_start(&csv);
    csv_live = true;
    p->line = 1;
    reset_record(p);
    while (pos < len && !p->fatal) {
        size_t end = pos, n;
        bool blank = true;
        while (end < len && data[end] != '\n' && data[end] != '\r') {
            if (data[end] != ' ' && data[end] != '\t')
                blank = false;
            end++;
        }
        if (end < len)
            end += (data[end] == '\r' && end + 1 < len && data[end + 1] == '\n') ? 2 : 1;
        if (!p->in_record) {
            if (blank) { /* libcsv skips it too; no need to feed it */
                pos = end;
                p->line++;
                continue;
            }
            p->in_record = true;
            p->rec_line = p->field_line = p->line;
        }
        n = csv_parse(&csv, data + pos, end - pos, field_cb, record_cb, p);
        if (n < end - pos && !p->fatal)
            tokenizer_error(p, &csv);
        pos = end;
        p->line++;
    }
    if (!p->fatal && csv_fini(&csv, field_cb, record_cb, p) != 0)
        unterminated_quote(p, &csv);
    if (!p->fatal && !p->header_done)
        set_fatal(p, -EINVAL, "the roster is empty (no header row)");
    rc = p->fatal;

out:
    if (csv_live)
        csv_free(&csv);
    free(p->dup);
    if (rc < 0) {
        roster_free(p->r);
    } else {
        *out = p->r;
    }
    free(p);
    return rc;
}

/* ---- column mapping ----------------------------------------------------------------- */

/* Parses one entry "field = Column Name" (the name optionally in "...", with "" for a
 * quote) from s[0..n). On error sets err and *at to the offending offset in s. */
static int parse_entry(const char *s, size_t n, int *field, char col[COLUMN_NAME_MAX + 1],
                       size_t *at, struct gh_err *err)
{
    char names[200];
    size_t i = 0, fs, fe, len = 0, a, b;

    while (i < n && is_ws(s[i]))
        i++;
    fs = i;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                     (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    fe = i;
    while (i < n && is_ws(s[i]))
        i++;
    *at = fs;
    if (fe == fs)
        return gh_fail(err, -EINVAL, "expected 'field=Column Name'");
    *field = field_by_name(s + fs, fe - fs);
    if (*field < 0) {
        field_list(names, sizeof(names));
        return gh_fail(err, -EINVAL, "unknown field '%.*s' (fields: %s)", (int)(fe - fs), s + fs,
                       names);
    }
    *at = i;
    if (i >= n || s[i] != '=')
        return gh_fail(err, -EINVAL, "expected '=' after the field name");
    i++;
    while (i < n && is_ws(s[i]))
        i++;
    *at = i;
    if (i < n && s[i] == '"') {
        for (i++;; i++) {
            if (i >= n)
                return gh_fail(err, -EINVAL, "unterminated quote");
            if (s[i] == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    i++;
                } else {
                    i++;
                    break;
                }
            }
            if (len == COLUMN_NAME_MAX)
                return gh_fail(err, -EINVAL, "column name longer than %u bytes", COLUMN_NAME_MAX);
            col[len++] = s[i];
        }
        while (i < n && is_ws(s[i]))
            i++;
        if (i < n) {
            *at = i;
            return gh_fail(err, -EINVAL, "unexpected text after the closing quote");
        }
    } else {
        for (; i < n; i++) {
            if (s[i] == '"') {
                *at = i;
                return gh_fail(err, -EINVAL,
                               "a column name with a quote must be quoted (\"...\", each "
                               "quote doubled)");
            }
            if (len == COLUMN_NAME_MAX)
                return gh_fail(err, -EINVAL, "column name longer than %u bytes", COLUMN_NAME_MAX);
            col[len++] = s[i];
        }
    }
    a = 0, b = len;
    trim_range(col, &a, &b);
    if (a == b)
        return gh_fail(err, -EINVAL, "empty column name for %s", field_names[*field]);
    if (!gh_utf8_valid_text(col + a, b - a))
        return gh_fail(err, -EINVAL, "the column name is not UTF-8 text");
    memmove(col, col + a, b - a);
    col[b - a] = '\0';
    *at = fs;
    return 0;
}

/* Adds entry (field, col) found at position `where` to the pending mapping, refusing a
 * field mapped twice or a column named for two fields. */
static int add_entry(char *tmp[ROSTER_FIELD_COUNT], size_t where_of[ROSTER_FIELD_COUNT], int field,
                     const char *col, size_t where, const char *unit, struct gh_err *err)
{
    if (tmp[field] != NULL)
        return gh_fail(err, -EINVAL, "%s is mapped twice (first at %s %zu)", field_names[field],
                       unit, where_of[field]);
    for (int g = 0; g < ROSTER_FIELD_COUNT; g++) {
        if (tmp[g] != NULL && gh_streq_nocase(tmp[g], col))
            return gh_fail(err, -EINVAL, "column '%s' is already mapped to %s (%s %zu)", col,
                           field_names[g], unit, where_of[g]);
    }
    tmp[field] = xstrdup(col);
    where_of[field] = where;
    return 0;
}

/* Moves the pending mapping into m (on success) or drops it. */
static void commit_entries(char *tmp[ROSTER_FIELD_COUNT], struct roster_mapping *m, bool ok)
{
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        if (tmp[f] == NULL)
            continue;
        if (ok) {
            free(m->column[f]);
            m->column[f] = tmp[f];
        } else {
            free(tmp[f]);
        }
    }
}

void roster_mapping_init(struct roster_mapping *m)
{
    memset(m, 0, sizeof(*m));
}

void roster_mapping_free(struct roster_mapping *m)
{
    if (m == NULL)
        return;
    for (int f = 0; f < ROSTER_FIELD_COUNT; f++) {
        free(m->column[f]);
        m->column[f] = NULL;
    }
}

int roster_mapping_parse(const char *spec, struct roster_mapping *m, struct gh_err *err)
{
    char *tmp[ROSTER_FIELD_COUNT] = {0};
    size_t where_of[ROSTER_FIELD_COUNT] = {0};
    char col[COLUMN_NAME_MAX + 1];
    size_t n = strnlen(spec, SPEC_MAX + 1), i = 0, a = 0, b;
    int rc = 0;

    if (n > SPEC_MAX)
        return gh_fail(err, -EINVAL, "mapping: longer than %u bytes", SPEC_MAX);
    b = n;
    trim_range(spec, &a, &b);
    if (a == b)
        return 0; /* nothing to map */
    for (;;) {
        size_t start = i, at = 0;
        bool quoted = false;
        int field = -1;
        while (i < n && (quoted || spec[i] != ',')) {
            if (spec[i] == '"')
                quoted = !quoted;
            i++;
        }
        rc = parse_entry(spec + start, i - start, &field, col, &at, err);
        if (rc == 0)
            rc = add_entry(tmp, where_of, field, col, start + at + 1, "position", err);
        if (rc < 0) {
            gh_err_prefix(err, "mapping, position %zu", start + at + 1);
            goto out;
        }
        if (i >= n)
            break;
        i++; /* the comma */
    }

out:
    commit_entries(tmp, m, rc == 0);
    return rc;
}

int roster_mapping_load(const char *path, struct roster_mapping *m, struct gh_err *err)
{
    char *tmp[ROSTER_FIELD_COUNT] = {0};
    size_t where_of[ROSTER_FIELD_COUNT] = {0};
    char col[COLUMN_NAME_MAX + 1];
    char *text = NULL;
    size_t len = 0, pos = 0, line = 0;
    int rc;

    rc = gh_read_file(path, MAPFILE_MAX, &text, &len, err);
    if (rc < 0)
        return rc;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, a = 0, b = n, at = 0;
        int field = -1;

        line++;
        pos += n + (nl != NULL);
        trim_range(s, &a, &b);
        if (a == b || s[a] == '#')
            continue;
        rc = parse_entry(s, n, &field, col, &at, err);
        if (rc == 0)
            rc = add_entry(tmp, where_of, field, col, line, "line", err);
        if (rc < 0) {
            gh_err_prefix(err, "%s:%zu", path, line);
            goto out;
        }
    }

out:
    commit_entries(tmp, m, rc == 0);
    free(text);
    return rc;
}
