// neon kernel table (AArch64 Advanced SIMD with the dot-product extension, see isa_supported()).
#include "kernels/kernels.hpp"
#include "kernels/variants.hpp"

namespace bitnet {

const KernelTable& kernels_neon() {
    static const KernelTable table = {
        Isa::neon,          false,           neon::quantize_acts, neon::ternary_matmul, neon::quantize_q8_0,
        neon::quantize_q8_k, neon::dense_matmul,  neon::rms_norm,       neon::softmax,
        neon::rope_neox,     neon::relu_sqr_mul,  neon::f32_to_f16,     neon::attention,
    };
    return table;
}

}  // namespace bitnet
