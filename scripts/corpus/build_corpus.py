#!/usr/bin/python3
"""Cleans the extracted novels (scripts/corpus/extract.sh) into the training corpus: one paragraph
per line, Gutenberg headers and licence text removed, italics underscores dropped, whitespace
collapsed. Each book is cut into chapters; every 20th chapter (index % 20 == 10) is held out for
validation, so the validation text is whole chapters the model never sees (5 %).
Pride and Prejudice appears in both R packages; the tidytext copy is skipped.

Usage: build_corpus.py RAWDIR OUTDIR   (writes OUTDIR/train.txt and OUTDIR/val.txt)
"""
import collections
import os
import re
import sys

CHAPTER = re.compile(r"^\s*(CHAPTER|Chapter|ADVENTURE)\b|^\s*[IVXLC]+\.\s+[A-Z]")
SKIP_TIDYTEXT = {"Pride and Prejudice"}


def read_tsv(path, skip=()):
    books = collections.OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            title, _, text = line.rstrip("\n").partition("\t")
            if title not in skip:
                books.setdefault(title, []).append(text)
    return books


def read_gutenberg(path):
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    start = next((i + 1 for i, l in enumerate(lines) if l.startswith("*** START OF")), 0)
    end = next((i for i, l in enumerate(lines) if l.startswith("*** END OF") or l.startswith("End of the Project Gutenberg")), len(lines))
    lines = lines[start:end]
    first = next((i for i, l in enumerate(lines) if CHAPTER.match(l) and i > 40), 0)
    # The table of contents precedes the first real chapter heading that is followed by prose.
    return lines[first:] if first else lines


def paragraphs(lines):
    out, cur = [], []
    for line in lines:
        s = line.strip()
        if not s or CHAPTER.match(line):
            if cur:
                out.append(" ".join(cur))
                cur = []
            if s:
                out.append(s)
            continue
        cur.append(s)
    if cur:
        out.append(" ".join(cur))
    clean = []
    for p in out:
        p = p.replace("_", "")
        p = re.sub(r"\s+", " ", p).strip()
        if p:
            clean.append(p)
    return clean


def chapters(paras):
    ch = [[]]
    for p in paras:
        if CHAPTER.match(p) and ch[-1]:
            ch.append([])
        ch[-1].append(p)
    return ch


def main():
    raw, out = sys.argv[1], sys.argv[2]
    books = read_tsv(os.path.join(raw, "austen.tsv"))
    books.update(read_tsv(os.path.join(raw, "tidytext.tsv"), SKIP_TIDYTEXT))
    books["The Adventures of Sherlock Holmes"] = read_gutenberg(os.path.join(raw, "sherlock.txt"))
    books["The Adventures of Tom Sawyer"] = read_gutenberg(os.path.join(raw, "sawyer.txt"))
    train, val = [], []
    for title, lines in books.items():
        chs = chapters(paragraphs(lines))
        n_val = 0
        for i, c in enumerate(chs):
            if i % 20 == 10:
                val.extend(c)
                n_val += 1
            else:
                train.extend(c)
        print("%-40s %4d chapters, %d held out" % (title, len(chs), n_val))
    os.makedirs(out, exist_ok=True)
    for name, paras in (("train.txt", train), ("val.txt", val)):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("\n".join(paras) + "\n")
    nt, nv = sum(len(p) + 1 for p in train), sum(len(p) + 1 for p in val)
    print("train %d bytes, validation %d bytes (%.1f %%)" % (nt, nv, 100.0 * nv / (nt + nv)))


if __name__ == "__main__":
    main()
