/*
 * siem.c: the messages gatehouse sends to a SIEM. Each is a syslog message (RFC 5424)
 * framed by octet counting (RFC 5425 section 4.3, RFC 6587 3.4.1: "LEN SP MSG") whose body
 * is JSON or CEF. Events go as facility authpriv (10), audit entries as log audit (13);
 * MSGID says which ("event", "audit") and the body carries the event's offset or the
 * entry's index, so a receiver can drop the duplicates that at-least-once delivery brings.
 * Pure functions over a buffer: the forwarder (forward.c) and the tests call them.
 */
#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FACILITY_AUTHPRIV 10
#define FACILITY_AUDIT    13
enum { SEV_WARNING = 4, SEV_NOTICE = 5, SEV_INFO = 6 };

int audit_siem_format_parse(const char *s, enum audit_siem_format *out)
{
    if (strcmp(s, "json") == 0)
        *out = AUDIT_SIEM_JSON;
    else if (strcmp(s, "cef") == 0)
        *out = AUDIT_SIEM_CEF;
    else
        return -EINVAL;
    return 0;
}

/* How urgent an event is, for syslog (0..7, lower is worse) and CEF (0..10, higher is). */
static int event_severity(const struct event *ev)
{
    switch (ev->type) {
    case EV_ACCESS_DECISION:
        return ev->decision == 1 ? SEV_INFO : SEV_NOTICE;
    case EV_DOOR_FORCED:
    case EV_DOOR_HELD:
    case EV_DOOR_TAMPER:
    case EV_ALARM:
    case EV_EDGE_REFUSED:
    case EV_EDGE_OVERFLOW:
    case EV_RULE_SCRIPT:
        return SEV_WARNING;
    case EV_SIGN_IN_FAILED:
    case EV_CREDENTIAL_REVOKED:
        return SEV_NOTICE;
    default:
        return SEV_INFO;
    }
}

static int cef_severity(int syslog_sev)
{
    return syslog_sev <= SEV_WARNING ? 7 : syslog_sev == SEV_NOTICE ? 4 : 2;
}

/* "<PRI>1 TIMESTAMP HOSTNAME gatehouse PROCID MSGID - " */
static int header(struct gh_buf *b, int facility, int severity, int64_t time_us, const char *host,
                  const char *msgid)
{
    char ts[GH_ISO_LEN];
    gh_format_iso(time_us, ts);
    return gh_buf_printf(b, "<%d>1 %s %s gatehouse %ld %s - ", facility * 8 + severity, ts,
                         host[0] ? host : "-", (long)getpid(), msgid);
}

/* CEF escaping: in the header | and \; in an extension value = and \ and line ends. */
static int cef_text(struct gh_buf *b, const char *s, bool ext)
{
    int r = 0;
    for (; *s && r == 0; s++) {
        if (*s == '\\' || (!ext && *s == '|') || (ext && *s == '='))
            r = gh_buf_printf(b, "\\%c", *s);
        else if (*s == '\n' || *s == '\r')
            r = ext ? gh_buf_append(b, *s == '\n' ? "\\n" : "\\r", 2) : gh_buf_append(b, " ", 1);
        else
            r = gh_buf_append(b, s, 1);
    }
    return r;
}

/* " key=value" (nothing when the value is empty) */
static int cef_ext(struct gh_buf *b, const char *key, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return 0;
    if (gh_buf_printf(b, " %s=", key) < 0)
        return -ENOSPC;
    return cef_text(b, value, true);
}

static int cef_begin(struct gh_buf *b, const char *class_id, const char *name, int severity)
{
    int r = gh_buf_printf(b, "CEF:0|gatehouse|gatehouse|%s|", GH_VERSION_STRING);
    if (r == 0)
        r = cef_text(b, class_id, false);
    if (r == 0)
        r = gh_buf_append(b, "|", 1);
    if (r == 0)
        r = cef_text(b, name, false);
    if (r == 0)
        r = gh_buf_printf(b, "|%d|", severity);
    return r;
}

