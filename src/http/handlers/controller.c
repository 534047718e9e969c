/*
 * controller.c: door controller records for administrators: create one with the doors it
 * drives and their offline policy, list them with their health (online, snapshot version
 * and lag, journal depth, clock offset, door states from the last heartbeat), change its
 * doors, make its one-time enrollment token (in edge.c), remove it.
 */
#include "http/handlers/handlers.h"
#include "http/handlers/shared.h"

#include <string.h>

/* A controller is online while its heartbeats come: the last one no older than its
 * period (as it reports it) and a grace of ONLINE_GRACE_US for the network. So a controller
 * that stops shows offline within one heartbeat period. */
#define ONLINE_GRACE_US (2 * INT64_C(1000000))

struct cdoors {
    json_t *arr;
};

static int on_door(void *ctx, const struct controller_door *d)
{
    struct cdoors *c = ctx;
    json_array_append_new(c->arr, json_pack("{s:I, s:i, s:i}", "door_id", (json_int_t)d->door_id,
                                            "offline_pin_after_s", d->offline_pin_after_s,
                                            "offline_deny_after_s", d->offline_deny_after_s));
    return 0;
}

static json_t *controller_json(struct store *st, const struct controller *c, int64_t now,
                               int64_t current_version)
{
    struct cdoors d = {json_array()};
    json_t *health = NULL;
    int64_t period = HTTP_EDGE_HEARTBEAT_S, seen;
    bool online;
    store_controller_door_list(st, c->id, on_door, &d);
    if (c->health[0] != '\0')
        health = json_loads(c->health, 0, NULL);
    if (json_integer_value(json_object_get(health, "heartbeat_s")) > 0)
        period = json_integer_value(json_object_get(health, "heartbeat_s"));
    /* a heartbeat, not any request: a long poll begun long ago says nothing of now */
    seen = json_integer_value(json_object_get(health, "received_us"));
    online = seen > 0 && now - seen <= period * INT64_C(1000000) + ONLINE_GRACE_US;
    return json_pack(
        "{s:I, s:s, s:b, s:b, s:o, s:o, s:o, s:I, s:b, s:o, s:o, s:o}", "id", (json_int_t)c->id,
        "name", c->name, "enrolled", c->key_id != 0, "online", online, "last_seen",
        c->last_seen_us ? http_json_time(c->last_seen_us) : json_null(), "enrollment_expires",
        c->enroll_expires_us ? http_json_time(c->enroll_expires_us) : json_null(),
        "applied_version", c->applied_version ? json_integer(c->applied_version) : json_null(),
        "policy_version", (json_int_t)current_version, "current",
        c->applied_version >= current_version, "revocation_lag_ms",
        c->lag_ms >= 0 ? json_integer(c->lag_ms) : json_null(), "health",
        health ? health : json_null(), "doors", d.arr);
}

static int64_t current_version(struct http_server *srv)
{
    int64_t v;
    pthread_mutex_lock(&srv->policy_mu);
    v = srv->snapshot_version;
    pthread_mutex_unlock(&srv->policy_mu);
    return v;
}

struct clist {
    struct page p;
    struct store *st;
    int64_t now, version;
};

static int list_one(void *ctx, const struct controller *c)
{
    struct clist *l = ctx;
    if (c->id <= l->p.after)
        return 0;
    return page_add(&l->p, c->id, controller_json(l->st, c, l->now, l->version));
}

HTTP_HANDLER(h_controller_list)
{
    struct clist l = {{0}, http_store(r), gh_now_us(), current_version(r->srv)};
    if (page_begin(&l.p, r) < 0)
        return 0;
    return page_reply(&l.p, store_controller_list(l.st, list_one, &l));
}

HTTP_HANDLER(h_controller_get)
{
    struct controller c;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_controller_get(http_store(r), id, &c)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(
        r, 200, controller_json(http_store(r), &c, gh_now_us(), current_version(r->srv)));
}

