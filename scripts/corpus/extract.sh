#!/usr/bin/env bash
# One-time extraction of the raw public-domain texts behind data/corpus/ (see data/PROVENANCE.md).
# Needs R and three Debian packages that the project itself does not depend on:
#   apt-get install r-cran-janeaustenr r-cran-tidytext golang-github-pierrec-lz4-dev
# Usage: scripts/corpus/extract.sh OUTDIR   then   scripts/corpus/build_corpus.py OUTDIR data/corpus
set -euo pipefail
out=${1:?usage: extract.sh OUTDIR}
mkdir -p "$out"
Rscript -e 'library(janeaustenr); b <- austen_books(); writeLines(paste(b$book, b$text, sep="\t"), commandArgs(TRUE)[1])' \
  "$out/austen.tsv"
Rscript -e 'load("/usr/lib/R/site-library/tidytext/extdata/books.rda"); writeLines(paste(books$title, books$text, sep="\t"), commandArgs(TRUE)[1])' \
  "$out/tidytext.tsv"
lz4=/usr/share/gocode/src/github.com/pierrec/lz4/testdata
cp "$lz4/pg1661.txt" "$out/sherlock.txt"
cp "$lz4/Mark.Twain-Tom.Sawyer.txt" "$out/sawyer.txt"
echo "extract: raw texts in $out"
