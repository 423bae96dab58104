#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/thread_pool.hpp"

using namespace bitnet;

TEST(ThreadPool, EveryThreadRunsTheJobOnce) {
    for (int n : {1, 2, 3}) {
        ThreadPool pool(n);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        for (int rep = 0; rep < 30; ++rep) pool.run([&](int t) { hits[static_cast<size_t>(t)]++; });
        for (auto& h : hits) EXPECT_EQ(h.load(), 30);
    }
}

TEST(ThreadPool, SplitCoversTheRangeInGrainMultiples) {
    for (int nt = 1; nt <= 4; ++nt) {
        for (size_t n : {0u, 1u, 7u, 64u, 1000u}) {
            size_t expect = 0;
            for (int t = 0; t < nt; ++t) {
                const auto r = ThreadPool::split(n, 16, t, nt);
                EXPECT_EQ(r.begin, expect);
                if (r.end < n) {
                    EXPECT_EQ(r.end % 16, 0u);
                }
                expect = std::max(expect, r.end);
            }
            EXPECT_EQ(expect, n);
        }
    }
}

TEST(ThreadPool, BarrierSeparatesPhases) {
    ThreadPool pool(2);
    std::vector<int> data(2, 0);
    std::atomic<int> bad{0};
    for (int rep = 0; rep < 50; ++rep) {
        pool.run([&](int t) {
            data[static_cast<size_t>(t)] = rep;
            pool.barrier();
            for (int v : data) {
                if (v != rep) bad++;
            }
            pool.barrier();
        });
    }
    EXPECT_EQ(bad.load(), 0);
}

TEST(ThreadPool, ParallelForSums) {
    ThreadPool pool(2);
    std::vector<int> v(10000, 1);
    std::atomic<long> total{0};
    pool.parallel_for(v.size(), 64, [&](size_t b, size_t e) {
        long s = 0;
        for (size_t i = b; i < e; ++i) s += v[i];
        total += s;
    });
    EXPECT_EQ(total.load(), 10000);
}

TEST(ThreadPool, ParallelForRunsEveryIndexExactlyOnceInGrainAlignedRanges) {
    ThreadPool pool(2);
    const size_t n = 10007, grain = 7;
    std::vector<std::atomic<int>> hits(n);
    std::atomic<int> misaligned{0};
    for (int rep = 0; rep < 50; ++rep) {
        pool.parallel_for(n, grain, [&](size_t b, size_t e, int thread) {
            if (b % grain != 0 || (e % grain != 0 && e != n) || thread < 0 || thread > 1) misaligned++;
            for (size_t i = b; i < e; ++i) hits[i]++;
        });
    }
    EXPECT_EQ(misaligned.load(), 0);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 50) << i;
}

TEST(ThreadPool, ParallelForFinishesWhileAWorkerIsBusyElsewhere) {
    // The worker stalls in its first unit; the caller must take over the worker's remaining share
    // (a static half-and-half split would leave 500 units to the stalled worker).
    ThreadPool pool(2);
    std::atomic<long> sum{0};
    std::atomic<bool> slow_done{false};
    std::atomic<size_t> units_by_thread[2] = {0, 0};
    pool.parallel_for(1000, 1, [&](size_t b, size_t e, int thread) {
        if (thread == 1 && !slow_done.exchange(true)) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        for (size_t i = b; i < e; ++i) sum += static_cast<long>(i);
        units_by_thread[thread] += e - b;
    });
    EXPECT_EQ(sum.load(), 999L * 1000 / 2);
    EXPECT_EQ(units_by_thread[0] + units_by_thread[1], 1000u);
    EXPECT_GE(units_by_thread[0].load(), 900u) << "the caller did not take over the stalled worker's share";
}
