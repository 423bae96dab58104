#include "model/config.hpp"

#include <cmath>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"

namespace bitnet {

namespace {

int64_t positive(const GgufFile& f, const std::string& key, uint64_t max = 1ull << 31) {
    const uint64_t v = f.get_uint(key);
    if (v == 0 || v > max) {
        fail(strprintf("%s: metadata key '%s' has invalid value %llu", f.path().c_str(), key.c_str(),
                       static_cast<unsigned long long>(v)));
    }
    return static_cast<int64_t>(v);
}

}  // namespace

ModelConfig read_model_config(const GgufFile& f) {
    ModelConfig c;
    c.arch_name = std::string(f.get_string("general.architecture"));
    c.arch = find_architecture(c.arch_name);
    if (c.arch == nullptr) {
        fail(strprintf("%s: unsupported model architecture '%s' (supported: %s)", f.path().c_str(), c.arch_name.c_str(),
                       supported_architectures().c_str()));
    }
    const std::string p = c.arch_name + ".";
    c.n_embd = positive(f, p + "embedding_length", 1 << 20);
    c.n_layer = positive(f, p + "block_count", 4096);
    c.n_ff = positive(f, p + "feed_forward_length", 1 << 22);
    c.n_head = positive(f, p + "attention.head_count", 1 << 16);
    c.n_head_kv = f.has(p + "attention.head_count_kv") ? positive(f, p + "attention.head_count_kv", 1 << 16) : c.n_head;
    c.n_ctx_train = positive(f, p + "context_length", 1 << 24);
    if (c.n_embd % c.n_head != 0) {
        fail(strprintf("%s: %sembedding_length %lld is not divisible by %sattention.head_count %lld", f.path().c_str(),
                       p.c_str(), static_cast<long long>(c.n_embd), p.c_str(), static_cast<long long>(c.n_head)));
    }
    c.head_dim = f.has(p + "attention.key_length") ? positive(f, p + "attention.key_length", 1 << 16)
                                                    : c.n_embd / c.n_head;
    if (f.has(p + "attention.value_length") && positive(f, p + "attention.value_length", 1 << 16) != c.head_dim) {
        fail(strprintf("%s: %sattention.value_length differs from the key length; not supported", f.path().c_str(),
                       p.c_str()));
    }
    if (c.n_head % c.n_head_kv != 0) {
        fail(strprintf("%s: %sattention.head_count %lld is not a multiple of %sattention.head_count_kv %lld",
                       f.path().c_str(), p.c_str(), static_cast<long long>(c.n_head), p.c_str(),
                       static_cast<long long>(c.n_head_kv)));
    }
    if (c.head_dim % 2 != 0) {
        fail(strprintf("%s: head dimension %lld must be even for RoPE", f.path().c_str(), static_cast<long long>(c.head_dim)));
    }
    c.n_rot = f.has(p + "rope.dimension_count") ? positive(f, p + "rope.dimension_count", 1 << 16) : c.head_dim;
    if (c.n_rot != c.head_dim) {
        fail(strprintf("%s: %srope.dimension_count %lld must equal the head dimension %lld (partial rotation is not "
                       "used by this architecture)",
                       f.path().c_str(), p.c_str(), static_cast<long long>(c.n_rot), static_cast<long long>(c.head_dim)));
    }
    if (auto theta = f.opt_f32(p + "rope.freq_base")) c.rope_theta = *theta;
    if (!(c.rope_theta > 0.0f) || !std::isfinite(c.rope_theta)) {
        fail(strprintf("%s: %srope.freq_base %g is invalid", f.path().c_str(), p.c_str(), c.rope_theta));
    }
    if (auto eps = f.opt_f32(p + "attention.layer_norm_rms_epsilon")) c.rms_eps = *eps;
    if (!(c.rms_eps > 0.0f) || c.rms_eps > 1.0f) {
        fail(strprintf("%s: %sattention.layer_norm_rms_epsilon %g is invalid", f.path().c_str(), p.c_str(), c.rms_eps));
    }
    if (f.has(p + "rope.scaling.type")) {
        const std::string_view type = f.get_string(p + "rope.scaling.type");
        if (type != "none") {
            fail(strprintf("%s: RoPE scaling '%.*s' is not supported", f.path().c_str(), static_cast<int>(type.size()),
                           type.data()));
        }
    }
    c.arch->configure(f, c);
    // n_vocab comes from the token embedding; the vocab_size key, when present, must agree.
    c.n_vocab = 0;
    return c;
}

}  // namespace bitnet
