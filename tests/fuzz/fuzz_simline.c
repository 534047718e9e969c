/*
 * fuzz_simline.c: libFuzzer target for the edge simulator's line protocol
 * (src/edge/simline.c). The input is split at LF into lines, each parsed as the driver
 * parses them; an accepted command must be well-formed (a terminated door of allowed
 * characters, bits of 0 and 1, a PIN of digits), a refusal must leave the output zeroed
 * with a terminated message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edge/edge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct edge_sim_cmd *c)
{
    size_t n = strnlen(c->door, sizeof(c->door));
    if (c->verb == SIM_ADVANCE) {
        if (n != 0 || c->seconds < 1 || c->seconds > EDGE_SIM_ADVANCE_MAX || c->nbits != 0)
            abort();
        return;
    }
    if (n == 0 || n == sizeof(c->door) ||
        strspn(c->door, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
                        "KLMNOPQRSTUVWXYZ0123456789._:-") != n)
        abort();
    if (c->nbits > EDGE_SIM_MAX_BITS || (c->verb != SIM_SWIPE && c->nbits != 0))
        abort();
    for (size_t i = 0; i < c->nbits; i++)
        if (c->bits[i] > 1)
            abort();
    n = strnlen(c->pin, sizeof(c->pin));
    if (n == sizeof(c->pin) || strspn(c->pin, "0123456789") != n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        struct edge_sim_cmd c;
        struct gh_err err;
        if (edge_sim_parse(p, len, &c, &err) == 0) {
            check(&c);
        } else {
            static const struct edge_sim_cmd zero;
            if (memcmp(&c, &zero, sizeof(c)) != 0 ||
                strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
                abort();
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return 0;
}
