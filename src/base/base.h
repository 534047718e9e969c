/*
 * base.h: the foundation every other module uses: error codes, messages for users,
 * logging, allocation, bounded strings and buffers, number parsing, time and time zones.
 *
 * Errors: functions return 0 on success or a negative errno-style code (-EINVAL, -ENOENT,
 * ...). Functions that reject user input also fill a `struct gh_err` with a message that
 * says what was wrong and where (file:line:column or field name).
 *
 * Allocation: xmalloc() and friends abort on out-of-memory (the only error that is not
 * propagated); everything else is returned.
 *
 * Thread-safety: everything here is thread-safe unless a function says otherwise. A
 * struct gh_tz is immutable after tz_load() and may be shared between threads.
 */
#ifndef GH_BASE_H
#define GH_BASE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define GH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define GH_NORETURN     __attribute__((noreturn))
#else
#define GH_PRINTF(f, a)
#define GH_NORETURN
#endif

/* ---- errors ------------------------------------------------------------------------- */

/* A message for the user, filled by functions that reject input. Fixed size, no allocation. */
struct gh_err {
    char msg[512];
};

/* Sets err->msg (if err is not NULL) and returns code (negative), for `return gh_fail(...)`. */
int gh_fail(struct gh_err *err, int code, const char *fmt, ...) GH_PRINTF(3, 4);
/* Prefixes err->msg with "prefix: " (e.g. a file name or a field), keeping what was there. */
void gh_err_prefix(struct gh_err *err, const char *fmt, ...) GH_PRINTF(2, 3);
/* Text for a negative code. Never NULL. */
const char *gh_strerror(int code);

/* ---- logging ------------------------------------------------------------------------ */

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Level from GATEHOUSE_LOG (error|warn|info|debug), default warn. Lines go to stderr. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *func, int code, const char *fmt, ...)
    GH_PRINTF(4, 5);

#define log_err_f(code, ...) log_msg(LOG_ERROR, __func__, (code), __VA_ARGS__)
#define log_error(...)       log_msg(LOG_ERROR, __func__, 0, __VA_ARGS__)
#define log_warn(...)        log_msg(LOG_WARN, __func__, 0, __VA_ARGS__)
#define log_info(...)        log_msg(LOG_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...)       log_msg(LOG_DEBUG, __func__, 0, __VA_ARGS__)

/* ---- allocation: abort on out-of-memory --------------------------------------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
GH_NORETURN void gh_oom(void);

/* ---- strings ------------------------------------------------------------------------ */

/* Copies at most dstsize-1 bytes and NUL-terminates; returns strlen(src) (truncated if >=). */
size_t gh_strlcpy(char *dst, const char *src, size_t dstsize);
/* snprintf that reports truncation: returns 0, or -ENOSPC if it did not fit. */
int gh_snprintf(char *dst, size_t size, const char *fmt, ...) GH_PRINTF(3, 4);
/* Length (1..4) of the well-formed UTF-8 sequence at s within len bytes; 0 if there is
 * none (bad lead byte, truncated, overlong, surrogate, past U+10FFFF). */
size_t gh_utf8_seq(const char *s, size_t len);
/* Replaces, in place, each byte of s that does not start a well-formed UTF-8 sequence with
 * '?' (text that quotes input, or was truncated mid-character, made safe for JSON). */
void gh_utf8_mend(char *s);
/* True if s is valid UTF-8 with no control characters other than tab (for names etc.). */
bool gh_utf8_valid_text(const char *s, size_t len);
/* Percent-encodes s (all but RFC 3986's unreserved characters) into out: 0, or -ENOSPC
 * (out is then ""); 3 * strlen(s) + 1 bytes always suffice. */
int gh_url_encode(const char *s, char *out, size_t len);
/* Case-insensitive ASCII equality. */
bool gh_streq_nocase(const char *a, const char *b);
/* True if needle occurs in haystack, ASCII case ignored (an empty needle always does). */
bool gh_contains_nocase(const char *haystack, const char *needle);

/* Parses a whole decimal integer in [min, max]; -EINVAL if not a number, -ERANGE outside. */
int gh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int gh_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* A growable byte buffer with a hard maximum set at creation (curl's dynbuf). */
struct gh_buf {
    char *data; /* NUL-terminated when len > 0 or after gh_buf_cstr() */
    size_t len;
    size_t cap;
    size_t max;
};
void gh_buf_init(struct gh_buf *b, size_t max);
/* -ENOSPC (buffer unchanged) when the result would exceed max. */
int gh_buf_append(struct gh_buf *b, const void *data, size_t len);
int gh_buf_printf(struct gh_buf *b, const char *fmt, ...) GH_PRINTF(2, 3);
const char *gh_buf_cstr(struct gh_buf *b);
void gh_buf_reset(struct gh_buf *b);
void gh_buf_free(struct gh_buf *b);

/* ---- files ------------------------------------------------------------------------ */

/* Reads a whole regular file of at most max bytes into a NUL-terminated buffer the caller
 * frees. -ENOENT (missing), -EINVAL (not a regular file), -EFBIG (over max), or the
 * errno of a failed read; err names the path. */
int gh_read_file(const char *path, size_t max, char **out, size_t *len, struct gh_err *err);
/* Replaces path with data atomically: PATH.tmp written (mode), fsynced, renamed over path,
 * and the directory fsynced; a crash leaves the old file or the new one, never a mix. */
int gh_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct gh_err *err);

