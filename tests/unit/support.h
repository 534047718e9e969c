/*
 * support.h: helpers shared by the unit tests (each test file is its own program, so these
 * are static inline): removing a temporary directory the tests made, a fresh store in a
 * temporary directory, counting its users, and OK() for calls that must return 0. Include it after <cmocka.h>.
 */
#ifndef GH_TEST_SUPPORT_H
#define GH_TEST_SUPPORT_H

#include "base/base.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

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

/* A call that must return 0; otherwise the test fails naming the line and the code. */
#define OK(expr)                                                                                   \
    do {                                                                                           \
        int r_ = (expr);                                                                           \
        if (r_ != 0)                                                                               \
            fail_msg("line %d: %s: %d (%s)", __LINE__, #expr, r_, gh_strerror(r_));                \
    } while (0)

/* A temporary directory (/tmp/gh_TAG_XXXXXX) holding a new database opened with
 * STORE_CREATE: the usual unit-test fixture. */
struct temp_store {
    char dir[64];
    char path[128];
    struct store *st;
};

static inline int temp_store_open(struct temp_store *t, const char *tag)
{
    struct gh_err err = {{0}};
    int r;
    if (gh_snprintf(t->dir, sizeof(t->dir), "/tmp/gh_%s_XXXXXX", tag) < 0 ||
        mkdtemp(t->dir) == NULL)
        return -1;
    gh_snprintf(t->path, sizeof(t->path), "%s/gatehouse.db", t->dir);
    r = store_open(t->path, STORE_CREATE, &t->st, &err);
    if (r != 0) {
        fprintf(stderr, "store_open: %d %s\n", r, err.msg);
        rm_tree(t->dir);
        return -1;
    }
    return 0;
}

static inline void temp_store_close(struct temp_store *t)
{
    store_close(t->st);
    t->st = NULL;
    rm_tree(t->dir);
}

/* cmocka setup and teardown giving each test a struct temp_store as *state. */
static inline int temp_store_setup(void **state)
{
    struct temp_store *t = calloc(1, sizeof(*t));
    if (t == NULL || temp_store_open(t, "unit") < 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static inline int temp_store_teardown(void **state)
{
    temp_store_close(*state);
    free(*state);
    return 0;
}

static inline int count_users_cb(void *ctx, const struct user *u)
{
    (void)u;
    (*(int *)ctx)++;
    return 0;
}

/* How many users the store holds. */
static inline int count_users(struct store *st)
{
    int n = 0;
    OK(store_user_list(st, count_users_cb, &n));
    return n;
}

#endif
