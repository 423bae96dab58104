#include "model/weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/thread_pool.hpp"
#include "gguf/gguf_file.hpp"
#include "model/head_import.hpp"
#include "model/ternary_import.hpp"
#include "quant/ternary.hpp"

namespace bitnet {

DenseType dense_type_of(GgmlType type) {
    switch (type) {
        case GgmlType::F32: return DenseType::f32;
        case GgmlType::F16: return DenseType::f16;
        case GgmlType::BF16: return DenseType::bf16;
        case GgmlType::Q8_0: return DenseType::q8_0;
        case GgmlType::Q6_K: return DenseType::q6_k;
        default: fail(strprintf("type %s cannot be used for the token embedding / LM head", type_name(type)));
    }
}

namespace {

class Loader {
public:
    Loader(const GgufFile& file, const WeightLoadOptions& options, ThreadPool& pool, ModelWeights& out)
        : file_(file), options_(options), pool_(pool), out_(out) {}

    const GgufTensor& tensor(const std::string& name, std::initializer_list<int64_t> shape) {
        const GgufTensor& t = file_.tensor(name);
        const std::vector<int64_t> want(shape);
        bool ok = true;
        for (size_t d = 0; d < 4; ++d) ok = ok && t.ne[d] == (d < want.size() ? want[d] : 1);
        if (!ok) {
            std::string expected = "[";
            for (size_t d = 0; d < want.size(); ++d) expected += (d ? ", " : "") + std::to_string(want[d]);
            fail(strprintf("%s: tensor '%s' has shape %s, expected %s]", file_.path().c_str(), name.c_str(),
                           t.shape_string().c_str(), expected.c_str()));
        }
        return t;
    }

    const float* norm(const std::string& name, int64_t n) {
        const GgufTensor& t = tensor(name, {n});
        if (t.type == GgmlType::F32) return reinterpret_cast<const float*>(t.data);
        if (t.type != GgmlType::F16 && t.type != GgmlType::BF16) {
            fail(strprintf("%s: norm tensor '%s' has type %s (expected f32, f16 or bf16)", file_.path().c_str(),
                           name.c_str(), type_name(t.type)));
        }
        auto& v = out_.owned_f32.emplace_back(static_cast<size_t>(n));
        dequantize_rows(t.type, t.data, n, n, 0, 1, v.data());
        out_.owned_bytes += v.size() * sizeof(float);
        return v.data();
    }

    TernaryMatrix ternary(const std::string& name, int64_t cols, int64_t rows, float extra_scale) {
        const GgufTensor& t = tensor(name, {cols, rows});
        TernaryImport imported = import_ternary(t, file_.path(), preferred_layout(t.type), pool_);
        for (float& s : imported.row_scale) s *= extra_scale;
        for (float& s : imported.block_scale) s *= extra_scale;
        TernaryMatrix m;
        m.layout = imported.layout;
        m.rows = rows;
        m.cols = cols;
        m.row_stride = imported.row_stride;
        if (imported.packed.size() != 0) {
            m.data = imported.packed.data();
            out_.owned_bytes += imported.packed.size();
            out_.owned.push_back(std::move(imported.packed));
            // The file's copy of this tensor is no longer read: keep it out of the resident set.
            if (file_.mapping() != nullptr) file_.mapping()->advise_dontneed(file_.data_offset() + t.offset, t.nbytes);
        } else {
            m.data = t.data;
        }
        auto& scales = out_.owned_f32.emplace_back(std::move(imported.row_scale));
        m.row_scale = scales.data();
        if (!imported.block_scale.empty()) {
            auto& blocks = out_.owned_f32.emplace_back(std::move(imported.block_scale));
            m.block_scale = blocks.data();
        }
        out_.owned_bytes += (m.rows + (m.block_scale ? m.rows * m.cols / 256 : 0)) * sizeof(float);
        return m;
    }

