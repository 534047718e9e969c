/*
 * script.c: custom rules in Lua 5.4, one state per *.lua file of the rules directory.
 *
 * A script runs in a sandbox: only the base, string, table, math and utf8 libraries, less
 * what reaches outside or loads code (dofile, loadfile, load, require, collectgarbage,
 * string.dump; no io, os, package, debug); the file is loaded as text only (a precompiled
 * binary chunk is refused). Every call into it (loading the file, each event) may run at
 * most instructions_max VM instructions, and the state may hold at most memory_max bytes.
 * A script that fails (an error, a limit) is disabled (its state closed) and reported; it
 * is loaded again when its file changes.
 *
 * The API a script sees (docs/rules.md):
 *     subscribe(event_type, function(ev) ... end)
 *     alarm{type = "name", severity = 1..5, detail = "sentence", key = "subject",
 *           door = id, person = id, credential = id}
 *     log(text)
 * and an event table: offset, time_us, time, type, door_id, person_id, credential_id,
 * decision ("granted", "denied" or nil), reason, payload (a table, or nil).
 */
#include "rules/rules.h"

#include "access/access.h"

#include <dirent.h>
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCRIPTS_MAX     64
#define SCRIPT_FILE_MAX (256u << 10)
#define HOOK_EVERY      1000
#define PAYLOAD_DEPTH   8

struct script {
    char name[64]; /* the file's name */
    char path[1024];
    int64_t mtime_ns, size, ino; /* the file as it was loaded (or refused) */
    lua_State *L;                /* NULL: disabled or refused */
    uint64_t subscribed;         /* bit per event type */
    size_t mem;
    uint64_t steps;
    const struct rules_scripts *owner;
    /* during a call */
    const struct event *ev;
    rules_emit_fn emit;
    void *emit_ctx;
    bool seen; /* still in the directory at the last reload */
};

struct rules_scripts {
    struct rules_scripts_config cfg;
    char dir[1024];
    struct script s[SCRIPTS_MAX];
    int n;
};

/* ---- limits ---------------------------------------------------------------------------------- */

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct script *sc = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sc->mem -= old;
        return NULL;
    }
    if (nsize > old && sc->mem + (nsize - old) > sc->owner->cfg.memory_max)
        return NULL; /* Lua raises "not enough memory" */
    ptr = realloc(ptr, nsize);
    if (ptr != NULL)
        sc->mem = sc->mem - old + nsize;
    return ptr;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    struct script *sc = *(struct script **)lua_getextraspace(L);
    sc->steps += HOOK_EVERY;
    if (sc->steps > sc->owner->cfg.instructions_max) {
        lua_getinfo(L, "Sl", ar); /* where it was running */
        luaL_error(L, "%s:%d: instruction limit (%I) reached", ar->short_src, ar->currentline,
                   (lua_Integer)sc->owner->cfg.instructions_max);
    }
}

/* ---- the API ----------------------------------------------------------------------------------
 */

static struct script *self(lua_State *L)
{
    return *(struct script **)lua_getextraspace(L);
}

/* The table of handlers for an event type (created on demand), left on the stack: the
 * registry's "gatehouse.handlers"[type]. */
static void handlers(lua_State *L, int type)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "gatehouse.handlers") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "gatehouse.handlers");
    }
    if (lua_rawgeti(L, -1, type) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, type);
    }
    lua_remove(L, -2);
}

static int l_subscribe(lua_State *L)
{
    struct script *sc = self(L);
    const char *name = luaL_checkstring(L, 1);
    enum event_type t;
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (event_type_parse(name, &t, NULL) < 0)
        return luaL_error(L, "subscribe: '%s' is not an event type", name);
    handlers(L, (int)t);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    sc->subscribed |= UINT64_C(1) << t;
    return 0;
}

static int64_t opt_id(lua_State *L, const char *field)
{
    int64_t v = 0;
    lua_getfield(L, 1, field);
    if (!lua_isnil(L, -1)) {
        int ok;
        v = (int64_t)lua_tointegerx(L, -1, &ok);
        if (!ok || v < 0)
            luaL_error(L, "alarm: %s must be an id (a whole number)", field);
    }
    lua_pop(L, 1);
    return v;
}

