/*
 * record.c: one audit entry for one change, made the same way by the API and the command
 * line: who and what (the caller's part), the time, and the rows the transaction changed
 * before and after (the store's change record), appended in canonical JSON.
 */
#include "audit/audit.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NOT_RECORDED "(not recorded)"

/* Columns whose values never reach the log (their change does): hashes of secrets, TOTP
 * keys, a session's CSRF token. */
static bool secret_column(const char *name)
{
    static const char *const names[] = {"totp_secret", "totp_pending", "csrf"};
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, "_hash") == 0)
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static json_t *hex_json(const void *p, size_t len)
{
    char *hex = xmalloc(len * 2 + 1);
    json_t *j;
    sodium_bin2hex(hex, len * 2 + 1, p, len);
    j = json_pack("{s:s}", "hex", hex);
    free(hex);
    return j;
}

static json_t *value_json(const char *name, const struct store_value *v)
{
    json_t *j;
    if (v->type != STORE_NULL && secret_column(name))
        return json_string(NOT_RECORDED);
    switch (v->type) {
    case STORE_INT:
        return json_integer(v->i);
    case STORE_REAL:
        return json_real(v->f);
    case STORE_TEXT: /* not UTF-8 (no input path stores that): shown as bytes */
        j = json_stringn((const char *)v->p, v->len);
        return j != NULL ? j : hex_json(v->p, v->len);
    case STORE_BLOB:
        return hex_json(v->p, v->len);
    default:
        return json_null();
    }
}

struct changes {
    json_t *list;
    size_t bytes; /* of the rows listed, compact */
    size_t unlisted;
};

static int add_change(void *ctx, const struct store_change *c)
{
    struct changes *cs = ctx;
    json_t *key = json_object(), *before = json_object(), *after = json_object(), *row;
    if (json_array_size(cs->list) >= AUDIT_CHANGES_MAX || cs->bytes > AUDIT_CHANGES_BYTES) {
        cs->unlisted++;
        json_decref(key);
        json_decref(before);
        json_decref(after);
        return 0;
    }
    for (int i = 0; i < c->ncol; i++) {
        const struct store_value *b = &c->before[i], *a = &c->after[i];
        if (c->pk[i])
            json_object_set_new(key, c->names[i], value_json(c->names[i], c->op == 'I' ? a : b));
        if (c->pk[i] && c->op == 'U')
            continue; /* in the key */
        if (b->type != STORE_ABSENT)
            json_object_set_new(before, c->names[i], value_json(c->names[i], b));
        if (a->type != STORE_ABSENT)
            json_object_set_new(after, c->names[i], value_json(c->names[i], a));
    }
    row = json_pack("{s:s, s:s, s:o}", "table", c->table, "op",
                    c->op == 'I'   ? "insert"
                    : c->op == 'D' ? "delete"
                                   : "update",
                    "key", key);
    if (c->op != 'I')
        json_object_set_new(row, "before", before);
    else
        json_decref(before);
    if (c->op != 'D')
        json_object_set_new(row, "after", after);
    else
        json_decref(after);
    if (row == NULL)
        return -ENOMEM;
    cs->bytes += json_dumpb(row, NULL, 0, JSON_COMPACT) + 1;
    if (cs->bytes > AUDIT_CHANGES_BYTES) {
        json_decref(row);
        cs->unlisted++;
        return 0;
    }
    return json_array_append_new(cs->list, row) == 0 ? 0 : -ENOMEM;
}

int audit_record(struct store *st, json_t *entry, int64_t now_us, uint64_t *index,
                 struct gh_err *err)
{
    struct changes cs = {json_array(), 0, 0};
    char when[GH_ISO_LEN];
    char *text = NULL;
    int r;

    if (entry == NULL || cs.list == NULL) {
        r = gh_fail(err, -ENOMEM, "out of memory making an audit entry");
        goto out;
    }
    r = store_changes_foreach(st, add_change, &cs);
    if (r < 0 && r != -ENOENT) {
        r = gh_fail(err, r, "cannot read the transaction's changes for the audit log");
        goto out;
    }
    gh_format_iso(now_us, when);
    json_object_set_new(entry, "time", json_string(when));
    if (json_array_size(cs.list) > 0)
        json_object_set(entry, "changes", cs.list);
    if (cs.unlisted > 0)
        json_object_set_new(entry, "changes_unlisted", json_integer((json_int_t)cs.unlisted));
    text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        r = gh_fail(err, -ENOMEM, "out of memory making an audit entry");
        goto out;
    }
    r = audit_log_append(st, text, now_us, index, err);
out:
    free(text);
    json_decref(cs.list);
    json_decref(entry);
    return r;
}
