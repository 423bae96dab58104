#pragma once
// Ternary ("1.58-bit") weights: BitNet b1.58's absmean ternarization and packing of ternary
// values into the file formats I2_S, TQ2_0 and TQ1_0.
#include <cstdint>
#include <vector>

namespace bitnet {

struct TernaryTensor {
    std::vector<int8_t> values;  // each in {-1, 0, +1}
    float scale = 0.0f;          // alpha: weight = scale * value
};

// BitNet b1.58 weight quantizer, per tensor: s = 1 / max(mean|W|, 1e-5);
// T = clamp(round_half_even(W * s), -1, 1); alpha = 1 / s.
TernaryTensor ternarize_absmean(const float* w, int64_t n);

// I2_S: whole tensor as one flat stream of 2-bit codes (value + 1), 128 codes per 32 bytes,
// then the f32 scale and 28 zero bytes. `dst` must hold n/4 + 32 bytes; n % 128 == 0.
void pack_i2s(const int8_t* values, int64_t n, float scale, uint8_t* dst);
// Reads the per-tensor scale of an I2_S tensor of n elements.
float i2s_scale(const uint8_t* data, int64_t n);
// Value (-1, 0, +1) of flat element i of an I2_S tensor; code 3 (never written) reads as 0.
int8_t i2s_value(const uint8_t* data, int64_t i);

// TQ2_0 / TQ1_0: blocks of 256 with an f16 scale each. Every block gets `scale` (a block of
// zeros gets 0, as ggml's quantizer would write). n % 256 == 0.
void pack_tq2_0(const int8_t* values, int64_t n, float scale, uint8_t* dst);
void pack_tq1_0(const int8_t* values, int64_t n, float scale, uint8_t* dst);

// Unpack to values and per-block scales (one per 256 elements, as f32).
void unpack_tq2_0(const uint8_t* src, int64_t n, int8_t* values, float* block_scales);
void unpack_tq1_0(const uint8_t* src, int64_t n, int8_t* values, float* block_scales);

}  // namespace bitnet
