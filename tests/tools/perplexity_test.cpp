// End to end on synthetic tiny models: perplexity, saving a logits file, and KL divergence of a
// model against itself (≈ 0) and against another model (> 0).
#include "tools/perplexity.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "runtime/context.hpp"
#include "runtime/loaded_model.hpp"
#include "test_models.hpp"
#include "tools/kld_file.hpp"
#include "tools/perplexity_report.hpp"

namespace bitnet {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kCtx = 64;

std::shared_ptr<const LoadedModel> tiny(uint64_t seed) {
    SynthOptions o;
    o.preset = "tiny";
    o.seed = seed;
    o.n_threads = 2;
    return LoadedModel::load(test::synth_model("ppl-tiny-" + std::to_string(seed), o), {.weights = {}, .n_threads = 2});
}

std::string sample_text(size_t n_words) {
    static const char* const words[] = {"the",    "of",   "and",   "to",    "in",    "is",    "that",
                                        "for",    "it",   "with",  "as",    "was",   "on",    "be",
                                        "at",     "by",   "this",  "have",  "from",  "model", "water",
                                        "people", "time", "words", "Hello", "world", "text",  "called"};
    std::mt19937 rng(11);
    std::string text;
    for (size_t i = 0; i < n_words; ++i) {
        text += (i ? " " : "");
        text += words[rng() % std::size(words)];
        if (rng() % 13 == 0) text += ".\n";
    }
    return text;
}

std::unique_ptr<InferenceContext> make_context(const std::shared_ptr<const LoadedModel>& model, int64_t n_ctx) {
    ContextOptions co;
    co.n_ctx = n_ctx;
    co.n_batch = 32;  // several forward passes per half chunk
    co.n_threads = 2;
    return std::make_unique<InferenceContext>(model, co);
}

class PerplexityTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        model_ = tiny(1);
        other_ = tiny(2);
        const Tokenizer& tok = model_->tokenizer;
        tokens_ = tok.encode(sample_text(700), tok.add_bos_default(), false);
        dir_ = fs::temp_directory_path() / ("bitnet-ppl-test-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
        model_.reset();
        other_.reset();
    }
    static std::string file(const std::string& name) { return (dir_ / name).string(); }

    // A base file from model_ over the sample text (written once).
    static const std::string& base_file() {
        static const std::string path = [] {
            const std::string p = file("base.kld");
            auto ctx = make_context(model_, kCtx);
            PerplexityOptions po;
            po.progress = false;
            po.max_chunks = 4;
            po.save_logits = p;
            run_perplexity(*ctx, tokens_, po);
            return p;
        }();
        return path;
    }

    static inline std::shared_ptr<const LoadedModel> model_, other_;
    static inline std::vector<int32_t> tokens_;
    static inline fs::path dir_;
};

TEST_F(PerplexityTest, PerplexityIsFiniteAndUsesWholeChunks) {
    ASSERT_GE(tokens_.size(), static_cast<size_t>(4 * kCtx));
    EXPECT_EQ(tokens_[0], model_->tokenizer.bos());
    auto ctx = make_context(model_, kCtx);
    PerplexityOptions po;
    po.progress = false;
    const PerplexityResult r = run_perplexity(*ctx, tokens_, po);
    const auto n_chunks = static_cast<int64_t>(tokens_.size()) / kCtx;
    EXPECT_EQ(r.n_chunks, n_chunks);
    EXPECT_EQ(r.n_ctx, kCtx);
    EXPECT_EQ(r.n_tokens, static_cast<int64_t>(tokens_.size()));
    EXPECT_EQ(r.n_scored, n_chunks * (kCtx - 1 - kCtx / 2));
    ASSERT_EQ(r.chunk_ppl.size(), static_cast<size_t>(n_chunks));
    EXPECT_TRUE(std::isfinite(r.ppl.value));
    EXPECT_GT(r.ppl.value, 1.0);
    EXPECT_LT(r.ppl.value, 10.0 * static_cast<double>(model_->config.n_vocab));
    EXPECT_GT(r.ppl.uncertainty, 0.0);
    EXPECT_DOUBLE_EQ(r.chunk_ppl.back(), r.ppl.value);
    EXPECT_NEAR(r.ppl.value, std::exp(r.nll.value), 1e-9 * r.ppl.value);
    EXPECT_NEAR(r.ppl.uncertainty, r.ppl.value * r.nll.uncertainty, 1e-9 * r.ppl.value);

    const std::string line = format_final_estimate(r);
    EXPECT_EQ(line.rfind("Final estimate: PPL = ", 0), 0u) << line;
    EXPECT_NE(line.find(" +/- "), std::string::npos) << line;
    EXPECT_EQ(format_chunk_ppl(3, 12.345678), "[3]12.3457,");
    const std::string json = perplexity_json(r);
    EXPECT_NE(json.find("\"ppl_stderr\""), std::string::npos);
    EXPECT_NE(json.find("\"chunk_ppl\""), std::string::npos);

    po.max_chunks = 2;
    const PerplexityResult two = run_perplexity(*ctx, tokens_, po);
    EXPECT_EQ(two.n_chunks, 2);
    EXPECT_DOUBLE_EQ(two.chunk_ppl[1], r.chunk_ppl[1]);  // each chunk starts from an empty cache
}

