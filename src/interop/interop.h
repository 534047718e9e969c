/*
 * interop.h: exchange formats. The HR roster CSV (parse, column mapping, import into the
 * store) and the access-log export (CSV and JSON lines, streamed).
 *
 * Parsing and applying are separate: roster_parse() turns untrusted bytes into validated
 * rows or a list of errors (line:column: message) and touches nothing; roster_apply()
 * writes rows to the store in one transaction, all or nothing.
 *
 * Ownership: roster_parse() returns a struct roster the caller frees with roster_free();
 * its strings live in the roster. Thread-safety: none of these share state; a roster may
 * be read from any thread.
 */
#ifndef GH_INTEROP_H
#define GH_INTEROP_H

#include "ingest/ingest.h"

#include <jansson.h>

/* ---- HR roster CSV (src/interop/roster.c) ------------------------------------------- */

/* Hard limits on untrusted roster input. */
#define ROSTER_MAX_BYTES   (512u * 1024 * 1024)
#define ROSTER_MAX_ROWS    2000000u
#define ROSTER_MAX_FIELD   1024u
#define ROSTER_MAX_COLUMNS 128u
#define ROSTER_MAX_ERRORS  200u /* errors kept (all are counted) */
#define ROSTER_MAX_COLUMN_NAME 256u /* a mapped column name, in a spec or a mapping file */

/* The roster fields, in the canonical column order. */
enum roster_field {
    RF_EMPLOYEE_ID = 0, /* required */
    RF_FIRST_NAME,      /* required */
    RF_LAST_NAME,       /* required */
    RF_EMAIL,
    RF_DEPARTMENT,
    RF_TITLE,
    RF_MANAGER_ID,
    RF_STATUS,     /* active | on_leave | suspended | terminated; empty = active */
    RF_START_DATE, /* YYYY-MM-DD, valid from 00:00 UTC that day */
    RF_END_DATE,   /* YYYY-MM-DD, valid through that day (until 00:00 UTC the day after) */
    RF_KIND,       /* employee | contractor | visitor; empty = employee */
    ROSTER_FIELD_COUNT
};
const char *roster_field_name(enum roster_field f);
bool roster_field_required(enum roster_field f);

/* Which header text names each field (NULL: the field's own name). */
struct roster_mapping {
    char *column[ROSTER_FIELD_COUNT];
};
void roster_mapping_init(struct roster_mapping *m);
void roster_mapping_free(struct roster_mapping *m);
/* "employee_id=Employee ID,first_name=Given Name" (fields by their canonical names;
 * a column name may be quoted with "..." to contain a comma). At most 16 KiB; errors say
 * "mapping, position N: ...". On error the mapping is unchanged. */
int roster_mapping_parse(const char *spec, struct roster_mapping *m, struct gh_err *err);
/* A mapping file: one "field = Column Name" a line, '#' comments, blank lines ignored.
 * At most 64 KiB (-EFBIG beyond). Errors say file:line. */
int roster_mapping_load(const char *path, struct roster_mapping *m, struct gh_err *err);

struct roster_row {
    unsigned line; /* line in the file where the record starts (1-based, header = 1) */
    const char *field[ROSTER_FIELD_COUNT]; /* trimmed text, "" when absent/empty */
    enum person_status status;
    enum person_kind kind;
    int64_t valid_from;  /* GH_TIME_MIN when no start date */
    int64_t valid_until; /* GH_TIME_MAX when no end date */
};

/* For a stray quote, line is the physical line of the quote (it can be after the line the
 * record starts on when the record spans several lines). */
struct roster_error {
    unsigned line;
    unsigned column; /* 1-based column (field index) of the record, 0 for the whole line */
    char msg[200];
};

struct roster {
    struct roster_row *rows; /* only rows without errors */
    size_t n_rows;
    struct roster_error *errors; /* at most ROSTER_MAX_ERRORS kept */
    size_t n_errors;             /* all errors counted */
    char **unknown_columns;      /* header names that map to no field (not fatal) */
    unsigned field_column[ROSTER_FIELD_COUNT]; /* 1-based file column of each field, 0 absent */
    size_t n_unknown;
    /* private: string storage */
    char **blocks;
    size_t n_blocks;
    size_t block_used;
};

/* Parses an RFC 4180 roster (quoted fields, embedded commas and newlines, CRLF or LF, an
 * optional UTF-8 BOM) with a header row mapped by name. Each row is validated (required
 * fields, id syntax, name text, e-mail, status, kind, dates, end >= start, duplicate
 * employee ids within the file). Returns 0 with *out set when the file was read, even if
 * rows have errors (check out->n_errors); a negative code with err set when the file as a
 * whole cannot be used: -EFBIG (over ROSTER_MAX_BYTES or ROSTER_MAX_ROWS), -EINVAL (not
 * CSV, not UTF-8, a required column missing, a duplicate column). Records whose fields are
 * all empty are skipped; header columns with an empty name are ignored. */
int roster_parse(const char *data, size_t len, const struct roster_mapping *m,
                 struct roster **out, struct gh_err *err);
void roster_free(struct roster *r);

/* ---- applying a roster (src/interop/import.c) ---------------------------------------- */

struct roster_summary {
    size_t rows;
    size_t created;
    size_t updated;
    size_t unchanged;
    size_t terminated; /* people newly terminated (status or absent from a full feed) */
    size_t credentials_revoked;
    size_t reviews_opened; /* department changes */
    size_t absent;         /* --full: people terminated for being absent from the file */
};

