#!/usr/bin/env python3
"""Converted-then-run logits against the PyTorch reference of the Hugging Face model.

Writes a tiny checkpoint of FAMILY (hf_checkpoint.py), converts it with `bitnet convert --type
TYPE`, evaluates a random token sequence with the engine (dump_logits, f32 KV cache) and with
hf_reference.py on the checkpoint, and requires the same argmax at every position and perplexity
within 0.5 %. With --mutate M the reference is deliberately broken and the comparison must fail.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "reference"))
import bitnet_reference  # noqa: E402
import gguf_reader  # noqa: E402
import hf_reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
N_TOKENS = 32
PPL_TOLERANCE = 0.005


def run(cmd: list) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}{r.stderr}")


def perplexity(logits: np.ndarray, tokens: list) -> float:
    x = logits[:-1].astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(x - m).sum(axis=1)))
    nll = lse - x[np.arange(len(tokens) - 1), tokens[1:]]
    return float(np.exp(nll.mean()))


def compare(eng: np.ndarray, ref: np.ndarray, tokens: list) -> list:
    """The list of failures (empty when the engine matches)."""
    problems = []
    ea, ra = eng.argmax(axis=1), ref.argmax(axis=1)
    top2 = np.sort(ref, axis=1)[:, -2:]
    gaps = top2[:, 1] - top2[:, 0]
    bad = np.nonzero(ea != ra)[0]
    if len(bad):
        problems.append(f"argmax differs at {len(bad)} of {len(tokens)} positions (first {bad[0]}: engine {ea[bad[0]]}, "
                        f"reference {ra[bad[0]]}, reference top-2 gap {gaps[bad[0]]:.4g})")
    pe, pr = perplexity(eng, tokens), perplexity(ref, tokens)
    if abs(pe / pr - 1.0) > PPL_TOLERANCE:
        problems.append(f"perplexity {pe:.6g} vs reference {pr:.6g} ({100 * (pe / pr - 1):+.3f} %)")
    print(f"max |logit diff| {np.abs(eng - ref).max():.4g} (logit std {ref.std():.3g}), smallest reference top-2 gap "
          f"{gaps.min():.4g}, perplexity {pe:.6g} vs {pr:.6g} ({100 * (pe / pr - 1):+.4f} %)")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--family", required=True)
    ap.add_argument("--type", default="i2_s")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--mutate", default="", choices=("", "scale", "activation", "packing"))
    ap.add_argument("--head-type", default="f16", help="bitnet convert --head-type")
    ap.add_argument("--quantize", default="", help="then `bitnet quantize` the I2_S file to this type (iq2_bn, iq1_bn)")
    args = ap.parse_args()

    ckpt = os.path.join(args.workdir, f"{args.family}-{args.seed}")
    if not os.path.exists(os.path.join(ckpt, "config.json")):  # written last: a complete checkpoint
        run(["/usr/bin/python3", os.path.join(HERE, "hf_checkpoint.py"), args.family, ckpt, "--seed", str(args.seed)])
    tag = f"{args.family}-{args.seed}-{args.type}-{args.head_type}-{args.quantize}{'-' + args.mutate if args.mutate else ''}"
    gguf = os.path.join(args.workdir, tag + ".gguf")
    run([args.cli, "convert", ckpt, "-o", gguf, "--type", args.type, "--head-type", args.head_type, "-q"])
    stored = args.type
    if args.quantize:  # files in ik_llama.cpp's per-row types, read by the engine
        run([args.cli, "quantize", gguf, gguf + ".q", args.quantize, "-q"])
        os.replace(gguf + ".q", gguf)
        stored = args.quantize

    ref = hf_reference.Reference(ckpt, args.mutate, scale_f16=stored in ("tq1_0", "tq2_0", "f16", "iq1_bn"))
    if args.head_type in ("q8_0", "q6_k"):
        # A quantized head is the format's rounding, not the conversion's: the reference takes the
        # head as stored, with ggml's activation blocks (tests/reference/bitnet_reference.py), and
        # a tied one is also the embedding table.
        gf = gguf_reader.GgufFile(gguf)
        name = "output.weight" if "output.weight" in gf.tensors else "token_embd.weight"
        ref.head_logits = lambda z: bitnet_reference.quantized_head_logits(gf, name, z).astype(np.float32)
        if name == "token_embd.weight":
            ref.t["model.embed_tokens.weight"] = hf_reference.torch.from_numpy(gguf_reader.dequantize(gf, name).copy())
    n_vocab = ref.head.shape[0]
    tokens = [int(t) for t in np.random.default_rng(args.seed).integers(0, n_vocab, N_TOKENS)]
    tok_file, out = os.path.join(args.workdir, tag + ".tokens"), os.path.join(args.workdir, tag + ".logits")
    with open(tok_file, "w") as f:
        f.write(" ".join(map(str, tokens)))
    run([args.dump, gguf, tok_file, out, "--cache", "f32"])
    eng = np.fromfile(out, dtype="<f4").reshape(N_TOKENS, n_vocab)
    problems = compare(eng, ref.logits(tokens), tokens)
    for p in (gguf, out, tok_file):
        os.remove(p)
    if args.mutate:
        if not problems:
            print(f"FAIL: the reference mutated by '{args.mutate}' still matches the engine")
            return 1
        print(f"ok: the '{args.mutate}' mutation is detected: " + "; ".join(problems))
        return 0
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
