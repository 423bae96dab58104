#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "train/gemm.hpp"

namespace bitnet {
namespace {

std::vector<float> random_vec(size_t n, uint64_t seed) {
    Rng rng(seed);
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(rng.uniform() * 2.0 - 1.0);
    return v;
}

// Reference product in double over the same strided views.
std::vector<double> reference(int64_t M, int64_t N, int64_t K, MatView A, MatView B) {
    std::vector<double> c(static_cast<size_t>(M * N), 0.0);
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j)
            for (int64_t k = 0; k < K; ++k)
                c[static_cast<size_t>(i * N + j)] += static_cast<double>(A.p[i * A.rs + k * A.cs]) * B.p[k * B.rs + j * B.cs];
    return c;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want, int64_t M, int64_t N, int64_t ldc) {
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j)
            ASSERT_NEAR(got[static_cast<size_t>(i * ldc + j)], want[static_cast<size_t>(i * N + j)], 1e-4) << i << "," << j;
}

// Odd sizes exercise the partial row blocks and the zero-padded last panel.
TEST(TrainGemm, AllLayoutsMatchReference) {
    ThreadPool pool(2);
    std::vector<float> pack;
    const int64_t M = 37, N = 45, K = 29;
    const auto a = random_vec(static_cast<size_t>(M * K), 1), b = random_vec(static_cast<size_t>(K * N), 2);
    for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
            const MatView A = ta ? transposed(a.data(), M) : rows_of(a.data(), K);
            const MatView B = tb ? transposed(b.data(), K) : rows_of(b.data(), N);
            const auto want = reference(M, N, K, A, B);
            for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
                std::vector<float> c(static_cast<size_t>(M * (N + 3)), 7.0f);
                gemm(p, M, N, K, A, B, c.data(), N + 3, false, pack);
                expect_close(c, want, M, N, N + 3);
                EXPECT_EQ(c[static_cast<size_t>(N)], 7.0f);  // the row padding is untouched
            }
        }
    }
}

TEST(TrainGemm, AccumulateAddsToC) {
    std::vector<float> pack;
    const int64_t M = 13, N = 33, K = 8;
    const auto a = random_vec(static_cast<size_t>(M * K), 3), b = random_vec(static_cast<size_t>(K * N), 4);
    auto want = reference(M, N, K, rows_of(a.data(), K), rows_of(b.data(), N));
    for (double& w : want) w += 1.5;
    std::vector<float> c(static_cast<size_t>(M * N), 1.5f);
    gemm(nullptr, M, N, K, rows_of(a.data(), K), rows_of(b.data(), N), c.data(), N, true, pack);
    expect_close(c, want, M, N, N);
}

TEST(TrainGemm, ThreadCountDoesNotChangeBits) {
    const int64_t M = 200, N = 96, K = 77;
    const auto a = random_vec(static_cast<size_t>(M * K), 5), b = random_vec(static_cast<size_t>(K * N), 6);
    std::vector<float> pack, c1(static_cast<size_t>(M * N)), c2(c1.size());
    ThreadPool pool(2);
    gemm(nullptr, M, N, K, rows_of(a.data(), K), transposed(b.data(), K), c1.data(), N, false, pack);
    gemm(&pool, M, N, K, rows_of(a.data(), K), transposed(b.data(), K), c2.data(), N, false, pack);
    EXPECT_EQ(c1, c2);
}

}  // namespace
}  // namespace bitnet
