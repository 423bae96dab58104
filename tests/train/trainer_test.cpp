// The training loop end to end on a tiny model: the loss falls, a resumed run continues the exact
// loss curve, bad checkpoints and changed settings are refused, and the exported GGUF runs in the
// engine with a perplexity equal to exp(the trainer's validation loss).
#include "train/trainer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/error.hpp"
#include "runtime/context.hpp"
#include "runtime/loaded_model.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tools/perplexity.hpp"
#include "tools/synth_vocab.hpp"

namespace bitnet {
namespace {

namespace fs = std::filesystem;

std::string sample_text(size_t n_words, unsigned seed) {
    static const char* const words[] = {"the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was",
                                        "on", "be", "at", "by", "this", "have", "from", "model", "water", "people"};
    std::mt19937 rng(seed);
    std::string text;
    for (size_t i = 0; i < n_words; ++i) {
        text += (i ? " " : "");
        text += words[rng() % std::size(words)];
        if (rng() % 9 == 0) text += ".\n";
    }
    return text;
}

class TrainerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::path(BITNET_BINARY_DIR) / "train_test" /
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        vocab_ = builtin_byte_vocab();
        const Tokenizer tok(vocab_);
        train_ = tok.encode(sample_text(6000, 1), false, false);
        val_ = tok.encode(sample_text(1500, 2), true, false);
    }

    TrainOptions options() const {
        TrainOptions o;
        o.run.shape = {vocab_.size(), 2, 128, 256, 4, 2, 32};
        o.run.seed = 5;
        o.run.batch = 4;
        o.run.steps = 40;
        o.run.warmup = 4;
        o.run.lr = 4e-3f;
        o.run.lr2 = 2e-3f;
        o.run.weight_decay = 0.1f;
        o.run.clip = 1.0f;
        o.eval_every = 0;
        o.val_chunks = 8;
        o.n_threads = 2;
        o.progress = false;
        return o;
    }

    fs::path dir_;
    Vocab vocab_;
    std::vector<int32_t> train_, val_;
};

TEST_F(TrainerTest, LossFalls) {
    const TrainResult r = train(options(), train_, val_, vocab_);
    ASSERT_EQ(r.curve.size(), 40u);
    double first = 0, last = 0;
    for (int i = 0; i < 5; ++i) first += r.curve[static_cast<size_t>(i)].loss / 5;
    for (int i = 35; i < 40; ++i) last += r.curve[static_cast<size_t>(i)].loss / 5;
    EXPECT_LT(last, first - 1.0) << "first " << first << " last " << last;
    ASSERT_EQ(r.val.size(), 1u);  // at the end
    EXPECT_LT(r.val[0].loss, std::log(static_cast<double>(vocab_.size())) - 1.0);
    EXPECT_GT(r.tokens_per_second, 0.0);
}

TEST_F(TrainerTest, ResumeContinuesTheSameCurve) {
    TrainOptions o = options();
    o.run.steps = 10;
    o.run.float_steps = 3;  // the resume crosses the float → QAT switch too
    const TrainResult whole = train(o, train_, val_, vocab_);

    o.checkpoint = (dir_ / "run.ckpt").string();
    o.stop_at = 4;
    const TrainResult first = train(o, train_, val_, vocab_);
    ASSERT_EQ(first.steps_done, 4);
    o.stop_at = -1;
    o.resume = true;
    const TrainResult rest = train(o, train_, val_, vocab_);
    ASSERT_EQ(rest.curve.size(), 6u);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(first.curve[i].loss, whole.curve[i].loss) << i;
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(rest.curve[i].step, whole.curve[i + 4].step);
        EXPECT_EQ(rest.curve[i].loss, whole.curve[i + 4].loss) << "step " << rest.curve[i].step;
    }
    EXPECT_EQ(rest.best_val, whole.best_val);
}

TEST_F(TrainerTest, ResumeRefusesOtherSettingsAndBadFiles) {
    TrainOptions o = options();
    o.run.steps = 2;
    o.checkpoint = (dir_ / "run.ckpt").string();
    train(o, train_, val_, vocab_);
    o.resume = true;
    o.run.lr = 1e-3f;
    try {
        train(o, train_, val_, vocab_);
        FAIL() << "a changed learning rate was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("--lr"), std::string::npos) << e.what();
    }
    o.run.lr = options().run.lr;
    fs::resize_file(o.checkpoint, fs::file_size(o.checkpoint) - 4);
    EXPECT_THROW(train(o, train_, val_, vocab_), Error);
    std::ofstream(o.checkpoint) << "not a checkpoint";
    EXPECT_THROW(train(o, train_, val_, vocab_), Error);
}

TEST_F(TrainerTest, RejectsBadInput) {
    TrainOptions o = options();
    o.run.shape.n_embd = 96;  // not a multiple of 128: I2_S rows
    EXPECT_THROW(train(o, train_, val_, vocab_), Error);
    o = options();
    o.run.shape.n_vocab = vocab_.size() + 1;
    EXPECT_THROW(train(o, train_, val_, vocab_), Error);
    o = options();
    EXPECT_THROW(train(o, train_, std::vector<int32_t>(10, 1), vocab_), Error);  // validation shorter than a chunk
    EXPECT_THROW(train(o, std::vector<int32_t>(10, 1), val_, vocab_), Error);  // training text shorter than the context
}

// The exported model through the engine: same weights (ternary, F16 embedding), same chunks,
// so its perplexity must be exp(validation loss) up to the engine's rounding differences.
TEST_F(TrainerTest, ExportedModelPerplexityMatchesValidationLoss) {
    TrainOptions o = options();
    o.output = (dir_ / "model.gguf").string();
    const TrainResult r = train(o, train_, val_, vocab_);
    ASSERT_TRUE(fs::exists(o.output));
    auto model = LoadedModel::load(o.output, {.weights = {}, .n_threads = 2});
    ContextOptions co;
    co.n_ctx = o.run.shape.n_ctx;
    co.n_batch = 32;
    co.n_threads = 2;
    InferenceContext ctx(model, co);
    PerplexityOptions po;
    po.max_chunks = o.val_chunks;
    po.progress = false;
    const PerplexityResult p = run_perplexity(ctx, val_, po);
    const double want = std::exp(r.best_val);
    EXPECT_NEAR(p.ppl.value, want, 0.02 * want) << "engine " << p.ppl.value << " trainer " << want;
    EXPECT_LT(want, static_cast<double>(vocab_.size()) / 4);  // a trained model, not a uniform one
}

}  // namespace
}  // namespace bitnet
