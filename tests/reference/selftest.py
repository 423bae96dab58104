"""Self-test of gguf_reader.py (no engine involved): writes GGUF files by hand from the format spec
(/work/shared/docs/gguf-ternary-formats.md) -- every metadata value type, nested arrays, a custom
alignment, and tensors of every supported type packed by small encoders written from the spec's
layout tables -- and checks that the reader returns exactly what was written. Also checks the spec's
worked I2_S example (section 8.3) and the TQ1_0 digit extraction for every possible base-3 byte.

    /usr/bin/python3 selftest.py
"""

from __future__ import annotations

import os
import struct
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("the NumPy reference needs python3-numpy: apt-get install python3-numpy", file=sys.stderr)
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_reader as gr  # noqa: E402

RNG = np.random.default_rng(1234)


# ------------------------------------------------------------------------------------------------
# Encoders, from the layout tables of the spec


def enc_string(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def enc_value(vtype: int, v) -> bytes:
    fmt = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 10: "<Q", 11: "<q", 12: "<d"}
    if vtype in fmt:
        return struct.pack(fmt[vtype], v)
    if vtype == 7:
        return bytes([1 if v else 0])
    if vtype == 8:
        return enc_string(v)
    if vtype == 9:
        etype, items = v
        return struct.pack("<IQ", etype, len(items)) + b"".join(enc_value(etype, x) for x in items)
    raise ValueError(vtype)


def pack_i2_s(T: np.ndarray, scale: float) -> bytes:
    """Section 8.2: flat codes (T+1), 128-code blocks of 32 bytes, code j at byte j%32, shift 6-2*(j/32)."""
    codes = (T.reshape(-1, 128) + 1).astype(np.uint8)
    out = np.zeros((codes.shape[0], 32), dtype=np.uint8)
    for g in range(4):
        out |= codes[:, 32 * g:32 * g + 32] << (6 - 2 * g)
    return out.tobytes() + struct.pack("<f", scale) + bytes(28)


def pack_tq2_0(T: np.ndarray, d: np.ndarray) -> bytes:
    """Section 7: qs[32j + m] bits 2l..2l+1 = code of element 128j + 32l + m; then f16 d."""
    blocks = (T.reshape(-1, 256) + 1).astype(np.uint8)
    out = bytearray()
    for b, dd in zip(blocks, d):
        qs = np.zeros(64, dtype=np.uint8)
        for j in range(2):
            for l in range(4):
                qs[32 * j:32 * j + 32] |= b[128 * j + 32 * l:128 * j + 32 * l + 32] << (2 * l)
        out += qs.tobytes() + np.float16(dd).tobytes()
    return bytes(out)