TEST_F(PerplexityTest, MatchesDirectEvaluationOfEachChunk) {
    // llama.cpp's method spelled out: chunk c evaluated alone with BOS first; positions
    // n_ctx/2 .. n_ctx-2 predict the text's next token.
    auto ctx = make_context(model_, kCtx);
    const auto nv = static_cast<size_t>(ctx->n_vocab());
    double sum = 0.0;
    int64_t count = 0;
    for (int64_t c = 0; c < 2; ++c) {
        std::vector<int32_t> chunk(tokens_.begin() + c * kCtx, tokens_.begin() + (c + 1) * kCtx);
        chunk[0] = model_->tokenizer.bos();
        std::vector<float> logits(static_cast<size_t>(kCtx) * nv);
        ctx->reset();
        ctx->decode_all(chunk, logits);
        for (int64_t j = kCtx / 2; j <= kCtx - 2; ++j) {
            const std::span<const float> row(logits.data() + static_cast<size_t>(j) * nv, nv);
            sum += token_nll(row, tokens_[static_cast<size_t>(c * kCtx + j + 1)]);
            ++count;
        }
    }
    PerplexityOptions po;
    po.progress = false;
    po.max_chunks = 2;
    const PerplexityResult r = run_perplexity(*ctx, tokens_, po);
    EXPECT_EQ(r.n_scored, count);
    EXPECT_NEAR(r.ppl.value, std::exp(sum / static_cast<double>(count)), 1e-4 * r.ppl.value);
}

TEST_F(PerplexityTest, TooShortTextNamesBothNumbers) {
    auto ctx = make_context(model_, kCtx);
    const std::vector<int32_t> few(tokens_.begin(), tokens_.begin() + 2 * kCtx - 1);
    PerplexityOptions po;
    po.progress = false;
    try {
        run_perplexity(*ctx, few, po);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("127 tokens"), std::string::npos) << msg;
        EXPECT_NE(msg.find("128"), std::string::npos) << msg;
        EXPECT_NE(msg.find("n_ctx = 64"), std::string::npos) << msg;
    }
    po.max_chunks = 0;
    EXPECT_THROW(run_perplexity(*ctx, tokens_, po), Error);
}

TEST_F(PerplexityTest, BaseFileHoldsTheTextTokensAndOneRecordPerScoredPosition) {
    const LogitsFileReader base(base_file());
    const LogitsFileHeader& h = base.header();
    EXPECT_EQ(h.n_ctx, kCtx);
    EXPECT_EQ(h.n_vocab, model_->config.n_vocab);
    EXPECT_EQ(h.n_chunk, 4);
    EXPECT_EQ(fs::file_size(base_file()), logits_file_bytes(h));
    // The tokens are the text's, without BOS substituted at chunk starts.
    EXPECT_EQ(base.tokens(), std::vector<int32_t>(tokens_.begin(), tokens_.begin() + 4 * kCtx));
}

