"""An independent NumPy forward pass of BitNet b1.58 (GGUF), for checking the C++ engine.

Written from /work/shared/docs/bitnet-b158-architecture.md section 4 and
/work/shared/docs/gguf-ternary-formats.md section 12.1, NOT from the engine's source. It evaluates a
whole token sequence at once (causal mask) and returns the logits of every position.

Numerics (the specs' canonical arithmetic, which the engine claims to follow):
  * f32 residual stream; RMSNorm y = w * x / sqrt(mean(x^2) + eps), eps from the metadata.
  * BitLinear (q, k, v, o, gate, up, down): per-token int8 absmax activation quantization
        s = 127 / max(max|x|, 1e-5)       (f32)
        q = clip(rint(x * s), -128, 127)  (rint = round half to even, x * s in f32)
    exact integer dot products with the ternary weights T, then y = (acc / s) * alpha in f32.
    Per-256-block scales (TQ1_0 / TQ2_0): y = sum_b (acc_b / s) * d_b.
  * RoPE NeoX ("rotate half": dimension i pairs with i + n_rot/2), angles in float64
    theta_i = pos * base^(-2i/n_rot), cos/sin rounded to f32.
  * KV cache: K (after RoPE) and V rounded to float16 unless kv_f32.
  * Attention: scale 1/sqrt(head_dim), causal, softmax in f32 (max subtracted), GQA: query head j
    uses KV head j // (n_head / n_head_kv).
  * attn_sub_norm before the o projection, ffn_sub_norm before the down projection.
  * FFN: relu(gate)^2 * up ("bitnet-b1.58", "bitnet-25"), silu(gate) * up ("bitnet").
  * LM head: output.weight if present, else the tied token_embd; F16/F32 weights dotted with the
    f32 normed hidden state (no activation quantization). For Q8_0 / Q6_K heads the hidden state is
    quantized the way ggml's CPU dot products do it (Q8_0 blocks of 32 for a Q8_0 head, Q8_K blocks
    of 256 for a Q6_K head) -- see quantized_head_logits().

Usage as a program:
    /usr/bin/python3 bitnet_reference.py MODEL.gguf TOKENS_FILE OUT.f32 [--cache f16|f32]
writes float32 logits [n_tokens][n_vocab] (the same format as dump_logits).
"""

from __future__ import annotations

import argparse
import re
import sys

import numpy as np

import gguf_reader as gr

F32 = np.float32


# ------------------------------------------------------------------------------------------------
# Building blocks


def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """RMSNorm over the last axis; f32 in and out (computed in float64, then rounded)."""
    x64 = x.astype(np.float64)
    inv = 1.0 / np.sqrt(np.mean(x64 * x64, axis=-1, keepdims=True) + float(F32(eps)))
    return (x64 * inv * w.astype(np.float64)).astype(F32)


