/*
 * decision.c: what-if decisions, as `gatehouse decide` makes them: a card (or raw Wiegand
 * bits) at a door, at a time (now by default; a time without an offset is local time at the
 * door's site), with the reason and the explanation of every check. It decides on the
 * server's published snapshot, after waiting for one that includes every policy change
 * committed so far. Nothing is recorded and no anti-passback state is touched.
 */
#include "http/handlers/shared.h"

#include <sodium.h>
#include <string.h>

/* A card "FORMAT:FACILITY:NUMBER" or bits "0101..." into p. */
static void presented(struct http_form *f, const char *card_key, const char *bits_key,
                      bool required, struct access_presented *p, bool *given)
{
    char card[96], bits[WIEGAND_MAX_BITS + 1];
    struct gh_err err = {{0}};
    bool has_card = http_form_string(f, card_key, false, card, sizeof(card));
    bool has_bits = bits_key && http_form_string(f, bits_key, false, bits, sizeof(bits));
    memset(p, 0, sizeof(*p));
    *given = has_card || has_bits;
    if (has_card && has_bits) {
        http_form_error(f, bits_key, "give %s or %s, not both", card_key, bits_key);
    } else if (has_card) {
        if (wiegand_card_parse(card, &p->card, &err) < 0)
            http_form_error(f, card_key, "%s", err.msg);
    } else if (has_bits) {
        size_t n = strlen(bits);
        if (n == 0)
            http_form_error(f, bits_key, "must be 1 to %d characters of 0 and 1", WIEGAND_MAX_BITS);
        for (size_t i = 0; i < n; i++) {
            if (bits[i] != '0' && bits[i] != '1') {
                http_form_error(f, bits_key, "character %zu is not 0 or 1", i + 1);
                break;
            }
            p->bits[i] = (uint8_t)(bits[i] - '0');
        }
        p->raw = true;
        p->nbits = n;
    } else if (required && !http_form_has(f, card_key)) {
        http_form_error(f, card_key, "is required (or give %s)", bits_key);
    }
}

static json_t *explain_json(const struct access_explain *ex)
{
    json_t *steps = json_array();
    for (int i = 0; i < ex->n; i++)
        json_array_append_new(steps, json_pack("{s:s, s:b, s:s}", "check", ex->steps[i].check, "ok",
                                               ex->steps[i].ok, "detail", ex->steps[i].detail));
    return steps;
}

HTTP_HANDLER(h_decision_create)
{
    struct http_form f;
    struct access_request req;
    struct access_result res;
    struct access_explain ex;
    struct store *st = http_store(r);
    struct gh_err err = {{0}};
    char at[64] = "", pin[32] = "";
    const struct access_snapshot *snap;
    bool given;
    int dir = DIR_ENTRY, rc;
    json_t *body;

    memset(&req, 0, sizeof(req));
    http_form_init(&f, r);
    http_form_ref(&f, "door_id", true, false, ref_find_door, ref_door_exists, &req.door_id);
    presented(&f, "card", "bits", true, &req.cred, &given);
    presented(&f, "escort_card", NULL, false, &req.escort, &req.has_escort);
    if (http_form_enum(&f, "direction", false, &model_enum_direction, &dir))
        req.direction = (enum direction)dir;
    if (http_form_string(&f, "pin", false, pin, sizeof(pin)))
        req.pin = pin;
    req.time_us = gh_now_us();
    if (http_form_string(&f, "at", false, at, sizeof(at)) && strcmp(at, "now") != 0 &&
        req.door_id != 0) {
        struct door d;
        struct site s;
        struct gh_tz *tz = NULL;
        if (store_door_get(st, req.door_id, &d) == 0 && store_site_get(st, d.site_id, &s) == 0 &&
            tz_load(s.timezone, &tz, &err) == 0 && gh_parse_time(at, tz, &req.time_us, &err) < 0)
            http_form_error(&f, "at", "%s", err.msg);
        else if (err.msg[0] && tz == NULL)
            http_form_error(&f, "at", "the door's site time zone: %s", err.msg);
        tz_free(tz);
    }
    if (http_form_finish(&f) < 0)
        goto out;

    /* the snapshot must include every policy change committed before this request */
    rc = http_policy_wait(r->srv, store_policy_version(st), 5000, &err);
    if (rc == -ETIMEDOUT) {
        http_reply_header(r, "Retry-After", "1");
        http_problem(r, 503, "not-ready", NULL, "%s", err.msg);
        goto out;
    }
    if (rc < 0) {
        http_problem(r, 422, "policy", NULL, "%s", err.msg);
        goto out;
    }
    snap = access_engine_acquire(r->srv->engine);
    rc = snap ? access_decide(snap, NULL, &req, &res, &ex) : -EAGAIN;
    access_engine_release(r->srv->engine, snap);
    if (rc < 0) {
        http_problem(r, 422, "validation", NULL, "the request cannot be decided (%s)",
                     gh_strerror(rc));
        goto out;
    }
    body = json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:I, s:o}", "decision",
                     res.granted ? "granted" : "denied", "reason", access_reason_name(res.reason),
                     "door_id", (json_int_t)req.door_id, "direction", direction_name(req.direction),
                     "time", http_json_time(req.time_us), "person_id", json_ref(res.person_id),
                     "credential_id", json_ref(res.credential_id), "policy_version",
                     (json_int_t)res.policy_version, "explanation", explain_json(&ex));
    http_reply_json(r, 200, body);
out:
    sodium_memzero(pin, sizeof(pin));
    return 0;
}
