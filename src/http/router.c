/*
 * router.c: matching a request to the route table. Paths are split on '/', compared
 * segment by segment with each pattern; a "{name}" segment captures one non-empty
 * segment. The table is small (tens of routes), so a linear scan is both simple and fast
 * (well under a microsecond). A path that matches only with other methods is a 405 with
 * the allowed methods, not a 404. HEAD goes with GET (see head_of).
 */
#include "http/http_int.h"

#include <string.h>

size_t http_route_count(void)
{
    return http_routes_count;
}

void http_route_get(size_t i, struct http_route_info *out)
{
    const struct http_route *rt = &http_routes[i];
    out->method = rt->method;
    out->pattern = rt->pattern;
    out->perm = perm_name(rt->perm);
    out->request = rt->request;
    out->response = rt->response;
    out->summary = rt->summary;
}

/* Splits path (in place) into segments; -EINVAL when it is not absolute, has an empty
 * segment or is too deep. A trailing slash is ignored. */
static int split(char *path, char *segs[HTTP_MAX_SEGMENTS], int *n)
{
    char *p = path + 1;
    *n = 0;
    if (path[0] != '/')
        return -EINVAL;
    while (*p != '\0') {
        char *slash = strchr(p, '/');
        if (slash == p)
            return -EINVAL;
        if (*n == HTTP_MAX_SEGMENTS)
            return -EINVAL;
        segs[(*n)++] = p;
        if (slash == NULL)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    return 0;
}

/* Matches one pattern against the split path; fills params. */
static bool match(const char *pattern, char *const segs[], int n,
                  struct http_param params[HTTP_MAX_PARAMS], int *n_params)
{
    const char *p = pattern;
    int i = 0;
    *n_params = 0;
    while (*p == '/') {
        const char *start = ++p;
        size_t len;
        while (*p != '\0' && *p != '/')
            p++;
        len = (size_t)(p - start);
        if (len == 0)
            break;
        if (i >= n)
            return false;
        if (start[0] == '{' && start[len - 1] == '}') {
            if (*n_params == HTTP_MAX_PARAMS)
                return false;
            params[*n_params].name = start + 1;
            params[*n_params].name_len = len - 2;
            params[*n_params].value = segs[i];
            (*n_params)++;
        } else if (strlen(segs[i]) != len || memcmp(segs[i], start, len) != 0) {
            return false;
        }
        i++;
    }
    return i == n;
}

/* HEAD is answered as GET without the body (libmicrohttpd sends no body for HEAD), for
 * GET routes that reply at once; a stream (events, exports) is GET only. */
static bool head_of(const struct http_route *rt, const char *method)
{
    return strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0 &&
           !(rt->flags & HTTP_ROUTE_STREAM);
}

/* Appends a method to the Allow list if it fits whole (a cut name is never written, and
 * nothing after it). */
static void allow_add(char *allow, size_t allow_len, size_t *used, const char *m)
{
    if (*used >= allow_len)
        return;
    if (gh_snprintf(allow + *used, allow_len - *used, "%s%s", *used ? ", " : "", m) == 0) {
        *used += strlen(allow + *used);
    } else {
        allow[*used] = '\0';
        *used = allow_len; /* the list ends before the first name that does not fit */
    }
}

int http_route_match(const char *method, const char *path, char *scratch, size_t scratch_len,
                     struct http_param params[HTTP_MAX_PARAMS], int *n_params, char *allow,
                     size_t allow_len)
{
    char *segs[HTTP_MAX_SEGMENTS];
    int n, found = -ENOENT;
    size_t used = 0;

    if (gh_strlcpy(scratch, path, scratch_len) >= scratch_len)
        return -ENOENT;
    if (split(scratch, segs, &n) < 0)
        return -ENOENT;
    if (allow_len > 0)
        allow[0] = '\0';
    for (size_t r = 0; r < http_routes_count; r++) {
        struct http_param tmp[HTTP_MAX_PARAMS];
        int nt;
        if (!match(http_routes[r].pattern, segs, n, tmp, &nt))
            continue;
        if (strcmp(http_routes[r].method, method) == 0 || head_of(&http_routes[r], method)) {
            memcpy(params, tmp, sizeof(tmp));
            *n_params = nt;
            return (int)r;
        }
        found = -EPERM;
        allow_add(allow, allow_len, &used, http_routes[r].method);
        if (strcmp(http_routes[r].method, "GET") == 0 &&
            !(http_routes[r].flags & HTTP_ROUTE_STREAM))
            allow_add(allow, allow_len, &used, "HEAD");
    }
    return found;
}
