#pragma once
// The training loop: batches, QAT forward/backward, clipping, AdamW on the two-stage schedule,
// validation at intervals with best-validation GGUF export, checkpoints that resume exactly, a
// progress bar with tokens/s and loss, and a tab-separated log of the curve.
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/vocab.hpp"
#include "train/checkpoint.hpp"
#include "train/optimizer.hpp"

namespace bitnet {

struct TrainOptions {
    RunSettings run;               // shape, seed, batch, schedule
    int64_t stop_at = -1;          // stop after this many steps in total (-1: run.steps); resume later
    int64_t eval_every = 100;      // validation interval in steps (0: only at the end)
    int64_t val_chunks = -1;       // validation chunks of n_ctx tokens (-1: all)
    std::string output;            // GGUF written at each new best validation loss ("": none)
    std::string model_name = "bitnet-trained";
    std::string checkpoint;        // checkpoint file ("": none)
    int64_t checkpoint_every = 0;  // steps between checkpoints (0: only when stopping)
    bool resume = false;           // continue from `checkpoint`
    std::string log;               // tab-separated step, lr, loss, grad norm, validation loss
    int n_threads = 0;             // 0: all cores
    bool progress = true;
};

struct TrainPoint {
    int64_t step = 0;
    double loss = 0.0, grad_norm = 0.0, lr = 0.0;
};

struct ValPoint {
    int64_t step = 0;  // steps completed when evaluated
    double loss = 0.0;
};

struct TrainResult {
    std::vector<TrainPoint> curve;  // the steps run by this call
    std::vector<ValPoint> val;
    double best_val = 0.0;
    double tokens_per_second = 0.0;
    int64_t steps_done = 0;         // total, including steps before a resume
};

// train / val: token streams (val starts with BOS, as the perplexity tool tokenizes). The vocab
// goes into the exported GGUF; its size must equal run.shape.n_vocab.
TrainResult train(const TrainOptions& options, const std::vector<int32_t>& train_tokens,
                  const std::vector<int32_t>& val_tokens, const Vocab& vocab);

// Validation loss (perplexity protocol, see train/data.hpp) of the given weights.
double validation_loss(const TrainShape& shape, const float* params, const std::vector<int32_t>& val_tokens, int32_t bos,
                       bool qat, int64_t batch, int64_t max_chunks, int n_threads);

}  // namespace bitnet
