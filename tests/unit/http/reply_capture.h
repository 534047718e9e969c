/*
 * reply_capture.h: for the unit tests of src/http that look at replies. A link-time stand-in
 * for libmicrohttpd's buffer responses: reply.c builds every JSON and problem+json reply with
 * MHD_create_response_from_buffer() and MHD_add_response_header(), which libmicrohttpd gives
 * no way to read back. A test program that includes this header defines those functions (and
 * MHD_get_response_header / MHD_destroy_response) itself; the linker resolves gh_http's calls
 * to the program's definitions before libmicrohttpd's, so a test can read the status, the
 * headers and the body of what a helper replied. No daemon is involved.
 *
 * Include it from one file of a test program only (it defines external functions). Every
 * reply a test causes must be released with reply_free() (ASan checks for leaks).
 */
#ifndef GH_TEST_REPLY_CAPTURE_H
#define GH_TEST_REPLY_CAPTURE_H

#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

#define CAPTURE_HEADERS 8

struct MHD_Response {
    char *body;
    size_t len;
    int n_headers;
    struct {
        char name[64];
        char value[512];
    } headers[CAPTURE_HEADERS];
};

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = calloc(1, sizeof(*resp));
    if (resp == NULL)
        return NULL;
    resp->body = malloc(size + 1);
    if (resp->body == NULL) {
        free(resp);
        return NULL;
    }
    if (size > 0)
        memcpy(resp->body, buffer, size);
    resp->body[size] = '\0';
    resp->len = size;
    if (mode == MHD_RESPMEM_MUST_FREE)
        free(buffer);
    return resp;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
                                        const char *content)
{
    if (response->n_headers == CAPTURE_HEADERS)
        return MHD_NO;
    gh_strlcpy(response->headers[response->n_headers].name, header,
               sizeof(response->headers[0].name));
    gh_strlcpy(response->headers[response->n_headers].value, content,
               sizeof(response->headers[0].value));
    response->n_headers++;
    return MHD_YES;
}

const char *MHD_get_response_header(struct MHD_Response *response, const char *key)
{
    for (int i = 0; i < response->n_headers; i++)
        if (strcmp(response->headers[i].name, key) == 0)
            return response->headers[i].value;
    return NULL;
}

void MHD_destroy_response(struct MHD_Response *response)
{
    if (response == NULL)
        return;
    free(response->body);
    free(response);
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* A request as the server makes it before the route runs: no connection, no server. */
static inline void req_init(struct http_req *r, const char *method, const char *url)
{
    memset(r, 0, sizeof(*r));
    gh_strlcpy(r->id, "r7", sizeof(r->id));
    r->method = method;
    r->url = url;
}

/* Releases the reply (if any) and the parsed body of a request made with req_init(). */
static inline void req_free(struct http_req *r)
{
    MHD_destroy_response(r->response);
    r->response = NULL;
    json_decref(r->json);
    r->json = NULL;
}

/* The body of the reply, parsed (the caller decrefs). Fails the test if it is not JSON. */
static inline json_t *reply_json(const struct http_req *r)
{
    json_error_t je;
    json_t *v;
    assert_non_null(r->response);
    v = json_loadb(r->response->body, r->response->len, 0, &je);
    if (v == NULL)
        fail_msg("reply is not JSON (%s): %s", je.text, r->response->body);
    return v;
}

/* Checks that r holds a problem+json reply with this status, slug and detail (NULL: any),
 * and returns its "errors" array (a new reference, or NULL when it has none). The reply is
 * released and r made ready for another one. */
static inline json_t *take_problem(struct http_req *r, unsigned status, const char *slug,
                                   const char *detail)
{
    char type[128];
    json_t *body, *errors;
    assert_true(r->replied);
    assert_int_equal(r->status, status);
    assert_non_null(r->response);
    assert_string_equal(MHD_get_response_header(r->response, "Content-Type"),
                        "application/problem+json");
    body = reply_json(r);
    gh_snprintf(type, sizeof(type), "https://gatehouse.dev/problems/%s", slug);
    assert_string_equal(json_string_value(json_object_get(body, "type")), type);
    assert_int_equal(json_integer_value(json_object_get(body, "status")), status);
    assert_string_equal(json_string_value(json_object_get(body, "instance")), r->id);
    assert_non_null(json_string_value(json_object_get(body, "title")));
    if (detail != NULL)
        assert_string_equal(json_string_value(json_object_get(body, "detail")), detail);
    errors = json_object_get(body, "errors");
    json_incref(errors);
    json_decref(body);
    MHD_destroy_response(r->response);
    r->response = NULL;
    r->replied = false;
    r->status = 0;
    return errors;
}

/* The detail recorded for `field` in an errors array, or NULL. */
static inline const char *error_for(json_t *errors, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return json_string_value(json_object_get(e, "detail"));
    }
    return NULL;
}

#endif
