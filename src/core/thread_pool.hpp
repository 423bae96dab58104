#pragma once
// A persistent pool of worker threads. `run` executes one job on every thread (the caller is
// thread 0) and returns when all have finished; inside a job, `barrier()` synchronises the
// threads between dependent phases. Workers spin briefly between jobs (decode issues thousands
// of small jobs per second) and then sleep on a futex, so an idle pool costs no CPU.
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace bitnet {

class ThreadPool {
public:
    explicit ThreadPool(int n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    template <class F>
    void run(F&& job) {
        run_impl(
            [](void* ctx, int thread) { (*static_cast<std::remove_reference_t<F>*>(ctx))(thread); },
            static_cast<void*>(&job));
    }

    // Calls body(begin, end) on contiguous slices of [0, n); slice boundaries are multiples of
    // `grain` (except the end), so the split never depends on timing.
    template <class F>
    void parallel_for(size_t n, size_t grain, F&& body) {
        run([&](int thread) {
            const auto [begin, end] = split(n, grain, thread, n_threads_);
            if (begin < end) body(begin, end);
        });
    }

    // Slice of [0, n) owned by `thread` out of `n_threads`, aligned to `grain`.
    struct Range {
        size_t begin, end;
    };
    static Range split(size_t n, size_t grain, int thread, int n_threads);

    // Only valid inside a job: waits until every thread of the pool has reached it.
    void barrier();

private:
    using JobFn = void (*)(void*, int);
    void run_impl(JobFn fn, void* ctx);
    void worker_loop(int index);

    int n_threads_;
    std::vector<std::thread> workers_;
    JobFn job_fn_ = nullptr;
    void* job_ctx_ = nullptr;
    alignas(64) std::atomic<unsigned> generation_{0};
    alignas(64) std::atomic<int> sleeping_{0};
    alignas(64) std::atomic<int> pending_{0};
    alignas(64) std::atomic<int> barrier_count_{0};
    alignas(64) std::atomic<unsigned> barrier_phase_{0};
    bool stop_ = false;
};

}  // namespace bitnet
