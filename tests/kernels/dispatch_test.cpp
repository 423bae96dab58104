#include <gtest/gtest.h>

#include <cstdlib>

#include "kernels/kernels.hpp"

using namespace bitnet;

TEST(Dispatch, TablesMatchTheirIsa) {
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512, Isa::neon}) {
        const KernelTable* t = kernels_for(isa);
        EXPECT_EQ(t != nullptr, isa_supported(isa)) << isa_name(isa);
        if (t == nullptr) continue;
        EXPECT_EQ(t->isa, isa);
        for (auto fn :
             {reinterpret_cast<const void*>(t->quantize_acts), reinterpret_cast<const void*>(t->ternary_matmul),
              reinterpret_cast<const void*>(t->quantize_q8_0), reinterpret_cast<const void*>(t->quantize_q8_k),
              reinterpret_cast<const void*>(t->rms_norm),
              reinterpret_cast<const void*>(t->softmax), reinterpret_cast<const void*>(t->rope_neox),
              reinterpret_cast<const void*>(t->relu_sqr_mul), reinterpret_cast<const void*>(t->f32_to_f16),
              reinterpret_cast<const void*>(t->attention)}) {
            EXPECT_NE(fn, nullptr) << isa_name(isa);
        }
        for (DenseMatmulFn fn : t->dense_matmul) EXPECT_NE(fn, nullptr) << isa_name(isa);
    }
    EXPECT_NE(kernels_for(Isa::scalar), nullptr);
}

TEST(Dispatch, DefaultTableIsTheBestSupported) {
    if (std::getenv("BITNET_ISA") != nullptr) GTEST_SKIP() << "BITNET_ISA overrides the choice";
    EXPECT_EQ(kernels().isa, best_isa());
}

#if defined(__aarch64__)
// The cross-built suite runs under qemu-aarch64 -cpu max; without the dot-product extension every
// neon comparison would be skipped rather than run.
TEST(Dispatch, NeonTableRunsOnAarch64) { ASSERT_NE(kernels_for(Isa::neon), nullptr); }
#endif
