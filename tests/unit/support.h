/*
 * support.h: helpers shared by the unit tests (each test file is its own program, so these
 * are static inline): removing a temporary directory the tests made.
 */
#ifndef GH_TEST_SUPPORT_H
#define GH_TEST_SUPPORT_H

#include "base/base.h"

#include <dirent.h>
#include <string.h>
#include <unistd.h>

/* Removes dir and the files directly inside it (test dirs are flat). */
static inline void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char p[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (gh_snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) == 0)
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

#endif
