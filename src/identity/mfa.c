/*
 * mfa.c: two-factor sign-in with TOTP (RFC 6238 via liboath): enrollment with an
 * otpauth:// URI and its QR code (libqrencode, drawn as SVG here), keys sealed at rest with
 * a key derived from the site key, ±1 time step with each code accepted once, and
 * single-use recovery codes stored as keyed hashes.
 */
#include "identity/identity_int.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_status;

static void oath_start(void)
{
    oath_status = oath_init();
}

static _Atomic role_set mfa_roles = IDENTITY_MFA_DEFAULT_ROLES;

void identity_mfa_policy_set(role_set roles)
{
    mfa_roles = roles;
}

role_set identity_mfa_policy(void)
{
    return mfa_roles;
}

bool identity_mfa_required(role_set roles)
{
    return (roles & mfa_roles) != 0;
}

bool identity_mfa_missing(const struct user *u)
{
    /* a provider's users prove a second factor to the provider (checked at each sign-in) */
    return u->source != USER_OIDC && u->totp_secret_len == 0 &&
           identity_mfa_required(identity_user_roles(u));
}

/* The key that seals TOTP keys, and the one that hashes recovery codes, from the site key. */
static void derive(uint8_t out[32], uint64_t id, const uint8_t site_key[32])
{
    crypto_kdf_derive_from_key(out, 32, id, "gh_mfa__", site_key);
}

static size_t seal(uint8_t *box, const uint8_t *key, size_t len, const uint8_t site_key[32])
{
    uint8_t k[32];
    derive(k, 1, site_key);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, key, len, box, k);
    sodium_memzero(k, sizeof(k));
    return crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
}

/* The key in a sealed box (out: IDENTITY_TOTP_KEY_LEN bytes); -EACCES if it does not open. */
static int unseal(uint8_t *out, const uint8_t *box, size_t box_len, const uint8_t site_key[32])
{
    uint8_t k[32];
    int r;
    if (box_len != crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + IDENTITY_TOTP_KEY_LEN)
        return -EACCES;
    derive(k, 1, site_key);
    r = crypto_secretbox_open_easy(out, box + crypto_secretbox_NONCEBYTES,
                                   box_len - crypto_secretbox_NONCEBYTES, box, k);
    sodium_memzero(k, sizeof(k));
    return r == 0 ? 0 : -EACCES;
}

/* The QR code of text as an SVG document (one path of unit squares, a 4-module margin). */
static char *qr_svg(const char *text)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    struct gh_buf b;
    int w;
    if (q == NULL)
        return NULL;
    w = q->width;
    gh_buf_init(&b, 1u << 20);
    gh_buf_printf(&b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                  "shape-rendering=\"crispEdges\"><rect width=\"100%%\" height=\"100%%\" "
                  "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                  w + 8, w + 8);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (q->data[y * w + x] & 1)
                gh_buf_printf(&b, "M%d %dh1v1h-1z", x + 4, y + 4);
    gh_buf_printf(&b, "\"/></svg>");
    QRcode_free(q);
    return b.data; /* NUL-terminated by gh_buf */
}

