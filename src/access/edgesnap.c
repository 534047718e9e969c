/*
 * edgesnap.c: a controller's snapshot. The server cuts from its compiled snapshot what one
 * controller needs (its doors, their sites and areas, the schedules, calendars and access
 * levels that reach those doors, the people holding those levels and their credentials)
 * into a JSON document; the controller rebuilds a struct access_snapshot from it with the
 * same compiler as the server (access_compile_rows), so it decides with the same engine.
 *
 * Cards appear only as keyed hashes (BLAKE2b-256 with the controller's card key, derived
 * from the site key), people only as ids: no names, no card numbers in clear. The document
 * is parsed with hard limits: a size cap, every field typed, unknown fields refused, ids
 * ascending, every reference resolved; any fault refuses the whole document.
 */
#include "access/access_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define EDGE_FORMAT 1

void access_edge_card_key(const uint8_t site_key[ACCESS_SITE_KEY_LEN], int64_t controller_id,
                          uint8_t out[32])
{
    crypto_kdf_derive_from_key(out, 32, (uint64_t)controller_id, "gh_card_", site_key);
}

static void card_hash(const uint8_t card_key[32], uint64_t key, uint8_t out[32])
{
    crypto_generichash_state st;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(key >> (8 * i));
    crypto_generichash_init(&st, card_key, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)"gatehouse-card-v1", 17);
    crypto_generichash_update(&st, le, sizeof(le));
    crypto_generichash_final(&st, out, 32);
}

static uint64_t hash_slot_key(const uint8_t h[32])
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k |= (uint64_t)h[i] << (8 * i);
    return k;
}

uint64_t access_snapshot_card_key_hashed(const struct access_snapshot *s, enum cred_format f,
                                         uint32_t facility, uint64_t number)
{
    uint8_t h[32];
    card_hash(s->card_key, access_card_key(f, facility, number), h);
    return hash_slot_key(h);
}