/* Prepends "LEN " to the message built in msg, into out. */
static int frame(struct gh_buf *out, struct gh_buf *msg)
{
    int r = gh_buf_printf(out, "%zu ", msg->len);
    if (r == 0)
        r = gh_buf_append(out, msg->data, msg->len);
    return r;
}

static int json_body(struct gh_buf *b, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    int r;
    if (text == NULL)
        return -ENOMEM;
    r = gh_buf_append(b, text, strlen(text));
    free(text);
    return r;
}

int audit_siem_event(struct gh_buf *out, enum audit_siem_format fmt, const char *host,
                     const struct export_row *row, const struct event *ev)
{
    struct gh_buf msg;
    int sev = event_severity(ev), r;
    gh_buf_init(&msg, AUDIT_SIEM_MSG_MAX);
    r = header(&msg, FACILITY_AUTHPRIV, sev, ev->time_us, host, "event");
    if (r == 0 && fmt == AUDIT_SIEM_JSON) {
        json_t *o = export_row_json(row, ev);
        if (o == NULL) {
            r = -ENOMEM;
        } else {
            json_object_set_new(o, "stream", json_string("event"));
            r = json_body(&msg, o);
            json_decref(o);
        }
    } else if (r == 0) {
        char offset[24], rt[24];
        const char *type = event_type_name(ev->type), *name = type;
        if (ev->type == EV_ACCESS_DECISION)
            name = ev->decision == 1 ? "access granted" : "access denied";
        snprintf(offset, sizeof(offset), "%lld", (long long)ev->offset);
        snprintf(rt, sizeof(rt), "%lld", (long long)(ev->time_us / 1000));
        r = cef_begin(&msg, type, name, cef_severity(sev));
        /* the first extension has no leading space */
        if (r == 0)
            r = gh_buf_printf(&msg, "rt=%s", rt);
        if (r == 0)
            r = cef_ext(&msg, "externalId", offset);
        if (r == 0)
            r = cef_ext(&msg, "act", row->decision);
        if (r == 0)
            r = cef_ext(&msg, "reason", row->reason);
        if (r == 0)
            r = cef_ext(&msg, "suser", row->employee_id);
        if (r == 0 && row->door_name[0])
            r = cef_ext(&msg, "cs1Label", "door");
        if (r == 0)
            r = cef_ext(&msg, "cs1", row->door_name);
        if (r == 0 && row->badge[0])
            r = cef_ext(&msg, "cs2Label", "badge");
        if (r == 0)
            r = cef_ext(&msg, "cs2", row->badge);
        if (r == 0)
            r = cef_ext(&msg, "msg", ev->payload);
    }
    if (r == 0)
        r = frame(out, &msg);
    gh_buf_free(&msg);
    return r;
}

/* The entry as sent: whole, or without its row changes when it would not fit (the API and
 * `audit verify` have it whole; "changes_omitted" says how many rows were left out). */
static json_t *entry_for_siem(json_t *entry)
{
    json_t *changes = json_object_get(entry, "changes");
    size_t len = json_dumpb(entry, NULL, 0, JSON_COMPACT);
    json_t *copy;
    if (len + 512 <= AUDIT_SIEM_MSG_MAX || !json_is_array(changes))
        return json_incref(entry);
    copy = json_copy(entry);
    json_object_del(copy, "changes");
    json_object_set_new(copy, "changes_omitted",
                        json_integer((json_int_t)json_array_size(changes)));
    return copy;
}

/* What is sent when even the entry without its changes does not fit a message (a huge
 * request body): who did what, and where the whole entry is. */
static json_t *entry_summary(json_t *e, uint64_t index)
{
    char where[96];
    json_t *s = json_object();
    static const char *const keep[] = {"time",    "who",    "auth",   "address",
                                       "request", "action", "outcome"};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        json_t *v = json_object_get(e, keep[i]);
        if (json_is_string(v) && json_string_length(v) < 1024)
            json_object_set(s, keep[i], v);
    }
    snprintf(where, sizeof(where), "larger than a message: GET /api/v1/audit/entries/%llu",
             (unsigned long long)index);
    json_object_set_new(s, "omitted", json_string(where));
    return s;
}

