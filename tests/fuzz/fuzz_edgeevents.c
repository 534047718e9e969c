/*
 * fuzz_edgeevents.c: libFuzzer target for a controller's event upload as the server reads
 * it (http_edge_events_parse in src/http/handlers/edge.c), after the JSON body parser with
 * its limits. Accepted: every event in sequence order with no gap, a known type, a payload
 * that fits; refused: nothing returned and a terminated message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = NULL;
    struct event *evs = NULL;
    struct gh_err err;
    size_t n = 0;

    if (size > 256 * 1024 || http_json_parse((const char *)data, size, 32, &body, &err) < 0)
        return 0;
    if (http_edge_events_parse(body, 7, &evs, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (evs[i].source != 7 || evs[i].source_seq < 1 || evs[i].type >= EV_TYPE_COUNT ||
                strnlen(evs[i].payload, sizeof(evs[i].payload)) == sizeof(evs[i].payload) ||
                (i > 0 && evs[i].source_seq != evs[i - 1].source_seq + 1))
                abort();
        }
        free(evs);
    } else if (evs != NULL || n != 0 || strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg)) {
        abort();
    }
    json_decref(body);
    return 0;
}
