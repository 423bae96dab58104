// I2_S rows: the tensor is one flat stream of 2-bit codes, 128 codes per 32 bytes; byte p of a
// block holds codes p, p+32, p+64, p+96 from the most significant bit pair down. Rows start at
// block boundaries because ne0 % 128 == 0, so a row can be decoded on its own given the scale.
#include "quant/codecs.hpp"

namespace bitnet {

void dequantize_row_i2s(const void* src, float* dst, int64_t n, float scale) {
    const auto* in = static_cast<const uint8_t*>(src);
    // Code 3 is never written; it reads as 0 rather than bitnet.cpp kernels' accidental +2.
    const float lut[4] = {-scale, 0.0f, scale, 0.0f};
    for (int64_t b = 0; b < n / 128; ++b, in += 32, dst += 128) {
        for (int g = 0; g < 4; ++g) {
            const int shift = 6 - 2 * g;
            for (int p = 0; p < 32; ++p) dst[32 * g + p] = lut[(in[p] >> shift) & 3];
        }
    }
}

}  // namespace bitnet
