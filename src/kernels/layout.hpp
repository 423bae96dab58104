#pragma once
// The engine's ternary weight layouts and the matching order of quantized activations.
//
// bits2 (2 bits per weight, byte-compatible with I2_S rows, used in place from the file):
//   a row of K weights (K % 128 == 0) is K/4 bytes; weight k of the row is in byte
//   (k / 128) * 32 + k % 32, bits (7 - 2g):(6 - 2g) with g = (k % 128) / 32, as code = value + 1.
//   Kernels read 64-byte chunks (256 weights); plane g of chunk c is (byte >> (6 - 2g)) & 3 and
//   covers weights 256c + 32g + [0, 32) (bytes 0..31) and 256c + 128 + 32g + [0, 32) (bytes
//   32..63). Activations are stored permuted so that plane g of chunk c multiplies the 64
//   contiguous int8 at 256c + 64g. A trailing half chunk (K % 256 == 128) keeps natural order.
//
// base3 (1.6 bits per weight): rows padded with zero weights to a multiple of 320; each 64-byte
//   chunk holds 320 weights, byte i storing digits n = 0..4 for weights 320c + 64n + i, encoded
//   as TQ1_0 does: v = sum_n code_n * 3^(4-n), byte = ceil(v * 256 / 243); digit n is
//   ((uint8)(byte * 3^n) * 3) >> 8. Activations keep natural order, zero-padded to the row length.
#include <cstddef>
#include <cstdint>

namespace bitnet {

enum class WeightLayout { bits2, base3 };

const char* layout_name(WeightLayout layout);

// Number of weights a row occupies in the layout (K rounded up to the layout's chunk).
int64_t layout_padded_k(WeightLayout layout, int64_t k);
// Bytes of one packed row.
size_t layout_row_bytes(WeightLayout layout, int64_t k);
// Position of activation k inside the permuted activation buffer of a row of length `row_k`.
int64_t layout_act_index(WeightLayout layout, int64_t row_k, int64_t k);

// Ternary code (value + 1, in 0..2) of weight k of a packed row.
int layout_get_code(WeightLayout layout, const uint8_t* row, int64_t k);
// Packs values (-1, 0, +1) of one row of length k into `dst` (layout_row_bytes bytes).
void layout_pack_row(WeightLayout layout, const int8_t* values, int64_t k, uint8_t* dst);

}  // namespace bitnet
