// Q6_K: super-blocks of 256 = 16 groups of 16 six-bit quants q in [-32, 31], each group with an
// int8 scale, all scales relative to one f16 d: x = d * scales[g] * q.
//   ql[128]  low 4 bits    qh[64]  high 2 bits    scales[16]  int8    d  f16      (210 bytes)
//
// Quantizer: for every group a least-squares scale search (the error of a fixed assignment q is
// minimised by s = <x,q>/<q,q>, so each candidate step size only has to produce a q), then the 16
// group scales are quantized to int8 against d, re-searching each group's int8 scale and quants
// with the scale that will actually be stored.
#include <algorithm>
#include <cmath>

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
constexpr int kQMin = -32;
constexpr int kQMax = 31;

// q = clamp(round(x * inv), -32, 31) for a group; returns <x,q> and <q,q>.
void assign(const float* x, float inv, int8_t* q, double& xq, double& qq) {
    xq = 0.0;
    qq = 0.0;
    for (int i = 0; i < kGroup; ++i) {
        const float v = x[i] * inv;
        const int l = round_even_clamped(v, kQMin, kQMax);
        q[i] = static_cast<int8_t>(l);
        xq += static_cast<double>(x[i]) * l;
        qq += static_cast<double>(l) * l;
    }
}

double squared_error(const float* x, float scale, const int8_t* q) {
    double e = 0.0;
    for (int i = 0; i < kGroup; ++i) {
        const double r = static_cast<double>(x[i]) - static_cast<double>(scale * static_cast<float>(q[i]));
        e += r * r;
    }
    return e;
}

// Best real-valued scale for a group. The value of largest magnitude is mapped near -32 (the
// asymmetric range gives that side one more level) or near +31, trying step sizes around those
// points; each candidate assignment gets its least-squares scale, and the winner is polished by
// a few rounds of re-assigning with the fitted scale. Returns 0 for a group of zeros.
float fit_group_scale(const float* x) {
    float amax = 0.0f, vmax = 0.0f;
    double sum_x2 = 0.0;
    for (int i = 0; i < kGroup; ++i) {
        const float a = std::fabs(x[i]);
        if (a > amax) {
            amax = a;
            vmax = x[i];
        }
        sum_x2 += static_cast<double>(x[i]) * x[i];
    }
    if (!(amax > 0.0f) || !std::isfinite(amax)) return 0.0f;

    int8_t q[kGroup];
    double xq = 0.0, qq = 0.0;
    float best_scale = 0.0f;
    double best_err = sum_x2;  // scale 0: everything reads as 0
    auto consider = [&](float inv) {
        assign(x, inv, q, xq, qq);
        if (qq <= 0.0) return;
        // err = |x|^2 - <x,q>^2/<q,q> at the least-squares scale.
        const double err = sum_x2 - xq * xq / qq;
        if (err < best_err) {
            best_err = err;
            best_scale = static_cast<float>(xq / qq);
        }
    };
    // Candidate "levels reached by the largest value": -33.0 .. -30.0 and +29.5 .. +31.5 by 0.1.
    for (int k = 0; k <= 30; ++k) consider(-(30.0f + 0.1f * static_cast<float>(k)) / vmax);
    for (int k = 0; k <= 20; ++k) consider((29.5f + 0.1f * static_cast<float>(k)) / vmax);
    for (int iter = 0; iter < 4 && best_scale != 0.0f; ++iter) {
        const float before = best_scale;
        consider(1.0f / best_scale);
        if (best_scale == before) break;
    }
    return best_scale;
}

// Packs quants q (in [-32, 31]) of one super-block into ql/qh.
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
    for (int64_t b = 0; b < n / kBlock; ++b, out += kBlockBytes) {
        const float* x = src + b * kBlock;
        float scales[kGroups];
        float max_scale = 0.0f;  // signed scale of largest magnitude
        for (int g = 0; g < kGroups; ++g) {
            scales[g] = fit_group_scale(x + g * kGroup);
            if (std::fabs(scales[g]) > std::fabs(max_scale)) max_scale = scales[g];
        }
        // The largest scale maps to -128, using the int8 range's extra negative level.
        const uint16_t d_bits = f32_to_fp16(max_scale / -128.0f);
        const float d = fp16_to_f32(d_bits);
        int8_t q[kBlock] = {};
        int8_t sc[kGroups] = {};
        if (d != 0.0f && std::isfinite(d)) {
            for (int g = 0; g < kGroups; ++g) {
                const float* xg = x + g * kGroup;
                const int c0 = round_even_clamped(scales[g] / d, -128, 127);
                double best_err = INFINITY;
                // The int8 scale nearest to the real one is not always best once the quants are
                // re-assigned, so its neighbours are tried as well.
                for (int c = std::max(c0 - 1, -128); c <= std::min(c0 + 1, 127); ++c) {
                    const float eff = d * static_cast<float>(c);
                    int8_t qg[kGroup] = {};
                    if (eff != 0.0f) {
                        double xq, qq;
                        assign(xg, 1.0f / eff, qg, xq, qq);
                    }
                    const double err = squared_error(xg, eff, qg);
                    if (err < best_err) {
                        best_err = err;
                        sc[g] = static_cast<int8_t>(c);
                        std::copy(qg, qg + kGroup, q + g * kGroup);
                    }
                }
            }
        }
        pack_quants(q, out);
        for (int g = 0; g < kGroups; ++g) out[192 + g] = static_cast<uint8_t>(sc[g]);
        store_u16(out + 208, (d != 0.0f && std::isfinite(d)) ? d_bits : uint16_t{0});
    }
}

}  // namespace bitnet
