#!/usr/bin/env python3
"""The converted tokenizer against the source one, through `bitnet tokenize` on the GGUF that
`bitnet convert` wrote:
  bpe  a checkpoint with a Llama-3 tokenizer.json: the ids of the tokenization vectors in
       tests/data/tokenizer/llama3-public.jsonl (texts without special-token matching);
       the tokenizer is given with --tokenizer DIR from a directory without weights
  spm  a checkpoint with a SentencePiece tokenizer.model: the ids SentencePiece itself gives
       (Debian's python3-sentencepiece), BOS first, for the same texts
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "data", "tokenizer", "llama3-public.jsonl")
N_TEXTS = 80


def tokenize(cli: str, gguf: str, text: str, work: str, bos: bool) -> list:
    path = os.path.join(work, "text.txt")
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))
    cmd = [cli, "tokenize", "-m", gguf, "-f", path, "--ids"] + ([] if bos else ["--no-bos"])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"tokenize failed: {r.stderr}")
    return json.loads(r.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--mode", choices=("bpe", "spm"), required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    work = os.path.join(args.workdir, f"tokenizer-{args.mode}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    gguf = os.path.join(work, "model.gguf")
    cmd = [args.cli, "convert", args.checkpoint, "-o", gguf, "-q"]
    if args.mode == "bpe":  # weights and tokenizer in different directories
        weights = os.path.join(work, "weights")
        os.makedirs(weights)
        for name in os.listdir(args.checkpoint):
            if not name.startswith("tokenizer"):
                os.symlink(os.path.join(os.path.abspath(args.checkpoint), name), os.path.join(weights, name))
        cmd = [args.cli, "convert", weights, "-o", gguf, "-q", "--tokenizer", args.checkpoint]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"convert failed: {r.stderr}")

    vectors = [json.loads(line) for line in open(VECTORS, encoding="utf-8")]
    vectors = [v for v in vectors if not v["special"]][:N_TEXTS]
    if args.mode == "spm":
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=os.path.join(args.checkpoint, "tokenizer.model"))
        expected = [[sp.bos_id()] + sp.encode(v["text"]) for v in vectors]
    else:
        expected = [v["ids"] for v in vectors]
    failures = 0
    for v, want in zip(vectors, expected):
        got = tokenize(args.cli, gguf, v["text"], work, bos=args.mode == "spm")
        if got != want:
            failures += 1
            print(f"MISMATCH {v['text']!r}: got {got}, expected {want}")
    print(f"{len(vectors) - failures} of {len(vectors)} texts tokenize identically")
    shutil.rmtree(work)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
