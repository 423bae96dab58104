// F32 / F16 / BF16 rows. F16 and BF16 go through the exact scalar conversions in core/fp16.hpp
// (round to nearest even on the way in).
#include <cstring>

#include "core/fp16.hpp"
#include "quant/byte_io.hpp"
#include "quant/codecs.hpp"

namespace bitnet {

void dequantize_row_f32(const void* src, float* dst, int64_t n) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void quantize_row_f32(const float* src, void* dst, int64_t n) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_row_f16(const void* src, float* dst, int64_t n) {
    const auto* in = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(load_u16(in + 2 * i));
}

void quantize_row_f16(const float* src, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < n; ++i) store_u16(out + 2 * i, f32_to_fp16(src[i]));
}

void dequantize_row_bf16(const void* src, float* dst, int64_t n) {
    const auto* in = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(load_u16(in + 2 * i));
}

void quantize_row_bf16(const float* src, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < n; ++i) store_u16(out + 2 * i, f32_to_bf16(src[i]));
}

}  // namespace bitnet
