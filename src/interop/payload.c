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

int event_make(struct event *ev, enum event_type type, int64_t door_id, int64_t person_id,
               int64_t credential_id, json_t *payload)
{
    memset(ev, 0, sizeof(*ev));
    ev->time_us = gh_now_us();
    ev->type = type;
    ev->door_id = door_id;
    ev->person_id = person_id;
    ev->credential_id = credential_id;
    ev->decision = -1;
    ev->reason = -1;
    return event_payload_set(ev, payload);
}
