// NEON f32 vector operations: RMS norm, softmax, NeoX RoPE (sums the reference keeps in double
// stay in double).
#include <cmath>

#include "kernels/neon_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"

namespace bitnet::neon {

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* y) {
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i);
        const float64x2_t lo = vcvt_f64_f32(vget_low_f32(v)), hi = vcvt_high_f64_f32(v);
        s0 = vfmaq_f64(s0, lo, lo);
        s1 = vfmaq_f64(s1, hi, hi);
    }
    double ss = vaddvq_f64(vaddq_f64(s0, s1));
    for (int64_t j = i; j < n; ++j) ss += static_cast<double>(x[j]) * x[j];
    const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    for (i = 0; i + 4 <= n; i += 4) vst1q_f32(y + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), inv), vld1q_f32(w + i)));
    for (; i < n; ++i) y[i] = x[i] * inv * w[i];
}

void softmax(float* x, int64_t n) {
    if (n <= 0) return;
    float32x4_t mx = vdupq_n_f32(-INFINITY);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) mx = vmaxq_f32(mx, vld1q_f32(x + i));
    float max = vmaxvq_f32(mx);
    for (int64_t j = i; j < n; ++j) max = x[j] > max ? x[j] : max;
    const float32x4_t vmax = vdupq_n_f32(max);
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0;
    for (i = 0; i + 4 <= n; i += 4) {
        const float32x4_t e = exp_neg(vsubq_f32(vld1q_f32(x + i), vmax));
        vst1q_f32(x + i, e);
        s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(e)));
        s1 = vaddq_f64(s1, vcvt_high_f64_f32(e));
    }
    double sum = vaddvq_f64(vaddq_f64(s0, s1));
    for (; i < n; ++i) {
        x[i] = vgetq_lane_f32(exp_neg(vdupq_n_f32(x[i] - max)), 0);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), inv));
    for (; i < n; ++i) x[i] *= inv;
}

void rope_neox(float* x, int n_heads, int head_dim, const float* cos, const float* sin) {
    const int half = head_dim / 2;
    for (int h = 0; h < n_heads; ++h) {
        float* v = x + h * head_dim;
        int i = 0;
        for (; i + 4 <= half; i += 4) {
            const float32x4_t a = vld1q_f32(v + i), b = vld1q_f32(v + half + i);
            const float32x4_t c = vld1q_f32(cos + i), s = vld1q_f32(sin + i);
            vst1q_f32(v + i, vsubq_f32(vmulq_f32(a, c), vmulq_f32(b, s)));
            vst1q_f32(v + half + i, vaddq_f32(vmulq_f32(a, s), vmulq_f32(b, c)));
        }
        for (; i < half; ++i) {
            const float a = v[i], b = v[i + half];
            v[i] = a * cos[i] - b * sin[i];
            v[i + half] = a * sin[i] + b * cos[i];
        }
    }
}

// The mask keeps g where g > 0 (so NaN and -0 become +0, as in the reference).
void relu_sqr_mul(float* g, const float* u, int64_t n) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(g + i);
        const float32x4_t a = vreinterpretq_f32_u32(vandq_u32(vcgtq_f32(v, zero), vreinterpretq_u32_f32(v)));
        vst1q_f32(g + i, vmulq_f32(vmulq_f32(a, a), vld1q_f32(u + i)));
    }
    scalar::relu_sqr_mul(g + i, u + i, n - i);
}

void f32_to_f16(const float* x, int64_t n, uint16_t* out) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1_u16(out + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    scalar::f32_to_f16(x + i, n - i, out + i);
}

}  // namespace bitnet::neon
