"""A small, independent GGUF v3 reader and dequantizer (Python standard library + NumPy).

Written from /work/shared/docs/gguf-ternary-formats.md (sections 1-8), not from the engine's C++
code, so that the NumPy forward pass in bitnet_reference.py is an independent check of the engine.

    f = GgufFile("model.gguf")
    f.metadata["general.architecture"]          # -> "bitnet-b1.58"
    f.tensors["blk.0.attn_q.weight"]            # -> TensorInfo(name, shape, type, offset, nbytes)
    dequantize(f, "token_embd.weight")          # -> float32 array [ne1, ne0] (row-major, ggml order reversed)
    ternary(f, "blk.0.attn_q.weight")           # -> TernaryMatrix(T int8 [rows, cols], block scales)

Everything is little-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# ggml type ids (formats doc section 2; I2_S uses the bitnet.cpp / ik_llama.cpp id 36).
F32, F16, Q8_0, Q6_K, BF16, TQ1_0, TQ2_0, I2_S = 0, 1, 8, 14, 30, 34, 35, 36
IQ1_BN, IQ2_BN = 134, 135  # ik_llama.cpp (sections 9-10)
TYPE_NAMES = {F32: "f32", F16: "f16", Q8_0: "q8_0", Q6_K: "q6_k", BF16: "bf16", TQ1_0: "tq1_0", TQ2_0: "tq2_0",
              I2_S: "i2_s", IQ1_BN: "iq1_bn", IQ2_BN: "iq2_bn"}
# (elements per block, bytes per block); I2_S has its own size rule (n/4 + 32 per tensor).
BLOCK = {F32: (1, 4), F16: (1, 2), BF16: (1, 2), Q8_0: (32, 34), Q6_K: (256, 210), TQ1_0: (256, 54),
         TQ2_0: (256, 66), IQ2_BN: (64, 16), IQ1_BN: (64, 13)}
# Bytes in front of every row (ik's row meta: the row scale).
ROW_META = {IQ2_BN: 4, IQ1_BN: 2}

# Metadata value types (formats doc section 1.3): id -> struct format for the fixed-size ones.
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 10: "<Q", 11: "<q", 12: "<d"}
_BOOL, _STRING, _ARRAY = 7, 8, 9


class GgufError(Exception):
    pass


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # ggml order: shape[0] = ne[0] = the contiguous (row) dimension
    type: int
    offset: int  # absolute file offset of the tensor's first byte
    nbytes: int

    @property
    def n_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


def tensor_nbytes(ggml_type: int, shape: tuple[int, ...]) -> int:
    """Byte size of a tensor (formats doc 1.5; the I2_S rule of 8.5: n/4 packed bytes + a 32-byte tail)."""
    n = 1
    for d in shape:
        n *= d
    if ggml_type == I2_S:
        if shape[0] % 128:
            raise GgufError(f"I2_S row length {shape[0]} is not a multiple of 128")
        return n // 4 + 32
    if ggml_type not in BLOCK:
        raise GgufError(f"unsupported ggml type {ggml_type}")
    blk, size = BLOCK[ggml_type]
    if shape[0] % blk:
        raise GgufError(f"row length {shape[0]} is not a multiple of the block size {blk}")
    return n // blk * size + n // shape[0] * ROW_META.get(ggml_type, 0)


class _Cursor:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise GgufError(f"truncated file at offset {self.pos}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.unpack("<Q")
        return self.take(n).decode("utf-8")

    def value(self, vtype: int):
        if vtype in _SCALAR:
            return self.unpack(_SCALAR[vtype])
        if vtype == _BOOL:
            b = self.unpack("<B")
            if b > 1:
                raise GgufError(f"invalid bool byte {b}")
            return bool(b)
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            etype = self.unpack("<I")
            count = self.unpack("<Q")
            return [self.value(etype) for _ in range(count)]
        raise GgufError(f"unknown metadata value type {vtype}")


class GgufFile:
    def __init__(self, path: str):
        with open(path, "rb") as fh:
            self.data = fh.read()
        cur = _Cursor(self.data)
        if cur.take(4) != GGUF_MAGIC:
            raise GgufError("not a GGUF file (bad magic)")
        self.version = cur.unpack("<I")
        if self.version not in (2, 3):
            raise GgufError(f"unsupported GGUF version {self.version}")
        n_tensors = cur.unpack("<Q")
        n_kv = cur.unpack("<Q")

        self.metadata: dict[str, object] = {}
        for _ in range(n_kv):
            key = cur.string()
            vtype = cur.unpack("<I")
            self.metadata[key] = cur.value(vtype)

        self.alignment = int(self.metadata.get("general.alignment", DEFAULT_ALIGNMENT))
        if self.alignment <= 0 or self.alignment & (self.alignment - 1):
            raise GgufError(f"alignment {self.alignment} is not a power of two")

        infos = []
        for _ in range(n_tensors):
            name = cur.string()
            n_dims = cur.unpack("<I")
            if n_dims > 4:
                raise GgufError(f"{name}: {n_dims} dimensions")
            shape = tuple(cur.unpack("<Q") for _ in range(n_dims))
            ggml_type = cur.unpack("<I")
            rel_offset = cur.unpack("<Q")
            infos.append((name, shape, ggml_type, rel_offset))

        # The data section starts at the next multiple of the alignment (absolute file offset).
        self.data_start = -(-cur.pos // self.alignment) * self.alignment
        self.tensors: dict[str, TensorInfo] = {}
        for name, shape, ggml_type, rel_offset in infos:
            if rel_offset % self.alignment:
                raise GgufError(f"{name}: offset {rel_offset} is not aligned")
            nbytes = tensor_nbytes(ggml_type, shape)
            start = self.data_start + rel_offset
            if start + nbytes > len(self.data):
                raise GgufError(f"{name}: data runs past the end of the file")
            self.tensors[name] = TensorInfo(name, shape, ggml_type, start, nbytes)

    def raw(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        return np.frombuffer(self.data, dtype=np.uint8, count=t.nbytes, offset=t.offset)

    def get(self, key: str, default=None):
        return self.metadata.get(key, default)


# ------------------------------------------------------------------------------------------------
# Dequantizers. Each takes the raw bytes of a whole tensor and its element count and returns a flat
# float32 array in ggml element order (row-major, rows of ne[0]).


def _f16(raw: np.ndarray) -> np.ndarray:
    return raw.view("<f2").astype(np.float32)


def _blocks(raw: np.ndarray, block_bytes: int) -> np.ndarray:
    return raw.reshape(-1, block_bytes)


def dequant_q8_0(raw: np.ndarray) -> np.ndarray:
    """Q8_0 (section 4): f16 d, int8 qs[32]; x = d * q."""
    b = _blocks(raw, 34)
    d = _f16(np.ascontiguousarray(b[:, 0:2]).reshape(-1))
    q = b[:, 2:].view(np.int8).astype(np.float32)
    return (d[:, None] * q).reshape(-1)


def dequant_q6_k(raw: np.ndarray) -> np.ndarray:
    """Q6_K (section 5): ql[128], qh[64], int8 scales[16], f16 d; 256 elements per block."""
    b = _blocks(raw, 210)
    nb = b.shape[0]
    ql = b[:, 0:128].astype(np.int32)
    qh = b[:, 128:192].astype(np.int32)
    sc = b[:, 192:208].view(np.int8).astype(np.float32)
    d = _f16(np.ascontiguousarray(b[:, 208:210]).reshape(-1))
    y = np.empty((nb, 256), dtype=np.float32)
    l = np.arange(32)
    for h in range(2):
        L = ql[:, 64 * h:64 * h + 64]
        H = qh[:, 32 * h:32 * h + 32]
        S = sc[:, 8 * h:8 * h + 8]
        s = l // 16  # 0 or 1, per element l
        q1 = ((L[:, l] & 0xF) | (((H[:, l] >> 0) & 3) << 4)) - 32
        q2 = ((L[:, l + 32] & 0xF) | (((H[:, l] >> 2) & 3) << 4)) - 32
        q3 = ((L[:, l] >> 4) | (((H[:, l] >> 4) & 3) << 4)) - 32
        q4 = ((L[:, l + 32] >> 4) | (((H[:, l] >> 6) & 3) << 4)) - 32
        base = 128 * h
        y[:, base + l] = d[:, None] * S[:, s + 0] * q1
        y[:, base + l + 32] = d[:, None] * S[:, s + 2] * q2
        y[:, base + l + 64] = d[:, None] * S[:, s + 4] * q3
        y[:, base + l + 96] = d[:, None] * S[:, s + 6] * q4
    return y.reshape(-1)


def _base3_digit(byte: np.ndarray, n: int) -> np.ndarray:
    """Digit n (0 = most significant) of TQ1_0's fixed-point base-3 bytes: t = (uint8)(b * 3^n),
    code = (t * 3) >> 8 (section 6)."""
    t = (byte.astype(np.uint32) * (3 ** n)) & 0xFF
    return ((t * 3) >> 8).astype(np.int8)


def tq1_0_codes(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TQ1_0 (section 6): returns (ternary values int8 [n_blocks, 256], d float32 [n_blocks])."""
    b = _blocks(raw, 54)
    nb = b.shape[0]
    qs = b[:, 0:48]
    qh = b[:, 48:52]
    d = _f16(np.ascontiguousarray(b[:, 52:54]).reshape(-1))
    codes = np.empty((nb, 256), dtype=np.int8)
    for n in range(5):
        # qs[0..31]: digit n of byte m -> element m + 32n (elements 0..159)
        codes[:, 32 * n:32 * n + 32] = _base3_digit(qs[:, 0:32], n)
        # qs[32..47]: digit n of byte m -> element 160 + (m - 32) + 16n (elements 160..239)
        codes[:, 160 + 16 * n:160 + 16 * n + 16] = _base3_digit(qs[:, 32:48], n)
    for n in range(4):
        # qh[0..3]: digit n of byte m -> element 240 + m + 4n (elements 240..255)
        codes[:, 240 + 4 * n:240 + 4 * n + 4] = _base3_digit(qh, n)
    if (codes > 2).any():
        raise GgufError("TQ1_0: invalid base-3 digit")
    return codes - 1, d


