#pragma once
// Per-layer key/value cache: K (after RoPE) and V rows of n_head_kv * head_dim values per
// position, stored as F16 (default, like llama.cpp) or f32.
#include <cstdint>

#include "core/aligned_buffer.hpp"
#include "model/config.hpp"

namespace bitnet {

enum class KvType { f16, f32 };

class KvCache {
public:
    KvCache(const ModelConfig& config, int64_t n_ctx, KvType type);

    int64_t n_ctx() const { return n_ctx_; }
    KvType type() const { return type_; }
    bool f16() const { return type_ == KvType::f16; }
    int64_t row_size() const { return kv_dim_; }  // elements per position
    size_t bytes() const { return storage_.size(); }

    // Start of layer l's K (or V) rows; position p is at + p * row_size() elements.
    void* k(int64_t layer) { return storage_.data() + offset(layer, 0); }
    void* v(int64_t layer) { return storage_.data() + offset(layer, 1); }
    const void* k(int64_t layer) const { return storage_.data() + offset(layer, 0); }
    const void* v(int64_t layer) const { return storage_.data() + offset(layer, 1); }

    // Stores one position's K or V row (f32 in, converted to the cache type).
    void store(void* base, int64_t pos, const float* row);

    // Bytes a cache of this size needs (to check memory before allocating).
    static size_t bytes_needed(const ModelConfig& config, int64_t n_ctx, KvType type);

private:
    size_t offset(int64_t layer, int which) const {
        return (static_cast<size_t>(layer) * 2 + static_cast<size_t>(which)) * layer_bytes_;
    }
    int64_t n_ctx_;
    KvType type_;
    int64_t kv_dim_;
    size_t elem_bytes_;
    size_t layer_bytes_;
    AlignedBuffer<uint8_t> storage_;
};

}  // namespace bitnet
