/*
 * lookup.c: what the detectors ask about the world (struct rules_lookup), answered from a
 * store: a door's site and position (cached a minute, in a small direct-mapped table), a
 * credential's and a person's status (read each time: they change and matter), and the
 * local time at a door's site (its zone kept loaded). Used by the server's rules thread
 * and by `gatehouse rules replay`.
 */
#include "rules/rules.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define DOOR_CACHE 1024
#define CACHE_US   (60 * GH_USEC_PER_SEC)

struct cached_door {
    int64_t id, site, loaded_us;
    bool placed;
    double x, y;
};

struct rules_world {
    struct store *st;
    struct cached_door doors[DOOR_CACHE];
    int64_t tz_site;
    struct gh_tz *tz;
};

static const struct cached_door *door_of(struct rules_world *w, int64_t id)
{
    struct cached_door *c = &w->doors[(uint64_t)id % DOOR_CACHE];
    int64_t now = gh_monotonic_us();
    struct door d;
    if (c->id == id && now - c->loaded_us < CACHE_US)
        return c;
    memset(c, 0, sizeof(*c));
    if (store_door_get(w->st, id, &d) == 0) {
        c->id = id;
        c->site = d.site_id;
        c->placed = d.has_position;
        c->x = d.x_m;
        c->y = d.y_m;
        c->loaded_us = now;
    }
    return c;
}

static int64_t w_door_site(void *ctx, int64_t door_id)
{
    return door_of(ctx, door_id)->site;
}

static int w_door_position(void *ctx, int64_t door_id, double *x, double *y)
{
    const struct cached_door *c = door_of(ctx, door_id);
    if (!c->placed)
        return -1;
    *x = c->x;
    *y = c->y;
    return 0;
}

static int w_cred_status(void *ctx, int64_t id)
{
    struct rules_world *w = ctx;
    struct credential c;
    return store_credential_get(w->st, id, &c) == 0 ? (int)c.status : -1;
}

static int w_person_status(void *ctx, int64_t id)
{
    struct rules_world *w = ctx;
    struct person p;
    return store_person_get(w->st, id, &p) == 0 ? (int)p.status : -1;
}

static int w_local_time(void *ctx, int64_t door_id, int64_t t, int *weekday, int *hour)
{
    struct rules_world *w = ctx;
    struct gh_local l;
    int64_t site = w_door_site(w, door_id);
    if (site == 0)
        return -1;
    if (w->tz_site != site) {
        struct site s;
        struct gh_err err = {{0}};
        tz_free(w->tz);
        w->tz = NULL;
        w->tz_site = 0;
        if (store_site_get(w->st, site, &s) < 0 || tz_load(s.timezone, &w->tz, &err) < 0)
            return -1;
        w->tz_site = site;
    }
    tz_local(w->tz, t, &l);
    *weekday = (int)l.weekday;
    *hour = (int)(l.minute / 60);
    return 0;
}

struct rules_world *rules_world_new(struct store *st, struct rules_lookup *out)
{
    struct rules_world *w = xcalloc(1, sizeof(*w));
    w->st = st;
    *out = (struct rules_lookup){
        w, w_door_site, w_cred_status, w_person_status, w_local_time, w_door_position};
    return w;
}

void rules_world_free(struct rules_world *w)
{
    if (w != NULL) {
        tz_free(w->tz);
        free(w);
    }
}
