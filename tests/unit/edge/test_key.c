/*
 * test_key.c: the controller's key file: made once (0600, 64 bytes) and read back as the
 * same key pair; a key others may read, a file of the wrong size and a symlink are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edge/edge.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/gh-key-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, EDGE_KEY_FILE);
    return sodium_init() < 0;
}

static int teardown(void **state)
{
    char other[160];
    (void)state;
    unlink(path);
    snprintf(other, sizeof(other), "%s/elsewhere", dir);
    unlink(other);
    rmdir(dir);
    return 0;
}

static void test_made_once_then_read_back(void **state)
{
    uint8_t pk[32], sk[64], pk2[32], sk2[64];
    struct gh_err err = {{0}};
    struct stat st;
    bool created;
    (void)state;
    assert_int_equal(edge_key_load_or_create(dir, pk, sk, &created, &err), 0);
    assert_true(created);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 64);
    assert_int_equal(edge_key_load_or_create(dir, pk2, sk2, &created, &err), 0);
    assert_false(created);
    assert_memory_equal(pk, pk2, 32);
    assert_memory_equal(sk, sk2, 64);
    /* the pair works: a signature by sk verifies with pk */
    {
        uint8_t sig[64];
        crypto_sign_detached(sig, NULL, (const uint8_t *)"x", 1, sk2);
        assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"x", 1, pk), 0);
    }
}

static void test_refusals(void **state)
{
    uint8_t pk[32], sk[64];
    struct gh_err err = {{0}};
    bool created;
    char other[160];
    FILE *f;
    (void)state;
    assert_int_equal(edge_key_load_or_create(dir, pk, sk, &created, &err), 0);
    chmod(path, 0640);
    assert_int_equal(edge_key_load_or_create(dir, pk, sk, &created, &err), -EACCES);
    assert_non_null(strstr(err.msg, "mode 640"));
    unlink(path);
    f = fopen(path, "w");
    fputs("short", f);
    fclose(f);
    chmod(path, 0600);
    assert_int_equal(edge_key_load_or_create(dir, pk, sk, &created, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "not a 64-byte key"));
    unlink(path);
    snprintf(other, sizeof(other), "%s/elsewhere", dir);
    f = fopen(other, "w");
    fclose(f);
    assert_int_equal(symlink(other, path), 0);
    assert_true(edge_key_load_or_create(dir, pk, sk, &created, &err) < 0); /* not followed */
    assert_false(created);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_made_once_then_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
