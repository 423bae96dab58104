// AVX2 dense matmul (LM head): f32 / f16 (F16C) / bf16 rows against f32 activations, Q8_0 x Q8_0
// and Q6_K x Q8_K. GEMV reads rows one after another (one sequential stream); several tokens use
// rows x tokens tiles so each weight vector is loaded and widened once per tile.
//
// Q8_0 without VNNI: vpmaddubsw needs one unsigned operand, so the weights go in as |w| and the
// activations take the weights' signs (vpsignb). That is exact for activations in [-127, 127],
// which quantize_q8_0 guarantees. Q6_K: codes 0..63 times int8 pairs fit int16; vpmaddwd against
// the group scales widens and weights them in one step; the -32 code offset is removed with the
// activation block sums.
#include <utility>

#include "kernels/avx2_util.hpp"
#include "kernels/scalar_ops.hpp"
#include "kernels/variants.hpp"


namespace bitnet::avx2 {

namespace {

// 2 x 3 tiles: 12 float accumulators (two per pair) plus two weight vectors and one activation
// vector fit the 16 ymm registers.
constexpr int kRows = 2, kTokens = 3;
constexpr int64_t kRowBlock = 32;

struct Args {
    const uint8_t* w;
    size_t w_stride;
    int64_t cols;
    const uint8_t* a;
    size_t a_stride;
};
using TileFn = void (*)(const Args& args, float* dots);

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

template <DenseType Ty>
BITNET_ALWAYS_INLINE __m256 load8(const uint8_t* row, int64_t k) {
    if constexpr (Ty == DenseType::f32) {
        return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
    } else if constexpr (Ty == DenseType::f16) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k)));
    } else {
        const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * k)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    }
}

// Scalar element for ragged column tails.
template <DenseType Ty>
float load1(const uint8_t* row, int64_t k) {
    if constexpr (Ty == DenseType::f32) {
        float f;
        __builtin_memcpy(&f, row + 4 * k, 4);
        return f;
    } else if constexpr (Ty == DenseType::f16) {
        return _cvtsh_ss(load_u16(row + 2 * k));
    } else {
        const uint32_t u = static_cast<uint32_t>(load_u16(row + 2 * k)) << 16;
        float f;
        __builtin_memcpy(&f, &u, 4);
        return f;
    }
}

// One order of operations for every (row, token) pair, whatever the tile, so a result does not
// depend on the tokens in the call or on the row range: 8-column chunk c goes into accumulator
// c % 2 (full pairs of chunks first, then at most one lone chunk into accumulator 0), the two are
// added and reduced with hsum_ps, and the ragged tail is added element by element. The one-row
// one-token instance serves GEMV (one sequential stream); two accumulators hide the FMA latency.
template <DenseType Ty, int R, int T>
void float_tile(const Args& args, float* dots) {
    __m256 acc[R][T][2];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[r][t][0] = acc[r][t][1] = _mm256_setzero_ps();
    }
    auto chunk = [&](int64_t k, int j) __attribute__((always_inline)) {
        __m256 w[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) w[r] = load8<Ty>(args.w + r * args.w_stride, k);
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const __m256 x = _mm256_loadu_ps(reinterpret_cast<const float*>(args.a + t * args.a_stride) + k);
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) acc[r][t][j] = _mm256_fmadd_ps(w[r], x, acc[r][t][j]);
        }
    };
    int64_t k = 0;
    for (; k + 16 <= args.cols; k += 16) {
        chunk(k, 0);
        chunk(k + 8, 1);
    }
    if (k + 8 <= args.cols) {
        chunk(k, 0);
        k += 8;
    }
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            float s = hsum_ps(_mm256_add_ps(acc[r][t][0], acc[r][t][1]));
            const float* x = reinterpret_cast<const float*>(args.a + t * args.a_stride);
            for (int64_t j = k; j < args.cols; ++j) s += load1<Ty>(args.w + r * args.w_stride, j) * x[j];
            dots[r * T + t] = s;
        }
    }
}

