// NEON dense matmul (LM head): f32 / f16 / bf16 rows with f32 FMA; Q8_0 x Q8_0 and Q6_K x Q8_K with
// SDOT (both operands signed, so no offset tricks are needed). The quantized paths compute each
// block's integer dot exactly and apply the block scales in the reference's order.
#include "kernels/neon_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"

namespace bitnet::neon {

namespace {

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

template <DenseType Ty>
BITNET_ALWAYS_INLINE float32x4_t load4(const uint8_t* row, int64_t k) {
    if constexpr (Ty == DenseType::f32) {
        return vld1q_f32(reinterpret_cast<const float*>(row) + k);
    } else if constexpr (Ty == DenseType::f16) {
        return load_f16x4(reinterpret_cast<const uint16_t*>(row) + k);
    } else {
        return load_bf16x4(reinterpret_cast<const uint16_t*>(row) + k);
    }
}

template <DenseType Ty>
float load1(const uint8_t* row, int64_t k) {
    if constexpr (Ty == DenseType::f32) {
        float f;
        __builtin_memcpy(&f, row + 4 * k, 4);
        return f;
    } else if constexpr (Ty == DenseType::f16) {
        return f16_to_f32(load_u16(row + 2 * k));
    } else {
        const uint32_t u = static_cast<uint32_t>(load_u16(row + 2 * k)) << 16;
        float f;
        __builtin_memcpy(&f, &u, 4);
        return f;
    }
}

template <DenseType Ty>
float dot_float(const uint8_t* row, const float* x, int64_t cols) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int64_t k = 0;
    for (; k + 16 <= cols; k += 16) {
        a0 = vfmaq_f32(a0, load4<Ty>(row, k), vld1q_f32(x + k));
        a1 = vfmaq_f32(a1, load4<Ty>(row, k + 4), vld1q_f32(x + k + 4));
        a2 = vfmaq_f32(a2, load4<Ty>(row, k + 8), vld1q_f32(x + k + 8));
        a3 = vfmaq_f32(a3, load4<Ty>(row, k + 12), vld1q_f32(x + k + 12));
    }
    for (; k + 4 <= cols; k += 4) a0 = vfmaq_f32(a0, load4<Ty>(row, k), vld1q_f32(x + k));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; k < cols; ++k) s += load1<Ty>(row, k) * x[k];
    return s;
}

float dot_q8_0(const uint8_t* row, const BlockQ8_0* a, int64_t cols) {
    float sum = 0.0f;
    for (int64_t b = 0; b < cols / 32; ++b) {
        const uint8_t* blk = row + 34 * b;
        const auto* qs = reinterpret_cast<const int8_t*>(blk + 2);
        int32x4_t acc = vdotq_s32(vdupq_n_s32(0), vld1q_s8(qs), vld1q_s8(a[b].qs));
        acc = vdotq_s32(acc, vld1q_s8(qs + 16), vld1q_s8(a[b].qs + 16));
        sum += (f16_to_f32(load_u16(blk)) * f16_to_f32(a[b].d)) * static_cast<float>(vaddvq_s32(acc));
    }
    return sum;
}

float dot_q6_k(const uint8_t* row, const BlockQ8_K* a, int64_t cols) {
    float sum = 0.0f;
    const uint8x16_t low4 = vdupq_n_u8(0x0f), three = vdupq_n_u8(3);
    const int8x16_t offset = vdupq_n_s8(32);
    for (int64_t b = 0; b < cols / 256; ++b) {
        const uint8_t* blk = row + 210 * b;
        const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
        int32_t isum = 0;
        for (int h = 0; h < 2; ++h) {
            const uint8_t* L = blk + 64 * h;
            const uint8_t* H = blk + 128 + 32 * h;
            for (int u = 0; u < 2; ++u) {  // l = 16u .. 16u + 15
                const uint8x16_t l0 = vld1q_u8(L + 16 * u), l1 = vld1q_u8(L + 32 + 16 * u), hb = vld1q_u8(H + 16 * u);
                // Values 128h + 32j + 16u + [0, 16) for j = 0..3 (see the scalar decoder).
                const uint8x16_t q[4] = {
                    vorrq_u8(vandq_u8(l0, low4), vshlq_n_u8(vandq_u8(hb, three), 4)),
                    vorrq_u8(vandq_u8(l1, low4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), three), 4)),
                    vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), three), 4)),
                    vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4))};
                for (int j = 0; j < 4; ++j) {
                    const int idx = 128 * h + 32 * j + 16 * u;  // one whole scale group of 16
                    const int8x16_t w = vsubq_s8(vreinterpretq_s8_u8(q[j]), offset);
                    const int32_t d = vaddvq_s32(vdotq_s32(vdupq_n_s32(0), w, vld1q_s8(a[b].qs + idx)));
                    isum += sc[idx / 16] * d;
                }
            }
        }
        sum += (f16_to_f32(load_u16(blk + 208)) * a[b].d) * static_cast<float>(isum);
    }
    return sum;
}

template <DenseType Ty>
void dense_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                  int64_t n_tokens, float* out, size_t out_stride) {
    const auto* act_bytes = static_cast<const uint8_t*>(acts);
    for (int64_t t = 0; t < n_tokens; ++t) {
        const uint8_t* a = act_bytes + static_cast<size_t>(t) * act_stride;
        float* o = out + static_cast<size_t>(t) * out_stride;
        for (int64_t r = row_begin; r < row_end; ++r) {
            const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_stride;
            if constexpr (Ty == DenseType::q8_0) {
                o[r] = dot_q8_0(row, reinterpret_cast<const BlockQ8_0*>(a), w.cols);
            } else if constexpr (Ty == DenseType::q6_k) {
                o[r] = dot_q6_k(row, reinterpret_cast<const BlockQ8_K*>(a), w.cols);
            } else {
                o[r] = dot_float<Ty>(row, reinterpret_cast<const float*>(a), w.cols);
            }
        }
    }
}

}  // namespace

DenseMatmulTable dense_matmul_table() {
    DenseMatmulTable table = scalar::dense_matmul_table();
    table[dense_index(DenseType::f32)] = &dense_matmul<DenseType::f32>;
    table[dense_index(DenseType::f16)] = &dense_matmul<DenseType::f16>;
    table[dense_index(DenseType::bf16)] = &dense_matmul<DenseType::bf16>;
    table[dense_index(DenseType::q8_0)] = &dense_matmul<DenseType::q8_0>;
    table[dense_index(DenseType::q6_k)] = &dense_matmul<DenseType::q6_k>;
    return table;
}

}  // namespace bitnet::neon
