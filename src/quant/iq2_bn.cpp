// IQ2_BN (ik_llama.cpp): 2-bit codes, 64 per 16 bytes, one f32 scale in front of each row.
#include <algorithm>
#include <cmath>
#include <vector>

#include "quant/byte_io.hpp"
#include "quant/codecs.hpp"
#include "quant/iq_bn.hpp"

namespace bitnet {

void pack_iq2_bn_row(const int8_t* values, int64_t n, float d, uint8_t* dst) {
    store_f32(dst, d);
    uint8_t* q = dst + kIq2BnRowMeta;
    for (int64_t b = 0; b < n / kIqBnBlock; ++b, q += kIq2BnBlockBytes) {
        const int8_t* v = values + b * kIqBnBlock;
        for (int j = 0; j < 16; ++j) {
            q[j] = static_cast<uint8_t>((v[j] + 1) | (v[j + 16] + 1) << 2 | (v[j + 32] + 1) << 4 | (v[j + 48] + 1) << 6);
        }
    }
}

bool unpack_iq2_bn_row(const uint8_t* row, int64_t n, int8_t* values, float* d) {
    *d = load_f32(row);
    const uint8_t* q = row + kIq2BnRowMeta;
    bool valid = true;
    for (int64_t b = 0; b < n / kIqBnBlock; ++b, q += kIq2BnBlockBytes) {
        int8_t* v = values + b * kIqBnBlock;
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 4; ++l) {
                const int code = (q[j] >> (2 * l)) & 3;
                valid = valid && code != 3;
                v[j + 16 * l] = static_cast<int8_t>(code - 1);
            }
        }
    }
    return valid;
}

// Codes as ik's CUDA dequantizer and mat-mul kernels read them: the row header is skipped and
// multiplies (its CPU dequantizer ignores the header; see the spec's caveat).
void dequantize_row_iq2_bn(const void* src, float* dst, int64_t n) {
    const auto* row = static_cast<const uint8_t*>(src);
    const float d = load_f32(row);
    const uint8_t* q = row + kIq2BnRowMeta;
    for (int64_t b = 0; b < n / kIqBnBlock; ++b, q += kIq2BnBlockBytes) {
        for (int j = 0; j < 16; ++j) {
            for (int l = 0; l < 4; ++l) dst[b * kIqBnBlock + j + 16 * l] = d * static_cast<float>(((q[j] >> (2 * l)) & 3) - 1);
        }
    }
}

// ik's quantize_one_row_2bn: d = max|x| of the row, code 1 where |x| < d/2 (exact for ternary rows).
void quantize_row_iq2_bn(const float* src, void* dst, int64_t n) {
    float d = 0.0f;
    for (int64_t i = 0; i < n; ++i) d = std::max(d, std::fabs(src[i]));
    std::vector<int8_t> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<int8_t>(std::fabs(src[i]) < 0.5f * d ? 0 : (src[i] < 0 ? -1 : 1));
    pack_iq2_bn_row(v.data(), n, d, static_cast<uint8_t*>(dst));
}

}  // namespace bitnet
