// AVX2 kernels for the base3 layout (see ternary_base3_avx512.cpp for the layout). Without VBMI
// there is no 256-entry byte lookup, so digits come from the definition itself: with the byte t
// in the high half of a 16-bit lane (low half zero), vpmulhuw by 3 gives floor(3t / 256), the
// digit, and vpmullw by 3 leaves (3t mod 256) in the high half for the next digit. Even and odd
// bytes take separate lanes and the digits are merged back into bytes.
#include <cstring>

#include "kernels/ternary_avx2.hpp"


namespace bitnet::avx2 {

namespace {

BITNET_ALWAYS_INLINE void decode32(__m256i x, __m256i* d) {
    const __m256i three = _mm256_set1_epi16(3);
    __m256i e = _mm256_slli_epi16(x, 8);
    __m256i o = _mm256_and_si256(x, _mm256_set1_epi16(static_cast<short>(0xff00)));
    BITNET_UNROLL
    for (int n = 0; n < 5; ++n) {
        const __m256i de = _mm256_mulhi_epu16(e, three), dodd = _mm256_mulhi_epu16(o, three);
        d[n] = _mm256_or_si256(de, _mm256_slli_epi16(dodd, 8));
        if (n < 4) {
            e = _mm256_mullo_epi16(e, three);
            o = _mm256_mullo_epi16(o, three);
        }
    }
}

// One chunk (64 bytes, 320 weights) of one row against one token's activations at a.
BITNET_ALWAYS_INLINE __m256i chunk_dot(const uint8_t* w, const int8_t* a) {
    __m256i lo[5], hi[5];
    decode32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)), lo);
    decode32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32)), hi);
    __m256i s = _mm256_setzero_si256();
    BITNET_UNROLL
    for (int n = 0; n < 5; ++n) {
        const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 64 * n));
        const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 64 * n + 32));
        s = _mm256_add_epi16(s, _mm256_add_epi16(_mm256_maddubs_epi16(lo[n], a0), _mm256_maddubs_epi16(hi[n], a1)));
    }
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

void gemv(const TileArgs& args, int n_rows, int32_t* dots) {
    const int64_t n_full = args.cols / 320;
    __m256i sums[kGemvRows];
    // The ragged last chunk uses a zero-padded copy of its activations.
    alignas(32) int8_t tail[320];
    const int64_t rest = args.cols - 320 * n_full;
    if (rest > 0) {
        std::memset(tail, 0, sizeof(tail));
        std::memcpy(tail, args.a + 320 * n_full, static_cast<size_t>(rest));
    }
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride;
        __m256i x = _mm256_setzero_si256();
        for (int64_t c = 0; c < n_full; ++c) x = _mm256_add_epi32(x, chunk_dot(w + 64 * c, args.a + 320 * c));
        if (rest > 0) x = _mm256_add_epi32(x, chunk_dot(w + 64 * n_full, tail));
        sums[r] = x;
    }
    BITNET_UNROLL
    for (int r = n_rows; r < kGemvRows; ++r) sums[r] = _mm256_setzero_si256();
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dots), hsum4_epi32(sums[0], sums[1], sums[2], sums[3]));
}

int decode(const TileArgs& args, int n_rows, int64_t c, uint8_t* codes) {
    const int64_t valid = args.cols - 320 * c;  // codes past the row's end are zeroed
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride + 64 * c;
        uint8_t* dst = codes + r * kCodeStride;
        __m256i lo[5], hi[5];
        decode32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)), lo);
        decode32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32)), hi);
        BITNET_UNROLL
        for (int n = 0; n < 5; ++n) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 64 * n), lo[n]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 64 * n + 32), hi[n]);
        }
        if (valid < 320) std::memset(dst + valid, 0, static_cast<size_t>(320 - valid));
    }
    return 320;
}

constexpr LayoutKernels kKernels = {&gemv, &decode, 320};

}  // namespace

const LayoutKernels& base3_kernels() { return kKernels; }

}  // namespace bitnet::avx2
