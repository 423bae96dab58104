#pragma once
// <immintrin.h> for the x86 kernels. GCC 12 builds several AVX-512 intrinsics (reductions,
// conversions) from a deliberately uninitialised _mm512_undefined_*() value and then warns about
// it after inlining; those warnings point into the header, so they are silenced for it alone.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif

// GCC 12 keeps register-tile accumulator arrays (rows x tokens) in memory unless the small loops
// over them are unrolled early; BITNET_UNROLL goes before each such loop (clang accepts it too).
#define BITNET_UNROLL _Pragma("GCC unroll 32")

#include <cstddef>
#include <cstdint>

namespace bitnet {

// Decode (GEMV) kernels prefetch their weight stream this far ahead. The hardware prefetchers
// alone left 5-10 % of the measured bandwidth unused with two threads streaming (bitnet bench,
// alternating builds); 1-4 KB ahead all measured alike.
inline constexpr int64_t kStreamPrefetchBytes = 2048;
static inline void prefetch_stream(const uint8_t* p) {
    _mm_prefetch(reinterpret_cast<const char*>(p + kStreamPrefetchBytes), _MM_HINT_T0);
}

// Prefetches [p, p + bytes) into L1, one request per 64-byte line.
static inline void prefetch_lines(const void* p, size_t bytes) {
    const auto* c = static_cast<const char*>(p);
    for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(c + off, _MM_HINT_T0);
}

// Attention prefetches the K and V rows of the position this far ahead: the rows of one head are
// one sequential stream (head-major cache), but a stream of short rows with work in between
// leaves the hardware prefetchers behind.
inline constexpr int64_t kKvPrefetchPositions = 16;

}  // namespace bitnet
