#!/usr/bin/env python3
"""An independent PyTorch reference of the Hugging Face ternary models, run on the checkpoint
directory itself (never on our GGUF): the module structure of transformers' BitNet / Llama models
with BitLinear (weight_scale divides), AutoBitLinear (weight_scale multiplies), online absmean
ternarization of master weights and 1bitLLM's BitLinear, activation quantization per token in
fp32 with torch.round (half to even). Everything is computed in float32.

GGUF types that store the scale in f16 (TQ1_0 and TQ2_0 per block, F16 in every weight) round
alpha to f16; Reference(..., scale_f16=True) models that storage (alpha = f16(weight_scale) or
f16(1/weight_scale)) so the comparison measures the conversion, not the format's precision.

Mutations reproduce plausible converter bugs; the comparison must catch each of them:
  scale       the weight_scale direction flipped (alpha <-> 1/alpha)
  activation  SiLU for ReLU^2 and ReLU^2 for SiLU
  packing     packed rows interleaved (row 4r+k) instead of four planes of out/4 rows
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path: str) -> dict:
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        data = raw[8 + n + b:8 + n + end]
        if e["dtype"] == "BF16":
            a = (np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(data, dtype={"F32": "<f4", "F16": "<f2", "U8": "u1"}[e["dtype"]])
        out[name] = torch.from_numpy(a.reshape(e["shape"]).copy())
    return out


def read_checkpoint(d: str) -> dict:
    index = os.path.join(d, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(d, "model.safetensors"))
    tensors = {}
    for f in sorted(set(json.load(open(index))["weight_map"].values())):
        tensors.update(read_safetensors(os.path.join(d, f)))
    return tensors


def unpack_weights(packed: torch.Tensor, mutate: str) -> torch.Tensor:
    """transformers' unpack_weights: the 2-bit fields i = 0..3 are row blocks [i*R, (i+1)*R)."""
    r = packed.shape[0]
    out = torch.zeros((4 * r, packed.shape[1]), dtype=torch.int64)
    p = packed.to(torch.int64)
    for i in range(4):
        field = (p >> (2 * i)) & 3
        if mutate == "packing":
            out[i::4] = field
        else:
            out[i * r:(i + 1) * r] = field
    return (out - 1).to(torch.float32)


def activation_quant(x: torch.Tensor):
    scale = 127.0 / x.abs().max(dim=-1, keepdim=True).values.clamp(min=1e-5)
    return (x * scale).round().clamp(-128, 127), scale


def weight_quant(w: torch.Tensor):
    """Online / 1bitLLM absmean ternarization in fp32: (ternary values, alpha)."""
    s = 1.0 / w.abs().mean().clamp(min=1e-5)
    return (w * s).round().clamp(-1, 1), 1.0 / s


class Linear:
    """One converted projection with its HF forward rule."""

    def __init__(self, t: dict, prefix: str, multiply: bool, mutate: str, scale_f16: bool):
        w = t[prefix + ".weight"]
        self.packed = w.dtype == torch.uint8
        self.flip = mutate == "scale"
        if self.packed:
            self.w = unpack_weights(w, mutate)
            self.scale = t[prefix + ".weight_scale"].float().reshape(())
            self.multiply = multiply != self.flip
            if scale_f16:  # the scale the stored alpha = f16(scale) or f16(1 / scale) stands for
                self.scale = self.scale.half().float() if self.multiply else 1.0 / (1.0 / self.scale).half().float()
        else:
            self.w, alpha = weight_quant(w.float())
            self.alpha = 1.0 / alpha if self.flip else alpha
            if scale_f16:
                self.alpha = self.alpha.half().float()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        q, s = activation_quant(x)
        if not self.packed:  # WeightQuant / 1bitLLM: linear(actquant(x), T * alpha)
            return F.linear(q / s, self.w * self.alpha)
        if self.multiply:  # AutoBitLinear: linear(actquant(x), T) * weight_scale
            return F.linear(q / s, self.w) * self.scale
        return F.linear(q, self.w) / (s * self.scale)  # BitLinear: post_quant_process


