#pragma once
// Shared helpers for the kernel tests: every ISA table this CPU can run is compared with the
// scalar reference table (kernels_scalar()), which defines the results.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "kernels/kernels.hpp"

namespace bitnet {
// Readable parameter values in test names and messages.
inline void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace bitnet

namespace bitnet::test {

// Parameterised over the non-scalar ISAs; tables this CPU or build lacks are skipped.
class IsaTest : public ::testing::TestWithParam<Isa> {
protected:
    void SetUp() override {
        table_ = kernels_for(GetParam());
        if (table_ == nullptr) GTEST_SKIP() << isa_name(GetParam()) << " kernels are not available here";
    }
    const KernelTable& isa() const { return *table_; }
    static const KernelTable& ref() { return kernels_scalar(); }

private:
    const KernelTable* table_ = nullptr;
};

inline std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) { return isa_name(info.param); }

#define BITNET_INSTANTIATE_ISA_TEST(suite)                                                     \
    INSTANTIATE_TEST_SUITE_P(Isa, suite, ::testing::Values(Isa::avx2, Isa::avx512, Isa::neon), \
                             ::bitnet::test::isa_param_name)

inline uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline std::vector<float> random_floats(Rng& rng, size_t n, float scale = 1.0f) {
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(rng.normal()) * scale;
    return v;
}

inline std::vector<int8_t> random_ternary(Rng& rng, size_t n) {
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng.below(3)) - 1);
    return v;
}

// Relative closeness for f32-accumulated kernels: |a - b| <= tol * (|b| + floor_scale).
inline ::testing::AssertionResult near_rel(float a, float b, float tol, float floor_scale) {
    const float diff = a > b ? a - b : b - a;
    const float lim = tol * ((b < 0 ? -b : b) + floor_scale);
    if (diff <= lim) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << a << " vs reference " << b << " (diff " << diff << " > " << lim << ")";
}

}  // namespace bitnet::test
