// NEON (dot product extension) ternary matmul. Each weight chunk of a rows x tokens tile is decoded
// once into a small buffer of codes in activation order, then SDOT multiplies 16 codes (0..2, valid
// as signed bytes) with 16 int8 activations per instruction for every token of the tile. The
// epilogue is the scalar reference's: y = ((float)(dot - sum_q) / s) * row_scale.
//
// bits2: plane g of a 64-byte chunk is a byte shift and mask (NEON shifts bytes directly) and
// meets the 64 permuted activations at 256c + 64g; the trailing half chunk is in natural order.
// base3: digit n of byte b is floor(3t / 256) with t = (uint8)(b * 3^n), computed as two byte
// compares (t >= 86, t >= 171) while t is advanced by a byte multiply by 3.
#include <cstring>
#include <utility>

#include "kernels/neon_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"

namespace bitnet::neon {

namespace {

constexpr int kRows = 4, kTokens = 4, kCodeStride = 320;
constexpr int64_t kRowBlock = 32;

// Decodes chunk c of one row into codes (activation order); returns the number of codes.
int decode_bits2(const uint8_t* row, int64_t cols, int64_t c, uint8_t* codes) {
    const uint8_t* w = row + 64 * c;
    const uint8x16_t three = vdupq_n_u8(3);
    if ((c + 1) * 256 > cols) {  // trailing half chunk, natural order: plane g = weights 32g..32g+31
        for (int h = 0; h < 2; ++h) {
            const uint8x16_t raw = vld1q_u8(w + 16 * h);
            vst1q_u8(codes + 0 + 16 * h, vshrq_n_u8(raw, 6));
            vst1q_u8(codes + 32 + 16 * h, vandq_u8(vshrq_n_u8(raw, 4), three));
            vst1q_u8(codes + 64 + 16 * h, vandq_u8(vshrq_n_u8(raw, 2), three));
            vst1q_u8(codes + 96 + 16 * h, vandq_u8(raw, three));
        }
        return 128;
    }
    for (int qd = 0; qd < 4; ++qd) {  // bytes 16qd.. meet activations 64g + 16qd..
        const uint8x16_t raw = vld1q_u8(w + 16 * qd);
        vst1q_u8(codes + 0 + 16 * qd, vshrq_n_u8(raw, 6));
        vst1q_u8(codes + 64 + 16 * qd, vandq_u8(vshrq_n_u8(raw, 4), three));
        vst1q_u8(codes + 128 + 16 * qd, vandq_u8(vshrq_n_u8(raw, 2), three));
        vst1q_u8(codes + 192 + 16 * qd, vandq_u8(raw, three));
    }
    return 256;
}

int decode_base3(const uint8_t* row, int64_t cols, int64_t c, uint8_t* codes) {
    const uint8_t* w = row + 64 * c;
    const uint8x16_t one = vdupq_n_u8(1), three = vdupq_n_u8(3);
    for (int qd = 0; qd < 4; ++qd) {
        uint8x16_t t = vld1q_u8(w + 16 * qd);
        for (int n = 0; n < 5; ++n) {
            const uint8x16_t d =
                vaddq_u8(vandq_u8(vcgeq_u8(t, vdupq_n_u8(86)), one), vandq_u8(vcgeq_u8(t, vdupq_n_u8(171)), one));
            vst1q_u8(codes + 64 * n + 16 * qd, d);
            t = vmulq_u8(t, three);
        }
    }
    const int64_t valid = cols - 320 * c;  // codes past the row's end are zeroed
    if (valid < 320) std::memset(codes + valid, 0, static_cast<size_t>(320 - valid));
    return 320;
}

struct Tile {
    const uint8_t* w;
    size_t w_stride;
    int64_t cols;
    const int8_t* a;
    size_t a_stride;
    bool base3;
};

// dots[r * T + t] = sum_k code * q over the whole row.
template <int R, int T>
void tile(const Tile& args, int32_t* dots) {
    alignas(16) uint8_t codes[R * kCodeStride];
    int32x4_t acc[R][T];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[r][t] = vdupq_n_s32(0);
    }
    const int64_t chunk = args.base3 ? 320 : 256;
    const int64_t n_chunks = (args.cols + chunk - 1) / chunk;
    for (int64_t c = 0; c < n_chunks; ++c) {
        int len = 0;
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) {
            const uint8_t* row = args.w + r * args.w_stride;
            len = args.base3 ? decode_base3(row, args.cols, c, codes + r * kCodeStride)
                             : decode_bits2(row, args.cols, c, codes + r * kCodeStride);
        }
        const int8_t* a = args.a + c * chunk;
        for (int j = 0; j < len; j += 16) {
            int8x16_t cv[R];
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) cv[r] = vreinterpretq_s8_u8(vld1q_u8(codes + r * kCodeStride + j));
            BITNET_UNROLL
            for (int t = 0; t < T; ++t) {
                const int8x16_t av = vld1q_s8(a + t * args.a_stride + j);
                BITNET_UNROLL
                for (int r = 0; r < R; ++r) acc[r][t] = vdotq_s32(acc[r][t], cv[r], av);
            }
        }
    }
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = vaddvq_s32(acc[r][t]);
    }
}

