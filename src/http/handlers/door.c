/*
 * door.c: doors. Defaults and rules as `gatehouse door add`: card mode, 5 s unlock, 30 s
 * held-open, fail-secure, both readers; the two areas differ and belong to the door's
 * site; an unlocked_schedule door names its unlock schedule. A door's position on the site's
 * plan ({"x_m", "y_m"}, or null) gives the badge-cloning detector its walking distances.
 */
#include "http/handlers/shared.h"

#include <string.h>

static json_t *door_json(const struct door *d)
{
    json_t *pos = d->has_position ? json_pack("{s:i, s:i}", "x_m", (int)d->x_m, "y_m", (int)d->y_m)
                                  : json_null();
    return json_pack("{s:I, s:I, s:s, s:o, s:o, s:s, s:o, s:i, s:i, s:s, s:b, s:b, s:b, s:o}", "id",
                     (json_int_t)d->id, "site_id", (json_int_t)d->site_id, "name", d->name,
                     "from_area_id", json_ref(d->from_area_id), "to_area_id",
                     json_ref(d->to_area_id), "mode", door_mode_name(d->mode), "unlock_schedule_id",
                     json_ref(d->unlock_schedule_id), "unlock_ms", (int)d->unlock_ms, "held_open_s",
                     (int)d->held_open_s, "fail", door_fail_name(d->fail), "escort_required",
                     d->escort_required, "entry_reader", d->has_entry_reader, "exit_reader",
                     d->has_exit_reader, "position", pos);
}

struct door_list {
    struct page p;
    int64_t site_id;
};

static int list_door(void *ctx, const struct door *d)
{
    struct door_list *l = ctx;
    if (d->id <= l->p.after || (l->site_id && d->site_id != l->site_id))
        return 0;
    return page_add(&l->p, d->id, door_json(d));
}

HTTP_HANDLER(h_door_list)
{
    struct door_list l = {{0}, 0};
    if (page_begin(&l.p, r) < 0 || http_query_int(r, "site_id", 1, INT64_MAX, &l.site_id) < 0)
        return 0;
    return page_reply(&l.p, store_door_list(http_store(r), list_door, &l));
}

static int door_form(struct http_req *r, struct door *d, bool create)
{
    struct http_form f;
    struct store *st = http_store(r);
    int64_t v;
    int e;
    http_form_init(&f, r);
    http_form_name(&f, "name", create, d->name, sizeof(d->name));
    if (create)
        http_form_ref(&f, "site_id", true, false, ref_find_site, ref_site_exists, &d->site_id);
    http_form_ref(&f, "from_area_id", create, false, ref_find_area, ref_area_exists,
                  &d->from_area_id);
    http_form_ref(&f, "to_area_id", create, false, ref_find_area, ref_area_exists, &d->to_area_id);
    if (http_form_enum(&f, "mode", false, &model_enum_door_mode, &e))
        d->mode = (enum door_mode)e;
    http_form_ref(&f, "unlock_schedule_id", false, true, ref_find_schedule, ref_schedule_exists,
                  &d->unlock_schedule_id);
    if (http_form_int(&f, "unlock_ms", false, 100, 600000, &v))
        d->unlock_ms = (int32_t)v;
    if (http_form_int(&f, "held_open_s", false, 1, 86400, &v))
        d->held_open_s = (int32_t)v;
    if (http_form_enum(&f, "fail", false, &model_enum_door_fail, &e))
        d->fail = (enum door_fail)e;
    http_form_bool(&f, "escort_required", false, &d->escort_required);
    http_form_bool(&f, "entry_reader", false, &d->has_entry_reader);
    http_form_bool(&f, "exit_reader", false, &d->has_exit_reader);
    http_form_point(&f, "position", false, DOOR_POSITION_MAX, &d->has_position, &d->x_m,
                    &d->y_m);

    if (json_array_size(f.errors) == 0) {
        struct area a, b;
        if (d->mode == DOOR_UNLOCKED_SCHEDULE && d->unlock_schedule_id == 0)
            http_form_error(&f, "unlock_schedule_id", "is required when mode is unlocked_schedule");
        if (d->from_area_id == d->to_area_id)
            http_form_error(&f, "to_area_id", "must differ from from_area_id");
        else if (store_area_get(st, d->from_area_id, &a) == 0 &&
                 store_area_get(st, d->to_area_id, &b) == 0 &&
                 (a.site_id != d->site_id || b.site_id != d->site_id))
            http_form_error(&f, a.site_id != d->site_id ? "from_area_id" : "to_area_id",
                            "the area belongs to another site than the door");
    }
    return http_form_finish(&f);
}

HTTP_HANDLER(h_door_create)
{
    struct door d;
    struct gh_err err = {{0}};
    int rc;
    memset(&d, 0, sizeof(d));
    d.mode = DOOR_CARD;
    d.unlock_ms = 5000;
    d.held_open_s = 30;
    d.fail = DOOR_FAIL_SECURE;
    d.has_entry_reader = true;
    d.has_exit_reader = true;
    if (http_write_begin(r) < 0)
        return 0;
    if (door_form(r, &d, true) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_door_insert(http_store(r), &d, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "doors", d.id, door_json(&d));
}

HTTP_HANDLER(h_door_get)
{
    struct door d;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_door_get(http_store(r), id, &d)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, door_json(&d));
}

HTTP_HANDLER(h_door_update)
{
    struct door d;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_door_get(http_store(r), id, &d)) < 0)
        return fail_rollback(r, rc, NULL);
    if (door_form(r, &d, false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_door_update(http_store(r), &d, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, door_json(&d));
}

HTTP_HANDLER(h_door_delete)
{
    return delete_row(r, ST_DOOR);
}
