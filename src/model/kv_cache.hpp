#pragma once
// Per-layer key/value cache: K (after RoPE) and V, stored as F16 (default, like llama.cpp) or
// f32, head-major: for each KV head, its head_dim values of every position one after another.
// Attention reads one head's positions in order, so each head is one sequential stream (with a
// position-major layout every position would be a short strided piece).
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
    size_t bytes() const { return storage_.size(); }

    // Start of layer l's K (or V) for KV head h; position p is at + p * head_dim elements.
    void* k(int64_t layer, int64_t head) { return storage_.data() + offset(layer, 0, head); }
    void* v(int64_t layer, int64_t head) { return storage_.data() + offset(layer, 1, head); }

    // Stores one position's K or V for every KV head: `row` holds n_head_kv * head_dim floats
    // (head after head), converted to the cache type.
    void store_k(int64_t layer, int64_t pos, const float* row) { store(layer, 0, pos, row); }
    void store_v(int64_t layer, int64_t pos, const float* row) { store(layer, 1, pos, row); }

    // Bytes a cache of this size needs (to check memory before allocating).
    static size_t bytes_needed(const ModelConfig& config, int64_t n_ctx, KvType type);

private:
    size_t offset(int64_t layer, int which, int64_t head) const {
        return (static_cast<size_t>(layer) * 2 + static_cast<size_t>(which)) * layer_bytes_ +
               static_cast<size_t>(head) * head_bytes_;
    }
    void store(int64_t layer, int which, int64_t pos, const float* row);

    int64_t n_ctx_;
    KvType type_;
    int64_t n_head_kv_, head_dim_;
    size_t elem_bytes_;
    size_t head_bytes_;   // one KV head of one layer: n_ctx * head_dim elements
    size_t layer_bytes_;  // K (or V) of one layer: n_head_kv heads
    AlignedBuffer<uint8_t> storage_;
};

}  // namespace bitnet
