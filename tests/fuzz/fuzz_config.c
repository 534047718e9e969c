/*
 * fuzz_config.c: libFuzzer target for the server's configuration file (src/http/config.c:
 * inih with a line-counting reader, and every key's value parser).
 *
 * The input is the file's text, handed over through a memfd (/proc/self/fd/N), so the real
 * loading path runs. A refused file must say why and leave the configuration exactly as it
 * was; an accepted one must hold values inside every documented range. Anything else aborts.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ranges(const struct http_config *c)
{
    if (c->threads < 1 || c->threads > 64 || c->max_body < 1024 || c->max_body > (64u << 20) ||
        c->max_upload < 1024 || c->max_upload > (1u << 30) || c->max_header < 4096 ||
        c->max_header > (1u << 20) || c->max_json_depth < 2 || c->max_json_depth > 256 ||
        c->request_timeout_s < 1 || c->request_timeout_s > 3600 || c->max_connections < 4 ||
        c->max_connections > 65536 || c->max_sse_clients > 65536 || c->sse_heartbeat_s < 1 ||
        c->sse_heartbeat_s > 3600 || c->max_exports < 1 || c->max_exports > 64 || c->workers < 1 ||
        c->workers > 16 || c->max_queue < 1 || c->max_queue > 4096 || c->session_idle_s < 60 ||
        c->session_idle_s > 86400 || c->session_lifetime_s < 300 ||
        c->session_lifetime_s > 30 * 86400 || c->port > 65535 ||
        memchr(c->data_dir, '\0', sizeof(c->data_dir)) == NULL ||
        memchr(c->tls_cert, '\0', sizeof(c->tls_cert)) == NULL ||
        memchr(c->tls_key, '\0', sizeof(c->tls_key)) == NULL ||
        memchr(c->listen_addr, '\0', sizeof(c->listen_addr)) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_config before, c;
    struct gh_err err = {{0}};
    char path[64];
    int fd;

    if (size > 64 * 1024)
        return 0;
    fd = memfd_create("gatehouse.ini", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    http_config_init(&c);
    before = c;
    if (http_config_load(path, &c, &err) == 0) {
        check_ranges(&c);
    } else if (err.msg[0] == '\0' || memcmp(&c, &before, sizeof(c)) != 0) {
        abort(); /* a refusal says why and changes nothing */
    }
    close(fd);
    return 0;
}