template <int R, int T>
void q8_0_tile(const Args& args, float* dots) {
    __m256 acc[R][T];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < args.cols / 32; ++b) {
        __m256i wabs[R], wv[R];
        float dw[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) {
            const uint8_t* blk = args.w + r * args.w_stride + 34 * b;
            wv[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
            wabs[r] = _mm256_abs_epi8(wv[r]);
            dw[r] = _cvtsh_ss(load_u16(blk));
        }
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const auto& ab = reinterpret_cast<const BlockQ8_0*>(args.a + t * args.a_stride)[b];
            const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab.qs));
            const float da = _cvtsh_ss(ab.d);
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) {
                const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs[r], _mm256_sign_epi8(av, wv[r])), ones);
                acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw[r] * da), acc[r][t]);
            }
        }
    }
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = hsum_ps(acc[r][t]);
    }
}

// Q6_K block decoded for vpmaddubsw: 8 vectors of 32 codes (0..63, natural order), the group
// scales as int16 pairs per vector (low 128-bit half = group 2i, high half = group 2i + 1) and the
// scales as 16 int16 for the offset correction.
struct Q6Block {
    __m256i q[8];
    __m256i sc[8];
    __m256i sc16;
    float d;
};

BITNET_ALWAYS_INLINE void decode_q6(const uint8_t* blk, Q6Block& o) {
    const __m256i low4 = _mm256_set1_epi8(0x0f), bits54 = _mm256_set1_epi8(0x30);
    BITNET_UNROLL
    for (int h = 0; h < 2; ++h) {
        const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * h));
        const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * h + 32));
        const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * h));
        // High bits j of each qh byte move to bits 5:4 (16-bit shifts; the mask drops what crosses).
        o.q[4 * h] = _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), bits54));
        o.q[4 * h + 1] =
            _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), bits54));
        o.q[4 * h + 2] =
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(hb, bits54));
        o.q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                         _mm256_and_si256(_mm256_srli_epi16(hb, 2), bits54));
    }
    const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192));
    o.sc16 = _mm256_cvtepi8_epi16(sc8);
    // Each scale byte into both bytes of every 16-bit lane, then an arithmetic shift sign-extends.
    const __m256i both = _mm256_broadcastsi128_si256(sc8);
    BITNET_UNROLL
    for (int i = 0; i < 8; ++i) {
        const __m256i idx =
            _mm256_setr_m128i(_mm_set1_epi8(static_cast<char>(2 * i)), _mm_set1_epi8(static_cast<char>(2 * i + 1)));
        o.sc[i] = _mm256_srai_epi16(_mm256_shuffle_epi8(both, idx), 8);
    }
    o.d = _cvtsh_ss(load_u16(blk + 208));
}

template <int R, int T>
void q6_k_tile(const Args& args, float* dots) {
    __m256 acc[R][T];
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < args.cols / 256; ++b) {
        Q6Block rows[R];
        BITNET_UNROLL
        for (int r = 0; r < R; ++r) decode_q6(args.w + r * args.w_stride + 210 * b, rows[r]);
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) {
            const auto& ab = reinterpret_cast<const BlockQ8_K*>(args.a + t * args.a_stride)[b];
            const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab.bsums));
            BITNET_UNROLL
            for (int r = 0; r < R; ++r) {
                const Q6Block& w = rows[r];
                __m256i s = _mm256_slli_epi32(_mm256_madd_epi16(w.sc16, bsums), 5);  // 32 * sum_j sc_j * bsum_j
                s = _mm256_sub_epi32(_mm256_setzero_si256(), s);
                BITNET_UNROLL
                for (int i = 0; i < 8; ++i) {
                    const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ab.qs + 32 * i));
                    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(w.q[i], av), w.sc[i]));
                }
                acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(w.d * ab.d), acc[r][t]);
            }
        }
    }
    BITNET_UNROLL
    for (int r = 0; r < R; ++r) {
        BITNET_UNROLL
        for (int t = 0; t < T; ++t) dots[r * T + t] = hsum_ps(acc[r][t]);
    }
}

