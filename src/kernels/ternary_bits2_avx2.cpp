// AVX2 kernels for the bits2 layout (see ternary_bits2_avx512.cpp for the layout): plane g of a
// 32-byte half chunk is a shift and a mask, and meets 32 contiguous permuted activations.
#include "kernels/ternary_avx2.hpp"


namespace bitnet::avx2 {

namespace {

template <int G>
BITNET_ALWAYS_INLINE __m256i code_plane(__m256i raw) {
    const __m256i three = _mm256_set1_epi8(3);
    if constexpr (G == 3) {
        return _mm256_and_si256(raw, three);
    } else {
        return _mm256_and_si256(_mm256_srli_epi16(raw, 6 - 2 * G), three);
    }
}

// One full chunk of one row against one token: the eight vpmaddubsw results are summed in int16
// (at most 8 * 768) and widened once.
BITNET_ALWAYS_INLINE __m256i chunk_dot(const uint8_t* w, const int8_t* a) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
    auto act = [a](int off) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + off)); };
    __m256i s = _mm256_add_epi16(_mm256_maddubs_epi16(code_plane<0>(lo), act(0)),
                                 _mm256_maddubs_epi16(code_plane<0>(hi), act(32)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<1>(lo), act(64)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<1>(hi), act(96)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<2>(lo), act(128)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<2>(hi), act(160)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<3>(lo), act(192)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<3>(hi), act(224)));
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

// Trailing half chunk: 32 bytes, 128 weights in natural order (plane g = weights 32g..32g+31).
BITNET_ALWAYS_INLINE __m256i half_chunk_dot(const uint8_t* w, const int8_t* a) {
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    auto act = [a](int off) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + off)); };
    __m256i s = _mm256_add_epi16(_mm256_maddubs_epi16(code_plane<0>(raw), act(0)),
                                 _mm256_maddubs_epi16(code_plane<1>(raw), act(32)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<2>(raw), act(64)));
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(code_plane<3>(raw), act(96)));
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

void gemv(const TileArgs& args, int n_rows, int32_t* dots) {
    const int64_t n_chunks = args.cols / 256;
    __m256i sums[kGemvRows];
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride;
        __m256i x = _mm256_setzero_si256(), y = x;
        int64_t c = 0;
        for (; c + 2 <= n_chunks; c += 2) {
            prefetch_stream(w + 64 * c);
            prefetch_stream(w + 64 * c + 64);
            x = _mm256_add_epi32(x, chunk_dot(w + 64 * c, args.a + 256 * c));
            y = _mm256_add_epi32(y, chunk_dot(w + 64 * c + 64, args.a + 256 * c + 256));
        }
        if (c < n_chunks) x = _mm256_add_epi32(x, chunk_dot(w + 64 * c, args.a + 256 * c));
        if (args.cols % 256 != 0) x = _mm256_add_epi32(x, half_chunk_dot(w + 64 * n_chunks, args.a + 256 * n_chunks));
        sums[r] = _mm256_add_epi32(x, y);
    }
    BITNET_UNROLL
    for (int r = n_rows; r < kGemvRows; ++r) sums[r] = _mm256_setzero_si256();
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dots), hsum4_epi32(sums[0], sums[1], sums[2], sums[3]));
}

int decode(const TileArgs& args, int n_rows, int64_t c, uint8_t* codes) {
    const bool half = (c + 1) * 256 > args.cols;  // the trailing 128-weight half chunk
    for (int r = 0; r < n_rows; ++r) {
        const uint8_t* w = args.w + r * args.w_stride + 64 * c;
        auto* dst = reinterpret_cast<__m256i*>(codes + r * kCodeStride);
        if (half) {
            // Natural order: plane g covers activations 32g..32g+31.
            const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
            _mm256_storeu_si256(dst, code_plane<0>(raw));
            _mm256_storeu_si256(dst + 1, code_plane<1>(raw));
            _mm256_storeu_si256(dst + 2, code_plane<2>(raw));
            _mm256_storeu_si256(dst + 3, code_plane<3>(raw));
        } else {
            // Permuted order: plane g covers activations 64g + [0, 32) (low half) and + [32, 64).
            const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
            const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
            _mm256_storeu_si256(dst, code_plane<0>(lo));
            _mm256_storeu_si256(dst + 1, code_plane<0>(hi));
            _mm256_storeu_si256(dst + 2, code_plane<1>(lo));
            _mm256_storeu_si256(dst + 3, code_plane<1>(hi));
            _mm256_storeu_si256(dst + 4, code_plane<2>(lo));
            _mm256_storeu_si256(dst + 5, code_plane<2>(hi));
            _mm256_storeu_si256(dst + 6, code_plane<3>(lo));
            _mm256_storeu_si256(dst + 7, code_plane<3>(hi));
        }
    }
    return half ? 128 : 256;
}

constexpr LayoutKernels kKernels = {&gemv, &decode, 256};

}  // namespace

const LayoutKernels& bits2_kernels() { return kKernels; }

}  // namespace bitnet::avx2
