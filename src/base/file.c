/*
 * file.c: reading a whole file with a hard size limit (rosters, mapping files, zone files).
 *
 * The design is simple: open, require a regular file, read until EOF or one byte past the
 * limit (so a file that grows while it is read is still caught), and return the bytes
 * NUL-terminated. Every error names the path.
 */
#include "base/base.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gh_read_file(const char *path, size_t max, char **out, size_t *len, struct gh_err *err)
{
    struct stat st;
    char *buf = NULL;
    size_t used = 0, cap;
    int fd, r = 0;

    *out = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r = errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
        return gh_fail(err, r, "%s: cannot open: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        r = gh_fail(err, -errno, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = gh_fail(err, -EINVAL, "%s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        r = gh_fail(err, -EFBIG, "%s: larger than the limit of %zu bytes", path, max);
        goto out;
    }
    cap = (size_t)st.st_size + 1;
    buf = xmalloc(cap + 1);
    for (;;) {
        ssize_t n;
        if (used == cap) { /* the file grew since fstat */
            if (used > max) {
                r = gh_fail(err, -EFBIG, "%s: larger than the limit of %zu bytes", path, max);
                goto out;
            }
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            buf = xrealloc(buf, cap + 1);
        }
        n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = gh_fail(err, -errno, "%s: cannot read: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (used > max) {
        r = gh_fail(err, -EFBIG, "%s: larger than the limit of %zu bytes", path, max);
        goto out;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL; /* transferred */
out:
    free(buf);
    close(fd);
    return r;
}

int gh_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct gh_err *err)
{
    char tmp[4096], dir[4096];
    const char *slash = strrchr(path, '/');
    const uint8_t *p = data;
    size_t left = len;
    int fd, dfd, r = 0;

    if (gh_snprintf(tmp, sizeof(tmp), "%s.tmp", path) < 0)
        return gh_fail(err, -ENAMETOOLONG, "%s: the path is too long", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return gh_fail(err, -errno, "%s: cannot be created: %s", tmp, strerror(errno));
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = gh_fail(err, -errno, "%s: cannot be written: %s", tmp, strerror(errno));
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (r == 0 && fsync(fd) != 0)
        r = gh_fail(err, -errno, "%s: cannot be synced: %s", tmp, strerror(errno));
    close(fd);
    if (r == 0 && rename(tmp, path) != 0)
        r = gh_fail(err, -errno, "%s: cannot be renamed to %s: %s", tmp, path, strerror(errno));
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    /* the new name must survive a power cut too */
    if (slash == NULL)
        gh_strlcpy(dir, ".", sizeof(dir));
    else if (gh_snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + (slash == path)), path) < 0)
        return 0;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
