#pragma once
// `bitnet bench`: llama-bench-style throughput. pp<N>: N prompt tokens in one batch from an empty
// cache; tg<N>: N tokens generated one at a time from an empty cache; tg<N> x<P> (--parallel P):
// P sequences each generating N tokens, one forward pass per step for all of them (the server's
// batched decode without HTTP), reported as aggregate tokens/s. For tg it also reports the
// memory-bandwidth roofline: the bytes one generated token reads (weights, LM head, KV cache)
// against this machine's measured read bandwidth.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"

namespace bitnet {

struct LoadedModel;
class ThreadPool;

struct BenchOptions {
    int n_prompt = 128;
    int n_gen = 128;
    int repetitions = 5;
    int n_depth = 0;  // tokens already in the KV cache when each test starts
    int n_threads = 0;  // 0: all cores
    int n_parallel = 1;  // > 1: also tgN xP, P sequences decoded together (one batch per step)
};

struct BenchResult {
    std::string test;  // "pp128", "tg128", "tg128 x8"
    int n_prompt = 0, n_gen = 0, n_depth = 0, n_threads = 0;
    int n_parallel = 1;  // sequences per decode step; t/s is their aggregate
    std::vector<double> samples_ts;
    double avg_ts = 0.0, stddev_ts = 0.0, median_ts = 0.0;
    // tg only: the bandwidth bound.
    double bytes_per_token = 0.0;
    double bandwidth_gbs = 0.0;
    double roofline_ts = 0.0;
    double roofline_pct = 0.0;
};

std::vector<BenchResult> run_bench(const std::shared_ptr<const LoadedModel>& model, const BenchOptions& options);

// Bytes the decode of one token at context position `pos` reads from memory.
double bytes_per_generated_token(const LoadedModel& model, int64_t pos, bool kv_f16);
// Sustained read bandwidth (bytes/s) of `n_threads` threads streaming a buffer much larger than
// the caches; measure() may be called repeatedly (the buffer and threads are kept).
class BandwidthProbe {
public:
    explicit BandwidthProbe(int n_threads, size_t bytes = size_t{512} << 20);
    ~BandwidthProbe();
    double measure(int passes = 2);

private:
    AlignedBuffer<uint64_t> buf_;
    std::unique_ptr<ThreadPool> pool_;
};

std::string bench_table(const LoadedModel& model, const std::vector<BenchResult>& results);
std::string bench_json(const LoadedModel& model, const std::vector<BenchResult>& results);

}  // namespace bitnet
