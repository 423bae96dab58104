#include "train/export.hpp"

#include <cstring>

#include "core/error.hpp"
#include "core/fp16.hpp"
#include "gguf/gguf_writer.hpp"
#include "quant/ternary.hpp"
#include "tokenizer/vocab.hpp"

namespace bitnet {

namespace {

constexpr uint32_t kFileTypeI2S = 40;  // llama.cpp's MOSTLY_I2_S (bitnet.cpp's llama.h)

void write_hparams(GgufWriter& w, const TrainShape& s, const std::string& name) {
    const std::string a = "bitnet-b1.58";
    w.set_string("general.architecture", a);
    w.set_string("general.name", name);
    w.set_u32(a + ".vocab_size", static_cast<uint32_t>(s.n_vocab));
    w.set_u32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
    w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
    w.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
    w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
    w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(s.head_dim()));
    w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
    w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", s.rms_eps);
    w.set_f32(a + ".rope.freq_base", s.rope_theta);
    w.set_string(a + ".hidden_activation", "relu2");
    w.set_u32("general.file_type", kFileTypeI2S);
    w.set_u32("general.quantization_version", 2);
}

}  // namespace

void export_gguf(const ParamLayout& layout, const float* params, const Vocab& vocab, const std::string& name,
                 const std::string& path) {
    const TrainShape& s = layout.shape;
    if (vocab.size() != s.n_vocab) {
        fail(strprintf("export: the vocabulary has %d tokens but the model %lld", vocab.size(),
                       static_cast<long long>(s.n_vocab)));
    }
    GgufWriter w;
    write_hparams(w, s, name);
    write_vocab(w, vocab, /*include_pre=*/vocab.pre.has_value());
    for (const ParamTensor& t : layout.tensors) {
        const float* src = params + t.offset;
        const std::vector<int64_t> ne = t.rows == 1 ? std::vector<int64_t>{t.cols} : std::vector<int64_t>{t.cols, t.rows};
        if (t.ternary) {
            w.add_tensor(t.name, GgmlType::I2_S, ne, [src, n = static_cast<int64_t>(t.size())](uint8_t* dst, size_t) {
                const TernaryTensor tt = ternarize_absmean(src, n);
                pack_i2s(tt.values.data(), n, tt.scale, dst);
            });
        } else if (t.rows > 1) {
            w.add_tensor(t.name, GgmlType::F16, ne, [src, n = t.size()](uint8_t* dst, size_t) {
                for (size_t i = 0; i < n; ++i) {
                    const uint16_t h = f32_to_fp16(src[i]);
                    std::memcpy(dst + 2 * i, &h, 2);
                }
            });
        } else {
            w.add_tensor_copy(t.name, GgmlType::F32, ne, src);
        }
    }
    w.write(path);
}

}  // namespace bitnet
