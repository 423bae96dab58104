#include "train/gemm.hpp"

#include <algorithm>
#include <cstring>

#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"

namespace bitnet {

namespace gemm_detail {

void micro_kernel_portable(int64_t K, const float* A, int64_t ars, int64_t acs, const float* P, float* C, int64_t ldc,
                           int mr, int nr, bool accumulate) {
    float acc[kMr][kNr] = {};
    for (int64_t k = 0; k < K; ++k) {
        const float* p = P + k * kNr;
        for (int r = 0; r < mr; ++r) {
            const float a = A[r * ars + k * acs];
            for (int64_t j = 0; j < kNr; ++j) acc[r][j] += a * p[j];
        }
    }
    for (int r = 0; r < mr; ++r) {
        float* c = C + r * ldc;
        for (int j = 0; j < nr; ++j) c[j] = accumulate ? c[j] + acc[r][j] : acc[r][j];
    }
}

}  // namespace gemm_detail

namespace {

using namespace gemm_detail;

MicroKernel pick_kernel() {
#if defined(__x86_64__)
    if (isa_supported(Isa::avx512)) return micro_kernel_avx512;
#endif
    return micro_kernel_portable;
}

// Panel p holds B[0..K)[32p .. 32p+32) row after row, zero beyond N.
void pack_panel(MatView B, int64_t K, int64_t N, int64_t p, float* dst) {
    const int64_t j0 = p * kNr, nr = std::min(kNr, N - j0);
    if (B.cs == 1) {
        for (int64_t k = 0; k < K; ++k) {
            float* d = dst + k * kNr;
            std::memcpy(d, B.p + k * B.rs + j0, static_cast<size_t>(nr) * sizeof(float));
            std::fill(d + nr, d + kNr, 0.0f);
        }
        return;
    }
    for (int64_t j = 0; j < kNr; ++j) {
        if (j >= nr) {
            for (int64_t k = 0; k < K; ++k) dst[k * kNr + j] = 0.0f;
            continue;
        }
        const float* s = B.p + (j0 + j) * B.cs;
        for (int64_t k = 0; k < K; ++k) dst[k * kNr + j] = s[k * B.rs];
    }
}

// Depth of a K block: a 256×32 panel slice (32 KB) stays in L1 while the rows of A pass over it.
constexpr int64_t kKc = 256;

// Rows of C per block: the block's rows of A (96 × 256 floats) stay in L2 across all panels.
constexpr int64_t kMc = 16 * kMr;

void rows_block(MicroKernel kernel, int64_t m_begin, int64_t m_end, int64_t N, int64_t K, MatView A,
                const float* packed, float* C, int64_t ldc, bool accumulate) {
    const int64_t n_panels = (N + kNr - 1) / kNr;
    for (int64_t m0 = m_begin; m0 < m_end; m0 += kMc) {
    const int64_t m1 = std::min(m_end, m0 + kMc);
    for (int64_t p = 0; p < n_panels; ++p) {
        const int nr = static_cast<int>(std::min(kNr, N - p * kNr));
        for (int64_t k0 = 0; k0 < K; k0 += kKc) {
            const int64_t kc = std::min(kKc, K - k0);
            const float* panel = packed + p * K * kNr + k0 * kNr;
            for (int64_t m = m0; m < m1; m += kMr) {
                const int mr = static_cast<int>(std::min(kMr, m1 - m));
                kernel(kc, A.p + m * A.rs + k0 * A.cs, A.rs, A.cs, panel, C + m * ldc + p * kNr, ldc, mr, nr,
                       accumulate || k0 > 0);
            }
        }
    }
    }
}

}  // namespace

void gemm(ThreadPool* pool, int64_t M, int64_t N, int64_t K, MatView A, MatView B, float* C, int64_t ldc,
          bool accumulate, std::vector<float>& pack) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (!accumulate) {
            for (int64_t m = 0; m < M; ++m) std::fill(C + m * ldc, C + m * ldc + N, 0.0f);
        }
        return;
    }
    static const MicroKernel kernel = pick_kernel();
    const int64_t n_panels = (N + kNr - 1) / kNr;
    const auto panel_floats = static_cast<size_t>(K * kNr);
    if (pack.size() < static_cast<size_t>(n_panels) * panel_floats) pack.resize(static_cast<size_t>(n_panels) * panel_floats);
    float* packed = pack.data();
    if (pool == nullptr) {
        for (int64_t p = 0; p < n_panels; ++p) pack_panel(B, K, N, p, packed + p * K * kNr);
        rows_block(kernel, 0, M, N, K, A, packed, C, ldc, accumulate);
        return;
    }
    pool->parallel_for(static_cast<size_t>(n_panels), 1, [&](size_t b, size_t e) {
        for (size_t p = b; p < e; ++p) pack_panel(B, K, N, static_cast<int64_t>(p), packed + p * panel_floats);
    });
    // About four units per thread for balance, each a multiple of the micro-kernel's rows.
    const int64_t per = M / (4 * pool->size());
    const int64_t grain = std::clamp<int64_t>((per + kMr - 1) / kMr * kMr, kMr, kMc);
    pool->parallel_for(static_cast<size_t>(M), static_cast<size_t>(grain), [&](size_t b, size_t e) {
        rows_block(kernel, static_cast<int64_t>(b), static_cast<int64_t>(e), N, K, A, packed, C, ldc, accumulate);
    });
}

}  // namespace bitnet
