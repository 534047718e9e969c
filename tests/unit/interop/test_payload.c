/*
 * test_payload.c: event payloads built with jansson: any text round-trips as valid JSON
 * (quotes, backslashes, control characters, UTF-8), a payload too large for an event is
 * refused with the event unchanged, and a failed json_pack (NULL) is an error.
 */
#include "interop/interop.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_round_trip_of_awkward_text(void **state)
{
    static const char *const texts[] = {"plain",           "a \"quoted\" name",
                                        "back\\slash",     "tab\tand\nnewline",
                                        "Zoë Ørsted 東京", "{\"x\":1}"};
    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct event ev;
        json_t *back;
        json_error_t jerr;
        memset(&ev, 0, sizeof(ev));
        assert_int_equal(
            event_payload_set(&ev, json_pack("{s:s, s:i}", "name", texts[i], "n", (int)i)), 0);
        back = json_loads(ev.payload, 0, &jerr);
        assert_non_null(back);
        assert_string_equal(json_string_value(json_object_get(back, "name")), texts[i]);
        assert_int_equal(json_integer_value(json_object_get(back, "n")), (json_int_t)i);
        json_decref(back);
    }
}

static void test_too_large_is_refused_and_changes_nothing(void **state)
{
    struct event ev;
    char *big = malloc(EVENT_PAYLOAD_MAX);
    (void)state;
    memset(big, 'x', EVENT_PAYLOAD_MAX - 1);
    big[EVENT_PAYLOAD_MAX - 1] = '\0';
    memset(&ev, 0, sizeof(ev));
    assert_int_equal(event_payload_set(&ev, json_pack("{s:s}", "a", "b")), 0);
    assert_string_equal(ev.payload, "{\"a\":\"b\"}");
    assert_int_equal(event_payload_set(&ev, json_pack("{s:s}", "big", big)), -ENOSPC);
    assert_string_equal(ev.payload, "{\"a\":\"b\"}");
    free(big);
}

static void test_null_is_an_error(void **state)
{
    struct event ev;
    (void)state;
    memset(&ev, 0, sizeof(ev));
    assert_int_equal(event_payload_set(&ev, NULL), -ENOMEM);
    assert_string_equal(ev.payload, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_of_awkward_text),
        cmocka_unit_test(test_too_large_is_refused_and_changes_nothing),
        cmocka_unit_test(test_null_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
