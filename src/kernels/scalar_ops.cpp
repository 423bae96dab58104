// Scalar reference for the dense (LM head) kernels and the f32 vector operations.
#include "kernels/scalar_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.hpp"

namespace bitnet::scalar {

namespace {

// ggml's nearest_int: round half to even through the float magic number.
inline int nearest_int(float f) {
    float val = f + 12582912.0f;
    int i;
    std::memcpy(&i, &val, 4);
    return (i & 0x007fffff) - 0x00400000;
}

float load_weight(const DenseMatrix& w, const uint8_t* row, int64_t k) {
    switch (w.type) {
        case DenseType::f32: {
            float f;
            std::memcpy(&f, row + 4 * k, 4);
            return f;
        }
        case DenseType::f16: {
            uint16_t h;
            std::memcpy(&h, row + 2 * k, 2);
            return fp16_to_f32(h);
        }
        case DenseType::bf16: {
            uint16_t h;
            std::memcpy(&h, row + 2 * k, 2);
            return bf16_to_f32(h);
        }
        default: return 0.0f;
    }
}

float dot_q8_0(const uint8_t* row, const BlockQ8_0* a, int64_t cols) {
    float sum = 0.0f;
    for (int64_t b = 0; b < cols / 32; ++b) {
        const uint8_t* blk = row + b * 34;
        uint16_t dh;
        std::memcpy(&dh, blk, 2);
        const auto* qs = reinterpret_cast<const int8_t*>(blk + 2);
        int32_t isum = 0;
        for (int i = 0; i < 32; ++i) isum += qs[i] * a[b].qs[i];
        sum += (fp16_to_f32(dh) * fp16_to_f32(a[b].d)) * static_cast<float>(isum);
    }
    return sum;
}

float dot_q6_k(const uint8_t* row, const BlockQ8_K* a, int64_t cols) {
    float sum = 0.0f;
    for (int64_t b = 0; b < cols / 256; ++b) {
        const uint8_t* blk = row + b * 210;
        const uint8_t* ql = blk;
        const uint8_t* qh = blk + 128;
        const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
        uint16_t dh;
        std::memcpy(&dh, blk + 208, 2);
        int8_t q[256];
        for (int h = 0; h < 2; ++h) {
            const uint8_t* L = ql + 64 * h;
            const uint8_t* H = qh + 32 * h;
            int8_t* y = q + 128 * h;
            for (int l = 0; l < 32; ++l) {
                y[l] = static_cast<int8_t>(((L[l] & 0xF) | (((H[l] >> 0) & 3) << 4)) - 32);
                y[l + 32] = static_cast<int8_t>(((L[l + 32] & 0xF) | (((H[l] >> 2) & 3) << 4)) - 32);
                y[l + 64] = static_cast<int8_t>(((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32);
                y[l + 96] = static_cast<int8_t>(((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32);
            }
        }
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) {
            int32_t s = 0;
            for (int i = 0; i < 16; ++i) s += q[16 * j + i] * a[b].qs[16 * j + i];
            isum += sc[j] * s;
        }
        sum += (fp16_to_f32(dh) * a[b].d) * static_cast<float>(isum);
    }
    return sum;
}

}  // namespace

void quantize_q8_0(const float* x, int64_t k, BlockQ8_0* out) {
    for (int64_t b = 0; b < k / 32; ++b) {
        float amax = 0.0f;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[32 * b + i]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out[b].d = f32_to_fp16(d);
        for (int i = 0; i < 32; ++i) out[b].qs[i] = static_cast<int8_t>(std::round(x[32 * b + i] * id));
    }
}

void quantize_q8_k(const float* x, int64_t k, BlockQ8_K* out) {
    for (int64_t b = 0; b < k / 256; ++b) {
        const float* xb = x + 256 * b;
        float amax = 0.0f, max = 0.0f;
        for (int i = 0; i < 256; ++i) {
            if (std::fabs(xb[i]) > amax) {
                amax = std::fabs(xb[i]);
                max = xb[i];
            }
        }
        BlockQ8_K& o = out[b];
        if (amax == 0.0f) {
            o.d = 0.0f;
            std::memset(o.qs, 0, sizeof(o.qs));
            std::memset(o.bsums, 0, sizeof(o.bsums));
            continue;
        }
        const float iscale = -127.0f / max;
        for (int i = 0; i < 256; ++i) o.qs[i] = static_cast<int8_t>(std::min(127, nearest_int(iscale * xb[i])));
        for (int j = 0; j < 16; ++j) {
            int s = 0;
            for (int i = 0; i < 16; ++i) s += o.qs[16 * j + i];
            o.bsums[j] = static_cast<int16_t>(s);
        }
        o.d = 1.0f / iscale;
    }
}

void dense_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                  int64_t n_tokens, float* out, size_t out_stride) {
    const auto* act_bytes = static_cast<const uint8_t*>(acts);
    for (int64_t t = 0; t < n_tokens; ++t) {
        const uint8_t* a = act_bytes + static_cast<size_t>(t) * act_stride;
        for (int64_t r = row_begin; r < row_end; ++r) {
            const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_stride;
            float y = 0.0f;
            if (w.type == DenseType::q8_0) {
                y = dot_q8_0(row, reinterpret_cast<const BlockQ8_0*>(a), w.cols);
            } else if (w.type == DenseType::q6_k) {
                y = dot_q6_k(row, reinterpret_cast<const BlockQ8_K*>(a), w.cols);
            } else {
                const auto* x = reinterpret_cast<const float*>(a);
                for (int64_t k = 0; k < w.cols; ++k) y += load_weight(w, row, k) * x[k];
            }
            out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = y;
        }
    }
}

DenseMatmulTable dense_matmul_table() {
    DenseMatmulTable table;
    table.fill(&dense_matmul);
    return table;
}

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* y) {
    double ss = 0.0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
    const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * inv * w[i];
}

void softmax(float* x, int64_t n) {
    float max = -INFINITY;
    for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void rope_neox(float* x, int n_heads, int head_dim, const float* cos, const float* sin) {
    const int half = head_dim / 2;
    for (int h = 0; h < n_heads; ++h) {
        float* v = x + h * head_dim;
        for (int i = 0; i < half; ++i) {
            const float a = v[i], b = v[i + half];
            v[i] = a * cos[i] - b * sin[i];
            v[i + half] = a * sin[i] + b * cos[i];
        }
    }
}

void relu_sqr_mul(float* g, const float* u, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float a = g[i] > 0.0f ? g[i] : 0.0f;
        g[i] = a * a * u[i];
    }
}

void f32_to_f16(const float* x, int64_t n, uint16_t* out) {
    for (int64_t i = 0; i < n; ++i) out[i] = f32_to_fp16(x[i]);
}

void attention(const float* q, int n_q, int head_dim, const void* k, const void* v, bool kv_f16, size_t kv_stride,
               int64_t n_pos, float scale, float* out, float* scratch) {
    auto load = [&](const void* base, int64_t p, int d) {
        const size_t idx = static_cast<size_t>(p) * kv_stride + static_cast<size_t>(d);
        return kv_f16 ? fp16_to_f32(static_cast<const uint16_t*>(base)[idx]) : static_cast<const float*>(base)[idx];
    };
    for (int h = 0; h < n_q; ++h) {
        const float* qh = q + h * head_dim;
        float* s = scratch + h * n_pos;
        for (int64_t p = 0; p < n_pos; ++p) {
            float dot = 0.0f;
            for (int d = 0; d < head_dim; ++d) dot += qh[d] * load(k, p, d);
            s[p] = dot * scale;
        }
        softmax(s, n_pos);
        float* o = out + h * head_dim;
        for (int d = 0; d < head_dim; ++d) o[d] = 0.0f;
        for (int64_t p = 0; p < n_pos; ++p) {
            for (int d = 0; d < head_dim; ++d) o[d] += s[p] * load(v, p, d);
        }
    }
}

}  // namespace bitnet::scalar
