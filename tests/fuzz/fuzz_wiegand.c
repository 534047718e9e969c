/*
 * fuzz_wiegand.c: libFuzzer target for the Wiegand decoder (src/access/wiegand.c).
 *
 * The input is used three ways: as a '0'/'1' string for wiegand_decode_str (a bounded,
 * NUL-terminated copy), as raw bit values for wiegand_decode (bytes as they are, so values
 * other than 0/1 are exercised), and as raw bits with each byte reduced to its low bit (so
 * text seeds reach the parity checks too). Whatever decodes must be inside its format's
 * ranges and must re-encode to exactly the same bits; anything else is a bug and aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_card(const struct wiegand_card *c)
{
    if ((unsigned)c->format >= CRED_FORMAT_COUNT ||
        c->facility > cred_format_facility_max(c->format) ||
        c->number > cred_format_number_max(c->format))
        abort();
}

static void check_bits(const uint8_t *bits, size_t nbits)
{
    struct wiegand_card c;
    uint8_t back[WIEGAND_MAX_BITS];
    size_t n = 0;

    if (wiegand_decode(bits, nbits, &c, NULL) != 0)
        return;
    check_card(&c);
    if (nbits != cred_format_bits(c.format))
        abort();
    if (wiegand_encode(&c, back, &n, NULL) != 0 || n != nbits || memcmp(back, bits, n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char str[WIEGAND_MAX_BITS + 2]; /* one more character than allowed, to test the limit */
    uint8_t low[WIEGAND_MAX_BITS];
    size_t n = size < sizeof(str) - 1 ? size : sizeof(str) - 1;
    struct wiegand_card c;
    struct gh_err err;

    memcpy(str, data, n);
    str[n] = '\0';
    if (wiegand_decode_str(str, &c, &err) == 0) {
        char back[WIEGAND_MAX_BITS + 1];
        check_card(&c);
        if (wiegand_encode_str(&c, back, sizeof(back), &err) != 0 || strcmp(back, str) != 0)
            abort();
    } else if (err.msg[0] == '\0') {
        abort(); /* every rejection says why */
    }

    check_bits(data, size);
    if (size <= WIEGAND_MAX_BITS) {
        for (size_t i = 0; i < size; i++)
            low[i] = data[i] & 1u;
        check_bits(low, size);
    }
    return 0;
}
