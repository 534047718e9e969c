/*
 * test_config.c: the server configuration (src/http/config.c): the defaults, ini files read
 * with inih ([server], [tls], [limits]) with every key and the size suffixes, errors that
 * name FILE:LINE and section.key (unknown sections and keys, bad numbers, limits out of
 * range, lines that are not KEY = VALUE, only the first error kept), a missing file, the
 * command-line setter http_config_set() (the same parsing as the file, later values win,
 * a refused value leaves the configuration as it was) and http_config_check() (data dir,
 * plain HTTP only on loopback, TLS files defaulted under the data dir and checked as a
 * pair). Every test runs in its own temporary directory.
 */
#include "http/http_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support.h"

/* ---- fixture: a temp dir ---------------------------------------------------------------- */

struct fx {
    char dir[64];
    char path[128]; /* DIR/gatehouse.ini */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    gh_strlcpy(f->dir, "/tmp/gh_http_config_XXXXXX", sizeof(f->dir));
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    gh_snprintf(f->path, sizeof(f->path), "%s/gatehouse.ini", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char tls[128];
    gh_snprintf(tls, sizeof(tls), "%s/tls", f->dir);
    rm_tree(tls);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* Loads `text` as the config file; returns the code, err filled. */
static int load_text(struct fx *f, const char *text, struct http_config *c, struct gh_err *err)
{
    write_text(f->path, text);
    memset(err, 0, sizeof(*err));
    return http_config_load(f->path, c, err);
}

/* err.msg == "PATH:line: rest" */
static void assert_err_at(const struct fx *f, const struct gh_err *err, int line, const char *rest)
{
    char want[sizeof(err->msg)];
    assert_int_equal(gh_snprintf(want, sizeof(want), "%s:%d: %s", f->path, line, rest), 0);
    assert_string_equal(err->msg, want);
}

/* ---- defaults and a valid file ----------------------------------------------------------- */

static void test_defaults(void **state)
{
    struct http_config c;
    (void)state;
    memset(&c, 0xa5, sizeof(c));
    http_config_init(&c);
    assert_string_equal(c.data_dir, "");
    assert_string_equal(c.listen_addr, "127.0.0.1");
    assert_int_equal(c.port, 8443);
    assert_string_equal(c.tls_cert, "");
    assert_string_equal(c.tls_key, "");
    assert_false(c.plain_http);
    assert_true(c.threads >= 1 && c.threads <= 64);
    assert_int_equal(c.max_body, 1u << 20);
    assert_int_equal(c.max_upload, 64u << 20);
    assert_int_equal(c.max_json_depth, 32);
    assert_int_equal(c.max_header, 16u << 10);
    assert_int_equal(c.request_timeout_s, 30);
    assert_int_equal(c.max_connections, 1024);
    assert_int_equal(c.max_sse_clients, 256);
    assert_int_equal(c.sse_heartbeat_s, 15);
    assert_int_equal(c.max_exports, 4);
}

static void test_load_valid(void **state)
{
    struct fx *f = *state;
    struct http_config c;
    struct gh_err err = {{0}};
    http_config_init(&c);
    assert_int_equal(load_text(f,
                               "; gatehouse serve\n"
                               "# comments of both kinds\n"
                               "\n"
                               "[server]\n"
                               "data_dir = /var/lib/gatehouse\n"
                               "listen = 0.0.0.0:9443\n"
                               "threads = 8\n"
                               "plain_http = no\n"
                               "\n"
                               "[tls]\n"
                               "cert = /etc/gatehouse/cert.pem\n"
                               "key=/etc/gatehouse/key.pem\n"
                               "\n"
                               "[limits]\n"
                               "max_body = 2m\n"
                               "max_upload = 1G\n"
                               "max_header = 8k\n"
                               "max_json_depth = 256\n"
                               "request_timeout = 3600\n"
                               "max_connections = 4\n"
                               "max_sse_clients = 0\n"
                               "sse_heartbeat = 1\n"
                               "max_exports = 64\n",
                               &c, &err),
                     0);
    assert_string_equal(err.msg, "");
    assert_string_equal(c.data_dir, "/var/lib/gatehouse");
    assert_string_equal(c.listen_addr, "0.0.0.0");
    assert_int_equal(c.port, 9443);
    assert_int_equal(c.threads, 8);
    assert_false(c.plain_http);
    assert_string_equal(c.tls_cert, "/etc/gatehouse/cert.pem");
    assert_string_equal(c.tls_key, "/etc/gatehouse/key.pem");
    assert_int_equal(c.max_body, 2u << 20);
    assert_int_equal(c.max_upload, 1u << 30);
    assert_int_equal(c.max_header, 8u << 10);
    assert_int_equal(c.max_json_depth, 256);
    assert_int_equal(c.request_timeout_s, 3600);
    assert_int_equal(c.max_connections, 4);
    assert_int_equal(c.max_sse_clients, 0);
    assert_int_equal(c.sse_heartbeat_s, 1);
    assert_int_equal(c.max_exports, 64);
}

static void test_load_partial_keeps_defaults(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    http_config_init(&c);
    http_config_init(&d);
    /* an empty file changes nothing */
    assert_int_equal(load_text(f, "", &c, &err), 0);
    assert_memory_equal(&c, &d, sizeof(c));
    /* one key changes that key only; a later value wins over an earlier one */
    assert_int_equal(load_text(f, "[limits]\nmax_exports = 2\nmax_exports = 3\n", &c, &err), 0);
    assert_int_equal(c.max_exports, 3);
    d.max_exports = 3;
    assert_memory_equal(&c, &d, sizeof(c));
    /* a section may come back */
    assert_int_equal(load_text(f,
                               "[server]\nthreads=2\n[limits]\nmax_exports=5\n[server]\n"
                               "plain_http = on\n",
                               &c, &err),
                     0);
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.max_exports, 5);
    assert_true(c.plain_http);
}

static void test_ini_syntax(void **state)
{
    struct fx *f = *state;
    struct http_config c;
    struct gh_err err = {{0}};
    char text[600], longp[320];
    http_config_init(&c);
    /* inline comments after " ;", spaces around '=', values taken as they are (no quotes
     * are stripped) */
    assert_int_equal(load_text(f,
                               "[server]\n"
                               "threads = 2 ; two workers\n"
                               "  \t\n"
                               "data_dir    =    \"/q\"\n",
                               &c, &err),
                     0);
    assert_int_equal(c.threads, 2);
    assert_string_equal(c.data_dir, "\"/q\"");
    /* '#' starts a comment only at the start of a line */
    assert_int_equal(load_text(f, "[server]\n# threads = 1\nthreads = 3 # c\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 3, "server.threads: '3 # c' is not a whole number from 1 to 64");
    assert_int_equal(c.threads, 2);

    /* a path of 150 bytes is read whole */
    memset(longp, 'p', sizeof(longp));
    longp[0] = '/';
    longp[150] = '\0';
    gh_snprintf(text, sizeof(text), "[server]\ndata_dir = %s\n", longp);
    assert_int_equal(load_text(f, text, &c, &err), 0);
    assert_string_equal(c.data_dir, longp);
    /* a line longer than inih's line buffer is never taken as a shorter path */
    longp[150] = 'p';
    longp[300] = '\0';
    gh_snprintf(text, sizeof(text), "[server]\ndata_dir = %s\nthreads = 4\n", longp);
    if (load_text(f, text, &c, &err) == 0)
        assert_string_equal(c.data_dir, longp);
    else
        print_message("a 300-byte path line: %s\n", err.msg);
}

static void test_listen_forms(void **state)
{
    static const struct {
        const char *value, *addr;
        unsigned port;
    } ok[] = {
        {"127.0.0.1:8443", "127.0.0.1", 8443},
        {"[::1]:8443", "::1", 8443},
        {"[::]:443", "::", 443},
        {":8080", "0.0.0.0", 8080},
        {"10.1.2.3:0", "10.1.2.3", 0}, /* any free port */
        {"192.168.0.1:65535", "192.168.0.1", 65535},
    };
    static const struct {
        const char *value, *msg;
    } bad[] = {
        {"127.0.0.1", "server.listen: '127.0.0.1' is not ADDRESS:PORT (e.g. 127.0.0.1:8443)"},
        {"localhost:8443", "server.listen: 'localhost' is not a numeric IPv4 or IPv6 address"},
        {"127.0.0.1:65536", "server.listen: port '65536' is not a number from 0 to 65535"},
        {"127.0.0.1:-1", "server.listen: port '-1' is not a number from 0 to 65535"},
        {"127.0.0.1:", "server.listen: port '' is not a number from 0 to 65535"},
        {"127.0.0.1:80x", "server.listen: port '80x' is not a number from 0 to 65535"},
        {"[::1]", "server.listen: port '1]' is not a number from 0 to 65535"},
        {"::1:8443",
         "server.listen: '::1:8443': an IPv6 address goes in brackets, e.g. [::1]:8443"},
        {"::1", "server.listen: '::1': an IPv6 address goes in brackets, e.g. [::1]:8443"},
        {"256.0.0.1:80", "server.listen: '256.0.0.1' is not a numeric IPv4 or IPv6 address"},
        {"[127.0.0.1:80", "server.listen: '[127.0.0.1' is not a numeric IPv4 or IPv6 address"},
    };
    (void)state;
    for (size_t i = 0; i < GH_ARRAY_LEN(ok); i++) {
        struct http_config c;
        struct gh_err err = {{0}};
        http_config_init(&c);
        print_message("listen = %s\n", ok[i].value);
        assert_int_equal(http_config_set(&c, "server", "listen", ok[i].value, &err), 0);
        assert_string_equal(c.listen_addr, ok[i].addr);
        assert_int_equal(c.port, ok[i].port);
    }
    for (size_t i = 0; i < GH_ARRAY_LEN(bad); i++) {
        struct http_config c, d;
        struct gh_err err = {{0}};
        http_config_init(&c);
        d = c;
        print_message("listen = %s\n", bad[i].value);
        assert_int_equal(http_config_set(&c, "server", "listen", bad[i].value, &err), -EINVAL);
        assert_string_equal(err.msg, bad[i].msg);
        assert_memory_equal(&c, &d, sizeof(c)); /* unchanged */
    }
}

static void test_bools_and_sizes(void **state)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};
    static const struct {
        const char *value;
        size_t bytes;
    } sizes[] = {
        {"1024", 1024},     {"1k", 1024},       {"1K", 1024},
        {"64m", 64u << 20}, {"64M", 64u << 20}, {"01k", 1024},
    };
    struct http_config c;
    struct gh_err err = {{0}};
    (void)state;
    http_config_init(&c);
    for (size_t i = 0; i < GH_ARRAY_LEN(yes); i++) {
        c.plain_http = false;
        assert_int_equal(http_config_set(&c, "server", "plain_http", yes[i], &err), 0);
        assert_true(c.plain_http);
    }
    for (size_t i = 0; i < GH_ARRAY_LEN(no); i++) {
        c.plain_http = true;
        assert_int_equal(http_config_set(&c, "server", "plain_http", no[i], &err), 0);
        assert_false(c.plain_http);
    }
    c.plain_http = true;
    assert_int_equal(http_config_set(&c, "server", "plain_http", "TRUE", &err), -EINVAL);
    assert_string_equal(err.msg, "server.plain_http: 'TRUE' is not true or false");
    assert_int_equal(http_config_set(&c, "server", "plain_http", "", &err), -EINVAL);
    assert_string_equal(err.msg, "server.plain_http: '' is not true or false");
    assert_true(c.plain_http);

    for (size_t i = 0; i < GH_ARRAY_LEN(sizes); i++) {
        c.max_body = 1;
        assert_int_equal(http_config_set(&c, "limits", "max_body", sizes[i].value, &err), 0);
        assert_int_equal(c.max_body, sizes[i].bytes);
    }
    /* 0 in any unit is below every minimum */
    c.max_body = 5000;
    assert_int_equal(http_config_set(&c, "limits", "max_body", "0g", &err), -EINVAL);
    assert_int_equal(c.max_body, 5000);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_unknown_section_and_key(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    http_config_init(&c);
    d = c;
    assert_int_equal(load_text(f, "[server]\nthreads = 2\n\n[database]\npath = x\n", &c, &err),
                     -EINVAL);
    assert_err_at(f, &err, 5,
                  "unknown section [database] (expected server, tls, limits, sessions, mfa, ldap, "
                  "oidc, siem, dump, rules or notify)");

    http_config_init(&c);
    assert_int_equal(load_text(f, "[server]\nport = 8443\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "unknown key 'port' in [server]");
    assert_memory_equal(&c, &d, sizeof(c));

    /* a key of another section is unknown in this one */
    assert_int_equal(load_text(f, "[tls]\nmax_body = 2m\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "unknown key 'max_body' in [tls]");
    assert_memory_equal(&c, &d, sizeof(c));

    /* names are case-sensitive */
    assert_int_equal(load_text(f, "[Server]\nthreads = 2\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2,
                  "unknown section [Server] (expected server, tls, limits, sessions, mfa, ldap, "
                  "oidc, siem, dump, rules or notify)");
    assert_int_equal(load_text(f, "[server]\nThreads = 2\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "unknown key 'Threads' in [server]");

    /* a key before any section */
    assert_int_equal(load_text(f, "threads = 2\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 1,
                  "unknown section [] (expected server, tls, limits, sessions, mfa, ldap, oidc, "
                  "siem, dump, rules or notify)");
    assert_memory_equal(&c, &d, sizeof(c));
}

static void test_bad_values_name_file_line_key(void **state)
{
    static const struct {
        const char *text;
        int line;
        const char *msg;
    } cases[] = {
        {"[server]\nthreads = many\n", 2,
         "server.threads: 'many' is not a whole number from 1 to 64"},
        {"[server]\nthreads = 0\n", 2, "server.threads: '0' is not a whole number from 1 to 64"},
        {"[server]\nthreads = 65\n", 2, "server.threads: '65' is not a whole number from 1 to 64"},
        {"[server]\nthreads = 4.5\n", 2,
         "server.threads: '4.5' is not a whole number from 1 to 64"},
        {"[server]\nthreads = -1\n", 2, "server.threads: '-1' is not a whole number from 1 to 64"},
        {"[server]\n\n\nplain_http = maybe\n", 4,
         "server.plain_http: 'maybe' is not true or false"},
        {"[server]\ndata_dir =\n", 2, "server.data_dir: a path of 1 to 511 bytes is expected"},
        {"[tls]\ncert = \n", 2, "tls.cert: a path of 1 to 511 bytes is expected"},
        {"[limits]\nmax_json_depth = 1\n", 2,
         "limits.max_json_depth: '1' is not a whole number from 2 to 256"},
        {"[limits]\nmax_json_depth = 257\n", 2,
         "limits.max_json_depth: '257' is not a whole number from 2 to 256"},
        {"[limits]\nrequest_timeout = 0\n", 2,
         "limits.request_timeout: '0' is not a whole number from 1 to 3600"},
        {"[limits]\nmax_connections = 3\n", 2,
         "limits.max_connections: '3' is not a whole number from 4 to 65536"},
        {"[limits]\nmax_sse_clients = 65537\n", 2,
         "limits.max_sse_clients: '65537' is not a whole number from 0 to 65536"},
        {"[limits]\nsse_heartbeat = 3601\n", 2,
         "limits.sse_heartbeat: '3601' is not a whole number from 1 to 3600"},
        {"[limits]\nmax_exports = 0\n", 2,
         "limits.max_exports: '0' is not a whole number from 1 to 64"},
        {"[limits]\nmax_body = 1023\n", 2,
         "limits.max_body: '1023' is not a size from 1024 to 67108864 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_body = 65m\n", 2,
         "limits.max_body: '65m' is not a size from 1024 to 67108864 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_body = 1g\n", 2,
         "limits.max_body: '1g' is not a size from 1024 to 67108864 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_body = 2 m\n", 2,
         "limits.max_body: '2 m' is not a size from 1024 to 67108864 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_body = 2mb\n", 2,
         "limits.max_body: '2mb' is not a size from 1024 to 67108864 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_body = k\n", 2,
         "limits.max_body: 'k' is not a size from 1024 to 67108864 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_body = -1k\n", 2,
         "limits.max_body: '-1k' is not a size from 1024 to 67108864 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_upload = 99999999999999999999g\n", 2,
         "limits.max_upload: '99999999999999999999g' is not a size from 1024 to 1073741824 "
         "bytes (suffixes k, m, g allowed)"},
        {"[limits]\nmax_upload = 17179869184g\n", 2, /* x * 2^30 would wrap past 2^64 */
         "limits.max_upload: '17179869184g' is not a size from 1024 to 1073741824 bytes "
         "(suffixes k, m, g allowed)"},
        {"[limits]\nmax_header = 4095\n", 2,
         "limits.max_header: '4095' is not a size from 4096 to 1048576 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_header = 2m\n", 2,
         "limits.max_header: '2m' is not a size from 4096 to 1048576 bytes (suffixes k, m, g "
         "allowed)"},
        {"[limits]\nmax_body =\n", 2, "limits.max_body: '' is not a size"},
    };
    struct fx *f = *state;
    for (size_t i = 0; i < GH_ARRAY_LEN(cases); i++) {
        struct http_config c, d;
        struct gh_err err = {{0}};
        http_config_init(&c);
        d = c;
        print_message("case %zu: %s", i, cases[i].text);
        assert_int_equal(load_text(f, cases[i].text, &c, &err), -EINVAL);
        assert_err_at(f, &err, cases[i].line, cases[i].msg);
        assert_memory_equal(&c, &d, sizeof(c));
    }
}

static void test_syntax_errors(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    http_config_init(&c);
    d = c;
    assert_int_equal(load_text(f, "[server]\nthreads 4\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "not a KEY = VALUE line or a [section]");
    assert_int_equal(load_text(f, "[server\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 1, "not a KEY = VALUE line or a [section]");
    /* "= 4" is a key with no name */
    assert_int_equal(load_text(f, "[server]\n= 4\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "unknown key '' in [server]");
    assert_memory_equal(&c, &d, sizeof(c));
}

static void test_first_error_kept(void **state)
{
    struct fx *f = *state;
    struct http_config c;
    struct gh_err err = {{0}};
    http_config_init(&c);
    /* two bad values: the first is reported, and nothing after it is applied */
    assert_int_equal(load_text(f,
                               "[server]\n"
                               "threads = 0\n"
                               "[limits]\n"
                               "max_exports = 0\n"
                               "max_connections = 8\n",
                               &c, &err),
                     -EINVAL);
    assert_err_at(f, &err, 2, "server.threads: '0' is not a whole number from 1 to 64");
    assert_int_equal(c.max_connections, 1024);
    /* values before the error are not applied either: a file is taken whole or not at all */
    http_config_init(&c);
    assert_int_equal(load_text(f, "[limits]\nmax_exports = 9\nmax_body = 1\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 3,
                  "limits.max_body: '1' is not a size from 1024 to 67108864 bytes (suffixes k, "
                  "m, g allowed)");
    assert_int_equal(c.max_exports, 4);
}

/* Whether err names the line its message is about: `line` with the syntax message, or
 * `value_line` with a message containing `value_key`. */
static bool err_consistent(const struct fx *f, const struct gh_err *err, int line, int value_line,
                           const char *value_key)
{
    char want[512];
    gh_snprintf(want, sizeof(want), "%s:%d: not a KEY = VALUE line or a [section]", f->path, line);
    if (strcmp(err->msg, want) == 0)
        return true;
    gh_snprintf(want, sizeof(want), "%s:%d: ", f->path, value_line);
    return strncmp(err->msg, want, strlen(want)) == 0 && strstr(err->msg, value_key) != NULL;
}

/* A line inih cannot hold whole is refused, not cut and applied (a cut path is wrong). */
static void test_long_line(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    char text[600];
    size_t n;
    http_config_init(&c);
    d = c;
    n = (size_t)snprintf(text, sizeof(text), "[server]\ndata_dir = /");
    memset(text + n, 'd', 400);
    gh_strlcpy(text + n + 400, "\nthreads = 3\n", sizeof(text) - n - 400);
    assert_int_equal(load_text(f, text, &c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, ":2: line longer than "));
    assert_string_equal(c.data_dir, d.data_dir);
    assert_int_equal(c.threads, d.threads); /* nothing after it was applied either */
}

static void test_syntax_error_then_bad_value(void **state)
{
    struct fx *f = *state;
    struct http_config c;
    struct gh_err err = {{0}};
    bool ok1, ok2;
    http_config_init(&c);
    /* line 2 is not KEY = VALUE, line 3 has a bad value: one error, about one line */
    assert_int_equal(load_text(f, "[server]\nnonsense\nthreads = 0\n", &c, &err), -EINVAL);
    ok1 = err_consistent(f, &err, 2, 3, "server.threads: '0'");
    if (!ok1)
        print_message("regression: %s\n", err.msg);
    /* an unterminated section header, then a key (which lands in section "") */
    http_config_init(&c);
    assert_int_equal(load_text(f, "[server\nthreads = 4\n", &c, &err), -EINVAL);
    ok2 = err_consistent(f, &err, 1, 2, "unknown section []");
    if (!ok2)
        print_message("regression: %s\n", err.msg);
    if (!ok1 || !ok2) {
        /* Was a bug (src/http/config.c, http_config_load), now fixed: inih returns the line of the
         * first syntax error, but when a later line's value was refused too, the message is that
         * later line's while the line number is the syntax error's. */
        fail_msg("regression: see the comment above");
    }
}

static void test_missing_file(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    char path[160], want[300];
    http_config_init(&c);
    d = c;
    gh_snprintf(path, sizeof(path), "%s/absent.ini", f->dir);
    assert_int_equal(http_config_load(path, &c, &err), -ENOENT);
    gh_snprintf(want, sizeof(want), "%s: cannot open the configuration file: %s", path,
                strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_memory_equal(&c, &d, sizeof(c));
    /* a directory is not a configuration file either */
    memset(&err, 0, sizeof(err));
    if (http_config_load(f->dir, &c, &err) == 0) {
        /* Was a bug (src/http/config.c, http_config_load), now fixed: fopen() opens a directory,
         * inih reads nothing from it and the load succeeds with the defaults. */
        assert_memory_equal(&c, &d, sizeof(c));
        print_message("regression: loading the directory %s succeeded\n", f->dir);
        fail_msg("regression: see the comment above");
    }
    assert_string_not_equal(err.msg, "");
    assert_memory_equal(&c, &d, sizeof(c));
}

/* ---- the setter (command-line overrides) ------------------------------------------------ */

static void test_set_overrides(void **state)
{
    struct fx *f = *state;
    struct http_config c;
    struct gh_err err = {{0}};
    http_config_init(&c);
    assert_int_equal(load_text(f, "[server]\nlisten = 0.0.0.0:9000\nthreads = 3\n", &c, &err), 0);
    /* flags are applied after the file, through the same setter */
    assert_int_equal(http_config_set(&c, "server", "listen", "127.0.0.1:0", &err), 0);
    assert_int_equal(http_config_set(&c, "server", "data_dir", "/srv/gh", &err), 0);
    assert_int_equal(http_config_set(&c, "limits", "max_json_depth", "2", &err), 0);
    assert_string_equal(c.listen_addr, "127.0.0.1");
    assert_int_equal(c.port, 0);
    assert_int_equal(c.threads, 3);
    assert_string_equal(c.data_dir, "/srv/gh");
    assert_int_equal(c.max_json_depth, 2);
}

static void test_set_errors(void **state)
{
    struct http_config c, d;
    struct gh_err err = {{0}};
    (void)state;
    http_config_init(&c);
    d = c;
    assert_int_equal(http_config_set(&c, "srv", "threads", "2", &err), -EINVAL);
    assert_string_equal(err.msg, "unknown section [srv] (expected server, tls, limits, sessions, "
                                 "mfa, ldap, oidc, siem, dump, rules or notify)");
    assert_int_equal(http_config_set(&c, "limits", "max_bodies", "2m", &err), -EINVAL);
    assert_string_equal(err.msg, "unknown key 'max_bodies' in [limits]");
    assert_int_equal(http_config_set(&c, "tls", "key", "", &err), -EINVAL);
    assert_string_equal(err.msg, "tls.key: a path of 1 to 511 bytes is expected");
    assert_int_equal(http_config_set(&c, "limits", "max_exports", " 2", &err), -EINVAL);
    assert_string_equal(err.msg, "limits.max_exports: ' 2' is not a whole number from 1 to 64");
    assert_memory_equal(&c, &d, sizeof(c));
    /* a NULL err is allowed */
    assert_int_equal(http_config_set(&c, "server", "threads", "x", NULL), -EINVAL);
    assert_memory_equal(&c, &d, sizeof(c));
}

static void test_set_long_path(void **state)
{
    struct http_config c, d;
    struct gh_err err = {{0}};
    char longp[HTTP_PATH_MAX + 16];
    (void)state;
    http_config_init(&c);
    assert_int_equal(http_config_set(&c, "server", "data_dir", "/srv/gh", &err), 0);
    /* exactly HTTP_PATH_MAX - 1 bytes fits */
    memset(longp, 'a', sizeof(longp));
    longp[0] = '/';
    longp[HTTP_PATH_MAX - 1] = '\0';
    assert_int_equal(http_config_set(&c, "tls", "cert", longp, &err), 0);
    assert_int_equal(strlen(c.tls_cert), HTTP_PATH_MAX - 1);
    /* one more is refused */
    d = c;
    longp[HTTP_PATH_MAX - 1] = 'a';
    longp[HTTP_PATH_MAX] = '\0';
    assert_int_equal(http_config_set(&c, "server", "data_dir", longp, &err), -EINVAL);
    assert_string_equal(err.msg, "server.data_dir: a path of 1 to 511 bytes is expected");
    if (memcmp(&c, &d, sizeof(c)) != 0) {
        /* Was a bug (src/http/config.c, set_path), now fixed: set_path copies (truncating) before
         * it checks the length, so a refused path still replaces the old one. */
        print_message("regression: refused data_dir left '%.20s...' (%zu bytes) in place\n",
                      c.data_dir, strlen(c.data_dir));
        fail_msg("regression: see the comment above");
    }
    assert_string_equal(c.data_dir, "/srv/gh");
}

/* ---- the check of the whole ---------------------------------------------------------------- */

static void make_db(const struct fx *f)
{
    char db[160];
    gh_snprintf(db, sizeof(db), "%s/gatehouse.db", f->dir);
    write_text(db, "");
}

static void test_check_data_dir(void **state)
{
    struct fx *f = *state;
    struct http_config c;
    struct gh_err err = {{0}};
    char want[400];
    http_config_init(&c);
    assert_int_equal(http_config_check(&c, &err), -EINVAL);
    assert_string_equal(err.msg, "no data dir (set --data or [server] data_dir)");

    assert_int_equal(http_config_set(&c, "server", "data_dir", f->dir, &err), 0);
    assert_int_equal(http_config_check(&c, &err), -ENOENT);
    gh_snprintf(want, sizeof(want),
                "%s is not an initialized data dir (run: gatehouse --data %s init)", f->dir,
                f->dir);
    assert_string_equal(err.msg, want);
}

static void test_check_plain_http(void **state)
{
    static const struct {
        const char *listen;
        int rc;
    } cases[] = {
        {"127.0.0.1:0", 0},
        {"127.8.9.10:0", 0},
        {"[::1]:0", 0},
        {"0.0.0.0:0", -EINVAL},
        {"[::]:0", -EINVAL},
        {"10.0.0.1:0", -EINVAL},
        {"[::ffff:127.0.0.1]:0", -EINVAL}, /* a mapped address is not the v6 loopback */
    };
    struct fx *f = *state;
    make_db(f);
    for (size_t i = 0; i < GH_ARRAY_LEN(cases); i++) {
        struct http_config c;
        struct gh_err err = {{0}};
        http_config_init(&c);
        print_message("plain HTTP on %s\n", cases[i].listen);
        assert_int_equal(http_config_set(&c, "server", "data_dir", f->dir, &err), 0);
        assert_int_equal(http_config_set(&c, "server", "plain_http", "true", &err), 0);
        assert_int_equal(http_config_set(&c, "server", "listen", cases[i].listen, &err), 0);
        assert_int_equal(http_config_check(&c, &err), cases[i].rc);
        if (cases[i].rc != 0) {
            assert_non_null(strstr(err.msg, "plain HTTP is refused on "));
            assert_non_null(strstr(err.msg, c.listen_addr));
        }
        /* plain HTTP needs no TLS files */
        assert_string_equal(c.tls_cert, "");
        assert_string_equal(c.tls_key, "");
    }
}

static void test_check_tls(void **state)
{
    struct fx *f = *state;
    struct http_config c;
    struct gh_err err = {{0}};
    char tls[128], cert[160], key[160], key2[160], want[600];
    make_db(f);
    http_config_init(&c);
    assert_int_equal(http_config_set(&c, "server", "data_dir", f->dir, &err), 0);

    /* the TLS paths default under the data dir; missing files are named */
    gh_snprintf(cert, sizeof(cert), "%s/tls/cert.pem", f->dir);
    gh_snprintf(key, sizeof(key), "%s/tls/key.pem", f->dir);
    assert_int_equal(http_config_check(&c, &err), -ENOENT);
    assert_string_equal(c.tls_cert, cert);
    assert_string_equal(c.tls_key, key);
    gh_snprintf(want, sizeof(want), "TLS certificate %s cannot be read: ", cert);
    assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);

    /* a generated pair passes */
    gh_snprintf(tls, sizeof(tls), "%s/tls", f->dir);
    assert_int_equal(mkdir(tls, 0700), 0);
    assert_int_equal(http_tls_generate(cert, key, "localhost", &err), 0);
    assert_int_equal(http_config_check(&c, &err), 0);

    /* a key of another pair does not */
    gh_snprintf(key2, sizeof(key2), "%s/tls/other-key.pem", f->dir);
    {
        char cert2[160];
        gh_snprintf(cert2, sizeof(cert2), "%s/tls/other-cert.pem", f->dir);
        assert_int_equal(http_tls_generate(cert2, key2, "localhost", &err), 0);
    }
    assert_int_equal(http_config_set(&c, "tls", "key", key2, &err), 0);
    memset(&err, 0, sizeof(err));
    assert_true(http_config_check(&c, &err) < 0);
    assert_string_not_equal(err.msg, "");
    print_message("mismatched pair: %s\n", err.msg);
}

/* ---- [oidc] and [mfa] -------------------------------------------------------------------- */

#define ROLES                                                                                      \
    " (one of: admin security_operator security_viewer it_admin hr facilities legal finance "      \
    "communications auditor)"

static void test_oidc_and_mfa(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    char text[1024], secret[160];
    make_db(f);
    gh_snprintf(secret, sizeof(secret), "%s/oidc-secret", f->dir);
    write_text(secret, "s3cret\n");
    assert_int_equal(chmod(secret, 0600), 0);
    gh_snprintf(text, sizeof(text),
                "[server]\ndata_dir = %s\nplain_http = true\n[mfa]\nrequired_roles = admin hr\n"
                "[oidc]\nissuer = https://id.example.com/realms/x/\nclient_id = gh\n"
                "client_secret_file = %s\nredirect_uri = https://gh.example.com/api/v1/auth/"
                "oidc/callback\nscopes = profile groups\nrole.hr = HR Staff\n"
                "role.admin = gh-admins\nclient_auth = client_secret_post\n",
                f->dir, secret);
    http_config_init(&c);
    assert_int_equal(load_text(f, text, &c, &err), 0);
    assert_int_equal(http_config_check(&c, &err), 0);
    assert_int_equal(c.mfa_roles, ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_HR));
    assert_string_equal(c.oidc.client_secret, "s3cret");
    assert_true(c.oidc.client_secret_post);
    /* defaults filled by the check; openid is always asked for */
    assert_string_equal(c.oidc.scopes, "openid profile groups");
    assert_string_equal(c.oidc.username_claim, "preferred_username");
    assert_string_equal(c.oidc.roles_claim, "groups");
    assert_string_equal(c.oidc.algorithms, IDENTITY_OIDC_DEFAULT_ALG);
    assert_string_equal(c.oidc.mfa_amr, IDENTITY_OIDC_DEFAULT_AMR);
    assert_int_equal(c.oidc.n_maps, 2);
    assert_string_equal(c.oidc.maps[0].value, "HR Staff");
    assert_int_equal(c.oidc.maps[0].role, ROLE_HR);

    /* bad values name the key (and the file's line), and change nothing */
    d = c;
    assert_int_equal(load_text(f, "[oidc]\nrole.wizard = x\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "oidc.role.wizard: unknown role 'wizard'" ROLES);
    assert_int_equal(load_text(f, "[oidc]\nclient_auth = private_key_jwt\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "oidc.client_auth: client_secret_basic or client_secret_post");
    assert_int_equal(load_text(f, "[mfa]\nrequired_roles = admin, boss\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "mfa.required_roles: unknown role 'boss'" ROLES);
    assert_memory_equal(&c, &d, sizeof(c));
    /* the whole is checked: https only, a client, known algorithms */
    gh_strlcpy(c.oidc.issuer, "http://id.example.com", sizeof(c.oidc.issuer));
    assert_int_equal(http_config_check(&c, &err), -EINVAL);
    assert_string_equal(err.msg, "oidc.issuer: an https:// URL, exactly as in the tokens");
    c = d;
    gh_strlcpy(c.oidc.algorithms, "RS256 HS256", sizeof(c.oidc.algorithms));
    assert_int_equal(http_config_check(&c, &err), -EINVAL);
    assert_true(strstr(err.msg, "oidc.algorithms: 'HS256' is not one of") == err.msg);
    c = d;
    gh_strlcpy(c.oidc.redirect_uri, "http://gh.example.com/cb", sizeof(c.oidc.redirect_uri));
    assert_int_equal(http_config_check(&c, &err), -EINVAL);
    assert_true(strstr(err.msg, "oidc.redirect_uri:") == err.msg);
    gh_strlcpy(c.oidc.redirect_uri, "http://127.0.0.1:8443/cb", sizeof(c.oidc.redirect_uri));
    assert_int_equal(http_config_check(&c, &err), 0); /* plain HTTP to loopback only */
    c = d;
    c.oidc.client_secret[0] = '\0';
    assert_int_equal(http_config_check(&c, &err), -EINVAL);
    assert_string_equal(err.msg, "oidc: client_id and client_secret_file are required");
    /* a secret file others can read is refused */
    assert_int_equal(chmod(secret, 0644), 0);
    assert_int_equal(http_config_set(&c, "oidc", "client_secret_file", secret, &err), -EPERM);
}

/* [rules]: the detectors' settings; bad values name the key and change nothing. */
static void test_rules(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    static const char *const bad[][3] = {
        {"walk_speed", "fast", "rules.walk_speed: 'fast' is not a speed from 0 (off) to 100 m/s"},
        {"walk_speed", "-1", "rules.walk_speed: '-1' is not a speed from 0 (off) to 100 m/s"},
        {"disable", "door_forced, nonsense",
         "rules.disable: 'nonsense' is not a detector (docs/rules.md lists them)"},
        {"denials_door", "1", "rules.denials_door: '1' is not a whole number from 2 to 64"},
        {"enabled", "maybe", "rules.enabled: 'maybe' is not true or false"},
        {"speed", "2", "unknown key 'speed' in [rules]"},
        {"walks", "3-4", "rules.walks: '3-4' is not DOOR-DOOR:SECONDS"},
        {"walks", "3-3:10",
         "rules.walks: '3-3:10' is not DOOR-DOOR:SECONDS (two door ids, 0 to 86400 s)"},
        {"scope.door_held", "building:2",
         "rules.scope.door_held: 'building:2' is not site:ID or door:ID"},
        {"scope.sorcery", "site:1", "unknown key 'scope.sorcery' in [rules]"},
    };
    http_config_init(&c);
    assert_false(c.rules.disabled); /* the defaults */
    assert_int_equal(c.rules.inc.dedup_window_s, 3600);
    assert_int_equal(c.rules.warmup_s, 7 * 86400);
    assert_int_equal(load_text(f,
                               "[rules]\nenabled = yes\ndedup_window = 600\nwarmup = 0\n"
                               "walk_speed = 1.5\nwalk_other_site = 1200\n"
                               "disable = after_hours, tailgating\ndenials_credential = 3\n"
                               "offline_after = 300\nstale_access_days = 14\n",
                               &c, &err),
                     0);
    assert_int_equal(c.rules.inc.dedup_window_s, 600);
    assert_int_equal(c.rules.warmup_s, 0);
    assert_true(c.rules.rules.walk_speed_mps == 1.5);
    assert_int_equal(c.rules.rules.walk_other_site_s, 1200);
    assert_true(c.rules.rules.disabled[RULE_AFTER_HOURS] &&
                c.rules.rules.disabled[RULE_TAILGATING]);
    assert_false(c.rules.rules.disabled[RULE_BADGE_CLONING]);
    assert_int_equal(c.rules.rules.denials_credential_n, 3);
    assert_int_equal(c.rules.rules.offline_after_s, 300);
    assert_int_equal(c.rules.rules.stale_access_days, 14);
    assert_int_equal(http_config_set(&c, "rules", "walks", "3-4:90, 12-1:0", &err), 0);
    assert_int_equal(c.rules.n_walks, 2);
    assert_true(c.rules.walks[1].door_a == 12 && c.rules.walks[1].door_b == 1 &&
                c.rules.walks[1].seconds == 0);
    assert_int_equal(
        http_config_set(&c, "rules", "scope.door_forced", "site:2, door:7 door:9", &err), 0);
    assert_int_equal(c.rules.rules.scope[RULE_DOOR_FORCED].n_sites, 1);
    assert_int_equal(c.rules.rules.scope[RULE_DOOR_FORCED].n_doors, 2);
    assert_int_equal(c.rules.rules.scope[RULE_DOOR_FORCED].doors[1], 9);
    assert_int_equal(http_config_set(&c, "rules", "enabled", "off", &err), 0);
    assert_true(c.rules.disabled);
    d = c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(http_config_set(&c, "rules", bad[i][0], bad[i][1], &err), -EINVAL);
        assert_string_equal(err.msg, bad[i][2]);
        assert_memory_equal(&c, &d, sizeof(c));
    }
}

static void test_siem(void **state)
{
    struct fx *f = *state;
    struct http_config c, d;
    struct gh_err err = {{0}};
    char text[1024];
    make_db(f);
    gh_snprintf(text, sizeof(text),
                "[server]\ndata_dir = %s\nplain_http = true\n[siem]\n"
                "target = tls://[::1]:6514\nformat = cef\nstreams = audit\nstart = beginning\n"
                "hostname = door-1\nresend_window = 5\nmax_backoff = 10\n",
                f->dir);
    http_config_init(&c);
    assert_int_equal(c.siem.format, AUDIT_SIEM_JSON); /* the defaults */
    assert_int_equal(c.siem.resend_window_s, 2);
    assert_int_equal(c.siem.max_backoff_s, 30);
    assert_int_equal(load_text(f, text, &c, &err), 0);
    assert_int_equal(http_config_check(&c, &err), 0);
    assert_string_equal(c.siem.target, "tls://[::1]:6514");
    assert_int_equal(c.siem.format, AUDIT_SIEM_CEF);
    assert_true(c.siem.no_events);
    assert_false(c.siem.no_audit);
    assert_true(c.siem.from_start);
    assert_string_equal(c.siem.hostname, "door-1");
    assert_int_equal(c.siem.resend_window_s, 5);
    assert_int_equal(c.siem.max_backoff_s, 10);
    assert_int_equal(http_config_set(&c, "siem", "streams", "events, audit", &err), 0);
    assert_false(c.siem.no_events || c.siem.no_audit);

    /* bad values name the file's line and the key, and change nothing */
    d = c;
    assert_int_equal(load_text(f, "[siem]\n\ntarget = syslog.example.org\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 3,
                  "siem.target: 'syslog.example.org' is not tcp://HOST:PORT or tls://HOST:PORT");
    assert_int_equal(load_text(f, "[siem]\nformat = leef\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "siem.format: json or cef");
    assert_int_equal(load_text(f, "[siem]\nstreams = events, alarms\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "siem.streams: 'events', 'audit' or 'events, audit'");
    assert_int_equal(load_text(f, "[siem]\nstart = yesterday\n", &c, &err), -EINVAL);
    assert_err_at(f, &err, 2, "siem.start: now or beginning");
    assert_memory_equal(&c, &d, sizeof(c));
    /* the whole is checked: a CA file that cannot be read; TLS settings with no target */
    gh_strlcpy(c.siem.ca_file, "/nonexistent/ca.pem", sizeof(c.siem.ca_file));
    assert_int_equal(http_config_check(&c, &err), -ENOENT);
    assert_true(strstr(err.msg, "siem.ca_file /nonexistent/ca.pem cannot be read") == err.msg);
    c.siem.target[0] = '\0';
    assert_int_equal(http_config_check(&c, &err), -EINVAL);
    assert_string_equal(err.msg, "siem: ca_file and server_name need a target");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_load_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_partial_keeps_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_syntax, setup, teardown),
        cmocka_unit_test(test_listen_forms),
        cmocka_unit_test(test_bools_and_sizes),
        cmocka_unit_test_setup_teardown(test_unknown_section_and_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values_name_file_line_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_error_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_then_bad_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_overrides, setup, teardown),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_set_long_path),
        cmocka_unit_test_setup_teardown(test_check_data_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_plain_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oidc_and_mfa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_siem, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
