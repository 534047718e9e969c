/*
 * signkey.c: an Ed25519 signing key pair in a file (the server's key, a controller's key),
 * a random secret in a file (the webhooks' HMAC key), and one-time tokens stored as their
 * SHA-256 (enrollment tokens). The key pair is
 * made once with libsodium into a 0600 file (O_EXCL, fsynced, then the directory), read
 * back on every start; a key file that others may read, a symlink, or a file of the wrong
 * size is refused.
 */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Makes the secret into buf (size bytes). */
typedef void (*make_fn)(uint8_t *buf, size_t size);

static void make_sign_key(uint8_t *sk, size_t size)
{
    uint8_t pk[32];
    (void)size;
    crypto_sign_keypair(pk, sk);
}

static void make_random(uint8_t *buf, size_t size)
{
    randombytes_buf(buf, size);
}

static int create_secret(const char *dir, const char *path, uint8_t *buf, size_t size, make_fn make,
                         struct gh_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc, dfd;
    if (fd < 0)
        return gh_fail(err, -errno, "%s: cannot be created: %s", path, gh_strerror(-errno));
    make(buf, size);
    rc = write_all(fd, buf, size);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc < 0) {
        unlink(path);
        sodium_memzero(buf, size);
        return gh_fail(err, rc, "%s: cannot be written: %s", path, gh_strerror(rc));
    }
    /* the new name must survive a power cut too */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* DIR/NAME: read (a 0600 regular file of exactly size bytes), or made once. */
static int load_or_create(const char *dir, const char *name, uint8_t *buf, size_t size,
                          make_fn make, bool *created, struct gh_err *err)
{
    char path[4096];
    struct stat st;
    ssize_t n;
    int fd, rc = 0;

    *created = false;
    if (gh_snprintf(path, sizeof(path), "%s/%s", dir, name) < 0)
        return gh_fail(err, -ENAMETOOLONG, "the data dir path is too long");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        if ((rc = create_secret(dir, path, buf, size, make, err)) == 0)
            *created = true;
        return rc;
    }
    if (fd < 0)
        return gh_fail(err, -errno, "%s: cannot be opened: %s", path, gh_strerror(-errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gh_fail(err, -EINVAL, "%s is not a regular file", path);
    } else if (st.st_mode & 077) {
        rc = gh_fail(err, -EACCES,
                     "%s may be read by others (mode %03o): a secret key must be 0600 (chmod 600 "
                     "it, or make a new key and register it again)",
                     path, (unsigned)(st.st_mode & 0777));
    } else if (st.st_size != (off_t)size) {
        rc = gh_fail(err, -EINVAL, "%s is %lld bytes, not a %zu-byte key", path,
                     (long long)st.st_size, size);
    } else {
        n = read(fd, buf, size);
        if (n != (ssize_t)size)
            rc = gh_fail(err, -EIO, "%s: cannot be read", path);
    }
    close(fd);
    if (rc < 0)
        sodium_memzero(buf, size);
    return rc;
}

int gh_sign_key_load_or_create(const char *dir, const char *name, uint8_t pk[32], uint8_t sk[64],
                               bool *created, struct gh_err *err)
{
    int rc = load_or_create(dir, name, sk, 64, make_sign_key, created, err);
    if (rc == 0)
        crypto_sign_ed25519_sk_to_pk(pk, sk);
    return rc;
}

int gh_secret_load_or_create(const char *dir, const char *name, uint8_t *buf, size_t size,
                             bool *created, struct gh_err *err)
{
    return load_or_create(dir, name, buf, size, make_random, created, err);
}

void gh_sha256_hex(const char *s, char hex[65])
{
    uint8_t h[32];
    crypto_hash_sha256(h, (const uint8_t *)s, strlen(s));
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

void gh_onetime_token(char token[GH_ONETIME_TOKEN_LEN], char hash_hex[65])
{
    uint8_t raw[24];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(token, GH_ONETIME_TOKEN_LEN, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    gh_sha256_hex(token, hash_hex);
}
