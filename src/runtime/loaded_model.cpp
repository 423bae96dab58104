#include "runtime/loaded_model.hpp"

#include <chrono>
#include <thread>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace bitnet {

std::shared_ptr<const LoadedModel> LoadedModel::load(const std::string& path, const ModelLoadOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    GgufFile file = GgufFile::open(path);
    // Start reading the whole file from disk now; every weight is needed for the first token.
    if (file.mapping() != nullptr) file.mapping()->advise_willneed(0, file.file_size());
    ModelConfig config = read_model_config(file);
    if (!file.has("tokenizer.ggml.tokens")) {
        fail(strprintf("%s: model has no tokenizer metadata (tokenizer.ggml.tokens missing)", path.c_str()));
    }
    Tokenizer tokenizer = Tokenizer::from_gguf(file);
    const int n_threads =
        options.n_threads > 0 ? options.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ThreadPool pool(n_threads);
    ModelWeights weights = load_weights(file, config, options.weights, pool);
    config.n_vocab = weights.n_vocab;
    if (auto vs = file.opt_uint(config.arch_name + ".vocab_size"); vs && static_cast<int64_t>(*vs) != config.n_vocab) {
        fail(strprintf("%s: %s.vocab_size is %llu but token_embd.weight has %lld rows", path.c_str(),
                       config.arch_name.c_str(), static_cast<unsigned long long>(*vs),
                       static_cast<long long>(config.n_vocab)));
    }
    if (tokenizer.n_vocab() > config.n_vocab) {
        fail(strprintf("%s: the tokenizer has %d tokens but the embedding only %lld rows", path.c_str(),
                       tokenizer.n_vocab(), static_cast<long long>(config.n_vocab)));
    }
    auto m = std::shared_ptr<LoadedModel>(
        new LoadedModel{std::move(file), std::move(config), std::move(tokenizer), std::move(weights), 0.0});
    m->load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return m;
}

int64_t LoadedModel::n_params() const {
    const ModelConfig& c = config;
    const int64_t per_layer = c.n_embd * c.q_dim() + 2 * c.n_embd * c.kv_dim() + c.q_dim() * c.n_embd +
                              3 * c.n_embd * c.n_ff + 2 * c.n_embd + c.q_dim() + c.n_ff;
    return c.n_layer * per_layer + c.n_vocab * c.n_embd + c.n_embd;
}

}  // namespace bitnet
