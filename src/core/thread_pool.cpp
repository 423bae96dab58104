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

namespace {

// How long an idle worker spins before it sleeps: far longer than the gap between two kernels
// of a decode step or between two generated tokens, short enough that an idle pool costs nothing.
constexpr std::chrono::microseconds kSpinTime{2000};

// Units a thief takes at once: enough to amortise the claim, few enough that a thief the OS
// deschedules holds up little work.
constexpr uint32_t kMaxSteal = 8;

// Sleeping and waking go straight to the futex: std::atomic::wait in libstdc++ 12 adds
// milliseconds of latency through its back-off, which a decode step (150 jobs) cannot afford.
void futex_wait(std::atomic<unsigned>& word, unsigned expected) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
#else
    word.wait(expected);
#endif
}

void futex_wake_all(std::atomic<unsigned>& word) {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
    word.notify_all();
#endif
}

uint64_t pack(uint32_t begin, uint32_t end) { return (static_cast<uint64_t>(end) << 32) | begin; }
uint32_t lo(uint64_t r) { return static_cast<uint32_t>(r); }
uint32_t hi(uint64_t r) { return static_cast<uint32_t>(r >> 32); }

}  // namespace

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(std::max(1, n_threads)), shares_(std::make_unique<Share[]>(static_cast<size_t>(n_threads_))) {
    workers_.reserve(static_cast<size_t>(n_threads_ - 1));
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    stop_ = true;
    state_.fetch_add(2, std::memory_order_seq_cst);
    futex_wake_all(state_);
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

void ThreadPool::start_shares(size_t units) {
    total_units_ = units;
    units_done_.store(0, std::memory_order_relaxed);
    for (int t = 0; t < n_threads_; ++t) {
        const Range r = split(units, 1, t, n_threads_);
        shares_[static_cast<size_t>(t)].range.store(pack(static_cast<uint32_t>(r.begin), static_cast<uint32_t>(r.end)),
                                                     std::memory_order_relaxed);
    }
}

bool ThreadPool::next_units(int thread, uint32_t& begin, uint32_t& end) {
    std::atomic<uint64_t>& own = shares_[static_cast<size_t>(thread)].range;
    uint64_t cur = own.load(std::memory_order_acquire);
    while (lo(cur) < hi(cur)) {
        if (own.compare_exchange_weak(cur, pack(lo(cur) + 1, hi(cur)), std::memory_order_acq_rel)) {
            begin = lo(cur);
            end = begin + 1;
            return true;
        }
    }
    for (int k = 1; k < n_threads_; ++k) {
        std::atomic<uint64_t>& victim = shares_[static_cast<size_t>((thread + k) % n_threads_)].range;
        cur = victim.load(std::memory_order_acquire);
        while (lo(cur) < hi(cur)) {
            const uint32_t take = std::clamp<uint32_t>((hi(cur) - lo(cur)) / 2, 1, kMaxSteal);
            if (victim.compare_exchange_weak(cur, pack(lo(cur), hi(cur) - take), std::memory_order_acq_rel)) {
                begin = hi(cur) - take;
                end = hi(cur);
                return true;
            }
        }
    }
    return false;
}

void ThreadPool::post(JobFn fn, void* ctx, bool all_threads) {
    if (n_threads_ == 1) {
        fn(ctx, 0);
        return;
    }
    job_fn_ = fn;
    job_ctx_ = ctx;
    job_all_ = all_threads;
    if (all_threads) pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    const unsigned open_state = (state_.load(std::memory_order_relaxed) | 1u) + 2u;  // next generation, open
    state_.store(open_state, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst) > 0) futex_wake_all(state_);
    fn(ctx, 0);
    if (all_threads) {
        while (pending_.load(std::memory_order_acquire) != 0) BITNET_CPU_RELAX();
    } else {
        // Units other threads claimed may still be running.
        while (units_done_.load(std::memory_order_acquire) != total_units_) BITNET_CPU_RELAX();
    }
    // Close the job; a worker that joined before this finishes with nothing left to do, one that
    // comes later sees the job closed and never touches it.
    state_.store(open_state & ~1u, std::memory_order_seq_cst);
    while (joined_.load(std::memory_order_seq_cst) != 0) BITNET_CPU_RELAX();
}

void ThreadPool::worker_loop(int index) {
    unsigned seen = 0;  // the state before any job: a job posted before this thread started still counts
    for (;;) {
        unsigned s;
        unsigned spins = 0;
        auto spin_start = std::chrono::steady_clock::now();
        while ((s = state_.load(std::memory_order_acquire)) == seen) {
            BITNET_CPU_RELAX();
            if ((++spins & 1023u) != 0 || std::chrono::steady_clock::now() - spin_start < kSpinTime) continue;
            // Announce the sleep before re-checking, so post() either sees us or we see its job.
            sleeping_.fetch_add(1, std::memory_order_seq_cst);
            if (state_.load(std::memory_order_seq_cst) == seen) futex_wait(state_, seen);
            sleeping_.fetch_sub(1, std::memory_order_seq_cst);
            spin_start = std::chrono::steady_clock::now();
        }
        seen = s;
        if (stop_) return;
        if ((s & 1u) == 0) continue;  // a job that closed before we got here
        joined_.fetch_add(1, std::memory_order_seq_cst);
        if (state_.load(std::memory_order_seq_cst) == s) {
            job_fn_(job_ctx_, index);
            if (job_all_) pending_.fetch_sub(1, std::memory_order_acq_rel);
        }
        joined_.fetch_sub(1, std::memory_order_seq_cst);
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
