/*
 * fuzz_roster.c: libFuzzer target for the HR roster parser (src/interop/roster.c).
 *
 * The input is a roster parsed with the default column mapping. When the first byte is
 * '@', the text up to the first line break (after the '@') is a mapping spec for
 * roster_mapping_parse() and the rest is the roster, parsed with that mapping if the spec
 * was accepted. Every row, error and unknown column is read back (so a dangling pointer
 * or an unterminated string shows up under ASan) and everything is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interop/interop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const struct roster *r)
{
    size_t kept = r->n_errors < ROSTER_MAX_ERRORS ? r->n_errors : ROSTER_MAX_ERRORS;
    volatile size_t sum = 0;

    for (size_t i = 0; i < r->n_rows; i++) {
        const struct roster_row *row = &r->rows[i];
        for (int f = 0; f < ROSTER_FIELD_COUNT; f++)
            sum += strlen(row->field[f]);
        if (row->line < 2 || row->valid_from >= row->valid_until ||
            (unsigned)row->status >= PERSON_STATUS_COUNT ||
            (unsigned)row->kind >= PERSON_KIND_COUNT || row->field[RF_EMPLOYEE_ID][0] == '\0')
            abort(); /* a row that passed validation must be usable as is */
    }
    for (size_t i = 0; i < kept; i++) {
        if (strnlen(r->errors[i].msg, sizeof(r->errors[i].msg)) == sizeof(r->errors[i].msg))
            abort();
        sum += strlen(r->errors[i].msg) + r->errors[i].line;
    }
    for (size_t i = 0; i < r->n_unknown; i++)
        sum += strlen(r->unknown_columns[i]);
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct roster_mapping m;
    struct roster *r = NULL;
    struct gh_err err;
    const char *csv = (const char *)data;
    size_t len = size;
    bool use_mapping = false;

    roster_mapping_init(&m);
    if (size > 0 && data[0] == '@') {
        const uint8_t *nl = memchr(data + 1, '\n', size - 1);
        size_t spec_len = nl != NULL ? (size_t)(nl - (data + 1)) : size - 1;
        char *spec = malloc(spec_len + 1);
        if (spec == NULL)
            return 0;
        memcpy(spec, data + 1, spec_len);
        spec[spec_len] = '\0';
        use_mapping = roster_mapping_parse(spec, &m, &err) == 0;
        free(spec);
        csv = (const char *)data + 1 + spec_len + (nl != NULL);
        len = size - 1 - spec_len - (nl != NULL);
    }
    if (roster_parse(csv, len, use_mapping ? &m : NULL, &r, &err) == 0) {
        touch(r);
        roster_free(r);
    } else if (r != NULL || strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg)) {
        abort(); /* a failed parse returns nothing and a message */
    }
    roster_mapping_free(&m);
    return 0;
}
