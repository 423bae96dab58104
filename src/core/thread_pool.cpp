#include "core/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <climits>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#define BITNET_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define BITNET_CPU_RELAX() __asm__ volatile("yield")
#else
#define BITNET_CPU_RELAX() ((void)0)
#endif

namespace bitnet {

// How long an idle worker spins before it sleeps: far longer than the gap between two kernels
// of a decode step or between two generated tokens, short enough that an idle pool costs nothing.
static constexpr std::chrono::microseconds kSpinTime{2000};

// Sleeping and waking go straight to the futex: std::atomic::wait in libstdc++ 12 adds
// milliseconds of latency through its back-off, which a decode step (150 jobs) cannot afford.
static void futex_wait(std::atomic<unsigned>& word, unsigned expected) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
#else
    word.wait(expected);
#endif
}

static void futex_wake_all(std::atomic<unsigned>& word) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
    word.notify_all();
#endif
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(generation_);
    for (auto& t : workers_) t.join();
}

ThreadPool::Range ThreadPool::split(size_t n, size_t grain, int thread, int n_threads) {
    grain = std::max<size_t>(grain, 1);
    const size_t units = (n + grain - 1) / grain;
    const size_t t = static_cast<size_t>(thread), nt = static_cast<size_t>(n_threads);
    const size_t base = units / nt, extra = units % nt;
    const size_t begin_unit = t * base + std::min(t, extra);
    const size_t end_unit = begin_unit + base + (t < extra ? 1 : 0);
    return {std::min(n, begin_unit * grain), std::min(n, end_unit * grain)};
}

void ThreadPool::run_impl(JobFn fn, void* ctx) {
    if (n_threads_ == 1) {
        fn(ctx, 0);
        return;
    }
    job_fn_ = fn;
    job_ctx_ = ctx;
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst) > 0) futex_wake_all(generation_);
    fn(ctx, 0);
    while (pending_.load(std::memory_order_acquire) != 0) BITNET_CPU_RELAX();
}

void ThreadPool::worker_loop(int index) {
    unsigned seen = 0;
    for (;;) {
        unsigned gen;
        unsigned spins = 0;
        auto spin_start = std::chrono::steady_clock::now();
        while ((gen = generation_.load(std::memory_order_acquire)) == seen) {
            BITNET_CPU_RELAX();
            if ((++spins & 1023u) != 0 || std::chrono::steady_clock::now() - spin_start < kSpinTime) continue;
            // Announce the sleep before re-checking, so run_impl either sees us or we see its job.
            sleeping_.fetch_add(1, std::memory_order_seq_cst);
            if (generation_.load(std::memory_order_seq_cst) == seen) futex_wait(generation_, seen);
            sleeping_.fetch_sub(1, std::memory_order_seq_cst);
            spin_start = std::chrono::steady_clock::now();
        }
        seen = gen;
        if (stop_) return;
        job_fn_(job_ctx_, index);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

void ThreadPool::barrier() {
    if (n_threads_ == 1) return;
    const unsigned phase = barrier_phase_.load(std::memory_order_acquire);
    if (barrier_count_.fetch_add(1, std::memory_order_acq_rel) == n_threads_ - 1) {
        barrier_count_.store(0, std::memory_order_relaxed);
        barrier_phase_.store(phase + 1, std::memory_order_release);
    } else {
        while (barrier_phase_.load(std::memory_order_acquire) == phase) BITNET_CPU_RELAX();
    }
}

}  // namespace bitnet
