// avx512 kernel table (AVX-512 F/BW/VL/DQ + VNNI + VBMI, see isa_supported()).
#include "kernels/kernels.hpp"
#include "kernels/variants.hpp"

namespace bitnet {

const KernelTable& kernels_avx512() {
    static const KernelTable table = {
        Isa::avx512,           true,           avx512::quantize_acts, avx512::ternary_matmul, avx512::quantize_q8_0,
        avx512::quantize_q8_k, avx512::dense_matmul,  avx512::rms_norm,       avx512::softmax,
        avx512::rope_neox,     avx512::relu_sqr_mul,  avx512::f32_to_f16,     avx512::attention,
    };
    return table;
}

}  // namespace bitnet
