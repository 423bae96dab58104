#pragma once
// Block-level encoders/decoders of the mainline ternary formats, shared by the row codecs
// (tq1_0.cpp, tq2_0.cpp) and the ternary packers (ternary.cpp). A block holds 256 codes
// (code = ternary value + 1, in {0, 1, 2}) and an f16 scale given as raw bits.
#include <cstddef>
#include <cstdint>

namespace bitnet {

constexpr int64_t kTqBlock = 256;
constexpr size_t kTq1BlockBytes = 54;  // qs[48], qh[4], f16 d
constexpr size_t kTq2BlockBytes = 66;  // qs[64], f16 d

void encode_tq1_0_block(const uint8_t* codes, uint16_t d_bits, uint8_t* dst);
// Codes come out in {0, 1, 2} for every possible byte value.
void decode_tq1_0_block(const uint8_t* src, uint8_t* codes);

void encode_tq2_0_block(const uint8_t* codes, uint16_t d_bits, uint8_t* dst);
// Codes come out in {0, 1, 2, 3}; 3 is never written by an encoder.
void decode_tq2_0_block(const uint8_t* src, uint8_t* codes);

// Codes of one block of floats for the row quantizers: d = amax, code = round_half_even(x/d) + 1.
// Returns amax (0 for a block of zeros, which then gets all codes 1).
float ternary_block_codes(const float* x, uint8_t* codes);

}  // namespace bitnet
