#include "tools/bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/aligned_buffer.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/dense_types.hpp"
#include "quant/types.hpp"
#include "runtime/context.hpp"

namespace bitnet {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

size_t ternary_bytes(const TernaryMatrix& m) { return m.row_stride * static_cast<size_t>(m.rows); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

void summarize(BenchResult& r) {
    const auto n = static_cast<double>(r.samples_ts.size());
    double sum = 0.0;
    for (double v : r.samples_ts) sum += v;
    r.avg_ts = sum / n;
    double var = 0.0;
    for (double v : r.samples_ts) var += (v - r.avg_ts) * (v - r.avg_ts);
    r.stddev_ts = r.samples_ts.size() > 1 ? std::sqrt(var / (n - 1.0)) : 0.0;
    r.median_ts = median(r.samples_ts);
}

std::vector<int32_t> random_tokens(int n, int64_t n_vocab, uint64_t seed) {
    Rng rng(seed);
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& id : t) id = static_cast<int32_t>(rng.below(static_cast<uint64_t>(n_vocab)));
    return t;
}

// "bitnet-b1.58 2.4B I2_S bits2 Q6_K": architecture, size, stored ternary type, the layout the
// weights are used in, and the LM head's type (after any --head-type).
std::string model_type(const LoadedModel& m) {
    const double params = static_cast<double>(m.n_params());
    const std::string size = params >= 1e9 ? strprintf("%.1fB", params / 1e9) : strprintf("%.0fM", params / 1e6);
    std::string type = "?";
    if (const GgufTensor* t = m.file.find_tensor("blk.0.attn_q.weight")) type = type_name(t->type);
    for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!m.weights.layers.empty()) type += std::string(" ") + layout_name(m.weights.layers[0].wq.layout);
    return m.config.arch_name + " " + size + " " + type + " " + dense_traits(m.weights.output.type).name;
}

}  // namespace

double bytes_per_generated_token(const LoadedModel& model, int64_t pos, bool kv_f16) {
    const ModelWeights& w = model.weights;
    const ModelConfig& c = model.config;
    double bytes = 0.0;
    for (const LayerWeights& L : w.layers) {
        for (const TernaryMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
            bytes += static_cast<double>(ternary_bytes(*m));
        }
        bytes += static_cast<double>((2 * c.n_embd + c.q_dim() + c.n_ff) * 4);  // norms
    }
    bytes += static_cast<double>(w.output.row_stride) * static_cast<double>(w.output.rows);
    bytes += static_cast<double>(w.embd_row_bytes);
    // K and V of every cached position, every layer.
    bytes += static_cast<double>(pos) * static_cast<double>(c.n_layer * 2 * c.kv_dim()) * (kv_f16 ? 2.0 : 4.0);
    return bytes;
}

BandwidthProbe::BandwidthProbe(int n_threads, size_t bytes)
    : buf_(bytes / 8, PageHint::huge), pool_(std::make_unique<ThreadPool>(n_threads)) {
    pool_->parallel_for(buf_.size(), 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) buf_[i] = i;
    });
}

BandwidthProbe::~BandwidthProbe() = default;

double BandwidthProbe::measure(int passes) {
    std::vector<uint64_t> sink(static_cast<size_t>(pool_->size()));
    double best = 0.0;
    for (int rep = 0; rep < passes; ++rep) {
        const auto t0 = Clock::now();
        pool_->run([&](int t) {
            const auto r = ThreadPool::split(buf_.size(), 4096, t, pool_->size());
            uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (size_t i = r.begin; i + 4 <= r.end; i += 4) {
                a0 += buf_[i];
                a1 += buf_[i + 1];
                a2 += buf_[i + 2];
                a3 += buf_[i + 3];
            }
            sink[static_cast<size_t>(t)] = a0 + a1 + a2 + a3;
        });
        best = std::max(best, static_cast<double>(buf_.size() * 8) / seconds_since(t0));
    }
    volatile uint64_t keep = sink[0];
    (void)keep;
    // The probe's workers spin briefly before they sleep: let them park so that they do not compete
    // with whatever is timed next.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return best;
}

