"""Sensitivity check of the reference comparison: deliberately broken variants of the NumPy reference
(each a plausible engine bug) must all FAIL against the engine's logits, despite the near-tie search
of run_reference.py. Guards against the search (or a tolerance) becoming so permissive that it would
explain away real errors.

    /usr/bin/python3 sensitivity.py --cli BITNET --dump DUMP_LOGITS [--type i2_s] [--seed N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("the NumPy reference needs python3-numpy: apt-get install python3-numpy", file=sys.stderr)
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bitnet_reference as br  # noqa: E402
import gguf_reader as gr  # noqa: E402
import run_reference as rr  # noqa: E402

F32 = np.float32


@contextlib.contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def mutations(ref: br.BitNetReference):
    """(name, context manager factory, kv_f32) for each broken variant."""
    rope, attention, rms = br.rope_neox, br.attention, br.rms_norm

    def rope_adjacent(x, positions, n_rot, base):  # GPT-J pairing (2i, 2i+1) instead of NeoX (i, i+d/2)
        T, H, D = x.shape
        y = x.reshape(T, H, D // 2, 2).transpose(0, 1, 3, 2).reshape(T, H, D)
        y = rope(y, positions, n_rot, base)
        return y.reshape(T, H, 2, D // 2).transpose(0, 1, 3, 2).reshape(T, H, D)

    def gqa_modulo(q, k, v):  # query head j -> KV head j % n_kv instead of j // group
        idx = [j % k.shape[1] for j in range(q.shape[1])]
        return attention(q, k[:, idx], v[:, idx])

    def head_input_f16(x, w, eps):  # the LM head's input rounded to f16 (ggml's F16 mat-mul)
        y = rms(x, w, eps)
        return br._f16_round(y) if w is ref.output_norm else y

    def no_sub_norm(x, w, eps):
        return x.astype(F32) if any(w is L.attn_sub_norm for L in ref.layers) else rms(x, w, eps)

    def per_batch_act_quant(x, rnd=None, site=None):  # one activation scale for the whole batch
        x = x.astype(F32)
        s = F32(127.0) / np.maximum(np.abs(x).max(), F32(1e-5))
        q = np.clip(np.rint(x * s), -128, 127)
        return q.astype(np.float64), np.full((x.shape[0], 1), s, dtype=F32)

    return [
        ("RMSNorm eps / 10", lambda: patched(ref, "eps", ref.eps / 10), False),
        ("RoPE base 10000", lambda: patched(ref, "rope_base", 10000.0), False),
        ("RoPE adjacent pairs", lambda: patched(br, "rope_neox", rope_adjacent), False),
        ("RoPE position + 1", lambda: patched(br, "rope_neox", lambda x, p, n, b: rope(x, p + 1, n, b)), False),
        ("queries rounded to f16", lambda: patched(br, "rope_neox", lambda *a: br._f16_round(rope(*a))), False),
        ("GQA head j -> j % n_kv", lambda: patched(br, "attention", gqa_modulo), False),
        ("attention scale * 1.01", lambda: patched(br, "attention", lambda q, k, v: attention(q * F32(1.01), k, v)),
         False),
        ("SiLU instead of ReLU^2", lambda: patched(ref, "relu2", False), False),
        ("no attn_sub_norm", lambda: patched(br, "rms_norm", no_sub_norm), False),
        ("per-batch activation scale", lambda: patched(br, "act_quant", per_batch_act_quant), False),
        ("LM head input rounded to f16", lambda: patched(br, "rms_norm", head_input_f16), False),
        ("f32 instead of f16 KV cache", contextlib.nullcontext, True),
    ]


def act_quant_half_away(x, rnd=None, site=None):
    """The rounding-mode bug: activation ties rounded half away from zero instead of to even."""
    x = x.astype(F32)
    s = F32(127.0) / np.maximum(np.abs(x).max(axis=-1, keepdims=True), F32(1e-5))
    prod = x * s
    q = np.clip(np.sign(prod) * np.floor(np.abs(prod) + 0.5), -128, 127)
    return q.astype(np.float64), s.astype(F32)


def sum_of_four_squares(r: int, limit: int) -> list[int] | None:
    """Four integers in [0, limit] whose squares add up to r, or None."""
    for a in range(min(math.isqrt(r), limit), -1, -1):
        ra = r - a * a
        for b in range(min(math.isqrt(ra), a), -1, -1):
            rb = ra - b * b
            for c in range(min(math.isqrt(rb), b), -1, -1):
                d2 = rb - c * c
                d = math.isqrt(d2)
                if d * d == d2 and d <= c:
                    return [a, b, c, d]
    return None


def make_ties(model: str, seed: int) -> int:
    """Rewrites the token embeddings and layer 0's attn_norm so that layer 0's activation quantizer
    meets exact halves: every row is integers with sum of squares 1024 * n_embd (RMS exactly 32) and
    max |x| = 254, attn_norm is 1, so x * (127 / max) = x / 2 exactly and every odd entry is a tie.
    Thousands of ties, far more than the near-tie search may flip, so a rounding-mode bug cannot be
    explained away. Layer 0's attention output is scaled up 64x so that its effect is not drowned by
    these large embeddings in the residual stream. Returns the number of odd (tie) entries over the
    vocabulary."""
    f = gr.GgufFile(model)
    embd, norm = f.tensors["token_embd.weight"], f.tensors["blk.0.attn_norm.weight"]
    wo = f.tensors["blk.0.attn_output.weight"]
    if embd.type != 1 or norm.type != 0 or wo.type != gr.I2_S:
        raise SystemExit("make_ties expects an F16 token_embd, an F32 attn_norm and I2_S weights")
    wo_scale_at = wo.offset + wo.n_elements // 4
    wo_scale = float(np.frombuffer(f.raw("blk.0.attn_output.weight")[wo.n_elements // 4:][:4].tobytes(), "<f4")[0])
    n_embd, n_vocab = embd.shape
    rng = np.random.default_rng(seed)
    rows = np.zeros((n_vocab, n_embd), dtype=np.float16)
    for v in range(n_vocab):
        while True:
            body = rng.integers(-30, 31, size=n_embd - 5)
            rest = sum_of_four_squares(1024 * n_embd - 254 * 254 - int((body * body).sum()), 253)
            if rest is not None:
                break
        row = np.concatenate([[254], body, rest]) * rng.choice([-1, 1], size=n_embd)
        rows[v] = rng.permutation(row)
    with open(model, "r+b") as fh:
        fh.seek(embd.offset)
        fh.write(rows.astype("<f2").tobytes())
        fh.seek(norm.offset)
        fh.write(np.ones(n_embd, dtype="<f4").tobytes())
        fh.seek(wo_scale_at)
        fh.write(np.array([wo_scale * 64], dtype="<f4").tobytes())
    return int((rows.astype(np.int64) % 2 != 0).sum())


def comparison(args, model: str, tmp: str):
    """The reference for `model` and a verdict(kv_f32) -> (passes, summary) against the engine."""
    ref = br.BitNetReference(model)
    tokens = rr.make_prompt(args.cli, model, ref.n_vocab, args.seed)
    tokens_file = os.path.join(tmp, "tokens.txt")
    with open(tokens_file, "w") as fh:
        fh.write("\n".join(map(str, tokens)) + "\n")
    rr.run([args.dump, model, tokens_file, os.path.join(tmp, "eng.f32"), "--cache", "f16"])
    eng = np.fromfile(os.path.join(tmp, "eng.f32"), dtype="<f4").reshape(len(tokens), ref.n_vocab)

    def verdict(kv_f32: bool) -> tuple[bool, str]:
        with contextlib.redirect_stdout(io.StringIO()):
            logits, flips, unexplained = rr.explain_with_ties(ref, tokens, eng, kv_f32)
        err = float(rr.rel_err(eng, logits, float(np.abs(logits).max())).max())
        argmax = int((eng.argmax(axis=1) != logits.argmax(axis=1)).sum())
        ok = err <= rr.TOL and argmax == 0
        return ok, f"max rel err {err:.1e}, argmax differs at {argmax}, {len(flips)} flip(s)"

    return ref, verdict


def check(name: str, verdict, contexts, kv_f32: bool = False, expect_pass: bool = False) -> int:
    """Prints one line; returns 1 when the outcome is not the expected one."""
    with contextlib.ExitStack() as stack:
        for ctx in contexts:
            stack.enter_context(ctx())
        passed, what = verdict(kv_f32)
    if expect_pass:
        print(f"{'ok  ' if passed else 'FAIL'}  {name}: {what}")
        return 0 if passed else 1
    print(f"{'FAIL' if passed else 'ok  '}  {name}: {'not detected' if passed else 'detected'} ({what})")
    return 1 if passed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--type", default="i2_s")
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bitnet-sens-") as tmp:
        model = os.path.join(tmp, "model.gguf")
        rr.run([args.cli, "synth", "--preset", "tiny", "--type", args.type, "--seed", str(args.seed), "-q",
                "-o", model])
        ref, verdict = comparison(args, model, tmp)
        failures = check("unmodified reference passes", verdict, [], expect_pass=True)
        for name, ctx, kv_f32 in mutations(ref):
            failures += check(name, verdict, [ctx], kv_f32=kv_f32)

        # The rounding mode needs exact ties, which random activations almost never meet.
        ties = os.path.join(tmp, "ties.gguf")
        rr.run([args.cli, "synth", "--preset", "tiny", "--type", "i2_s", "--seed", str(args.seed), "-q",
                "-o", ties])
        n_ties = make_ties(ties, args.seed)
        print(f"tie model: {n_ties} exact halves in layer 0's quantizer input over the vocabulary")
        _, verdict = comparison(args, ties, tmp)
        failures += check("unmodified reference passes on the tie model", verdict, [], expect_pass=True)
        failures += check("activation ties rounded half away from zero", verdict,
                          [lambda: patched(br, "act_quant", act_quant_half_away)])
    print("PASS" if failures == 0 else f"FAIL: {failures} problem(s)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
