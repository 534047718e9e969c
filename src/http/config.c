/*
 * config.c: the server's configuration: defaults, an ini file read with inih (sections
 * [server], [tls], [limits], [sessions], [mfa], [ldap], [oidc], [siem], [dump], [rules],
 * [notify]),
 * command-line overrides through the same setter, and one check of the whole before anything
 * starts. Every error names where it was found (file:line and the key) and what was expected.
 */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void http_config_init(struct http_config *c)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    memset(c, 0, sizeof(*c));
    gh_strlcpy(c->listen_addr, "127.0.0.1", sizeof(c->listen_addr));
    c->port = 8443;
    c->threads = n <= 0 ? 2 : n > 64 ? 64 : (unsigned)n;
    c->max_body = 1u << 20;
    c->max_upload = 64u << 20;
    c->max_json_depth = 32;
    c->max_header = 16u << 10;
    c->request_timeout_s = 30;
    c->max_connections = 1024;
    c->max_sse_clients = 256;
    c->sse_heartbeat_s = 15;
    c->max_exports = 4;
    c->workers = 2;
    c->max_queue = 64;
    c->session_idle_s = 1800;
    c->session_lifetime_s = 43200;
    c->mfa_roles = IDENTITY_MFA_DEFAULT_ROLES;
    audit_siem_config_init(&c->siem);
    c->dump.at_minute = 2 * 60;
    gh_strlcpy(c->dump.timezone, "UTC", sizeof(c->dump.timezone));
    c->dump.backfill_days = 3;
    incident_runner_config_init(&c->rules);
    incident_notifier_config_init(&c->notify);
}

void http_config_wipe(struct http_config *c)
{
    sodium_memzero(c->ldap.bind_password, sizeof(c->ldap.bind_password));
    sodium_memzero(c->oidc.client_secret, sizeof(c->oidc.client_secret));
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (port 0: any free port). */
static int parse_listen(struct http_config *c, const char *v, struct gh_err *err)
{
    const char *colon = strrchr(v, ':');
    char addr[64];
    size_t alen;
    int64_t port;
    unsigned char tmp[16];
    if (colon == NULL)
        return gh_fail(err, -EINVAL, "'%s' is not ADDRESS:PORT (e.g. 127.0.0.1:8443)", v);
    if (gh_parse_i64(colon + 1, 0, 65535, &port) < 0)
        return gh_fail(err, -EINVAL, "port '%s' is not a number from 0 to 65535", colon + 1);
    alen = (size_t)(colon - v);
    if (alen >= 2 && v[0] == '[' && v[alen - 1] == ']') {
        v++;
        alen -= 2;
    } else if (memchr(v, ':', alen) != NULL) {
        return gh_fail(err, -EINVAL, "'%s': an IPv6 address goes in brackets, e.g. [::1]:8443", v);
    }
    if (alen == 0) {
        gh_strlcpy(addr, "0.0.0.0", sizeof(addr));
    } else {
        if (alen >= sizeof(addr))
            return gh_fail(err, -EINVAL, "address too long");
        memcpy(addr, v, alen);
        addr[alen] = '\0';
    }
    if (inet_pton(AF_INET, addr, tmp) != 1 && inet_pton(AF_INET6, addr, tmp) != 1)
        return gh_fail(err, -EINVAL, "'%s' is not a numeric IPv4 or IPv6 address", addr);
    gh_strlcpy(c->listen_addr, addr, sizeof(c->listen_addr));
    c->port = (unsigned)port;
    return 0;
}

static int parse_bool(const char *v, bool *out, struct gh_err *err)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 ||
        strcmp(v, "on") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0 ||
             strcmp(v, "off") == 0)
        *out = false;
    else
        return gh_fail(err, -EINVAL, "'%s' is not true or false", v);
    return 0;
}

/* A size in bytes, with an optional k, m or g suffix (powers of 1024). */
static int parse_size(const char *v, uint64_t min, uint64_t max, size_t *out, struct gh_err *err)
{
    char num[32];
    size_t n = strlen(v);
    uint64_t mult = 1, x;
    if (n == 0 || n >= sizeof(num))
        return gh_fail(err, -EINVAL, "'%s' is not a size", v);
    memcpy(num, v, n + 1);
    switch (num[n - 1]) {
    case 'k':
    case 'K':
        mult = 1u << 10;
        num[n - 1] = '\0';
        break;
    case 'm':
    case 'M':
        mult = 1u << 20;
        num[n - 1] = '\0';
        break;
    case 'g':
    case 'G':
        mult = 1u << 30;
        num[n - 1] = '\0';
        break;
    default:
        break;
    }
    if (gh_parse_u64(num, UINT64_MAX / mult, &x) < 0 || x * mult < min || x * mult > max)
        return gh_fail(err, -EINVAL,
                       "'%s' is not a size from %llu to %llu bytes (suffixes k, m, g allowed)", v,
                       (unsigned long long)min, (unsigned long long)max);
    *out = (size_t)(x * mult);
    return 0;
}

