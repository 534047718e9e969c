/*
 * ops.c: the operations routes: /healthz (the process answers), /readyz (the store takes a
 * write and a decision snapshot is loaded: what a load balancer should route on), /metrics
 * (Prometheus text) and /api/v1/whoami (the caller and its permissions).
 */
#include "http/handlers/handlers.h"

#include <stdlib.h>

HTTP_HANDLER(h_healthz)
{
    return http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

HTTP_HANDLER(h_readyz)
{
    struct store *st = http_store(r);
    int64_t version;
    char error[512];
    bool writable = false;
    json_t *body;

    /* writable: the write lock can be taken now (and is released at once) */
    if (st != NULL && store_begin_write(st) == 0) {
        writable = true;
        store_rollback(st);
    }
    pthread_mutex_lock(&r->srv->policy_mu);
    version = r->srv->snapshot_version;
    gh_strlcpy(error, r->srv->snapshot_error, sizeof(error));
    pthread_mutex_unlock(&r->srv->policy_mu);

    body = json_pack("{s:s, s:b, s:I}", "status", writable && version >= 0 ? "ready" : "not-ready",
                     "store_writable", writable, "snapshot_version", (json_int_t)version);
    if (body != NULL && error[0])
        json_object_set_new(body, "snapshot_error", json_string(error));
    if (!writable || version < 0)
        http_reply_header(r, "Retry-After", "1");
    return http_reply_json(r, writable && version >= 0 ? 200 : 503, body);
}

HTTP_HANDLER(h_metrics)
{
    struct gh_buf out;
    int rc;
    gh_buf_init(&out, 16u << 20);
    rc = http_metrics_render(r->srv, &out);
    if (rc == 0)
        rc = http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8",
                             out.data ? out.data : "", out.len);
    gh_buf_free(&out);
    return rc;
}

HTTP_HANDLER(h_whoami)
{
    json_t *perms = json_array();
    for (int p = PERM_FIRST; p < PERM_COUNT; p++)
        if (perm_has(r->caller.perms, (enum perm)p))
            json_array_append_new(perms, json_string(perm_name((enum perm)p)));
    return http_reply_json(r, 200,
                           json_pack("{s:s, s:I, s:s, s:o}", "kind",
                                     r->caller.kind == CALLER_TOKEN  ? "token"
                                     : r->caller.kind == CALLER_USER ? "user"
                                                                     : "local",
                                     "id", (json_int_t)r->caller.id, "name", r->caller.name,
                                     "permissions", perms));
}
