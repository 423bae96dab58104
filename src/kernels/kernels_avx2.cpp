// avx2 kernel table (AVX2 + FMA + F16C + BMI2, see isa_supported()).
#include "kernels/kernels.hpp"
#include "kernels/variants.hpp"

namespace bitnet {

const KernelTable& kernels_avx2() {
    static const KernelTable table = {
        Isa::avx2,           false,           avx2::quantize_acts, avx2::ternary_matmul, avx2::quantize_q8_0,
        avx2::quantize_q8_k, avx2::dense_matmul,  avx2::rms_norm,       avx2::softmax,
        avx2::rope_neox,     avx2::relu_sqr_mul,  avx2::f32_to_f16,     avx2::attention,
    };
    return table;
}

}  // namespace bitnet
