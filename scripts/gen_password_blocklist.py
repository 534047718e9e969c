#!/usr/bin/python3
"""Writes data/password-blocklist.txt: passwords that people pick again and again, long
enough to pass the length rule (12 characters or more): common words and keyboard walks
with the years, counters and punctuation people append, repeated digit runs, and words of
this product and its field. One per line, lower-case, sorted, unique. The server refuses a
new password that equals a line (ignoring case). Run it again after changing the lists."""

import itertools
import pathlib

BASES = """
password passw0rd p@ssword p@ssw0rd passwort motdepasse contrasena wachtwoord
welcome welcome1 letmein iloveyou trustno1 changeme changeit default secret
qwerty qwertyuiop qwertyuiopasdf asdfghjkl zxcvbnm 1qaz2wsx 1q2w3e4r 1q2w3e4r5t
zaq12wsx qazwsx qweasdzxc asdfasdf abcdefgh abcd1234 abc123 a1b2c3d4
admin administrator root superuser supervisor manager operator guest login user
monkey dragon football baseball basketball soccer hockey sunshine princess master
superman batman spiderman shadow michael jennifer jordan hunter ranger thomas
summer winter spring autumn monday friday january december christmas
company office business corporate enterprise headquarters
security secure access control accesscontrol doorlock keycard badge visitor
gatehouse gate guard lobby reception facilities
""".split()

SUFFIXES = ["", "1", "12", "123", "1234", "12345", "123456", "!", "!!", "1!", "12!", "123!",
            "1234!", "@1", "@12", "@123", "#1", "#123", "01", "007", "99", "69", "321"]
YEARS = [str(y) for y in range(1990, 2031)]
YEAR_SUFFIXES = ["", "!", "!!", "#", "@", "."]


def candidates():
    for base in BASES:
        forms = {base, base.capitalize()}
        for f in forms:
            for s in SUFFIXES:
                yield f + s
            for y, s in itertools.product(YEARS, YEAR_SUFFIXES):
                yield f + y + s
                yield f + "@" + y + s
            yield f + f
            yield f + f + "1"
    # digit runs and repeats
    digits = "1234567890"
    for n in range(12, 21):
        yield (digits * 3)[:n]
        yield (digits[::-1] * 3)[:n]
        for d in "0123456789":
            yield d * n
        yield ("12" * 11)[:n]
        yield ("123" * 7)[:n]
    for ch in "abcdefghijklmnopqrstuvwxyz":
        yield ch * 12


def main():
    out = sorted({c.lower() for c in candidates() if 12 <= len(c) <= 64})
    path = pathlib.Path(__file__).resolve().parent.parent / "data" / "password-blocklist.txt"
    path.write_text("".join(p + "\n" for p in out))
    print(f"{path}: {len(out)} passwords")


if __name__ == "__main__":
    main()
