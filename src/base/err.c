/*
 * err.c: error messages for users and the log.
 *
 * The design is simple: a function that rejects input writes one sentence into the caller's
 * struct gh_err and returns a negative code; callers may prefix where it happened
 * ("roster.csv:4:2: ..."). The log is a line per message on stderr with a UTC timestamp,
 * the level, the function and, for errors, the code's text.
 */
#include "base/base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gh_fail(struct gh_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code < 0 ? code : -EINVAL;
}

void gh_err_prefix(struct gh_err *err, const char *fmt, ...)
{
    char prefix[256];
    char old[sizeof(err->msg)];
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    gh_strlcpy(old, err->msg, sizeof(old));
    (void)gh_snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old); /* may truncate */
}

const char *gh_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case -EINVAL:
        return "invalid input";
    case -ENOENT:
        return "not found";
    case -EEXIST:
        return "already exists";
    case -ENOSPC:
        return "limit reached";
    case -EPROTO:
        return "malformed data";
    case -ERANGE:
        return "out of range";
    case -EIO:
        return "storage error";
    case -EBUSY:
        return "busy";
    case -ENOTSUP:
        return "not supported";
    case -ECANCELED:
        return "cancelled";
    default:
        break;
    }
    if (code < 0 && code > -4096)
        return strerror(-code);
    return "unknown error";
}

static enum log_level g_level = LOG_WARN;
static pthread_once_t g_level_once = PTHREAD_ONCE_INIT;

static void log_level_from_env(void)
{
    const char *v = getenv("GATEHOUSE_LOG");
    if (v == NULL)
        return;
    if (strcmp(v, "error") == 0)
        g_level = LOG_ERROR;
    else if (strcmp(v, "warn") == 0)
        g_level = LOG_WARN;
    else if (strcmp(v, "info") == 0)
        g_level = LOG_INFO;
    else if (strcmp(v, "debug") == 0)
        g_level = LOG_DEBUG;
}

void log_set_level(enum log_level level)
{
    pthread_once(&g_level_once, log_level_from_env);
    g_level = level;
}

enum log_level log_get_level(void)
{
    pthread_once(&g_level_once, log_level_from_env);
    return g_level;
}

void log_msg(enum log_level level, const char *func, int code, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    char line[1024];
    char ts[GH_ISO_LEN];
    va_list ap;

    if (level > log_get_level())
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    gh_format_iso(gh_now_us(), ts);
    if (code != 0)
        fprintf(stderr, "%s %s %s: %s: %s\n", ts, names[level], func, line, gh_strerror(code));
    else
        fprintf(stderr, "%s %s %s: %s\n", ts, names[level], func, line);
}