TEST_F(PerplexityTest, KlDivergenceAgainstItselfIsZero) {
    const LogitsFileReader base(base_file());
    auto ctx = make_context(model_, kCtx);
    const KldResult r = run_kl_divergence(*ctx, base, KldOptions{.progress = false});
    const KldSummary& s = r.summary;
    EXPECT_EQ(r.n_chunks, 4);
    EXPECT_EQ(s.count, 4 * (kCtx - 1 - kCtx / 2));
    ASSERT_EQ(r.chunks.size(), 4u);
    // Log-probabilities are stored to within half a code step (24 / 65535 / 2 nats).
    const double bound = kLogitsFileRange / 65535.0;
    EXPECT_LT(std::fabs(s.kld.value), bound);
    EXPECT_LT(s.kld_dist.max, bound);
    EXPECT_GT(s.kld_dist.min, -bound);
    EXPECT_DOUBLE_EQ(s.same_top.value, 1.0);
    EXPECT_NEAR(s.ppl_q.value, s.ppl_base.value, bound * s.ppl_base.value);
    EXPECT_NEAR(s.ln_ppl_ratio.value, 0.0, bound);
    EXPECT_GT(s.ln_ppl_cor, 0.999);

    // PPL(Q) is what the perplexity run over the same chunks reports.
    PerplexityOptions po;
    po.progress = false;
    po.max_chunks = 4;
    const PerplexityResult ppl = run_perplexity(*ctx, tokens_, po);
    EXPECT_NEAR(s.ppl_q.value, ppl.ppl.value, 1e-6 * ppl.ppl.value);

    const std::string text = format_kld_summary(s);
    for (const char* label : {"Mean PPL(Q)                   : ", "Mean PPL(base)                : ", "Mean    KLD: ",
                              "Maximum KLD: ", "99.9%   KLD: ", "Median  KLD: ", " 0.1%   KLD: ", "Minimum KLD: ",
                              "RMS Δp    : ", "Same top p: 100.000 ± 0.000 %\n"}) {
        EXPECT_NE(text.find(label), std::string::npos) << label << "\n" << text;
    }
    const std::string json = kld_json(r);
    for (const char* key : {"\"kld_mean\"", "\"kld_max\"", "\"kld_99_9\"", "\"kld_median\"", "\"same_top_p\"",
                            "\"ppl_q\"", "\"ppl_base_stderr\"", "\"chunks\""}) {
        EXPECT_NE(json.find(key), std::string::npos) << key;
    }
}

TEST_F(PerplexityTest, KlDivergenceAgainstAnotherModelIsPositive) {
    const LogitsFileReader base(base_file());
    auto ctx = make_context(other_, kCtx);
    const KldResult r = run_kl_divergence(*ctx, base, KldOptions{.progress = false});
    EXPECT_GT(r.summary.kld.value, 0.01);
    EXPECT_GT(r.summary.kld_dist.min, -1e-3);
    EXPECT_GT(r.summary.kld_dist.max, r.summary.kld_dist.median);
    EXPECT_LT(r.summary.same_top.value, 1.0);
    EXPECT_TRUE(std::isfinite(r.summary.ppl_q.value));
}

TEST_F(PerplexityTest, KlDivergenceChunkLimit) {
    const LogitsFileReader base(base_file());
    auto ctx = make_context(model_, kCtx);
    const KldResult all = run_kl_divergence(*ctx, base, KldOptions{.max_chunks = -1, .progress = false});
    const KldResult two = run_kl_divergence(*ctx, base, KldOptions{.max_chunks = 2, .progress = false});
    EXPECT_EQ(two.n_chunks, 2);
    EXPECT_EQ(two.summary.count, 2 * (kCtx - 1 - kCtx / 2));
    EXPECT_DOUBLE_EQ(two.chunks[1].kld.value, all.chunks[1].kld.value);
    EXPECT_THROW(run_kl_divergence(*ctx, base, KldOptions{.max_chunks = 0, .progress = false}), Error);
}

TEST_F(PerplexityTest, TruncatedBaseFileIsRejected) {
    const std::string cut = file("cut.kld");
    fs::copy_file(base_file(), cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, fs::file_size(cut) - 100);
    try {
        LogitsFileReader r(cut);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
}

TEST_F(PerplexityTest, WrongVocabularyIsRejectedNamingBoth) {
    const std::string path = file("vocab.kld");
    const int32_t n_vocab = static_cast<int32_t>(model_->config.n_vocab) + 2;
    {
        LogitsFileWriter w(path, {static_cast<int32_t>(kCtx), n_vocab, 1},
                           std::vector<int32_t>(tokens_.begin(), tokens_.begin() + kCtx));
        std::vector<uint16_t> records(static_cast<size_t>(kCtx - 1 - kCtx / 2) * logits_record_values(n_vocab));
        w.write_records(records);
        w.close();
    }
    const LogitsFileReader base(path);
    auto ctx = make_context(model_, kCtx);
    try {
        run_kl_divergence(*ctx, base, KldOptions{.progress = false});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(std::to_string(n_vocab) + " tokens"), std::string::npos) << msg;
        EXPECT_NE(msg.find("has " + std::to_string(model_->config.n_vocab)), std::string::npos) << msg;
    }
}

TEST_F(PerplexityTest, ContextSmallerThanTheFileIsRejected) {
    const LogitsFileReader base(base_file());
    auto ctx = make_context(model_, kCtx / 2);
    EXPECT_THROW(run_kl_divergence(*ctx, base, KldOptions{.progress = false}), Error);
}

}  // namespace
}  // namespace bitnet
