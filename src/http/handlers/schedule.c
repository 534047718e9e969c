/*
 * schedule.c: schedules (weekly intervals in site-local time, written as the CLI writes
 * them: "mon-fri 08:00-18:00"), holiday calendars and their holidays.
 */
#include "http/handlers/shared.h"

#include <stdio.h>
#include <string.h>

/* ---- schedules ------------------------------------------------------------------------- */

static json_t *schedule_json(const struct schedule *s)
{
    json_t *iv = json_array();
    char buf[64];
    for (int i = 0; i < s->n_intervals; i++) {
        sched_interval_format(&s->intervals[i], buf, sizeof(buf));
        json_array_append_new(iv, json_string(buf));
    }
    return json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)s->id, "name", s->name,
                     "calendar_id", json_ref(s->calendar_id), "intervals", iv);
}

static int list_schedule(void *ctx, const struct schedule *s)
{
    struct page *p = ctx;
    return s->id > p->after ? page_add(p, s->id, schedule_json(s)) : 0;
}

HTTP_HANDLER(h_schedule_list)
{
    struct page p;
    if (page_begin(&p, r) < 0)
        return 0;
    return page_reply(&p, store_schedule_list(http_store(r), list_schedule, &p));
}

static int schedule_form(struct http_req *r, struct schedule *s, bool create)
{
    struct http_form f;
    json_t *iv;
    http_form_init(&f, r);
    http_form_name(&f, "name", create, s->name, sizeof(s->name));
    http_form_ref(&f, "calendar_id", false, true, ref_find_calendar, ref_calendar_exists,
                  &s->calendar_id);
    /* intervals: read by hand (an array of strings); the form still knows the key */
    iv = json_object_get(r->json, "intervals");
    if (f.n_seen < GH_ARRAY_LEN(f.seen))
        f.seen[f.n_seen++] = "intervals";
    if (iv == NULL && create) {
        http_form_error(&f, "intervals", "is required (e.g. [\"mon-fri 08:00-18:00\"])");
    } else if (iv != NULL && !json_is_array(iv)) {
        http_form_error(&f, "intervals", "must be an array of strings");
    } else if (iv != NULL) {
        size_t i;
        json_t *v;
        if (json_array_size(iv) == 0 || json_array_size(iv) > SCHEDULE_MAX_INTERVALS)
            http_form_error(&f, "intervals", "must hold 1 to %d intervals", SCHEDULE_MAX_INTERVALS);
        s->n_intervals = 0;
        json_array_foreach(iv, i, v)
        {
            struct gh_err err = {{0}};
            char field[32];
            snprintf(field, sizeof(field), "intervals[%zu]", i);
            if (i >= SCHEDULE_MAX_INTERVALS)
                break;
            if (!json_is_string(v))
                http_form_error(&f, field, "must be a string such as \"mon-fri 08:00-18:00\"");
            else if (sched_interval_parse(json_string_value(v), &s->intervals[s->n_intervals],
                                          &err) < 0)
                http_form_error(&f, field, "%s", err.msg);
            else
                s->n_intervals++;
        }
    }
    if (json_array_size(f.errors) == 0) {
        struct gh_err err = {{0}};
        if (model_check_schedule(s, &err) < 0)
            http_form_error(&f, "intervals", "%s", err.msg);
    }
    return http_form_finish(&f);
}

HTTP_HANDLER(h_schedule_create)
{
    struct schedule s;
    struct gh_err err = {{0}};
    int rc;
    memset(&s, 0, sizeof(s));
    if (http_write_begin(r) < 0)
        return 0;
    if (schedule_form(r, &s, true) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_schedule_insert(http_store(r), &s, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "schedules", s.id, schedule_json(&s));
}

HTTP_HANDLER(h_schedule_get)
{
    struct schedule s;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_schedule_get(http_store(r), id, &s)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, schedule_json(&s));
}