bool rules_word_valid(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == ':' ||
              *s == '-' || *s == '.'))
            return false;
    return true;
}

static int l_alarm(lua_State *L)
{
    struct script *sc = self(L);
    struct rules_alarm a;
    const char *type, *detail, *key = NULL;
    lua_Integer sev = 3;
    luaL_checktype(L, 1, LUA_TTABLE);
    if (sc->emit == NULL)
        return luaL_error(L, "alarm: only from an event handler");
    memset(&a, 0, sizeof(a));
    lua_getfield(L, 1, "type");
    type = lua_tostring(L, -1);
    if (type == NULL || !rules_word_valid(type, 40))
        return luaL_error(L, "alarm: type must be 1 to 40 of a-z 0-9 _ : - .");
    gh_strlcpy(a.custom, type, sizeof(a.custom));
    lua_getfield(L, 1, "detail");
    detail = lua_tostring(L, -1);
    if (detail == NULL || detail[0] == '\0' || strlen(detail) >= sizeof(a.detail))
        return luaL_error(L, "alarm: detail must be a sentence of 1 to %d bytes",
                          (int)sizeof(a.detail) - 1);
    gh_strlcpy(a.detail, detail, sizeof(a.detail));
    gh_utf8_mend(a.detail);
    lua_getfield(L, 1, "severity");
    if (!lua_isnil(L, -1)) {
        int ok;
        sev = lua_tointegerx(L, -1, &ok);
        if (!ok || sev < 1 || sev > 5)
            return luaL_error(L, "alarm: severity must be 1 to 5");
    }
    lua_getfield(L, 1, "key");
    if (!lua_isnil(L, -1) && ((key = lua_tostring(L, -1)) == NULL || !rules_word_valid(key, 40)))
        return luaL_error(L, "alarm: key must be 1 to 40 of a-z 0-9 _ : - .");
    lua_pop(L, 4);
    a.type = RULE_CUSTOM;
    a.severity = (int)sev;
    a.door_id = opt_id(L, "door");
    a.person_id = opt_id(L, "person");
    a.credential_id = opt_id(L, "credential");
    a.time_us = sc->ev->time_us;
    a.offset = sc->ev->offset;
    if (key != NULL)
        snprintf(a.key, sizeof(a.key), "%s:%s", type, key);
    else if (a.door_id)
        snprintf(a.key, sizeof(a.key), "%s:door:%lld", type, (long long)a.door_id);
    else if (a.person_id)
        snprintf(a.key, sizeof(a.key), "%s:person:%lld", type, (long long)a.person_id);
    else
        snprintf(a.key, sizeof(a.key), "%s:script:%s", type, sc->name);
    sc->emit(sc->emit_ctx, &a);
    return 0;
}

static int l_log(lua_State *L)
{
    struct script *sc = self(L);
    log_info("rule %s: %.200s", sc->name, luaL_checkstring(L, 1));
    return 0;
}

/* ---- states -----------------------------------------------------------------------------------
 */

static void drop(struct script *sc)
{
    if (sc->L != NULL)
        lua_close(sc->L);
    sc->L = NULL;
    sc->subscribed = 0;
    sc->mem = 0;
}

/* A fresh sandboxed state, or NULL (no memory within the limit). */
static lua_State *sandbox(struct script *sc)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    static const char *const removed[] = {"dofile",  "loadfile",       "load",
                                          "require", "collectgarbage", "print"};
    lua_State *L = lua_newstate(limited_alloc, sc);
    if (L == NULL)
        return NULL;
    *(struct script **)lua_getextraspace(L) = sc;
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    for (size_t i = 0; i < GH_ARRAY_LEN(removed); i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_register(L, "subscribe", l_subscribe);
    lua_register(L, "alarm", l_alarm);
    lua_register(L, "log", l_log);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    return L;
}

/* Runs the function on top of the stack with nargs under the limits; the error, if any. */
static int call(struct script *sc, int nargs, char *why, size_t len)
{
    int rc;
    sc->steps = 0;
    rc = lua_pcall(sc->L, nargs, 0, 0);
    if (rc != LUA_OK) {
        const char *msg = lua_tostring(sc->L, -1);
        snprintf(why, len, "%s", rc == LUA_ERRMEM ? "memory limit reached" : msg ? msg : "error");
        gh_utf8_mend(why);
        lua_pop(sc->L, 1);
    }
    return rc;
}