void access_edge_card_hash(const uint8_t card_key[32], const struct wiegand_card *card,
                           char hex[65])
{
    uint8_t h[32];
    card_hash(card_key, access_card_key(card->format, card->facility, card->number), h);
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* ---- export --------------------------------------------------------------------------- */

static json_t *b64(const uint8_t *p, size_t n)
{
    char out[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
    if (n > 64)
        return NULL;
    sodium_bin2base64(out, sizeof(out), p, n, sodium_base64_VARIANT_ORIGINAL);
    return json_string(out);
}

static int64_t ref_id(const void *base, size_t size, uint32_t i)
{
    int64_t id = 0;
    if (i != NONE)
        memcpy(&id, (const char *)base + (size_t)i * size, sizeof(id));
    return id;
}

/* Marks an area and its ancestors (and their sites). */
static void keep_area(const struct access_snapshot *s, uint32_t a, bool *areas, bool *sites)
{
    for (uint32_t depth = 0; a != NONE && depth <= s->n_areas; depth++) {
        areas[a] = true;
        sites[s->areas[a].site] = true;
        a = s->areas[a].parent;
    }
}

int access_edge_export(const struct access_snapshot *s, const struct access_edge_export *o,
                       struct gh_buf *out, struct gh_err *err)
{
    bool *doors = xcalloc(s->n_doors + 1, 1), *areas = xcalloc(s->n_areas + 1, 1);
    bool *sites = xcalloc(s->n_sites + 1, 1), *scheds = xcalloc(s->n_scheds + 1, 1);
    bool *cals = xcalloc(s->n_cals + 1, 1), *levels = xcalloc(s->n_levels + 1, 1);
    bool *persons = xcalloc(s->n_persons + 1, 1);
    uint64_t *keys = xcalloc(s->n_creds + 1, sizeof(uint64_t));
    const struct access_edge_door **policy = xcalloc(s->n_doors + 1, sizeof(*policy));
    json_t *doc = json_object(), *arr;
    char *text = NULL;
    int r = 0;

    for (size_t i = 0; i < o->n_doors; i++) {
        uint32_t d = access_find_id(s->door_ids, s->n_doors, sizeof(int64_t), o->doors[i].door_id);
        if (d == NONE) {
            r = gh_fail(err, -ENOENT, "door %lld is not in the policy",
                        (long long)o->doors[i].door_id);
            goto out;
        }
        doors[d] = true;
        policy[d] = &o->doors[i];
        sites[s->doors[d].site] = true;
        keep_area(s, s->doors[d].from_area, areas, sites);
        keep_area(s, s->doors[d].to_area, areas, sites);
        if (s->doors[d].unlock_sched != NONE)
            scheds[s->doors[d].unlock_sched] = true;
    }
    for (uint32_t l = 0; l < s->n_levels; l++)
        for (uint32_t k = s->levels[l].door_off; k < s->levels[l].door_off + s->levels[l].door_n;
             k++)
            if (doors[s->level_door_door[k]]) {
                levels[l] = true;
                scheds[s->level_door_sched[k]] = true;
            }
    for (uint32_t i = 0; i < s->n_scheds; i++)
        if (scheds[i] && s->scheds[i].calendar != NONE)
            cals[s->scheds[i].calendar] = true;
    for (uint32_t p = 0; p < s->n_persons; p++)
        for (uint32_t k = s->persons[p].asg_off; k < s->persons[p].asg_off + s->persons[p].asg_n;
             k++)
            if (levels[s->asg[k].level])
                persons[p] = true;
    for (uint32_t i = 0; i <= s->hmask && s->slots != NULL; i++)
        if (s->slots[i].cred != NONE)
            keys[s->slots[i].cred] = s->slots[i].key;

    json_object_set_new(doc, "format", json_integer(EDGE_FORMAT));
    json_object_set_new(doc, "controller", json_integer(o->controller_id));
    json_object_set_new(doc, "version", json_integer(s->version));
    json_object_set_new(doc, "issued_us", json_integer(o->issued_us));
    json_object_set_new(doc, "card_key", b64(o->card_key, 32));
    json_object_set_new(doc, "pin_key", s->have_key ? b64(s->pin_key, 32) : json_null());

    arr = json_array();
    for (uint32_t i = 0; i < s->n_sites; i++)
        if (sites[i])
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "id",
                                                 (json_int_t)s->sites[i].id, "name",
                                                 s->sites[i].name, "tz", tz_name(s->sites[i].tz)));
    json_object_set_new(doc, "sites", arr);

    arr = json_array();
    for (uint32_t i = 0; i < s->n_areas; i++)
        if (areas[i])
            json_array_append_new(
                arr,
                json_pack(
                    "{s:I, s:s, s:I, s:I, s:i, s:b}", "id", (json_int_t)s->areas[i].id, "name",
                    s->areas[i].name, "site", (json_int_t)s->sites[s->areas[i].site].id, "parent",
                    (json_int_t)ref_id(s->areas, sizeof(struct snap_area), s->areas[i].parent),
                    "apb", (int)s->areas[i].apb, "locked", s->areas[i].locked_by == i));
    json_object_set_new(doc, "areas", arr);

    arr = json_array();
    for (uint32_t i = 0; i < s->n_scheds; i++) {
        json_t *iv;
        if (!scheds[i])
            continue;
        iv = json_array();
        for (uint32_t k = 0; k < s->scheds[i].iv_n; k++) {
            const struct sched_interval *x = &s->intervals[s->scheds[i].iv_off + k];
            json_array_append_new(
                iv, json_pack("[i, i, i]", (int)x->days, (int)x->start_min, (int)x->end_min));
        }
        json_array_append_new(
            arr, json_pack("{s:I, s:I, s:o}", "id", (json_int_t)s->scheds[i].id, "calendar",
                           (json_int_t)ref_id(s->cals, sizeof(struct snap_calendar),
                                              s->scheds[i].calendar),
                           "intervals", iv));
    }
    json_object_set_new(doc, "schedules", arr);

    arr = json_array();
    for (uint32_t i = 0; i < s->n_cals; i++) {
        json_t *days;
        if (!cals[i])
            continue;
        days = json_array();
        for (uint32_t k = 0; k < s->cals[i].day_n; k++)
            json_array_append_new(days, json_integer(s->holiday_days[s->cals[i].day_off + k]));
        json_array_append_new(
            arr, json_pack("{s:I, s:o}", "id", (json_int_t)s->cals[i].id, "days", days));
    }
    json_object_set_new(doc, "calendars", arr);

    arr = json_array();
    for (uint32_t i = 0; i < s->n_doors; i++) {
        const struct snap_door *d = &s->doors[i];
        if (!doors[i])
            continue;
        json_array_append_new(
            arr,
            json_pack(
                "{s:I, s:s, s:I, s:I, s:I, s:i, s:I, s:b, s:b, s:b, s:i, s:i, s:b, s:i, "
                "s:i}",
                "id", (json_int_t)d->id, "name", d->name, "site", (json_int_t)s->sites[d->site].id,
                "from", (json_int_t)s->areas[d->from_area].id, "to",
                (json_int_t)s->areas[d->to_area].id, "mode", (int)d->mode, "unlock_schedule",
                (json_int_t)ref_id(s->scheds, sizeof(struct snap_sched), d->unlock_sched), "escort",
                d->escort_required, "entry", d->entry_reader, "exit", d->exit_reader, "unlock_ms",
                (int)d->unlock_ms, "held_open_s", (int)d->held_open_s, "fail_safe", d->fail_safe,
                "offline_pin_after_s", (int)policy[i]->offline_pin_after_s, "offline_deny_after_s",
                (int)policy[i]->offline_deny_after_s));
    }
    json_object_set_new(doc, "doors", arr);

    arr = json_array();
    for (uint32_t l = 0; l < s->n_levels; l++) {
        json_t *ld;
        if (!levels[l])
            continue;
        ld = json_array();
        for (uint32_t k = s->levels[l].door_off; k < s->levels[l].door_off + s->levels[l].door_n;
             k++)
            if (doors[s->level_door_door[k]])
                json_array_append_new(
                    ld, json_pack("[I, I]", (json_int_t)s->doors[s->level_door_door[k]].id,
                                  (json_int_t)s->scheds[s->level_door_sched[k]].id));
        json_array_append_new(
            arr, json_pack("{s:I, s:o}", "id", (json_int_t)s->levels[l].id, "doors", ld));
    }
    json_object_set_new(doc, "levels", arr);

    arr = json_array();
    for (uint32_t p = 0; p < s->n_persons; p++) {
        const struct snap_person *x = &s->persons[p];
        json_t *lv;
        if (!persons[p])
            continue;
        lv = json_array();
        for (uint32_t k = x->asg_off; k < x->asg_off + x->asg_n; k++)
            if (levels[s->asg[k].level])
                json_array_append_new(lv,
                                      json_pack("[I, I]", (json_int_t)s->levels[s->asg[k].level].id,
                                                (json_int_t)s->asg[k].expires));
        json_array_append_new(arr, json_pack("{s:I, s:i, s:i, s:I, s:I, s:o}", "id",
                                             (json_int_t)x->id, "status", (int)x->status, "kind",
                                             (int)x->kind, "from", (json_int_t)x->valid_from,
                                             "until", (json_int_t)x->valid_until, "levels", lv));
    }
    json_object_set_new(doc, "people", arr);

    arr = json_array();
    for (uint32_t i = 0; i < s->n_creds; i++) {
        const struct snap_cred *c = &s->creds[i];
        uint8_t h[32];
        char hex[65];
        json_t *row;
        if (!persons[c->person])
            continue;
        card_hash(o->card_key, keys[i], h);
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        row = json_pack("{s:I, s:I, s:s, s:i, s:I, s:I}", "id", (json_int_t)c->id, "person",
                        (json_int_t)s->persons[c->person].id, "card", hex, "status", (int)c->status,
                        "from", (json_int_t)c->valid_from, "until", (json_int_t)c->valid_until);
        if (c->pin != NONE)
            json_object_set_new(row, "pin", b64(s->pins[c->pin], 32));
        json_array_append_new(arr, row);
    }
    json_object_set_new(doc, "credentials", arr);

    text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text == NULL) {
        r = gh_fail(err, -ENOMEM, "snapshot: cannot render the document");
        goto out;
    }
    if ((r = gh_buf_append(out, text, strlen(text))) < 0)
        gh_fail(err, r, "snapshot: the document (%zu bytes) does not fit", strlen(text));
