#include "train/shape.hpp"

#include "core/error.hpp"

namespace bitnet {

void validate_shape(const TrainShape& s) {
    auto in_range = [](const char* what, int64_t v, int64_t hi) {
        if (v <= 0 || v > hi) fail(strprintf("train: %s = %lld is out of range (1 .. %lld)", what, static_cast<long long>(v),
                                             static_cast<long long>(hi)));
    };
    in_range("vocabulary size", s.n_vocab, 1 << 20);
    in_range("layers", s.n_layer, 256);
    in_range("embedding width", s.n_embd, 16384);
    in_range("feed-forward width", s.n_ff, 65536);
    in_range("heads", s.n_head, 256);
    in_range("kv heads", s.n_head_kv, 256);
    in_range("context", s.n_ctx, 65536);
    if (s.n_embd % s.n_head != 0 || s.head_dim() % 2 != 0) {
        fail(strprintf("train: embedding width %lld must be a multiple of the %lld heads with an even head size",
                       static_cast<long long>(s.n_embd), static_cast<long long>(s.n_head)));
    }
    if (s.n_head % s.n_head_kv != 0) {
        fail(strprintf("train: %lld heads are not a multiple of %lld kv heads", static_cast<long long>(s.n_head),
                       static_cast<long long>(s.n_head_kv)));
    }
    // The engine decodes I2_S rows on their own, so every matrix row (input width) holds whole
    // 128-value blocks.
    if (s.n_embd % 128 != 0 || s.n_ff % 128 != 0) {
        fail(strprintf("train: embedding width %lld and feed-forward width %lld must be multiples of 128 (I2_S rows)",
                       static_cast<long long>(s.n_embd), static_cast<long long>(s.n_ff)));
    }
    if (!(s.rope_theta > 0.0f) || !(s.rms_eps > 0.0f)) fail("train: rope theta and rms epsilon must be positive");
}

}  // namespace bitnet
