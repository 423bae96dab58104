// avx512 kernel table (AVX-512 F/BW/VL/DQ + VNNI + VBMI, see isa_supported()).
#include "kernels/kernels.hpp"
#include "kernels/variants.hpp"

namespace bitnet {

const KernelTable& kernels_avx512() {
    static const KernelTable table = {
        .isa = Isa::avx512,
        .base3_keeps_up = true,
        .quantize_acts = avx512::quantize_acts,
        .ternary_matmul = avx512::ternary_matmul,
        .quantize_q8_0 = avx512::quantize_q8_0,
        .quantize_q8_k = avx512::quantize_q8_k,
        .dense_matmul = avx512::dense_matmul_table(),
        .rms_norm = avx512::rms_norm,
        .softmax = avx512::softmax,
        .rope_neox = avx512::rope_neox,
        .relu_sqr_mul = avx512::relu_sqr_mul,
        .f32_to_f16 = avx512::f32_to_f16,
        .attention = avx512::attention,
    };
    return table;
}

}  // namespace bitnet
