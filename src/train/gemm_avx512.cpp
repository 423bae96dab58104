// The AVX-512 micro-kernel: a 6×32 block of C in 12 registers, one broadcast of A and two loads of
// the packed panel per k, so the FMA units, not the loads, bound the loop.
#include <immintrin.h>

#include "train/gemm.hpp"

namespace bitnet::gemm_detail {

namespace {

template <int MR>
void kernel_rows(int64_t K, const float* A, int64_t ars, int64_t acs, const float* P, float* C, int64_t ldc, int nr,
                 bool accumulate) {
    __m512 c0[MR], c1[MR];
    for (int r = 0; r < MR; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
    const float* a = A;
    for (int64_t k = 0; k < K; ++k, a += acs, P += kNr) {
        const __m512 b0 = _mm512_loadu_ps(P), b1 = _mm512_loadu_ps(P + 16);
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
            const __m512 av = _mm512_set1_ps(a[r * ars]);
            c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
        }
    }
    const __mmask16 m0 = nr >= 16 ? __mmask16(0xffff) : __mmask16((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? __mmask16(0xffff) : nr > 16 ? __mmask16((1u << (nr - 16)) - 1) : __mmask16(0);
    for (int r = 0; r < MR; ++r) {
        float* c = C + r * ldc;
        if (accumulate) {
            c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(m0, c));
            c1[r] = _mm512_add_ps(c1[r], _mm512_maskz_loadu_ps(m1, c + 16));
        }
        _mm512_mask_storeu_ps(c, m0, c0[r]);
        _mm512_mask_storeu_ps(c + 16, m1, c1[r]);
    }
}

}  // namespace

void micro_kernel_avx512(int64_t K, const float* A, int64_t ars, int64_t acs, const float* P, float* C, int64_t ldc,
                         int mr, int nr, bool accumulate) {
    switch (mr) {
        case 6: kernel_rows<6>(K, A, ars, acs, P, C, ldc, nr, accumulate); break;
        case 5: kernel_rows<5>(K, A, ars, acs, P, C, ldc, nr, accumulate); break;
        case 4: kernel_rows<4>(K, A, ars, acs, P, C, ldc, nr, accumulate); break;
        case 3: kernel_rows<3>(K, A, ars, acs, P, C, ldc, nr, accumulate); break;
        case 2: kernel_rows<2>(K, A, ars, acs, P, C, ldc, nr, accumulate); break;
        default: kernel_rows<1>(K, A, ars, acs, P, C, ldc, nr, accumulate); break;
    }
}

}  // namespace bitnet::gemm_detail
