// AVX-512 ternary matmul for bits2 rows with one scale per 256-weight block (TQ-style files):
// y = sum_b ((float)acc_b / s) * scale_b in block order, acc_b the exact block dot, exactly as the
// scalar reference. A bits2 chunk is one block, so each chunk's four plane products are reduced to
// one integer; the activations' per-block sums (for the +1 code offset) are computed once per token.
#include "kernels/avx512_util.hpp"
#include "kernels/ternary_avx512.hpp"
#include "kernels/x86_intrin.hpp"

namespace bitnet::avx512 {

namespace {

constexpr int64_t kMaxBlocks = 256;  // rows up to 65536 weights; longer rows use the reference

}  // namespace

bool ternary_block_scaled(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts,
                          size_t act_stride, const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    const int64_t n_blocks = w.cols / 256;
    if (w.layout != WeightLayout::bits2 || w.cols % 256 != 0 || n_blocks > kMaxBlocks) return false;
    const __m512i ones = _mm512_set1_epi8(1);
    int32_t block_sum[kMaxBlocks];
    for (int64_t t = 0; t < n_tokens; ++t) {
        const int8_t* a = acts + static_cast<size_t>(t) * act_stride;
        for (int64_t b = 0; b < n_blocks; ++b) {
            __m512i s = _mm512_setzero_si512();
            BITNET_UNROLL
            for (int g = 0; g < 4; ++g) s = _mm512_dpbusd_epi32(s, ones, _mm512_loadu_si512(a + 256 * b + 64 * g));
            block_sum[b] = _mm512_reduce_add_epi32(s);
        }
        const float st = scales[t].s;
        float* o = out + static_cast<size_t>(t) * out_stride;
        for (int64_t r = row_begin; r < row_end; ++r) {
            const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_stride;
            const float* bs = w.block_scale + r * n_blocks;
            // The running sum goes through _ss intrinsics: a plain `y += p * q` would be contracted into
            // an FMA here (GCC's default -ffp-contract=fast with -mfma) and differ from the reference.
            __m128 y = _mm_setzero_ps();
            for (int64_t b = 0; b < n_blocks; ++b) {
                const __m512i raw = _mm512_loadu_si512(row + 64 * b);
                const int8_t* ab = a + 256 * b;
                const __m512i three = _mm512_set1_epi8(3);
                __m512i acc = _mm512_dpbusd_epi32(
                    _mm512_setzero_si512(), _mm512_and_si512(_mm512_srli_epi16(raw, 6), three), _mm512_loadu_si512(ab));
                acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(raw, 4), three),
                                          _mm512_loadu_si512(ab + 64));
                acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(raw, 2), three),
                                          _mm512_loadu_si512(ab + 128));
                acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(raw, three), _mm512_loadu_si512(ab + 192));
                const int32_t dot = _mm512_reduce_add_epi32(acc) - block_sum[b];
                const __m128 q = _mm_div_ss(_mm_set_ss(static_cast<float>(dot)), _mm_set_ss(st));
                y = _mm_add_ss(y, _mm_mul_ss(q, _mm_set_ss(bs[b])));
            }
            o[r] = _mm_cvtss_f32(y);
        }
    }
    return true;
}

}  // namespace bitnet::avx512
