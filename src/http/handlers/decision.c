/*
 * decision.c: what-if decisions, as `gatehouse decide` makes them: a card (or raw Wiegand
 * bits) at a door, at a time (now by default; a time without an offset is local time at the
 * door's site), with the reason and the explanation of every check. It decides on the
 * server's published snapshot, after waiting for one that includes every policy change
 * committed so far. Nothing is recorded and no anti-passback state is touched.
 *
 * The explanation of a recorded decision is the same question asked again: the event's
 * credential (or what was read, for a card that matched none) at its door, in its
 * direction, at its time, decided with the policy in force now, beside what was recorded.
 */
#include "http/handlers/shared.h"

#include <sodium.h>
#include <string.h>

/* Raw Wiegand bits as text ("0101...", 1..WIEGAND_MAX_BITS) into p. 0, or the 1-based
 * position of the first character that is not 0 or 1, or -1 for a bad length. */
static long bits_from_text(const char *s, struct access_presented *p)
{
    size_t n = strlen(s);
    if (n == 0 || n > WIEGAND_MAX_BITS)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '0' && s[i] != '1')
            return (long)i + 1;
        p->bits[i] = (uint8_t)(s[i] - '0');
    }
    p->raw = true;
    p->nbits = n;
    return 0;
}

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
        long bad = bits_from_text(bits, p);
        if (bad < 0)
            http_form_error(f, bits_key, "must be 1 to %d characters of 0 and 1", WIEGAND_MAX_BITS);
        else if (bad > 0)
            http_form_error(f, bits_key, "character %ld is not 0 or 1", bad);
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

/* Decides req on the published snapshot, once it includes every policy change committed
 * so far. 0, or a negative code after replying with the problem. */