out:
    if (text != NULL) {
        sodium_memzero(text, strlen(text)); /* it holds the card and PIN keys */
        free(text);
    }
    json_decref(doc);
    free(doors);
    free(areas);
    free(sites);
    free(scheds);
    free(cals);
    free(levels);
    free(persons);
    free(keys);
    free(policy);
    return r < 0 ? r : 0;
}

/* ---- import --------------------------------------------------------------------------- */

/* The parsed document as model rows, replayed to the compiler in order. */
struct edge_rows {
    json_t *doc;
    struct gh_err *err;
};

static int check_ids(struct gh_err *err, const char *what, size_t i, json_int_t id,
                     json_int_t *prev)
{
    if (id <= 0 || id <= *prev)
        return gh_fail(err, -EINVAL, "snapshot: %s[%zu]: ids must be positive and ascending", what,
                       i);
    *prev = id;
    return 0;
}

static int unpack(struct gh_err *err, const char *what, size_t i, json_t *v, const char *fmt, ...)
{
    json_error_t je;
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = json_vunpack_ex(v, &je, JSON_STRICT, fmt, ap);
    va_end(ap);
    if (r != 0)
        return gh_fail(err, -EINVAL, "snapshot: %s[%zu]: %s", what, i, je.text);
    return 0;
}

