#pragma once
// Owning, 64-byte aligned, uninitialised buffer of trivially copyable elements (activations,
// repacked weights, KV cache). Allocated once; never resized in the decode loop.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace bitnet {

// Asks the kernel to back [p, p + bytes) with transparent huge pages (a no-op where unsupported).
void advise_huge_pages(void* p, size_t bytes);

// Huge pages suit buffers that are streamed whole (weights read every token): fewer TLB misses.
// Not for buffers touched sparsely (a KV cache), where a touched byte would make 2 MB resident.
enum class PageHint { normal, huge };

template <class T>
class AlignedBuffer {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t n, PageHint hint = PageHint::normal) { reset(n, hint); }
    ~AlignedBuffer() { std::free(data_); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    AlignedBuffer(AlignedBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
        return *this;
    }

    void reset(size_t n, PageHint hint = PageHint::normal) {
        std::free(data_);
        data_ = nullptr;
        size_ = n;
        if (n == 0) return;
        const size_t align = hint == PageHint::huge && n * sizeof(T) >= kHugeThreshold ? kHugePage : 64;
        const size_t bytes = (n * sizeof(T) + align - 1) & ~(align - 1);
        data_ = static_cast<T*>(std::aligned_alloc(align, bytes));
        if (data_ == nullptr) throw std::bad_alloc();
        if (align == kHugePage) advise_huge_pages(data_, bytes);
    }

    T* data() { return data_; }
    const T* data() const { return data_; }
    size_t size() const { return size_; }
    T& operator[](size_t i) { return data_[i]; }
    const T& operator[](size_t i) const { return data_[i]; }
    T* begin() { return data_; }
    T* end() { return data_ + size_; }

private:
    static constexpr size_t kHugePage = size_t{2} << 20;
    static constexpr size_t kHugeThreshold = size_t{8} << 20;
    T* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace bitnet