class Roundings:
    """Bookkeeping of rounding decisions that sit on a knife's edge.

    The int8 activation quantizer and the float16 KV cache are discontinuous: an input that is within
    a few f32 ulps of a rounding boundary may round either way in two correct implementations whose
    f32 arithmetic differs only in evaluation order (e.g. the order of an RMSNorm's sum of squares).
    One such flip changes a whole activation row by one quantum and then cascades through every
    later quantization, so the logits move by ~1e-2 relative -- far above the check's tolerance.

    A Roundings object records every such near-tie as a candidate (site, token, index) and can force
    the other rounding for chosen candidates (overrides). run_reference.py uses it to explain a
    mismatch by flipping a few genuine near-ties, and reports every flip it needed.

    site = (layer, name); names: attn_in / o_in / ffn_in / down_in (int8 BitLinear inputs),
    k16 / v16 (float16 KV cache), head (Q8_0 / Q8_K quantization of a quantized LM head).
    """

    # An int8 rounding is a near-tie when x*s is within int8_ulps ulps of 127 (the row's largest
    # quantized magnitude; 1 ulp = 2^-17) of a half-integer. The absolute margin reflects that f32
    # errors in a dot product or a sum scale with the magnitude of the summands, not the result.
    # A float16 rounding is a near-tie when x is within f16_ulps f32 ulps of x of an f16 midpoint.
    # o_in_ulps replaces int8_ulps for the o-projection input. With a float16 KV cache it should be
    # larger: an f16 rounding of K or V that differs by one f16 ulp moves later attention outputs by
    # up to ~1e-3 relative, invisibly (the int8 quantizer absorbs it) until it tips an o_in rounding.
    # The search in run_reference.py looks for such f16 root causes first; the wider o_in margin
    # covers the case where the effect of several of them adds up.
    def __init__(self, overrides=(), int8_ulps: int = 256, f16_ulps: int = 16, o_in_ulps: int | None = None):
        self.overrides: dict[tuple, list[tuple[int, int]]] = {}
        for site, t, i in overrides:
            self.overrides.setdefault(site, []).append((t, i))
        self.int8_ulps = int8_ulps
        self.f16_ulps = f16_ulps
        self.o_in_ulps = int8_ulps if o_in_ulps is None else o_in_ulps
        self.offset = 0  # token index of row 0 of the arrays being rounded (set by forward())
        # (site, token, index, distance in ulps, the value being rounded)
        self.candidates: list[tuple[tuple, int, int, float, float]] = []

    def _record(self, site, near: np.ndarray, dist_ulps: np.ndarray, values: np.ndarray):
        for t, i in zip(*np.nonzero(near)):
            self.candidates.append((site, int(t) + self.offset, int(i), float(dist_ulps[t, i]),
                                    float(values[t, i])))

    def _flip_mask(self, site, shape) -> np.ndarray | None:
        keys = [(t - self.offset, i) for t, i in self.overrides.get(site, ()) if 0 <= t - self.offset < shape[0]]
        if not keys:
            return None
        mask = np.zeros(shape, dtype=bool)
        for t, i in keys:
            mask[t, i] = True
        return mask

    def round_int(self, site, prod: np.ndarray, q: np.ndarray) -> np.ndarray:
        """q = the rounding of prod (f32, [tokens, n]) to an integer; boundaries at k + 1/2."""
        boundary = np.floor(prod) + F32(0.5)
        dist = np.abs(prod.astype(np.float64) - boundary) / float(np.spacing(F32(127)))
        self._record(site, dist <= (self.o_in_ulps if site[1] == "o_in" else self.int8_ulps), dist, prod)
        mask = self._flip_mask(site, prod.shape)
        if mask is not None:
            other = 2 * np.floor(prod) + 1 - q  # the other neighbour of prod
            q = np.where(mask, other, q)
        return q

    def round_f16(self, site, x: np.ndarray) -> np.ndarray:
        """x (f32, [tokens, n]) rounded to float16 (nearest even), returned as f32."""
        h = x.astype(np.float16)
        hf = h.astype(np.float64)
        x64 = x.astype(np.float64)
        up = hf < x64  # the other neighbour lies above x if h is below x, else below
        other = np.where(up, np.nextafter(h, np.float16(np.inf)), np.nextafter(h, np.float16(-np.inf)))
        mid = (hf + other.astype(np.float64)) / 2
        with np.errstate(invalid="ignore"):
            dist = np.abs(x64 - mid) / np.spacing(np.abs(x)).astype(np.float64)
        finite = np.isfinite(other.astype(np.float64)) & np.isfinite(hf)
        self._record(site, finite & (dist <= self.f16_ulps), dist, x)
        mask = self._flip_mask(site, x.shape)
        if mask is not None:
            h = np.where(mask, other, h)
        return h.astype(F32)


