/*
 * blocklist.c: the list of common passwords (data/password-blocklist.txt, made by
 * scripts/gen_password_blocklist.py: sorted, lower-case, one per line) embedded in the
 * binary, and the lookup the password policy uses (a binary search over the lines).
 */
#include "identity/identity_int.h"

#include <string.h>

/* The file's bytes, then a NUL (GH_BLOCKLIST_PATH is set by CMakeLists.txt). */
__asm__(".section .rodata\n"
        ".globl gh_password_blocklist\n"
        "gh_password_blocklist:\n"
        ".incbin \"" GH_BLOCKLIST_PATH "\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char gh_password_blocklist[];

/* Compares key with the line starting at p (ended by '\n'). */
static int cmp_line(const char *key, const char *p)
{
    size_t n = strcspn(p, "\n");
    int c = strncmp(key, p, n);
    if (c != 0)
        return c;
    return key[n] == '\0' ? 0 : 1;
}

bool id_password_blocked(const char *pw)
{
    const char *blob = gh_password_blocklist;
    size_t lo = 0, hi = strlen(blob);
    char key[128];
    size_t n = strlen(pw);
    if (n >= sizeof(key))
        return false; /* no listed password is that long */
    for (size_t i = 0; i <= n; i++)
        key[i] = (char)(pw[i] >= 'A' && pw[i] <= 'Z' ? pw[i] - 'A' + 'a' : pw[i]);
    /* invariant: the key, if listed, is on a line starting in [lo, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, start = mid;
        int c;
        while (start > lo && blob[start - 1] != '\n')
            start--;
        c = cmp_line(key, blob + start);
        if (c == 0)
            return true;
        if (c < 0) {
            hi = start;
        } else {
            size_t next = start + strcspn(blob + start, "\n");
            lo = blob[next] == '\n' ? next + 1 : next;
        }
    }
    return false;
}
