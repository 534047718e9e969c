/*
 * dump.c: the daily access dump (R-HR-2). One local day's door access decisions, in the
 * export's CSV, written into a directory as access-YYYY-MM-DD.csv with a SHA-256 manifest
 * beside it (access-YYYY-MM-DD.csv.sha256, in the format `sha256sum -c` reads). Both are
 * written to a temporary name of their own (.NAME.XXXXXX), synced and renamed: a reader
 * never sees half a file, and the manifest, renamed last (an old one removed first), says
 * the dump is complete.
 */
#include "interop/interop.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SHA-256 of an open file, from its start. */
static int hash_fd(int fd, char hex[65])
{
    crypto_hash_sha256_state h;
    uint8_t buf[64 << 10], out[32];
    ssize_t n;
    if (lseek(fd, 0, SEEK_SET) != 0)
        return -errno;
    crypto_hash_sha256_init(&h);
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
    }
    crypto_hash_sha256_final(&h, out);
    sodium_bin2hex(hex, 65, out, sizeof(out));
    return 0;
}

static void sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

void export_dump_name(int64_t day, char name[EXPORT_DUMP_NAME_MAX])
{
    int64_t y;
    unsigned m, d;
    gh_civil_from_days(day, &y, &m, &d);
    snprintf(name, EXPORT_DUMP_NAME_MAX, "access-%04lld-%02u-%02u.csv", (long long)y, m, d);
}

bool export_dump_exists(const char *dir, int64_t day)
{
    char name[EXPORT_DUMP_NAME_MAX], path[4096];
    struct stat sb;
    export_dump_name(day, name);
    return gh_snprintf(path, sizeof(path), "%s/%s.sha256", dir, name) == 0 && stat(path, &sb) == 0;
}

/* A temporary file beside the final one, with a name of its own (the CLI and the server
 * may dump the same day at once): DIR/.NAME.XXXXXX, mode 0600. */
static int temp_beside(const char *dir, const char *name, char *path, size_t len,
                       struct gh_err *err)
{
    int fd;
    if (gh_snprintf(path, len, "%s/.%s.XXXXXX", dir, name) < 0)
        return gh_fail(err, -ENAMETOOLONG, "%s: the path is too long", dir);
    if ((fd = mkstemp(path)) < 0)
        return gh_fail(err, -errno, "%s/%s: a temporary file cannot be created: %s", dir, name,
                       strerror(errno));
    return fd;
}

int export_dump_day(struct store *st, const char *dir, const struct gh_tz *tz, int64_t day,
                    struct export_dump_result *out, struct gh_err *err)
{
    struct store_event_filter f;
    char name[EXPORT_DUMP_NAME_MAX], mname[EXPORT_DUMP_NAME_MAX + 8];
    char tmp[4096], mtmp[4096], manifest[4096], line[EXPORT_DUMP_NAME_MAX + 80];
    size_t len;
    int fd = -1, r;

    memset(out, 0, sizeof(*out));
    export_dump_name(day, name);
    gh_snprintf(mname, sizeof(mname), "%s.sha256", name);
    if (gh_snprintf(out->path, sizeof(out->path), "%s/%s", dir, name) < 0 ||
        gh_snprintf(manifest, sizeof(manifest), "%s/%s", dir, mname) < 0)
        return gh_fail(err, -ENAMETOOLONG, "%s: the path is too long", dir);
    store_event_filter_init(&f);
    f.from_us = tz_utc_from_local(tz, day, 0) * GH_USEC_PER_SEC;
    f.to_us = tz_utc_from_local(tz, day + 1, 0) * GH_USEC_PER_SEC;
    if ((fd = temp_beside(dir, name, tmp, sizeof(tmp), err)) < 0)
        return fd;
    if ((r = export_events(st, &f, EXPORT_CSV, false, fd, &out->rows, err)) < 0)
        goto fail;
    r = hash_fd(fd, out->sha256);
    if (r == 0 && fsync(fd) != 0)
        r = -errno;
    if (r < 0) {
        gh_fail(err, r, "%s: cannot be read back or synced: %s", tmp, strerror(-r));
        goto fail;
    }
    close(fd);
    fd = -1;
    /* an old manifest goes first: a dump is whole only while its manifest is there */
    if (unlink(manifest) != 0 && errno != ENOENT) {
        r = gh_fail(err, -errno, "%s: cannot be replaced: %s", manifest, strerror(errno));
        goto fail;
    }
    if (rename(tmp, out->path) != 0) {
        r = gh_fail(err, -errno, "%s: cannot be renamed to %s: %s", tmp, out->path,
                    strerror(errno));
        goto fail;
    }
    /* the manifest last, the same way */
    len = (size_t)snprintf(line, sizeof(line), "%s  %s\n", out->sha256, name);
    if ((fd = temp_beside(dir, mname, mtmp, sizeof(mtmp), err)) < 0)
        return fd;
    if (write(fd, line, len) != (ssize_t)len || fsync(fd) != 0) {
        r = gh_fail(err, -EIO, "%s: cannot be written: %s", mtmp, strerror(errno));
        close(fd);
        unlink(mtmp);
        return r;
    }
    close(fd);
    if (rename(mtmp, manifest) != 0) {
        r = gh_fail(err, -errno, "%s: cannot be renamed to %s: %s", mtmp, manifest,
                    strerror(errno));
        unlink(mtmp);
        return r;
    }
    sync_dir(dir);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return r;
}
