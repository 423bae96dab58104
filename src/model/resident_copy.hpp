#pragma once
// Weights the kernels stream on every token (ternary matrices, the LM head) are copied out of the
// file mapping by default: into 64-byte-aligned memory on 2 MB transparent huge pages. GGUF aligns
// tensors to 32 bytes only, and a 4 KB-page mapping costs TLB misses on every stream; on the
// 2B-4T shape the copy measured 10-30 % faster decode (BENCHMARKS.md) for ~1 s more load time.
#include <cstddef>
#include <cstdint>

#include "core/aligned_buffer.hpp"

namespace bitnet {

class ThreadPool;

// A copy of [src, src + bytes); the threads of `pool` share the copy and its page faults.
AlignedBuffer<uint8_t> resident_copy(const uint8_t* src, size_t bytes, ThreadPool& pool);

// True if the kernels can stream `p` in place (it starts on a cache line).
inline bool cache_line_aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

}  // namespace bitnet
