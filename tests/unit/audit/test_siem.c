/*
 * test_siem.c: the messages sent to a SIEM (src/audit/siem.c) and the target setting. The
 * octet count is the length of what follows it; the RFC 5424 header has the priority
 * (facility authpriv or log audit, severity by event), version 1, the time, the host, the
 * application, the process id and the MSGID; a JSON body carries the offset or index; CEF
 * escapes | and \ in its header and = \ and line ends in its extension; an audit entry too
 * big for a message goes without its row changes. Targets: tcp:// and tls:// with a host
 * (IPv6 in brackets) and a port, anything else refused with what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <unistd.h>

#include "audit/audit.h"

/* Checks the framing of the one message in b and returns its text (after "LEN "). */
static const char *unframe(struct gh_buf *b)
{
    char *sp = memchr(b->data, ' ', b->len);
    long n;
    assert_non_null(sp);
    n = strtol(b->data, NULL, 10);
    assert_int_equal((size_t)n, b->len - (size_t)(sp + 1 - b->data));
    return sp + 1;
}

static struct event decision(int granted)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.offset = 42;
    ev.time_us = INT64_C(1796035002784139);
    ev.type = EV_ACCESS_DECISION;
    ev.door_id = 7;
    ev.decision = granted;
    ev.reason = 0;
    gh_strlcpy(ev.payload, "{\"note\":\"a=b|c\"}", sizeof(ev.payload));
    return ev;
}

static struct export_row row_for(const struct event *ev)
{
    struct export_row row;
    memset(&row, 0, sizeof(row));
    gh_format_iso(ev->time_us, row.timestamp);
    gh_strlcpy(row.badge, "h10301:12:3456", sizeof(row.badge));
    gh_strlcpy(row.door_id, "7", sizeof(row.door_id));
    row.door_name = "Main | Entrance";
    row.employee_id = "E100";
    row.decision = ev->decision ? "granted" : "denied";
    row.reason = "granted";
    return row;
}

static void test_event_json(void **state)
{
    struct gh_buf b;
    struct event ev = decision(1);
    struct export_row row = row_for(&ev);
    char want[128];
    const char *msg, *body;
    json_t *j;
    (void)state;
    gh_buf_init(&b, 1 << 20);
    assert_int_equal(audit_siem_event(&b, AUDIT_SIEM_JSON, "gh1", &row, &ev), 0);
    msg = unframe(&b);
    /* authpriv (10) * 8 + info (6) */
    snprintf(want, sizeof(want), "<86>1 2026-11-30T10:36:42.784139Z gh1 gatehouse %ld event - ",
             (long)getpid());
    assert_memory_equal(msg, want, strlen(want));
    body = msg + strlen(want);
    j = json_loadb(body, b.len - (size_t)(body - b.data), 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "offset")), 42);
    assert_string_equal(json_string_value(json_object_get(j, "stream")), "event");
    assert_string_equal(json_string_value(json_object_get(j, "door_name")), "Main | Entrance");
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "granted");
    json_decref(j);
    /* a denial is a notice (5) */
    gh_buf_reset(&b);
    ev = decision(0);
    row = row_for(&ev);
    assert_int_equal(audit_siem_event(&b, AUDIT_SIEM_JSON, "gh1", &row, &ev), 0);
    assert_memory_equal(unframe(&b), "<85>1 ", 6);
    gh_buf_free(&b);
}

static void test_event_cef_escapes(void **state)
{
    struct gh_buf b;
    struct event ev = decision(0);
    struct export_row row = row_for(&ev);
    const char *msg;
    (void)state;
    gh_buf_init(&b, 1 << 20);
    assert_int_equal(audit_siem_event(&b, AUDIT_SIEM_CEF, "gh1", &row, &ev), 0);
    msg = strstr(unframe(&b), "CEF:0|");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "|gatehouse|gatehouse|" GH_VERSION_STRING
                                "|access.decision|access denied|4|rt=1796035002784 "
                                "externalId=42 act=denied"));
    assert_non_null(strstr(msg, " cs1Label=door cs1=Main | Entrance"));
    assert_non_null(strstr(msg, " suser=E100"));
    assert_non_null(strstr(msg, " msg={\"note\":\"a\\=b|c\"}"));
    gh_buf_free(&b);
}

