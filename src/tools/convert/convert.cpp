#include "tools/convert/convert.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/error.hpp"
#include "core/fp16.hpp"
#include "core/progress.hpp"
#include "gguf/gguf_writer.hpp"
#include "quant/ternary.hpp"
#include "tokenizer/vocab.hpp"
#include "tools/convert/checkpoint.hpp"
#include "tools/convert/hf_config.hpp"
#include "tools/convert/hf_tokenizer.hpp"
#include "tools/convert/hf_weights.hpp"

namespace bitnet {

namespace fs = std::filesystem;

namespace {

// One BitLinear of a layer: HF module name, GGUF tensor name, shape (rows = outputs).
struct Projection {
    const char* hf;
    const char* gguf;
    int64_t rows, cols;
};

std::vector<Projection> projections(const HfConfig& c) {
    const int64_t q = c.n_head * c.head_dim, kv = c.n_head_kv * c.head_dim;
    return {{"self_attn.q_proj", "attn_q", q, c.hidden},          {"self_attn.k_proj", "attn_k", kv, c.hidden},
            {"self_attn.v_proj", "attn_v", kv, c.hidden},         {"self_attn.o_proj", "attn_output", c.hidden, q},
            {"mlp.gate_proj", "ffn_gate", c.intermediate, c.hidden}, {"mlp.up_proj", "ffn_up", c.intermediate, c.hidden},
            {"mlp.down_proj", "ffn_down", c.hidden, c.intermediate}};
}

// A layer's norm vectors: HF name, GGUF name, length.
struct Norm {
    std::string hf;
    const char* gguf;
    int64_t n;
};

std::vector<Norm> norms(const HfConfig& c) {
    std::vector<Norm> out = {{"input_layernorm", "attn_norm", c.hidden}, {"post_attention_layernorm", "ffn_norm", c.hidden}};
    if (c.family == HfFamily::bitnet_b158) {
        out.push_back({"self_attn.attn_sub_norm", "attn_sub_norm", c.n_head * c.head_dim});
        out.push_back({"mlp.ffn_sub_norm", "ffn_sub_norm", c.intermediate});
    } else if (c.family == HfFamily::bitnet_2024) {
        out.push_back({"self_attn.inner_attn_ln", "attn_sub_norm", c.n_head * c.head_dim});
        out.push_back({"mlp.ffn_layernorm", "ffn_sub_norm", c.intermediate});
    }
    return out;
}

void check_type_fits(GgmlType type, int64_t cols, int64_t elements, const std::string& what, const char* flag) {
    const int64_t block = type_traits(type).block_size;
    if (cols % block != 0 || (type == GgmlType::I2_S && elements % 128 != 0)) {
        fail(strprintf("%s %s: '%s' has rows of %lld values, not a multiple of the %s block (%lld); choose another type",
                       flag, type_name(type), what.c_str(), static_cast<long long>(cols), type_name(type),
                       static_cast<long long>(block)));
    }
}

class Converter {
public:
    Converter(const ConvertOptions& o, const HfConfig& c, const Checkpoint& ck) : o_(o), c_(c), ck_(ck) {}

    // Checks every tensor the architecture needs and that the checkpoint holds nothing else.
    void plan() {
        const StTensor& embd = ck_.get("model.embed_tokens.weight");
        check_float_tensor(embd, {c_.vocab_size, c_.hidden}, ck_.dir());
        use(embd.name);
        check_float_tensor(ck_.get("model.norm.weight"), {c_.hidden}, ck_.dir());
        use("model.norm.weight");
        if (!c_.tied) {
            check_float_tensor(ck_.get("lm_head.weight"), {c_.vocab_size, c_.hidden}, ck_.dir());
            use("lm_head.weight");
        }
        check_type_fits(head_type(), c_.hidden, c_.hidden * c_.vocab_size, "the LM head", "--head-type");
        for (int64_t l = 0; l < c_.n_layer; ++l) {
            for (const Norm& n : norms(c_)) {
                const std::string name = layer(l) + n.hf + ".weight";
                check_float_tensor(ck_.get(name), {n.n}, ck_.dir());
                use(name);
            }
            for (const Projection& p : projections(c_)) {
                const std::string prefix = layer(l) + p.hf;
                check_ternary_projection(ck_, prefix, p.rows, p.cols);
                check_type_fits(o_.type, p.cols, p.rows * p.cols, prefix, "--type");
                use(prefix + ".weight");
                use(prefix + ".weight_scale");
            }
        }
    }