static int parse_uint(const char *v, int64_t min, int64_t max, unsigned *out, struct gh_err *err)
{
    int64_t x;
    if (gh_parse_i64(v, min, max, &x) < 0)
        return gh_fail(err, -EINVAL, "'%s' is not a whole number from %lld to %lld", v,
                       (long long)min, (long long)max);
    *out = (unsigned)x;
    return 0;
}

static int set_path(char *dst, const char *v, struct gh_err *err)
{
    size_t n = strlen(v);
    if (n == 0 || n >= HTTP_PATH_MAX) /* checked first: a refused path changes nothing */
        return gh_fail(err, -EINVAL, "a path of 1 to %d bytes is expected", HTTP_PATH_MAX - 1);
    memcpy(dst, v, n + 1);
    return 0;
}

/* A short text value into dst (refused when it does not fit). */
static int set_text(char *dst, size_t len, const char *v, struct gh_err *err)
{
    if (strlen(v) >= len)
        return gh_fail(err, -EINVAL, "at most %zu bytes", len - 1);
    gh_strlcpy(dst, v, len);
    return 0;
}

/* The first line of a secret file (0600 or stricter), without its line end. */
static int read_secret_file(const char *path, char *dst, size_t len, struct gh_err *err)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    int r = 0;
    if (f == NULL)
        return gh_fail(err, -errno, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        r = gh_fail(err, -EINVAL, "%s: not a regular file", path);
    else if (st.st_mode & 077)
        r = gh_fail(err, -EPERM, "%s: readable by others (chmod 600 it)", path);
    else if (fgets(dst, (int)len, f) == NULL)
        r = gh_fail(err, -EINVAL, "%s: empty", path);
    fclose(f);
    if (r == 0)
        dst[strcspn(dst, "\r\n")] = '\0';
    return r;
}

/* "role.ROLE" (a key of [ldap] or [oidc]) into *role. */
static int parse_role_key(const char *key, enum role *role, struct gh_err *err)
{
    role_set set;
    if (role_set_parse(key + 5, &set, err) < 0)
        return -EINVAL;
    if (set == 0 || (set & (set - 1)) != 0)
        return gh_fail(err, -EINVAL, "'%s' is not role.ROLE (one role)", key);
    for (int r = 0; r < ROLE_COUNT; r++)
        if (set == ROLE_BIT(r))
            *role = (enum role)r;
    return 0;
}

static int set_ldap(struct identity_ldap_config *l, const char *key, const char *v,
                    struct gh_err *err)
{
    if (strcmp(key, "url") == 0)
        return set_text(l->url, sizeof(l->url), v, err);
    if (strcmp(key, "starttls") == 0)
        return parse_bool(v, &l->starttls, err);
    if (strcmp(key, "ca_file") == 0)
        return set_text(l->ca_file, sizeof(l->ca_file), v, err);
    if (strcmp(key, "bind_dn") == 0)
        return set_text(l->bind_dn, sizeof(l->bind_dn), v, err);
    if (strcmp(key, "bind_password_file") == 0)
        return read_secret_file(v, l->bind_password, sizeof(l->bind_password), err);
    if (strcmp(key, "user_base") == 0)
        return set_text(l->user_base, sizeof(l->user_base), v, err);
    if (strcmp(key, "user_filter") == 0)
        return set_text(l->user_filter, sizeof(l->user_filter), v, err);
    if (strcmp(key, "group_base") == 0)
        return set_text(l->group_base, sizeof(l->group_base), v, err);
    if (strcmp(key, "group_filter") == 0)
        return set_text(l->group_filter, sizeof(l->group_filter), v, err);
    if (strcmp(key, "timeout") == 0)
        return parse_uint(v, 1, 60, &l->timeout_s, err);
    if (strncmp(key, "role.", 5) == 0) { /* role.hr = cn=hr,ou=groups,dc=example,dc=org */
        int i = l->n_maps;
        if (i == IDENTITY_LDAP_MAPS)
            return gh_fail(err, -E2BIG, "at most %d group maps", IDENTITY_LDAP_MAPS);
        if (parse_role_key(key, &l->maps[i].role, err) < 0 ||
            set_text(l->maps[i].group_dn, sizeof(l->maps[i].group_dn), v, err) < 0)
            return -EINVAL;
        l->n_maps++;
        return 0;
    }
    return -ENOENT;
}

