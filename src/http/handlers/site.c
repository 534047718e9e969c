/*
 * site.c: sites and areas, with area lockdown and release (an operator action event,
 * committed with the change). Same rules as the CLI: a site's time zone must load, an
 * area's parent must be an area of the same site.
 */
#include "http/handlers/shared.h"

#include <string.h>

/* ---- sites ------------------------------------------------------------------------------ */

static json_t *site_json(const struct site *s)
{
    return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)s->id, "name", s->name, "timezone",
                     s->timezone);
}

static int list_site(void *ctx, const struct site *s)
{
    struct page *p = ctx;
    return s->id > p->after ? page_add(p, s->id, site_json(s)) : 0;
}

HTTP_HANDLER(h_site_list)
{
    struct page p;
    if (page_begin(&p, r) < 0)
        return 0;
    return page_reply(&p, store_site_list(http_store(r), list_site, &p));
}

/* Reads the fields of a site body into s (create: name and timezone required). */
static int site_form(struct http_req *r, struct site *s, bool create)
{
    struct http_form f;
    http_form_init(&f, r);
    http_form_name(&f, "name", create, s->name, sizeof(s->name));
    if (http_form_string(&f, "timezone", create, s->timezone, sizeof(s->timezone))) {
        struct gh_err err = {{0}};
        struct gh_tz *tz = NULL;
        if (tz_load(s->timezone, &tz, &err) < 0)
            http_form_error(&f, "timezone", "%s", err.msg);
        tz_free(tz);
    }
    return http_form_finish(&f);
}

HTTP_HANDLER(h_site_create)
{
    struct site s;
    struct gh_err err = {{0}};
    int rc;
    memset(&s, 0, sizeof(s));
    if (site_form(r, &s, true) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_site_insert(http_store(r), &s, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "sites", s.id, site_json(&s));
}

HTTP_HANDLER(h_site_get)
{
    struct site s;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_site_get(http_store(r), id, &s)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, site_json(&s));
}

HTTP_HANDLER(h_site_update)
{
    struct site s;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_site_get(http_store(r), id, &s)) < 0)
        return fail_rollback(r, rc, NULL);
    if (site_form(r, &s, false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_site_update(http_store(r), &s, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, site_json(&s));
}

HTTP_HANDLER(h_site_delete)
{
    return delete_row(r, ST_SITE);
}

/* ---- areas ------------------------------------------------------------------------------ */

static json_t *area_json(const struct area *a)
{
    return json_pack("{s:I, s:I, s:o, s:s, s:s, s:b}", "id", (json_int_t)a->id, "site_id",
                     (json_int_t)a->site_id, "parent_id", json_ref(a->parent_id), "name", a->name,
                     "apb", apb_mode_name(a->apb), "locked_down", a->locked_down);
}

struct area_list {
    struct page p;
    int64_t site_id;
};

static int list_area(void *ctx, const struct area *a)
{
    struct area_list *l = ctx;
    if (a->id <= l->p.after || (l->site_id && a->site_id != l->site_id))
        return 0;
    return page_add(&l->p, a->id, area_json(a));
}

HTTP_HANDLER(h_area_list)
{
    struct area_list l = {{0}, 0};
    if (page_begin(&l.p, r) < 0 || http_query_int(r, "site_id", 1, INT64_MAX, &l.site_id) < 0)
        return 0;
    return page_reply(&l.p, store_area_list(http_store(r), list_area, &l));
}

static int area_form(struct http_req *r, struct area *a, bool create)
{
    struct http_form f;
    struct store *st = http_store(r);
    int apb = (int)a->apb;
    http_form_init(&f, r);
    http_form_name(&f, "name", create, a->name, sizeof(a->name));
    if (create)
        http_form_ref(&f, "site_id", true, false, ref_find_site, ref_site_exists, &a->site_id);
    http_form_ref(&f, "parent_id", false, true, ref_find_area, ref_area_exists, &a->parent_id);
    if (http_form_enum(&f, "apb", false, &model_enum_apb_mode, &apb))
        a->apb = (enum apb_mode)apb;
    if (a->parent_id != 0 && a->site_id != 0) {
        struct area parent;
        if (a->parent_id == a->id)
            http_form_error(&f, "parent_id", "an area cannot be its own parent");
        else if (store_area_get(st, a->parent_id, &parent) == 0 && parent.site_id != a->site_id)
            http_form_error(&f, "parent_id", "area '%s' belongs to another site", parent.name);
    }
    return http_form_finish(&f);
}

HTTP_HANDLER(h_area_create)
{
    struct area a;
    struct gh_err err = {{0}};
    int rc;
    memset(&a, 0, sizeof(a));
    if (http_write_begin(r) < 0)
        return 0;
    if (area_form(r, &a, true) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_area_insert(http_store(r), &a, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "areas", a.id, area_json(&a));
}

HTTP_HANDLER(h_area_get)
{
    struct area a;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_area_get(http_store(r), id, &a)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, area_json(&a));
}

HTTP_HANDLER(h_area_update)
{
    struct area a;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_area_get(http_store(r), id, &a)) < 0)
        return fail_rollback(r, rc, NULL);
    if (area_form(r, &a, false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_area_update(http_store(r), &a, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, area_json(&a));
}

HTTP_HANDLER(h_area_delete)
{
    return delete_row(r, ST_AREA);
}

/* Lockdown and release: {"reason": "..."} optional; the event names the caller. */
static int area_lock(struct http_req *r, bool lock)
{
    struct http_form f;
    struct area a;
    struct gh_err err = {{0}};
    char reason[256] = "";
    int64_t id;
    json_t *payload;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_string(&f, "reason", false, reason, sizeof(reason));
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_area_get(http_store(r), id, &a)) < 0)
        return fail_rollback(r, rc, NULL);
    a.locked_down = lock;
    if ((rc = store_area_update(http_store(r), &a, &err)) < 0)
        return fail_rollback(r, rc, &err);
    payload = json_pack("{s:s, s:I, s:s}", "action", lock ? "lockdown" : "release", "area_id",
                        (json_int_t)a.id, "area", a.name);
    if (payload != NULL && reason[0])
        json_object_set_new(payload, "reason", json_string(reason));
    if ((rc = http_log_event(r, EV_OPERATOR_ACTION, 0, 0, 0, payload)) < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, area_json(&a));
}

HTTP_HANDLER(h_area_lockdown)
{
    return area_lock(r, true);
}

HTTP_HANDLER(h_area_release)
{
    return area_lock(r, false);
}