static json_t *section(struct edge_rows *e, const char *name)
{
    return json_object_get(e->doc, name);
}

static int rows_sites(void *src, store_site_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "sites"), i, v)
    {
        struct site row = {0};
        json_int_t id;
        const char *name, *tz;
        int r;
        if ((r = unpack(e->err, "sites", i, v, "{s:I, s:s, s:s}", "id", &id, "name", &name, "tz",
                        &tz)) != 0 ||
            (r = check_ids(e->err, "sites", i, id, &prev)) != 0)
            return r;
        row.id = id;
        if (gh_strlcpy(row.name, name, sizeof(row.name)) >= sizeof(row.name) ||
            gh_strlcpy(row.timezone, tz, sizeof(row.timezone)) >= sizeof(row.timezone))
            return gh_fail(e->err, -EINVAL, "snapshot: sites[%zu]: a name is too long", i);
        if ((r = cb(ctx, &row)) != 0)
            return r;
    }
    return 0;
}

static int rows_areas(void *src, store_area_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "areas"), i, v)
    {
        struct area row = {0};
        json_int_t id, site, parent;
        const char *name;
        int apb, locked, r;
        if ((r = unpack(e->err, "areas", i, v, "{s:I, s:s, s:I, s:I, s:i, s:b}", "id", &id, "name",
                        &name, "site", &site, "parent", &parent, "apb", &apb, "locked", &locked)) !=
                0 ||
            (r = check_ids(e->err, "areas", i, id, &prev)) != 0)
            return r;
        if (apb < 0 || apb >= APB_MODE_COUNT || parent < 0)
            return gh_fail(e->err, -EINVAL, "snapshot: areas[%zu]: apb or parent out of range", i);
        row.id = id;
        row.site_id = site;
        row.parent_id = parent;
        row.apb = (enum apb_mode)apb;
        row.locked_down = locked;
        gh_strlcpy(row.name, name, sizeof(row.name));
        if ((r = cb(ctx, &row)) != 0)
            return r;
    }
    return 0;
}

