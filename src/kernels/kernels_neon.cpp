// neon kernel table (AArch64 Advanced SIMD with the dot-product extension, see isa_supported()).
#include "kernels/kernels.hpp"
#include "kernels/variants.hpp"

namespace bitnet {

const KernelTable& kernels_neon() {
    static const KernelTable table = {
        .isa = Isa::neon,
        .base3_keeps_up = false,
        .quantize_acts = neon::quantize_acts,
        .ternary_matmul = neon::ternary_matmul,
        .quantize_q8_0 = neon::quantize_q8_0,
        .quantize_q8_k = neon::quantize_q8_k,
        .dense_matmul = neon::dense_matmul_table(),
        .rms_norm = neon::rms_norm,
        .softmax = neon::softmax,
        .rope_neox = neon::rope_neox,
        .relu_sqr_mul = neon::relu_sqr_mul,
        .f32_to_f16 = neon::f32_to_f16,
        .attention = neon::attention,
    };
    return table;
}

}  // namespace bitnet
