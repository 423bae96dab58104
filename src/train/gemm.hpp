#pragma once
// The trainer's float matrix product C = A·B (or C += A·B) over strided views, so that the
// forward product and both backward products (X·Wᵀ, dY·W, dYᵀ·X) and the attention products all
// run on one kernel without explicit transposes: B is packed once per call into 32-column panels
// (zero-padded), then each thread computes whole row blocks of C. Every element of C is summed over
// k in the same order whatever the thread count, so results are bit-identical across threads.
#include <cstdint>
#include <vector>

namespace bitnet {

class ThreadPool;

// Element (i, j) of a matrix view is p[i * rs + j * cs].
struct MatView {
    const float* p;
    int64_t rs, cs;
};

// Row-major (rows of `ld` floats) and its transpose.
inline MatView rows_of(const float* p, int64_t ld) { return {p, ld, 1}; }
inline MatView transposed(const float* p, int64_t ld) { return {p, 1, ld}; }

// C[M×N] (row stride ldc) = A[M×K]·B[K×N], or C += A·B with accumulate. `pack` is scratch the
// call grows as needed. With a pool the rows of C are split across its threads.
void gemm(ThreadPool* pool, int64_t M, int64_t N, int64_t K, MatView A, MatView B, float* C, int64_t ldc,
          bool accumulate, std::vector<float>& pack);

namespace gemm_detail {

inline constexpr int64_t kNr = 32;  // columns of C per panel (two AVX-512 registers)
inline constexpr int64_t kMr = 6;   // rows of C per micro-kernel call

// C[mr×nr] (=|+=) A[mr×K]·P, P one packed K×32 panel; mr ≤ kMr, nr ≤ kNr.
using MicroKernel = void (*)(int64_t K, const float* A, int64_t ars, int64_t acs, const float* P, float* C, int64_t ldc,
                             int mr, int nr, bool accumulate);
void micro_kernel_portable(int64_t K, const float* A, int64_t ars, int64_t acs, const float* P, float* C, int64_t ldc,
                           int mr, int nr, bool accumulate);
void micro_kernel_avx512(int64_t K, const float* A, int64_t ars, int64_t acs, const float* P, float* C, int64_t ldc,
                         int mr, int nr, bool accumulate);

}  // namespace gemm_detail

}  // namespace bitnet
