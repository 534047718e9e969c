/*
 * key.c: the controller's Ed25519 key pair (see edge.h), DIR/controller.key, made and read
 * by the base module's signing-key file helper.
 */
#include "edge/edge.h"

int edge_key_load_or_create(const char *dir, uint8_t pk[32], uint8_t sk[64], bool *created,
                            struct gh_err *err)
{
    return gh_sign_key_load_or_create(dir, EDGE_KEY_FILE, pk, sk, created, err);
}
