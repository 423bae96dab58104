#include "train/trainer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/thread_pool.hpp"
#include "train/data.hpp"
#include "train/export.hpp"
#include "train/model.hpp"

namespace bitnet {

namespace {

// Activations may use up to three quarters of the machine's memory.
size_t memory_limit() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return size_t{8} << 30;
    return static_cast<size_t>(pages) * static_cast<size_t>(page) / 4 * 3;
}

int thread_count(int requested) {
    if (requested > 0) return requested;
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double evaluate(TrainModel& model, const float* params, const std::vector<int32_t>& val, int32_t bos, int64_t len,
                bool qat, int64_t batch, int64_t max_chunks) {
    const int64_t chunks = validation_chunks(val, len, max_chunks);
    if (chunks <= 0) fail(strprintf("train: the validation text needs at least %lld tokens", static_cast<long long>(len)));
    TokenBatch b;
    double sum = 0.0;
    int64_t scored = 0;
    for (int64_t c = 0; c < chunks; c += batch) {
        validation_batch(val, len, bos, c, std::min(batch, chunks - c), b);
        model.forward(params, {b.inputs.data(), b.targets.data(), b.n_seq, b.len}, qat, false);
        for (int64_t t = 0; t < b.n_seq * b.len; ++t) sum += model.row_loss()[static_cast<size_t>(t)];
        scored += model.last_scored();
    }
    return scored > 0 ? sum / static_cast<double>(scored) : 0.0;
}

class Run {
public:
    Run(const TrainOptions& o, const std::vector<int32_t>& train, const std::vector<int32_t>& val, const Vocab& vocab)
        : o_(o), train_(train), val_(val), vocab_(vocab), layout_(o.run.shape), pool_(thread_count(o.n_threads)),
          model_(layout_, pool_, o.run.batch, memory_limit()), adam_(layout_) {}

    TrainResult run();

private:
    void start();
    void step(int64_t s);
    void validate(int64_t steps_done);
    void save(int64_t steps_done);
    void log(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

    const TrainOptions& o_;
    const std::vector<int32_t>& train_;
    const std::vector<int32_t>& val_;
    const Vocab& vocab_;
    ParamLayout layout_;
    ThreadPool pool_;
    TrainModel model_;
    AdamW adam_;
    std::vector<float> params_, grads_;
    TokenBatch batch_;
    TrainResult result_;
    int64_t first_step_ = 0;
    std::unique_ptr<FILE, int (*)(FILE*)> log_{nullptr, &std::fclose};
};

void Run::log(const char* fmt, ...) {
    if (!log_) return;
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(log_.get(), fmt, ap);
    va_end(ap);
    std::fflush(log_.get());
}

void Run::start() {
    const RunSettings& r = o_.run;
    if (vocab_.size() != r.shape.n_vocab) {
        fail(strprintf("train: the vocabulary has %d tokens, the model %lld", vocab_.size(), static_cast<long long>(r.shape.n_vocab)));
    }
    if (vocab_.bos_id < 0) fail("train: the vocabulary has no BOS token");
    if (r.steps <= 0 || r.warmup < 0 || r.batch <= 0 || !(r.lr > 0.0f) || !(r.lr2 >= 0.0f) || !(r.weight_decay >= 0.0f) ||
        !(r.clip >= 0.0f) || r.float_steps < 0) {
        fail("train: --steps and --batch must be positive, --lr positive, --lr2, --wd, --clip, --warmup and --float-steps "
             "not negative");
    }
    for (const std::vector<int32_t>* v : {&train_, &val_}) {
        for (int32_t id : *v) {
            if (id < 0 || id >= r.shape.n_vocab) fail(strprintf("train: token id %d is outside the vocabulary", id));
        }
    }
    grads_.assign(layout_.n_floats, 0.0f);
    if (o_.resume) {
        TrainingCheckpoint c = load_checkpoint(o_.checkpoint);
        require_same_settings(c.settings, r);
        params_ = std::move(c.params);
        adam_.m() = std::move(c.m);
        adam_.v() = std::move(c.v);
        first_step_ = c.step;
        result_.best_val = c.best_val;
    } else {
        params_ = init_params(layout_, r.seed);
    }
    if (!o_.log.empty()) {
        log_.reset(std::fopen(o_.log.c_str(), o_.resume ? "a" : "w"));
        if (!log_) fail(strprintf("train: cannot write the log %s", o_.log.c_str()));
        if (!o_.resume) log("step\tlr\tloss\tgrad_norm\tval_loss\n");
    }
}

void Run::step(int64_t s) {
    const RunSettings& r = o_.run;
    ScheduleOptions so{r.steps, r.warmup, r.lr, r.lr2, r.weight_decay};
    const StepHyper h = schedule_at(so, s);
    sample_train_batch(train_, r.seed, s, r.batch, r.shape.n_ctx, vocab_.bos_id, batch_);
    std::fill(grads_.begin(), grads_.end(), 0.0f);
    const bool qat = s >= r.float_steps;
    const double loss = model_.forward(params_.data(), {batch_.inputs.data(), batch_.targets.data(), batch_.n_seq, batch_.len},
                                       qat, true);
    model_.backward(params_.data(), grads_.data());
    const double norm = adam_.clip(pool_, grads_.data(), r.clip);
    adam_.update(pool_, params_.data(), grads_.data(), s, h);
    result_.curve.push_back({s, loss, norm, h.lr});
    log("%lld\t%.6g\t%.6f\t%.4f\t\n", static_cast<long long>(s), static_cast<double>(h.lr), loss, norm);
}

void Run::validate(int64_t steps_done) {
    const bool qat = steps_done > o_.run.float_steps;
    const double v = evaluate(model_, params_.data(), val_, vocab_.bos_id, o_.run.shape.n_ctx, qat, o_.run.batch, o_.val_chunks);
    result_.val.push_back({steps_done, v});
    log("%lld\t\t\t\t%.6f\n", static_cast<long long>(steps_done), v);
    // In a float warm-start the float losses are not comparable with the ternary ones that follow.
    const bool counts = qat || o_.run.float_steps >= o_.run.steps;
    const bool best = counts && (result_.best_val == 0.0 || v < result_.best_val);
    if (best) result_.best_val = v;
    // Only ternary-trained weights are meaningful as I2_S; a float phase is not exported.
    if (best && qat && !o_.output.empty()) export_gguf(layout_, params_.data(), vocab_, o_.model_name, o_.output);
}

void Run::save(int64_t steps_done) {
    if (o_.checkpoint.empty()) return;
    TrainingCheckpoint c;
    c.settings = o_.run;
    c.step = steps_done;
    c.best_val = result_.best_val;
    c.params = params_;
    c.m = adam_.m();
    c.v = adam_.v();
    save_checkpoint(o_.checkpoint, c);
}

TrainResult Run::run() {
    start();
    const RunSettings& r = o_.run;
    const int64_t stop = o_.stop_at < 0 ? r.steps : std::min(o_.stop_at, r.steps);
    ProgressBar bar("train", static_cast<size_t>(r.steps), o_.progress);
    double train_seconds = 0.0;
    int64_t last_val = -1;
    for (int64_t s = first_step_; s < stop; ++s) {
        const auto t0 = std::chrono::steady_clock::now();
        step(s);
        train_seconds += seconds_since(t0);
        const int64_t done = s + 1;
        const double tps = static_cast<double>((done - first_step_) * r.batch * r.shape.n_ctx) / train_seconds;
        if (o_.eval_every > 0 && done % o_.eval_every == 0) {
            validate(done);
            last_val = done;
        }
        if (o_.checkpoint_every > 0 && done % o_.checkpoint_every == 0) save(done);
        std::string detail = strprintf("loss %.3f", result_.curve.back().loss);
        if (!result_.val.empty()) detail += strprintf(" | val %.3f", result_.val.back().loss);
        bar.update(static_cast<size_t>(done), detail + strprintf(" | %.0f tok/s", tps));
        result_.tokens_per_second = tps;
    }
    if (stop > first_step_ && last_val != stop && stop == r.steps) validate(stop);
    if (stop > first_step_) save(stop);
    bar.finish(result_.val.empty() ? "" : strprintf("best val %.4f", result_.best_val));
    result_.steps_done = std::max(stop, first_step_);
    return std::move(result_);
}

}  // namespace

TrainResult train(const TrainOptions& options, const std::vector<int32_t>& train_tokens,
                  const std::vector<int32_t>& val_tokens, const Vocab& vocab) {
    validate_shape(options.run.shape);
    if (options.resume && options.checkpoint.empty()) fail("train: --resume needs --checkpoint FILE");
    Run run(options, train_tokens, val_tokens, vocab);
    return run.run();
}

double validation_loss(const TrainShape& shape, const float* params, const std::vector<int32_t>& val_tokens, int32_t bos,
                       bool qat, int64_t batch, int64_t max_chunks, int n_threads) {
    const ParamLayout layout(shape);
    ThreadPool pool(thread_count(n_threads));
    TrainModel model(layout, pool, batch, memory_limit());
    return evaluate(model, params, val_tokens, bos, shape.n_ctx, qat, batch, max_chunks);
}

}  // namespace bitnet
