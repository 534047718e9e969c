/*
 * identity_int.h: private to src/identity. Reading and writing the name lists that
 * permissions (token scopes) and roles share: words separated by commas or spaces, and the
 * canonical space-separated form they are stored in; the random secrets that tokens and
 * sessions share and how they are hashed for storage.
 */
#ifndef GH_IDENTITY_INT_H
#define GH_IDENTITY_INT_H

#include "identity/identity.h"

/* The next word of a list at *p (advanced past it): its start, or NULL at the end; *n is
 * its length. */
const char *id_list_word(const char **p, size_t *n);

/* Writes the names of the members of set (bits first..count-1, name(i) for each) separated
 * by spaces; -ENOSPC if len is too small (buf is then "" or a whole-names prefix). */
int id_list_format(uint64_t set, int first, int count, const char *(*name)(int), char *buf,
                   size_t len);

/* Secrets (tokens, session ids) are kept only as BLAKE2b-256 of their text, in hex. */
void id_secret_hash_hex(const char *secret, size_t len, char hex[65]);
/* 32 random bytes as 43 base64url characters (out: at least 44 bytes). */
void id_random_b64(char *out, size_t len);

/* Whether pw (any case) is on the embedded list of common passwords. */
bool id_password_blocked(const char *pw);

#endif