static int rows_schedules(void *src, store_schedule_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "schedules"), i, v)
    {
        struct schedule row = {0};
        json_int_t id, cal;
        json_t *ivs, *iv;
        size_t k;
        int r;
        if ((r = unpack(e->err, "schedules", i, v, "{s:I, s:I, s:o}", "id", &id, "calendar", &cal,
                        "intervals", &ivs)) != 0 ||
            (r = check_ids(e->err, "schedules", i, id, &prev)) != 0)
            return r;
        if (!json_is_array(ivs) || json_array_size(ivs) > SCHEDULE_MAX_INTERVALS || cal < 0)
            return gh_fail(e->err, -EINVAL,
                           "snapshot: schedules[%zu]: at most %d intervals, and a calendar id", i,
                           SCHEDULE_MAX_INTERVALS);
        row.id = id;
        row.calendar_id = cal;
        json_array_foreach(ivs, k, iv)
        {
            int days, start, end;
            if ((r = unpack(e->err, "schedules", i, iv, "[i, i, i]", &days, &start, &end)) != 0)
                return r;
            if (days < 0 || days > 0xff || start < 0 || start > 1439 || end < 1 || end > 1440)
                return gh_fail(e->err, -EINVAL,
                               "snapshot: schedules[%zu]: interval %zu out of range", i, k);
            row.intervals[k] =
                (struct sched_interval){(uint8_t)days, (uint16_t)start, (uint16_t)end};
        }
        row.n_intervals = (int)json_array_size(ivs);
        if ((r = cb(ctx, &row)) != 0)
            return r;
    }
    return 0;
}

static int rows_calendars(void *src, store_calendar_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "calendars"), i, v)
    {
        struct holiday_calendar row = {0};
        json_int_t id;
        json_t *days;
        int r;
        if ((r = unpack(e->err, "calendars", i, v, "{s:I, s:o}", "id", &id, "days", &days)) != 0 ||
            (r = check_ids(e->err, "calendars", i, id, &prev)) != 0)
            return r;
        if (!json_is_array(days))
            return gh_fail(e->err, -EINVAL, "snapshot: calendars[%zu]: days must be an array", i);
        row.id = id;
        if ((r = cb(ctx, &row)) != 0)
            return r;
    }
    return 0;
}

static int rows_holidays(void *src, store_holiday_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_array_foreach(section(e, "calendars"), i, v)
    {
        json_t *days = json_object_get(v, "days"), *d;
        size_t k;
        json_int_t prev = INT64_MIN;
        json_array_foreach(days, k, d)
        {
            struct holiday row = {0};
            int r;
            if (!json_is_integer(d) || json_integer_value(d) <= prev)
                return gh_fail(e->err, -EINVAL,
                               "snapshot: calendars[%zu]: days must be ascending integers", i);
            prev = json_integer_value(d);
            row.calendar_id = json_integer_value(json_object_get(v, "id"));
            row.day = prev;
            if ((r = cb(ctx, &row)) != 0)
                return r;
        }
    }
    return 0;
}

static int rows_doors(void *src, store_door_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "doors"), i, v)
    {
        struct door row = {0};
        json_int_t id, site, from, to, sched;
        const char *name;
        int mode, escort, entry, exitr, unlock_ms, held, fail_safe, pin_after, deny_after, r;
        if ((r = unpack(e->err, "doors", i, v,
                        "{s:I, s:s, s:I, s:I, s:I, s:i, s:I, s:b, s:b, s:b, s:i, s:i, s:b, s:i, "
                        "s:i}",
                        "id", &id, "name", &name, "site", &site, "from", &from, "to", &to, "mode",
                        &mode, "unlock_schedule", &sched, "escort", &escort, "entry", &entry,
                        "exit", &exitr, "unlock_ms", &unlock_ms, "held_open_s", &held, "fail_safe",
                        &fail_safe, "offline_pin_after_s", &pin_after, "offline_deny_after_s",
                        &deny_after)) != 0 ||
            (r = check_ids(e->err, "doors", i, id, &prev)) != 0)
            return r;
        if (mode < 0 || mode >= DOOR_MODE_COUNT || unlock_ms < 100 || unlock_ms > 600000 ||
            held < 1 || held > 86400 || pin_after < 0 || deny_after < 0 || sched < 0 ||
            (mode == DOOR_UNLOCKED_SCHEDULE && sched == 0))
            return gh_fail(e->err, -EINVAL, "snapshot: doors[%zu]: a setting is out of range", i);
        if (gh_strlcpy(row.name, name, sizeof(row.name)) >= sizeof(row.name))
            return gh_fail(e->err, -EINVAL, "snapshot: doors[%zu]: the name is too long", i);
        row.id = id;
        row.site_id = site;
        row.from_area_id = from;
        row.to_area_id = to;
        row.mode = (enum door_mode)mode;
        row.unlock_schedule_id = sched;
        row.escort_required = escort;
        row.has_entry_reader = entry;
        row.has_exit_reader = exitr;
        row.unlock_ms = unlock_ms;
        row.held_open_s = held;
        row.fail = fail_safe ? DOOR_FAIL_SAFE : DOOR_FAIL_SECURE;
        if ((r = cb(ctx, &row)) != 0)
            return r;
    }
    return 0;
}

