// Dense (LM head) kernels accumulate in f32: results must agree with the scalar reference to
// within float rounding, measured against sum |w_k * x_k| (the error scale of any summation order).
// Within one table, out[t][r] must be a pure function of (row r, token t): bit-identical however
// the rows and tokens are split into calls (batch vs one token, thread row ranges).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/fp16.hpp"
#include "kernels/dense_types.hpp"
#include "kernel_test_util.hpp"

using namespace bitnet;
using test::IsaTest;

namespace {

size_t row_bytes(DenseType type, int64_t cols) { return bitnet::row_bytes(dense_traits(type).ggml, cols); }
const char* type_name_of(DenseType type) { return dense_traits(type).name; }

void put_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
uint16_t get_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// Random rows of the type plus their dequantized values (for the error scale).
struct Dense {
    DenseType type;
    int64_t rows, cols;
    size_t stride;
    std::vector<uint8_t> data;
    std::vector<float> deq;  // rows x cols
    DenseMatrix matrix() const { return {type, rows, cols, data.data(), stride}; }
};

Dense make_dense(Rng& rng, DenseType type, int64_t rows, int64_t cols) {
    Dense d{type, rows, cols, row_bytes(type, cols) + (rows % 2 ? 8 : 0), {}, {}};
    d.data.assign(d.stride * static_cast<size_t>(rows), 0);
    d.deq.resize(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        uint8_t* p = d.data.data() + static_cast<size_t>(r) * d.stride;
        float* deq = d.deq.data() + r * cols;
        if (type == DenseType::f32 || type == DenseType::f16 || type == DenseType::bf16) {
            for (int64_t k = 0; k < cols; ++k) {
                const float f = static_cast<float>(rng.normal());
                if (type == DenseType::f32) {
                    std::memcpy(p + 4 * k, &f, 4);
                    deq[k] = f;
                } else if (type == DenseType::f16) {
                    put_u16(p + 2 * k, f32_to_fp16(f));
                    deq[k] = fp16_to_f32(f32_to_fp16(f));
                } else {
                    put_u16(p + 2 * k, f32_to_bf16(f));
                    deq[k] = bf16_to_f32(f32_to_bf16(f));
                }
            }
        } else if (type == DenseType::q8_0) {
            for (int64_t b = 0; b < cols / 32; ++b) {
                uint8_t* blk = p + 34 * b;
                const float scale = 0.001f + 0.01f * static_cast<float>(rng.uniform());
                put_u16(blk, f32_to_fp16(scale));
                for (int i = 0; i < 32; ++i) {
                    // Full int8 range including -128, which the exact kernels must handle too.
                    const auto q = static_cast<int8_t>(static_cast<int>(rng.below(256)) - 128);
                    blk[2 + i] = static_cast<uint8_t>(q);
                    deq[32 * b + i] = fp16_to_f32(get_u16(blk)) * q;
                }
            }
        } else {
            for (int64_t b = 0; b < cols / 256; ++b) {
                uint8_t* blk = p + 210 * b;
                for (int i = 0; i < 208; ++i) blk[i] = static_cast<uint8_t>(rng.next());
                put_u16(blk + 208, f32_to_fp16(0.0005f + 0.001f * static_cast<float>(rng.uniform())));
                const float dd = fp16_to_f32(get_u16(blk + 208));
                const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
                for (int h = 0; h < 2; ++h) {
                    const uint8_t* L = blk + 64 * h;
                    const uint8_t* H = blk + 128 + 32 * h;
                    float* y = deq + 256 * b + 128 * h;
                    for (int l = 0; l < 32; ++l) {
                        const int q[4] = {
                            (L[l] & 0xF) | ((H[l] & 3) << 4), (L[l + 32] & 0xF) | (((H[l] >> 2) & 3) << 4),
                            (L[l] >> 4) | (((H[l] >> 4) & 3) << 4), (L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)};
                        for (int j = 0; j < 4; ++j) {
                            const int idx = l + 32 * j;
                            y[idx] = dd * sc[(128 * h + idx) / 16] * static_cast<float>(q[j] - 32);
                        }
                    }
                }
            }
        }
    }
    return d;
}

// Activations in the type's form, prepared by the reference, plus their dequantized values.
struct DenseActs {
    size_t stride;
    std::vector<uint8_t> data;
    std::vector<float> deq;
};

DenseActs make_acts(const KernelTable& ref, Rng& rng, DenseType type, int64_t cols, int64_t n_tokens) {
    DenseActs a;
    // f32 rows get 16 bytes of slack so that the stride is not the row length.
    a.stride = dense_traits(type).act_row_bytes(cols) + (dense_traits(type).act_block == 1 ? 16 : 0);
    a.data.assign(a.stride * static_cast<size_t>(n_tokens), 0);
    a.deq.resize(static_cast<size_t>(cols * n_tokens));
    for (int64_t t = 0; t < n_tokens; ++t) {
        std::vector<float> x = test::random_floats(rng, static_cast<size_t>(cols));
        if (t == 1) x[0] = 40.0f;  // an outlier
        uint8_t* dst = a.data.data() + static_cast<size_t>(t) * a.stride;
        float* deq = a.deq.data() + t * cols;
        if (type == DenseType::q8_0) {
            auto* blocks = reinterpret_cast<BlockQ8_0*>(dst);
            ref.quantize_q8_0(x.data(), cols, blocks);
            for (int64_t k = 0; k < cols; ++k) deq[k] = fp16_to_f32(blocks[k / 32].d) * blocks[k / 32].qs[k % 32];
        } else if (type == DenseType::q6_k) {
            auto* blocks = reinterpret_cast<BlockQ8_K*>(dst);
            ref.quantize_q8_k(x.data(), cols, blocks);
            for (int64_t k = 0; k < cols; ++k) deq[k] = blocks[k / 256].d * blocks[k / 256].qs[k % 256];
        } else {
            std::memcpy(dst, x.data(), x.size() * 4);
            std::memcpy(deq, x.data(), x.size() * 4);
        }
    }
    return a;
}

class DenseMatmul : public IsaTest {
protected:
    void check(const Dense& w, const DenseActs& a, int64_t n_tokens, int64_t rb, int64_t re) {
        const size_t out_stride = static_cast<size_t>(w.rows) + 1;
        std::vector<float> got(out_stride * static_cast<size_t>(n_tokens), -7.0f), want = got;
        isa().dense_matmul[dense_index(w.type)](w.matrix(), rb, re, a.data.data(), a.stride, n_tokens, got.data(), out_stride);
        ref().dense_matmul[dense_index(w.type)](w.matrix(), rb, re, a.data.data(), a.stride, n_tokens, want.data(), out_stride);
        for (int64_t t = 0; t < n_tokens; ++t) {
            for (int64_t r = 0; r < static_cast<int64_t>(out_stride); ++r) {
                const size_t i = static_cast<size_t>(t) * out_stride + static_cast<size_t>(r);
                if (r < rb || r >= re) {
                    ASSERT_EQ(got[i], -7.0f) << "wrote outside the row range";
                    continue;
                }
                double mag = 0.0;
                for (int64_t k = 0; k < w.cols; ++k)
                    mag += std::fabs(static_cast<double>(w.deq[r * w.cols + k]) * a.deq[t * w.cols + k]);
                ASSERT_TRUE(test::near_rel(got[i], want[i], 1e-5f, static_cast<float>(mag)))
                    << type_name_of(w.type) << " rows=" << w.rows << " cols=" << w.cols << " tokens=" << n_tokens
                    << " row " << r << " token " << t;
            }
        }
    }
};

TEST_P(DenseMatmul, AllTypesMatchReference) {
    Rng rng(21);
    for (DenseType type : {DenseType::f32, DenseType::f16, DenseType::bf16, DenseType::q8_0, DenseType::q6_k}) {
        std::vector<int64_t> col_list = {256, 2560};
        if (type == DenseType::q8_0) col_list.push_back(96);                              // odd number of blocks
        if (type != DenseType::q8_0 && type != DenseType::q6_k) col_list.push_back(100);  // ragged float rows
        for (int64_t cols : col_list) {
            for (int64_t rows : {1, 6, 19}) {
                const Dense w = make_dense(rng, type, rows, cols);
                for (int64_t n_tokens : {1, 2, 4, 5, 9}) {
                    const DenseActs a = make_acts(ref(), rng, type, cols, n_tokens);
                    check(w, a, n_tokens, 0, rows);
                    if (rows > 2) check(w, a, n_tokens, 1, rows - 1);
                }
            }
        }
    }
}

// Runs dense_matmul over rows [rb, re) for tokens [t0, t1) of `a`, writing into the full-size
// `out` (token-major, out_stride = rows) at the same places a single call would.
void call_part(const KernelTable& k, const Dense& w, const DenseActs& a, int64_t rb, int64_t re, int64_t t0, int64_t t1,
               std::vector<float>& out) {
    const auto stride = static_cast<size_t>(w.rows);
    k.dense_matmul[dense_index(w.type)](w.matrix(), rb, re, a.data.data() + static_cast<size_t>(t0) * a.stride, a.stride, t1 - t0,
                   out.data() + static_cast<size_t>(t0) * stride, stride);
}

// Bitwise comparison (memcmp semantics, so -0.0f vs 0.0f and NaN payloads count as different).
::testing::AssertionResult same_bits(const std::vector<float>& got, const std::vector<float>& want, int64_t rows) {
    for (size_t i = 0; i < want.size(); ++i) {
        if (test::bits_of(got[i]) != test::bits_of(want[i]))
            return ::testing::AssertionFailure() << "token " << i / static_cast<size_t>(rows) << " row "
                                                 << i % static_cast<size_t>(rows) << ": " << got[i] << " vs "
                                                 << want[i] << " of the full call";
    }
    return ::testing::AssertionSuccess();
}

TEST_P(DenseMatmul, ResultDoesNotDependOnCallShape) {
    Rng rng(77);
    constexpr int64_t kRows = 67;  // not a multiple of any tile or row block
    for (DenseType type : {DenseType::f32, DenseType::f16, DenseType::bf16, DenseType::q8_0, DenseType::q6_k}) {
        std::vector<int64_t> col_list = {2560, 256};
        if (type == DenseType::q8_0) col_list.push_back(96);                              // odd number of blocks
        if (type != DenseType::q8_0 && type != DenseType::q6_k) col_list.push_back(100);  // ragged float rows
        for (int64_t cols : col_list) {
            const Dense w = make_dense(rng, type, kRows, cols);
            for (int64_t n_tokens = 1; n_tokens <= 11; ++n_tokens) {
                SCOPED_TRACE(::testing::Message() << type_name_of(type) << " cols=" << cols << " tokens=" << n_tokens);
                const DenseActs a = make_acts(ref(), rng, type, cols, n_tokens);
                const size_t n_out = static_cast<size_t>(kRows * n_tokens);
                // (a) one call with every row and token.
                std::vector<float> full(n_out, -7.0f);
                call_part(isa(), w, a, 0, kRows, 0, n_tokens, full);
                // (b) one call per token (the incremental decode).
                std::vector<float> part(n_out, -7.0f);
                for (int64_t t = 0; t < n_tokens; ++t) call_part(isa(), w, a, 0, kRows, t, t + 1, part);
                ASSERT_TRUE(same_bits(part, full, kRows)) << "one call per token";
                // (c) random contiguous row pieces (thread partitions), odd starts and ends included.
                for (int trial = 0; trial < 3; ++trial) {
                    std::fill(part.begin(), part.end(), -7.0f);
                    for (int64_t rb = 0; rb < kRows;) {
                        const int64_t re = std::min<int64_t>(kRows, rb + 1 + static_cast<int64_t>(rng.below(23)));
                        call_part(isa(), w, a, rb, re, 0, n_tokens, part);
                        rb = re;
                    }
                    ASSERT_TRUE(same_bits(part, full, kRows)) << "row pieces, trial " << trial;
                }
                // (d) tokens in other groupings: a split at every position, and random group sizes
                // over random row pieces.
                for (int64_t split = 1; split < n_tokens; ++split) {
                    std::fill(part.begin(), part.end(), -7.0f);
                    call_part(isa(), w, a, 0, kRows, 0, split, part);
                    call_part(isa(), w, a, 0, kRows, split, n_tokens, part);
                    ASSERT_TRUE(same_bits(part, full, kRows)) << "tokens split at " << split;
                }
                std::fill(part.begin(), part.end(), -7.0f);
                for (int64_t t0 = 0; t0 < n_tokens;) {
                    const int64_t t1 = std::min<int64_t>(n_tokens, t0 + 1 + static_cast<int64_t>(rng.below(6)));
                    for (int64_t rb = 0; rb < kRows;) {
                        const int64_t re = std::min<int64_t>(kRows, rb + 1 + static_cast<int64_t>(rng.below(40)));
                        call_part(isa(), w, a, rb, re, t0, t1, part);
                        rb = re;
                    }
                    t0 = t1;
                }
                ASSERT_TRUE(same_bits(part, full, kRows)) << "random token groups x row pieces";
            }
        }
    }
}

}  // namespace

BITNET_INSTANTIATE_ISA_TEST(DenseMatmul);
