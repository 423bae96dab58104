// avx2 kernel table (AVX2 + FMA + F16C + BMI2, see isa_supported()).
#include "kernels/kernels.hpp"
#include "kernels/variants.hpp"

namespace bitnet {

const KernelTable& kernels_avx2() {
    static const KernelTable table = {
        .isa = Isa::avx2,
        .base3_keeps_up = false,
        .quantize_acts = avx2::quantize_acts,
        .ternary_matmul = avx2::ternary_matmul,
        .quantize_q8_0 = avx2::quantize_q8_0,
        .quantize_q8_k = avx2::quantize_q8_k,
        .dense_matmul = avx2::dense_matmul_table(),
        .rms_norm = avx2::rms_norm,
        .softmax = avx2::softmax,
        .rope_neox = avx2::rope_neox,
        .relu_sqr_mul = avx2::relu_sqr_mul,
        .f32_to_f16 = avx2::f32_to_f16,
        .attention = avx2::attention,
    };
    return table;
}

}  // namespace bitnet