static int set_oidc(struct identity_oidc_config *o, const char *key, const char *v,
                    struct gh_err *err)
{
    static const struct {
        const char *key;
        size_t off, len;
    } texts[] = {
#define OIDC_TEXT(k)                                                                               \
    {#k, offsetof(struct identity_oidc_config, k), sizeof(((struct identity_oidc_config *)0)->k)}
        OIDC_TEXT(issuer),         OIDC_TEXT(client_id),   OIDC_TEXT(redirect_uri),
        OIDC_TEXT(scopes),         OIDC_TEXT(ca_file),     OIDC_TEXT(label),
        OIDC_TEXT(username_claim), OIDC_TEXT(roles_claim), OIDC_TEXT(mfa_amr),
        OIDC_TEXT(algorithms),
#undef OIDC_TEXT
    };
    for (size_t i = 0; i < GH_ARRAY_LEN(texts); i++)
        if (strcmp(key, texts[i].key) == 0)
            return set_text((char *)o + texts[i].off, texts[i].len, v, err);
    if (strcmp(key, "client_secret_file") == 0)
        return read_secret_file(v, o->client_secret, sizeof(o->client_secret), err);
    if (strcmp(key, "client_auth") == 0) {
        if (strcmp(v, "client_secret_basic") != 0 && strcmp(v, "client_secret_post") != 0)
            return gh_fail(err, -EINVAL, "client_secret_basic or client_secret_post");
        o->client_secret_post = strcmp(v, "client_secret_post") == 0;
        return 0;
    }
    if (strcmp(key, "timeout") == 0)
        return parse_uint(v, 1, 60, &o->timeout_s, err);
    if (strncmp(key, "role.", 5) == 0) { /* role.hr = hr-staff (a value of the roles claim) */
        int i = o->n_maps;
        if (i == IDENTITY_OIDC_MAPS)
            return gh_fail(err, -E2BIG, "at most %d role maps", IDENTITY_OIDC_MAPS);
        if (parse_role_key(key, &o->maps[i].role, err) < 0 ||
            set_text(o->maps[i].value, sizeof(o->maps[i].value), v, err) < 0)
            return -EINVAL;
        o->n_maps++;
        return 0;
    }
    return -ENOENT;
}

static int set_siem(struct audit_siem_config *s, const char *key, const char *v, struct gh_err *err)
{
    if (strcmp(key, "target") == 0) {
        if (audit_siem_target_parse(v, NULL, NULL, 0, NULL, 0, err) < 0)
            return -EINVAL;
        return set_text(s->target, sizeof(s->target), v, err);
    }
    if (strcmp(key, "format") == 0) {
        if (audit_siem_format_parse(v, &s->format) < 0)
            return gh_fail(err, -EINVAL, "json or cef");
        return 0;
    }
    if (strcmp(key, "ca_file") == 0)
        return set_text(s->ca_file, sizeof(s->ca_file), v, err);
    if (strcmp(key, "server_name") == 0)
        return set_text(s->server_name, sizeof(s->server_name), v, err);
    if (strcmp(key, "hostname") == 0)
        return set_text(s->hostname, sizeof(s->hostname), v, err);
    if (strcmp(key, "streams") == 0) { /* "events, audit" or one of them */
        bool ev = false, au = false;
        for (const char *p = v; *p;) {
            size_t n;
            while (*p == ' ' || *p == ',')
                p++;
            n = strcspn(p, " ,");
            if (n == 6 && strncmp(p, "events", 6) == 0)
                ev = true;
            else if (n == 5 && strncmp(p, "audit", 5) == 0)
                au = true;
            else if (n > 0)
                return gh_fail(err, -EINVAL, "'events', 'audit' or 'events, audit'");
            p += n;
        }
        if (!ev && !au)
            return gh_fail(err, -EINVAL, "'events', 'audit' or 'events, audit'");
        s->no_events = !ev;
        s->no_audit = !au;
        return 0;
    }
    if (strcmp(key, "start") == 0) {
        if (strcmp(v, "now") != 0 && strcmp(v, "beginning") != 0)
            return gh_fail(err, -EINVAL, "now or beginning");
        s->from_start = strcmp(v, "beginning") == 0;
        return 0;
    }
    if (strcmp(key, "resend_window") == 0)
        return parse_uint(v, 1, 3600, &s->resend_window_s, err);
    if (strcmp(key, "max_backoff") == 0)
        return parse_uint(v, 1, 3600, &s->max_backoff_s, err);
    return -ENOENT;
}

static int set_dump(struct http_dump_config *d, const char *key, const char *v, struct gh_err *err)
{
    if (strcmp(key, "dir") == 0)
        return set_path(d->dir, v, err);
    if (strcmp(key, "at") == 0) { /* HH:MM */
        int64_t h, m;
        char hh[3] = {0}, mm[3] = {0};
        if (strlen(v) != 5 || v[2] != ':')
            return gh_fail(err, -EINVAL, "'%s' is not a time HH:MM (00:00 to 23:59)", v);
        memcpy(hh, v, 2);
        memcpy(mm, v + 3, 2);
        if (gh_parse_i64(hh, 0, 23, &h) < 0 || gh_parse_i64(mm, 0, 59, &m) < 0)
            return gh_fail(err, -EINVAL, "'%s' is not a time HH:MM (00:00 to 23:59)", v);
        d->at_minute = (unsigned)(h * 60 + m);
        return 0;
    }
    if (strcmp(key, "timezone") == 0)
        return set_text(d->timezone, sizeof(d->timezone), v, err);
    if (strcmp(key, "backfill_days") == 0)
        return parse_uint(v, 0, 31, &d->backfill_days, err);
    return -ENOENT;
}

/* "after_hours, tailgating": detectors turned off (the others on). */
static int parse_detectors(const char *v, bool *off, struct gh_err *err)
{
    bool set[RULE_COUNT] = {false};
    for (const char *p = v; *p;) {
        char name[48];
        size_t n;
        enum rules_type t;
        while (*p == ' ' || *p == ',')
            p++;
        n = strcspn(p, " ,");
        if (n == 0)
            break;
        if (n >= sizeof(name))
            return gh_fail(err, -EINVAL, "'%.*s' is not a detector", (int)n, p);
        memcpy(name, p, n);
        name[n] = '\0';
        if (rules_type_parse(name, &t) < 0)
            return gh_fail(err, -EINVAL, "'%s' is not a detector (docs/rules.md lists them)", name);
        set[t] = true;
        p += n;
    }
    memcpy(off, set, sizeof(set));
    return 0;
}

/* The next word of a comma- or space-separated list into w (false at the end). */
static bool next_word(const char **p, char *w, size_t len)
{
    size_t n;
    while (**p == ' ' || **p == ',')
        (*p)++;
    n = strcspn(*p, " ,");
    if (n == 0)
        return false;
    snprintf(w, len, "%.*s", (int)(n < len ? n : len - 1), *p);
    *p += n;
    return n < len;
}

/* "site:1, door:12": where a detector looks. */
static int parse_scope(const char *v, struct rules_scope *out, struct gh_err *err)
{
    struct rules_scope sc;
    char w[48];
    memset(&sc, 0, sizeof(sc));
    for (const char *p = v; next_word(&p, w, sizeof(w));) {
        int64_t id;
        bool site = strncmp(w, "site:", 5) == 0, door = strncmp(w, "door:", 5) == 0;
        if ((!site && !door) || gh_parse_i64(w + 5, 1, INT64_MAX, &id) < 0)
            return gh_fail(err, -EINVAL, "'%s' is not site:ID or door:ID", w);
        if ((site ? sc.n_sites : sc.n_doors) == RULES_SCOPE_MAX)
            return gh_fail(err, -E2BIG, "at most %d sites and %d doors", RULES_SCOPE_MAX,
                           RULES_SCOPE_MAX);
        if (site)
            sc.sites[sc.n_sites++] = id;
        else
            sc.doors[sc.n_doors++] = id;
    }
    *out = sc;
    return 0;
}

/* "3-4:90, 1-2:0": the least seconds between two doors (by id), either way. */
static int parse_walks(const char *v, struct incident_runner_config *r, struct gh_err *err)
{
    struct rules_walk walks[GH_ARRAY_LEN(r->walks)];
    size_t n = 0;
    char w[64];
    for (const char *p = v; next_word(&p, w, sizeof(w));) {
        char *dash = strchr(w, '-'), *colon = strchr(w, ':');
        int64_t a, b, sec;
        if (dash == NULL || colon == NULL || colon < dash)
            return gh_fail(err, -EINVAL, "'%s' is not DOOR-DOOR:SECONDS", w);
        *dash = *colon = '\0';
        if (gh_parse_i64(w, 1, INT64_MAX, &a) < 0 || gh_parse_i64(dash + 1, 1, INT64_MAX, &b) < 0 ||
            gh_parse_i64(colon + 1, 0, 86400, &sec) < 0 || a == b)
            return gh_fail(err, -EINVAL,
                           "'%s-%s:%s' is not DOOR-DOOR:SECONDS (two door ids, 0 to 86400 s)", w,
                           dash + 1, colon + 1);
        if (n == GH_ARRAY_LEN(walks))
            return gh_fail(err, -E2BIG, "at most %zu walks", GH_ARRAY_LEN(walks));
        walks[n++] = (struct rules_walk){a, b, (unsigned)sec};
    }
    memcpy(r->walks, walks, n * sizeof(walks[0]));
    r->n_walks = n;
    return 0;
}

static int set_rules(struct incident_runner_config *r, const char *key, const char *v,
                     struct gh_err *err)
{
    struct rules_config *d = &r->rules;
    bool on;
    int rc;
    if (strcmp(key, "enabled") == 0) {
        if ((rc = parse_bool(v, &on, err)) == 0)
            r->disabled = !on;
        return rc;
    }
    if (strcmp(key, "disable") == 0)
        return parse_detectors(v, d->disabled, err);
    if (strcmp(key, "walks") == 0)
        return parse_walks(v, r, err);
    if (strncmp(key, "scope.", 6) == 0) {
        enum rules_type t;
        if (rules_type_parse(key + 6, &t) < 0)
            return -ENOENT;
        return parse_scope(v, &d->scope[t], err);
    }
    if (strcmp(key, "dedup_window") == 0)
        return parse_uint(v, 1, 7 * 86400, &r->inc.dedup_window_s, err);
    if (strcmp(key, "warmup") == 0)
        return parse_uint(v, 0, 90 * 86400, &r->warmup_s, err);
    if (strcmp(key, "walk_speed") == 0) {
        char *end = NULL;
        double x = strtod(v, &end);
        if (end == v || *end != '\0' || !(x >= 0 && x <= 100))
            return gh_fail(err, -EINVAL, "'%s' is not a speed from 0 (off) to 100 m/s", v);
        d->walk_speed_mps = x;
        return 0;
    }
    if (strcmp(key, "walk_same_site") == 0)
        return parse_uint(v, 0, 86400, &d->walk_same_site_s, err);
    if (strcmp(key, "walk_other_site") == 0)
        return parse_uint(v, 0, 7 * 86400, &d->walk_other_site_s, err);
    if (strcmp(key, "denials_credential") == 0)
        return parse_uint(v, 2, 64, &d->denials_credential_n, err);
    if (strcmp(key, "denials_credential_window") == 0)
        return parse_uint(v, 1, 86400, &d->denials_credential_window_s, err);
    if (strcmp(key, "denials_door") == 0)
        return parse_uint(v, 2, 64, &d->denials_door_n, err);
    if (strcmp(key, "denials_door_window") == 0)
        return parse_uint(v, 1, 86400, &d->denials_door_window_s, err);
    if (strcmp(key, "after_hours_min_history") == 0)
        return parse_uint(v, 1, 100000, &d->after_hours_min_history, err);
    if (strcmp(key, "heartbeat_grace") == 0)
        return parse_uint(v, 0, 3600, &d->heartbeat_grace_s, err);
    if (strcmp(key, "offline_after") == 0)
        return parse_uint(v, 1, 86400, &d->offline_after_s, err);
    if (strcmp(key, "stale_access_days") == 0)
        return parse_uint(v, 0, 3650, &d->stale_access_days, err);
    if (strcmp(key, "tick_ms") == 0)
        return parse_uint(v, 50, 60000, &r->tick_ms, err);
    if (strcmp(key, "scripts_dir") == 0)
        return set_text(r->scripts_dir, sizeof(r->scripts_dir), v, err);
    if (strcmp(key, "lua_memory") == 0)
        return parse_size(v, 64u << 10, 1u << 30, &r->scripts.memory_max, err);
    if (strcmp(key, "lua_instructions") == 0) {
        int64_t n;
        if (gh_parse_i64(v, 1000, INT64_C(1000000000), &n) < 0)
            return gh_fail(err, -EINVAL, "'%s' is not a whole number from 1000 to 1000000000", v);
        r->scripts.instructions_max = (uint64_t)n;
        return 0;
    }
    return -ENOENT;
}

static int set_notify(struct http_config *c, const char *key, const char *v, struct gh_err *err)
{
    struct incident_notifier_config *n = &c->notify;
    if (strcmp(key, "smtp_url") == 0) {
        if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)
            return gh_fail(err, -EINVAL, "'%s' is not smtp://HOST:PORT or smtps://HOST:PORT", v);
        return set_text(n->smtp_url, sizeof(n->smtp_url), v, err);
    }
    if (strcmp(key, "from") == 0) {
        if (v[0] == '\0' || model_check_email("from", v, err) < 0)
            return gh_fail(err, -EINVAL, "'%s' is not an e-mail address", v);
        return set_text(n->smtp_from, sizeof(n->smtp_from), v, err);
    }
    if (strcmp(key, "smtp_user") == 0)
        return set_text(n->smtp_user, sizeof(n->smtp_user), v, err);
    if (strcmp(key, "smtp_password_file") == 0)
        return set_text(n->smtp_password_file, sizeof(n->smtp_password_file), v, err);
    if (strcmp(key, "starttls") == 0)
        return parse_bool(v, &n->smtp_starttls, err);
    if (strcmp(key, "ca_file") == 0)
        return set_text(n->ca_file, sizeof(n->ca_file), v, err);
    if (strcmp(key, "console_url") == 0) {
        if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
            return gh_fail(err, -EINVAL, "'%s' is not an http(s) URL", v);
        return set_text(c->rules.inc.console_url, sizeof(c->rules.inc.console_url), v, err);
    }
    if (strcmp(key, "timeout") == 0)
        return parse_uint(v, 1, 300, &n->timeout_s, err);
    if (strcmp(key, "max_attempts") == 0)
        return parse_uint(v, 1, 100, &n->max_attempts, err);
    if (strcmp(key, "backoff_max") == 0)
        return parse_uint(v, 1, 86400, &n->backoff_max_s, err);
    return -ENOENT;
}

