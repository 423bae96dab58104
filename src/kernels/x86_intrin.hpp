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
