/*
 * password.c: the password policy (length in characters, strength estimated by zxcvbn
 * with the user's own words as a dictionary) and Argon2id hashing and verification
 * (libsodium), with a stand-in verification for unknown users.
 */
#include "identity/identity_int.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <zxcvbn.h>

/* Code points in s, or -1 when s is not valid UTF-8. */
static long utf8_chars(const char *s, size_t len)
{
    long n = 0;
    for (size_t i = 0; i < len; n++) {
        size_t k = gh_utf8_seq(s + i, len - i);
        if (k == 0)
            return -1;
        i += k;
    }
    return n;
}

/* The user's words as zxcvbn wants them: each split at spaces and punctuation ("Ann
 * Lee", "ann.lee@example.org" give ann, lee, example, org), lower-case, 3 or more bytes. */
struct user_dict {
    char buf[1024];
    const char *words[33];
};

static void user_dict_fill(struct user_dict *d, const char *const *words)
{
    size_t used = 0, n = 0;
    d->words[n++] = "gatehouse";
    for (size_t i = 0; words != NULL && words[i] != NULL; i++) {
        const char *p = words[i];
        while (*p != '\0') {
            size_t k = strcspn(p, " .,;:@_-+/\\'\"()");
            if (k >= 3 && k < 64 && used + k + 1 <= sizeof(d->buf) &&
                n < GH_ARRAY_LEN(d->words) - 1) {
                char *w = d->buf + used;
                for (size_t j = 0; j < k; j++)
                    w[j] = p[j] >= 'A' && p[j] <= 'Z' ? (char)(p[j] - 'A' + 'a') : p[j];
                w[k] = '\0';
                d->words[n++] = w;
                used += k + 1;
            }
            p += k;
            if (*p != '\0')
                p++;
        }
    }
    d->words[n] = NULL;
}

int identity_password_policy(const char *pw, bool mfa, const char *const *words, struct gh_err *err)
{
    struct user_dict dict;
    size_t len = strlen(pw);
    long chars = utf8_chars(pw, len);
    long min = mfa ? IDENTITY_PASSWORD_MIN : IDENTITY_PASSWORD_MIN_NO_MFA;
    double bits;

    if (chars < 0)
        return gh_fail(err, -EINVAL, "the password is not valid UTF-8 text");
    if (chars < min)
        return gh_fail(err, -EINVAL,
                       "the password is too short: %ld characters, at least %ld are needed%s",
                       chars, min, mfa ? "" : " (12 with two-factor sign-in)");
    if (chars > IDENTITY_PASSWORD_MAX)
        return gh_fail(err, -EINVAL, "the password is too long: at most %d characters",
                       IDENTITY_PASSWORD_MAX);
    if (id_password_blocked(pw))
        return gh_fail(err, -EINVAL,
                       "the password is on the list of commonly used passwords; a few "
                       "unrelated words make a strong one");
    user_dict_fill(&dict, words);
    bits = ZxcvbnMatch(pw, dict.words, NULL);
    sodium_memzero(&dict, sizeof(dict));
    if (bits < IDENTITY_PASSWORD_MIN_BITS)
        return gh_fail(err, -EINVAL,
                       "the password is too easy to guess (common words, names, keyboard "
                       "patterns, dates or repeats); a few unrelated words make a strong one");
    return 0;
}

int identity_password_hash(const char *pw, char out[IDENTITY_HASH_MAX], struct gh_err *err)
{
    if (crypto_pwhash_str_alg(out, pw, strlen(pw), IDENTITY_ARGON2_OPSLIMIT,
                              IDENTITY_ARGON2_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return gh_fail(err, -ENOMEM, "not enough memory to hash the password");
    return 0;
}

int identity_password_verify(const char *hash, const char *pw, bool *rehash)
{
    if (strncmp(hash, crypto_pwhash_argon2id_STRPREFIX, strlen(crypto_pwhash_argon2id_STRPREFIX)) !=
            0 ||
        crypto_pwhash_str_verify(hash, pw, strlen(pw)) != 0)
        return -EACCES;
    if (rehash != NULL)
        *rehash = crypto_pwhash_str_needs_rehash(hash, IDENTITY_ARGON2_OPSLIMIT,
                                                 IDENTITY_ARGON2_MEMLIMIT) != 0;
    return 0;
}

static char dummy_hash[IDENTITY_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    char pw[33];
    uint8_t r[16];
    randombytes_buf(r, sizeof(r));
    sodium_bin2hex(pw, sizeof(pw), r, sizeof(r));
    if (identity_password_hash(pw, dummy_hash, NULL) < 0)
        dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof(pw));
}

void identity_password_verify_dummy(const char *pw)
{
    pthread_once(&dummy_once, make_dummy);
    if (dummy_hash[0] != '\0')
        (void)identity_password_verify(dummy_hash, pw, NULL);
}