def act_quant(x: np.ndarray, rnd: Roundings | None = None, site=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-token (per row) absmax int8 quantization, formats doc 12.1. Returns (q as float64 integers,
    s as f32 [rows, 1])."""
    x = x.astype(F32)
    amax = np.abs(x).max(axis=-1, keepdims=True)
    s = F32(127.0) / np.maximum(amax, F32(1e-5))  # in f32, as specified
    prod = x * s  # f32 product: the rounding must see the value an f32 implementation sees
    q = np.rint(prod)  # np.rint rounds half to even
    if rnd is not None:
        q = rnd.round_int(site, prod, q)
    q = np.clip(q, -128, 127)
    return q.astype(np.float64), s.astype(F32)


_WT_CACHE: dict[int, tuple[gr.TernaryMatrix, np.ndarray]] = {}


def _float64_transposed(w: gr.TernaryMatrix) -> np.ndarray:
    """T^T as float64 (BLAS-friendly, exact for integers), cached per matrix."""
    hit = _WT_CACHE.get(id(w))
    if hit is None or hit[0] is not w:
        hit = (w, np.ascontiguousarray(w.T.astype(np.float64).T))
        _WT_CACHE[id(w)] = hit
    return hit[1]


def bit_linear(x: np.ndarray, w: gr.TernaryMatrix, rnd: Roundings | None = None, site=None,
               quantized: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """y[t][o] = sum_b (acc_b[t][o] / s[t]) * scale[o][b], acc_b exact integer dot products.
    `quantized` passes an already quantized input (q, k and v share one quantization of x)."""
    q, s = quantized if quantized is not None else act_quant(x, rnd, site)
    rows, cols = w.T.shape
    n_blocks = cols // w.block
    y = np.zeros((x.shape[0], rows), dtype=F32)
    wt = _float64_transposed(w)
    for b in range(n_blocks):
        lo, hi = b * w.block, (b + 1) * w.block
        # float64 matrix product of integers: exact, since |acc| < 2^53.
        acc = q[:, lo:hi] @ wt[lo:hi]
        assert np.all(np.abs(acc) < 2 ** 24), "int32 accumulator is not exactly representable in f32"
        # (acc / s) * d in f32, as in the spec: both operations rounded to f32.
        y += (acc.astype(F32) / s) * w.scales[:, b][None, :].astype(F32)
    return y


def rope_neox(x: np.ndarray, positions: np.ndarray, n_rot: int, base: float) -> np.ndarray:
    """x: [n_tokens, n_heads, head_dim] f32. NeoX pairing: dimension i with i + n_rot/2 (i < n_rot/2);
    dimensions >= n_rot are left alone. Angles in float64, cos/sin rounded to f32."""
    half = n_rot // 2
    i = np.arange(half, dtype=np.float64)
    theta = positions.astype(np.float64)[:, None] * np.power(float(base), -2.0 * i / n_rot)[None, :]
    cos = np.cos(theta).astype(F32).astype(np.float64)[:, None, :]  # [n_tokens, 1, half]
    sin = np.sin(theta).astype(F32).astype(np.float64)[:, None, :]
    out = x.astype(np.float64).copy()
    a = out[:, :, :half].copy()
    b = out[:, :, half:n_rot].copy()
    out[:, :, :half] = a * cos - b * sin
    out[:, :, half:n_rot] = a * sin + b * cos
    return out.astype(F32)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """q: [Tq, n_head, hd] for the last Tq of the T positions, k/v: [T, n_kv, hd] (already rounded to
    the cache type). Causal softmax attention with GQA; returns [Tq, n_head * hd] f32 (head-major)."""
    T, n_head, hd = q.shape
    n_kv = k.shape[1]
    group = n_head // n_kv
    scale = 1.0 / np.sqrt(hd)
    # mask[i][j]: key position j lies in the future of query i (query i is at position Tk - T + i)
    Tk = k.shape[0]
    mask = np.arange(Tk)[None, :] > (Tk - T + np.arange(T))[:, None]
    out = np.empty((T, n_head, hd), dtype=F32)
    for j in range(n_head):
        g = j // group
        scores = (q[:, j, :].astype(np.float64) @ k[:, g, :].astype(np.float64).T) * scale
        scores = scores.astype(F32)
        scores[mask] = -np.inf
        scores = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(scores.astype(np.float64))
        p = (p / p.sum(axis=1, keepdims=True)).astype(F32)
        out[:, j, :] = (p.astype(np.float64) @ v[:, g, :].astype(np.float64)).astype(F32)
    return out.reshape(T, n_head * hd)


# ------------------------------------------------------------------------------------------------
# LM heads stored in ggml's 8-bit / 6-bit block formats


def _f16_round(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float16).astype(F32)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_q8_0_activations(z: np.ndarray, rnd: Roundings | None = None,
                              site=None) -> tuple[np.ndarray, np.ndarray]:
    """ggml's reference Q8_0 quantizer (formats doc section 4) applied to each row of z:
    per 32 values d = amax / 127 (stored as f16), q = round_half_away(x / d).
    Returns (q [rows, n_blocks, 32] float64 integers, d [rows, n_blocks] f32 after the f16 rounding)."""
    rows, n = z.shape
    zb = z.astype(F32).reshape(rows, n // 32, 32)
    amax = np.abs(zb).max(axis=2)
    d = amax / F32(127)
    with np.errstate(divide="ignore"):
        inv = np.where(d > 0, F32(1) / d, F32(0)).astype(F32)
    prod = (zb * inv[:, :, None]).reshape(rows, n)
    q = _round_half_away(prod)
    if rnd is not None:
        q = rnd.round_int(site, prod, q)
    return q.reshape(rows, n // 32, 32).astype(np.float64), _f16_round(d)


def quantize_q8_k_activations(z: np.ndarray, rnd: Roundings | None = None,
                              site=None) -> tuple[np.ndarray, np.ndarray]:
    """ggml's Q8_K quantizer (formats doc 12.5) applied to each row of z: per 256 values, max = the
    value of largest magnitude (with its sign), iscale = -127 / max, q = min(127, nearest_int(x*iscale)),
    d = 1 / iscale (f32). Returns (q [rows, n_blocks, 256] float64, d [rows, n_blocks] f32)."""
    rows, n = z.shape
    zb = z.astype(F32).reshape(rows, n // 256, 256)
    idx = np.abs(zb).argmax(axis=2)  # first index of the largest magnitude
    mx = np.take_along_axis(zb, idx[:, :, None], axis=2)[:, :, 0]
    zero = mx == 0
    with np.errstate(divide="ignore"):
        iscale = np.where(zero, F32(0), F32(-127) / np.where(zero, F32(1), mx)).astype(F32)
        d = np.where(zero, F32(0), F32(1) / np.where(zero, F32(1), iscale)).astype(F32)
    prod = (zb * iscale[:, :, None]).reshape(rows, n)
    q = np.rint(prod)
    if rnd is not None:
        q = rnd.round_int(site, prod, q)
    return np.minimum(127, q).reshape(rows, n // 256, 256).astype(np.float64), d


def quantized_head_logits(f: gr.GgufFile, name: str, z: np.ndarray, rnd: Roundings | None = None,
                          site=None) -> np.ndarray:
    """LM head stored as Q8_0 or Q6_K: the dot product of each weight block's integers with the
    activation block's integers is exact; it is scaled by (weight scale * activation scale)."""
    t = f.tensors[name]
    n_embd, n_vocab = t.shape
    raw = f.raw(name)
    if t.type == gr.Q8_0:
        blocks = raw.reshape(n_vocab, n_embd // 32, 34)
        wd = blocks[:, :, 0:2].copy().view("<f2")[:, :, 0].astype(F32)  # [n_vocab, nb]
        wq = blocks[:, :, 2:].view(np.int8).astype(np.float64)  # [n_vocab, nb, 32]
        aq, ad = quantize_q8_0_activations(z, rnd, site)  # [T, nb, 32], [T, nb]
        isum = np.einsum("tbk,vbk->tvb", aq, wq)  # exact integers
        return np.sum(isum * (ad[:, None, :].astype(np.float64) * wd[None, :, :].astype(np.float64)), axis=2)
    if t.type == gr.Q6_K:
        # Dequantized value = d * (scale_j * q6): the integer part is scale_j * q6.
        nb = n_embd // 256
        blocks = raw.reshape(n_vocab * nb, 210)
        d = blocks[:, 208:210].copy().view("<f2")[:, 0].astype(F32).reshape(n_vocab, nb)
        ones = blocks.copy()
        ones[:, 208:210] = np.frombuffer(np.float16(1.0).tobytes(), dtype=np.uint8)  # d := 1
        wint = gr.dequant_q6_k(ones.reshape(-1)).astype(np.float64).reshape(n_vocab, nb, 256)
        aq, ad = quantize_q8_k_activations(z, rnd, site)
        isum = np.einsum("tbk,vbk->tvb", aq, wint)
        return np.sum(isum * (ad[:, None, :].astype(np.float64) * d[None, :, :].astype(np.float64)), axis=2)
    raise gr.GgufError(f"{name}: no quantized-head rule for type {t.type}")


# ------------------------------------------------------------------------------------------------
# The model


class Layer:
    def __init__(self, f: gr.GgufFile, i: int):
        p = f"blk.{i}."
        self.attn_norm = gr.dequantize(f, p + "attn_norm.weight")
        self.attn_sub_norm = gr.dequantize(f, p + "attn_sub_norm.weight")
        self.ffn_norm = gr.dequantize(f, p + "ffn_norm.weight")
        self.ffn_sub_norm = gr.dequantize(f, p + "ffn_sub_norm.weight")
        self.wq = gr.ternary(f, p + "attn_q.weight")
        self.wk = gr.ternary(f, p + "attn_k.weight")
        self.wv = gr.ternary(f, p + "attn_v.weight")
        self.wo = gr.ternary(f, p + "attn_output.weight")
        self.w_gate = gr.ternary(f, p + "ffn_gate.weight")
        self.w_up = gr.ternary(f, p + "ffn_up.weight")
        self.w_down = gr.ternary(f, p + "ffn_down.weight")


class BitNetReference:
    def __init__(self, path: str):
        f = gr.GgufFile(path)
        self.file = f
        self.arch = f.get("general.architecture")
        if self.arch not in ("bitnet-b1.58", "bitnet-25", "bitnet"):
            raise gr.GgufError(f"unsupported architecture {self.arch!r}")

        def hp(key, default=None):
            v = f.get(f"{self.arch}.{key}", default)
            if v is None:
                raise gr.GgufError(f"missing {self.arch}.{key}")
            return v

        self.n_embd = int(hp("embedding_length"))
        self.n_layer = int(hp("block_count"))
        self.n_ff = int(hp("feed_forward_length"))
        self.n_head = int(hp("attention.head_count"))
        self.n_head_kv = int(hp("attention.head_count_kv", self.n_head))
        self.head_dim = int(hp("attention.key_length", self.n_embd // self.n_head))
        self.n_rot = int(hp("rope.dimension_count", self.head_dim))
        self.eps = float(hp("attention.layer_norm_rms_epsilon", 1e-5))
        self.rope_base = float(hp("rope.freq_base", 10000.0))
        # ReLU^2 for the b1.58 architectures (arch doc 4.6), SiLU for the 2024 "bitnet" arch.
        self.relu2 = self.arch != "bitnet"

        self.embd = gr.dequantize(f, "token_embd.weight")  # [n_vocab, n_embd]
        self.n_vocab = self.embd.shape[0]
        self.head_name = "output.weight" if "output.weight" in f.tensors else "token_embd.weight"
        self.head_type = f.tensors[self.head_name].type
        self.head = gr.dequantize(f, self.head_name) if self.head_type in (gr.F32, gr.F16, gr.BF16) else None
        self.output_norm = gr.dequantize(f, "output_norm.weight")
        self.layers = [Layer(f, i) for i in range(self.n_layer)]

    def forward(self, tokens: list[int], kv_f32: bool = False, rnd: Roundings | None = None, start: int = 0,
                past: list | None = None, keep_kv: list | None = None) -> np.ndarray:
        """Logits [n_tokens - start, n_vocab] (float32) of positions start.. of the sequence.
        rnd: records (and may override) near-tie rounding decisions, see Roundings.
        past: per layer (K, V) of at least `start` earlier positions (from keep_kv of another run);
        keep_kv: if a list, receives per layer (K, V) of all positions (K after RoPE, cache type)."""
        toks = np.asarray(tokens, dtype=np.int64)[start:]
        if toks.min() < 0 or toks.max() >= self.n_vocab:
            raise ValueError("token id out of range")
        T = len(toks)
        positions = np.arange(start, start + T)
        hd = self.head_dim
        if rnd is not None:
            rnd.offset = start
        if keep_kv is not None:
            keep_kv.clear()
        h = self.embd[toks].astype(F32)  # residual stream [T, n_embd]
        for il, L in enumerate(self.layers):
            # --- attention block
            x = rms_norm(h, L.attn_norm, self.eps)
            xq = act_quant(x, rnd, (il, "attn_in"))  # one quantization of x feeds q, k and v
            q = bit_linear(x, L.wq, quantized=xq).reshape(T, self.n_head, hd)
            k = bit_linear(x, L.wk, quantized=xq).reshape(T, self.n_head_kv, hd)
            v = bit_linear(x, L.wv, quantized=xq).reshape(T, self.n_head_kv, hd)
            q = rope_neox(q, positions, self.n_rot, self.rope_base)
            k = rope_neox(k, positions, self.n_rot, self.rope_base)
            if not kv_f32:  # the cache holds K (after RoPE) and V as float16
                if rnd is None:
                    k, v = _f16_round(k), _f16_round(v)
                else:
                    k = rnd.round_f16((il, "k16"), k.reshape(T, -1)).reshape(k.shape)
                    v = rnd.round_f16((il, "v16"), v.reshape(T, -1)).reshape(v.shape)
            if start:
                k = np.concatenate([past[il][0][:start], k])
                v = np.concatenate([past[il][1][:start], v])
            if keep_kv is not None:
                keep_kv.append((k, v))
            o = attention(q, k, v)
            o = rms_norm(o, L.attn_sub_norm, self.eps)
            h = (h + bit_linear(o, L.wo, rnd, (il, "o_in"))).astype(F32)
            # --- feed-forward block
            x = rms_norm(h, L.ffn_norm, self.eps)
            xq = act_quant(x, rnd, (il, "ffn_in"))  # shared by gate and up
            g = bit_linear(x, L.w_gate, quantized=xq)
            u = bit_linear(x, L.w_up, quantized=xq)
            if self.relu2:
                r = np.maximum(g, F32(0))
                m = (r * r * u).astype(F32)
            else:
                g64 = g.astype(np.float64)
                m = (g64 / (1.0 + np.exp(-g64)) * u).astype(F32)
            m = rms_norm(m, L.ffn_sub_norm, self.eps)
            h = (h + bit_linear(m, L.w_down, rnd, (il, "down_in"))).astype(F32)
        z = rms_norm(h, self.output_norm, self.eps)
        if self.head is not None:
            logits = z.astype(np.float64) @ self.head.astype(np.float64).T
        else:
            logits = quantized_head_logits(self.file, self.head_name, z, rnd, (self.n_layer, "head"))
        return logits.astype(F32)


def read_tokens(path: str) -> list[int]:
    """Token ids separated by whitespace / commas / brackets (one per line, or a JSON array)."""
    with open(path, encoding="ascii") as fh:
        text = fh.read()
    if re.search(r"[^0-9\s,\[\]]", text):
        raise ValueError(f"{path}: unexpected characters in the token list")
    return [int(t) for t in re.findall(r"\d+", text)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("tokens")
    ap.add_argument("out")
    ap.add_argument("--cache", choices=("f16", "f32"), default="f16")
    args = ap.parse_args()
    ref = BitNetReference(args.model)
    logits = ref.forward(read_tokens(args.tokens), kv_f32=args.cache == "f32")
    logits.astype("<f4").tofile(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
