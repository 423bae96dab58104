// The decode loop allocates nothing: every buffer is allocated when the context is made, so
// evaluating a token performs no allocation on any thread, for one sequence and for a
// multi-sequence batch step.
//
// Counting happens below every allocator the engine uses: the C allocation functions are
// replaced in this executable (operator new in all its forms, aligned new included, ends in
// malloc / aligned_alloc in libstdc++; AlignedBuffer calls aligned_alloc), and mmap is counted
// too. The replacements forward to glibc's own entry points.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

#include "runtime/context.hpp"
#include "test_models.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BITNET_SANITIZER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define BITNET_SANITIZER_ALLOCATOR 1
#endif
#endif

namespace {
std::atomic<long> g_allocations{0};
void count() { g_allocations.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

#if !defined(BITNET_SANITIZER_ALLOCATOR)
extern "C" {
void* __libc_malloc(size_t n);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t n);
void* __libc_memalign(size_t align, size_t n);
void __libc_free(void* p);

void* malloc(size_t n) {
    count();
    return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
    count();
    return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
    count();
    return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) {
    count();
    return __libc_memalign(align, n);
}
void* memalign(size_t align, size_t n) {
    count();
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) {
    count();
    void* p = __libc_memalign(align, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(size_t n) {
    count();
    return __libc_memalign(static_cast<size_t>(sysconf(_SC_PAGESIZE)), n);
}
void free(void* p) { __libc_free(p); }
void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
    count();
    const long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    if (r < 0 && r > -4096) {
        errno = static_cast<int>(-r);
        return MAP_FAILED;
    }
    return reinterpret_cast<void*>(r);
}
}
#endif

using namespace bitnet;

namespace {

void skip_under_sanitizers() {
#if defined(BITNET_SANITIZER_ALLOCATOR)
    GTEST_SKIP() << "the sanitizer runtime owns the allocator; counting replacements cannot be installed";
#endif
}

}  // namespace

namespace {

// Keeps the compiler from eliding an allocation whose result is never used.
void* volatile g_sink;
template <class T>
T* escape(T* p) {
    g_sink = p;
    return p;
}

struct alignas(128) Wide {
    char c[128];
};

}  // namespace

TEST(DecodeLoop, CountsEveryAllocationPath) {
    skip_under_sanitizers();
    // The counter must see each path the engine could take, or the tests below prove nothing.
    for (auto* alloc : {+[] { delete escape(new int(1)); }, +[] { delete[] escape(new char[3]); },
                        +[] { delete escape(new Wide()); }, +[] { std::free(escape(std::malloc(5))); },
                        +[] { std::free(escape(std::aligned_alloc(64, 128))); },
                        +[] { escape(AlignedBuffer<float>(100).data()); },
                        +[] { escape(AlignedBuffer<float>(size_t{9} << 20, PageHint::huge).data()); }}) {
        const long before = g_allocations.load();
        alloc();
        EXPECT_GT(g_allocations.load(), before);
    }
    const long before = g_allocations.load();
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    ::munmap(p, 4096);
    EXPECT_GT(g_allocations.load(), before);
}

TEST(DecodeLoop, AllocatesNothingPerToken) {
    skip_under_sanitizers();
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

TEST(DecodeLoop, BatchStepAllocatesNothing) {
    skip_under_sanitizers();
    auto model = LoadedModel::load(test::tiny_model());
    ContextOptions o;
    o.n_ctx = 64;
    o.n_threads = 2;
    o.n_seq = 3;
    InferenceContext ctx(model, o);
    std::vector<float> logits(static_cast<size_t>(3 * ctx.n_vocab()));
    const BatchToken prompt[] = {{0, 1, false}, {0, 2, true}, {1, 3, true}, {2, 4, false}, {2, 5, true}};
    ctx.decode_batch(prompt, logits);
    for (int32_t step = 0; step < 10; ++step) {
        const BatchToken tokens[] = {{0, 6 + step, true}, {1, 7 + step, true}, {2, 8 + step, true}};
        const long before = g_allocations.load();
        ctx.decode_batch(tokens, logits);
        EXPECT_EQ(g_allocations.load() - before, 0) << "step " << step;
    }
}