/* Reads one {"door", "offline_pin_after_s", "offline_deny_after_s"} into d. */
static int door_form(struct http_req *r, json_t *obj, const char *field, struct controller_door *d)
{
    struct http_form f;
    int64_t pin = 0, deny = 0;
    json_t *saved = r->json;
    int rc;
    r->json = obj;
    http_form_init(&f, r);
    http_form_ref(&f, "door", true, false, ref_find_door, ref_door_exists, &d->door_id);
    http_form_int(&f, "offline_pin_after_s", false, 0, 365 * 86400, &pin);
    http_form_int(&f, "offline_deny_after_s", false, 0, 365 * 86400, &deny);
    if (pin > 0 && deny > 0 && deny <= pin)
        http_form_error(&f, "offline_deny_after_s",
                        "must be longer than offline_pin_after_s (or 0: never)");
    (void)field;
    rc = http_form_finish(&f);
    r->json = saved;
    d->offline_pin_after_s = (int32_t)pin;
    d->offline_deny_after_s = (int32_t)deny;
    return rc;
}

HTTP_HANDLER(h_controller_create)
{
    struct http_form f;
    struct controller c;
    struct gh_err err = {{0}};
    json_t *doors = NULL, *v;
    size_t i;
    int rc;

    memset(&c, 0, sizeof(c));
    doors = json_object_get(r->json, "doors");
    if (doors != NULL && !json_is_array(doors))
        return http_problem(r, 422, "validation", NULL, "doors: must be an array");
    if (doors != NULL)
        json_incref(doors);
    json_object_del(r->json, "doors");
    http_form_init(&f, r);
    http_form_name(&f, "name", true, c.name, sizeof(c.name));
    if (http_form_finish(&f) < 0) {
        json_decref(doors);
        return 0;
    }
    if (http_write_begin(r) < 0) {
        json_decref(doors);
        return 0;
    }
    c.created_us = gh_now_us();
    if ((rc = store_controller_insert(http_store(r), &c, &err)) < 0) {
        json_decref(doors);
        return fail_rollback(r, rc, &err);
    }
    json_array_foreach(doors, i, v)
    {
        struct controller_door d = {c.id, 0, 0, 0};
        if (!json_is_object(v) || door_form(r, v, "doors", &d) < 0) {
            json_decref(doors);
            http_write_rollback(r);
            return r->replied ? 0
                              : http_problem(r, 422, "validation", NULL,
                                             "doors[%zu]: must be an object", i);
        }
        if ((rc = store_controller_door_set(http_store(r), &d, &err)) < 0) {
            json_decref(doors);
            return fail_rollback(r, rc, &err);
        }
    }
    json_decref(doors);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "controllers", c.id,
                         controller_json(http_store(r), &c, gh_now_us(), current_version(r->srv)));
}

HTTP_HANDLER(h_controller_door_set)
{
    struct controller_door d = {0, 0, 0, 0};
    struct controller c;
    struct gh_err err = {{0}};
    int rc;
    if (http_param_id(r, "id", &d.controller_id) < 0)
        return 0;
    if (http_write_begin(r) < 0)
        return 0;
    if ((rc = store_controller_get(http_store(r), d.controller_id, &c)) < 0)
        return fail_rollback(r, rc, NULL);
    if (door_form(r, r->json, NULL, &d) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_controller_door_set(http_store(r), &d, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(
        r, 200, controller_json(http_store(r), &c, gh_now_us(), current_version(r->srv)));
}

HTTP_HANDLER(h_controller_door_remove)
{
    int64_t id, door;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_param_id(r, "door", &door) < 0)
        return 0;
    if (http_write_begin(r) < 0)
        return 0;
    if ((rc = store_controller_door_remove(http_store(r), id, door)) < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_empty(r, 204);
}

HTTP_HANDLER(h_controller_delete)
{
    return delete_row(r, ST_CONTROLLER);
}