    // Names no part of the architecture reads (a bias, a per-projection norm, ...): refused.
    void check_unused(const std::vector<std::string>& all) const {
        for (const std::string& name : all) {
            const bool ignorable = name.ends_with("rotary_emb.inv_freq") || (c_.tied && name == "lm_head.weight");
            if (!used_.count(name) && !ignorable) {
                fail(strprintf("%s: tensor '%s' is not part of the %s architecture (unsupported checkpoint feature)",
                               ck_.dir().c_str(), name.c_str(), c_.arch.c_str()));
            }
        }
    }

    void add_tensors(GgufWriter& w) {
        // The tied head is the embedding, in the head type. An untied embedding is only looked up,
        // so it keeps its stored precision: rounding it would move every activation slightly, and
        // the int8 activation quantizers amplify that (an f32 -> f16 embedding moved test logits by 4 %).
        dense(w, "token_embd.weight", "model.embed_tokens.weight", c_.tied ? head_type() : embedding_type());
        norm(w, "output_norm.weight", "model.norm.weight", c_.hidden);
        if (!c_.tied) dense(w, "output.weight", "lm_head.weight", head_type());
        for (int64_t l = 0; l < c_.n_layer; ++l) {
            const std::string blk = "blk." + std::to_string(l) + ".";
            for (const Norm& n : norms(c_)) norm(w, blk + n.gguf + ".weight", layer(l) + n.hf + ".weight", n.n);
            for (const Projection& p : projections(c_)) ternary(w, blk + p.gguf + ".weight", layer(l) + p.hf, p);
        }
    }

private:
    static std::string layer(int64_t l) { return "model.layers." + std::to_string(l) + "."; }
    GgmlType head_type() const { return o_.head_type; }
    GgmlType embedding_type() const {
        switch (ck_.get("model.embed_tokens.weight").dtype) {
            case StDtype::F32: return GgmlType::F32;
            case StDtype::BF16: return GgmlType::BF16;
            default: return GgmlType::F16;
        }
    }
    void use(const std::string& name) { used_.insert(name); }

    void norm(GgufWriter& w, const std::string& name, const std::string& src, int64_t n) {
        w.add_tensor(name, GgmlType::F32, {n}, [this, src, n](uint8_t* dst, size_t) {
            const StTensor& t = ck_.get(src);
            std::vector<float> f(static_cast<size_t>(n));
            float_elements(t, 0, n, f.data());
            std::memcpy(dst, f.data(), f.size() * 4);
        });
    }

    // Embedding / head rows quantized a chunk at a time.
    void dense(GgufWriter& w, const std::string& name, const std::string& src, GgmlType type) {
        const int64_t d = c_.hidden, rows = c_.vocab_size;
        w.add_tensor(name, type, {d, rows}, [this, src, type, d, rows](uint8_t* dst, size_t) {
            const StTensor& t = ck_.get(src);
            const TypeTraits& tt = type_traits(type);
            const size_t row_b = row_bytes(type, d);
            std::vector<float> f(static_cast<size_t>(d));
            for (int64_t r = 0; r < rows; ++r) {
                float_elements(t, r * d, d, f.data());
                tt.quantize_row(f.data(), dst + static_cast<size_t>(r) * row_b, d);
            }
            ck_.release(t);
        });
    }