static int rows_levels(void *src, store_level_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "levels"), i, v)
    {
        struct access_level row = {0};
        json_int_t id;
        json_t *doors;
        int r;
        if ((r = unpack(e->err, "levels", i, v, "{s:I, s:o}", "id", &id, "doors", &doors)) != 0 ||
            (r = check_ids(e->err, "levels", i, id, &prev)) != 0)
            return r;
        if (!json_is_array(doors))
            return gh_fail(e->err, -EINVAL, "snapshot: levels[%zu]: doors must be an array", i);
        row.id = id;
        if ((r = cb(ctx, &row)) != 0)
            return r;
    }
    return 0;
}

static int rows_level_doors(void *src, store_level_door_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_array_foreach(section(e, "levels"), i, v)
    {
        json_t *x;
        size_t k;
        json_int_t prev = 0;
        json_array_foreach(json_object_get(v, "doors"), k, x)
        {
            struct level_door row = {0};
            json_int_t door, sched;
            int r;
            if ((r = unpack(e->err, "levels", i, x, "[I, I]", &door, &sched)) != 0)
                return r;
            if (door <= prev)
                return gh_fail(e->err, -EINVAL, "snapshot: levels[%zu]: door ids must be ascending",
                               i);
            prev = door;
            row.level_id = json_integer_value(json_object_get(v, "id"));
            row.door_id = door;
            row.schedule_id = sched;
            if ((r = cb(ctx, &row)) != 0)
                return r;
        }
    }
    return 0;
}

static int rows_persons(void *src, store_person_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "people"), i, v)
    {
        struct person row = {0};
        json_int_t id, from, until;
        json_t *levels;
        int status, kind, r;
        if ((r = unpack(e->err, "people", i, v, "{s:I, s:i, s:i, s:I, s:I, s:o}", "id", &id,
                        "status", &status, "kind", &kind, "from", &from, "until", &until, "levels",
                        &levels)) != 0 ||
            (r = check_ids(e->err, "people", i, id, &prev)) != 0)
            return r;
        if (status < 0 || status >= PERSON_STATUS_COUNT || kind < 0 || kind >= PERSON_KIND_COUNT ||
            !json_is_array(levels))
            return gh_fail(e->err, -EINVAL, "snapshot: people[%zu]: status or kind out of range",
                           i);
        row.id = id;
        row.status = (enum person_status)status;
        row.kind = (enum person_kind)kind;
        row.valid_from = from;
        row.valid_until = until;
        if ((r = cb(ctx, &row)) != 0)
            return r;
    }
    return 0;
}

static int rows_assignments(void *src, store_assignment_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    int64_t n = 0;
    json_array_foreach(section(e, "people"), i, v)
    {
        json_t *x;
        size_t k;
        json_array_foreach(json_object_get(v, "levels"), k, x)
        {
            struct assignment row = {0};
            json_int_t level, expires;
            int r;
            if ((r = unpack(e->err, "people", i, x, "[I, I]", &level, &expires)) != 0)
                return r;
            row.id = ++n;
            row.person_id = json_integer_value(json_object_get(v, "id"));
            row.level_id = level;
            row.expires = expires;
            if ((r = cb(ctx, &row)) != 0)
                return r;
        }
    }
    return 0;
}

