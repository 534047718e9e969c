/*
 * person.c: people, their credentials (cards, with an optional PIN that is only ever
 * written) and their access level assignments. The rules of the CLI hold: a person
 * terminated by an operator loses every active or suspended credential in the same
 * transaction; every status change of a person or a credential is an event.
 */
#include "http/handlers/shared.h"

#include <sodium.h>
#include <string.h>

/* ---- people ------------------------------------------------------------------------------ */

static json_t *person_json(const struct person *p)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:o, s:o}", "id",
                     (json_int_t)p->id, "employee_id", p->employee_id, "first_name", p->first_name,
                     "last_name", p->last_name, "email", p->email, "department_id",
                     json_ref(p->department_id), "title", p->title, "manager_id",
                     json_ref(p->manager_id), "kind", person_kind_name(p->kind), "status",
                     person_status_name(p->status), "valid_from", http_json_time(p->valid_from),
                     "valid_until", http_json_time(p->valid_until));
}

#define PERSON_QUERY_MAX 100

struct person_list {
    struct page p;
    int status, kind;
    int64_t department_id;
    const char *q; /* NULL: no text search */
};

/* The text search: q in the employee id, the e-mail, or "first last" (ASCII case ignored). */
static bool person_matches(const struct person *p, const char *q)
{
    char full[2 * MODEL_NAME_MAX + 1];
    if (gh_contains_nocase(p->employee_id, q) || gh_contains_nocase(p->email, q))
        return true;
    snprintf(full, sizeof(full), "%s %s", p->first_name, p->last_name);
    return gh_contains_nocase(full, q);
}

static int list_person(void *ctx, const struct person *p)
{
    struct person_list *l = ctx;
    if (p->id <= l->p.after || (l->status >= 0 && (int)p->status != l->status) ||
        (l->kind >= 0 && (int)p->kind != l->kind) ||
        (l->department_id && p->department_id != l->department_id) ||
        (l->q && !person_matches(p, l->q)))
        return 0;
    return page_add(&l->p, p->id, person_json(p));
}

HTTP_HANDLER(h_person_list)
{
    struct person_list l;
    int64_t id = 0;
    memset(&l, 0, sizeof(l));
    l.status = l.kind = -1;
    if (page_begin(&l.p, r) < 0 ||
        http_query_enum(r, "status", &model_enum_person_status, &l.status) < 0 ||
        http_query_enum(r, "kind", &model_enum_person_kind, &l.kind) < 0 ||
        http_query_int(r, "department_id", 1, INT64_MAX, &l.department_id) < 0 ||
        http_query_int(r, "id", 1, INT64_MAX, &id) < 0)
        return 0;
    if (id > 0) { /* one person by id, as a list: how the console names people it shows */
        struct person p;
        int rc = store_person_get(http_store(r), id, &p);
        if (rc == 0)
            list_person(&l, &p);
        return page_reply(&l.p, rc == -ENOENT ? 0 : rc);
    }
    l.q = http_query(r, "q");
    if (l.q != NULL && (strlen(l.q) > PERSON_QUERY_MAX || !gh_utf8_valid_text(l.q, strlen(l.q)))) {
        return http_problem(r, 400, "bad-request",
                            json_pack("[{s:s, s:s}]", "field", "q", "detail",
                                      "must be printable text of at most 100 bytes"),
                            "query parameter 'q' must be printable text of at most %d bytes",
                            PERSON_QUERY_MAX);
    }
    if (l.q != NULL && l.q[0] == '\0')
        l.q = NULL;
    return page_reply(&l.p, store_person_list(http_store(r), list_person, &l));
}

