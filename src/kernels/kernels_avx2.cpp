// avx2 kernel table. Entries without an avx2-specific variant use the scalar reference.
#include "kernels/kernels.hpp"
#include "kernels/scalar_ops.hpp"

namespace bitnet {

const KernelTable& kernels_avx2() {
    static const KernelTable table = {
        Isa::avx2,
        scalar::quantize_acts,
        scalar::ternary_matmul,
        scalar::quantize_q8_0,
        scalar::quantize_q8_k,
        scalar::dense_matmul,
        scalar::rms_norm,
        scalar::softmax,
        scalar::rope_neox,
        scalar::attention,
    };
    return table;
}

}  // namespace bitnet