static int decode_b64_32(const char *s, uint8_t out[32])
{
    size_t n = 0;
    if (sodium_base642bin(out, 32, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) !=
            0 ||
        n != 32)
        return -EINVAL;
    return 0;
}

static int rows_credentials(void *src, access_cred_row_cb cb, void *ctx)
{
    struct edge_rows *e = src;
    json_t *v;
    size_t i;
    json_int_t prev = 0;
    json_array_foreach(section(e, "credentials"), i, v)
    {
        struct credential row = {0};
        json_int_t id, person, from, until;
        const char *card, *pin = NULL;
        uint8_t h[32];
        size_t n = 0;
        int status, r;
        if ((r = unpack(e->err, "credentials", i, v, "{s:I, s:I, s:s, s:i, s:I, s:I, s?s}", "id",
                        &id, "person", &person, "card", &card, "status", &status, "from", &from,
                        "until", &until, "pin", &pin)) != 0 ||
            (r = check_ids(e->err, "credentials", i, id, &prev)) != 0)
            return r;
        if (strlen(card) != 64 || sodium_hex2bin(h, sizeof(h), card, 64, NULL, &n, NULL) != 0 ||
            n != 32)
            return gh_fail(e->err, -EINVAL,
                           "snapshot: credentials[%zu]: card must be 64 hex digits", i);
        if (status < 0 || status >= CRED_STATUS_COUNT)
            return gh_fail(e->err, -EINVAL, "snapshot: credentials[%zu]: status out of range", i);
        if (pin != NULL) {
            if (decode_b64_32(pin, row.pin_hash) != 0)
                return gh_fail(e->err, -EINVAL,
                               "snapshot: credentials[%zu]: pin must be 32 bytes in base64", i);
            row.has_pin = true;
        }
        row.id = id;
        row.person_id = person;
        row.status = (enum cred_status)status;
        row.valid_from = from;
        row.valid_until = until;
        if ((r = cb(ctx, &row, hash_slot_key(h))) != 0)
            return r;
    }
    return 0;
}

/* Each section is an array (an absent or mistyped one refuses the document). */
static int check_sections(json_t *doc, struct gh_err *err)
{
    static const char *const names[] = {"sites", "areas",  "schedules", "calendars",
                                        "doors", "levels", "people",    "credentials"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!json_is_array(json_object_get(doc, names[i])))
            return gh_fail(err, -EINVAL, "snapshot: %s must be an array", names[i]);
    return 0;
}

/* Two credentials with one slot key would make one card open as the other: refused. */
static int check_unique_cards(const struct access_snapshot *s, struct gh_err *err)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i <= s->hmask; i++)
        if (s->slots[i].cred != NONE)
            used++;
    for (uint32_t i = 0; i <= s->hmask; i++) {
        const struct snap_slot *x = &s->slots[i];
        if (x->cred != NONE && access_cred_slot(s, x->key) != x)
            return gh_fail(err, -EINVAL, "snapshot: credential %lld: its card is listed twice",
                           (long long)s->creds[x->cred].id);
    }
    return used == s->n_creds ? 0 : gh_fail(err, -EINVAL, "snapshot: credential slots");
}

int access_edge_import(const char *text, size_t len, const struct access_edge_import *want,
                       struct access_snapshot **out, struct access_edge_info *info,
                       struct gh_err *err)
{
    struct access_snapshot *s = NULL;
    struct edge_rows e = {NULL, err};
    const struct access_rows rows = {
        .src = &e,
        .sites = rows_sites,
        .areas = rows_areas,
        .schedules = rows_schedules,
        .calendars = rows_calendars,
        .holidays = rows_holidays,
        .doors = rows_doors,
        .levels = rows_levels,
        .level_doors = rows_level_doors,
        .persons = rows_persons,
        .assignments = rows_assignments,
        .credentials = rows_credentials,
    };
    json_error_t je;
    json_int_t format, controller, version, issued;
    const char *card_key, *pin_key = NULL;
    json_t *pin_val;
    json_t *sites, *areas, *scheds, *cals, *doors, *levels, *people, *creds;
    int r;

