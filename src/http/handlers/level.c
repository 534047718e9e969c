/*
 * level.c: access levels, the doors of a level (each usable during a schedule), and
 * departments (the HR grouping people belong to).
 */
#include "http/handlers/shared.h"

#include <string.h>

static json_t *named_json(int64_t id, const char *name)
{
    return json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name);
}

static int name_form(struct http_req *r, char *name, size_t len, bool create)
{
    struct http_form f;
    http_form_init(&f, r);
    http_form_name(&f, "name", create, name, len);
    return http_form_finish(&f);
}

/* ---- access levels -------------------------------------------------------------------- */

static int list_level(void *ctx, const struct access_level *l)
{
    struct page *p = ctx;
    return l->id > p->after ? page_add(p, l->id, named_json(l->id, l->name)) : 0;
}

HTTP_HANDLER(h_level_list)
{
    struct page p;
    if (page_begin(&p, r) < 0)
        return 0;
    return page_reply(&p, store_level_list(http_store(r), list_level, &p));
}

HTTP_HANDLER(h_level_create)
{
    struct access_level l;
    struct gh_err err = {{0}};
    int rc;
    memset(&l, 0, sizeof(l));
    if (name_form(r, l.name, sizeof(l.name), true) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_level_insert(http_store(r), &l, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "levels", l.id, named_json(l.id, l.name));
}

HTTP_HANDLER(h_level_get)
{
    struct access_level l;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_level_get(http_store(r), id, &l)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, named_json(l.id, l.name));
}

HTTP_HANDLER(h_level_update)
{
    struct access_level l;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_level_get(http_store(r), id, &l)) < 0)
        return fail_rollback(r, rc, NULL);
    if (name_form(r, l.name, sizeof(l.name), false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_level_update(http_store(r), &l, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, named_json(l.id, l.name));
}

HTTP_HANDLER(h_level_delete)
{
    return delete_row(r, ST_LEVEL);
}

/* ---- doors of a level ---------------------------------------------------------------- */

static json_t *level_door_json(const struct level_door *ld)
{
    return json_pack("{s:I, s:I, s:I}", "level_id", (json_int_t)ld->level_id, "door_id",
                     (json_int_t)ld->door_id, "schedule_id", (json_int_t)ld->schedule_id);
}

struct level_door_list {
    int64_t level_id;
    json_t *items;
};

static int list_level_door(void *ctx, const struct level_door *ld)
{
    struct level_door_list *l = ctx;
    if (ld->level_id == l->level_id)
        json_array_append_new(l->items, level_door_json(ld));
    return 0;
}

/* The level (and door) of the path; replies 404 when missing. */
static int path_level_door(struct http_req *r, int64_t *level, int64_t *door)
{
    struct store *st = http_store(r);
    int rc;
    if (http_param_id(r, "id", level) < 0)
        return -ENOENT;
    if ((rc = ref_level_exists(st, *level)) < 0) {
        http_problem_from(r, rc, NULL);
        return rc;
    }
    if (door == NULL)
        return 0;
    if (http_param_id(r, "door_id", door) < 0)
        return -ENOENT;
    if ((rc = ref_door_exists(st, *door)) < 0) {
        http_problem(r, 404, "not-found", NULL, "door %lld does not exist", (long long)*door);
        return rc;
    }
    return 0;
}

HTTP_HANDLER(h_level_door_list)
{
    struct level_door_list l;
    int rc;
    if (path_level_door(r, &l.level_id, NULL) < 0)
        return 0;
    l.items = json_array();
    rc = store_level_door_list(http_store(r), list_level_door, &l);
    if (rc < 0) {
        json_decref(l.items);
        return http_problem_from(r, rc, NULL);
    }
    return http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", l.items, "next_cursor"));
}

HTTP_HANDLER(h_level_door_put)
{
    struct http_form f;
    struct level_door ld;
    struct gh_err err = {{0}};
    int rc;
    memset(&ld, 0, sizeof(ld));
    if (path_level_door(r, &ld.level_id, &ld.door_id) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_ref(&f, "schedule_id", true, false, ref_find_schedule, ref_schedule_exists,
                  &ld.schedule_id);
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_level_door_set(http_store(r), &ld, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, level_door_json(&ld));
}

HTTP_HANDLER(h_level_door_delete)
{
    int64_t level, door;
    int rc;
    if (path_level_door(r, &level, &door) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = store_level_door_remove(http_store(r), level, door);
    if (rc < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_empty(r, 204);
}

/* ---- departments ------------------------------------------------------------------------ */

static int list_department(void *ctx, const struct department *d)
{
    struct page *p = ctx;
    return d->id > p->after ? page_add(p, d->id, named_json(d->id, d->name)) : 0;
}

HTTP_HANDLER(h_department_list)
{
    struct page p;
    if (page_begin(&p, r) < 0)
        return 0;
    return page_reply(&p, store_department_list(http_store(r), list_department, &p));
}

HTTP_HANDLER(h_department_create)
{
    struct department d;
    struct gh_err err = {{0}};
    int rc;
    memset(&d, 0, sizeof(d));
    if (name_form(r, d.name, sizeof(d.name), true) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_department_insert(http_store(r), &d, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "departments", d.id, named_json(d.id, d.name));
}

HTTP_HANDLER(h_department_get)
{
    struct department d;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_department_get(http_store(r), id, &d)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, named_json(d.id, d.name));
}

HTTP_HANDLER(h_department_update)
{
    struct department d;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_department_get(http_store(r), id, &d)) < 0)
        return fail_rollback(r, rc, NULL);
    if (name_form(r, d.name, sizeof(d.name), false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_department_update(http_store(r), &d, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, named_json(d.id, d.name));
}

HTTP_HANDLER(h_department_delete)
{
    return delete_row(r, ST_DEPARTMENT);
}
