#pragma once
// A persistent pool of worker threads (the caller is thread 0).
//
// parallel_for splits [0, n) into units of `grain` and gives each thread a contiguous share; a
// thread that finishes early takes the back half of another share, and a worker that has not
// even woken up yet (the OS gave its core to something else) is simply not waited for: its share
// is done by the others. Unit boundaries never depend on timing, so work whose result depends only
// on the unit (every row of a matrix product) is bit-identical for any thread count or schedule.
//
// run executes a job once on every thread and returns when all have finished; inside it,
// barrier() synchronises the threads between dependent phases.
//
// Idle workers spin briefly (decode issues thousands of small jobs per second), then sleep on a
// futex, so an idle pool costs no CPU.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

namespace bitnet {

class ThreadPool {
public:
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Every thread runs job(thread) exactly once.
    template <class F>
    void run(F&& job) {
        post(
            [](void* ctx, int thread) { (*static_cast<std::remove_reference_t<F>*>(ctx))(thread); },
            static_cast<void*>(&job), /*all_threads=*/true);
    }

    // Calls body(begin, end) or body(begin, end, thread) on disjoint ranges covering [0, n);
    // range boundaries are multiples of `grain` (or n).
    template <class F>
    void parallel_for(size_t n, size_t grain, F&& body) {
        if (n == 0) return;
        grain = grain == 0 ? 1 : grain;
        auto call = [&](size_t b, size_t e, int thread) {
            if constexpr (std::is_invocable_v<F&, size_t, size_t, int>) {
                body(b, e, thread);
            } else {
                body(b, e);
            }
        };
        if (n_threads_ == 1 || n <= grain) {
            call(0, n, 0);
            return;
        }
        ForJob<decltype(call)> job{&call, n, grain, this};
        start_shares((n + grain - 1) / grain);
        post(&ForJob<decltype(call)>::entry, &job, /*all_threads=*/false);
    }

    // Slice of [0, n) owned by `thread` out of `n_threads`, aligned to `grain` (static split).
    struct Range {
        size_t begin, end;
    };
    static Range split(size_t n, size_t grain, int thread, int n_threads);

    // Only valid inside run(): waits until every thread of the pool has reached it.
    void barrier();

private:
    using JobFn = void (*)(void*, int);

    template <class Call>
    struct ForJob {
        Call* call;
        size_t n, grain;
        ThreadPool* pool = nullptr;
        static void entry(void* ctx, int thread) {
            auto* self = static_cast<ForJob*>(ctx);
            ThreadPool& p = *self->pool;
            uint32_t b = 0, e = 0;
            uint64_t done = 0;
            while (p.next_units(thread, b, e)) {
                const size_t begin = static_cast<size_t>(b) * self->grain;
                const size_t end = std::min(self->n, static_cast<size_t>(e) * self->grain);
                (*self->call)(begin, end, thread);
                done += e - b;
            }
            // Counted once per thread and job, not per unit: a shared counter bumped by every
            // unit bounces its cache line between the cores every microsecond or two.
            if (done != 0) p.units_done_.fetch_add(done, std::memory_order_acq_rel);
        }
    };
    template <class Call>
    friend struct ForJob;

    void post(JobFn fn, void* ctx, bool all_threads);
    void start_shares(size_t units);
    // Claims the next units for `thread`: the front of its own share, else the back half of
    // another thread's share. False when nothing is left anywhere.
    bool next_units(int thread, uint32_t& begin, uint32_t& end);
    void worker_loop(int index);

    struct alignas(64) Share {
        std::atomic<uint64_t> range{0};  // begin unit (low 32 bits), end unit (high 32 bits)
    };

    int n_threads_;
    std::vector<std::thread> workers_;
    std::unique_ptr<Share[]> shares_;
    JobFn job_fn_ = nullptr;
    void* job_ctx_ = nullptr;
    bool job_all_ = false;
    uint64_t total_units_ = 0;
    // Job state, also the futex word: generation * 2 + (1 while workers may join the job).
    alignas(64) std::atomic<unsigned> state_{0};
    alignas(64) std::atomic<int> sleeping_{0};
    alignas(64) std::atomic<int> pending_{0};  // run(): workers that have not finished
    alignas(64) std::atomic<int> joined_{0};   // workers inside the current job
    alignas(64) std::atomic<uint64_t> units_done_{0};
    alignas(64) std::atomic<int> barrier_count_{0};
    alignas(64) std::atomic<unsigned> barrier_phase_{0};
    bool stop_ = false;
};

}  // namespace bitnet