    *out = NULL;
    if (len > ACCESS_EDGE_MAX_BYTES)
        return gh_fail(err, -EFBIG, "snapshot: %zu bytes, more than the %d allowed", len,
                       ACCESS_EDGE_MAX_BYTES);
    e.doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (e.doc == NULL)
        return gh_fail(err, -EINVAL, "snapshot: line %d, column %d: %s", je.line, je.column,
                       je.text);
    if (json_unpack_ex(e.doc, &je, JSON_STRICT,
                       "{s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                       "format", &format, "controller", &controller, "version", &version,
                       "issued_us", &issued, "card_key", &card_key, "pin_key", &pin_val, "sites",
                       &sites, "areas", &areas, "schedules", &scheds, "calendars", &cals, "doors",
                       &doors, "levels", &levels, "people", &people, "credentials", &creds) != 0) {
        r = gh_fail(err, -EINVAL, "snapshot: %s", je.text);
        goto out;
    }
    if (json_is_string(pin_val)) {
        pin_key = json_string_value(pin_val);
    } else if (!json_is_null(pin_val)) {
        r = gh_fail(err, -EINVAL, "snapshot: pin_key must be a string or null");
        goto out;
    }
    if (format != EDGE_FORMAT) {
        r = gh_fail(err, -EPROTO, "snapshot: format %lld, this controller reads format %d",
                    (long long)format, EDGE_FORMAT);
        goto out;
    }
    if (want != NULL && want->controller_id != 0 && controller != want->controller_id) {
        r = gh_fail(err, -EPERM, "snapshot: made for controller %lld, this is controller %lld",
                    (long long)controller, (long long)want->controller_id);
        goto out;
    }
    if ((r = check_sections(e.doc, err)) != 0)
        goto out;
    s = xcalloc(1, sizeof(*s));
    s->version = version;
    s->hashed_cards = true;
    if (decode_b64_32(card_key, s->card_key) != 0 ||
        (pin_key != NULL && decode_b64_32(pin_key, s->pin_key) != 0)) {
        r = gh_fail(err, -EINVAL, "snapshot: card_key and pin_key must be 32 bytes in base64");
        goto out;
    }
    s->have_key = pin_key != NULL;
    if ((r = access_compile_rows(&rows, s, err)) != 0) {
        if (strncmp(err->msg, "snapshot:", 9) != 0)
            gh_err_prefix(err, "snapshot");
        goto out;
    }
    if ((r = check_unique_cards(s, err)) != 0)
        goto out;
    /* the offline policy is not a store column: set it on the compiled doors */
    for (size_t i = 0; i < json_array_size(doors); i++) {
        json_t *d = json_array_get(doors, i);
        s->doors[i].offline_pin_after_s =
            (int32_t)json_integer_value(json_object_get(d, "offline_pin_after_s"));
        s->doors[i].offline_deny_after_s =
            (int32_t)json_integer_value(json_object_get(d, "offline_deny_after_s"));
    }
    if (info != NULL) {
        info->controller_id = controller;
        info->version = version;
        info->issued_us = issued;
    }
    *out = s;
    s = NULL;
out:
    access_snapshot_free(s);
    json_decref(e.doc);
    return r;
}

int access_snapshot_door_count(const struct access_snapshot *s)
{
    return (int)s->n_doors;
}

int access_snapshot_door_at(const struct access_snapshot *s, int i, struct access_door_info *out)
{
    const struct snap_door *d;
    if (i < 0 || (uint32_t)i >= s->n_doors)
        return -ENOENT;
    d = &s->doors[i];
    memset(out, 0, sizeof(*out));
    out->id = d->id;
    gh_strlcpy(out->name, d->name, sizeof(out->name));
    out->unlock_ms = d->unlock_ms;
    out->held_open_s = d->held_open_s;
    out->fail_safe = d->fail_safe;
    out->offline_pin_after_s = d->offline_pin_after_s;
    out->offline_deny_after_s = d->offline_deny_after_s;
    out->locked_down =
        d->mode == DOOR_LOCKED_DOWN || s->areas[d->to_area].locked || s->areas[d->from_area].locked;
    return 0;
}