static int decide_now(struct http_req *r, const struct access_request *req,
                      struct access_result *res, struct access_explain *ex)
{
    struct gh_err err = {{0}};
    const struct access_snapshot *snap;
    int rc = http_policy_wait(r->srv, store_policy_version(http_store(r)), 5000, &err);
    if (rc == -ETIMEDOUT) {
        http_reply_header(r, "Retry-After", "1");
        http_problem(r, 503, "not-ready", NULL, "%s", err.msg);
        return rc;
    }
    if (rc < 0) {
        http_problem(r, 422, "policy", NULL, "%s", err.msg);
        return rc;
    }
    snap = access_engine_acquire(r->srv->engine);
    rc = snap ? access_decide(snap, NULL, req, res, ex) : -EAGAIN;
    access_engine_release(r->srv->engine, snap);
    if (rc < 0)
        http_problem(r, 422, "validation", NULL, "the request cannot be decided (%s)",
                     gh_strerror(rc));
    return rc;
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
    bool given;
    int dir = DIR_ENTRY;
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
    if (decide_now(r, &req, &res, &ex) < 0)
        goto out;
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

/* ---- the explanation of a recorded decision ------------------------------------------ */

static int grab_event(void *ctx, const struct event *ev)
{
    *(struct event *)ctx = *ev;
    return 1;
}

/* What was presented, from the event: its credential's card, else the card or bits its
 * payload kept. 0, -ENOENT when nothing can be replayed (note says why), or another
 * negative code when the store fails. */
static int replayed_read(struct store *st, const struct event *ev, json_t *payload,
                         struct access_presented *p, const char **note)
{
    struct credential c;
    struct gh_err err = {{0}};
    const char *card = json_string_value(json_object_get(payload, "card"));
    const char *bits = json_string_value(json_object_get(payload, "bits"));
    memset(p, 0, sizeof(*p));
    if (ev->credential_id != 0) {
        int rc = store_credential_get(st, ev->credential_id, &c);
        if (rc == -ENOENT)
            *note = "the credential has been deleted since: there is nothing to replay";
        if (rc < 0)
            return rc;
        p->card.format = c.format;
        p->card.facility = c.facility;
        p->card.number = c.number;
        return 0;
    }
    if (card != NULL && wiegand_card_parse(card, &p->card, &err) == 0)
        return 0;
    if (bits != NULL && bits_from_text(bits, p) == 0)
        return 0;
    memset(p, 0, sizeof(*p));
    *note = "the event does not say which card was read: there is nothing to replay";
    return -ENOENT;
}

HTTP_HANDLER(h_event_explain)
{
    struct store *st = http_store(r);
    struct store_event_filter f;
    struct access_request req;
    struct access_result res;
    struct access_explain ex;
    struct event ev;
    struct gh_err err = {{0}};
    const char *dir_text, *note = NULL;
    json_t *payload = NULL, *notes = NULL, *replay = json_null();
    int64_t offset;
    int rc;

    /* the route needs decisions.run (the explanation names people's and cards' states,
     * levels and schedules, as a what-if does); the event itself needs events.read */
    if (!perm_has(r->caller.perms, PERM_EVENTS_READ))
        return http_problem(r, 403, "forbidden", NULL, "%s lacks the permission events.read",
                            r->caller.name);
    if (http_param_id(r, "offset", &offset) < 0)
        return 0;
    memset(&ev, 0, sizeof(ev));
    store_event_filter_init(&f);
    f.after_offset = offset - 1;
    f.until_offset = offset;
    rc = store_event_query(st, &f, grab_event, &ev);
    if (rc < 0)
        return http_problem_from(r, rc, NULL);
    if (ev.offset != offset)
        return http_problem(r, 404, "not-found", NULL, "event %lld does not exist",
                            (long long)offset);
    if (ev.type != EV_ACCESS_DECISION)
        return http_problem(r, 422, "validation", NULL,
                            "event %lld is a %s event, not an access decision: there is no "
                            "decision to explain",
                            (long long)offset, event_type_name(ev.type));
    payload = ev.payload[0] ? json_loads(ev.payload, 0, NULL) : NULL;
    notes = json_array();
    memset(&req, 0, sizeof(req));
    req.door_id = ev.door_id;
    req.time_us = ev.time_us;
    req.direction = DIR_ENTRY;
    dir_text = json_string_value(json_object_get(payload, "direction"));
    if (dir_text != NULL && direction_parse(dir_text, &req.direction, &err) < 0)
        req.direction = DIR_ENTRY;
    rc = replayed_read(st, &ev, payload, &req.cred, &note);
    if (rc < 0 && rc != -ENOENT) {
        http_problem_from(r, rc, NULL);
        goto out;
    }
    if (rc < 0) {
        json_array_append_new(notes, json_string(note));
    } else if (ev.door_id == 0) {
        json_array_append_new(notes, json_string("the event names no door: there is nothing "
                                                 "to replay"));
    } else {
        if (decide_now(r, &req, &res, &ex) < 0)
            goto out;
        replay = json_pack("{s:s, s:s, s:o, s:o, s:I, s:o}", "decision",
                           res.granted ? "granted" : "denied", "reason",
                           access_reason_name(res.reason), "person_id", json_ref(res.person_id),
                           "credential_id", json_ref(res.credential_id), "policy_version",
                           (json_int_t)res.policy_version, "explanation", explain_json(&ex));
        if (res.reason == REASON_PIN_REQUIRED || ev.reason == REASON_PIN_INCORRECT)
            json_array_append_new(notes, json_string("PINs are never recorded: the replay "
                                                     "presents no PIN"));
        if (ev.reason == REASON_ANTIPASSBACK)
            json_array_append_new(notes, json_string("anti-passback depends on where the "
                                                     "person was then: the replay does not "
                                                     "check it"));
        if (ev.reason == REASON_ESCORT_REQUIRED || res.reason == REASON_ESCORT_REQUIRED)
            json_array_append_new(notes, json_string("an escort's card is not recorded: the "
                                                     "replay presents none"));
    }
    http_reply_json(r, 200,
                    json_pack("{s:o, s:o, s:o}", "event", http_json_event(&ev), "replay", replay,
                              "notes", notes));
    replay = notes = NULL; /* the reply took them */
out:
    json_decref(replay);
    json_decref(notes);
    json_decref(payload);
    return 0;
}
