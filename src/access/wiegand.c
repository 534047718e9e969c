/*
 * wiegand.c: decoding and encoding of raw Wiegand reads for the card formats gatehouse knows
 * (HID H10301 26-bit, H10306 34-bit, Corporate 1000 35-bit, H10304 37-bit).
 *
 * How it works: one table, `formats`, describes every format: its length, where its facility
 * and number fields sit and which bits each parity bit covers. A read is packed into a
 * 64-bit word with the first wire bit as the most significant of the n bits, so a field is a
 * shift and a mask and a parity check is a masked parity of the word. Decoding and encoding
 * are the same few lines for every format; nothing is allocated and nothing is formatted on
 * the success path (error messages are written only when a read is rejected).
 *
 * Bit numbering follows the format documents: bits are numbered 1..n in wire order, so
 * bits[0] is bit 1. Wire bit k of an n-bit read is bit (n - k) of the word.
 *
 * Parity sets. H10301, H10306 and H10304 use an even bit 1 over the first half and an odd
 * bit n over the second half, as in the published layouts (RF IDeas "proximity card formats"
 * for the 26-bit EXXXXXXXXXXXX / XXXXXXXXXXXXO masks; the BioMax X990 and Hikvision manuals'
 * "Wiegand34" for bits 2-17 / 18-33; the OO Access knowledge base "37 bit card format (with
 * facility code)" for H10304, whose halves overlap at bit 19). Corporate 1000 35-bit follows
 * the RfidResearchGroup Proxmark3 client (client/src/wiegand_formats.c, Pack_C1k35s and
 * Unpack_C1k35s), whose masks 0xB6DB6DB6 and 0x6DB6DB6C over the low 32 bits translate to
 * wire positions as:
 *   bit 2  even over bits 3,4, 6,7, 9,10, ... 33,34   (3..34 except positions = 2 mod 3)
 *   bit 35 odd  over bits 2,3, 5,6, 8,9,  ... 32,33   (2..33 except positions = 1 mod 3)
 *   bit 1  odd  over all 35 bits                       (so over 2..35 plus itself)
 * Bit 35's set includes parity bit 2 and bit 1's includes both others, so they are computed
 * in that order. Another open-source decoder (a 64-bit pack_c1k35s using the 0xDB6DB6DB comb)
 * gives the same sets; tests/unit/access/test_wiegand.c checks this table against the
 * Proxmark masks over many inputs.
 */
#include "access/access.h"

#include <string.h>

/* Wire bit k (1-based) of an n-bit read, as a bit of the packed word. */
#define WG_BIT(n, k) (UINT64_C(1) << ((n) - (k)))
/* Wire bits lo..hi inclusive. */
#define WG_SPAN(n, lo, hi) (((UINT64_C(1) << ((hi) - (lo) + 1)) - 1) << ((n) - (hi)))
/* Every wire position k with k = r (mod 3). 0x9249... has bits 0, 3, 6, ... 63 set; wire bit
 * k is word bit n - k, which is = n - r (mod 3). Upper bits beyond n are cut by WG_SPAN. */
#define WG_EVERY3(n, r) (UINT64_C(0x9249249249249249) << (((n) - (r)) % 3))

#define WG_MAX_PARITY 3

struct wg_parity {
    uint8_t pos;       /* wire position of the parity bit */
    bool odd;          /* odd parity (the covered bits plus this one hold an odd count) */
    uint64_t covers;   /* the covered bits, as word bits; never includes pos itself */
    const char *label; /* for messages: "leading even parity bit" */
};

struct wg_format {
    enum cred_format format;
    uint8_t nbits;
    uint8_t fac_pos, fac_len; /* wire position of the facility's first (most significant) bit */
    uint8_t num_pos, num_len;
    uint8_t nparity;
    struct wg_parity parity[WG_MAX_PARITY]; /* in encode order: a later set may cover an
                                               earlier parity bit, never the reverse */
};

