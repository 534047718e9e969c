/*
 * console.c: serves the operator console (web/, built by Vite and embedded at build time,
 * see cmake/embed_console.cmake): its files by exact path, and index.html for any other
 * path outside /api/ that does not name a file (the console routes in the browser).
 * Hashed assets are cached for a year; index.html never (so a new build takes effect).
 */
#include "http/http_int.h"

#include <string.h>

static const struct http_console_file *find(const char *path)
{
    for (size_t i = 0; i < http_console_count; i++)
        if (strcmp(http_console_files[i].path, path) == 0)
            return &http_console_files[i];
    return NULL;
}

int http_console_reply(struct http_req *r)
{
    const struct http_console_file *f;
    const char *path = r->url, *last;
    struct MHD_Response *resp;
    if ((strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) ||
        strncmp(path, "/api/", 5) == 0 || http_console_count == 0)
        return -ENOENT;
    f = find(path);
    last = strrchr(path, '/');
    if (f == NULL && (strcmp(path, "/index.html") == 0 || strchr(last ? last : path, '.') == NULL))
        f = find("/index.html"); /* a console route: the page decides what to show */
    if (f == NULL)
        return -ENOENT;
    resp = MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return -ENOMEM;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
    MHD_add_response_header(
        resp, MHD_HTTP_HEADER_CACHE_CONTROL,
        strncmp(f->path, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable" : "no-store");
    return http_reply_response(r, 200, resp);
}