using TileFn = void (*)(const Tile&, int32_t*);
struct TileTable {
    TileFn fns[kRows][kTokens];
};

template <int T, int... R>
constexpr void fill_column(TileTable& table, std::integer_sequence<int, R...>) {
    ((table.fns[R][T - 1] = &tile<R + 1, T>), ...);
}

template <int... T>
constexpr TileTable make_table(std::integer_sequence<int, T...>) {
    TileTable table{};
    (fill_column<T + 1>(table, std::make_integer_sequence<int, kRows>{}), ...);
    return table;
}

constexpr TileTable kTiles = make_table(std::make_integer_sequence<int, kTokens>{});

}  // namespace

void ternary_matmul(const TernaryMatrix& w, int64_t row_begin, int64_t row_end, const int8_t* acts, size_t act_stride,
                    const ActScale* scales, int64_t n_tokens, float* out, size_t out_stride) {
    if (w.block_scale != nullptr) {
        scalar::ternary_matmul(w, row_begin, row_end, acts, act_stride, scales, n_tokens, out, out_stride);
        return;
    }
    const bool base3 = w.layout == WeightLayout::base3;
    int32_t dots[kRows * kTokens];
    if (n_tokens == 1) {  // rows one after another: one sequential weight stream
        for (int64_t r = row_begin; r < row_end; ++r) {
            kTiles.fns[0][0](
                {w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, acts, act_stride, base3}, dots);
            out[r] = (static_cast<float>(dots[0] - scales[0].sum) / scales[0].s) * w.row_scale[r];
        }
        return;
    }
    for (int64_t rb = row_begin; rb < row_end; rb += kRowBlock) {
        const int64_t rb_end = rb + kRowBlock < row_end ? rb + kRowBlock : row_end;
        for (int64_t t = 0; t < n_tokens; t += kTokens) {
            const int nt = static_cast<int>(n_tokens - t < kTokens ? n_tokens - t : kTokens);
            const int8_t* a = acts + static_cast<size_t>(t) * act_stride;
            for (int64_t r = rb; r < rb_end; r += kRows) {
                const int nr = static_cast<int>(rb_end - r < kRows ? rb_end - r : kRows);
                kTiles.fns[nr - 1][nt - 1](
                    {w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, a, act_stride, base3}, dots);
                for (int j = 0; j < nt; ++j) {
                    const ActScale& sc = scales[t + j];
                    float* o = out + static_cast<size_t>(t + j) * out_stride + static_cast<size_t>(r);
                    for (int i = 0; i < nr; ++i)
                        o[i] = (static_cast<float>(dots[i * nt + j] - sc.sum) / sc.s) * w.row_scale[r + i];
                }
            }
        }
    }
}

}  // namespace bitnet::neon