namespace {

// tg<n_gen> x<P>: P sequences of n_depth random tokens, then n_gen steps that each evaluate one new
// token of every sequence in one decode_batch (as the server's decode step does).
BenchResult run_parallel_decode(const std::shared_ptr<const LoadedModel>& model, const BenchOptions& o, int n_threads) {
    ContextOptions co;
    co.n_seq = o.n_parallel;
    co.n_ctx = o.n_depth + o.n_gen + 1;
    co.n_batch = std::max({o.n_parallel, std::min(o.n_depth, 512), 1});
    co.n_threads = n_threads;
    InferenceContext ctx(model, co);
    const int64_t n_vocab = ctx.n_vocab();
    const auto depth_tokens = random_tokens(o.n_depth, n_vocab, 3);
    const auto tokens = random_tokens(o.n_gen * o.n_parallel, n_vocab, 4);
    std::vector<BatchToken> step(static_cast<size_t>(o.n_parallel));
    std::vector<float> logits(static_cast<size_t>(o.n_parallel) * static_cast<size_t>(n_vocab));
    auto run_steps = [&](int n_steps) {
        for (int i = 0; i < n_steps; ++i) {
            for (int s = 0; s < o.n_parallel; ++s) {
                step[static_cast<size_t>(s)] = {s, tokens[static_cast<size_t>(i * o.n_parallel + s)], true};
            }
            ctx.decode_batch(step, logits);
        }
    };
    auto reset = [&] {
        for (int s = 0; s < o.n_parallel; ++s) {
            if (ctx.n_past(s) < o.n_depth) {
                ctx.reset(s);
                if (o.n_depth > 0) ctx.decode(depth_tokens, s);
            }
            ctx.truncate(o.n_depth, s);
        }
    };
    BenchResult r;
    r.test = "tg" + std::to_string(o.n_gen) + " x" + std::to_string(o.n_parallel) +
             (o.n_depth > 0 ? " @ d" + std::to_string(o.n_depth) : "");
    r.n_gen = o.n_gen;
    r.n_depth = o.n_depth;
    r.n_threads = n_threads;
    r.n_parallel = o.n_parallel;
    reset();
    run_steps(std::min(o.n_gen, 4));  // warm-up
    for (int rep = 0; rep < o.repetitions; ++rep) {
        reset();
        const auto t0 = Clock::now();
        run_steps(o.n_gen);
        r.samples_ts.push_back(static_cast<double>(o.n_gen) * o.n_parallel / seconds_since(t0));
    }
    summarize(r);
    return r;
}

}  // namespace

std::vector<BenchResult> run_bench(const std::shared_ptr<const LoadedModel>& model, const BenchOptions& o) {
    if (o.n_prompt < 0 || o.n_gen < 0 || (o.n_prompt == 0 && o.n_gen == 0)) fail("bench: nothing to measure");
    if (o.repetitions < 1) fail("bench: -r must be at least 1");
    if (o.n_depth < 0) fail("bench: -d must not be negative");
    if (o.n_parallel < 1 || o.n_parallel > 512) fail("bench: --parallel must be between 1 and 512");
    if (o.n_parallel > 1 && o.n_gen == 0) fail("bench: --parallel measures generation; give -n");
    const int n_threads =
        o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ContextOptions co;
    co.n_ctx = o.n_depth + std::max(o.n_prompt, o.n_gen) + 1;
    co.n_batch = std::max({o.n_prompt, std::min(o.n_depth, 512), 1});
    co.n_threads = n_threads;
    InferenceContext ctx(model, co);
    const int64_t n_vocab = ctx.n_vocab();
    std::vector<BenchResult> results;
    // -d: every repetition starts with n_depth tokens in the cache (filled once, then the cache is
    // cut back to them), so pp and tg include the attention over a long context.
    const auto depth_tokens = random_tokens(o.n_depth, n_vocab, 3);
    const std::string at_depth = o.n_depth > 0 ? " @ d" + std::to_string(o.n_depth) : "";
    auto reset = [&] {
        if (ctx.n_past() < o.n_depth) {
            ctx.reset();
            ctx.decode(depth_tokens);
        }
        ctx.truncate(o.n_depth);
    };

    if (o.n_prompt > 0) {
        BenchResult r;
        r.test = "pp" + std::to_string(o.n_prompt) + at_depth;
        r.n_prompt = o.n_prompt;
        r.n_depth = o.n_depth;
        r.n_threads = n_threads;
        const auto tokens = random_tokens(o.n_prompt, n_vocab, 1);
        reset();
        ctx.decode(std::span(tokens).first(std::min<size_t>(tokens.size(), 16)));  // warm-up
        for (int rep = 0; rep < o.repetitions; ++rep) {
            reset();
            const auto t0 = Clock::now();
            ctx.decode(tokens);
            r.samples_ts.push_back(o.n_prompt / seconds_since(t0));
        }
        summarize(r);
        results.push_back(r);
    }
    if (o.n_gen > 0) {
        BenchResult r;
        r.test = "tg" + std::to_string(o.n_gen) + at_depth;
        r.n_gen = o.n_gen;
        r.n_depth = o.n_depth;
        r.n_threads = n_threads;
        const auto tokens = random_tokens(o.n_gen, n_vocab, 2);
        r.bytes_per_token = bytes_per_generated_token(*model, o.n_depth + o.n_gen / 2, co.kv_type == KvType::f16);
        // The bandwidth is measured right before each repetition: on shared machines it drifts
        // by tens of percent within seconds, so each run is compared with its own bound.
        BandwidthProbe probe(n_threads);
        std::vector<double> bandwidth, pct;
        reset();
        for (int i = 0; i < std::min(o.n_gen, 4); ++i) ctx.decode(std::span(tokens).subspan(static_cast<size_t>(i), 1));
        for (int rep = 0; rep < o.repetitions; ++rep) {
            reset();
            const double bw = probe.measure();
            const auto t0 = Clock::now();
            for (int i = 0; i < o.n_gen; ++i) ctx.decode(std::span(tokens).subspan(static_cast<size_t>(i), 1));
            const double ts = o.n_gen / seconds_since(t0);
            r.samples_ts.push_back(ts);
            bandwidth.push_back(bw);
            pct.push_back(100.0 * ts * r.bytes_per_token / bw);
        }
        summarize(r);
        r.bandwidth_gbs = median(bandwidth) / 1e9;
        r.roofline_ts = r.bandwidth_gbs * 1e9 / r.bytes_per_token;
        r.roofline_pct = median(pct);
        results.push_back(r);
    }
    if (o.n_parallel > 1) results.push_back(run_parallel_decode(model, o, n_threads));
    return results;
}

