// TQ1_0: 256 ternary codes in 52 bytes (5 base-3 digits per byte in qs, 4 in qh) + f16 d.
// A digit group v (most significant digit first) is stored as ceil(v * 256 / 243): the byte is
// then a fixed-point fraction v/243, and digit n comes out as the integer part of three times
// the fractional part of b * 3^n / 256, i.e. ((uint8)(b * 3^n) * 3) >> 8, with no division.
#include "core/fp16.hpp"
#include "quant/byte_io.hpp"
#include "quant/codecs.hpp"
#include "quant/tq_blocks.hpp"

namespace bitnet {

namespace {

constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};

uint8_t pack_digits(const uint8_t* codes, int count, int stride) {
    unsigned v = 0;
    for (int n = 0; n < count; ++n) v = v * 3 + codes[n * stride];
    for (int n = count; n < 5; ++n) v *= 3;  // qh: the four digits sit at the top, digit 4 is 0
    return static_cast<uint8_t>((v * 256 + 242) / 243);
}

uint8_t digit(uint8_t b, int n) {
    const auto t = static_cast<uint8_t>(b * kPow3[n]);
    return static_cast<uint8_t>((t * 3) >> 8);
}

}  // namespace

// Element layout: qs[m], m < 32, digit n -> element m + 32n (0..159); qs[32 + m], m < 16, digit n ->
// element 160 + m + 16n (160..239); qh[m], m < 4, digit n (n < 4) -> element 240 + m + 4n.
void encode_tq1_0_block(const uint8_t* codes, uint16_t d_bits, uint8_t* dst) {
    for (int m = 0; m < 32; ++m) dst[m] = pack_digits(codes + m, 5, 32);
    for (int m = 0; m < 16; ++m) dst[32 + m] = pack_digits(codes + 160 + m, 5, 16);
    for (int m = 0; m < 4; ++m) dst[48 + m] = pack_digits(codes + 240 + m, 4, 4);
    store_u16(dst + 52, d_bits);
}

void decode_tq1_0_block(const uint8_t* src, uint8_t* codes) {
    for (int n = 0; n < 5; ++n) {
        for (int m = 0; m < 32; ++m) codes[m + 32 * n] = digit(src[m], n);
        for (int m = 0; m < 16; ++m) codes[160 + m + 16 * n] = digit(src[32 + m], n);
    }
    for (int n = 0; n < 4; ++n) {
        for (int m = 0; m < 4; ++m) codes[240 + m + 4 * n] = digit(src[48 + m], n);
    }
}

void dequantize_row_tq1_0(const void* src, float* dst, int64_t n) {
    const auto* in = static_cast<const uint8_t*>(src);
    uint8_t codes[kTqBlock];
    for (int64_t b = 0; b < n / kTqBlock; ++b, in += kTq1BlockBytes) {
        decode_tq1_0_block(in, codes);
        const float d = fp16_to_f32(load_u16(in + 52));
        for (int e = 0; e < kTqBlock; ++e) dst[b * kTqBlock + e] = static_cast<float>(codes[e] - 1) * d;
    }
}

void quantize_row_tq1_0(const float* src, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    uint8_t codes[kTqBlock];
    for (int64_t b = 0; b < n / kTqBlock; ++b, out += kTq1BlockBytes) {
        const float d = ternary_block_codes(src + b * kTqBlock, codes);
        encode_tq1_0_block(codes, f32_to_fp16(d), out);
    }
}

}  // namespace bitnet
