/*
 * simline.c: the simulator driver's line protocol (see edge.h): one command per line,
 * parsed with hard limits (line length, word count and length, bit count) into a struct;
 * every refusal names the column where the line went wrong.
 */
#include "edge/edge.h"

#include <errno.h>
#include <string.h>

#define MAX_WORDS 4

struct word {
    const char *s;
    size_t len;
    size_t col; /* 1-based */
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool door_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

static bool word_is(const struct word *w, const char *text)
{
    return w->len == strlen(text) && memcmp(w->s, text, w->len) == 0;
}

static int fail_at(struct gh_err *err, size_t col, const char *what)
{
    return gh_fail(err, -EINVAL, "column %zu: %s", col, what);
}

/* Splits line into at most MAX_WORDS words; -EINVAL past that or on a control byte. */
static int split(const char *line, size_t len, struct word *w, int *n, struct gh_err *err)
{
    *n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)line[i];
        if (is_space((char)c)) {
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            return fail_at(err, i + 1, "a control character (commands are plain text)");
        if (*n == MAX_WORDS)
            return fail_at(err, i + 1, "too many words (at most 4: swipe DOOR BITS pin=DIGITS)");
        w[*n].s = line + i;
        w[*n].col = i + 1;
        while (i < len && !is_space(line[i]) && (unsigned char)line[i] >= 0x20 && line[i] != 0x7f)
            i++;
        w[*n].len = (size_t)(line + i - w[*n].s);
        (*n)++;
    }
    return 0;
}

static int parse_door(const struct word *w, char *out, struct gh_err *err)
{
    if (w->len >= EDGE_SIM_DOOR_MAX)
        return fail_at(err, w->col, "the door is longer than 64 characters");
    for (size_t i = 0; i < w->len; i++)
        if (!door_char(w->s[i]))
            return fail_at(err, w->col + i,
                           "a door is its id or a name of letters, digits and . _ : -");
    memcpy(out, w->s, w->len);
    out[w->len] = '\0';
    return 0;
}

static int parse_swipe(const struct word *w, int n, struct edge_sim_cmd *out, struct gh_err *err)
{
    if (n < 3)
        return fail_at(err, w[0].col, "swipe needs a door and the card's bits: swipe DOOR BITS");
    if (w[2].len > EDGE_SIM_MAX_BITS)
        return fail_at(err, w[2].col, "more than 64 bits: no card format is that long");
    for (size_t i = 0; i < w[2].len; i++) {
        if (w[2].s[i] != '0' && w[2].s[i] != '1')
            return fail_at(err, w[2].col + i, "the bits are 0 and 1 only");
        out->bits[i] = (uint8_t)(w[2].s[i] - '0');
    }
    out->nbits = w[2].len;
    if (n == 4) {
        const struct word *p = &w[3];
        if (p->len < 5 || memcmp(p->s, "pin=", 4) != 0)
            return fail_at(err, p->col, "after the bits only pin=DIGITS may follow");
        if (p->len - 4 >= EDGE_SIM_PIN_MAX)
            return fail_at(err, p->col + 4, "a PIN is at most 12 digits");
        for (size_t i = 4; i < p->len; i++)
            if (p->s[i] < '0' || p->s[i] > '9')
                return fail_at(err, p->col + i, "a PIN is digits only");
        memcpy(out->pin, p->s + 4, p->len - 4);
        out->pin[p->len - 4] = '\0';
    }
    return 0;
}

int edge_sim_parse(const char *line, size_t len, struct edge_sim_cmd *out, struct gh_err *err)
{
    static const struct {
        const char *name;
        enum edge_sim_verb verb;
        int words; /* exactly, except swipe: 3 or 4 */
    } verbs[] = {{"swipe", SIM_SWIPE, 3},    {"open", SIM_OPEN, 2},   {"close", SIM_CLOSE, 2},
                 {"rex", SIM_REX, 2},        {"state", SIM_STATE, 2}, {"fault", SIM_FAULT, 3},
                 {"advance", SIM_ADVANCE, 2}};
    struct word w[MAX_WORDS];
    int n, rc, v;

    memset(out, 0, sizeof(*out));
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > EDGE_SIM_LINE_MAX) {
        rc = fail_at(err, EDGE_SIM_LINE_MAX + 1, "the line is longer than 512 bytes");
        goto fail;
    }
    if ((rc = split(line, len, w, &n, err)) < 0)
        goto fail;
    if (n == 0) {
        rc = fail_at(err, 1,
                     "an empty line (commands: swipe, open, close, rex, state, fault, advance)");
        goto fail;
    }
    for (v = 0; v < (int)(sizeof(verbs) / sizeof(verbs[0])); v++)
        if (word_is(&w[0], verbs[v].name))
            break;
    if (v == (int)(sizeof(verbs) / sizeof(verbs[0]))) {
        rc = fail_at(err, w[0].col,
                     "unknown command (commands: swipe, open, close, rex, state, fault, advance)");
        goto fail;
    }
    out->verb = verbs[v].verb;
    if (out->verb == SIM_ADVANCE) {
        char digits[16];
        int64_t secs;
        if (n != 2 || w[1].len >= sizeof(digits)) {
            rc = fail_at(err, n < 2 ? w[0].col + w[0].len : w[1].col,
                         "advance takes the seconds to move the clock: advance SECONDS");
            goto fail;
        }
        memcpy(digits, w[1].s, w[1].len);
        digits[w[1].len] = '\0';
        if (gh_parse_i64(digits, 1, EDGE_SIM_ADVANCE_MAX, &secs) < 0) {
            rc = fail_at(err, w[1].col, "the seconds are 1 to 604800 (a week)");
            goto fail;
        }
        out->seconds = secs;
        return 0;
    }
    if (n < 2) {
        rc = fail_at(err, w[0].col + w[0].len, "a door is missing after the command");
        goto fail;
    }
    if (n > verbs[v].words + (out->verb == SIM_SWIPE)) {
        rc = fail_at(err, w[verbs[v].words + (out->verb == SIM_SWIPE)].col,
                     "unexpected text after the command");
        goto fail;
    }
    if ((rc = parse_door(&w[1], out->door, err)) < 0)
        goto fail;
    if (out->verb == SIM_SWIPE && (rc = parse_swipe(w, n, out, err)) < 0)
        goto fail;
    if (out->verb == SIM_FAULT) {
        if (n < 3 || !(word_is(&w[2], "on") || word_is(&w[2], "off"))) {
            rc = fail_at(err, n < 3 ? w[1].col + w[1].len : w[2].col,
                         "fault takes on or off: fault DOOR on|off");
            goto fail;
        }
        out->on = word_is(&w[2], "on");
    }
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    return rc;
}
