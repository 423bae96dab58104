// BitNet b1.58 absmean ternarization and the packers between ternary values and the I2_S,
// TQ2_0 and TQ1_0 layouts.
#include "quant/ternary.hpp"

#include <algorithm>
#include <cmath>

#include "core/fp16.hpp"
#include "quant/byte_io.hpp"
#include "quant/rounding.hpp"
#include "quant/tq_blocks.hpp"

namespace bitnet {

TernaryTensor ternarize_absmean(const float* w, int64_t n) {
    // The mean is taken in double so that it does not depend on summation order for big tensors;
    // everything after it is float32, as in the PyTorch reference.
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(w[i]));
    const float mean = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
    const float s = 1.0f / std::max(mean, 1e-5f);
    TernaryTensor out;
    out.values.resize(static_cast<size_t>(std::max<int64_t>(n, 0)));
    for (int64_t i = 0; i < n; ++i) {
        const float v = w[i] * s;
        out.values[static_cast<size_t>(i)] = static_cast<int8_t>(round_even_clamped(v, -1, 1));
    }
    out.scale = 1.0f / s;
    return out;
}

float ternary_block_codes(const float* x, uint8_t* codes) {
    float amax = 0.0f;
    for (int64_t j = 0; j < kTqBlock; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float id = amax != 0.0f ? 1.0f / amax : 0.0f;
    for (int64_t j = 0; j < kTqBlock; ++j) {
        const float v = x[j] * id;
        codes[j] = static_cast<uint8_t>(round_even_clamped(v, -1, 1) + 1);
    }
    return amax;
}

namespace {

// Code of a ternary value; anything outside {-1, 0, +1} is clamped rather than wrapped into the
// neighbouring bit fields.
uint8_t code_of(int8_t v) { return static_cast<uint8_t>(std::clamp<int>(v, -1, 1) + 1); }

// Codes of one 256-block and the f16 scale it gets: `scale`, or 0 for a block of zeros.
uint16_t tq_block_codes(const int8_t* values, float scale, uint8_t* codes) {
    bool any = false;
    for (int64_t j = 0; j < kTqBlock; ++j) {
        codes[j] = code_of(values[j]);
        any |= codes[j] != 1;
    }
    return any ? f32_to_fp16(scale) : uint16_t{0};
}

template <void (*Decode)(const uint8_t*, uint8_t*)>
void unpack_tq(const uint8_t* src, size_t block_bytes, int64_t n, int8_t* values, float* block_scales) {
    uint8_t codes[kTqBlock];
    for (int64_t b = 0; b < n / kTqBlock; ++b, src += block_bytes) {
        Decode(src, codes);
        // Code 3 (TQ2_0 only, never written) is not a ternary value; it reads as 0 like I2_S's.
        for (int64_t j = 0; j < kTqBlock; ++j)
            values[b * kTqBlock + j] = static_cast<int8_t>(codes[j] == 3 ? 0 : codes[j] - 1);
        block_scales[b] = fp16_to_f32(load_u16(src + block_bytes - 2));
    }
}

}  // namespace

void pack_i2s(const int8_t* values, int64_t n, float scale, uint8_t* dst) {
    for (int64_t b = 0; b < n / 128; ++b) {
        const int8_t* v = values + b * 128;
        uint8_t* out = dst + b * 32;
        for (int p = 0; p < 32; ++p) {
            out[p] = static_cast<uint8_t>(code_of(v[p]) << 6 | code_of(v[p + 32]) << 4 | code_of(v[p + 64]) << 2 |
                                          code_of(v[p + 96]));
        }
    }
    uint8_t* tail = dst + n / 4;
    std::fill(tail, tail + 32, uint8_t{0});
    store_f32(tail, scale);
}

float i2s_scale(const uint8_t* data, int64_t n) { return load_f32(data + n / 4); }

int8_t i2s_value(const uint8_t* data, int64_t i) {
    const int64_t j = i % 128;
    const int code = (data[i / 128 * 32 + j % 32] >> (6 - 2 * (j / 32))) & 3;
    return static_cast<int8_t>(code == 3 ? 0 : code - 1);
}

void pack_tq2_0(const int8_t* values, int64_t n, float scale, uint8_t* dst) {
    uint8_t codes[kTqBlock];
    for (int64_t b = 0; b < n / kTqBlock; ++b) {
        const uint16_t d = tq_block_codes(values + b * kTqBlock, scale, codes);
        encode_tq2_0_block(codes, d, dst + b * kTq2BlockBytes);
    }
}

void pack_tq1_0(const int8_t* values, int64_t n, float scale, uint8_t* dst) {
    uint8_t codes[kTqBlock];
    for (int64_t b = 0; b < n / kTqBlock; ++b) {
        const uint16_t d = tq_block_codes(values + b * kTqBlock, scale, codes);
        encode_tq1_0_block(codes, d, dst + b * kTq1BlockBytes);
    }
}

void unpack_tq2_0(const uint8_t* src, int64_t n, int8_t* values, float* block_scales) {
    unpack_tq<decode_tq2_0_block>(src, kTq2BlockBytes, n, values, block_scales);
}

void unpack_tq1_0(const uint8_t* src, int64_t n, int8_t* values, float* block_scales) {
    unpack_tq<decode_tq1_0_block>(src, kTq1BlockBytes, n, values, block_scales);
}

}  // namespace bitnet
