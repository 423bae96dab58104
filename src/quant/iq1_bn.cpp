// IQ1_BN (ik_llama.cpp): base-3 digits, 64 values per 13 bytes, one f16 scale in front of each row.
#include <algorithm>
#include <cmath>

#include "core/fp16.hpp"
#include "quant/byte_io.hpp"
#include "quant/codecs.hpp"
#include "quant/iq_bn.hpp"

namespace bitnet {

namespace {

// Five (or, for `extra`, four) codes, least significant digit first -> ceil(v * 256 / 243).
uint8_t encode_digits(const uint8_t* codes, int count) {
    int v = 0;
    for (int j = count - 1; j >= 0; --j) v = 3 * v + codes[j];
    return static_cast<uint8_t>((256 * v + 242) / 243);
}

// Digit j of a byte: t = byte * 3^(4-j) mod 256, code = (3t) >> 8.
int decode_digit(uint8_t byte, int j) {
    static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    const auto t = static_cast<uint8_t>(byte * kPow3[4 - j]);
    return (t * 3) >> 8;
}

void encode_block(const uint8_t* codes, uint8_t* q) {
    uint8_t extra[4];
    for (int s = 0; s < 4; ++s) {
        for (int k = 0; k < 3; ++k) q[3 * s + k] = encode_digits(codes + 16 * s + 5 * k, 5);
        extra[s] = codes[16 * s + 15];
    }
    q[12] = encode_digits(extra, 4);
}

void decode_block(const uint8_t* q, uint8_t* codes) {
    for (int s = 0; s < 4; ++s) {
        for (int k = 0; k < 3; ++k) {
            for (int j = 0; j < 5; ++j) codes[16 * s + 5 * k + j] = static_cast<uint8_t>(decode_digit(q[3 * s + k], j));
        }
        codes[16 * s + 15] = static_cast<uint8_t>(decode_digit(q[12], s));
    }
}

}  // namespace

void pack_iq1_bn_row(const int8_t* values, int64_t n, float d, uint8_t* dst) {
    store_u16(dst, f32_to_fp16(d));
    uint8_t codes[kIqBnBlock];
    for (int64_t b = 0; b < n / kIqBnBlock; ++b) {
        for (int64_t i = 0; i < kIqBnBlock; ++i) codes[i] = static_cast<uint8_t>(values[b * kIqBnBlock + i] + 1);
        encode_block(codes, dst + kIq1BnRowMeta + b * kIq1BnBlockBytes);
    }
}

void unpack_iq1_bn_row(const uint8_t* row, int64_t n, int8_t* values, float* d) {
    *d = fp16_to_f32(load_u16(row));
    uint8_t codes[kIqBnBlock];
    for (int64_t b = 0; b < n / kIqBnBlock; ++b) {
        decode_block(row + kIq1BnRowMeta + b * kIq1BnBlockBytes, codes);
        for (int64_t i = 0; i < kIqBnBlock; ++i) values[b * kIqBnBlock + i] = static_cast<int8_t>(codes[i] - 1);
    }
}

void dequantize_row_iq1_bn(const void* src, float* dst, int64_t n) {
    const auto* row = static_cast<const uint8_t*>(src);
    const float d = fp16_to_f32(load_u16(row));
    uint8_t codes[kIqBnBlock];
    for (int64_t b = 0; b < n / kIqBnBlock; ++b) {
        decode_block(row + kIq1BnRowMeta + b * kIq1BnBlockBytes, codes);
        for (int64_t i = 0; i < kIqBnBlock; ++i) dst[b * kIqBnBlock + i] = d * static_cast<float>(codes[i] - 1);
    }
}

// ik's quantize_one_row_1bn: d = max|x| (stored as f16), code 1 where |x| < d/2.
void quantize_row_iq1_bn(const float* src, void* dst, int64_t n) {
    float d = 0.0f;
    for (int64_t i = 0; i < n; ++i) d = std::max(d, std::fabs(src[i]));
    auto* out = static_cast<uint8_t*>(dst);
    store_u16(out, f32_to_fp16(d));
    uint8_t codes[kIqBnBlock];
    for (int64_t b = 0; b < n / kIqBnBlock; ++b) {
        for (int64_t i = 0; i < kIqBnBlock; ++i) {
            const float x = src[b * kIqBnBlock + i];
            codes[i] = static_cast<uint8_t>(std::fabs(x) < 0.5f * d ? 1 : (x < 0 ? 0 : 2));
        }
        encode_block(codes, out + kIq1BnRowMeta + b * kIq1BnBlockBytes);
    }
}

}  // namespace bitnet
