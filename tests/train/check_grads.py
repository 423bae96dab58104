#!/usr/bin/python3
"""Independent check of the trainer's gradients: the same bitnet-b1.58 model and loss written in
PyTorch (float64, autograd), fed the weights and batch the C++ trainer dumped, must give every
parameter gradient to 1e-4 relative (max |diff| / max |reference| per tensor).

QAT: weights are ternarized here exactly as the trainer does (float32 arithmetic, round half to
even); activations use the trainer's dumped quantized values, whose rounding is checked against
this script's own quantizer up to float64-vs-float32 ties; both quantizers pass gradients straight
through (x + (q(x) - x).detach()).

Usage: check_grads.py TOOL float|qat WORKDIR   (TOOL: the train_grad_dump binary)
"""
import math
import struct
import subprocess
import sys

import numpy as np
import torch

EPS = 1e-5
THETA = 500000.0
TOL = 1e-4


def read_dump(path):
    out = {}
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        (n_name,) = struct.unpack_from("<I", data, pos)
        pos += 4
        name = data[pos:pos + n_name].decode()
        pos += n_name
        typ, n = struct.unpack_from("<IQ", data, pos)
        pos += 12
        out[name] = np.frombuffer(data, dtype=np.float32 if typ == 0 else np.int32, count=n, offset=pos).copy()
        pos += 4 * n
    return out


def weight_quant(w32):
    # The trainer's weight_quant: mean |w| in double, then float32 arithmetic.
    mean = np.float32(np.abs(w32.astype(np.float64)).sum() / w32.size)
    s = np.float32(1.0) / max(mean, np.float32(1e-5))
    t = np.clip(np.round(w32 * s), -1, 1).astype(np.float32)  # np.round: half to even
    return t * (np.float32(1.0) / s)


class Checker:
    def __init__(self, dump):
        self.d = dump
        sh = dump["shape"]
        self.V, self.L, self.D, self.F, self.H, self.HKV, self.B, self.T, qat = [int(x) for x in sh]
        self.qat = qat == 1
        self.hd = self.D // self.H
        self.act_mismatch = 0
        self.act_total = 0
        self.params = {}
        for k, v in dump.items():
            if k.startswith("param:"):
                name = k[len("param:"):]
                self.params[name] = torch.tensor(v.astype(np.float64), requires_grad=True)

    def p(self, name):
        return self.params[name]

    def matrix(self, name, rows, cols):
        w = self.p(name).view(rows, cols)
        if not self.qat:
            return w
        q = torch.tensor(weight_quant(self.d["param:" + name]).astype(np.float64)).view(rows, cols)
        return w + (q - w).detach()

    def act(self, x, layer, which):
        if not self.qat:
            return x
        got = torch.tensor(self.d["act:%d:%d" % (layer, which)].astype(np.float64)).view_as(x)
        # Own quantizer in float64: agreement except where x·s sits on a rounding tie.
        xd = x.detach()
        s = 127.0 / torch.clamp(xd.abs().amax(dim=-1, keepdim=True), min=1e-5)
        own = torch.clamp(torch.round(xd * s), -128, 127) / s
        diff = (own - got).abs() > 1e-3 / s
        frac = (xd * s - torch.floor(xd * s) - 0.5).abs()
        if bool((diff & (frac > 1e-3)).any()):
            raise SystemExit("activation quantizer of layer %d input %d disagrees away from a tie" % (layer, which))
        self.act_mismatch += int(diff.sum())
        self.act_total += diff.numel()
        return x + (got - x).detach()

    def rmsnorm(self, x, name):
        return self.p(name) * x * torch.rsqrt((x * x).mean(-1, keepdim=True) + EPS)

    def rope(self, x, n_heads):
        half = self.hd // 2
        pos = torch.arange(self.T, dtype=torch.float64)[:, None]
        inv = THETA ** (-2.0 * torch.arange(half, dtype=torch.float64) / self.hd)
        ang = pos * inv[None, :]
        c, s = torch.cos(ang)[None, :, None, :], torch.sin(ang)[None, :, None, :]
        x = x.view(self.B, self.T, n_heads, self.hd)
        a, b = x[..., :half], x[..., half:]
        return torch.cat([a * c - b * s, a * s + b * c], dim=-1)

    def layer(self, x, il):
        pre = "blk.%d." % il
        D, F, KV = self.D, self.F, self.hd * self.HKV
        n = self.act(self.rmsnorm(x, pre + "attn_norm.weight"), il, 0)
        q = self.rope(n @ self.matrix(pre + "attn_q.weight", D, D).T, self.H)
        k = self.rope(n @ self.matrix(pre + "attn_k.weight", KV, D).T, self.HKV)
        v = (n @ self.matrix(pre + "attn_v.weight", KV, D).T).view(self.B, self.T, self.HKV, self.hd)
        g = self.H // self.HKV
        k = k.repeat_interleave(g, dim=2)
        v = v.repeat_interleave(g, dim=2)
        scores = torch.einsum("bthd,bshd->bhts", q, k) / math.sqrt(self.hd)
        mask = torch.triu(torch.ones(self.T, self.T, dtype=torch.bool), diagonal=1)
        probs = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        att = torch.einsum("bhts,bshd->bthd", probs, v).reshape(self.B * self.T, D)
        a = self.act(self.rmsnorm(att, pre + "attn_sub_norm.weight"), il, 1)
        x = x + a @ self.matrix(pre + "attn_output.weight", D, D).T
        m = self.act(self.rmsnorm(x, pre + "ffn_norm.weight"), il, 2)
        gate = m @ self.matrix(pre + "ffn_gate.weight", F, D).T
        up = m @ self.matrix(pre + "ffn_up.weight", F, D).T
        h = torch.relu(gate) ** 2 * up
        h = self.act(self.rmsnorm(h, pre + "ffn_sub_norm.weight"), il, 3)
        return x + h @ self.matrix(pre + "ffn_down.weight", D, F).T

    def loss(self):
        emb = self.p("token_embd.weight").view(self.V, self.D)
        inputs = torch.tensor(self.d["inputs"].astype(np.int64))
        targets = torch.tensor(self.d["targets"].astype(np.int64))
        x = emb[inputs]
        for il in range(self.L):
            x = self.layer(x, il)
        z = self.rmsnorm(x, "output_norm.weight")
        logits = z @ emb.T
        keep = targets >= 0
        return torch.nn.functional.cross_entropy(logits[keep], targets[keep])


def main():
    tool, mode, work = sys.argv[1], sys.argv[2], sys.argv[3]
    path = "%s/grads_%s.bin" % (work, mode)
    subprocess.run([tool, mode, path], check=True)
    chk = Checker(read_dump(path))
    loss = chk.loss()
    loss.backward()
    ours = float(chk.d["loss"][0])
    print("loss: trainer %.7f, pytorch %.7f" % (ours, loss.item()))
    ok = abs(ours - loss.item()) <= TOL * abs(loss.item())
    if chk.qat:
        print("activation ties rounded differently: %d of %d" % (chk.act_mismatch, chk.act_total))
    worst = 0.0
    for name, p in chk.params.items():
        ref = p.grad.numpy()
        got = chk.d["grad:" + name].astype(np.float64)
        scale = np.abs(ref).max()
        rel = np.abs(got - ref).max() / scale if scale > 0 else np.abs(got).max()
        worst = max(worst, rel)
        if not rel <= TOL:
            print("MISMATCH %s: max |diff| / max |ref| = %.3g" % (name, rel))
            ok = False
    print("%d gradients, worst relative difference %.3g (tolerance %g)" % (len(chk.params), worst, TOL))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
