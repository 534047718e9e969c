/*
 * shared.h: private to src/http/handlers: what several resource handlers share: list
 * paging, the policy check before a commit, replies for created and deleted rows, the
 * session cookie and sign-in events, and the reference resolvers that http_form_ref()
 * takes.
 */
#ifndef GH_HTTP_HANDLERS_SHARED_H
#define GH_HTTP_HANDLERS_SHARED_H

#include "http/handlers/handlers.h"

/* ---- lists: {"items": [...], "next_cursor": "ID" | null} ------------------------------- */

#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

struct page {
    struct http_req *r;
    int64_t after; /* cursor: ids greater than this */
    int64_t limit;
    json_t *items;
    int64_t last; /* id of the last item added */
    bool more;    /* a row beyond the page exists */
};
/* Reads `limit` and `cursor` (replies 400 and returns -EINVAL when bad). */
int page_begin(struct page *p, struct http_req *r);
/* Offers a row: returns 1 (stop listing) once the page is full, 0 to go on. Takes item. */
int page_add(struct page *p, int64_t id, json_t *item);
/* Replies 200 with the page (or the listing error). */
int page_reply(struct page *p, int list_rc);

/* A whole list, unpaged: replies {"items": items} (taken), or the listing's error. */
int reply_items(struct http_req *r, int list_rc, json_t *items);

/* ---- writes ------------------------------------------------------------------------------ */

/* The policy must still compile before a change is committed (as the CLI checks). Commits
 * and returns 0; or rolls back, replies 422 `policy` or 500, and returns < 0. */
int policy_commit(struct http_req *r);
/* Rolls back and replies from a store error code. Returns 0 (a reply was set). */
int fail_rollback(struct http_req *r, int code, const struct gh_err *err);
/* Replies 201 with Location: /api/v1/<plural>/<id>. */
int reply_created(struct http_req *r, const char *plural, int64_t id, json_t *body);
/* Wipes the request's copies of secrets: the named fields of the parsed JSON (NULL-ended
 * list) and the raw body. */
void wipe_request(struct http_req *r, const char *const *fields);
/* DELETE of one row of a policy table: 204, 404, or 409 while in use. */
int delete_row(struct http_req *r, enum store_table t);

/* ---- sign-in ------------------------------------------------------------------------------ */

/* Sets the session cookie (HttpOnly, Secure, SameSite=Strict), or clears it. */
void set_session_cookie(struct http_req *r, const char *value, bool clear);
/* Records a sign-in, a refused one or a sign-out as an event: the user (as named), the
 * method (password, ldap, oidc; NULL for none), the client address, the reason of a
 * refusal and the session. In the caller's transaction. */
int log_sign_in(struct http_req *r, enum event_type type, const char *name, const char *method,
                const char *why, int64_t session_id);

/* ---- references (for http_form_ref) ------------------------------------------------------- */

int ref_find_site(struct store *st, const char *name, int64_t *id);
int ref_site_exists(struct store *st, int64_t id);
int ref_find_area(struct store *st, const char *name, int64_t *id);
int ref_area_exists(struct store *st, int64_t id);
int ref_find_door(struct store *st, const char *name, int64_t *id);
int ref_door_exists(struct store *st, int64_t id);
int ref_find_schedule(struct store *st, const char *name, int64_t *id);
int ref_schedule_exists(struct store *st, int64_t id);
int ref_find_calendar(struct store *st, const char *name, int64_t *id);
int ref_calendar_exists(struct store *st, int64_t id);
int ref_find_level(struct store *st, const char *name, int64_t *id);
int ref_level_exists(struct store *st, int64_t id);
int ref_find_department(struct store *st, const char *name, int64_t *id);
int ref_department_exists(struct store *st, int64_t id);
int ref_find_person(struct store *st, const char *employee_id, int64_t *id);
int ref_person_exists(struct store *st, int64_t id);

/* The event filters of a query string (from, to, person_id, credential_id, door_id, type,
 * decision). Replies 400 and returns -EINVAL when one is bad. */
int event_filter_from_query(struct http_req *r, struct store_event_filter *f);

/* JSON helpers for representations. */
json_t *json_ref(int64_t id); /* the id, or null for 0 */

#endif
