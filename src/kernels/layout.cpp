#include "kernels/layout.hpp"

#include <cstring>

#include "core/error.hpp"

namespace bitnet {

namespace {
constexpr int64_t kBase3Chunk = 320;  // weights per 64-byte base-3 chunk
constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
}  // namespace

const char* layout_name(WeightLayout layout) { return layout == WeightLayout::bits2 ? "bits2" : "base3"; }

int64_t layout_padded_k(WeightLayout layout, int64_t k) {
    if (layout == WeightLayout::bits2) return k;
    return (k + kBase3Chunk - 1) / kBase3Chunk * kBase3Chunk;
}

size_t layout_row_bytes(WeightLayout layout, int64_t k) {
    if (layout == WeightLayout::bits2) return static_cast<size_t>(k / 4);
    return static_cast<size_t>(layout_padded_k(layout, k) / kBase3Chunk * 64);
}

int64_t layout_act_index(WeightLayout layout, int64_t row_k, int64_t k) {
    if (layout == WeightLayout::base3) return k;
    const int64_t chunk = k / 256;
    if ((chunk + 1) * 256 > row_k) return k;  // trailing half chunk: natural order
    const int64_t j = k % 256;
    const int64_t half = j / 128, g = (j % 128) / 32, p = j % 32;
    return chunk * 256 + g * 64 + half * 32 + p;
}

int layout_get_code(WeightLayout layout, const uint8_t* row, int64_t k) {
    if (layout == WeightLayout::bits2) {
        const uint8_t byte = row[(k / 128) * 32 + k % 32];
        return (byte >> (6 - 2 * ((k % 128) / 32))) & 3;
    }
    const int64_t chunk = k / kBase3Chunk, j = k % kBase3Chunk;
    const uint8_t byte = row[chunk * 64 + j % 64];
    const uint8_t t = static_cast<uint8_t>(byte * kPow3[j / 64]);
    return (t * 3) >> 8;
}

void layout_pack_row(WeightLayout layout, const int8_t* values, int64_t k, uint8_t* dst) {
    if (layout == WeightLayout::bits2) {
        if (k % 128 != 0) fail(strprintf("bits2 rows need a multiple of 128 weights, got %lld", static_cast<long long>(k)));
        std::memset(dst, 0, static_cast<size_t>(k / 4));
        for (int64_t i = 0; i < k; ++i) {
            const int code = values[i] + 1;
            dst[(i / 128) * 32 + i % 32] |= static_cast<uint8_t>(code << (6 - 2 * ((i % 128) / 32)));
        }
        return;
    }
    const int64_t padded = layout_padded_k(layout, k);
    for (int64_t c = 0; c < padded / kBase3Chunk; ++c) {
        for (int i = 0; i < 64; ++i) {
            int v = 0;
            for (int n = 0; n < 5; ++n) {
                const int64_t idx = c * kBase3Chunk + 64 * n + i;
                const int code = idx < k ? values[idx] + 1 : 1;
                v = v * 3 + code;
            }
            dst[c * 64 + i] = static_cast<uint8_t>((v * 256 + 242) / 243);
        }
    }
}

}  // namespace bitnet