/* ---- time --------------------------------------------------------------------------- */

/* All times are int64 microseconds since the Unix epoch, UTC. */
#define GH_USEC_PER_SEC INT64_C(1000000)
#define GH_TIME_MIN     INT64_MIN
#define GH_TIME_MAX     INT64_MAX

int64_t gh_now_us(void);
int64_t gh_monotonic_us(void);

/* Civil date helpers (proleptic Gregorian). days = days since 1970-01-01. */
int64_t gh_days_from_civil(int64_t y, unsigned m, unsigned d);
void gh_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* 0 = Monday ... 6 = Sunday (ISO). */
unsigned gh_weekday_from_days(int64_t days);
/* "Mon" ... "Sun" for 0..6, "?" otherwise. */
const char *gh_weekday_name(unsigned weekday);

/* "2026-03-08T07:55:00.000000Z". buf at least 32 bytes. */
#define GH_ISO_LEN 32
void gh_format_iso(int64_t t_us, char buf[GH_ISO_LEN]);
/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.ffffff]]" followed by "Z" or "+HH:MM"/"-HH:MM".
 * Without an offset, the time is taken in zone tz (or UTC when tz is NULL). */
struct gh_tz;
int gh_parse_time(const char *s, const struct gh_tz *tz, int64_t *out, struct gh_err *err);
/* Parses "YYYY-MM-DD" into days since epoch. */
int gh_parse_date(const char *s, int64_t *days, struct gh_err *err);
/* Parses a duration: "90s", "15m", "8h", "30d" (or plain seconds). Returns microseconds. */
int gh_parse_duration(const char *s, int64_t *out_us, struct gh_err *err);

/* ---- time zones (src/base/tz.c): IANA zones from the system's TZif files -------------- */

/* A loaded zone: transitions from the TZif file plus its POSIX TZ footer rule for times
 * beyond the table (before the first transition, time type 0 applies, as RFC 8536 says).
 * Immutable once loaded; caller frees with tz_free(). Every function below treats a NULL
 * zone as UTC. Leap-second ("right/") files are rejected. */

/* Loads zone `name` ("Europe/Berlin", "UTC") from $GATEHOUSE_ZONEINFO or
 * /usr/share/zoneinfo. Names are checked (no "..", no leading '/', only [A-Za-z0-9_+-/]).
 * -ENOENT for an unknown zone, -EINVAL for a bad name or a malformed file; err says which. */
int tz_load(const char *name, struct gh_tz **out, struct gh_err *err);
/* Parses a TZif image from memory (used by tz_load and the fuzz target). */
int tz_parse(const char *name, const uint8_t *data, size_t len, struct gh_tz **out,
             struct gh_err *err);
void tz_free(struct gh_tz *tz);
const char *tz_name(const struct gh_tz *tz);
/* Offset of local time from UTC (seconds, east positive) at UTC instant t_s. */
int32_t tz_offset_at(const struct gh_tz *tz, int64_t t_s);
/* Whether daylight saving time is in effect at UTC instant t_s. */
bool tz_is_dst_at(const struct gh_tz *tz, int64_t t_s);

/* Local wall-clock view of a UTC instant in a zone. */
struct gh_local {
    int64_t days;       /* local days since 1970-01-01 */
    unsigned weekday;   /* 0 = Monday ... 6 = Sunday */
    unsigned minute;    /* minute of the local day, 0..1439 */
    unsigned second;    /* second of the local day, 0..86399 */
    int32_t utc_offset; /* seconds east of UTC */
};
void tz_local(const struct gh_tz *tz, int64_t t_us, struct gh_local *out);
/* The UTC instant (seconds) of a local wall-clock time (days, second of day). In a gap
 * (spring forward) the time is moved forward by the gap; in an overlap the earlier instant
 * wins. days is clamped to +-2^40. */
int64_t tz_utc_from_local(const struct gh_tz *tz, int64_t days, unsigned second_of_day);

/* ---- HTTP Message Signatures (RFC 9421) with ed25519 ------------------------------------
 * What the controller signs and the server checks: the signature base (RFC 9421 section
 * 2.5) of the covered components, in order, and the signature parameters, signed with
 * Ed25519 (section 3.3.6, libsodium). The caller gives each component's value (a header
 * field's value, or a derived component such as @method or @path). Components are plain
 * names (no component parameters): "@" and a lower-case letter, or a lower-case field
 * name; at most GH_SIG_MAX_COMPONENTS, none twice. */
