// Micro-benchmarks of the kernel tables at the BitNet-b1.58-2B-4T shapes (n_embd 2560, n_ff 6912).
// Every benchmark is registered once per ISA this CPU runs (BITNET_BENCH_ISA=avx2,... restricts
// the list). Weight sets are larger than the last-level cache and cycled, so GEMV figures are
// DRAM streaming rates; "-t2" variants split rows over two threads with core/thread_pool.hpp.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/fp16.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/dense_types.hpp"
#include "kernels/kernels.hpp"

using namespace bitnet;

namespace {

constexpr int64_t kEmbd = 2560, kFf = 6912, kLayers = 30;
constexpr size_t kStreamBytes = size_t{192} << 20;  // > L3, so GEMV reads come from DRAM

ThreadPool& pool2() {
    static ThreadPool pool(2);
    return pool;
}

// Splits rows [0, rows) over `threads` threads in multiples of 16 and runs fn(row_begin, row_end).
template <class F>
void run_rows(int threads, int64_t rows, F&& fn) {
    if (threads == 1) {
        fn(int64_t{0}, rows);
        return;
    }
    pool2().run([&](int thread) {
        const auto range = ThreadPool::split(static_cast<size_t>(rows), 16, thread, 2);
        if (range.begin < range.end) fn(static_cast<int64_t>(range.begin), static_cast<int64_t>(range.end));
    });
}

struct Shape {
    const char* name;
    int64_t rows, cols;
};
const Shape kShapes[] = {{"q_o", kEmbd, kEmbd}, {"k_v", 640, kEmbd}, {"gate_up", kFf, kEmbd}, {"down", kEmbd, kFf}};

// Enough copies of one ternary matrix to exceed the cache; the benchmark cycles through them.
struct TernarySet {
    WeightLayout layout;
    int64_t rows, cols;
    size_t matrix_bytes;
    AlignedBuffer<uint8_t> data;
    std::vector<float> row_scale;
    int copies;

    TernarySet(WeightLayout l, int64_t r, int64_t c, size_t min_bytes) : layout(l), rows(r), cols(c) {
        const size_t row_bytes = layout_row_bytes(l, c);
        matrix_bytes = row_bytes * static_cast<size_t>(r);
        copies = static_cast<int>((min_bytes + matrix_bytes - 1) / matrix_bytes);
        if (copies < 1) copies = 1;
        data.reset(matrix_bytes * static_cast<size_t>(copies));
        Rng rng(1);
        std::vector<int8_t> v(static_cast<size_t>(c));
        for (int64_t i = 0; i < r * copies; ++i) {
            for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng.below(3)) - 1);
            layout_pack_row(l, v.data(), c, data.data() + static_cast<size_t>(i) * row_bytes);
        }
        row_scale.assign(static_cast<size_t>(r), 0.75f);
    }
    TernaryMatrix matrix(int copy) const {
        TernaryMatrix m;
        m.layout = layout;
        m.rows = rows;
        m.cols = cols;
        m.data = data.data() + matrix_bytes * static_cast<size_t>(copy);
        m.row_stride = layout_row_bytes(layout, cols);
        m.row_scale = row_scale.data();
        return m;
    }
};

struct QuantActs {
    size_t stride;
    AlignedBuffer<int8_t> q;
    std::vector<ActScale> scales;
    QuantActs(const KernelTable& t, WeightLayout layout, int64_t cols, int64_t n_tokens)
        : stride(static_cast<size_t>(layout_padded_k(layout, cols))),
          q(stride * static_cast<size_t>(n_tokens)),
          scales(static_cast<size_t>(n_tokens)) {
        Rng rng(2);
        std::vector<float> x(static_cast<size_t>(cols));
        for (int64_t tok = 0; tok < n_tokens; ++tok) {
            for (auto& v : x) v = static_cast<float>(rng.normal());
            t.quantize_acts(x.data(), cols, layout, q.data() + static_cast<size_t>(tok) * stride, &scales[tok]);
        }
    }
};

