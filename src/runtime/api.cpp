// The public C++ API (include/bitnet/bitnet.hpp): thin wrappers over the runtime classes.
#include <cstring>
#include <optional>

#include "bitnet/bitnet.hpp"
#include "core/error.hpp"
#include "kernels/kernels.hpp"
#include "quant/types.hpp"
#include "runtime/chat.hpp"
#include "runtime/context.hpp"
#include "runtime/generate.hpp"
#include "runtime/loaded_model.hpp"

namespace bitnet {

namespace {

SamplingParams to_params(const SamplingOptions& o) {
    SamplingParams p;
    p.temperature = o.temperature;
    p.top_k = o.top_k;
    p.top_p = o.top_p;
    p.min_p = o.min_p;
    p.repeat_penalty = o.repeat_penalty;
    p.repeat_last_n = o.repeat_last_n;
    p.frequency_penalty = o.frequency_penalty;
    p.presence_penalty = o.presence_penalty;
    p.seed = o.seed;
    return p;
}

bool same(const SamplingOptions& a, const SamplingOptions& b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

Generation to_generation(const GenerateResult& r) {
    Generation g;
    g.text = r.text;
    g.tokens = r.tokens;
    g.stop_reason = stop_reason_name(r.reason);
    g.prompt_tokens = r.n_prompt;
    g.prompt_seconds = r.prompt_seconds;
    g.generate_seconds = r.generate_seconds;
    return g;
}

}  // namespace

std::shared_ptr<Model> Model::load(const std::string& path, const ModelOptions& options) {
    ModelLoadOptions o;
    o.n_threads = options.n_threads;
    if (options.weight_layout == "auto") {
        o.weights.repack = WeightRepack::automatic;
    } else if (options.weight_layout == "bits2") {
        o.weights.repack = WeightRepack::bits2;
    } else if (options.weight_layout == "base3") {
        o.weights.repack = WeightRepack::base3;
    } else {
        fail(strprintf("unknown weight layout '%s' (expected auto, bits2 or base3)", options.weight_layout.c_str()));
    }
    if (!options.head_type.empty()) {
        const auto t = parse_type_name(options.head_type);
        if (!t || (*t != GgmlType::F16 && *t != GgmlType::Q8_0 && *t != GgmlType::Q6_K)) {
            fail(strprintf("unknown head type '%s' (expected f16, q8_0 or q6_k)", options.head_type.c_str()));
        }
        o.weights.head_type = *t;
    }
    o.weights.use_mmap = options.use_mmap;
    return std::shared_ptr<Model>(new Model(LoadedModel::load(path, o)));
}

ModelInfo Model::info() const {
    const ModelConfig& c = impl_->config;
    ModelInfo i;
    i.architecture = c.arch_name;
    if (auto name = impl_->file.opt_string("general.name")) i.name = std::string(*name);
    i.n_vocab = c.n_vocab;
    i.n_ctx_train = c.n_ctx_train;
    i.n_embd = c.n_embd;
    i.n_layer = c.n_layer;
    i.n_ff = c.n_ff;
    i.n_head = c.n_head;
    i.n_head_kv = c.n_head_kv;
    i.n_params = impl_->n_params();
    i.file_bytes = impl_->file.file_size();
    i.weight_layout = layout_name(impl_->weights.ternary_layout);
    i.head_type = type_name(impl_->weights.output_type);
    i.tokenizer = impl_->tokenizer.description();
    return i;
}

std::vector<int32_t> Model::tokenize(std::string_view text, bool add_bos, bool parse_special) const {
    return impl_->tokenizer.encode(text, add_bos, parse_special);
}

std::string Model::detokenize(std::span<const int32_t> tokens, bool skip_special) const {
    return impl_->tokenizer.decode(tokens, skip_special);
}

bool Model::is_end_of_generation(int32_t token) const { return impl_->tokenizer.is_eog(token); }
int32_t Model::bos() const { return impl_->tokenizer.bos(); }
int32_t Model::eos() const { return impl_->tokenizer.eos(); }
int32_t Model::eot() const { return impl_->tokenizer.eot(); }

struct Session::Impl {
    std::shared_ptr<const Model> model;
    InferenceContext ctx;
    std::optional<Sampler> sampler;
    SamplingOptions sampler_options;
    std::string system_prompt;
    std::optional<ChatSession> chat;