#define GH_SIG_MAX_COMPONENTS 16
#define GH_SIG_B64_LEN        89 /* base64 of 64 bytes + NUL */

struct gh_sig_component {
    const char *name;  /* "@method", "content-digest", ... */
    const char *value; /* no CR or LF, no leading or trailing space */
};

/* The signature parameters as they appear in Signature-Input and in the base:
 * ("a" "b");created=N[;nonce="..."];keyid="..."[;alg="ed25519"]. nonce and alg may be NULL;
 * keyid and nonce are 1..255 printable ASCII characters without " or backslash. */
int gh_sig_params(const struct gh_sig_component *c, size_t n, int64_t created, const char *nonce,
                  const char *keyid, const char *alg, struct gh_buf *out, struct gh_err *err);
/* The signature base for components c[0..n) and params (from gh_sig_params, or as received). */
int gh_sig_base(const struct gh_sig_component *c, size_t n, const char *params, struct gh_buf *out,
                struct gh_err *err);
/* Signs base with the 64-byte libsodium secret key: the standard base64 of the signature. */
int gh_sig_sign(const uint8_t sk[64], const char *base, size_t len, char out[GH_SIG_B64_LEN]);
/* 0 when sig_b64 (standard base64) is base's Ed25519 signature by pk; -EACCES otherwise
 * (also for a signature that does not decode to 64 bytes). */
int gh_sig_verify(const uint8_t pk[32], const char *base, size_t len, const char *sig_b64);

/* An Ed25519 key pair in DIR/NAME (src/base/signkey.c): the 64-byte secret key, made once
 * (0600, exclusive create, file and directory fsynced) and read back on every start; a
 * file others may read, a symlink or a wrong size is refused with what to do. 0 with pk
 * and sk filled (*created: made now), or a negative code with err naming the file. The
 * caller wipes sk (sodium_memzero) when done. */
int gh_sign_key_load_or_create(const char *dir, const char *name, uint8_t pk[32],
                               uint8_t sk[64], bool *created, struct gh_err *err);
/* A random secret of size bytes in DIR/NAME, made and kept as the key pair above (the
 * webhooks' HMAC key). The caller wipes buf when done. */
int gh_secret_load_or_create(const char *dir, const char *name, uint8_t *buf, size_t size,
                             bool *created, struct gh_err *err);
/* The SHA-256 of a string, in hex. */
void gh_sha256_hex(const char *s, char hex[65]);
/* A one-time token (24 random bytes, base64url) and its SHA-256 in hex, which is what is
 * stored (a controller's enrollment token). The caller wipes the token once shown. */
#define GH_ONETIME_TOKEN_LEN 33
void gh_onetime_token(char token[GH_ONETIME_TOKEN_LEN], char hash_hex[65]);

/* The Content-Digest field (RFC 9530) of a body with SHA-256: "sha-256=:BASE64:". */
#define GH_DIGEST_LEN 55 /* "sha-256=:" + 44 + ":" + NUL */
void gh_content_digest(const void *body, size_t len, char out[GH_DIGEST_LEN]);

/* A received Signature-Input header with one signature, in the canonical form
 * gh_sig_params writes (anything else is refused: the server only talks to its own
 * controllers, and one form means one base): LABEL=("c1" ...);created=N[;nonce="..."]
 * ;keyid="..."[;alg="ed25519"]. At most GH_SIG_HEADER_MAX bytes. */
#define GH_SIG_HEADER_MAX 2048
#define GH_SIG_LABEL_MAX  33  /* 32 + NUL */
#define GH_SIG_NAME_MAX   65  /* 64 + NUL */
#define GH_SIG_PARAM_MAX  256 /* 255 + NUL */
struct gh_sig_input {
    char label[GH_SIG_LABEL_MAX];
    char names[GH_SIG_MAX_COMPONENTS][GH_SIG_NAME_MAX];
    size_t n;
    int64_t created;
    char nonce[GH_SIG_PARAM_MAX]; /* "" when absent */
    char keyid[GH_SIG_PARAM_MAX];
    char alg[GH_SIG_PARAM_MAX];     /* "" when absent, else "ed25519" */
    char params[GH_SIG_HEADER_MAX]; /* the text after "LABEL=": the base's last line */
};
/* 0 and *out filled, or -EINVAL with err saying what is wrong (and where); *out zeroed. */
int gh_sig_input_parse(const char *header, struct gh_sig_input *out, struct gh_err *err);
/* The signature of label in a Signature header (LABEL=:BASE64:), into out (standard
 * base64 of 64 bytes). -EINVAL when the header is not exactly that. */
int gh_sig_value_parse(const char *header, const char *label, char out[GH_SIG_B64_LEN],
                       struct gh_err *err);

#endif