static void test_entry_json_cef_and_big(void **state)
{
    struct gh_buf b;
    const char *entry = "{\"action\":\"PATCH /api/v1/sites/{id}\",\"address\":\"127.0.0.1\","
                        "\"object\":\"/api/v1/sites/1\",\"who\":\"nora\\\\x|y\\ny\"}";
    const char *msg;
    json_t *big, *changes, *j;
    char *text;
    (void)state;
    gh_buf_init(&b, 1 << 20);
    assert_int_equal(
        audit_siem_entry(&b, AUDIT_SIEM_JSON, "gh1", 9, INT64_C(1796035002784139), entry), 0);
    msg = unframe(&b);
    assert_memory_equal(msg, "<109>1 ", 7); /* log audit (13) * 8 + notice (5) */
    j = json_loads(strchr(msg, '{'), JSON_DISABLE_EOF_CHECK, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "index")), 9);
    assert_string_equal(json_string_value(json_object_get(j, "stream")), "audit");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "entry"), "object")),
                        "/api/v1/sites/1");
    json_decref(j);

    gh_buf_reset(&b);
    assert_int_equal(
        audit_siem_entry(&b, AUDIT_SIEM_CEF, "gh1", 9, INT64_C(1796035002784139), entry), 0);
    msg = unframe(&b);
    assert_non_null(strstr(msg, "|audit|PATCH /api/v1/sites/{id}|4|rt=1796035002784 externalId=9"));
    /* = \ and the line end escaped in the extension */
    assert_non_null(strstr(msg, " suser=nora\\\\x|y\\ny "));
    assert_non_null(strstr(msg, " cs1Label=address cs1=127.0.0.1 "));

    /* an entry bigger than a message: sent without its changes, counted */
    big = json_pack("{s:s}", "action", "import people");
    changes = json_array();
    for (int i = 0; i < 3000; i++)
        json_array_append_new(changes, json_pack("{s:s, s:i}", "table", "people", "id", i));
    json_object_set_new(big, "changes", changes);
    text = json_dumps(big, JSON_COMPACT | JSON_SORT_KEYS);
    assert_true(strlen(text) > AUDIT_SIEM_MSG_MAX);
    gh_buf_reset(&b);
    assert_int_equal(audit_siem_entry(&b, AUDIT_SIEM_JSON, "gh1", 10, 0, text), 0);
    assert_true(b.len <= AUDIT_SIEM_MSG_MAX + 8);
    msg = unframe(&b);
    j = json_loads(strchr(msg, '{'), JSON_DISABLE_EOF_CHECK, NULL);
    assert_null(json_object_get(json_object_get(j, "entry"), "changes"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "entry"), "changes_omitted")), 3000);
    json_decref(j);
    free(text);
    json_decref(big);

    /* too big even without changes (a huge request body): who did what, and where it is */
    big = json_pack("{s:s, s:s, s:{s:s}}", "action", "POST /api/v1/people", "who", "nora",
                    "request_body", "note", "");
    {
        char *huge = xmalloc(AUDIT_SIEM_MSG_MAX + 1);
        memset(huge, 'x', AUDIT_SIEM_MSG_MAX);
        huge[AUDIT_SIEM_MSG_MAX] = '\0';
        json_object_set_new(json_object_get(big, "request_body"), "note", json_string(huge));
        free(huge);
    }
    text = json_dumps(big, JSON_COMPACT | JSON_SORT_KEYS);
    for (int fmt = AUDIT_SIEM_JSON; fmt <= AUDIT_SIEM_CEF; fmt++) {
        gh_buf_reset(&b);
        assert_int_equal(audit_siem_entry(&b, (enum audit_siem_format)fmt, "gh1", 11, 0, text), 0);
        assert_true(b.len <= AUDIT_SIEM_MSG_MAX + 8);
        msg = unframe(&b);
        assert_non_null(strstr(msg, "larger than a message: GET /api/v1/audit/entries/11"));
        assert_non_null(strstr(msg, "nora"));
    }
    /* an entry that is not even JSON (edited in the file): still a message */
    gh_buf_reset(&b);
    assert_int_equal(audit_siem_entry(&b, AUDIT_SIEM_JSON, "gh1", 12, 0, "not json \xff"), 0);
    assert_non_null(strstr(unframe(&b), "unreadable_entry"));
    free(text);
    json_decref(big);
    gh_buf_free(&b);
}

static void test_targets(void **state)
{
    struct gh_err err = {{0}};
    char host[256], port[8];
    bool tls = false;
    (void)state;
    assert_int_equal(audit_siem_target_parse("tls://siem.example.org:6514", &tls, host,
                                             sizeof(host), port, sizeof(port), &err),
                     0);
    assert_true(tls);
    assert_string_equal(host, "siem.example.org");
    assert_string_equal(port, "6514");
    assert_int_equal(audit_siem_target_parse("tcp://[::1]:514", &tls, host, sizeof(host), port,
                                             sizeof(port), &err),
                     0);
    assert_false(tls);
    assert_string_equal(host, "::1");
    static const struct {
        const char *target, *says;
    } bad[] = {
        {"udp://h:514", "is not tcp://HOST:PORT"},
        {"tls://h", "the port"},
        {"tls://h:0", "the port"},
        {"tls://h:70000", "the port"},
        {"tcp://:514", "the host is missing"},
        {"tcp://a b:514", "character not allowed"},
        {"tcp://a/b:514", "character not allowed"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(audit_siem_target_parse(bad[i].target, NULL, NULL, 0, NULL, 0, &err),
                         -EINVAL);
        if (strstr(err.msg, bad[i].says) == NULL)
            fail_msg("%s: '%s' does not say '%s'", bad[i].target, err.msg, bad[i].says);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_json),
        cmocka_unit_test(test_event_cef_escapes),
        cmocka_unit_test(test_entry_json_cef_and_big),
        cmocka_unit_test(test_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
