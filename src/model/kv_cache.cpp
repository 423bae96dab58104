#include "model/kv_cache.hpp"

#include <cstring>

#include "kernels/kernels.hpp"

namespace bitnet {

size_t KvCache::bytes_needed(const ModelConfig& c, int64_t n_ctx, KvType type) {
    return static_cast<size_t>(c.n_layer) * 2 * static_cast<size_t>(n_ctx) * static_cast<size_t>(c.kv_dim()) *
           (type == KvType::f16 ? 2 : 4);
}

KvCache::KvCache(const ModelConfig& c, int64_t n_ctx, KvType type)
    : n_ctx_(n_ctx),
      type_(type),
      kv_dim_(c.kv_dim()),
      elem_bytes_(type == KvType::f16 ? 2 : 4),
      layer_bytes_(static_cast<size_t>(n_ctx) * static_cast<size_t>(c.kv_dim()) * elem_bytes_),
      storage_(bytes_needed(c, n_ctx, type)) {
    // Not cleared: positions are always written before they are read, and untouched pages of a
    // large context stay out of the resident set.
}

void KvCache::store(void* base, int64_t pos, const float* row) {
    const size_t at = static_cast<size_t>(pos) * static_cast<size_t>(kv_dim_);
    if (type_ == KvType::f32) {
        std::memcpy(static_cast<float*>(base) + at, row, static_cast<size_t>(kv_dim_) * 4);
        return;
    }
    uint16_t* dst = static_cast<uint16_t*>(base) + at;
    kernels().f32_to_f16(row, kv_dim_, dst);
}

}  // namespace bitnet