int identity_mfa_begin(struct user *u, const uint8_t site_key[32], char uri[IDENTITY_OTPAUTH_MAX],
                       char **svg, struct gh_err *err)
{
    uint8_t key[IDENTITY_TOTP_KEY_LEN];
    char *b32 = NULL;
    size_t b32_len = 0;
    int r = 0;
    pthread_once(&oath_once, oath_start);
    if (oath_status != OATH_OK)
        return gh_fail(err, -EIO, "liboath failed to start");
    randombytes_buf(key, sizeof(key));
    if (oath_base32_encode((const char *)key, sizeof(key), &b32, &b32_len) != OATH_OK) {
        r = gh_fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    /* the label and issuer are shown by the app; names are letters, digits, . _ @ - */
    if (gh_snprintf(uri, IDENTITY_OTPAUTH_MAX,
                    "otpauth://totp/gatehouse:%s?secret=%.*s&issuer=gatehouse&algorithm=SHA1"
                    "&digits=%d&period=%d",
                    u->name, (int)b32_len, b32, IDENTITY_TOTP_DIGITS, IDENTITY_TOTP_STEP_S) < 0) {
        r = gh_fail(err, -ENAMETOOLONG, "the user name is too long for an otpauth URI");
        goto out;
    }
    u->totp_pending_len = seal(u->totp_pending, key, sizeof(key), site_key);
    *svg = qr_svg(uri);
    if (*svg == NULL)
        r = gh_fail(err, -ENOMEM, "cannot draw the QR code");
out:
    sodium_memzero(key, sizeof(key));
    if (b32 != NULL) {
        sodium_memzero(b32, b32_len);
        free(b32);
    }
    return r;
}

/* The time step a code of key matches (±1 around now), or -1. */
static int64_t code_step(const uint8_t key[IDENTITY_TOTP_KEY_LEN], const char *code, int64_t now_us)
{
    time_t now = (time_t)(now_us / 1000000);
    int pos = 0;
    size_t n = strlen(code);
    pthread_once(&oath_once, oath_start);
    if (oath_status != OATH_OK || n != IDENTITY_TOTP_DIGITS || strspn(code, "0123456789") != n)
        return -1;
    if (oath_totp_validate2((const char *)key, IDENTITY_TOTP_KEY_LEN, now, IDENTITY_TOTP_STEP_S, 0,
                            1, &pos, code) < 0)
        return -1;
    return (int64_t)(now / IDENTITY_TOTP_STEP_S) + pos;
}

static void recovery_hash(const char *code, const uint8_t site_key[32], char hex[65])
{
    uint8_t k[32], h[32];
    char norm[IDENTITY_RECOVERY_LEN];
    size_t n = 0;
    /* the dashes and case do not matter */
    for (const char *p = code; *p && n < sizeof(norm) - 1; p++)
        if (*p != '-' && *p != ' ')
            norm[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    norm[n] = '\0';
    derive(k, 2, site_key);
    crypto_generichash(h, sizeof(h), (const uint8_t *)norm, n, k, sizeof(k));
    sodium_bin2hex(hex, 65, h, sizeof(h));
    sodium_memzero(k, sizeof(k));
    sodium_memzero(norm, sizeof(norm));
}

int identity_mfa_confirm(struct store *st, struct user *u, const uint8_t site_key[32],
                         const char *code, int64_t now_us,
                         char codes[IDENTITY_RECOVERY_CODES][IDENTITY_RECOVERY_LEN],
                         struct gh_err *err)
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789"; /* no 0/o, 1/l/i */
    uint8_t key[IDENTITY_TOTP_KEY_LEN];
    char hashes[IDENTITY_RECOVERY_CODES][65];
    const char *hp[IDENTITY_RECOVERY_CODES];
    int64_t step;
    int r;
    if (u->totp_pending_len == 0)
        return gh_fail(err, -EINVAL, "no enrollment is in progress: start one first");
    if (unseal(key, u->totp_pending, u->totp_pending_len, site_key) < 0)
        return gh_fail(err, -EINVAL, "the enrollment cannot be read: start again");
    step = code_step(key, code, now_us);
    sodium_memzero(key, sizeof(key));
    if (step < 0)
        return gh_fail(err, -EACCES, "the code is not right (is the device's clock right?)");
    for (int i = 0; i < IDENTITY_RECOVERY_CODES; i++) {
        char *c = codes[i];
        for (int j = 0; j < 14; j++)
            c[j] = (j == 4 || j == 9) ? '-' : alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
        c[14] = '\0';
        recovery_hash(c, site_key, hashes[i]);
        hp[i] = hashes[i];
    }
    memcpy(u->totp_secret, u->totp_pending, u->totp_pending_len);
    u->totp_secret_len = u->totp_pending_len;
    u->totp_pending_len = 0;
    u->totp_last_step = step;
    u->updated_us = now_us;
    if ((r = store_user_update(st, u, err)) < 0 ||
        (r = store_recovery_replace(st, u->id, hp, IDENTITY_RECOVERY_CODES)) < 0) {
        sodium_memzero(codes, sizeof(char[IDENTITY_RECOVERY_CODES][IDENTITY_RECOVERY_LEN]));
        return r;
    }
    return 0;
}

int identity_mfa_check(struct store *st, struct user *u, const uint8_t site_key[32],
                       const char *code, int64_t now_us)
{
    uint8_t key[IDENTITY_TOTP_KEY_LEN];
    int64_t step;
    if (u->totp_secret_len == 0 || unseal(key, u->totp_secret, u->totp_secret_len, site_key) < 0)
        return -EACCES;
    step = code_step(key, code, now_us);
    sodium_memzero(key, sizeof(key));
    if (step < 0 || step <= u->totp_last_step)
        return -EACCES; /* wrong, or this code (or a later one) was used already */
    u->totp_last_step = step;
    return store_user_update(st, u, NULL) < 0 ? -EIO : 0;
}

int identity_mfa_recovery(struct store *st, struct user *u, const uint8_t site_key[32],
                          const char *code, int64_t now_us)
{
    char hex[65];
    int r;
    if (u->totp_secret_len == 0 || strlen(code) > 32)
        return -EACCES;
    recovery_hash(code, site_key, hex);
    r = store_recovery_use(st, u->id, hex, now_us);
    return r == 0 ? 0 : r == -ENOENT ? -EACCES : r;
}

int identity_mfa_reset(struct store *st, struct user *u, struct gh_err *err)
{
    int r;
    u->totp_secret_len = 0;
    u->totp_pending_len = 0;
    u->totp_last_step = 0;
    if ((r = store_user_update(st, u, err)) < 0)
        return r;
    return store_recovery_replace(st, u->id, NULL, 0);
}
