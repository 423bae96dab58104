#!/usr/bin/python3
"""Share of generated words that are dictionary words, and replacement characters, in text on
stdin (docs/TRAINING.md's demo check). Words are runs of letters (with inner apostrophes); one
counts as English when it, or it lower-cased, or it without a possessive 's, is in the word list.

Usage: ... | dict_words.py [/usr/share/dict/words]   (Debian's wamerican)
"""
import re
import sys

words_path = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/dict/words"
known = set(w.strip() for w in open(words_path, encoding="utf-8", errors="replace"))
text = sys.stdin.read()
found = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)*", text)


def ok(w):
    for c in (w, w.lower(), re.sub(r"'s$", "", w), re.sub(r"'s$", "", w.lower())):
        if c in known:
            return True
    return False


good = sum(1 for w in found if ok(w))
print("%d words, %d in the dictionary (%.1f %%), %d U+FFFD" % (len(found), good, 100.0 * good / max(len(found), 1), text.count("\ufffd")))
