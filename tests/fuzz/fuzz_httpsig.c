/*
 * fuzz_httpsig.c: libFuzzer target for the RFC 9421 header parsers a server runs on what
 * a controller sends (src/base/httpsig.c): the first line of the input is a Signature-Input
 * header, the second a Signature header. An accepted input must be canonical (written
 * again by gh_sig_params it is the same text) with valid names; the signature value must
 * be base64 characters only; a refusal must leave the output zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gh_sig_input in;
    static const struct gh_sig_input zero;
    struct gh_sig_component c[GH_SIG_MAX_COMPONENTS];
    struct gh_err err;
    char *text = malloc(size + 1), *nl;
    char sig[GH_SIG_B64_LEN];
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    nl = strchr(text, '\n');
    if (nl != NULL)
        *nl = '\0';
    if (gh_sig_input_parse(text, &in, &err) == 0) {
        struct gh_buf canon;
        gh_buf_init(&canon, GH_SIG_HEADER_MAX);
        for (size_t i = 0; i < in.n; i++) {
            c[i].name = in.names[i];
            c[i].value = "";
        }
        if (in.n > GH_SIG_MAX_COMPONENTS ||
            gh_sig_params(c, in.n, in.created, in.nonce[0] ? in.nonce : NULL, in.keyid,
                          in.alg[0] ? in.alg : NULL, &canon, &err) != 0 ||
            strcmp(gh_buf_cstr(&canon), in.params) != 0)
            abort();
        gh_buf_free(&canon);
        if (nl != NULL && gh_sig_value_parse(nl + 1, in.label, sig, &err) == 0 &&
            strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
                strlen(sig))
            abort();
    } else if (memcmp(&in, &zero, sizeof(in)) != 0 ||
               strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg)) {
        abort();
    }
    free(text);
    return 0;
}
