/*
 * test_str.c: bounded strings and checked parsing (src/base/str.c): the UTF-8 decoder the
 * name checks and roster messages share, gh_strlcpy/gh_snprintf truncation, whole-number
 * parsing with ranges, and the growable buffer's hard maximum.
 */
#include "base/base.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_utf8_seq(void **state)
{
    (void)state;
    assert_int_equal(gh_utf8_seq("a", 1), 1);
    assert_int_equal(gh_utf8_seq("\xc3\xa9", 2), 2);         /* é */
    assert_int_equal(gh_utf8_seq("\xe6\x9d\xb1", 3), 3);     /* 東 */
    assert_int_equal(gh_utf8_seq("\xf0\x9f\x94\x91", 4), 4); /* a key emoji */
    assert_int_equal(gh_utf8_seq("\xc3\xa9", 1), 0);         /* truncated by len */
    assert_int_equal(gh_utf8_seq("\xc0\xaf", 2), 0);         /* overlong '/' */
    assert_int_equal(gh_utf8_seq("\xed\xa0\x80", 3), 0);     /* surrogate */
    assert_int_equal(gh_utf8_seq("\xf4\x90\x80\x80", 4), 0); /* past U+10FFFF */
    assert_int_equal(gh_utf8_seq("\x80", 1), 0);             /* continuation byte */
    assert_int_equal(gh_utf8_seq("", 0), 0);
}

static void test_utf8_valid_text(void **state)
{
    (void)state;
    assert_true(gh_utf8_valid_text("Zoë\tØrsted", strlen("Zoë\tØrsted")));
    assert_false(gh_utf8_valid_text("a\nb", 3));
    assert_false(gh_utf8_valid_text("a\x7f", 2));
    assert_false(gh_utf8_valid_text("caf\xc3", 4));
}

static void test_utf8_mend(void **state)
{
    char a[] = "caf\xc3", b[] = "Zo\xc3\xab \xff\xfe!", c[] = "\xed\xa0\x80x";
    (void)state;
    gh_utf8_mend(a);
    assert_string_equal(a, "caf?");
    gh_utf8_mend(b);
    assert_string_equal(b, "Zo\xc3\xab ?"
                           "?!");
    gh_utf8_mend(c);
    assert_string_equal(c, "???x");
}

static void test_bounded_copies(void **state)
{
    char buf[4];
    (void)state;
    assert_int_equal(gh_strlcpy(buf, "abcdef", sizeof(buf)), 6);
    assert_string_equal(buf, "abc");
    assert_int_equal(gh_snprintf(buf, sizeof(buf), "%d", 123), 0);
    assert_int_equal(gh_snprintf(buf, sizeof(buf), "%d", 1234), -ENOSPC);
}

static void test_parse_numbers(void **state)
{
    int64_t v;
    uint64_t u;
    (void)state;
    assert_int_equal(gh_parse_i64("-42", -100, 100, &v), 0);
    assert_int_equal(v, -42);
    assert_int_equal(gh_parse_i64("101", -100, 100, &v), -ERANGE);
    assert_int_equal(gh_parse_i64("12a", 0, 100, &v), -EINVAL);
    assert_int_equal(gh_parse_i64(" 1", 0, 100, &v), -EINVAL);
    assert_int_equal(gh_parse_i64("", 0, 100, &v), -EINVAL);
    assert_int_equal(gh_parse_i64("99999999999999999999", 0, INT64_MAX, &v), -ERANGE);
    assert_int_equal(gh_parse_u64("18446744073709551615", UINT64_MAX, &u), 0);
    assert_int_equal(gh_parse_u64("-1", UINT64_MAX, &u), -EINVAL);
}

static void test_buf_maximum(void **state)
{
    struct gh_buf b;
    (void)state;
    gh_buf_init(&b, 8);
    assert_int_equal(gh_buf_append(&b, "abcd", 4), 0);
    assert_int_equal(gh_buf_printf(&b, "%s", "efgh"), 0);
    assert_string_equal(gh_buf_cstr(&b), "abcdefgh");
    assert_int_equal(gh_buf_append(&b, "i", 1), -ENOSPC); /* unchanged */
    assert_int_equal(gh_buf_printf(&b, "%d", 1), -ENOSPC);
    assert_string_equal(gh_buf_cstr(&b), "abcdefgh");
    gh_buf_reset(&b);
    assert_string_equal(gh_buf_cstr(&b), "");
    gh_buf_free(&b);
}

static void test_contains_nocase(void **state)
{
    (void)state;
    assert_true(gh_contains_nocase("Ada Abara", "abara"));
    assert_true(gh_contains_nocase("Ada Abara", "A A"));
    assert_true(gh_contains_nocase("E-1001", ""));
    assert_true(gh_contains_nocase("", ""));
    assert_true(gh_contains_nocase("aab", "ab")); /* a partial match restarts one further on */
    assert_false(gh_contains_nocase("Ada", "adam"));
    assert_false(gh_contains_nocase("", "a"));
    assert_false(gh_contains_nocase("Abara", "bra"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_seq),        cmocka_unit_test(test_utf8_valid_text),
        cmocka_unit_test(test_utf8_mend),       cmocka_unit_test(test_bounded_copies),
        cmocka_unit_test(test_parse_numbers),   cmocka_unit_test(test_buf_maximum),
        cmocka_unit_test(test_contains_nocase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