static int person_form(struct http_req *r, struct person *p, bool create)
{
    struct http_form f;
    struct gh_err err = {{0}};
    char eid[MODEL_ID_MAX];
    int e;
    http_form_init(&f, r);
    if (create && http_form_string(&f, "employee_id", true, eid, sizeof(eid))) {
        if (model_check_ext_id("employee_id", eid, &err) < 0)
            http_form_error(&f, "employee_id", "%s", err.msg);
        else
            gh_strlcpy(p->employee_id, eid, sizeof(p->employee_id));
    }
    http_form_name(&f, "first_name", create, p->first_name, sizeof(p->first_name));
    http_form_name(&f, "last_name", create, p->last_name, sizeof(p->last_name));
    if (http_form_string(&f, "email", false, p->email, sizeof(p->email)) &&
        model_check_email("email", p->email, &err) < 0)
        http_form_error(&f, "email", "%s", err.msg);
    if (http_form_string(&f, "title", false, p->title, sizeof(p->title)) && p->title[0] &&
        model_check_name("title", p->title, &err) < 0)
        http_form_error(&f, "title", "%s", err.msg);
    http_form_ref(&f, "department_id", false, true, ref_find_department, ref_department_exists,
                  &p->department_id);
    if (http_form_ref(&f, "manager_id", false, true, ref_find_person, ref_person_exists,
                      &p->manager_id) &&
        p->manager_id != 0 && p->manager_id == p->id)
        http_form_error(&f, "manager_id", "a person cannot manage themself");
    if (http_form_enum(&f, "kind", false, &model_enum_person_kind, &e))
        p->kind = (enum person_kind)e;
    if (http_form_enum(&f, "status", false, &model_enum_person_status, &e))
        p->status = (enum person_status)e;
    http_form_time(&f, "valid_from", false, GH_TIME_MIN, &p->valid_from);
    http_form_time(&f, "valid_until", false, GH_TIME_MAX, &p->valid_until);
    if (p->valid_from != GH_TIME_MIN && p->valid_until != GH_TIME_MAX &&
        p->valid_until <= p->valid_from)
        http_form_error(&f, "valid_until", "must be after valid_from");
    return http_form_finish(&f);
}

HTTP_HANDLER(h_person_create)
{
    struct person p;
    struct gh_err err = {{0}};
    int rc;
    memset(&p, 0, sizeof(p));
    p.kind = PERSON_EMPLOYEE;
    p.status = PERSON_ACTIVE;
    p.valid_from = GH_TIME_MIN;
    p.valid_until = GH_TIME_MAX;
    if (http_write_begin(r) < 0)
        return 0;
    if (person_form(r, &p, true) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_person_insert(http_store(r), &p, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "people", p.id, person_json(&p));
}

HTTP_HANDLER(h_person_get)
{
    struct person p;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_person_get(http_store(r), id, &p)) < 0)
        return http_problem_from(r, rc, NULL);
    if ((rc = http_audit_read(r)) < 0) /* viewing a person's record is audited */
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, person_json(&p));
}

/* A status change is an event; a termination revokes the person's credentials. */
static int person_status_changed(struct http_req *r, const struct person *p,
                                 enum person_status before)
{
    int changed = 0, rc;
    rc = http_log_event(r, EV_OPERATOR_ACTION, 0, p->id, 0,
                        json_pack("{s:s, s:s, s:s, s:s}", "action", "person.status", "employee_id",
                                  p->employee_id, "from", person_status_name(before), "to",
                                  person_status_name(p->status)));
    if (rc < 0 || p->status != PERSON_TERMINATED || before == PERSON_TERMINATED)
        return rc;
    if (store_credential_revoke_person(http_store(r), p->id, CRED_REVOKED, &changed) < 0)
        return -EIO;
    if (changed == 0)
        return 0;
    return http_log_event(r, EV_CREDENTIAL_REVOKED, 0, p->id, 0,
                          json_pack("{s:s, s:s, s:i}", "employee_id", p->employee_id, "why",
                                    "terminated by an operator", "credentials", changed));
}