std::string bench_table(const LoadedModel& model, const std::vector<BenchResult>& results) {
    const std::string type = model_type(model);
    const auto bytes = static_cast<double>(model.file.file_size());
    const auto n_params = static_cast<double>(model.n_params());
    const std::string size =
        bytes >= (1u << 30) ? strprintf("%.2f GiB", bytes / (1u << 30)) : strprintf("%.2f MiB", bytes / (1u << 20));
    const std::string params = n_params >= 1e9 ? strprintf("%.2f B", n_params / 1e9) : strprintf("%.2f M", n_params / 1e6);
    const char* isa = isa_name(kernels().isa);
    std::string out = strprintf("| %-34s | %10s | %8s | %6s | %7s | %14s | %16s |\n", "model", "size", "params", "isa",
                                "threads", "test", "t/s");
    out += "| " + std::string(34, '-') + " | " + std::string(9, '-') + ": | " + std::string(7, '-') + ": | " +
           std::string(6, '-') + " | " + std::string(6, '-') + ": | " + std::string(13, '-') + ": | " +
           std::string(15, '-') + ": |\n";
    for (const BenchResult& r : results) {
        out += strprintf("| %-34s | %10s | %8s | %6s | %7d | %14s | %8.2f ± %5.2f |\n", type.c_str(), size.c_str(),
                         params.c_str(), isa, r.n_threads, r.test.c_str(), r.avg_ts, r.stddev_ts);
    }
    const BenchResult* single = nullptr;
    for (const BenchResult& r : results) {
        if (r.n_gen > 0 && r.n_parallel == 1) single = &r;
        if (r.n_parallel > 1 && single != nullptr) {
            out += strprintf("\n%s: %d sequences per decode step, %.2f t/s in all = %.2f x the single-stream %s\n",
                             r.test.c_str(), r.n_parallel, r.avg_ts, r.avg_ts / single->avg_ts, single->test.c_str());
        }
        if (r.n_gen == 0 || r.n_parallel > 1) continue;
        out += strprintf(
            "\nroofline %s: %.1f MB read per token (weights, head, KV at position %d) at %.1f GB/s measured read "
            "bandwidth (median) -> bound %.1f t/s; median %.2f t/s; %.1f %% of the bound (median over repetitions, "
            "each against the bandwidth measured just before it)\n",
            r.test.c_str(), r.bytes_per_token / 1e6, r.n_depth + r.n_gen / 2, r.bandwidth_gbs, r.roofline_ts, r.median_ts,
            r.roofline_pct);
    }
    return out;
}

std::string bench_json(const LoadedModel& model, const std::vector<BenchResult>& results) {
    nlohmann::json arr = nlohmann::json::array();
    for (const BenchResult& r : results) {
        nlohmann::json j = {{"test", r.test},
                            {"n_prompt", r.n_prompt},
                            {"n_gen", r.n_gen},
                            {"n_depth", r.n_depth},
                            {"n_threads", r.n_threads},
                            {"n_parallel", r.n_parallel},
                            {"avg_ts", r.avg_ts},
                            {"stddev_ts", r.stddev_ts},
                            {"median_ts", r.median_ts},
                            {"samples_ts", r.samples_ts},
                            {"model_size", model.file.file_size()},
                            {"model_n_params", model.n_params()},
                            {"model_type", model_type(model)},
                            {"model_filename", model.file.path()},
                            {"isa", isa_name(kernels().isa)},
                            {"weight_layout", layout_name(model.weights.ternary_layout)},
                            {"head_type", type_name(model.weights.output_type)}};
        if (r.n_gen > 0 && r.n_parallel == 1) {
            j["bytes_per_token"] = r.bytes_per_token;
            j["bandwidth_gbs"] = r.bandwidth_gbs;
            j["roofline_ts"] = r.roofline_ts;
            j["roofline_pct"] = r.roofline_pct;
        }
        arr.push_back(std::move(j));
    }
    return arr.dump(2);
}

}  // namespace bitnet
