// The decode loop allocates nothing: after the first token (which sizes the scratch buffers),
// evaluating a token performs no heap allocation on any thread.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "runtime/context.hpp"
#include "test_models.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

// Every unaligned form of new and delete is replaced, so that memory is always released by the
// allocator that gave it (sanitizer runtimes supply their own versions of any form left out).
// The replacements take memory from malloc, so free() is the matching release; GCC's
// -Wmismatched-new-delete cannot see that once the test framework's news are inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
void* counted_alloc(size_t n) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace bitnet;

TEST(DecodeLoop, AllocatesNothingPerToken) {
    auto model = LoadedModel::load(test::tiny_model());
    ContextOptions o;
    o.n_ctx = 64;
    o.n_threads = 2;
    InferenceContext ctx(model, o);
    const int32_t first[] = {1, 2, 3};
    ctx.decode(first);
    for (int32_t id = 4; id < 20; ++id) {
        const long before = g_allocations.load();
        const int32_t tok[] = {id};
        ctx.decode(tok);
        EXPECT_EQ(g_allocations.load() - before, 0) << "token " << id;
    }
}