def base3_byte(digits: list[int]) -> int:
    """TQ1_0 (section 6): v = sum c_n 3^(4-n) (c0 most significant), byte = ceil(v * 256 / 243)."""
    v = 0
    for c in digits:
        v = v * 3 + int(c)
    return -(-v * 256 // 243)


def pack_tq1_0(T: np.ndarray, d: np.ndarray) -> bytes:
    blocks = (T.reshape(-1, 256) + 1).astype(np.int64)
    out = bytearray()
    for c, dd in zip(blocks, d):
        qs = [base3_byte([c[m + 32 * n] for n in range(5)]) for m in range(32)]
        qs += [base3_byte([c[160 + (m - 32) + 16 * n] for n in range(5)]) for m in range(32, 48)]
        # qh: 4 digits, then multiplied by 3 once more so that digit 4 is 0
        qh = [base3_byte([c[240 + m + 4 * n] for n in range(4)] + [0]) for m in range(4)]
        out += bytes(qs) + bytes(qh) + np.float16(dd).tobytes()
    return bytes(out)


def pack_iq2_bn(T: np.ndarray, d: np.ndarray) -> bytes:
    """Section 9: per row f32 d; per 64 values byte j = codes of elements j, j+16, j+32, j+48 (low bits first)."""
    out = bytearray()
    for row, dd in zip(T, d):
        c = (row.reshape(-1, 64) + 1).astype(np.uint8)
        q = c[:, 0:16] | c[:, 16:32] << 2 | c[:, 32:48] << 4 | c[:, 48:64] << 6
        out += struct.pack("<f", dd) + q.tobytes()
    return bytes(out)


def pack_iq1_bn(T: np.ndarray, d: np.ndarray) -> bytes:
    """Section 10: per row f16 d; per 64 values ql[3s+k] = elements 16s+5k..+4 and extra = elements
    16s+15, base 3 least significant digit first, byte = ceil(v * 256 / 243)."""
    out = bytearray()
    for row, dd in zip(T, d):
        out += np.float16(dd).tobytes()
        for c in (row.reshape(-1, 64) + 1).astype(np.int64):
            ql = [base3_byte(list(reversed(c[16 * s + 5 * k:16 * s + 5 * k + 5]))) for s in range(4) for k in range(3)]
            out += bytes(ql) + bytes([base3_byte([0] + [c[16 * s + 15] for s in reversed(range(4))])])
    return bytes(out)


def pack_q8_0(q: np.ndarray, d: np.ndarray) -> bytes:
    out = bytearray()
    for qq, dd in zip(q.reshape(-1, 32), d):
        out += np.float16(dd).tobytes() + qq.astype(np.int8).tobytes()
    return bytes(out)


def pack_q6_k(q: np.ndarray, sc: np.ndarray, d: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Section 5, inverted. q: 6-bit values 0..63 [n_blocks, 256]; returns (bytes, expected floats)."""
    out = bytearray()
    expect = []
    for qq, ss, dd in zip(q.reshape(-1, 256), sc.reshape(-1, 16), d):
        ql = np.zeros(128, dtype=np.uint8)
        qh = np.zeros(64, dtype=np.uint8)
        y = np.zeros(256, dtype=np.float32)
        d32 = np.float32(np.float16(dd))
        for h in range(2):
            for l in range(32):
                s = l // 16
                e1, e2, e3, e4 = (128 * h + l + 32 * k for k in range(4))
                q1, q2, q3, q4 = qq[e1], qq[e2], qq[e3], qq[e4]
                ql[64 * h + l] = (q1 & 0xF) | ((q3 & 0xF) << 4)
                ql[64 * h + l + 32] = (q2 & 0xF) | ((q4 & 0xF) << 4)
                qh[32 * h + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)
                for e, qv, k in ((e1, q1, 0), (e2, q2, 2), (e3, q3, 4), (e4, q4, 6)):
                    y[e] = d32 * np.float32(ss[8 * h + s + k]) * np.float32(int(qv) - 32)
        out += ql.tobytes() + qh.tobytes() + ss.astype(np.int8).tobytes() + np.float16(dd).tobytes()
        expect.append(y)
    return bytes(out), np.concatenate(expect)


# ------------------------------------------------------------------------------------------------


def write_gguf(path: str, kvs: list, tensors: list, alignment: int | None):
    """tensors: (name, shape (ggml order), type, raw bytes)."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs) + (alignment is not None))
    body = b""
    if alignment is not None:
        body += enc_string("general.alignment") + struct.pack("<I", 4) + struct.pack("<I", alignment)
    for key, vtype, v in kvs:
        body += enc_string(key) + struct.pack("<I", vtype) + enc_value(vtype, v)
    align = alignment or 32
    offset = 0
    offsets = []
    for name, shape, ttype, raw in tensors:
        offsets.append(offset)
        offset += -(-len(raw) // align) * align
    for (name, shape, ttype, raw), off in zip(tensors, offsets):
        body += enc_string(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", s) for s in shape)
        body += struct.pack("<IQ", ttype, off)
    data = head + body
    data += bytes(-len(data) % align)
    for name, shape, ttype, raw in tensors:
        data += raw + bytes(-len(raw) % align)
    with open(path, "wb") as fh:
        fh.write(data)


def check(cond: bool, what: str, failures: list):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def main() -> int:
    failures: list[str] = []

    # Spec 8.3 worked example: w[5]=+1, w[37]=0, w[69]=-1, w[101]=+1 -> byte[5] = 0x92.
    T = np.zeros(128, dtype=np.int8)
    T[[5, 37, 69, 101]] = [1, 0, -1, 1]
    check(pack_i2_s(T, 1.0)[5] == 0x92, "I2_S worked example byte 0x92 (spec 8.3)", failures)

    # TQ1_0 digit extraction for every 5-digit base-3 group.
    ok = True
    for v in range(243):
        digits = [(v // 3 ** (4 - n)) % 3 for n in range(5)]
        b = np.array([base3_byte(digits)], dtype=np.uint8)
        ok &= all(int(gr._base3_digit(b, n)[0]) == digits[n] for n in range(5))
    check(ok, "TQ1_0 base-3 digit extraction, all 243 bytes", failures)

    kvs = [("t.u8", 0, 200), ("t.i8", 1, -100), ("t.u16", 2, 60000), ("t.i16", 3, -30000),
           ("t.u32", 4, 4000000000), ("t.i32", 5, -2000000000), ("t.f32", 6, 1.5), ("t.bool", 7, True),
           ("t.str", 8, "héllo"), ("t.arr", 9, (8, ["a", "", "ç"])), ("t.u64", 10, 2 ** 63 + 5),
           ("t.i64", 11, -(2 ** 62)), ("t.f64", 12, 2.0 ** -30),
           ("t.nested", 9, (9, [(5, [1, -2]), (5, [])])), ("t.f32arr", 9, (6, [0.25, -1.0]))]
    expect_kv = {k: (list(v[1]) if t == 9 and v[0] != 9 else v) for k, t, v in kvs}
    expect_kv["t.nested"] = [[1, -2], []]

    rows, cols = 3, 512
    tensors = []
    expected = {}
    T = RNG.integers(-1, 2, size=(rows, cols)).astype(np.int8)
    tensors.append(("w.i2_s", (cols, rows), gr.I2_S, pack_i2_s(T, 0.375)))
    expected["w.i2_s"] = (T, np.float32(0.375) * T.astype(np.float32))
    d = np.array([0.5, 0.25, 2.0, 1.0, 0.125, 4.0], dtype=np.float32)  # per 256-block scales
    tensors.append(("w.tq2_0", (cols, rows), gr.TQ2_0, pack_tq2_0(T, d)))
    expected["w.tq2_0"] = (T, (T.reshape(-1, 256) * d[:, None]).reshape(rows, cols))
    tensors.append(("w.tq1_0", (cols, rows), gr.TQ1_0, pack_tq1_0(T, d)))
    expected["w.tq1_0"] = (T, (T.reshape(-1, 256) * d[:, None]).reshape(rows, cols))
    dr = np.array([0.75, 0.5, 0.125], dtype=np.float32)  # per-row scales (IQ types)
    tensors.append(("w.iq2_bn", (cols, rows), gr.IQ2_BN, pack_iq2_bn(T, dr)))
    expected["w.iq2_bn"] = (T, T * dr[:, None])
    tensors.append(("w.iq1_bn", (cols, rows), gr.IQ1_BN, pack_iq1_bn(T, dr)))
    expected["w.iq1_bn"] = (T, T * dr[:, None])
    f = RNG.standard_normal((rows, cols)).astype(np.float32)
    tensors.append(("x.f32", (cols, rows), gr.F32, f.tobytes()))
    expected["x.f32"] = (None, f)
    tensors.append(("x.f16", (cols, rows), gr.F16, f.astype("<f2").tobytes()))
    expected["x.f16"] = (None, f.astype(np.float16).astype(np.float32))
    bf = (f.view(np.uint32) >> 16).astype("<u2")
    tensors.append(("x.bf16", (cols, rows), gr.BF16, bf.tobytes()))
    expected["x.bf16"] = (None, (bf.astype(np.uint32) << 16).view(np.float32).reshape(rows, cols))
    q8 = RNG.integers(-128, 128, size=rows * cols)
    d8 = RNG.uniform(0.01, 1.0, size=rows * cols // 32).astype(np.float32)
    tensors.append(("x.q8_0", (cols, rows), gr.Q8_0, pack_q8_0(q8, d8)))
    expected["x.q8_0"] = (None, (np.float16(1) * d8.astype(np.float16).astype(np.float32)[:, None]
                                 * q8.reshape(-1, 32)).reshape(rows, cols).astype(np.float32))
    q6 = RNG.integers(0, 64, size=rows * cols)
    sc6 = RNG.integers(-128, 128, size=rows * cols // 16)
    d6 = RNG.uniform(0.001, 0.1, size=rows * cols // 256).astype(np.float32)
    raw6, exp6 = pack_q6_k(q6, sc6, d6)
    tensors.append(("x.q6_k", (cols, rows), gr.Q6_K, raw6))
    expected["x.q6_k"] = (None, exp6.reshape(rows, cols))
    # A 1-D tensor and a ternary matrix stored as floats (alpha * T).
    tensors.append(("n.f32", (cols,), gr.F32, f[0].tobytes()))
    expected["n.f32"] = (None, f[0])
    tensors.append(("w.f16", (cols, rows), gr.F16, (np.float16(0.3) * T.astype(np.float16)).tobytes()))
    expected["w.f16"] = (T, np.float32(np.float16(0.3)) * T.astype(np.float32))

    with tempfile.TemporaryDirectory() as tmp:
        for alignment in (None, 64):
            path = os.path.join(tmp, "t.gguf")
            write_gguf(path, kvs, tensors, alignment)
            g = gr.GgufFile(path)
            tag = f"alignment {alignment or 'default 32'}"
            check(g.alignment == (alignment or 32), f"{tag}: general.alignment", failures)
            for k, v in expect_kv.items():
                got = g.metadata.get(k)
                same = got == v if not isinstance(v, float) else (got == v or abs(got - v) < 1e-7 * abs(v))
                if not same:
                    check(False, f"{tag}: metadata {k}: {got!r} != {v!r}", failures)
            check(all(g.metadata.get(k) == v for k, v in expect_kv.items()), f"{tag}: all 13 value types", failures)
            check(g.tensors["w.i2_s"].nbytes == rows * cols // 4 + 32, f"{tag}: I2_S size n/4 + 32", failures)
            check(g.data_start % (alignment or 32) == 0, f"{tag}: data section aligned", failures)
            for name, (Texp, vals) in expected.items():
                got = gr.dequantize(g, name)
                check(got.shape == vals.shape and np.array_equal(got, vals.astype(np.float32)),
                      f"{tag}: dequantize {name}", failures)
                if Texp is not None:
                    tm = gr.ternary(g, name)
                    W = tm.T.reshape(rows, -1, tm.block).astype(np.float32) * tm.scales[:, :, None]
                    W = W.reshape(rows, cols)
                    check(np.array_equal(tm.T, Texp) and np.array_equal(W, vals), f"{tag}: ternary {name}", failures)

    print("PASS" if not failures else f"FAIL: {len(failures)} check(s)")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