static const struct wg_format formats[] = {
    {
        .format = CRED_FMT_H10301,
        .nbits = 26,
        .fac_pos = 2,
        .fac_len = 8,
        .num_pos = 10,
        .num_len = 16,
        .nparity = 2,
        .parity = {{1, false, WG_SPAN(26, 2, 13), "leading even parity bit"},
                   {26, true, WG_SPAN(26, 14, 25), "trailing odd parity bit"}},
    },
    {
        .format = CRED_FMT_H10306,
        .nbits = 34,
        .fac_pos = 2,
        .fac_len = 16,
        .num_pos = 18,
        .num_len = 16,
        .nparity = 2,
        .parity = {{1, false, WG_SPAN(34, 2, 17), "leading even parity bit"},
                   {34, true, WG_SPAN(34, 18, 33), "trailing odd parity bit"}},
    },
    {
        .format = CRED_FMT_C1000_35,
        .nbits = 35,
        .fac_pos = 3,
        .fac_len = 12,
        .num_pos = 15,
        .num_len = 20,
        .nparity = 3,
        .parity = {{2, false, WG_SPAN(35, 3, 34) & ~WG_EVERY3(35, 2), "even parity bit 2"},
                   {35, true, WG_SPAN(35, 2, 33) & ~WG_EVERY3(35, 1), "trailing odd parity bit"},
                   {1, true, WG_SPAN(35, 2, 35), "leading odd parity bit (over all 35 bits)"}},
    },
    {
        .format = CRED_FMT_H10304,
        .nbits = 37,
        .fac_pos = 2,
        .fac_len = 16,
        .num_pos = 18,
        .num_len = 19,
        .nparity = 2,
        .parity = {{1, false, WG_SPAN(37, 2, 19), "leading even parity bit"},
                   {37, true, WG_SPAN(37, 19, 36), "trailing odd parity bit"}},
    },
};

_Static_assert(GH_ARRAY_LEN(formats) == CRED_FORMAT_COUNT, "one Wiegand layout per format");

static unsigned parity64(uint64_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_parityll(x);
#else
    x ^= x >> 32;
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    return (unsigned)(x & 1);
#endif
}

static const struct wg_format *format_by_length(size_t nbits)
{
    for (size_t i = 0; i < GH_ARRAY_LEN(formats); i++)
        if (formats[i].nbits == nbits)
            return &formats[i];
    return NULL;
}

static const struct wg_format *format_by_id(enum cred_format f)
{
    for (size_t i = 0; i < GH_ARRAY_LEN(formats); i++)
        if (formats[i].format == f)
            return &formats[i];
    return NULL;
}

/* The field of `len` bits whose first wire bit is `pos`. */
static uint64_t field_get(const struct wg_format *fmt, uint64_t w, unsigned pos, unsigned len)
{
    unsigned shift = fmt->nbits - (pos + len - 1);
    return (w >> shift) & ((UINT64_C(1) << len) - 1);
}

static uint64_t field_put(const struct wg_format *fmt, uint64_t v, unsigned pos, unsigned len)
{
    unsigned shift = fmt->nbits - (pos + len - 1);
    return v << shift;
}

static uint64_t field_max(unsigned len)
{
    return (UINT64_C(1) << len) - 1;
}

/* Error path only: "26, 34, 35, 37". */
static void known_lengths(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < GH_ARRAY_LEN(formats) && used < len; i++) {
        if (gh_snprintf(buf + used, len - used, "%s%u", i ? ", " : "", formats[i].nbits) < 0)
            return;
        used += strlen(buf + used);
    }
}

static int fail_length(size_t nbits, struct gh_err *err)
{
    char known[64];
    known_lengths(known, sizeof(known));
    return gh_fail(err, -EPROTO, "unsupported Wiegand length %zu bits (known: %s)", nbits, known);
}

/* Checks parity and extracts the fields of a packed read of fmt->nbits bits. */
static int decode_word(const struct wg_format *fmt, uint64_t w, struct wiegand_card *out,
                       struct gh_err *err)
{
    for (unsigned i = 0; i < fmt->nparity; i++) {
        const struct wg_parity *p = &fmt->parity[i];
        uint64_t set = p->covers | WG_BIT(fmt->nbits, p->pos);
        if (parity64(w & set) != (p->odd ? 1u : 0u))
            return gh_fail(err, -EPROTO, "%u-bit read: %s is wrong", fmt->nbits, p->label);
    }
    out->format = fmt->format;
    out->facility = (uint32_t)field_get(fmt, w, fmt->fac_pos, fmt->fac_len);
    out->number = field_get(fmt, w, fmt->num_pos, fmt->num_len);
    return 0;
}

int wiegand_decode(const uint8_t *bits, size_t nbits, struct wiegand_card *out, struct gh_err *err)
{
    const struct wg_format *fmt = format_by_length(nbits);
    uint64_t w = 0;

    if (fmt == NULL)
        return fail_length(nbits, err);
    if (bits == NULL)
        return gh_fail(err, -EINVAL, "no bits given");
    for (size_t i = 0; i < nbits; i++) {
        if (bits[i] > 1)
            return gh_fail(err, -EPROTO, "bit %zu is not 0 or 1 (it is %u)", i + 1,
                           (unsigned)bits[i]);
        w = (w << 1) | bits[i];
    }
    return decode_word(fmt, w, out, err);
}