    Impl(std::shared_ptr<const Model> m, const ContextOptions& o) : model(std::move(m)), ctx(model->shared_internals(), o) {}

    Sampler& sampler_for(const SamplingOptions& o) {
        if (!sampler || !same(o, sampler_options)) {
            sampler.emplace(to_params(o), static_cast<int32_t>(ctx.n_vocab()));
            sampler_options = o;
        }
        return *sampler;
    }
};

static ContextOptions context_options(const SessionOptions& o) {
    ContextOptions c;
    c.n_ctx = o.n_ctx;
    c.n_batch = o.n_batch;
    c.n_threads = o.n_threads;
    c.kv_type = o.kv_cache_f32 ? KvType::f32 : KvType::f16;
    if (o.n_ctx < 0) fail("n_ctx must not be negative");
    if (o.n_batch <= 0) fail("n_batch must be positive");
    return c;
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options) {
    if (!model) fail("Session needs a model");
    impl_ = std::make_unique<Impl>(std::move(model), context_options(options));
}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

void Session::decode(std::span<const int32_t> tokens) { impl_->ctx.decode(tokens); }
std::span<const float> Session::logits() const { return impl_->ctx.logits(); }

int32_t Session::sample(const SamplingOptions& options) {
    if (impl_->ctx.n_past() == 0) fail("sample: nothing has been decoded yet");
    return impl_->sampler_for(options).sample(impl_->ctx.logits(), impl_->ctx.history());
}

Generation Session::generate(std::string_view prompt, const GenerateOptions& options, const TextCallback& on_text) {
    const Tokenizer& tok = impl_->ctx.model().tokenizer;
    const bool first = impl_->ctx.n_past() == 0;
    const std::vector<int32_t> tokens = tok.encode(prompt, first && tok.add_bos_default(), true);
    GenerateParams gp;
    gp.n_predict = options.max_tokens;
    gp.stop = options.stop;
    impl_->chat.reset();  // raw completion and chat turns do not mix
    return to_generation(bitnet::generate(impl_->ctx, tokens, gp, impl_->sampler_for(options.sampling), on_text));
}

Generation Session::chat(std::string_view user_message, const GenerateOptions& options, const TextCallback& on_text) {
    if (!impl_->chat) {
        if (impl_->ctx.n_past() != 0) fail("chat: the session already holds a raw completion; reset() it first");
        impl_->chat.emplace(impl_->ctx, impl_->system_prompt);
    }
    GenerateParams gp;
    gp.n_predict = options.max_tokens;
    gp.stop = options.stop;
    return to_generation(
        impl_->chat->reply(std::string(user_message), gp, impl_->sampler_for(options.sampling), on_text));
}

void Session::set_system_prompt(std::string system_prompt) {
    impl_->system_prompt = std::move(system_prompt);
    if (impl_->chat && impl_->ctx.n_past() == 0) impl_->chat.emplace(impl_->ctx, impl_->system_prompt);
}

int64_t Session::n_past() const { return impl_->ctx.n_past(); }
int64_t Session::n_ctx() const { return impl_->ctx.n_ctx(); }
const std::vector<int32_t>& Session::tokens() const { return impl_->ctx.history(); }

void Session::reset() {
    impl_->ctx.reset();
    impl_->chat.reset();
}

std::string version() { return BITNET_VERSION; }
std::string kernel_isa() { return isa_name(kernels().isa); }

}  // namespace bitnet
