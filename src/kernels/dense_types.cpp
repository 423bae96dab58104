#include "kernels/dense_types.hpp"

#include <cstring>

#include "core/error.hpp"

namespace bitnet {

namespace {

void copy_f32(const KernelTable&, const float* x, int64_t k, void* out) {
    std::memcpy(out, x, static_cast<size_t>(k) * sizeof(float));
}
void to_q8_0(const KernelTable& kt, const float* x, int64_t k, void* out) {
    kt.quantize_q8_0(x, k, static_cast<BlockQ8_0*>(out));
}
void to_q8_k(const KernelTable& kt, const float* x, int64_t k, void* out) {
    kt.quantize_q8_k(x, k, static_cast<BlockQ8_K*>(out));
}

// Indexed by DenseType.
constexpr DenseTypeTraits kDense[kDenseTypeCount] = {
    {DenseType::f32, GgmlType::F32, "F32", 1, sizeof(float), copy_f32},
    {DenseType::f16, GgmlType::F16, "F16", 1, sizeof(float), copy_f32},
    {DenseType::bf16, GgmlType::BF16, "BF16", 1, sizeof(float), copy_f32},
    {DenseType::q8_0, GgmlType::Q8_0, "Q8_0", 32, sizeof(BlockQ8_0), to_q8_0},
    {DenseType::q6_k, GgmlType::Q6_K, "Q6_K", 256, sizeof(BlockQ8_K), to_q8_k},
};

constexpr bool indexed_by_type() {
    for (int i = 0; i < kDenseTypeCount; ++i) {
        if (static_cast<int>(kDense[i].type) != i) return false;
    }
    return true;
}
static_assert(indexed_by_type(), "kDense must be indexed by DenseType");

}  // namespace

const DenseTypeTraits& dense_traits(DenseType type) { return kDense[static_cast<int>(type)]; }

const DenseTypeTraits* find_dense_traits(GgmlType type) {
    for (const DenseTypeTraits& t : kDense) {
        if (t.ggml == type) return &t;
    }
    return nullptr;
}

DenseType dense_type_of(GgmlType type) {
    const DenseTypeTraits* t = find_dense_traits(type);
    if (t == nullptr) fail(strprintf("type %s cannot be used for the token embedding / LM head", type_name(type)));
    return t->type;
}

}  // namespace bitnet