    // Optional per-tensor scale of the 2024 `bitnet` architecture (blk.N.attn_q.scale etc.).
    float tensor_scale(const std::string& weight_name) {
        const std::string name = weight_name.substr(0, weight_name.size() - std::string(".weight").size()) + ".scale";
        const GgufTensor* t = file_.find_tensor(name);
        if (t == nullptr) return 1.0f;
        if (t->n_elements() != 1 || t->type != GgmlType::F32) {
            fail(strprintf("%s: tensor '%s' must be a single f32 value", file_.path().c_str(), name.c_str()));
        }
        float s;
        std::memcpy(&s, t->data, 4);
        if (!std::isfinite(s)) fail(strprintf("%s: tensor '%s' is not finite", file_.path().c_str(), name.c_str()));
        return s;
    }

    WeightLayout preferred_layout(GgmlType stored) const {
        switch (options_.repack) {
            case WeightRepack::bits2: return WeightLayout::bits2;
            case WeightRepack::base3: return WeightLayout::base3;
            case WeightRepack::automatic: break;
        }
        // 1.6-bit files stay 1.6-bit where the kernels decode that faster than memory delivers it.
        return stored == GgmlType::TQ1_0 && kernels().base3_keeps_up ? WeightLayout::base3 : WeightLayout::bits2;
    }

private:
    const GgufFile& file_;
    const WeightLoadOptions& options_;
    ThreadPool& pool_;
    ModelWeights& out_;
};

}  // namespace

ModelWeights load_weights(const GgufFile& file, const ModelConfig& c, const WeightLoadOptions& options,
                          ThreadPool& pool) {
    ModelWeights w;
    Loader load(file, options, pool, w);

    const GgufTensor& embd = file.tensor("token_embd.weight");
    if (embd.n_dims != 2 || embd.ne[0] != c.n_embd) {
        fail(strprintf("%s: tensor 'token_embd.weight' has shape %s, expected [%lld, n_vocab]", file.path().c_str(),
                       embd.shape_string().c_str(), static_cast<long long>(c.n_embd)));
    }
    dense_type_of(embd.type);  // validates the type
    w.embd_type = embd.type;
    w.embd_data = embd.data;
    w.embd_row_bytes = row_bytes(embd.type, c.n_embd);
    w.n_vocab = embd.ne[1];

    const GgufTensor* head = file.find_tensor("output.weight");
    if (head != nullptr) load.tensor("output.weight", {c.n_embd, w.n_vocab});
    const GgufTensor& head_t = head != nullptr ? *head : embd;
    w.output = load_dense_head(head_t, file, options, pool, w.owned, w.owned_bytes);
    w.output_type = options.head_type.value_or(head_t.type);
    w.output_norm = load.norm("output_norm.weight", c.n_embd);

    const int64_t total = c.n_layer;
    ProgressBar bar("loading", static_cast<size_t>(total), options.progress);
    w.layers.resize(static_cast<size_t>(c.n_layer));
    for (int64_t l = 0; l < c.n_layer; ++l) {
        LayerWeights& L = w.layers[static_cast<size_t>(l)];
        const std::string p = "blk." + std::to_string(l) + ".";
        L.attn_norm = load.norm(p + "attn_norm.weight", c.n_embd);
        L.attn_sub_norm = load.norm(p + "attn_sub_norm.weight", c.q_dim());
        L.ffn_norm = load.norm(p + "ffn_norm.weight", c.n_embd);
        L.ffn_sub_norm = load.norm(p + "ffn_sub_norm.weight", c.n_ff);
        auto tern = [&](const char* name, int64_t cols, int64_t rows) {
            const std::string full = p + name;
            return load.ternary(full, cols, rows, load.tensor_scale(full));
        };
        L.wq = tern("attn_q.weight", c.n_embd, c.q_dim());
        L.wk = tern("attn_k.weight", c.n_embd, c.kv_dim());
        L.wv = tern("attn_v.weight", c.n_embd, c.kv_dim());
        L.wo = tern("attn_output.weight", c.q_dim(), c.n_embd);
        L.w_gate = tern("ffn_gate.weight", c.n_embd, c.n_ff);
        L.w_up = tern("ffn_up.weight", c.n_embd, c.n_ff);
        L.w_down = tern("ffn_down.weight", c.n_ff, c.n_embd);
        bar.update(static_cast<size_t>(l + 1));
    }
    bar.finish();
    w.ternary_layout = w.layers.empty() ? WeightLayout::bits2 : w.layers[0].wq.layout;
    return w;
}

}  // namespace bitnet
