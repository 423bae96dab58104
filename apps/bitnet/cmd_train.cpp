// `bitnet train`: quantization-aware training of a bitnet-b1.58 model on a text corpus, written
// as a GGUF the other commands run (src/train/).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "commands.hpp"
#include "core/error.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/vocab.hpp"
#include "train/spm_vocab.hpp"
#include "train/trainer.hpp"

namespace bitnet::cli {

namespace {

struct TrainFlags {
    TrainOptions train;
    std::string train_text, val_text, vocab;
    bool quiet = false;
};

void add_shape_flags(CLI::App& cmd, TrainShape& s) {
    cmd.add_option("--layers", s.n_layer, "Layers")->capture_default_str();
    cmd.add_option("--embd", s.n_embd, "Embedding width (a multiple of 128)")->capture_default_str();
    cmd.add_option("--ff", s.n_ff, "Feed-forward width (a multiple of 128)")->capture_default_str();
    cmd.add_option("--heads", s.n_head, "Attention heads")->capture_default_str();
    cmd.add_option("--kv-heads", s.n_head_kv, "Key/value heads (GQA)")->capture_default_str();
    cmd.add_option("-c,--ctx", s.n_ctx, "Context length of the training windows")->capture_default_str();
}

void add_run_flags(CLI::App& cmd, RunSettings& r) {
    cmd.add_option("-b,--batch", r.batch, "Sequences per step")->capture_default_str();
    cmd.add_option("--steps", r.steps, "Optimizer steps in the whole run")->capture_default_str();
    cmd.add_option("--warmup", r.warmup, "Warm-up steps (linear)")->capture_default_str();
    cmd.add_option("--lr", r.lr, "Stage-1 peak learning rate (cosine to half of it at mid-run)")->capture_default_str();
    cmd.add_option("--lr2", r.lr2, "Stage-2 learning rate after the mid-run drop (cosine to 0)")->capture_default_str();
    cmd.add_option("--wd", r.weight_decay, "AdamW weight decay in stage 1 (stage 2 has none)")->capture_default_str();
    cmd.add_option("--clip", r.clip, "Gradient clipping: maximum global L2 norm (0: off)")->capture_default_str();
    cmd.add_option("--float-steps", r.float_steps,
                   "Train in float (no quantization) for this many steps before QAT; >= --steps: a float model")
        ->capture_default_str();
    cmd.add_option("-s,--seed", r.seed, "Seed of the initial weights and the batch order")->capture_default_str();
}

}  // namespace

Action add_train(CLI::App& app) {
    auto f = std::make_shared<TrainFlags>();
    TrainOptions& o = f->train;
    o.run.shape = {0, 6, 256, 640, 8, 4, 256};
    o.run.seed = 1;
    o.run.batch = 8;
    o.run.steps = 1000;
    o.run.warmup = 100;
    o.run.lr = 1.5e-3f;
    o.run.lr2 = 5e-4f;
    o.run.weight_decay = 0.1f;
    o.run.clip = 1.0f;
    CLI::App* cmd = app.add_subcommand(
        "train", "Train a BitNet b1.58 model (ternary, quantization-aware) on a text corpus and write it as a GGUF");
    cmd->add_option("--train-text", f->train_text, "UTF-8 training text")->required();
    cmd->add_option("--val-text", f->val_text, "UTF-8 held-out text for the validation loss")->required();
    cmd->add_option("--vocab", f->vocab, "Vocabulary: a GGUF with tokenizer.ggml.* keys, or a SentencePiece vocabulary from spm_export_vocab")->required();
    cmd->add_option("-o,--output", o.output, "GGUF written at each new best validation loss");
    cmd->add_option("--name", o.model_name, "general.name of the written GGUF")->capture_default_str();
    add_shape_flags(*cmd, o.run.shape);
    add_run_flags(*cmd, o.run);
    cmd->add_option("--eval-every", o.eval_every, "Validation every N steps (0: only at the end)")->capture_default_str();
    cmd->add_option("--val-chunks", o.val_chunks, "Validation chunks of --ctx tokens (-1: all)")->capture_default_str();
    cmd->add_option("--checkpoint", o.checkpoint, "Checkpoint file (weights, Adam moments, step)");
    cmd->add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints (0: only at the end)")
        ->capture_default_str();
    cmd->add_flag("--resume", o.resume, "Continue the run saved in --checkpoint (same settings required)");
    cmd->add_option("--stop-at", o.stop_at, "Stop after this many steps of the run (resume later with --resume)");
    cmd->add_option("--log", o.log, "Tab-separated log: step, lr, loss, grad norm, validation loss");
    cmd->add_option("-t,--threads", o.n_threads, "Threads (default: all cores)");
    cmd->add_flag("-q,--quiet", f->quiet, "No progress bar");
    return [f] {
        TrainOptions opts = f->train;
        opts.progress = !f->quiet;
        const Vocab vocab = load_vocab_file(f->vocab);
        const Tokenizer tok(vocab);
        opts.run.shape.n_vocab = vocab.size();
        const std::string train_text = read_file(f->train_text), val_text = read_file(f->val_text);
        require_utf8(train_text, "--train-text");
        require_utf8(val_text, "--val-text");
        // Validation tokens start with BOS, as `bitnet perplexity` tokenizes a file.
        const std::vector<int32_t> train_tokens = tok.encode(train_text, false, false);
        const std::vector<int32_t> val_tokens = tok.encode(val_text, true, false);
        std::fprintf(stderr, "train: %zu training and %zu validation tokens, vocabulary of %d (%s)\n", train_tokens.size(),
                     val_tokens.size(), vocab.size(), tok.description().c_str());
        const TrainResult r = train(opts, train_tokens, val_tokens, vocab);
        std::fprintf(stderr, "train: %lld steps done, best validation loss %.4f (perplexity %.2f), %.0f tokens/s\n",
                     static_cast<long long>(r.steps_done), r.best_val, std::exp(r.best_val), r.tokens_per_second);
        return 0;
    };
}

}  // namespace bitnet::cli
