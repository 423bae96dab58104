#include "tools/synth.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/fp16.hpp"
#include "core/progress.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "gguf/gguf_writer.hpp"
#include "quant/ternary.hpp"
#include "tokenizer/vocab.hpp"
#include "tools/synth_vocab.hpp"

namespace bitnet {

namespace {

// The stored chat template of the official file is a placeholder the model was not trained
// with; synthetic files carry an equivalent placeholder so loaders meet the same situation.
constexpr const char* kPlaceholderTemplate =
    "{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ 'Human: ' + message['content'] + '\\n\\nBITNETAssistant: ' + eos_token }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t name_hash(const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

// Ternary values with about 35 % zeros (BitNet's trained matrices are of that order), generated
// per row from a seed of (model seed, tensor, row) so the result never depends on threading.
void random_ternary(uint64_t seed, int64_t rows, int64_t cols, int8_t* out, ThreadPool& pool) {
    pool.parallel_for(static_cast<size_t>(rows), 8, [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
            Rng rng(mix(seed, r));
            int8_t* row = out + r * static_cast<size_t>(cols);
            for (int64_t k = 0; k < cols; k += 8) {
                uint64_t bits = rng.next();
                for (int64_t j = k; j < std::min(cols, k + 8); ++j, bits >>= 8) {
                    const unsigned v = bits & 0xff;
                    row[j] = v < 90 ? 0 : ((v & 1) ? 1 : -1);
                }
            }
        }
    });
}

// Approximately normal values (sum of four uniforms, rescaled) with standard deviation `sigma`.
void random_normal_rows(uint64_t seed, int64_t rows, int64_t cols, float sigma, float* out, ThreadPool& pool) {
    pool.parallel_for(static_cast<size_t>(rows), 64, [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
            Rng rng(mix(seed, r));
            float* row = out + r * static_cast<size_t>(cols);
            for (int64_t k = 0; k < cols; ++k) {
                const uint64_t bits = rng.next();
                float s = 0.0f;
                for (int j = 0; j < 4; ++j) s += static_cast<float>((bits >> (16 * j)) & 0xffff) * (1.0f / 65536.0f);
                row[k] = (s - 2.0f) * 1.7320508f * sigma;  // variance of the sum is 4/12
            }
        }
    });
}

class Synthesizer {
public:
    Synthesizer(const SynthOptions& o, const SynthShape& s, ThreadPool& pool) : o_(o), s_(s), pool_(pool) {}

    void ternary(GgufWriter& w, const std::string& name, int64_t cols, int64_t rows) {
        const uint64_t seed = mix(o_.seed, name_hash(name));
        w.add_tensor(name, o_.type, {cols, rows}, [this, seed, cols, rows](uint8_t* dst, size_t) {
            std::vector<int8_t> values(static_cast<size_t>(rows * cols));
            random_ternary(seed, rows, cols, values.data(), pool_);
            // alpha ~ 1/sqrt(nonzeros per row) keeps activations O(1) through the layers.
            Rng rng(seed);
            float alpha = static_cast<float>((0.8 + 0.4 * rng.uniform()) / std::sqrt(0.65 * static_cast<double>(cols)));
            const int64_t n = rows * cols;
            switch (o_.type) {
                case GgmlType::I2_S: pack_i2s(values.data(), n, alpha, dst); break;
                case GgmlType::TQ2_0: pack_tq2_0(values.data(), n, alpha, dst); break;
                case GgmlType::TQ1_0: pack_tq1_0(values.data(), n, alpha, dst); break;
                case GgmlType::F16: {
                    alpha = fp16_to_f32(f32_to_fp16(alpha));
                    auto* h = reinterpret_cast<uint16_t*>(dst);
                    for (int64_t i = 0; i < n; ++i) h[i] = f32_to_fp16(alpha * values[static_cast<size_t>(i)]);
                    break;
                }
                case GgmlType::F32: {
                    for (int64_t i = 0; i < n; ++i) {
                        const float v = alpha * values[static_cast<size_t>(i)];
                        std::memcpy(dst + 4 * i, &v, 4);
                    }
                    break;
                }
                default: fail("unsupported synth weight type");
            }
        });
        if (o_.tensor_scales) {
            // llama.cpp's converter for the 2024 models stores one extra scale per matrix.
            Rng rng(mix(seed, 0x5ca1e));
            const float extra = static_cast<float>(0.5 + 1.5 * rng.uniform());
            w.add_tensor(name.substr(0, name.size() - std::string(".weight").size()) + ".scale", GgmlType::F32, {1},
                         [extra](uint8_t* dst, size_t) { std::memcpy(dst, &extra, 4); });
        }
    }