/* Called every so often with rows done / total (for a progress bar); may be NULL. */
typedef void (*roster_progress_cb)(void *ctx, size_t done, size_t total);

struct roster_apply_opts {
    bool full;    /* people (employee, contractor) absent from the file are terminated */
    bool dry_run; /* do everything and fill the summary, then roll back */
    /* --full safety guard: refuse when more people would be terminated for being absent;
     * < 0 means the default, max(5, 10% of the active people). */
    int64_t max_terminations;
    /* commits the import's transaction (NULL: store_commit): the API and the command line
     * record the import in the audit log in it first; 0 or negative (err not set) */
    int (*commit)(void *ctx, struct store *st);
    void *commit_ctx;
};

/* Upserts every row by employee id in one write transaction (opt NULL: defaults). Only
 * the columns the file has are written: a file without an email column leaves e-mail
 * addresses as they are. With `full`, people of kind employee or contractor who are not
 * in the file are terminated (refused above the guard, and always for an empty file).
 * Terminations revoke every credential of the person in the same transaction; a
 * department change opens an access review. A manager id must name a person in the file
 * or the store. All or nothing: on any error the transaction is rolled back and err says
 * "line:column: field: what" for a row, or what went wrong. */
int roster_apply(struct store *st, const struct roster *r, const struct roster_apply_opts *opt,
                 int64_t now_us, struct roster_summary *sum, roster_progress_cb progress,
                 void *pctx, struct gh_err *err);

/* ---- event payloads (src/interop/payload.c) ------------------------------------------ */

/* Sets ev->payload to the compact JSON of payload (taking the reference; NULL, as from a
 * failed json_pack, is -ENOMEM). -ENOSPC, payload unchanged, if it does not fit
 * EVENT_PAYLOAD_MAX. */
int event_payload_set(struct event *ev, json_t *payload);
/* A non-decision event stamped now (an operator action, a revocation ...) with its payload
 * (reference taken; NULL, as from a failed json_pack, is -ENOMEM): as event_payload_set. */
int event_make(struct event *ev, enum event_type type, int64_t door_id, int64_t person_id,
               int64_t credential_id, json_t *payload);

/* ---- access-log export (src/interop/export.c) --------------------------------------- */

enum export_format { EXPORT_CSV = 0, EXPORT_JSONL };
#define EXPORT_CSV_HEADER                                                                  \
    "timestamp,badge_id,door_id,door_name,person_id,employee_id,decision,reason"

/* One event as the export shows it: the door, credential and person it names looked up
 * (one-entry caches in struct export_names: consecutive events often share them). The
 * row's strings point into the row or the names; valid until the next export_row(). */
struct export_names {
    struct store *st;
    struct door door;
    struct person person;
    struct credential cred;
};
struct export_row {
    char timestamp[GH_ISO_LEN];
    char badge[64], door_id[24], person_id[24];
    const char *door_name, *employee_id, *decision, *reason; /* "" when none */
};
void export_names_init(struct export_names *n, struct store *st);
void export_row(struct export_names *n, const struct event *ev, struct export_row *row);
/* The JSON-lines form of a row (new reference; NULL: out of memory). */
json_t *export_row_json(const struct export_row *row, const struct event *ev);

/* Writes access decisions (and, with all_types, every event) matching the filter to fd in
 * offset order, in constant memory. *count gets the rows written. */
int export_events(struct store *st, const struct store_event_filter *f, enum export_format fmt,
                  bool all_types, int fd, int64_t *count, struct gh_err *err);

/* ---- the daily access dump (src/interop/dump.c) ------------------------------------------ */

/* Writes local day `day` (days since 1970-01-01 in zone tz) of door access decisions as
 * DIR/access-YYYY-MM-DD.csv (the export's CSV, mode 0600), then its manifest
 * DIR/access-YYYY-MM-DD.csv.sha256 ("HEX  NAME", as sha256sum writes it), each through a
 * temporary file of its own (DIR/.NAME.XXXXXX), synced and renamed; an existing dump of
 * that day is replaced (its manifest removed first). out gets the path, the row count and
 * the SHA-256. */
#define EXPORT_DUMP_NAME_MAX 32
struct export_dump_result {
    char path[4096];
    int64_t rows;
    char sha256[65];
};
int export_dump_day(struct store *st, const char *dir, const struct gh_tz *tz, int64_t day,
                    struct export_dump_result *out, struct gh_err *err);
/* access-YYYY-MM-DD.csv for a day. */
void export_dump_name(int64_t day, char name[EXPORT_DUMP_NAME_MAX]);
/* Whether the day's dump is complete in dir (its manifest is there). */
bool export_dump_exists(const char *dir, int64_t day);

/* The same export a page at a time, for a caller that streams (the HTTP server): the
 * extent is fixed when the cursor is made (events committed by then); each call appends the
 * next rows (the CSV header first) to out. Not thread-safe; the store may differ from call
 * to call. Caller frees with export_cursor_free(). */
struct export_cursor;
int export_cursor_new(struct store *st, const struct store_event_filter *f,
                      enum export_format fmt, bool all_types, struct export_cursor **out);
int export_cursor_next(struct export_cursor *c, struct store *st, size_t max_rows,
                       struct gh_buf *out);
bool export_cursor_done(const struct export_cursor *c);
int64_t export_cursor_count(const struct export_cursor *c);
void export_cursor_free(struct export_cursor *c);

#endif
