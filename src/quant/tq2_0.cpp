// TQ2_0: 256 ternary codes in 64 bytes (2 bits each) + f16 d. Byte 32j + m holds, from the low
// bits up, the codes of elements 128j + m, +32, +64, +96 (the reverse bit order of I2_S).
#include "core/fp16.hpp"
#include "quant/byte_io.hpp"
#include "quant/codecs.hpp"
#include "quant/tq_blocks.hpp"

namespace bitnet {

void encode_tq2_0_block(const uint8_t* codes, uint16_t d_bits, uint8_t* dst) {
    for (int j = 0; j < 2; ++j) {
        for (int m = 0; m < 32; ++m) {
            const uint8_t* c = codes + 128 * j + m;
            dst[32 * j + m] = static_cast<uint8_t>(c[0] | c[32] << 2 | c[64] << 4 | c[96] << 6);
        }
    }
    store_u16(dst + 64, d_bits);
}

void decode_tq2_0_block(const uint8_t* src, uint8_t* codes) {
    for (int e = 0; e < kTqBlock; ++e) {
        const int j = e / 128, l = (e % 128) / 32, m = e % 32;
        codes[e] = static_cast<uint8_t>((src[32 * j + m] >> (2 * l)) & 3);
    }
}

void dequantize_row_tq2_0(const void* src, float* dst, int64_t n) {
    const auto* in = static_cast<const uint8_t*>(src);
    uint8_t codes[kTqBlock];
    for (int64_t b = 0; b < n / kTqBlock; ++b, in += kTq2BlockBytes) {
        decode_tq2_0_block(in, codes);
        const float d = fp16_to_f32(load_u16(in + 64));
        // (code - 1) * d as in ggml; the never-written code 3 therefore reads as 2d.
        for (int e = 0; e < kTqBlock; ++e) dst[b * kTqBlock + e] = static_cast<float>(codes[e] - 1) * d;
    }
}

void quantize_row_tq2_0(const float* src, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    uint8_t codes[kTqBlock];
    for (int64_t b = 0; b < n / kTqBlock; ++b, out += kTq2BlockBytes) {
        const float d = ternary_block_codes(src + b * kTqBlock, codes);
        encode_tq2_0_block(codes, f32_to_fp16(d), out);
    }
}

}  // namespace bitnet
