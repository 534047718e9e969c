/*
 * import.c: the HR roster import, with the semantics of `gatehouse import people`: the CSV
 * body is parsed and every row validated first; any row error refuses the whole file (422
 * with every error by line and column) and nothing changes; then it is applied in one
 * transaction (upsert by employee id; terminations revoke credentials; --full guard).
 * ?dry_run=true does everything and rolls back.
 */
#include "http/handlers/shared.h"

#include <string.h>

static json_t *row_errors(const struct roster *ro)
{
    json_t *errs = json_array();
    for (size_t i = 0; i < ro->n_errors && i < ROSTER_MAX_ERRORS; i++) {
        const struct roster_error *e = &ro->errors[i];
        unsigned col = e->column;
        const char *field = "row";
        for (int f = 0; f < ROSTER_FIELD_COUNT && col > 0; f++)
            if (ro->field_column[f] == col)
                field = roster_field_name((enum roster_field)f);
        json_array_append_new(errs, json_pack("{s:s, s:i, s:i, s:s}", "field", field, "line",
                                              (int)e->line, "column", (int)col, "detail", e->msg));
    }
    return errs;
}

/* The import's transaction ends with its audit entry (and, failing that, the reply). */
static int import_commit(void *ctx, struct store *st)
{
    (void)st;
    return http_write_commit(ctx);
}

HTTP_HANDLER(h_import_roster)
{
    struct roster_mapping map;
    struct roster_apply_opts opt = {false, false, -1, import_commit, r};
    struct roster_summary sum;
    struct roster *ro = NULL;
    struct gh_err err = {{0}};
    struct store *st = http_store(r);
    const char *columns = http_query(r, "columns");
    int rc;

    roster_mapping_init(&map);
    if (http_query_bool(r, "full", &opt.full) < 0 ||
        http_query_bool(r, "dry_run", &opt.dry_run) < 0 ||
        http_query_int(r, "max_terminations", 0, INT64_MAX, &opt.max_terminations) < 0)
        goto out;
    if (columns != NULL && roster_mapping_parse(columns, &map, &err) < 0) {
        http_problem(r, 400, "bad-request",
                     json_pack("[{s:s, s:s}]", "field", "columns", "detail", err.msg),
                     "query parameter 'columns': %s", err.msg);
        goto out;
    }
    rc = roster_parse(r->body.data ? r->body.data : "", r->body.len, &map, &ro, &err);
    if (rc < 0) {
        http_problem(r, rc == -EFBIG ? 413 : 422, rc == -EFBIG ? "too-large" : "validation", NULL,
                     "the roster cannot be read: %s; nothing was imported", err.msg);
        goto out;
    }
    if (ro->n_errors > 0) {
        if (ro->n_errors > ROSTER_MAX_ERRORS)
            http_problem(r, 422, "validation", row_errors(ro),
                         "%zu errors in the roster (the first %u are listed); nothing was "
                         "imported",
                         ro->n_errors, ROSTER_MAX_ERRORS);
        else
            http_problem(r, 422, "validation", row_errors(ro),
                         "%zu error%s in the roster; nothing was imported", ro->n_errors,
                         ro->n_errors == 1 ? "" : "s");
        goto out;
    }
    memset(&sum, 0, sizeof(sum));
    rc = roster_apply(st, ro, &opt, gh_now_us(), &sum, NULL, NULL, &err);
    if (rc < 0) {
        if (!r->replied)
            http_problem(r, rc == -EIO ? 500 : 422, rc == -EIO ? "internal" : "validation", NULL,
                         "%s; nothing was imported", err.msg);
        goto out;
    }
    {
        json_t *unknown = json_array();
        for (size_t i = 0; i < ro->n_unknown; i++)
            json_array_append_new(unknown, json_string(ro->unknown_columns[i]));
        http_reply_json(r, 200,
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:o}", "rows",
                                  (json_int_t)sum.rows, "created", (json_int_t)sum.created,
                                  "updated", (json_int_t)sum.updated, "unchanged",
                                  (json_int_t)sum.unchanged, "terminated",
                                  (json_int_t)sum.terminated, "absent", (json_int_t)sum.absent,
                                  "credentials_revoked", (json_int_t)sum.credentials_revoked,
                                  "reviews_opened", (json_int_t)sum.reviews_opened, "dry_run",
                                  opt.dry_run, "unused_columns", unknown));
    }
out:
    roster_free(ro);
    roster_mapping_free(&map);
    return 0;
}