int wiegand_decode_str(const char *bitstr, struct wiegand_card *out, struct gh_err *err)
{
    const struct wg_format *fmt;
    uint64_t w = 0;
    size_t n = 0;

    if (bitstr == NULL)
        return gh_fail(err, -EINVAL, "no bits given");
    for (; bitstr[n] != '\0'; n++) {
        unsigned char c = (unsigned char)bitstr[n];
        if (n == WIEGAND_MAX_BITS)
            return gh_fail(err, -EPROTO, "Wiegand read is longer than %d bits", WIEGAND_MAX_BITS);
        if (c != '0' && c != '1') {
            if (c >= 0x20 && c < 0x7f)
                return gh_fail(err, -EPROTO, "bit %zu is '%c', not 0 or 1", n + 1, c);
            return gh_fail(err, -EPROTO, "bit %zu is byte 0x%02x, not 0 or 1", n + 1, c);
        }
        w = (w << 1) | (uint64_t)(c - '0');
    }
    fmt = format_by_length(n);
    if (fmt == NULL)
        return fail_length(n, err);
    return decode_word(fmt, w, out, err);
}

/* Packs a card into a word with correct parity. */
static int encode_word(const struct wiegand_card *card, const struct wg_format **fmt_out,
                       uint64_t *w_out, struct gh_err *err)
{
    const struct wg_format *fmt = format_by_id(card->format);
    uint64_t w;

    if (fmt == NULL)
        return gh_fail(err, -EINVAL, "unknown card format %d", (int)card->format);
    if (card->facility > field_max(fmt->fac_len))
        return gh_fail(err, -ERANGE, "facility %u does not fit %s (largest %llu)", card->facility,
                       cred_format_name(card->format), (unsigned long long)field_max(fmt->fac_len));
    if (card->number > field_max(fmt->num_len))
        return gh_fail(err, -ERANGE, "card number %llu does not fit %s (largest %llu)",
                       (unsigned long long)card->number, cred_format_name(card->format),
                       (unsigned long long)field_max(fmt->num_len));
    w = field_put(fmt, card->facility, fmt->fac_pos, fmt->fac_len) |
        field_put(fmt, card->number, fmt->num_pos, fmt->num_len);
    for (unsigned i = 0; i < fmt->nparity; i++) {
        const struct wg_parity *p = &fmt->parity[i];
        if (parity64(w & p->covers) != (p->odd ? 1u : 0u))
            w |= WG_BIT(fmt->nbits, p->pos);
    }
    *fmt_out = fmt;
    *w_out = w;
    return 0;
}

int wiegand_encode(const struct wiegand_card *card, uint8_t bits[WIEGAND_MAX_BITS], size_t *nbits,
                   struct gh_err *err)
{
    const struct wg_format *fmt;
    uint64_t w;
    int r = encode_word(card, &fmt, &w, err);

    if (r < 0)
        return r;
    for (unsigned k = 1; k <= fmt->nbits; k++)
        bits[k - 1] = (uint8_t)((w >> (fmt->nbits - k)) & 1);
    *nbits = fmt->nbits;
    return 0;
}

int wiegand_encode_str(const struct wiegand_card *card, char *buf, size_t len, struct gh_err *err)
{
    const struct wg_format *fmt;
    uint64_t w;
    int r = encode_word(card, &fmt, &w, err);

    if (r < 0)
        return r;
    if (len <= fmt->nbits)
        return gh_fail(err, -ENOSPC, "a %u-bit read needs a buffer of %u bytes, not %zu",
                       fmt->nbits, fmt->nbits + 1u, len);
    for (unsigned k = 1; k <= fmt->nbits; k++)
        buf[k - 1] = (char)('0' + ((w >> (fmt->nbits - k)) & 1));
    buf[fmt->nbits] = '\0';
    return 0;
}

int wiegand_card_parse(const char *s, struct wiegand_card *out, struct gh_err *err)
{
    char buf[96];
    char *fac, *num;
    uint64_t f, n;
    if (gh_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
        goto bad;
    fac = strchr(buf, ':');
    if (fac == NULL)
        goto bad;
    *fac++ = '\0';
    num = strchr(fac, ':');
    if (num == NULL)
        goto bad;
    *num++ = '\0';
    if (cred_format_parse(buf, &out->format, err) < 0)
        return -EINVAL;
    if (gh_parse_u64(fac, UINT32_MAX, &f) < 0 || gh_parse_u64(num, UINT64_MAX >> 1, &n) < 0)
        goto bad;
    out->facility = (uint32_t)f;
    out->number = n;
    return model_check_card(out->format, out->facility, out->number, err);
bad:
    return gh_fail(err, -EINVAL, "'%.64s' is not FORMAT:FACILITY:NUMBER (e.g. h10301:12:3456)",
                   s);
}
