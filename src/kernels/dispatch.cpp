#include <cstdlib>

#include "core/error.hpp"
#include "kernels/kernels.hpp"

namespace bitnet {

const KernelTable* kernels_for(Isa isa) {
    if (!isa_supported(isa)) return nullptr;
    switch (isa) {
        case Isa::scalar: return &kernels_scalar();
#if defined(__x86_64__)
        case Isa::avx2: return &kernels_avx2();
        case Isa::avx512: return &kernels_avx512();
#endif
#if defined(__aarch64__)
        case Isa::neon: return &kernels_neon();
#endif
        default: return nullptr;
    }
}

static const KernelTable& choose() {
    if (const char* forced = std::getenv("BITNET_ISA"); forced != nullptr && *forced != '\0') {
        const Isa isa = parse_isa(forced);
        const KernelTable* table = kernels_for(isa);
        if (table == nullptr) fail(strprintf("BITNET_ISA=%s: this CPU or build cannot run %s kernels", forced, forced));
        return *table;
    }
    return *kernels_for(best_isa());
}

const KernelTable& kernels() {
    static const KernelTable& table = choose();
    return table;
}

}  // namespace bitnet