struct TileSet {
    TileFn tiles[kRows][kTokens];
};

template <DenseType Ty, int T, int... R>
constexpr void fill_float(TileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &float_tile<Ty, R + 1, T>), ...);
}
template <int T, int... R>
constexpr void fill_q8_0(TileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &q8_0_tile<R + 1, T>), ...);
}
template <int T, int... R>
constexpr void fill_q6_k(TileSet& set, std::integer_sequence<int, R...>) {
    ((set.tiles[R][T - 1] = &q6_k_tile<R + 1, T>), ...);
}

template <DenseType Ty, int... T>
constexpr TileSet make_set(std::integer_sequence<int, T...>) {
    TileSet set{};
    constexpr auto rows = std::make_integer_sequence<int, kRows>{};
    if constexpr (Ty == DenseType::q8_0) {
        (fill_q8_0<T + 1>(set, rows), ...);
    } else if constexpr (Ty == DenseType::q6_k) {
        (fill_q6_k<T + 1>(set, rows), ...);
    } else {
        (fill_float<Ty, T + 1>(set, rows), ...);
    }
    return set;
}

constexpr auto kTokenSeq = std::make_integer_sequence<int, kTokens>{};
constexpr TileSet kSets[] = {make_set<DenseType::f32>(kTokenSeq), make_set<DenseType::f16>(kTokenSeq),
                             make_set<DenseType::bf16>(kTokenSeq), make_set<DenseType::q8_0>(kTokenSeq),
                             make_set<DenseType::q6_k>(kTokenSeq)};

template <DenseType Ty>
void dense_matmul(const DenseMatrix& w, int64_t row_begin, int64_t row_end, const void* acts, size_t act_stride,
                  int64_t n_tokens, float* out, size_t out_stride) {
    const TileSet& set = kSets[dense_index(Ty)];
    const auto* a_bytes = static_cast<const uint8_t*>(acts);
    if (n_tokens == 1) {
        for (int64_t r = row_begin; r < row_end; ++r) {
            const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_stride;
            prefetch_lines(row + kStreamPrefetchBytes, w.row_stride);
            set.tiles[0][0]({w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, a_bytes, act_stride},
                            out + r);
        }
        return;
    }
    float dots[kRows * kTokens];
    for (int64_t rb = row_begin; rb < row_end; rb += kRowBlock) {
        const int64_t rb_end = rb + kRowBlock < row_end ? rb + kRowBlock : row_end;
        for (int64_t t = 0; t < n_tokens; t += kTokens) {
            const int nt = static_cast<int>(n_tokens - t < kTokens ? n_tokens - t : kTokens);
            const uint8_t* a = a_bytes + static_cast<size_t>(t) * act_stride;
            for (int64_t r = rb; r < rb_end; r += kRows) {
                const int nr = static_cast<int>(rb_end - r < kRows ? rb_end - r : kRows);
                set.tiles[nr - 1][nt - 1](
                    {w.data + static_cast<size_t>(r) * w.row_stride, w.row_stride, w.cols, a, act_stride}, dots);
                for (int j = 0; j < nt; ++j) {
                    float* o = out + static_cast<size_t>(t + j) * out_stride + static_cast<size_t>(r);
                    for (int i = 0; i < nr; ++i) o[i] = dots[i * nt + j];
                }
            }
        }
    }
}

}  // namespace

DenseMatmulTable dense_matmul_table() {
    DenseMatmulTable table = scalar::dense_matmul_table();
    table[dense_index(DenseType::f32)] = &dense_matmul<DenseType::f32>;
    table[dense_index(DenseType::f16)] = &dense_matmul<DenseType::f16>;
    table[dense_index(DenseType::bf16)] = &dense_matmul<DenseType::bf16>;
    table[dense_index(DenseType::q8_0)] = &dense_matmul<DenseType::q8_0>;
    table[dense_index(DenseType::q6_k)] = &dense_matmul<DenseType::q6_k>;
    return table;
}

}  // namespace bitnet::avx2
