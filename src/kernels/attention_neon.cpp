// NEON attention for one GQA group: each K row is widened once and dotted with every query head of
// the group; each V row is widened once and accumulated into every head's output.
#include "kernels/neon_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"

namespace bitnet::neon {

namespace {

constexpr int kMaxHeadDim = 256;

void load_row(const void* base, bool f16, size_t offset, int head_dim, float* dst) {
    for (int d = 0; d < head_dim; d += 4) {
        vst1q_f32(dst + d, f16 ? load_f16x4(static_cast<const uint16_t*>(base) + offset + d)
                               : vld1q_f32(static_cast<const float*>(base) + offset + d));
    }
}

}  // namespace

void attention(const float* q, int n_q, int head_dim, const void* k, const void* v, bool kv_f16, size_t kv_stride,
               int64_t n_pos, float scale, float* out, float* scratch) {
    if (head_dim % 4 != 0 || head_dim > kMaxHeadDim || n_pos <= 0) {
        scalar::attention(q, n_q, head_dim, k, v, kv_f16, kv_stride, n_pos, scale, out, scratch);
        return;
    }
    float row[kMaxHeadDim];
    for (int64_t p = 0; p < n_pos; ++p) {
        load_row(k, kv_f16, static_cast<size_t>(p) * kv_stride, head_dim, row);
        for (int h = 0; h < n_q; ++h) {
            const float* qh = q + h * head_dim;
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int d = 0; d < head_dim; d += 4) acc = vfmaq_f32(acc, vld1q_f32(qh + d), vld1q_f32(row + d));
            scratch[h * n_pos + p] = vaddvq_f32(acc) * scale;
        }
    }
    for (int h = 0; h < n_q; ++h) softmax(scratch + h * n_pos, n_pos);
    for (int i = 0; i < n_q * head_dim; ++i) out[i] = 0.0f;
    for (int64_t p = 0; p < n_pos; ++p) {
        load_row(v, kv_f16, static_cast<size_t>(p) * kv_stride, head_dim, row);
        for (int h = 0; h < n_q; ++h) {
            const float wgt = scratch[h * n_pos + p];
            float* o = out + h * head_dim;
            for (int d = 0; d < head_dim; d += 4)
                vst1q_f32(o + d, vfmaq_n_f32(vld1q_f32(o + d), vld1q_f32(row + d), wgt));
        }
    }
}

}  // namespace bitnet::neon
