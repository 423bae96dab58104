// Q6_K: super-blocks of 256 = 16 groups of 16 six-bit quants q in [-32, 31], each group with an
// int8 scale relative to one f16 d: x = d * scales[g] * q.
//   ql[128] low 4 bits | qh[64] high 2 bits | int8 scales[16] | f16 d        (210 bytes)
//
// Quantizer, in two stages:
//  1. each group gets the real-valued scale that minimises its squared error, from a search over
//     candidate step sizes with least-squares refits (fit_group_scale);
//  2. d is chosen so the 16 scales survive int8 quantization well (choose_super_scale), and each
//     group then picks its int8 scale among the nearest ones by the error after re-quantizing
//     its values with the scale that will actually be stored.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.hpp"
#include "quant/byte_io.hpp"
#include "quant/codecs.hpp"
#include "quant/rounding.hpp"

namespace bitnet {

namespace {

constexpr int64_t kBlock = 256;
constexpr size_t kBlockBytes = 210;
constexpr int kGroup = 16;
constexpr int kGroups = kBlock / kGroup;
constexpr float kQMin = -32.0f;
constexpr float kQMax = 31.0f;

// Four floats as a GCC/Clang vector extension: the search below runs over 16 values many times
// per group, and this lets it vectorize on any target (SSE2, NEON) without ISA-specific code.
typedef float Vec4 __attribute__((vector_size(16)));

struct Group {
    Vec4 x[kGroup / 4];
};

// q = clamp(round_half_even(x * inv), -32, 31), rounding as round_even_small() does (clamping
// first keeps |v| small; NaN goes to -32).
inline Vec4 quantize4(Vec4 x, float inv) {
    constexpr Vec4 lo = {kQMin, kQMin, kQMin, kQMin};
    constexpr Vec4 hi = {kQMax, kQMax, kQMax, kQMax};
    constexpr Vec4 magic = {kRoundMagic, kRoundMagic, kRoundMagic, kRoundMagic};
    Vec4 v = x * inv;
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return (v + magic) - magic;
}

inline float hsum(Vec4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

struct Dots {
    float xq;  // <x, q>
    float qq;  // <q, q>
};

Dots assign(const Group& g, float inv) {
    Vec4 xq = {}, qq = {};
    for (const Vec4& x : g.x) {
        const Vec4 q = quantize4(x, inv);
        xq += x * q;
        qq += q * q;
    }
    return {hsum(xq), hsum(qq)};
}

// Squared error of the group stored with exactly this scale (the product scale * q is formed as
// the dequantizer forms it); q receives the quants.
float error_at_scale(const Group& g, float scale, Vec4* q) {
    const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    Vec4 err = {};
    for (int k = 0; k < kGroup / 4; ++k) {
        q[k] = quantize4(g.x[k], inv);
        const Vec4 r = g.x[k] - scale * q[k];
        err += r * r;
    }
    return hsum(err);
}

// Best real-valued scale of a group (0 for a group of zeros) and <q,q> of its quants. For a fixed
// assignment q the error is minimised by s = <x,q>/<q,q>, leaving |x|^2 - <x,q>^2/<q,q>, so a
// candidate is scored by <x,q>^2/<q,q> alone. The candidates map the value of largest magnitude,
// vmax, to the levels -33..-24 (the asymmetric range gives that side one more level; -33 clips
// it) or 26..31, and the winner is polished by re-assigning with its fitted scale until that
// stops helping. The coarser steps matter: with only 16 values, a slightly larger step often fits
// them better by chance, and on Gaussian data this search is within 1% of an exhaustive one.
float fit_group_scale(const Group& g, float vmax, float& qq) {
    qq = 0.0f;
    if (!(std::fabs(vmax) > 0.0f) || !std::isfinite(vmax)) return 0.0f;
    static constexpr float kLevels[] = {-33, -32, -31, -30, -29, -28, -27, -26, -25, -24, 26, 28, 30, 31};
    const float inv_vmax = 1.0f / vmax;
    // Best <x,q> and <q,q> so far, starting from score 0; scores are compared cross-multiplied
    // (in double, which cannot overflow here) to keep divisions out of the loop.
    Dots best = {0.0f, 1.0f};
    auto consider = [&](float inv) {
        const Dots d = assign(g, inv);
        const double lhs = static_cast<double>(d.xq) * d.xq * best.qq;
        const double rhs = static_cast<double>(best.xq) * best.xq * d.qq;
        if (!(d.qq > 0.0f) || !(lhs > rhs)) return false;  // also rejects NaN from non-finite inputs
        best = d;
        return true;
    };
    for (float level : kLevels) consider(level * inv_vmax);
    for (int iter = 0; iter < 4 && best.xq != 0.0f; ++iter) {
        if (!consider(best.qq / best.xq)) break;
    }
    if (best.xq == 0.0f) return 0.0f;
    qq = best.qq;
    return best.xq / best.qq;
}

// f16 bits of the super-block scale d, 0 if no usable (finite, non-zero) d exists. Storing a
// group's scale s as c*d instead costs about <q,q> * (c*d - s)^2 of squared error, so a few values
// of d from max|s|/128 (the largest scale becomes -128, the int8 range's extra negative level) to
// max|s|/120 are compared by that estimate. The last candidate is the smallest f16 step, 2^-24:
// in a block of tiny values, where the others round to 0, it keeps the larger groups alive.
uint16_t choose_super_scale(const float* scales, const float* qq, float max_scale) {
    if (max_scale == 0.0f) return 0;
    uint16_t best_bits = 0;
    float best_cost = INFINITY;
    for (int k = 0; k <= 17; ++k) {
        const uint16_t bits = k < 17 ? f32_to_fp16(max_scale / (-128.0f + 0.5f * static_cast<float>(k)))
                                     : static_cast<uint16_t>(max_scale > 0.0f ? 0x8001u : 0x0001u);
        const float d = fp16_to_f32(bits);
        if (d == 0.0f || !std::isfinite(d)) continue;
        const float inv_d = 1.0f / d;
        float cost = 0.0f;
        for (int g = 0; g < kGroups; ++g) {
            const float c = round_even_small(std::clamp(scales[g] * inv_d, -128.0f, 127.0f));
            const float r = c * d - scales[g];
            cost += qq[g] * r * r;
        }
        if (cost < best_cost) {
            best_cost = cost;
            best_bits = bits;
        }
    }
    return best_bits;
}

// Packs the quants (in [-32, 31]) of one super-block into ql/qh.
void pack_quants(const int8_t* q, uint8_t* block) {
    uint8_t* ql = block;
    uint8_t* qh = block + 128;
    std::fill(block, block + 192, uint8_t{0});
    for (int e = 0; e < kBlock; ++e) {
        const int v = q[e] + 32;  // 0..63
        const int h = e / 128, k = (e % 128) / 32, l = e % 32;
        ql[64 * h + l + 32 * (k & 1)] |= static_cast<uint8_t>((v & 0xF) << (4 * (k >> 1)));
        qh[32 * h + l] |= static_cast<uint8_t>((v >> 4) << (2 * k));
    }
}

void quantize_block(const float* x, uint8_t* out) {
    Group groups[kGroups];
    std::memcpy(groups, x, sizeof groups);
    float scales[kGroups], qq[kGroups];
    float max_scale = 0.0f;  // the group scale of largest magnitude, signed
    for (int g = 0; g < kGroups; ++g) {
        const float* xg = x + g * kGroup;
        float vmax = 0.0f;
        for (int i = 0; i < kGroup; ++i) vmax = std::fabs(xg[i]) > std::fabs(vmax) ? xg[i] : vmax;
        scales[g] = fit_group_scale(groups[g], vmax, qq[g]);
        if (std::fabs(scales[g]) > std::fabs(max_scale)) max_scale = scales[g];
    }
    const uint16_t d_bits = choose_super_scale(scales, qq, max_scale);
    const float d = fp16_to_f32(d_bits);

    int8_t q[kBlock] = {};
    int8_t sc[kGroups] = {};
    for (int g = 0; g < kGroups && d_bits != 0; ++g) {
        const int c0 = round_even_clamped(scales[g] / d, -128, 127);
        float best_err = INFINITY;  // NaN errors (non-finite inputs) never win: the group stays 0
        Vec4 best_q[kGroup / 4] = {};
        // The int8 scale nearest to the real one is not always best once the values are
        // re-quantized with it, so its neighbours are tried as well.
        for (int c = std::max(c0 - 1, -128); c <= std::min(c0 + 1, 127); ++c) {
            Vec4 cand[kGroup / 4];
            const float err = error_at_scale(groups[g], d * static_cast<float>(c), cand);
            if (err < best_err) {
                best_err = err;
                sc[g] = static_cast<int8_t>(c);
                std::copy(cand, cand + kGroup / 4, best_q);
            }
        }
        for (int i = 0; i < kGroup; ++i) q[g * kGroup + i] = static_cast<int8_t>(best_q[i / 4][i % 4]);
    }
    pack_quants(q, out);
    for (int g = 0; g < kGroups; ++g) out[192 + g] = static_cast<uint8_t>(sc[g]);
    store_u16(out + 208, d_bits);
}

}  // namespace

void dequantize_row_q6_k(const void* src, float* dst, int64_t n) {
    const auto* in = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kBlock; ++b, in += kBlockBytes, dst += kBlock) {
        const float d = fp16_to_f32(load_u16(in + 208));
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = in + 64 * h;
            const uint8_t* qh = in + 128 + 32 * h;
            const auto* sc = reinterpret_cast<const int8_t*>(in + 192 + 8 * h);
            float* y = dst + 128 * h;
            for (int l = 0; l < 32; ++l) {
                const int s = l / 16;
                const int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0 & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2 & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
                y[l] = d * static_cast<float>(sc[s + 0]) * static_cast<float>(q1);
                y[l + 32] = d * static_cast<float>(sc[s + 2]) * static_cast<float>(q2);
                y[l + 64] = d * static_cast<float>(sc[s + 4]) * static_cast<float>(q3);
                y[l + 96] = d * static_cast<float>(sc[s + 6]) * static_cast<float>(q4);
            }
        }
    }
}

void quantize_row_q6_k(const float* src, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    for (int64_t b = 0; b < n / kBlock; ++b) quantize_block(src + b * kBlock, out + b * kBlockBytes);
}

}  // namespace bitnet