static int entry_message(struct gh_buf *out, enum audit_siem_format fmt, const char *host,
                         uint64_t index, int64_t time_us, json_t *e, json_t *sent);

int audit_siem_entry(struct gh_buf *out, enum audit_siem_format fmt, const char *host,
                     uint64_t index, int64_t time_us, const char *entry)
{
    json_error_t jerr;
    json_t *e = json_loads(entry, 0, &jerr), *sent;
    size_t had = out->len;
    int r;

    if (e == NULL) /* the log holds canonical JSON: a row that is not is reported as it is */
        e = json_pack("{s:s%}", "unreadable_entry", entry,
                      strlen(entry) < 4096 ? strlen(entry) : (size_t)4096);
    if (e == NULL) /* not even UTF-8: said so, and the stream goes on */
        e = json_pack("{s:b}", "unreadable_entry", 1);
    if (e == NULL)
        return -ENOMEM;
    sent = entry_for_siem(e);
    r = entry_message(out, fmt, host, index, time_us, e, sent);
    json_decref(sent);
    if (r == -ENOSPC) { /* too big even so: the summary, so the stream goes on */
        out->len = had;
        sent = entry_summary(e, index);
        r = entry_message(out, fmt, host, index, time_us, sent, sent);
        json_decref(sent);
    }
    json_decref(e);
    return r;
}

/* The message of entry e (its fields for CEF) with `sent` as the entry's JSON. */
static int entry_message(struct gh_buf *out, enum audit_siem_format fmt, const char *host,
                         uint64_t index, int64_t time_us, json_t *e, json_t *sent)
{
    struct gh_buf msg;
    int r;

    gh_buf_init(&msg, AUDIT_SIEM_MSG_MAX);
    r = header(&msg, FACILITY_AUDIT, SEV_NOTICE, time_us, host, "audit");
    if (r == 0 && fmt == AUDIT_SIEM_JSON) {
        json_t *o = json_pack("{s:s, s:I, s:O}", "stream", "audit", "index", (json_int_t)index,
                              "entry", sent);
        r = o ? json_body(&msg, o) : -ENOMEM;
        json_decref(o);
    } else if (r == 0) {
        char idx[24], rt[24], *text = json_dumps(sent, JSON_COMPACT | JSON_SORT_KEYS);
        const char *action = json_string_value(json_object_get(e, "action"));
        snprintf(idx, sizeof(idx), "%llu", (unsigned long long)index);
        snprintf(rt, sizeof(rt), "%lld", (long long)(time_us / 1000));
        r = cef_begin(&msg, "audit", action ? action : "audit entry", cef_severity(SEV_NOTICE));
        if (r == 0)
            r = gh_buf_printf(&msg, "rt=%s", rt);
        if (r == 0)
            r = cef_ext(&msg, "externalId", idx);
        if (r == 0)
            r = cef_ext(&msg, "suser", json_string_value(json_object_get(e, "who")));
        if (r == 0)
            r = cef_ext(&msg, "request", json_string_value(json_object_get(e, "object")));
        if (r == 0)
            r = cef_ext(&msg, "outcome", json_string_value(json_object_get(e, "outcome")));
        if (r == 0 && json_object_get(e, "address"))
            r = cef_ext(&msg, "cs1Label", "address");
        if (r == 0)
            r = cef_ext(&msg, "cs1", json_string_value(json_object_get(e, "address")));
        if (r == 0)
            r = cef_ext(&msg, "cs2Label", "entry");
        if (r == 0)
            r = text ? cef_ext(&msg, "cs2", text) : -ENOMEM;
        free(text);
    }
    if (r == 0)
        r = frame(out, &msg);
    gh_buf_free(&msg);
    return r;
}