HTTP_HANDLER(h_schedule_update)
{
    struct schedule s;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_schedule_get(http_store(r), id, &s)) < 0)
        return fail_rollback(r, rc, NULL);
    if (schedule_form(r, &s, false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_schedule_update(http_store(r), &s, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, schedule_json(&s));
}

HTTP_HANDLER(h_schedule_delete)
{
    return delete_row(r, ST_SCHEDULE);
}

/* ---- holiday calendars ----------------------------------------------------------------- */

static json_t *calendar_json(const struct holiday_calendar *c)
{
    return json_pack("{s:I, s:s}", "id", (json_int_t)c->id, "name", c->name);
}

static int list_calendar(void *ctx, const struct holiday_calendar *c)
{
    struct page *p = ctx;
    return c->id > p->after ? page_add(p, c->id, calendar_json(c)) : 0;
}

HTTP_HANDLER(h_calendar_list)
{
    struct page p;
    if (page_begin(&p, r) < 0)
        return 0;
    return page_reply(&p, store_calendar_list(http_store(r), list_calendar, &p));
}

static int name_only_form(struct http_req *r, char *name, size_t len, bool create)
{
    struct http_form f;
    http_form_init(&f, r);
    http_form_name(&f, "name", create, name, len);
    return http_form_finish(&f);
}

HTTP_HANDLER(h_calendar_create)
{
    struct holiday_calendar c;
    struct gh_err err = {{0}};
    int rc;
    memset(&c, 0, sizeof(c));
    if (name_only_form(r, c.name, sizeof(c.name), true) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_calendar_insert(http_store(r), &c, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "calendars", c.id, calendar_json(&c));
}

HTTP_HANDLER(h_calendar_get)
{
    struct holiday_calendar c;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_calendar_get(http_store(r), id, &c)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, calendar_json(&c));
}

HTTP_HANDLER(h_calendar_update)
{
    struct holiday_calendar c;
    struct gh_err err = {{0}};
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_calendar_get(http_store(r), id, &c)) < 0)
        return fail_rollback(r, rc, NULL);
    if (name_only_form(r, c.name, sizeof(c.name), false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_calendar_update(http_store(r), &c, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, calendar_json(&c));
}

HTTP_HANDLER(h_calendar_delete)
{
    return delete_row(r, ST_CALENDAR);
}

/* ---- holidays --------------------------------------------------------------------------- */

static json_t *holiday_json(const struct holiday *h)
{
    int64_t y;
    unsigned m, d;
    char date[16];
    gh_civil_from_days(h->day, &y, &m, &d);
    snprintf(date, sizeof(date), "%04lld-%02u-%02u", (long long)y, m, d);
    return json_pack("{s:I, s:s, s:s}", "calendar_id", (json_int_t)h->calendar_id, "date", date,
                     "name", h->name);
}

struct holiday_list {
    int64_t calendar_id;
    json_t *items;
};

static int list_holiday(void *ctx, const struct holiday *h)
{
    struct holiday_list *l = ctx;
    if (h->calendar_id == l->calendar_id)
        json_array_append_new(l->items, holiday_json(h));
    return 0;
}

/* The calendar of the path; replies 404 when there is none. */
static int path_calendar(struct http_req *r, int64_t *id)
{
    int rc;
    if (http_param_id(r, "id", id) < 0)
        return -ENOENT;
    rc = ref_calendar_exists(http_store(r), *id);
    if (rc < 0) {
        http_problem_from(r, rc, NULL);
        return rc;
    }
    return 0;
}

HTTP_HANDLER(h_holiday_list)
{
    struct holiday_list l;
    int rc;
    if (path_calendar(r, &l.calendar_id) < 0)
        return 0;
    l.items = json_array();
    /* a calendar holds tens of days: one page */
    rc = store_holiday_list(http_store(r), list_holiday, &l);
    if (rc < 0) {
        json_decref(l.items);
        return http_problem_from(r, rc, NULL);
    }
    return http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", l.items, "next_cursor"));
}

HTTP_HANDLER(h_holiday_create)
{
    struct http_form f;
    struct holiday h;
    struct gh_err err = {{0}};
    char date[16];
    int rc;
    memset(&h, 0, sizeof(h));
    if (path_calendar(r, &h.calendar_id) < 0)
        return 0;
    http_form_init(&f, r);
    if (http_form_string(&f, "date", true, date, sizeof(date)) &&
        gh_parse_date(date, &h.day, &err) < 0)
        http_form_error(&f, "date", "%s", err.msg);
    http_form_name(&f, "name", true, h.name, sizeof(h.name));
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_holiday_insert(http_store(r), &h, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    {
        char loc[128];
        snprintf(loc, sizeof(loc), "/api/v1/calendars/%lld/holidays/%s", (long long)h.calendar_id,
                 date);
        http_reply_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    }
    return http_reply_json(r, 201, holiday_json(&h));
}

HTTP_HANDLER(h_holiday_delete)
{
    struct gh_err err = {{0}};
    int64_t cal, day;
    const char *date = http_param(r, "date");
    int rc;
    if (path_calendar(r, &cal) < 0)
        return 0;
    if (date == NULL || gh_parse_date(date, &day, &err) < 0)
        return http_problem(r, 404, "not-found", NULL, "'%s' is not a date (YYYY-MM-DD)",
                            date ? date : "");
    if (http_write_begin(r) < 0)
        return 0;
    rc = store_holiday_remove(http_store(r), cal, day);
    if (rc == -ENOENT) {
        http_write_rollback(r);
        return http_problem(r, 404, "not-found", NULL, "no holiday on %s in calendar %lld", date,
                            (long long)cal);
    }
    if (rc < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_empty(r, 204);
}
