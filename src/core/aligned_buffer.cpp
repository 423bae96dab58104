#include "core/aligned_buffer.hpp"

#include <sys/mman.h>

namespace bitnet {

void advise_huge_pages(void* p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    // Best effort: with THP set to "madvise" this makes weight streams walk 2 MB pages (fewer TLB
    // misses); if the kernel refuses, 4 KB pages work the same, only slower.
    (void)::madvise(p, bytes, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

}  // namespace bitnet
