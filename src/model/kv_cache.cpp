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
      n_head_kv_(c.n_head_kv),
      head_dim_(c.head_dim),
      elem_bytes_(type == KvType::f16 ? 2 : 4),
      head_bytes_(static_cast<size_t>(n_ctx) * static_cast<size_t>(c.head_dim) * elem_bytes_),
      layer_bytes_(head_bytes_ * static_cast<size_t>(c.n_head_kv)),
      storage_(bytes_needed(c, n_ctx, type)) {
    // Not cleared: positions are always written before they are read, and untouched pages of a
    // large context stay out of the resident set.
}

void KvCache::store(int64_t layer, int which, int64_t pos, const float* row) {
    for (int64_t h = 0; h < n_head_kv_; ++h) {
        uint8_t* dst = storage_.data() + offset(layer, which, h) + static_cast<size_t>(pos * head_dim_) * elem_bytes_;
        const float* src = row + h * head_dim_;
        if (type_ == KvType::f32) {
            std::memcpy(dst, src, static_cast<size_t>(head_dim_) * 4);
        } else {
            kernels().f32_to_f16(src, head_dim_, reinterpret_cast<uint16_t*>(dst));
        }
    }
}

}  // namespace bitnet