    void norm(GgufWriter& w, const std::string& name, int64_t n) {
        const uint64_t seed = mix(o_.seed, name_hash(name));
        w.add_tensor(name, GgmlType::F32, {n}, [seed, n](uint8_t* dst, size_t) {
            Rng rng(seed);
            for (int64_t i = 0; i < n; ++i) {
                const float v = static_cast<float>(1.0 + 0.1 * (rng.uniform() - 0.5));
                std::memcpy(dst + 4 * i, &v, 4);
            }
        });
    }

    void embedding(GgufWriter& w, int64_t n_vocab) {
        const uint64_t seed = mix(o_.seed, name_hash("token_embd.weight"));
        const int64_t d = s_.n_embd;
        w.add_tensor("token_embd.weight", o_.embd_type, {d, n_vocab}, [this, seed, d, n_vocab](uint8_t* dst, size_t) {
            const TypeTraits& t = type_traits(o_.embd_type);
            const size_t row_b = row_bytes(o_.embd_type, d);
            constexpr int64_t kChunk = 4096;  // rows generated at a time, bounding temporary memory
            std::vector<float> f(static_cast<size_t>(kChunk * d));
            for (int64_t r0 = 0; r0 < n_vocab; r0 += kChunk) {
                const int64_t nr = std::min(kChunk, n_vocab - r0);
                random_normal_rows(mix(seed, static_cast<uint64_t>(r0)), nr, d, 0.05f, f.data(), pool_);
                pool_.parallel_for(static_cast<size_t>(nr), 16, [&](size_t b, size_t e) {
                    for (size_t r = b; r < e; ++r) {
                        t.quantize_row(f.data() + r * static_cast<size_t>(d),
                                       dst + (static_cast<size_t>(r0) + r) * row_b, d);
                    }
                });
            }
        });
    }

private:
    const SynthOptions& o_;
    const SynthShape& s_;
    ThreadPool& pool_;
};

}  // namespace

SynthShape synth_shape(const SynthOptions& o) {
    SynthShape s;
    if (o.preset == "tiny") {
        s = {2, 256, 512, 4, 2, 512};
    } else if (o.preset == "small") {
        s = {4, 512, 1536, 8, 2, 2048};
    } else if (o.preset == "2b4t") {
        s = {30, 2560, 6912, 20, 5, 4096};
    } else {
        fail(strprintf("unknown preset '%s' (expected tiny, small or 2b4t)", o.preset.c_str()));
    }
    if (o.n_layer) s.n_layer = *o.n_layer;
    if (o.n_embd) s.n_embd = *o.n_embd;
    if (o.n_ff) s.n_ff = *o.n_ff;
    if (o.n_head) s.n_head = *o.n_head;
    if (o.n_head_kv) s.n_head_kv = *o.n_head_kv;
    if (o.n_ctx) s.n_ctx = *o.n_ctx;
    if (s.n_layer <= 0 || s.n_embd <= 0 || s.n_ff <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.n_ctx <= 0) {
        fail("synth: every dimension must be positive");
    }
    if (s.n_embd % s.n_head != 0 || (s.n_embd / s.n_head) % 2 != 0) {
        fail(strprintf("synth: --embd %lld must be a multiple of --heads %lld with an even head size",
                       static_cast<long long>(s.n_embd), static_cast<long long>(s.n_head)));
    }
    if (s.n_head % s.n_head_kv != 0) {
        fail(strprintf("synth: --heads %lld must be a multiple of --kv-heads %lld", static_cast<long long>(s.n_head),
                       static_cast<long long>(s.n_head_kv)));
    }
    const int64_t kv_dim = s.n_embd / s.n_head * s.n_head_kv;
    const int64_t width = type_traits(o.type).block_size;
    for (int64_t k : {s.n_embd, s.n_ff}) {
        if (k % std::max<int64_t>(width, 128) != 0) {
            fail(strprintf("synth: width %lld is not a multiple of %lld, required by type %s", static_cast<long long>(k),
                           static_cast<long long>(std::max<int64_t>(width, 128)), type_name(o.type)));
        }
    }
    if (o.type == GgmlType::I2_S && (kv_dim * s.n_embd) % 128 != 0) fail("synth: k/v projections must hold whole I2_S blocks");
    if (s.n_embd % type_traits(o.embd_type).block_size != 0) {
        fail(strprintf("synth: --embd %lld is not a multiple of the %s block size", static_cast<long long>(s.n_embd),
                       type_name(o.embd_type)));
    }
    return s;
}