    void ternary(GgufWriter& w, const std::string& name, const std::string& prefix, const Projection& p) {
        w.add_tensor(name, o_.type, {p.cols, p.rows}, [this, prefix, p](uint8_t* dst, size_t) {
            const TernaryTensor t = read_ternary_projection(ck_, prefix, p.rows, p.cols, c_.scale_multiplies);
            const int64_t n = p.rows * p.cols;
            switch (o_.type) {
                case GgmlType::I2_S: pack_i2s(t.values.data(), n, t.scale, dst); break;
                case GgmlType::TQ2_0: pack_tq2_0(t.values.data(), n, t.scale, dst); break;
                case GgmlType::TQ1_0: pack_tq1_0(t.values.data(), n, t.scale, dst); break;
                case GgmlType::F16: {
                    const uint16_t pos = f32_to_fp16(t.scale), neg = f32_to_fp16(-t.scale), zero = 0;
                    for (int64_t i = 0; i < n; ++i) {
                        const int8_t v = t.values[static_cast<size_t>(i)];
                        const uint16_t h = v > 0 ? pos : v < 0 ? neg : zero;
                        std::memcpy(dst + 2 * i, &h, 2);
                    }
                    break;
                }
                default: fail("internal: unsupported convert type");
            }
        });
    }

    const ConvertOptions& o_;
    const HfConfig& c_;
    const Checkpoint& ck_;
    std::set<std::string> used_;
};

void write_hparams(GgufWriter& w, const HfConfig& c, const ConvertOptions& o) {
    const std::string a = c.arch;
    w.set_string("general.architecture", a);
    fs::path dir = fs::path(o.input_dir).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path();  // "DIR/" names DIR
    w.set_string("general.name", dir.filename().string());
    w.set_u32("general.file_type", llama_file_type(o.type));
    w.set_u32("general.quantization_version", 2);
    w.set_u32(a + ".vocab_size", static_cast<uint32_t>(c.vocab_size));
    w.set_u32(a + ".context_length", static_cast<uint32_t>(c.n_ctx));
    w.set_u32(a + ".embedding_length", static_cast<uint32_t>(c.hidden));
    w.set_u32(a + ".block_count", static_cast<uint32_t>(c.n_layer));
    w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(c.intermediate));
    w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(c.n_head));
    w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(c.n_head_kv));
    w.set_u32(a + ".attention.key_length", static_cast<uint32_t>(c.head_dim));
    w.set_u32(a + ".attention.value_length", static_cast<uint32_t>(c.head_dim));
    w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(c.head_dim));
    w.set_f32(a + ".rope.freq_base", c.rope_theta);
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
    if (c.family == HfFamily::bitnet_2024) w.set_string(a + ".hidden_activation", c.hidden_act);
}

void check_options(const ConvertOptions& o) {
    const GgmlType types[] = {GgmlType::I2_S, GgmlType::TQ1_0, GgmlType::TQ2_0, GgmlType::F16};
    if (std::find(std::begin(types), std::end(types), o.type) == std::end(types)) {
        fail(strprintf("convert: --type %s is not supported (i2_s, tq1_0, tq2_0 or f16)", type_name(o.type)));
    }
    const GgmlType heads[] = {GgmlType::F16, GgmlType::Q8_0, GgmlType::Q6_K, GgmlType::F32};
    if (std::find(std::begin(heads), std::end(heads), o.head_type) == std::end(heads)) {
        fail(strprintf("convert: --head-type %s is not supported (f16, q8_0, q6_k or f32)", type_name(o.head_type)));
    }
    if (o.output.empty()) fail("convert: an output path is required (-o OUT.gguf)");
}

}  // namespace

ConvertResult convert_checkpoint(const ConvertOptions& o) {
    check_options(o);
    const HfConfig c = read_hf_config((fs::path(o.input_dir) / "config.json").string());
    const Checkpoint ck(o.input_dir);
    Vocab vocab = read_hf_tokenizer(o.tokenizer_dir.empty() ? o.input_dir : o.tokenizer_dir, c);

    Converter conv(o, c, ck);
    conv.plan();
    conv.check_unused(ck.tensor_names());

    GgufWriter w;
    write_hparams(w, c, o);
    write_vocab(w, vocab, true);
    conv.add_tensors(w);
    ProgressBar bar("convert", w.n_tensors(), o.progress);
    w.write(o.output, [&](size_t done, size_t) { bar.update(done); });
    bar.finish(o.output);

    ConvertResult r;
    r.arch = c.arch;
    r.n_tensors = w.n_tensors();
    r.file_bytes = static_cast<size_t>(fs::file_size(o.output));
    r.checkpoint_bytes = ck.total_bytes();
    r.n_vocab = c.vocab_size;
    return r;
}

}  // namespace bitnet