void ternary_gemv(benchmark::State& state, const KernelTable* t, WeightLayout layout, Shape shape, int threads) {
    const TernarySet set(layout, shape.rows, shape.cols, kStreamBytes);
    const QuantActs acts(*t, layout, shape.cols, 1);
    std::vector<float> out(static_cast<size_t>(shape.rows));
    int copy = 0;
    for (auto _ : state) {
        const TernaryMatrix m = set.matrix(copy);
        run_rows(threads, shape.rows, [&](int64_t b, int64_t e) {
            t->ternary_matmul(m, b, e, acts.q.data(), acts.stride, acts.scales.data(), 1, out.data(), out.size());
        });
        benchmark::DoNotOptimize(out.data());
        copy = (copy + 1) % set.copies;
    }
    state.counters["GB/s"] =
        benchmark::Counter(static_cast<double>(set.matrix_bytes), benchmark::Counter::kIsIterationInvariantRate,
                           benchmark::Counter::OneK::kIs1000);
    state.counters["GB/s"].value /= 1e9;
}

// All ternary matrices of 8 layers back to back for n_tokens tokens: the decode weight stream of
// one sequence (n_tokens = 1) or of a server step decoding n_tokens sequences together.
void ternary_decode_layers(benchmark::State& state, const KernelTable* t, WeightLayout layout, int64_t n_tokens,
                           int threads) {
    constexpr int kLayersHeld = 8;
    std::vector<std::unique_ptr<TernarySet>> mats;
    size_t bytes = 0;
    for (int l = 0; l < kLayersHeld; ++l) {
        for (const Shape& s : {kShapes[0], kShapes[1], kShapes[1], kShapes[0], kShapes[2], kShapes[2], kShapes[3]}) {
            mats.push_back(std::make_unique<TernarySet>(layout, s.rows, s.cols, 0));
            bytes += mats.back()->matrix_bytes;
        }
    }
    const QuantActs a_embd(*t, layout, kEmbd, n_tokens), a_ff(*t, layout, kFf, n_tokens);
    std::vector<float> out(static_cast<size_t>(kFf * n_tokens));
    for (auto _ : state) {
        for (const auto& m : mats) {
            const QuantActs& a = m->cols == kEmbd ? a_embd : a_ff;
            const TernaryMatrix tm = m->matrix(0);
            run_rows(threads, m->rows, [&](int64_t b, int64_t e) {
                t->ternary_matmul(tm, b, e, a.q.data(), a.stride, a.scales.data(), n_tokens, out.data(),
                                  static_cast<size_t>(kFf));
            });
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["GMAC/s"] = benchmark::Counter(
        static_cast<double>(kLayersHeld) * 2.0854e9 / kLayers * static_cast<double>(n_tokens) / 1e9,
        benchmark::Counter::kIsIterationInvariantRate);
    state.counters["GB/s"] =
        benchmark::Counter(static_cast<double>(bytes) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    // Ternary-only decode rate (tokens of all sequences) of the full 30-layer model.
    state.counters["tok/s"] = benchmark::Counter(static_cast<double>(kLayersHeld * n_tokens) / kLayers,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void ternary_gemm(benchmark::State& state, const KernelTable* t, WeightLayout layout, Shape shape, int64_t n_tokens,
                  int threads) {
    const TernarySet set(layout, shape.rows, shape.cols, 0);
    const QuantActs acts(*t, layout, shape.cols, n_tokens);
    std::vector<float> out(static_cast<size_t>(shape.rows * n_tokens));
    for (auto _ : state) {
        const TernaryMatrix m = set.matrix(0);
        run_rows(threads, shape.rows, [&](int64_t b, int64_t e) {
            t->ternary_matmul(m, b, e, acts.q.data(), acts.stride, acts.scales.data(), n_tokens, out.data(),
                              static_cast<size_t>(shape.rows));
        });
        benchmark::DoNotOptimize(out.data());
    }
    const double macs = static_cast<double>(shape.rows * shape.cols * n_tokens);
    state.counters["GMAC/s"] = benchmark::Counter(macs / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["GOPS"] = benchmark::Counter(2.0 * macs / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    // 2B-4T: 2.085 G ternary MACs per token.
    state.counters["model_tok/s"] = benchmark::Counter(macs / 2.0854e9, benchmark::Counter::kIsIterationInvariantRate);
}

struct DenseSet {
    DenseType type;
    int64_t rows, cols;
    size_t row_bytes = 0;
    AlignedBuffer<uint8_t> data;
    DenseSet(DenseType ty, int64_t r, int64_t c) : type(ty), rows(r), cols(c) {
        switch (ty) {
            case DenseType::f32: row_bytes = static_cast<size_t>(c) * 4; break;
            case DenseType::f16:
            case DenseType::bf16: row_bytes = static_cast<size_t>(c) * 2; break;
            case DenseType::q8_0: row_bytes = static_cast<size_t>(c / 32) * 34; break;
            case DenseType::q6_k: row_bytes = static_cast<size_t>(c / 256) * 210; break;
        }
        data.reset(row_bytes * static_cast<size_t>(r));
        Rng rng(3);
        // Random bytes are valid Q8_0 / Q6_K data once the f16 scales are made finite.
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(rng.next());
        for (int64_t row = 0; row < r; ++row) {
            uint8_t* p = data.data() + static_cast<size_t>(row) * row_bytes;
            if (ty == DenseType::f16 || ty == DenseType::bf16) {
                for (int64_t k = 0; k < c; ++k) {
                    const uint16_t h = ty == DenseType::f16 ? f32_to_fp16(static_cast<float>(rng.normal()))
                                                            : f32_to_bf16(static_cast<float>(rng.normal()));
                    std::memcpy(p + 2 * k, &h, 2);
                }
            } else if (ty == DenseType::f32) {
                for (int64_t k = 0; k < c; ++k) {
                    const float f = static_cast<float>(rng.normal());
                    std::memcpy(p + 4 * k, &f, 4);
                }
            } else if (ty == DenseType::q8_0) {
                for (int64_t b = 0; b < c / 32; ++b) {
                    const uint16_t d = f32_to_fp16(0.01f);
                    std::memcpy(p + 34 * b, &d, 2);
                }
            } else {
                for (int64_t b = 0; b < c / 256; ++b) {
                    const uint16_t d = f32_to_fp16(0.001f);
                    std::memcpy(p + 210 * b + 208, &d, 2);
                }
            }
        }
    }
    DenseMatrix matrix() const { return {type, rows, cols, data.data(), row_bytes}; }
};

// Activations in the form dense_matmul expects for the type (f32 rows, Q8_0 or Q8_K blocks).
struct DenseActs {
    size_t stride;
    AlignedBuffer<uint8_t> data;
    DenseActs(const KernelTable& t, DenseType type, int64_t cols, int64_t n_tokens) {
        const DenseTypeTraits& traits = dense_traits(type);
        stride = traits.act_row_bytes(cols);
        data.reset(stride * static_cast<size_t>(n_tokens));
        Rng rng(4);
        std::vector<float> x(static_cast<size_t>(cols));
        for (int64_t tok = 0; tok < n_tokens; ++tok) {
            for (auto& v : x) v = static_cast<float>(rng.normal());
            uint8_t* dst = data.data() + static_cast<size_t>(tok) * stride;
            traits.prepare_acts(t, x.data(), cols, dst);
        }
    }
};

void dense_matmul(benchmark::State& state, const KernelTable* t, DenseType type, int64_t rows, int64_t n_tokens,
                  int threads) {
    const DenseSet set(type, rows, kEmbd);
    const DenseActs acts(*t, type, kEmbd, n_tokens);
    std::vector<float> out(static_cast<size_t>(rows * n_tokens));
    for (auto _ : state) {
        run_rows(threads, rows, [&](int64_t b, int64_t e) {
            t->dense_matmul[dense_index(type)](set.matrix(), b, e, acts.data.data(), acts.stride, n_tokens, out.data(),
                            static_cast<size_t>(rows));
        });
        benchmark::DoNotOptimize(out.data());
    }
    const double bytes = static_cast<double>(set.row_bytes) * static_cast<double>(rows);
    state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(rows * kEmbd * n_tokens) / 1e9,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

void quantize_acts(benchmark::State& state, const KernelTable* t, WeightLayout layout, int64_t k) {
    Rng rng(5);
    std::vector<float> x(static_cast<size_t>(k));
    for (auto& v : x) v = static_cast<float>(rng.normal());
    std::vector<int8_t> q(static_cast<size_t>(layout_padded_k(layout, k)));
    ActScale s;
    for (auto _ : state) {
        t->quantize_acts(x.data(), k, layout, q.data(), &s);
        benchmark::DoNotOptimize(q.data());
    }
    state.counters["Gelem/s"] =
        benchmark::Counter(static_cast<double>(k) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void attention(benchmark::State& state, const KernelTable* t, bool f16, int64_t n_pos) {
    constexpr int kHeads = 4, kDim = 128;
    Rng rng(6);
    std::vector<float> q(kHeads * kDim), out(kHeads * kDim), scratch(static_cast<size_t>(kHeads * n_pos));
    for (auto& v : q) v = static_cast<float>(rng.normal());
    const size_t n = static_cast<size_t>(n_pos) * kDim;
    std::vector<uint16_t> k16(n), v16(n);
    std::vector<float> k32(n), v32(n);
    for (size_t i = 0; i < n; ++i) {
        k32[i] = static_cast<float>(rng.normal());
        v32[i] = static_cast<float>(rng.normal());
        k16[i] = f32_to_fp16(k32[i]);
        v16[i] = f32_to_fp16(v32[i]);
    }
    const void* k = f16 ? static_cast<const void*>(k16.data()) : k32.data();
    const void* v = f16 ? static_cast<const void*>(v16.data()) : v32.data();
    for (auto _ : state) {
        t->attention(q.data(), kHeads, kDim, k, v, f16, kDim, n_pos, 0.088f, out.data(), scratch.data());
        benchmark::DoNotOptimize(out.data());
    }
    const double bytes = 2.0 * static_cast<double>(n) * (f16 ? 2 : 4);
    state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

#if defined(__x86_64__)
// The machine's int8 multiply-add ceiling: 16 independent vpdpbusd zmm chains on one core (inline
// assembly, so no compiler flags are needed; registered only where the CPU has AVX512-VNNI). The
// batched-decode figures in BENCHMARKS.md are put against this roofline.
void vnni_peak(benchmark::State& state) {
    constexpr int64_t kIters = 1 << 20;
    for (auto _ : state) {
        for (int64_t i = 0; i < kIters; ++i) {
            asm volatile(
                "vpdpbusd %%zmm30, %%zmm31, %%zmm0\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm1\n\t"
                "vpdpbusd %%zmm30, %%zmm31, %%zmm2\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm3\n\t"
                "vpdpbusd %%zmm30, %%zmm31, %%zmm4\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm5\n\t"
                "vpdpbusd %%zmm30, %%zmm31, %%zmm6\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm7\n\t"
                "vpdpbusd %%zmm30, %%zmm31, %%zmm8\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm9\n\t"
                "vpdpbusd %%zmm30, %%zmm31, %%zmm10\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm11\n\t"
                "vpdpbusd %%zmm30, %%zmm31, %%zmm12\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm13\n\t"
                "vpdpbusd %%zmm30, %%zmm31, %%zmm14\n\tvpdpbusd %%zmm30, %%zmm31, %%zmm15\n\t" ::
                    : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                      "xmm12", "xmm13", "xmm14", "xmm15");
        }
    }
    const double macs = 16.0 * 64.0 * static_cast<double>(kIters);
    state.counters["GMAC/s"] = benchmark::Counter(macs / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}
#endif

std::vector<const KernelTable*> bench_tables() {
    std::vector<const KernelTable*> tables;
    const char* only = std::getenv("BITNET_BENCH_ISA");
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512, Isa::neon}) {
        const KernelTable* t = kernels_for(isa);
        if (t == nullptr) continue;
        if (only != nullptr && *only != '\0') {
            if (std::string(",").append(only).append(",").find(std::string(",") + isa_name(isa) + ",") ==
                std::string::npos)
                continue;
        } else if (isa == Isa::scalar) {
            continue;  // far too slow for these shapes unless asked for
        }
        tables.push_back(t);
    }
    return tables;
}

void register_all() {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512vnni")) {
        benchmark::RegisterBenchmark("vnni_peak/one_core", vnni_peak)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
#endif
    for (const KernelTable* t : bench_tables()) {
        const std::string isa = isa_name(t->isa);
        for (WeightLayout layout : {WeightLayout::bits2, WeightLayout::base3}) {
            const std::string l = layout_name(layout);
            for (int threads : {1, 2}) {
                const std::string th = "/t" + std::to_string(threads);
                for (const Shape& s : kShapes) {
                    benchmark::RegisterBenchmark(("ternary_gemv/" + isa + "/" + l + "/" + s.name + th).c_str(),
                                                 ternary_gemv, t, layout, s, threads)
                        ->UseRealTime()
                        ->Unit(benchmark::kMicrosecond);
                }
                for (int64_t n : {1, 8, 32}) {
                    std::string name = "ternary_decode_8layers";
                    if (n > 1) name.append("x").append(std::to_string(n));
                    name.append("/").append(isa).append("/").append(l).append(th);
                    benchmark::RegisterBenchmark(name.c_str(),
                                                 ternary_decode_layers, t, layout, n, threads)
                        ->UseRealTime()
                        ->Unit(benchmark::kMillisecond);
                }
                // 128 tokens: prompt processing. 8 tokens on a cache-warm matrix: a server step's
                // arithmetic alone (ternary_decode_8layersx8 adds the weights' trip from DRAM).
                for (int64_t n : {128, 8}) {
                    for (const Shape& s : kShapes) {
                        benchmark::RegisterBenchmark(
                            ("ternary_gemm" + std::to_string(n) + "/" + isa + "/" + l + "/" + s.name + th).c_str(),
                            ternary_gemm, t, layout, s, n, threads)
                            ->UseRealTime()
                            ->Unit(benchmark::kMillisecond);
                    }
                }
            }
            for (int64_t k : {kEmbd, kFf}) {
                benchmark::RegisterBenchmark(("quantize_acts/" + isa + "/" + l + "/" + std::to_string(k)).c_str(),
                                             quantize_acts, t, layout, k);
            }
        }
        const std::pair<DenseType, const char*> dense[] = {{DenseType::f16, "f16"},
                                                           {DenseType::q8_0, "q8_0"},
                                                           {DenseType::q6_k, "q6_k"},
                                                           {DenseType::bf16, "bf16"},
                                                           {DenseType::f32, "f32"}};
        for (const auto& [type, name] : dense) {
            // 32768 head rows: 42-168 MB, beyond the cache like the full 128256-row head.
            for (int threads : {1, 2}) {
                benchmark::RegisterBenchmark(("head_gemv/" + isa + "/" + name + "/t" + std::to_string(threads)).c_str(),
                                             dense_matmul, t, type, int64_t{32768}, int64_t{1}, threads)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            }
            for (int threads : {1, 2}) {
                benchmark::RegisterBenchmark(
                    ("head_gemm64/" + isa + "/" + name + "/t" + std::to_string(threads)).c_str(), dense_matmul, t, type,
                    int64_t{4096}, int64_t{64}, threads)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            }
            // A server step decoding 8 sequences: every head row from DRAM, used by 8 tokens.
            benchmark::RegisterBenchmark(("head_gemm8/" + isa + "/" + name + "/t2").c_str(), dense_matmul, t, type,
                                         int64_t{32768}, int64_t{8}, 2)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
        for (bool f16 : {true, false}) {
            for (int64_t n_pos : {256, 1024, 4096}) {
                benchmark::RegisterBenchmark(
                    ("attention/" + isa + (f16 ? "/f16/" : "/f32/") + std::to_string(n_pos)).c_str(), attention, t, f16,
                    n_pos)
                    ->Unit(benchmark::kMicrosecond);
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