SynthResult synthesize(const SynthOptions& o) {
    if (o.arch != "bitnet-b1.58" && o.arch != "bitnet-25" && o.arch != "bitnet") {
        fail(strprintf("synth: unsupported architecture '%s' (supported: bitnet-b1.58, bitnet-25, bitnet)", o.arch.c_str()));
    }
    const GgmlType ternary_types[] = {GgmlType::I2_S, GgmlType::TQ2_0, GgmlType::TQ1_0, GgmlType::F16, GgmlType::F32};
    if (std::find(std::begin(ternary_types), std::end(ternary_types), o.type) == std::end(ternary_types)) {
        fail(strprintf("synth: --type %s is not supported (use i2_s, tq2_0, tq1_0, f16 or f32)", type_name(o.type)));
    }
    const GgmlType embd_types[] = {GgmlType::F16, GgmlType::Q8_0, GgmlType::Q6_K, GgmlType::F32};
    if (std::find(std::begin(embd_types), std::end(embd_types), o.embd_type) == std::end(embd_types)) {
        fail(strprintf("synth: --embd-type %s is not supported (use f16, q8_0, q6_k or f32)", type_name(o.embd_type)));
    }
    if (o.output.empty()) fail("synth: an output path is required (-o FILE.gguf)");
    const SynthShape s = synth_shape(o);
    const Vocab vocab = o.tokenizer_path.empty() ? builtin_byte_vocab() : vocab_from_tiktoken(o.tokenizer_path);
    const int64_t n_vocab = vocab.size();
    const int n_threads = o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ThreadPool pool(n_threads);

    GgufWriter w;
    const std::string a = o.arch;
    w.set_string("general.architecture", a);
    w.set_string("general.name", "bitnet-synth-" + o.preset);
    w.set_u32(a + ".vocab_size", static_cast<uint32_t>(n_vocab));
    w.set_u32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
    w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
    w.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
    w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
    w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(s.n_embd / s.n_head));
    w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
    w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
    w.set_bool("tokenizer.ggml.add_bos_token", true);
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
    w.set_f32(a + ".rope.freq_base", 500000.0f);
    w.set_u32("general.file_type", llama_file_type(o.type));
    Vocab written = vocab;
    written.chat_template.reset();
    write_vocab(w, written, o.include_pre);
    w.set_string("tokenizer.chat_template", kPlaceholderTemplate);
    w.set_u32("general.quantization_version", 2);

    Synthesizer syn(o, s, pool);
    syn.embedding(w, n_vocab);
    syn.norm(w, "output_norm.weight", s.n_embd);
    const int64_t q_dim = s.n_embd, kv_dim = s.n_embd / s.n_head * s.n_head_kv;
    // Blocks in the official file's order: lexicographic block numbers, then this tensor order.
    std::vector<std::string> blocks;
    for (int64_t l = 0; l < s.n_layer; ++l) blocks.push_back(std::to_string(l));
    std::sort(blocks.begin(), blocks.end());
    for (const std::string& l : blocks) {
        const std::string p = "blk." + l + ".";
        syn.norm(w, p + "attn_norm.weight", s.n_embd);
        syn.ternary(w, p + "ffn_down.weight", s.n_ff, s.n_embd);
        syn.norm(w, p + "ffn_sub_norm.weight", s.n_ff);
        syn.ternary(w, p + "ffn_gate.weight", s.n_embd, s.n_ff);
        syn.ternary(w, p + "ffn_up.weight", s.n_embd, s.n_ff);
        syn.norm(w, p + "ffn_norm.weight", s.n_embd);
        syn.norm(w, p + "attn_sub_norm.weight", q_dim);
        syn.ternary(w, p + "attn_k.weight", s.n_embd, kv_dim);
        syn.ternary(w, p + "attn_output.weight", q_dim, s.n_embd);
        syn.ternary(w, p + "attn_q.weight", s.n_embd, q_dim);
        syn.ternary(w, p + "attn_v.weight", s.n_embd, kv_dim);
    }

    ProgressBar bar("synth", w.n_tensors(), o.progress);
    w.write(o.output, [&](size_t done, size_t) { bar.update(done); });
    bar.finish(o.output);

    SynthResult r;
    r.n_tensors = w.n_tensors();
    r.n_vocab = n_vocab;
    FILE* f = std::fopen(o.output.c_str(), "rb");
    if (f != nullptr) {
        std::fseek(f, 0, SEEK_END);
        r.file_bytes = static_cast<size_t>(std::ftell(f));
        std::fclose(f);
    }
    return r;
}

}  // namespace bitnet
