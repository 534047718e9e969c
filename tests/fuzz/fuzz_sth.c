/*
 * fuzz_sth.c: libFuzzer target for a saved signed tree head as `audit verify --since-sth`
 * reads it (audit_sth_parse in src/audit/log.c): the file comes from wherever the auditor
 * kept it. Accepted: it prints back to the same head; refused: the head zeroed and a
 * terminated message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct audit_sth h, back;
    struct gh_err err;
    char json[AUDIT_STH_JSON_MAX];
    if (audit_sth_parse((const char *)data, size, &h, &err) == 0) {
        if (audit_sth_to_json(&h, json, sizeof(json)) < 0 ||
            audit_sth_parse(json, strlen(json), &back, &err) != 0 ||
            memcmp(&h, &back, sizeof(h)) != 0)
            abort();
    } else {
        static const struct audit_sth zero;
        if (memcmp(&h, &zero, sizeof(h)) != 0 ||
            strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
            abort();
    }
    return 0;
}