HTTP_HANDLER(h_person_update)
{
    struct person p;
    struct gh_err err = {{0}};
    enum person_status before;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_person_get(http_store(r), id, &p)) < 0)
        return fail_rollback(r, rc, NULL);
    before = p.status;
    if (person_form(r, &p, false) < 0) {
        http_write_rollback(r);
        return 0;
    }
    if ((rc = store_person_update(http_store(r), &p, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (p.status != before && (rc = person_status_changed(r, &p, before)) < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, person_json(&p));
}

HTTP_HANDLER(h_person_delete)
{
    return delete_row(r, ST_PERSON);
}

/* ---- credentials ------------------------------------------------------------------------- */

static json_t *credential_json(const struct credential *c)
{
    return json_pack("{s:I, s:I, s:s, s:I, s:I, s:s, s:o, s:o, s:b}", "id", (json_int_t)c->id,
                     "person_id", (json_int_t)c->person_id, "format", cred_format_name(c->format),
                     "facility", (json_int_t)c->facility, "number", (json_int_t)c->number, "status",
                     cred_status_name(c->status), "valid_from", http_json_time(c->valid_from),
                     "valid_until", http_json_time(c->valid_until), "has_pin", c->has_pin);
}

struct credential_list {
    struct page p;
    int64_t person_id;
    int status;
    int64_t number; /* -1: any */
    bool has_card;  /* card: exactly this format, facility and number */
    struct wiegand_card card;
};

static int list_credential(void *ctx, const struct credential *c)
{
    struct credential_list *l = ctx;
    if (c->id <= l->p.after || (l->person_id && c->person_id != l->person_id) ||
        (l->status >= 0 && (int)c->status != l->status) ||
        (l->number >= 0 && c->number != (uint64_t)l->number) ||
        (l->has_card && (c->format != l->card.format || c->facility != l->card.facility ||
                         c->number != l->card.number)))
        return 0;
    return page_add(&l->p, c->id, credential_json(c));
}

HTTP_HANDLER(h_credential_list)
{
    struct credential_list l;
    struct gh_err err = {{0}};
    const char *card;
    memset(&l, 0, sizeof(l));
    l.status = -1;
    l.number = -1;
    if (page_begin(&l.p, r) < 0 || http_query_int(r, "person_id", 1, INT64_MAX, &l.person_id) < 0 ||
        http_query_enum(r, "status", &model_enum_cred_status, &l.status) < 0 ||
        http_query_int(r, "number", 0, INT64_MAX, &l.number) < 0)
        return 0;
    card = http_query(r, "card");
    if (card != NULL) {
        if (wiegand_card_parse(card, &l.card, &err) < 0)
            return http_problem(r, 400, "bad-request",
                                json_pack("[{s:s, s:s}]", "field", "card", "detail", err.msg),
                                "query parameter 'card': %s", err.msg);
        l.has_card = true;
    }
    return page_reply(&l.p, store_credential_list(http_store(r), list_credential, &l));
}

HTTP_HANDLER(h_person_credentials)
{
    struct credential_list l;
    int64_t id;
    int rc;
    memset(&l, 0, sizeof(l));
    l.status = -1;
    l.number = -1;
    if (http_param_id(r, "id", &id) < 0 || page_begin(&l.p, r) < 0)
        return 0;
    if ((rc = ref_person_exists(http_store(r), id)) < 0 || (rc = http_audit_read(r)) < 0)
        return http_problem_from(r, rc, NULL);
    l.person_id = id;
    return page_reply(&l.p, store_credential_list_person(http_store(r), id, list_credential, &l));
}

/* Reads the credential fields; a PIN is checked here and hashed once the id is known. */
static int credential_form(struct http_req *r, struct credential *c, bool create, char *pin,
                           size_t pin_len)
{
    struct http_form f;
    struct gh_err err = {{0}};
    int64_t v;
    int e;
    http_form_init(&f, r);
    http_form_ref(&f, "person_id", create, false, ref_find_person, ref_person_exists,
                  &c->person_id);
    if (create) {
        if (http_form_enum(&f, "format", true, &model_enum_cred_format, &e))
            c->format = (enum cred_format)e;
        if (http_form_int(&f, "facility", true, 0, UINT32_MAX, &v))
            c->facility = (uint32_t)v;
        if (http_form_int(&f, "number", true, 0, INT64_MAX, &v))
            c->number = (uint64_t)v;
        if (json_array_size(f.errors) == 0 &&
            model_check_card(c->format, c->facility, c->number, &err) < 0)
            http_form_error(&f, "number", "%s", err.msg);
    }
    if (http_form_enum(&f, "status", false, &model_enum_cred_status, &e))
        c->status = (enum cred_status)e;
    http_form_time(&f, "valid_from", false, GH_TIME_MIN, &c->valid_from);
    http_form_time(&f, "valid_until", false, GH_TIME_MAX, &c->valid_until);
    if (c->valid_from != GH_TIME_MIN && c->valid_until != GH_TIME_MAX &&
        c->valid_until <= c->valid_from)
        http_form_error(&f, "valid_until", "must be after valid_from");
    if (http_form_string(&f, "pin", false, pin, pin_len) && access_pin_check_format(pin, &err) < 0)
        http_form_error(&f, "pin", "%s", err.msg);
    return http_form_finish(&f);
}

static int credential_status_event(struct http_req *r, const struct credential *c,
                                   enum cred_status before, const char *reason)
{
    json_t *payload = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "action", "credential.status",
                                "format", cred_format_name(c->format), "facility",
                                (json_int_t)c->facility, "number", (json_int_t)c->number, "from",
                                cred_status_name(before), "to", cred_status_name(c->status));
    if (payload != NULL && reason != NULL && reason[0])
        json_object_set_new(payload, "reason", json_string(reason));
    return http_log_event(r, c->status == CRED_REVOKED ? EV_CREDENTIAL_REVOKED : EV_OPERATOR_ACTION,
                          0, c->person_id, c->id, payload);
}

/* Inserts or updates c, setting the PIN's hash when one was given (it binds the id). */
static int save_credential(struct http_req *r, struct credential *c, bool create, char *pin,
                           struct gh_err *err)
{
    struct store *st = http_store(r);
    int rc = create ? store_credential_insert(st, c, err) : 0;
    if (rc == 0 && pin[0] != '\0') {
        access_pin_hash(r->srv->site_key, c->id, pin, c->pin_hash);
        c->has_pin = true;
    }
    sodium_memzero(pin, 32);
    if (rc == 0)
        rc = store_credential_update(st, c, err);
    return rc;
}

HTTP_HANDLER(h_credential_create)
{
    struct credential c;
    struct gh_err err = {{0}};
    char pin[32] = "";
    int rc;
    memset(&c, 0, sizeof(c));
    c.status = CRED_ACTIVE;
    c.valid_from = GH_TIME_MIN;
    c.valid_until = GH_TIME_MAX;
    if (http_write_begin(r) < 0)
        return 0;
    if (credential_form(r, &c, true, pin, sizeof(pin)) < 0) {
        sodium_memzero(pin, sizeof(pin));
        http_write_rollback(r);
        return 0;
    }
    if ((rc = save_credential(r, &c, true, pin, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return reply_created(r, "credentials", c.id, credential_json(&c));
}

HTTP_HANDLER(h_credential_get)
{
    struct credential c;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    if ((rc = store_credential_get(http_store(r), id, &c)) < 0)
        return http_problem_from(r, rc, NULL);
    return http_reply_json(r, 200, credential_json(&c));
}

HTTP_HANDLER(h_credential_update)
{
    struct credential c;
    struct gh_err err = {{0}};
    enum cred_status before;
    char pin[32] = "";
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_credential_get(http_store(r), id, &c)) < 0)
        return fail_rollback(r, rc, NULL);
    before = c.status;
    if (credential_form(r, &c, false, pin, sizeof(pin)) < 0) {
        sodium_memzero(pin, sizeof(pin));
        http_write_rollback(r);
        return 0;
    }
    if ((rc = save_credential(r, &c, false, pin, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (c.status != before && (rc = credential_status_event(r, &c, before, NULL)) < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, credential_json(&c));
}

HTTP_HANDLER(h_credential_delete)
{
    return delete_row(r, ST_CREDENTIAL);
}

/* Revocation for those who may not issue cards (HR, a security operator): the status
 * can only go to suspended, lost, stolen or revoked. */
HTTP_HANDLER(h_credential_revoke)
{
    struct http_form f;
    struct credential c;
    struct gh_err err = {{0}};
    enum cred_status before;
    char reason[256] = "";
    int status = CRED_REVOKED;
    int64_t id;
    int rc;
    if (http_param_id(r, "id", &id) < 0)
        return 0;
    http_form_init(&f, r);
    if (http_form_enum(&f, "status", false, &model_enum_cred_status, &status) &&
        (status == CRED_ACTIVE || status == CRED_EXPIRED))
        http_form_error(&f, "status", "must be one of: suspended, lost, stolen, revoked");
    http_form_string(&f, "reason", false, reason, sizeof(reason));
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_credential_get(http_store(r), id, &c)) < 0)
        return fail_rollback(r, rc, NULL);
    before = c.status;
    c.status = (enum cred_status)status;
    if ((rc = store_credential_update(http_store(r), &c, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (c.status != before && (rc = credential_status_event(r, &c, before, reason)) < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, credential_json(&c));
}

/* ---- assignments --------------------------------------------------------------------------- */

static json_t *assignment_json(const struct assignment *a)
{
    return json_pack("{s:I, s:I, s:I, s:o}", "id", (json_int_t)a->id, "person_id",
                     (json_int_t)a->person_id, "level_id", (json_int_t)a->level_id, "expires",
                     http_json_time(a->expires));
}

struct assignment_list {
    struct page p;
    int64_t person_id, level_id;
};

static int list_assignment(void *ctx, const struct assignment *a)
{
    struct assignment_list *l = ctx;
    if (a->id <= l->p.after || (l->person_id && a->person_id != l->person_id) ||
        (l->level_id && a->level_id != l->level_id))
        return 0;
    return page_add(&l->p, a->id, assignment_json(a));
}

HTTP_HANDLER(h_assignment_list)
{
    struct assignment_list l;
    memset(&l, 0, sizeof(l));
    if (page_begin(&l.p, r) < 0 || http_query_int(r, "person_id", 1, INT64_MAX, &l.person_id) < 0 ||
        http_query_int(r, "level_id", 1, INT64_MAX, &l.level_id) < 0)
        return 0;
    return page_reply(&l.p, store_assignment_list(http_store(r), list_assignment, &l));
}

/* The person and level of the path; replies 404 when either is missing. */
static int path_person_level(struct http_req *r, int64_t *person, int64_t *level)
{
    struct store *st = http_store(r);
    int rc;
    if (http_param_id(r, "id", person) < 0 || http_param_id(r, "level_id", level) < 0)
        return -ENOENT;
    if ((rc = ref_person_exists(st, *person)) < 0 || (rc = ref_level_exists(st, *level)) < 0) {
        http_problem(r, 404, "not-found", NULL, "no such person or access level");
        return rc;
    }
    return 0;
}

HTTP_HANDLER(h_assignment_put)
{
    struct http_form f;
    struct assignment a;
    struct gh_err err = {{0}};
    int rc;
    memset(&a, 0, sizeof(a));
    a.expires = GH_TIME_MAX;
    if (path_person_level(r, &a.person_id, &a.level_id) < 0)
        return 0;
    http_form_init(&f, r);
    http_form_time(&f, "expires", false, GH_TIME_MAX, &a.expires);
    if (http_form_finish(&f) < 0 || http_write_begin(r) < 0)
        return 0;
    if ((rc = store_assignment_set(http_store(r), &a, &err)) < 0)
        return fail_rollback(r, rc, &err);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_json(r, 200, assignment_json(&a));
}

HTTP_HANDLER(h_assignment_delete)
{
    int64_t person, level;
    int rc;
    if (path_person_level(r, &person, &level) < 0 || http_write_begin(r) < 0)
        return 0;
    rc = store_assignment_remove(http_store(r), person, level);
    if (rc < 0)
        return fail_rollback(r, rc, NULL);
    if (policy_commit(r) < 0)
        return 0;
    return http_reply_empty(r, 204);
}
