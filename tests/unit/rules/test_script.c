/*
 * test_script.c: custom rules in Lua (src/rules/script.c): a rule subscribes to an event
 * type and raises alarms with its own type, key and severity; the event's fields and
 * payload are there; the sandbox has no io, os, require, load or string.dump and refuses a
 * precompiled chunk; an infinite loop, a memory bomb or a bad call to alarm{} (at load or
 * in a handler) is stopped, the script disabled and said so, and the others go on; a file
 * changed is reloaded, a file removed dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "access/access.h"
#include "rules/rules.h"
#include "../support.h"

#include <sys/stat.h>
#include <time.h>

#define MAX 16

struct got {
    struct rules_alarm a[MAX];
    int n;
    char said[MAX][400]; /* "script what why" */
    int m;
};

static void collect(void *ctx, const struct rules_alarm *a)
{
    struct got *g = ctx;
    if (g->n < MAX)
        g->a[g->n] = *a;
    g->n++;
}

static void report(void *ctx, const char *script, const char *what, const char *why)
{
    struct got *g = ctx;
    if (g->m < MAX)
        snprintf(g->said[g->m], sizeof(g->said[0]), "%s %s %s", script, what, why);
    g->m++;
}

struct fx {
    char dir[64];
    struct rules_scripts *s;
    struct got g;
};