def tq2_0_codes(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TQ2_0 (section 7): element e: j = e/128, l = (e%128)/32, m = e%32,
    code = (qs[32j + m] >> 2l) & 3 -- the first 32 elements of a 128-group in the LOW bits."""
    b = _blocks(raw, 66)
    nb = b.shape[0]
    qs = b[:, 0:64]
    d = _f16(np.ascontiguousarray(b[:, 64:66]).reshape(-1))
    codes = np.empty((nb, 256), dtype=np.int8)
    for j in range(2):
        for l in range(4):
            codes[:, 128 * j + 32 * l:128 * j + 32 * l + 32] = (qs[:, 32 * j:32 * j + 32] >> (2 * l)) & 3
    if (codes == 3).any():
        raise GgufError("TQ2_0: code 3 is not a ternary value")
    return codes - 1, d


def i2_s_codes(raw: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """I2_S (section 8): one flat stream of n 2-bit codes in 128-code blocks of 32 bytes; code j of a
    block sits in byte j%32 at bits (7-2g):(6-2g), g = j/32 (the first 32 codes in the HIGH bits).
    The per-tensor f32 scale follows the n/4 packed bytes. Returns (ternary int8 [n], scale)."""
    packed = raw[:n // 4].reshape(-1, 32)
    scale = float(np.frombuffer(raw[n // 4:n // 4 + 4].tobytes(), dtype="<f4")[0])
    codes = np.empty((packed.shape[0], 128), dtype=np.int8)
    for g in range(4):
        codes[:, 32 * g:32 * g + 32] = (packed >> (6 - 2 * g)) & 3
    if (codes == 3).any():
        raise GgufError("I2_S: code 3 is not a ternary value")
    return (codes - 1).reshape(-1), scale


def iq2_bn_codes(raw: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """IQ2_BN (section 9): per row f32 d, then per 64 values 16 bytes; byte j bits 2l..2l+1 = code of
    element j + 16l. Returns (values [rows, cols] int8, d [rows])."""
    r = raw.reshape(rows, 4 + cols // 4)
    d = r[:, :4].copy().view("<f4")[:, 0]
    q = r[:, 4:].reshape(rows, cols // 64, 16)
    codes = np.zeros((rows, cols // 64, 64), dtype=np.int8)
    for l in range(4):
        codes[:, :, 16 * l:16 * l + 16] = (q >> (2 * l)) & 3
    if (codes == 3).any():
        raise GgufError("IQ2_BN: code 3 is not a ternary value")
    return (codes - 1).reshape(rows, cols), d


def iq1_bn_codes(raw: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """IQ1_BN (section 10): per row f16 d, then per 64 values ql[12] + extra; element 16s + 5k + j is
    digit j (least significant first) of ql[3s + k], element 16s + 15 digit s of extra."""
    nb = cols // 64
    r = raw.reshape(rows, 2 + nb * 13)
    d = _f16(np.ascontiguousarray(r[:, :2]).reshape(-1))
    q = r[:, 2:].reshape(rows, nb, 13)
    codes = np.zeros((rows, nb, 64), dtype=np.int8)
    for s in range(4):
        for k in range(3):
            for j in range(5):
                codes[:, :, 16 * s + 5 * k + j] = _base3_digit(q[:, :, 3 * s + k], 4 - j)
        codes[:, :, 16 * s + 15] = _base3_digit(q[:, :, 12], 4 - s)
    return (codes - 1).reshape(rows, cols), d


def dequantize(f: GgufFile, name: str) -> np.ndarray:
    """Any supported tensor as float32, shaped [ne1, ne0] (2-D) or [ne0] (1-D)."""
    t = f.tensors[name]
    raw = f.raw(name)
    if t.type == F32:
        flat = raw.view("<f4").astype(np.float32)
    elif t.type == F16:
        flat = _f16(raw)
    elif t.type == BF16:
        flat = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
    elif t.type == Q8_0:
        flat = dequant_q8_0(raw)
    elif t.type == Q6_K:
        flat = dequant_q6_k(raw)
    elif t.type == TQ1_0:
        v, d = tq1_0_codes(raw)
        flat = (v.astype(np.float32) * d[:, None]).reshape(-1)
    elif t.type == TQ2_0:
        v, d = tq2_0_codes(raw)
        flat = (v.astype(np.float32) * d[:, None]).reshape(-1)
    elif t.type == I2_S:
        v, scale = i2_s_codes(raw, t.n_elements)
        flat = v.astype(np.float32) * np.float32(scale)
    elif t.type in (IQ2_BN, IQ1_BN):
        v, d = (iq2_bn_codes if t.type == IQ2_BN else iq1_bn_codes)(raw, t.n_elements // t.shape[0], t.shape[0])
        flat = (v.astype(np.float32) * d[:, None]).reshape(-1)
    else:
        raise GgufError(f"{name}: cannot dequantize type {t.type}")
    return flat.reshape(tuple(reversed(t.shape)))


@dataclass
class TernaryMatrix:
    """W[o][i] = T[o][i] * scale[o][i // block]; block = the whole row for per-tensor scales."""
    T: np.ndarray  # int8 [rows, cols], values in {-1, 0, 1}
    scales: np.ndarray  # float32 [rows, cols // block]
    block: int


def ternary(f: GgufFile, name: str) -> TernaryMatrix:
    """A BitLinear weight split into its ternary values and scales, times the optional per-tensor
    `<name minus .weight>.scale` (one F32 value, written by llama.cpp's converter for the 2024
    `bitnet` models)."""
    m = _ternary_values(f, name)
    scale_name = name[: -len(".weight")] + ".scale" if name.endswith(".weight") else None
    if scale_name in f.tensors:
        extra = dequantize(f, scale_name).reshape(-1)
        if extra.size != 1:
            raise GgufError(f"{scale_name}: expected a single value, got {extra.size}")
        m = TernaryMatrix(m.T, (m.scales * np.float32(extra[0])).astype(np.float32), m.block)
    return m


def _ternary_values(f: GgufFile, name: str) -> TernaryMatrix:
    t = f.tensors[name]
    if len(t.shape) != 2:
        raise GgufError(f"{name}: expected a 2-D weight, got shape {t.shape}")
    cols, rows = t.shape
    raw = f.raw(name)
    if t.type == I2_S:
        v, scale = i2_s_codes(raw, t.n_elements)
        return TernaryMatrix(v.reshape(rows, cols), np.full((rows, 1), scale, dtype=np.float32), cols)
    if t.type in (TQ1_0, TQ2_0):
        v, d = (tq1_0_codes if t.type == TQ1_0 else tq2_0_codes)(raw)
        return TernaryMatrix(v.reshape(rows, cols), d.reshape(rows, cols // 256), 256)
    if t.type in (IQ2_BN, IQ1_BN):
        v, d = (iq2_bn_codes if t.type == IQ2_BN else iq1_bn_codes)(raw, rows, cols)
        return TernaryMatrix(v, d.reshape(rows, 1).astype(np.float32), cols)
    if t.type in (F32, F16, BF16):
        # A float file holds ternary weights exactly as alpha * {-1, 0, 1}: alpha = max|w|.
        w = dequantize(f, name)
        alpha = np.float32(np.abs(w).max())
        if alpha == 0:
            return TernaryMatrix(np.zeros((rows, cols), np.int8), np.zeros((rows, 1), np.float32), cols)
        T = w / alpha
        Ti = np.rint(T).astype(np.int8)
        if not np.array_equal(T, Ti.astype(np.float32)):
            raise GgufError(f"{name}: float weights are not of the form alpha * {{-1, 0, 1}}")
        return TernaryMatrix(Ti, np.full((rows, 1), alpha, dtype=np.float32), cols)
    raise GgufError(f"{name}: type {TYPE_NAMES.get(t.type, t.type)} is not a ternary weight type")
