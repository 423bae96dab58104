// Scalar reference kernels: they define the numerics every ISA variant must reproduce.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.hpp"
#include "kernels/kernels.hpp"
#include "kernels/scalar_ops.hpp"

namespace bitnet {

namespace scalar {

void quantize_acts(const float* x, int64_t k, WeightLayout layout, int8_t* q, ActScale* scale) {
    float amax = 0.0f;
    for (int64_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float s = 127.0f / std::max(amax, 1e-5f);
    const int64_t padded = layout_padded_k(layout, k);
    std::memset(q, 0, static_cast<size_t>(padded));
    int32_t sum = 0;
    for (int64_t i = 0; i < k; ++i) {
        const float r = std::nearbyint(x[i] * s);  // default rounding mode: half to even
        const int v = static_cast<int>(std::clamp(r, -128.0f, 127.0f));
        q[layout_act_index(layout, k, i)] = static_cast<int8_t>(v);
        sum += v;
    }
    scale->s = s;
    scale->sum = sum;
}

void ternary_matmul(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts, size_t act_stride,
                    const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    for (int64_t t = 0; t < n_tokens; ++t) {
        const int8_t* a = acts + static_cast<size_t>(t) * act_stride;
        for (int64_t r = row_begin; r < row_end; ++r) {
            const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_stride;
            float y;
            if (w.block_scale != nullptr) {
                y = 0.0f;
                for (int64_t b = 0; b < w.cols / 256; ++b) {
                    int32_t acc = 0;
                    for (int64_t k = b * 256; k < (b + 1) * 256; ++k) {
                        acc += (layout_get_code(w.layout, row, k) - 1) * a[layout_act_index(w.layout, w.cols, k)];
                    }
                    y += (static_cast<float>(acc) / scales[t].s) * w.block_scale[r * (w.cols / 256) + b];
                }
            } else {
                int32_t acc = 0;
                for (int64_t k = 0; k < w.cols; ++k) {
                    acc += (layout_get_code(w.layout, row, k) - 1) * a[layout_act_index(w.layout, w.cols, k)];
                }
                y = (static_cast<float>(acc) / scales[t].s) * w.row_scale[r];
            }
            out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = y;
        }
    }
}

}  // namespace scalar

const KernelTable& kernels_scalar() {
    static const KernelTable table = {
        .isa = Isa::scalar,
        .base3_keeps_up = false,
        .quantize_acts = scalar::quantize_acts,
        .ternary_matmul = scalar::ternary_matmul,
        .quantize_q8_0 = scalar::quantize_q8_0,
        .quantize_q8_k = scalar::quantize_q8_k,
        .dense_matmul = scalar::dense_matmul_table(),
        .rms_norm = scalar::rms_norm,
        .softmax = scalar::softmax,
        .rope_neox = scalar::rope_neox,
        .relu_sqr_mul = scalar::relu_sqr_mul,
        .f32_to_f16 = scalar::f32_to_f16,
        .attention = scalar::attention,
    };
    return table;
}

}  // namespace bitnet
