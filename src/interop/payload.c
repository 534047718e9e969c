/*
 * payload.c: event payloads built with jansson, never with printf, so no value can break
 * the JSON; a payload that does not fit an event is an error, never cut short.
 */
#include "interop/interop.h"

#include <stdlib.h>
#include <string.h>

int event_payload_set(struct event *ev, json_t *payload)
{
    char *text;
    size_t len;
    if (payload == NULL)
        return -ENOMEM; /* json_pack failed: a NULL string or no memory */
    text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    if (text == NULL)
        return -ENOMEM;
    len = strlen(text);
    if (len >= sizeof(ev->payload)) {
        free(text);
        return -ENOSPC;
    }
    memcpy(ev->payload, text, len + 1);
    free(text);
    return 0;
}