def rms_norm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Reference:
    def __init__(self, d: str, mutate: str = "", scale_f16: bool = False):
        self.c = json.load(open(os.path.join(d, "config.json")))
        c, t = self.c, read_checkpoint(d)
        self.t = t
        arch = c["architectures"][0]
        q = c.get("quantization_config") or {}
        multiply = q.get("linear_class", "bitlinear") == "autobitlinear"
        self.relu2 = c.get("hidden_act", "silu") == "relu2"
        if mutate == "activation":
            self.relu2 = not self.relu2
        self.sub = {"BitNetForCausalLM": ("self_attn.attn_sub_norm", "mlp.ffn_sub_norm"),
                    "BitnetForCausalLM": ("self_attn.inner_attn_ln", "mlp.ffn_layernorm")}.get(arch)
        self.heads, self.kv = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
        self.head_dim = c.get("head_dim") or c["hidden_size"] // self.heads
        self.eps = c["rms_norm_eps"]
        names = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
                 "mlp.up_proj", "mlp.down_proj"]
        self.layers = [{n: Linear(t, f"model.layers.{i}.{n}", multiply, mutate, scale_f16) for n in names}
                       for i in range(c["num_hidden_layers"])]
        self.head = t["model.embed_tokens.weight"] if c.get("tie_word_embeddings") else t["lm_head.weight"]
        self.head_logits = None  # replaces z @ head.T (a head stored in a quantized type)

    def norm(self, x, name):
        return rms_norm(x, self.t[name].float(), self.eps)

    def attention(self, i: int, x: torch.Tensor, cos, sin) -> torch.Tensor:
        L, n, d = self.layers[i], x.shape[0], self.head_dim
        q = L["self_attn.q_proj"](x).view(n, self.heads, d).transpose(0, 1)
        k = L["self_attn.k_proj"](x).view(n, self.kv, d).transpose(0, 1)
        v = L["self_attn.v_proj"](x).view(n, self.kv, d).transpose(0, 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv
        k, v = k.repeat_interleave(rep, dim=0), v.repeat_interleave(rep, dim=0)
        scores = q @ k.transpose(1, 2) / math.sqrt(d)
        scores = scores.masked_fill(torch.triu(torch.ones(n, n, dtype=torch.bool), 1), float("-inf"))
        o = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(n, self.heads * d)
        if self.sub:
            o = self.norm(o, f"model.layers.{i}.{self.sub[0]}.weight")
        return L["self_attn.o_proj"](o)

    def mlp(self, i: int, x: torch.Tensor) -> torch.Tensor:
        L = self.layers[i]
        g, u = L["mlp.gate_proj"](x), L["mlp.up_proj"](x)
        h = (F.relu(g) ** 2 if self.relu2 else F.silu(g)) * u
        if self.sub:
            h = self.norm(h, f"model.layers.{i}.{self.sub[1]}.weight")
        return L["mlp.down_proj"](h)

    @torch.no_grad()
    def logits(self, tokens: list) -> np.ndarray:
        d = self.head_dim
        inv_freq = 1.0 / (self.c.get("rope_theta", 10000.0) ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        freqs = torch.arange(len(tokens), dtype=torch.float32)[:, None] * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None], emb.sin()[None]
        h = self.t["model.embed_tokens.weight"].float()[torch.tensor(tokens)]
        for i in range(len(self.layers)):
            p = f"model.layers.{i}."
            h = h + self.attention(i, self.norm(h, p + "input_layernorm.weight"), cos, sin)
            h = h + self.mlp(i, self.norm(h, p + "post_attention_layernorm.weight"))
        z = self.norm(h, "model.norm.weight")
        if self.head_logits is not None:
            return self.head_logits(z.numpy())
        return (z @ self.head.float().T).numpy()
