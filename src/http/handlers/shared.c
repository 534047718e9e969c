/*
 * shared.c: list paging, the commit-after-policy-check sequence, created/deleted replies
 * and the name-or-id reference resolvers used by every resource handler.
 */
#include "http/handlers/shared.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int page_begin(struct page *p, struct http_req *r)
{
    memset(p, 0, sizeof(*p));
    p->r = r;
    p->limit = PAGE_DEFAULT;
    if (http_query_int(r, "limit", 1, PAGE_MAX, &p->limit) < 0 ||
        http_query_int(r, "cursor", 0, INT64_MAX, &p->after) < 0)
        return -EINVAL;
    return 0; /* items are made on first use: a handler may still refuse other arguments */
}

int page_add(struct page *p, int64_t id, json_t *item)
{
    if (p->items == NULL)
        p->items = json_array();
    if ((int64_t)json_array_size(p->items) >= p->limit) {
        json_decref(item);
        p->more = true;
        return 1;
    }
    json_array_append_new(p->items, item);
    p->last = id;
    return 0;
}

int reply_items(struct http_req *r, int list_rc, json_t *items)
{
    if (list_rc < 0) {
        json_decref(items);
        return http_problem_from(r, list_rc, NULL);
    }
    return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

int page_reply(struct page *p, int list_rc)
{
    char cursor[24];
    if (list_rc < 0) {
        json_decref(p->items);
        return http_problem_from(p->r, list_rc, NULL);
    }
    snprintf(cursor, sizeof(cursor), "%lld", (long long)p->last);
    if (p->items == NULL)
        p->items = json_array();
    return http_reply_json(p->r, 200,
                           json_pack("{s:o, s:o}", "items", p->items, "next_cursor",
                                     p->more ? json_string(cursor) : json_null()));
}

int policy_commit(struct http_req *r)
{
    struct access_snapshot *snap = NULL;
    struct gh_err err = {{0}};
    int rc = access_compile(http_store(r), NULL, &snap, &err);
    access_snapshot_free(snap);
    if (rc < 0) {
        http_write_rollback(r);
        http_problem(r, 422, "policy", NULL,
                     "the change would leave a policy that cannot be "
                     "decided on: %s",
                     err.msg);
        return -EINVAL;
    }
    return http_write_commit(r);
}

int fail_rollback(struct http_req *r, int code, const struct gh_err *err)
{
    http_write_rollback(r);
    return http_problem_from(r, code, err);
}

int reply_created(struct http_req *r, const char *plural, int64_t id, json_t *body)
{
    char loc[128];
    snprintf(loc, sizeof(loc), "/api/v1/%s/%lld", plural, (long long)id);
    http_reply_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    return http_reply_json(r, 201, body);
}

int delete_row(struct http_req *r, enum store_table t)
{
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if (http_write_begin(r) < 0)
        return 0;
    rc = store_delete(http_store(r), t, id, &err);
    if (rc == -EINVAL) { /* other rows still refer to it */
        http_write_rollback(r);
        return http_problem(r, 409, "conflict", NULL, "%s", err.msg);
    }
    if (rc < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_empty(r, 204);
}

json_t *json_ref(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

/* ---- references ------------------------------------------------------------------------ */

#define REF_FUNCS(kind, rowtype, findcall, getfn)                                                  \
    int ref_find_##kind(struct store *st, const char *name, int64_t *id)                           \
    {                                                                                              \
        struct rowtype row;                                                                        \
        int rc = findcall;                                                                         \
        if (rc == 0)                                                                               \
            *id = row.id;                                                                          \
        return rc;                                                                                 \
    }                                                                                              \
    int ref_##kind##_exists(struct store *st, int64_t id)                                          \
    {                                                                                              \
        struct rowtype row;                                                                        \
        return getfn(st, id, &row);                                                                \
    }

REF_FUNCS(site, site, store_site_find(st, name, &row), store_site_get)
REF_FUNCS(area, area, store_area_find(st, name, &row), store_area_get)
REF_FUNCS(door, door, store_door_find(st, name, &row), store_door_get)
REF_FUNCS(schedule, schedule, store_schedule_find(st, name, &row), store_schedule_get)
REF_FUNCS(calendar, holiday_calendar, store_calendar_find(st, name, &row), store_calendar_get)
REF_FUNCS(level, access_level, store_level_find(st, name, &row), store_level_get)
REF_FUNCS(department, department, store_department_find(st, name, &row), store_department_get)
REF_FUNCS(person, person, store_person_find(st, name, &row), store_person_get)

void wipe_request(struct http_req *r, const char *const *fields)
{
    for (int i = 0; fields[i] != NULL && r->json != NULL; i++) {
        json_t *v = json_object_get(r->json, fields[i]);
        if (json_is_string(v))
            sodium_memzero((char *)json_string_value(v), json_string_length(v));
    }
    if (r->body.data != NULL)
        sodium_memzero(r->body.data, r->body.len);
}

/* ---- sign-in ------------------------------------------------------------------------------ */

void set_session_cookie(struct http_req *r, const char *value, bool clear)
{
    char c[256];
    snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; Secure; SameSite=Strict%s",
             IDENTITY_SESSION_COOKIE, value, clear ? "; Max-Age=0" : "");
    http_reply_header(r, MHD_HTTP_HEADER_SET_COOKIE, c);
    sodium_memzero(c, sizeof(c));
}

int log_sign_in(struct http_req *r, enum event_type type, const char *name, const char *method,
                const char *why, int64_t session_id)
{
    json_t *p = json_pack("{s:s, s:s}", "user", name, "address", r->client_addr);
    if (p != NULL && method != NULL)
        json_object_set_new(p, "method", json_string(method));
    if (p != NULL && why != NULL)
        json_object_set_new(p, "reason", json_string(why));
    if (p != NULL && session_id != 0)
        json_object_set_new(p, "session", json_integer(session_id));
    /* the audit entry of this request says how it ended */
    if (type == EV_SIGN_IN)
        gh_snprintf(r->audit_outcome, sizeof(r->audit_outcome), "%s signed in (%s)", name,
                    method ? method : "?");
    else if (type == EV_SIGN_IN_FAILED)
        gh_snprintf(r->audit_outcome, sizeof(r->audit_outcome), "sign-in of '%s' refused: %s",
                    name, why ? why : "?");
    else if (type == EV_SIGN_OUT)
        gh_snprintf(r->audit_outcome, sizeof(r->audit_outcome), "%s signed out", name);
    return http_log_event(r, type, 0, 0, 0, p);
}
