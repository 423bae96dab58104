#include "model/weights.hpp"

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/thread_pool.hpp"
#include "gguf/gguf_file.hpp"
#include "kernels/dense_types.hpp"
#include "model/head_import.hpp"
#include "model/weight_binder.hpp"

namespace bitnet {

ModelWeights load_weights(const GgufFile& file, const ModelConfig& c, const WeightLoadOptions& options,
                          ThreadPool& pool) {
    ModelWeights w;
    WeightBinder bind(file, options, pool, w);

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
    if (head != nullptr) bind.tensor("output.weight", {c.n_embd, w.n_vocab});
    const GgufTensor& head_t = head != nullptr ? *head : embd;
    w.output = load_dense_head(head_t, file, options, pool, w.owned, w.owned_bytes);
    w.output_type = options.head_type.value_or(head_t.type);
    w.output_norm = bind.norm("output_norm.weight", c.n_embd);

    ProgressBar bar("loading", static_cast<size_t>(c.n_layer), options.progress);
    w.layers.resize(static_cast<size_t>(c.n_layer));
    for (int64_t l = 0; l < c.n_layer; ++l) {
        c.arch->bind_layer(bind, c, l, w.layers[static_cast<size_t>(l)]);
        bar.update(static_cast<size_t>(l + 1));
    }
    bar.finish();
    w.ternary_layout = w.layers.empty() ? WeightLayout::bits2 : w.layers[0].wq.layout;
    return w;
}

}  // namespace bitnet
