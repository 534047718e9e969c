/*
 * fuzz_tzif.c: feeds arbitrary bytes to tz_parse() (TZif files are read from disk and
 * may come from an untrusted tzdata copy). Any accepted image is then queried at fixed
 * instants, at its own transitions and at instants taken from the input, both ways
 * (UTC -> local and local -> UTC), so the lookup and footer-rule code is exercised too.
 * Seed corpus: tests/fuzz/corpus/tzif/ holds real zone files from /usr/share/zoneinfo
 * (v2 fat and slim-style, half-hour DST, no DST, UTC) and damaged copies of them
 * (truncated, flipped magic, huge counts, bad type index, bad footer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void probe(const struct gh_tz *tz, int64_t t_s)
{
    struct gh_local l;
    int64_t t_us = t_s > INT64_MAX / GH_USEC_PER_SEC || t_s < INT64_MIN / GH_USEC_PER_SEC
                       ? t_s
                       : t_s * GH_USEC_PER_SEC;
    int32_t off = tz_offset_at(tz, t_s);
    bool dst = tz_is_dst_at(tz, t_s);
    int64_t back;

    tz_local(tz, t_us, &l);
    if (off < -25 * 3600 || off > 26 * 3600 || l.second >= 86400 || l.minute >= 1440 ||
        l.weekday >= 7 || l.minute != l.second / 60)
        abort();
    back = tz_utc_from_local(tz, l.days, l.second);
    (void)back;
    (void)dst;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t fixed[] = {
        INT64_MIN,
        INT64_MIN / 1000000,
        -2208988800 /* 1900 */,
        -1,
        0,
        1,
        1774746000 /* 2026-03-29T01:00Z */,
        1792890000,
        2147483647,
        2147483648,
        3794173200 /* 2090 */,
        INT64_C(253402300799) /* 9999 */,
        INT64_MAX / 1000000,
        INT64_MAX,
    };
    struct gh_tz *tz = NULL;
    struct gh_err err;

    if (tz_parse("Fuzz/Zone", data, size, &tz, &err) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        probe(tz, fixed[i]);
    /* instants read from the input itself, which hits its transition times and their
     * neighbours now and then */
    for (size_t i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
        uint64_t u;
        int64_t t;
        memcpy(&u, data + i, 8);
        t = (int64_t)(u >> 1) - (int64_t)(INT64_MAX / 2);
        probe(tz, t);
        probe(tz, t % (INT64_C(1) << 36));
    }
    if (strcmp(tz_name(tz), "Fuzz/Zone") != 0)
        abort();
    tz_free(tz);
    return 0;
}
