// NEON activation quantizers, bit-identical to the scalar reference: FCVTNS rounds half to even
// like nearbyint, FCVTAS rounds half away from zero like std::round, saturating narrows clamp.
#include <cstring>

#include "kernels/neon_util.hpp"
#include "kernels/variants.hpp"

namespace bitnet::neon {

namespace {

float max_abs(const float* x, int64_t n) {
    float32x4_t m = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + i)));
    if (i < n) {
        float tail[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        std::memcpy(tail, x + i, static_cast<size_t>(n - i) * sizeof(float));
        m = vmaxq_f32(m, vabsq_f32(vld1q_f32(tail)));
    }
    return vmaxvq_f32(m);
}

// 16 floats (n valid, the rest read as 0) -> 16 clamped int8; adds the values to `sum`.
inline int8x16_t quantize16(const float* x, int64_t n, float32x4_t s, int32x4_t& sum) {
    float tmp[16];
    const float* src = x;
    if (n < 16) {
        std::memset(tmp, 0, sizeof(tmp));
        std::memcpy(tmp, x, static_cast<size_t>(n > 0 ? n : 0) * sizeof(float));
        src = tmp;
    }
    int32x4_t v[4];
    for (int j = 0; j < 4; ++j) {
        v[j] = vcvtnq_s32_f32(vmulq_f32(vld1q_f32(src + 4 * j), s));
        v[j] = vmaxq_s32(vminq_s32(v[j], vdupq_n_s32(127)), vdupq_n_s32(-128));
        sum = vaddq_s32(sum, v[j]);
    }
    const int16x8_t lo = vcombine_s16(vmovn_s32(v[0]), vmovn_s32(v[1])),
                    hi = vcombine_s16(vmovn_s32(v[2]), vmovn_s32(v[3]));
    return vcombine_s8(vmovn_s16(lo), vmovn_s16(hi));
}

inline void store_n(int8_t* q, int8x16_t v, int64_t n) {
    if (n >= 16) {
        vst1q_s8(q, v);
    } else {
        int8_t tmp[16];
        vst1q_s8(tmp, v);
        std::memcpy(q, tmp, static_cast<size_t>(n));
    }
}

}  // namespace

void quantize_acts(const float* x, int64_t k, WeightLayout layout, int8_t* q, ActScale* scale) {
    const float amax = max_abs(x, k);
    const float s = 127.0f / (amax > 1e-5f ? amax : 1e-5f);
    const float32x4_t vs = vdupq_n_f32(s);
    int32x4_t sum = vdupq_n_s32(0);
    int64_t i = 0;
    if (layout == WeightLayout::bits2) {
        // x[256c + 128h + 32g + p] -> q[256c + 64g + 32h + p] (see layout.hpp).
        for (; i + 256 <= k; i += 256) {
            for (int h = 0; h < 2; ++h) {
                for (int g = 0; g < 4; ++g) {
                    for (int u = 0; u < 2; ++u) {
                        vst1q_s8(q + i + 64 * g + 32 * h + 16 * u,
                                 quantize16(x + i + 128 * h + 32 * g + 16 * u, 16, vs, sum));
                    }
                }
            }
        }
    }
    for (; i < k; i += 16) store_n(q + i, quantize16(x + i, k - i, vs, sum), k - i);
    const int64_t padded = layout_padded_k(layout, k);
    if (padded > k) std::memset(q + k, 0, static_cast<size_t>(padded - k));
    scale->s = s;
    scale->sum = vaddvq_s32(sum);
}

void quantize_q8_0(const float* x, int64_t k, BlockQ8_0* out) {
    for (int64_t b = 0; b < k / 32; ++b) {
        const float* xb = x + 32 * b;
        const float amax = max_abs(xb, 32);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[b].d = f32_to_f16(d);
        const float32x4_t vid = vdupq_n_f32(id);
        for (int j = 0; j < 2; ++j) {
            int32x4_t v[4];
            for (int u = 0; u < 4; ++u) v[u] = vcvtaq_s32_f32(vmulq_f32(vld1q_f32(xb + 16 * j + 4 * u), vid));
            const int16x8_t lo = vcombine_s16(vmovn_s32(v[0]), vmovn_s32(v[1])),
                            hi = vcombine_s16(vmovn_s32(v[2]), vmovn_s32(v[3]));
            vst1q_s8(out[b].qs + 16 * j, vcombine_s8(vmovn_s16(lo), vmovn_s16(hi)));
        }
    }
}

void quantize_q8_k(const float* x, int64_t k, BlockQ8_K* out) {
    for (int64_t b = 0; b < k / 256; ++b) {
        const float* xb = x + 256 * b;
        BlockQ8_K& o = out[b];
        const float amax = max_abs(xb, 256);
        if (amax == 0.0f) {
            std::memset(&o, 0, sizeof(o));
            continue;
        }
        float max = 0.0f;  // the first element of largest magnitude, as the reference keeps it
        for (int i = 0; i < 256; ++i) {
            if ((xb[i] < 0 ? -xb[i] : xb[i]) == amax) {
                max = xb[i];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const float32x4_t vs = vdupq_n_f32(iscale);
        for (int j = 0; j < 16; ++j) {
            int32x4_t v[4];
            int32x4_t s = vdupq_n_s32(0);
            for (int u = 0; u < 4; ++u) {
                v[u] = vminq_s32(vcvtnq_s32_f32(vmulq_f32(vld1q_f32(xb + 16 * j + 4 * u), vs)), vdupq_n_s32(127));
                s = vaddq_s32(s, v[u]);
            }
            const int16x8_t lo = vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1])),
                            hi = vcombine_s16(vqmovn_s32(v[2]), vqmovn_s32(v[3]));
            vst1q_s8(o.qs + 16 * j, vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
            o.bsums[j] = static_cast<int16_t>(vaddvq_s32(s));
        }
        o.d = 1.0f / iscale;
    }
}

}  // namespace bitnet::neon