static void load(struct rules_scripts *all, struct script *sc, rules_script_report_fn report,
                 void *rctx, bool again)
{
    char *text = NULL, why[300], chunk[72];
    size_t len = 0;
    struct gh_err err = {{0}};
    drop(sc);
    if (gh_read_file(sc->path, SCRIPT_FILE_MAX, &text, &len, &err) < 0) {
        report(rctx, sc->name, "refused", err.msg);
        return;
    }
    sc->owner = all;
    if ((sc->L = sandbox(sc)) == NULL) {
        free(text);
        report(rctx, sc->name, "refused", "no memory for a Lua state within the limit");
        return;
    }
    /* "t": text only, a precompiled chunk is refused */
    snprintf(chunk, sizeof(chunk), "=%s", sc->name); /* messages say "name.lua:3:" */
    if (luaL_loadbufferx(sc->L, text, len, chunk, "t") != LUA_OK) {
        snprintf(why, sizeof(why), "%s", lua_tostring(sc->L, -1));
        gh_utf8_mend(why);
        free(text);
        drop(sc);
        report(rctx, sc->name, "refused", why);
        return;
    }
    free(text);
    if (call(sc, 0, why, sizeof(why)) != LUA_OK) {
        drop(sc);
        report(rctx, sc->name, "disabled", why);
        return;
    }
    report(rctx, sc->name, again ? "reloaded" : "loaded", "");
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

void rules_scripts_config_init(struct rules_scripts_config *c)
{
    c->dir = NULL;
    c->memory_max = 8u << 20;
    c->instructions_max = 1000000;
}

int rules_scripts_new(const struct rules_scripts_config *cfg, struct rules_scripts **out,
                      struct gh_err *err)
{
    struct rules_scripts *s;
    if (cfg->dir == NULL || cfg->dir[0] == '\0' || strlen(cfg->dir) >= sizeof(s->dir))
        return gh_fail(err, -EINVAL, "scripts_dir: a directory path is expected");
    if (cfg->memory_max < (64u << 10) || cfg->instructions_max < HOOK_EVERY)
        return gh_fail(err, -EINVAL, "lua limits: at least 64 KiB and %d instructions", HOOK_EVERY);
    s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    gh_strlcpy(s->dir, cfg->dir, sizeof(s->dir));
    s->cfg.dir = s->dir;
    *out = s;
    return 0;
}

static bool lua_name(const char *n)
{
    size_t len = strlen(n);
    return len > 4 && len < 64 && strcmp(n + len - 4, ".lua") == 0 && n[0] != '.';
}

void rules_scripts_reload(struct rules_scripts *s, rules_script_report_fn report, void *rctx)
{
    DIR *d = opendir(s->dir);
    struct dirent *e;
    for (int i = 0; i < s->n; i++)
        s->s[i].seen = false;
    while (d != NULL && (e = readdir(d)) != NULL) {
        struct script *sc = NULL;
        struct stat st;
        char path[1024];
        if (!lua_name(e->d_name) ||
            gh_snprintf(path, sizeof(path), "%s/%s", s->dir, e->d_name) < 0 ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        for (int i = 0; i < s->n && sc == NULL; i++)
            if (strcmp(s->s[i].name, e->d_name) == 0)
                sc = &s->s[i];
        if (sc == NULL) {
            if (s->n == SCRIPTS_MAX) {
                report(rctx, e->d_name, "refused", "too many scripts (64 at most)");
                continue;
            }
            sc = &s->s[s->n++];
            memset(sc, 0, sizeof(*sc));
            gh_strlcpy(sc->name, e->d_name, sizeof(sc->name));
            gh_strlcpy(sc->path, path, sizeof(sc->path));
            sc->mtime_ns = -1;
        }
        sc->seen = true;
        if (sc->mtime_ns == mtime_ns(&st) && sc->size == st.st_size &&
            sc->ino == (int64_t)st.st_ino)
            continue; /* unchanged: as it was (running, or disabled until it changes) */
        {
            bool again = sc->mtime_ns != -1;
            sc->mtime_ns = mtime_ns(&st);
            sc->size = st.st_size;
            sc->ino = (int64_t)st.st_ino;
            load(s, sc, report, rctx, again);
        }
    }
    if (d != NULL)
        closedir(d);
    for (int i = 0; i < s->n;) { /* removed files */
        if (s->s[i].seen) {
            i++;
            continue;
        }
        drop(&s->s[i]);
        report(rctx, s->s[i].name, "removed", "");
        s->s[i] = s->s[--s->n];
    }
}

/* The payload's JSON as a Lua table (depth-limited; what does not fit is left out). */
static void push_json(lua_State *L, json_t *v, int depth)
{
    const char *k;
    json_t *x;
    size_t i;
    if (depth > PAYLOAD_DEPTH || !lua_checkstack(L, 4)) {
        lua_pushnil(L);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        lua_newtable(L);
        json_object_foreach(v, k, x)
        {
            push_json(L, x, depth + 1);
            lua_setfield(L, -2, k);
        }
        break;
    case JSON_ARRAY:
        lua_newtable(L);
        json_array_foreach(v, i, x)
        {
            push_json(L, x, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        lua_pushboolean(L, json_is_true(v));
        break;
    default:
        lua_pushnil(L);
    }
}

static void set_id(lua_State *L, const char *field, int64_t v)
{
    if (v != 0) {
        lua_pushinteger(L, (lua_Integer)v);
        lua_setfield(L, -2, field);
    }
}

static void push_event(lua_State *L, const struct event *ev)
{
    char when[GH_ISO_LEN];
    lua_createtable(L, 0, 10);
    lua_pushinteger(L, (lua_Integer)ev->offset);
    lua_setfield(L, -2, "offset");
    lua_pushinteger(L, (lua_Integer)ev->time_us);
    lua_setfield(L, -2, "time_us");
    gh_format_iso(ev->time_us, when);
    lua_pushstring(L, when);
    lua_setfield(L, -2, "time");
    lua_pushstring(L, event_type_name(ev->type));
    lua_setfield(L, -2, "type");
    set_id(L, "door_id", ev->door_id);
    set_id(L, "person_id", ev->person_id);
    set_id(L, "credential_id", ev->credential_id);
    if (ev->decision >= 0) {
        lua_pushstring(L, ev->decision ? "granted" : "denied");
        lua_setfield(L, -2, "decision");
    }
    if (ev->reason >= 0) {
        lua_pushstring(L, access_reason_name((enum access_reason)ev->reason));
        lua_setfield(L, -2, "reason");
    }
    if (ev->payload[0]) {
        json_t *p = json_loads(ev->payload, 0, NULL);
        if (p != NULL) {
            push_json(L, p, 0);
            lua_setfield(L, -2, "payload");
            json_decref(p);
        }
    }
}

void rules_scripts_feed(struct rules_scripts *s, const struct event *ev, rules_emit_fn emit,
                        void *ctx, rules_script_report_fn report, void *rctx)
{
    for (int i = 0; i < s->n; i++) {
        struct script *sc = &s->s[i];
        lua_State *L = sc->L;
        lua_Integer n;
        char why[300];
        int failed = 0;
        if (L == NULL || (unsigned)ev->type >= 64 || !(sc->subscribed & (UINT64_C(1) << ev->type)))
            continue;
        sc->ev = ev;
        sc->emit = emit;
        sc->emit_ctx = ctx;
        handlers(L, (int)ev->type);
        n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer k = 1; k <= n && !failed; k++) {
            lua_rawgeti(L, -1, k);
            push_event(L, ev);
            failed = call(sc, 1, why, sizeof(why)) != LUA_OK;
        }
        sc->emit = NULL;
        if (failed) {
            drop(sc); /* closes the state: the handlers' table goes with it */
            report(rctx, sc->name, "disabled", why);
            continue;
        }
        lua_pop(L, 1);
    }
}

int rules_scripts_count(const struct rules_scripts *s, int *running)
{
    int r = 0;
    for (int i = 0; i < s->n; i++)
        r += s->s[i].L != NULL;
    if (running != NULL)
        *running = r;
    return s->n;
}

void rules_scripts_free(struct rules_scripts *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->n; i++)
        drop(&s->s[i]);
    free(s);
}