int http_config_set(struct http_config *c, const char *section, const char *key, const char *v,
                    struct gh_err *err)
{
    int r = -ENOENT;
    size_t sz;
    if (strcmp(section, "server") == 0) {
        if (strcmp(key, "data_dir") == 0)
            r = set_path(c->data_dir, v, err);
        else if (strcmp(key, "listen") == 0)
            r = parse_listen(c, v, err);
        else if (strcmp(key, "threads") == 0)
            r = parse_uint(v, 1, 64, &c->threads, err);
        else if (strcmp(key, "plain_http") == 0)
            r = parse_bool(v, &c->plain_http, err);
    } else if (strcmp(section, "tls") == 0) {
        if (strcmp(key, "cert") == 0)
            r = set_path(c->tls_cert, v, err);
        else if (strcmp(key, "key") == 0)
            r = set_path(c->tls_key, v, err);
    } else if (strcmp(section, "limits") == 0) {
        if (strcmp(key, "max_body") == 0) {
            if ((r = parse_size(v, 1024, 64u << 20, &sz, err)) == 0)
                c->max_body = sz;
        } else if (strcmp(key, "max_upload") == 0) {
            if ((r = parse_size(v, 1024, 1u << 30, &sz, err)) == 0)
                c->max_upload = sz;
        } else if (strcmp(key, "max_header") == 0) {
            if ((r = parse_size(v, 4096, 1u << 20, &sz, err)) == 0)
                c->max_header = sz;
        } else if (strcmp(key, "max_json_depth") == 0) {
            r = parse_uint(v, 2, 256, &c->max_json_depth, err);
        } else if (strcmp(key, "request_timeout") == 0) {
            r = parse_uint(v, 1, 3600, &c->request_timeout_s, err);
        } else if (strcmp(key, "max_connections") == 0) {
            r = parse_uint(v, 4, 65536, &c->max_connections, err);
        } else if (strcmp(key, "max_sse_clients") == 0) {
            r = parse_uint(v, 0, 65536, &c->max_sse_clients, err);
        } else if (strcmp(key, "sse_heartbeat") == 0) {
            r = parse_uint(v, 1, 3600, &c->sse_heartbeat_s, err);
        } else if (strcmp(key, "max_exports") == 0) {
            r = parse_uint(v, 1, 64, &c->max_exports, err);
        } else if (strcmp(key, "workers") == 0) {
            r = parse_uint(v, 1, 16, &c->workers, err);
        } else if (strcmp(key, "max_queue") == 0) {
            r = parse_uint(v, 1, 4096, &c->max_queue, err);
        }
    } else if (strcmp(section, "ldap") == 0) {
        r = set_ldap(&c->ldap, key, v, err);
    } else if (strcmp(section, "oidc") == 0) {
        r = set_oidc(&c->oidc, key, v, err);
    } else if (strcmp(section, "siem") == 0) {
        r = set_siem(&c->siem, key, v, err);
    } else if (strcmp(section, "dump") == 0) {
        r = set_dump(&c->dump, key, v, err);
    } else if (strcmp(section, "rules") == 0) {
        r = set_rules(&c->rules, key, v, err);
    } else if (strcmp(section, "notify") == 0) {
        r = set_notify(c, key, v, err);
    } else if (strcmp(section, "mfa") == 0) {
        if (strcmp(key, "required_roles") == 0)
            r = role_set_parse(v, &c->mfa_roles, err);
    } else if (strcmp(section, "sessions") == 0) {
        if (strcmp(key, "idle_timeout") == 0)
            r = parse_uint(v, 60, 86400, &c->session_idle_s, err);
        else if (strcmp(key, "lifetime") == 0)
            r = parse_uint(v, 300, 30 * 86400, &c->session_lifetime_s, err);
    } else {
        return gh_fail(err, -EINVAL,
                       "unknown section [%s] (expected server, tls, limits, sessions, mfa, "
                       "ldap, oidc, siem, dump, rules or notify)",
                       section);
    }
    if (r == -ENOENT)
        return gh_fail(err, -EINVAL, "unknown key '%s' in [%s]", key, section);
    if (r < 0)
        gh_err_prefix(err, "%s.%s", section, key);
    return r;
}

