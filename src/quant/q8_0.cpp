// Q8_0: blocks of 32 int8 quants with one f16 scale, {f16 d; int8 qs[32]} = 34 bytes.
// The quantizer follows ggml's reference exactly (d = amax/127, q = roundf(x * (1/d)), the quants
// computed against the unrounded d) so files match what llama.cpp would write.
#include <cmath>

#include "core/fp16.hpp"
#include "quant/byte_io.hpp"
#include "quant/codecs.hpp"
#include "quant/rounding.hpp"

namespace bitnet {

namespace {
constexpr int64_t kBlock = 32;
constexpr size_t kBlockBytes = 34;
}  // namespace

void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
    const auto* in = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kBlock; ++b, in += kBlockBytes) {
        const float d = fp16_to_f32(load_u16(in));
        for (int64_t j = 0; j < kBlock; ++j)
            dst[b * kBlock + j] = d * static_cast<float>(static_cast<int8_t>(in[2 + j]));
    }
}

void quantize_row_q8_0(const float* src, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    for (int64_t b = 0; b < n / kBlock; ++b, out += kBlockBytes) {
        const float* x = src + b * kBlock;
        float amax = 0.0f;
        for (int64_t j = 0; j < kBlock; ++j) amax = std::fmax(amax, std::fabs(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        store_u16(out, f32_to_fp16(d));
        for (int64_t j = 0; j < kBlock; ++j) {
            const float v = x[j] * id;
            out[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(round_away_clamped(v, -127, 127)));
        }
    }
}

}  // namespace bitnet
