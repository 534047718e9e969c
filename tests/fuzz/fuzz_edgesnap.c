/*
 * fuzz_edgesnap.c: libFuzzer target for a controller's snapshot document
 * (access_edge_import in src/access/edgesnap.c), the largest message a controller takes
 * from the server. A refused document must come back as nothing with a terminated message;
 * an accepted one must answer decisions at each of its doors without fault.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct access_snapshot *snap = NULL;
    struct access_edge_info info;
    struct gh_err err;
    int n;

    if (access_edge_import((const char *)data, size, NULL, &snap, &info, &err) != 0) {
        if (snap != NULL || strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
            abort();
        return 0;
    }
    n = access_snapshot_door_count(snap);
    for (int i = 0; i < n; i++) {
        struct access_door_info d;
        struct access_request rq;
        struct access_result res;
        if (access_snapshot_door_at(snap, i, &d) != 0)
            abort();
        memset(&rq, 0, sizeof(rq));
        rq.door_id = d.id;
        rq.cred.card.format = CRED_FMT_H10301;
        rq.cred.card.facility = (uint32_t)i;
        rq.cred.card.number = (uint64_t)size;
        rq.pin = "1234";
        rq.time_us = info.issued_us;
        if (access_decide(snap, NULL, &rq, &res, NULL) != 0)
            abort();
    }
    access_snapshot_free(snap);
    return 0;
}
