#pragma once
// ik_llama.cpp's ternary types with one scale per row (shared/docs/gguf-ternary-formats.md §9-10),
// read so that files made for that engine run here, and written by `bitnet quantize`:
//   IQ2_BN (id 135): f32 d, then per 64 values 16 bytes; byte j holds, from the low bits up, the
//                    codes of elements j, j+16, j+32, j+48 (code = value + 1).
//   IQ1_BN (id 134): f16 d, then per 64 values 13 bytes (ql[12], extra) of base-3 digits, least
//                    significant first: ql[3s+k] holds elements 16s+5k .. 16s+5k+4, `extra`
//                    digit s holds element 16s+15; byte = ceil(v * 256 / 243).
// A row is its scale followed by its blocks (ik's "row meta"); value = d * (code - 1).
#include <cstddef>
#include <cstdint>

namespace bitnet {

constexpr int64_t kIqBnBlock = 64;
constexpr size_t kIq2BnBlockBytes = 16, kIq2BnRowMeta = 4;
constexpr size_t kIq1BnBlockBytes = 13, kIq1BnRowMeta = 2;

// One row of n values in {-1, 0, +1} with scale d (n % 64 == 0).
void pack_iq2_bn_row(const int8_t* values, int64_t n, float d, uint8_t* dst);
void pack_iq1_bn_row(const int8_t* values, int64_t n, float d, uint8_t* dst);
// Values and scale of one row. IQ2_BN returns false for the code 3 no encoder writes; every IQ1_BN
// byte decodes to valid digits.
bool unpack_iq2_bn_row(const uint8_t* row, int64_t n, int8_t* values, float* d);
void unpack_iq1_bn_row(const uint8_t* row, int64_t n, int8_t* values, float* d);

}  // namespace bitnet
