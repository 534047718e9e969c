/*
 * test_simline.c: the simulator driver's line protocol: every command parsed, and each
 * malformed line refused with the column where it goes wrong and nothing left in the
 * output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "edge/edge.h"

static int parse(const char *line, struct edge_sim_cmd *c, struct gh_err *err)
{
    memset(err, 0, sizeof(*err));
    return edge_sim_parse(line, strlen(line), c, err);
}

static void test_commands(void **state)
{
    struct edge_sim_cmd c;
    struct gh_err err;
    (void)state;
    assert_int_equal(parse("swipe B1-Main 0101", &c, &err), 0);
    assert_int_equal(c.verb, SIM_SWIPE);
    assert_string_equal(c.door, "B1-Main");
    assert_int_equal(c.nbits, 4);
    assert_memory_equal(c.bits, ((uint8_t[]){0, 1, 0, 1}), 4);
    assert_string_equal(c.pin, "");
    assert_int_equal(parse("swipe 12\t1 pin=0042\r", &c, &err), 0); /* tab, CR */
    assert_string_equal(c.door, "12");
    assert_string_equal(c.pin, "0042");
    assert_int_equal(parse("  open  7 ", &c, &err), 0);
    assert_int_equal(c.verb, SIM_OPEN);
    assert_string_equal(c.door, "7");
    assert_int_equal(parse("close 7", &c, &err), 0);
    assert_int_equal(c.verb, SIM_CLOSE);
    assert_int_equal(parse("rex lab.door", &c, &err), 0);
    assert_int_equal(c.verb, SIM_REX);
    assert_int_equal(parse("state a:b_c", &c, &err), 0);
    assert_int_equal(c.verb, SIM_STATE);
    assert_int_equal(parse("fault 7 on", &c, &err), 0);
    assert_true(c.verb == SIM_FAULT && c.on);
    assert_int_equal(parse("fault 7 off", &c, &err), 0);
    assert_false(c.on);
    assert_int_equal(parse("advance 300", &c, &err), 0);
    assert_true(c.verb == SIM_ADVANCE && c.seconds == 300 && c.door[0] == '\0');
    assert_int_equal(parse("advance 604800", &c, &err), 0);
    char bits[80] = "swipe d ";
    memset(bits + 8, '1', 64);
    bits[72] = '\0';
    assert_int_equal(parse(bits, &c, &err), 0);
    assert_int_equal(c.nbits, 64);
}

static void refused(const char *line, const char *words)
{
    struct edge_sim_cmd c;
    struct gh_err err;
    memset(&c, 0x5a, sizeof(c));
    assert_int_equal(parse(line, &c, &err), -EINVAL);
    if (strstr(err.msg, words) == NULL)
        fail_msg("'%s': '%s' does not say '%s'", line, err.msg, words);
    for (size_t i = 0; i < sizeof(c); i++) /* nothing half filled */
        assert_int_equal(((const unsigned char *)&c)[i], 0);
}

static void test_refusals(void **state)
{
    char long_line[600];
    char long_bits[90] = "swipe d ";
    (void)state;
    refused("", "column 1: an empty line");
    refused("   ", "column 1: an empty line");
    refused("jump 7", "column 1: unknown command");
    refused("advance", "column 8: advance takes the seconds");
    refused("advance 0", "column 9: the seconds are 1 to 604800");
    refused("advance 604801", "column 9: the seconds are 1 to 604800");
    refused("advance -5", "column 9: the seconds are");
    refused("advance 5 7", "column 9: advance takes the seconds");
    refused("SWIPE 7 01", "column 1: unknown command"); /* words are lower case */
    refused("open", "column 5: a door is missing");
    refused("open 7 8", "column 8: unexpected text");
    refused("open Main Entrance", "column 11: unexpected text");
    refused("open d/1", "column 7: a door is its id or a name");
    refused("swipe 7", "column 1: swipe needs a door and the card's bits");
    refused("swipe 7 0120", "column 11: the bits are 0 and 1 only");
    refused("swipe 7 01 1234", "column 12: after the bits only pin=DIGITS");
    refused("swipe 7 01 pin=", "column 12: after the bits only pin=DIGITS");
    refused("swipe 7 01 pin=12a4", "column 18: a PIN is digits only");
    refused("swipe 7 01 pin=1234567890123", "column 16: a PIN is at most 12 digits");
    refused("swipe 7 01 pin=1 x", "column 18: too many words");
    refused("fault 7", "column 8: fault takes on or off");
    refused("fault 7 maybe", "column 9: fault takes on or off");
    refused("open 7\x01", "column 7: a control character");
    refused("open 7\n", "column 7: a control character"); /* one line at a time */
    memset(long_bits + 8, '0', 65);
    long_bits[73] = '\0';
    refused(long_bits, "column 9: more than 64 bits");
    memset(long_line, 'a', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    refused(long_line, "column 513: the line is longer than 512 bytes");
    char door[80] = "open ";
    memset(door + 5, 'd', 65);
    door[70] = '\0';
    refused(door, "column 6: the door is longer than 64 characters");
}

static void test_no_terminator_needed(void **state)
{
    struct edge_sim_cmd c;
    struct gh_err err;
    const char buf[] = {'r', 'e', 'x', ' ', '9', 'X'}; /* no NUL; only 5 bytes are the line */
    (void)state;
    assert_int_equal(edge_sim_parse(buf, 5, &c, &err), 0);
    assert_string_equal(c.door, "9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_no_terminator_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