static void write_script(struct fx *f, const char *name, const char *text)
{
    char path[256];
    FILE *fp;
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct rules_scripts_config c;
    struct gh_err err = {{0}};
    snprintf(f->dir, sizeof(f->dir), "/tmp/gh_lua_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    rules_scripts_config_init(&c);
    c.dir = f->dir;
    c.memory_max = 2u << 20;
    c.instructions_max = 200000;
    if (rules_scripts_new(&c, &f->s, &err) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rules_scripts_free(f->s);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static void decision(struct fx *f, int64_t offset, int64_t door, int granted, const char *payload)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.offset = offset;
    ev.time_us = INT64_C(1796035000000000) + offset;
    ev.type = EV_ACCESS_DECISION;
    ev.door_id = door;
    ev.person_id = 40;
    ev.credential_id = 41;
    ev.decision = granted;
    ev.reason = granted ? REASON_GRANTED : REASON_NO_ACCESS_LEVEL;
    snprintf(ev.payload, sizeof(ev.payload), "%s", payload ? payload : "");
    rules_scripts_feed(f->s, &ev, collect, &f->g, report, &f->g);
}

static const char *const denied_rule =
    "-- a denial at the server room, from outside\n"
    "subscribe('access.decision', function(ev)\n"
    "  if ev.decision == 'denied' and ev.door_id == 4 then\n"
    "    alarm{type = 'server_room_denied', severity = 4, door = ev.door_id,\n"
    "          person = ev.person_id, detail = 'denied at the server room (' .. ev.reason ..\n"
    "          ', ' .. tostring(ev.payload and ev.payload.direction) .. ')'}\n"
    "  end\n"
    "end)\n";

static void test_a_rule_fires(void **state)
{
    struct fx *f = *state;
    int running = 0;
    write_script(f, "server.lua", denied_rule);
    write_script(f, "notes.txt", "not a script");
    rules_scripts_reload(f->s, report, &f->g);
    assert_int_equal(f->g.m, 1);
    assert_string_equal(f->g.said[0], "server.lua loaded ");
    assert_int_equal(rules_scripts_count(f->s, &running), 1);
    assert_int_equal(running, 1);
    decision(f, 1, 4, 1, NULL); /* granted */
    decision(f, 2, 3, 0, NULL); /* another door */
    assert_int_equal(f->g.n, 0);
    decision(f, 3, 4, 0, "{\"direction\":\"entry\",\"source\":\"sim\"}");
    assert_int_equal(f->g.n, 1);
    assert_int_equal(f->g.a[0].type, RULE_CUSTOM);
    assert_string_equal(rules_alarm_type(&f->g.a[0]), "server_room_denied");
    assert_string_equal(f->g.a[0].key, "server_room_denied:door:4");
    assert_int_equal(f->g.a[0].severity, 4);
    assert_int_equal(f->g.a[0].offset, 3);
    assert_int_equal(f->g.a[0].person_id, 40);
    assert_string_equal(f->g.a[0].detail, "denied at the server room (no_access_level, entry)");
    /* unchanged files are not loaded again */
    rules_scripts_reload(f->s, report, &f->g);
    assert_int_equal(f->g.m, 1);
}

static void test_the_sandbox(void **state)
{
    struct fx *f = *state;
    write_script(f, "probe.lua",
                 "subscribe('access.decision', function(ev)\n"
                 "  alarm{type = 'probe', detail = table.concat({tostring(io), tostring(os),\n"
                 "    tostring(require), tostring(load), tostring(dofile), tostring(loadfile),\n"
                 "    tostring(string.dump), tostring(debug), tostring(package),\n"
                 "    tostring(collectgarbage)}, ',')}\n"
                 "end)\n");
    /* a precompiled chunk is refused */
    write_script(f, "binary.lua", "\x1bLua\x54\x00 not really bytecode");
    rules_scripts_reload(f->s, report, &f->g);
    decision(f, 1, 1, 1, NULL);
    assert_int_equal(f->g.n, 1);
    assert_string_equal(f->g.a[0].detail, "nil,nil,nil,nil,nil,nil,nil,nil,nil,nil");
    assert_string_equal(f->g.a[0].key, "probe:script:probe.lua");
    assert_int_equal(f->g.m, 2);
    for (int i = 0; i < 2; i++)
        if (strncmp(f->g.said[i], "binary.lua", 10) == 0)
            assert_non_null(strstr(f->g.said[i], "binary.lua refused attempt to load a binary"));
}

static void test_runaway_scripts_are_stopped_and_disabled(void **state)
{
    struct fx *f = *state;
    int running = 0;
    write_script(f, "server.lua", denied_rule);
    write_script(f, "loop.lua",
                 "subscribe('access.decision', function(ev) while true do end end)\n");
    write_script(f, "bomb.lua",
                 "subscribe('access.decision', function(ev)\n"
                 "  local t = {}\n"
                 "  for i = 1, 1e9 do t[i] = string.rep('x', 4096) .. i end\n"
                 "end)\n");
    write_script(f, "atload.lua", "while true do end\n");
    write_script(f, "badcall.lua",
                 "subscribe('door.forced', function(ev)\n"
                 "  alarm{type = 'Bad Type', detail = 'x'} end)\n");
    write_script(f, "nosuch.lua", "subscribe('no.such.event', function() end)\n");
    rules_scripts_reload(f->s, report, &f->g);
    assert_int_equal(rules_scripts_count(f->s, &running), 6);
    assert_int_equal(running, 4); /* atload and nosuch failed as they loaded */
    decision(f, 1, 4, 0, NULL);
    /* the server rule still fired; the loop and the bomb were stopped and disabled */
    assert_int_equal(f->g.n, 1);
    assert_string_equal(rules_alarm_type(&f->g.a[0]), "server_room_denied");
    {
        struct event ev = {
            .offset = 2, .type = EV_DOOR_FORCED, .door_id = 2, .decision = -1, .reason = -1};
        rules_scripts_feed(f->s, &ev, collect, &f->g, report, &f->g);
    }
    assert_int_equal(rules_scripts_count(f->s, &running), 6);
    assert_int_equal(running, 1);
    {
        bool loop = false, bomb = false, atload = false, bad = false, nosuch = false;
        for (int i = 0; i < f->g.m; i++) {
            const char *s = f->g.said[i];
            loop |= strstr(s, "loop.lua disabled loop.lua:1: instruction limit (200000)") == s;
            bomb |= strstr(s, "bomb.lua disabled") == s &&
                    (strstr(s, "memory") != NULL || strstr(s, "not enough") != NULL);
            atload |= strstr(s, "atload.lua disabled atload.lua:1: instruction limit") == s;
            bad |= strstr(s, "badcall.lua disabled") == s && strstr(s, "alarm: type must be");
            nosuch |= strstr(s, "nosuch.lua disabled") == s && strstr(s, "not an event type");
        }
        assert_true(loop);
        assert_true(bomb);
        assert_true(atload);
        assert_true(bad);
        assert_true(nosuch);
    }
    /* disabled, it is not called again */
    decision(f, 3, 4, 0, NULL);
    assert_int_equal(f->g.n, 2);
}

static void test_reload_and_remove(void **state)
{
    struct fx *f = *state;
    char path[256];
    int running = 0;
    write_script(f, "r.lua", "while true do end\n");
    rules_scripts_reload(f->s, report, &f->g);
    assert_non_null(strstr(f->g.said[0], "r.lua disabled"));
    /* mended: the changed file is loaded again */
    write_script(f, "r.lua",
                 "subscribe('access.decision', function(ev)\n"
                 "  alarm{type = 'any', key = 'all', detail = 'a read'} end)\n");
    rules_scripts_reload(f->s, report, &f->g);
    assert_string_equal(f->g.said[1], "r.lua reloaded ");
    decision(f, 1, 1, 1, NULL);
    assert_int_equal(f->g.n, 1);
    assert_string_equal(f->g.a[0].key, "any:all");
    snprintf(path, sizeof(path), "%s/r.lua", f->dir);
    unlink(path);
    rules_scripts_reload(f->s, report, &f->g);
    assert_string_equal(f->g.said[2], "r.lua removed ");
    assert_int_equal(rules_scripts_count(f->s, &running), 0);
    decision(f, 2, 1, 1, NULL);
    assert_int_equal(f->g.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_rule_fires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_sandbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runaway_scripts_are_stopped_and_disabled, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload_and_remove, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