struct ini_ctx {
    struct http_config *c;
    struct gh_err *err;
    FILE *f;
    int line;      /* lines read so far (the reader counts: inih does not tell handlers) */
    int fail_line; /* line of the first refused value, 0 if none */
    int long_line; /* first line longer than inih's buffer, 0 if none */
    int max_line;
};

/* inih's reader: fgets that counts lines and stops at one that does not fit (inih would
 * otherwise cut it and apply the cut value). */
static char *ini_read(char *str, int num, void *stream)
{
    struct ini_ctx *x = stream;
    size_t n;
    if (x->long_line || fgets(str, num, x->f) == NULL)
        return NULL;
    x->line++;
    n = strlen(str);
    if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(x->f)) {
        x->long_line = x->line;
        x->max_line = num - 2;
        return NULL;
    }
    return str;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *x = user;
    if (x->fail_line)
        return 1; /* keep only the first error */
    if (http_config_set(x->c, section, name, value, x->err) < 0) {
        x->fail_line = x->line;
        return 0;
    }
    return 1;
}

int http_config_load(const char *path, struct http_config *c, struct gh_err *err)
{
    struct http_config next = *c; /* applied only when the whole file is valid */
    struct ini_ctx x = {&next, err, NULL, 0, 0, 0, 0};
    struct stat st;
    int line;
    x.f = fopen(path, "r");
    if (x.f == NULL)
        return gh_fail(err, -errno, "%s: cannot open the configuration file: %s", path,
                       strerror(errno));
    if (fstat(fileno(x.f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(x.f);
        return gh_fail(err, -EINVAL, "%s: not a regular file", path);
    }
    line = ini_parse_stream(ini_read, &x, on_ini, &x);
    fclose(x.f);
    if (line == -2) {
        http_config_wipe(&next);
        return gh_fail(err, -ENOMEM, "%s: out of memory", path);
    }
    /* the first problem in file order: a syntax error (inih's line), a refused value
     * (ours), or a line too long */
    if (line > 0 && (x.fail_line == 0 || line < x.fail_line))
        gh_fail(err, -EINVAL, "not a KEY = VALUE line or a [section]");
    else if (x.fail_line > 0)
        line = x.fail_line;
    if (x.long_line > 0 && (line <= 0 || x.long_line < line)) {
        line = x.long_line;
        gh_fail(err, -EINVAL, "line longer than %d characters", x.max_line);
    }
    if (line > 0) {
        gh_err_prefix(err, "%s:%d", path, line);
        http_config_wipe(&next);
        return -EINVAL;
    }
    *c = next;
    http_config_wipe(&next);
    return 0;
}

static bool is_loopback(const char *addr)
{
    unsigned char a[16];
    static const unsigned char v6_loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (inet_pton(AF_INET, addr, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, addr, a) == 1)
        return memcmp(a, v6_loop, 16) == 0;
    return false;
}

static int check_readable(const char *what, const char *path, struct gh_err *err)
{
    if (access(path, R_OK) != 0)
        return gh_fail(err, -ENOENT, "%s %s cannot be read: %s", what, path, strerror(errno));
    return 0;
}

int http_config_check(struct http_config *c, struct gh_err *err)
{
    char db[HTTP_PATH_MAX + 32];
    struct stat sb;
    if (c->data_dir[0] == '\0')
        return gh_fail(err, -EINVAL, "no data dir (set --data or [server] data_dir)");
    if (gh_snprintf(db, sizeof(db), "%s/gatehouse.db", c->data_dir) < 0 || stat(db, &sb) != 0)
        return gh_fail(err, -ENOENT,
                       "%s is not an initialized data dir (run: gatehouse --data %s init)",
                       c->data_dir, c->data_dir);
    if (c->ldap.url[0]) { /* passwords only ever cross TLS */
        bool ldaps = strncmp(c->ldap.url, "ldaps://", 8) == 0;
        if (!ldaps && strncmp(c->ldap.url, "ldap://", 7) != 0)
            return gh_fail(err, -EINVAL, "ldap.url: ldaps://HOST[:PORT] or ldap://HOST[:PORT]");
        if (!ldaps && !c->ldap.starttls)
            return gh_fail(err, -EINVAL,
                           "ldap.url: ldap:// needs starttls = true (passwords "
                           "are never sent in clear)");
        if (ldaps && c->ldap.starttls)
            return gh_fail(err, -EINVAL, "ldap: starttls is for ldap://, not ldaps://");
        if (!c->ldap.bind_dn[0] || !c->ldap.bind_password[0] || !c->ldap.user_base[0])
            return gh_fail(err, -EINVAL,
                           "ldap: bind_dn, bind_password_file and user_base are required");
    }
    if (identity_oidc_config_check(&c->oidc, err) < 0)
        return -EINVAL;
    if (c->siem.target[0] && strncmp(c->siem.target, "tls://", 6) == 0 && c->siem.ca_file[0] &&
        check_readable("siem.ca_file", c->siem.ca_file, err) < 0)
        return -ENOENT;
    if (!c->siem.target[0] && (c->siem.ca_file[0] || c->siem.server_name[0]))
        return gh_fail(err, -EINVAL, "siem: ca_file and server_name need a target");
    if (c->dump.dir[0]) {
        struct gh_tz *tz = NULL;
        if (stat(c->dump.dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(c->dump.dir, W_OK) != 0)
            return gh_fail(err, -ENOENT, "dump.dir: %s is not a directory this process can write",
                           c->dump.dir);
        if (tz_load(c->dump.timezone, &tz, err) < 0) {
            gh_err_prefix(err, "dump.timezone");
            return -EINVAL;
        }
        tz_free(tz);
    }
    if (c->notify.smtp_url[0] && !c->notify.smtp_from[0])
        return gh_fail(err, -EINVAL, "notify: smtp_url needs from (the sender's address)");
    if (c->notify.smtp_user[0] && !c->notify.smtp_password_file[0])
        return gh_fail(err, -EINVAL, "notify: smtp_user needs smtp_password_file");
    if (c->notify.smtp_password_file[0] &&
        check_readable("notify.smtp_password_file", c->notify.smtp_password_file, err) < 0)
        return -ENOENT;
    if (c->notify.ca_file[0] && check_readable("notify.ca_file", c->notify.ca_file, err) < 0)
        return -ENOENT;
    if (gh_snprintf(c->notify.key_dir, sizeof(c->notify.key_dir), "%s/keys", c->data_dir) < 0 ||
        (c->rules.scripts_dir[0] == '\0' &&
         gh_snprintf(c->rules.scripts_dir, sizeof(c->rules.scripts_dir), "%s/rules", c->data_dir) <
             0))
        return gh_fail(err, -ENAMETOOLONG, "data dir path too long");
    if (c->rules.inc.console_url[0] == '\0' && c->port != 0) { /* links in messages */
        char host[256];
        bool any = strcmp(c->listen_addr, "0.0.0.0") == 0 || strcmp(c->listen_addr, "::") == 0;
        if (any && gethostname(host, sizeof(host)) != 0)
            any = false;
        host[sizeof(host) - 1] = '\0';
        snprintf(c->rules.inc.console_url, sizeof(c->rules.inc.console_url),
                 strchr(any ? host : c->listen_addr, ':') ? "%s://[%s]:%u" : "%s://%s:%u",
                 c->plain_http ? "http" : "https", any ? host : c->listen_addr, c->port);
    }
    if (c->plain_http) {
        if (!is_loopback(c->listen_addr))
            return gh_fail(err, -EINVAL,
                           "plain HTTP is refused on %s: it is only allowed on a loopback "
                           "address (127.0.0.1 or ::1); use TLS for anything else",
                           c->listen_addr);
        return 0;
    }
    if (c->tls_cert[0] == '\0' &&
        gh_snprintf(c->tls_cert, sizeof(c->tls_cert), "%s/tls/cert.pem", c->data_dir) < 0)
        return gh_fail(err, -ENAMETOOLONG, "data dir path too long");
    if (c->tls_key[0] == '\0' &&
        gh_snprintf(c->tls_key, sizeof(c->tls_key), "%s/tls/key.pem", c->data_dir) < 0)
        return gh_fail(err, -ENAMETOOLONG, "data dir path too long");
    if (check_readable("TLS certificate", c->tls_cert, err) < 0 ||
        check_readable("TLS key", c->tls_key, err) < 0)
        return -ENOENT;
    return http_tls_check_pair(c->tls_cert, c->tls_key, err);
}
