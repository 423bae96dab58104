#include "model/resident_copy.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace bitnet {

AlignedBuffer<uint8_t> resident_copy(const uint8_t* src, size_t bytes, ThreadPool& pool) {
    AlignedBuffer<uint8_t> dst;
    try {
        dst.reset(bytes, PageHint::huge);
    } catch (const std::bad_alloc&) {
        fail(strprintf("cannot allocate %.1f MB to copy weights into memory; --mmap streams them from the file",
                       static_cast<double>(bytes) / 1e6));
    }
    constexpr size_t kGrain = size_t{2} << 20;  // one huge page per unit
    pool.parallel_for((bytes + kGrain - 1) / kGrain, 1, [&](size_t b, size_t e) {
        const size_t begin = b * kGrain, end = std::min(bytes, e * kGrain);
        std::memcpy(dst.data() + begin, src + begin, end - begin);
    });
    return dst;
}

}  // namespace bitnet
