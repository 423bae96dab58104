#include "core/cpu_features.hpp"

#include "core/error.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace bitnet {

#if defined(__x86_64__)
static CpuFeatures detect() {
    CpuFeatures f;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = (c >> 27) & 1;
    const bool avx = (c >> 28) & 1;
    f.fma = (c >> 12) & 1;
    f.f16c = (c >> 29) & 1;
    unsigned long long xcr0 = 0;
    if (osxsave) {
        unsigned lo = 0, hi = 0;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
    }
    const bool os_ymm = (xcr0 & 0x6) == 0x6;
    const bool os_zmm = (xcr0 & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    f.avx2 = avx && os_ymm && ((b >> 5) & 1);
    f.bmi2 = (b >> 8) & 1;
    if (os_zmm) {
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
        f.avx512vbmi = (c >> 1) & 1;
        f.avx512vnni = (c >> 11) & 1;
    }
    if (!os_ymm) f.fma = f.f16c = false;
    return f;
}
#elif defined(__aarch64__)
#include <sys/auxv.h>
static CpuFeatures detect() {
    CpuFeatures f;
    f.neon = true;
#ifdef HWCAP_ASIMDDP
    f.neon_dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
    return f;
}
#else
static CpuFeatures detect() { return {}; }
#endif

const CpuFeatures& cpu_features() {
    static const CpuFeatures features = detect();
    return features;
}

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::scalar: return "scalar";
        case Isa::avx2: return "avx2";
        case Isa::avx512: return "avx512";
        case Isa::neon: return "neon";
    }
    return "?";
}

Isa parse_isa(const std::string& name) {
    if (name == "scalar") return Isa::scalar;
    if (name == "avx2") return Isa::avx2;
    if (name == "avx512") return Isa::avx512;
    if (name == "neon") return Isa::neon;
    fail(strprintf("unknown ISA '%s' (expected scalar, avx2, avx512 or neon)", name.c_str()));
}

bool isa_supported(Isa isa) {
    const CpuFeatures& f = cpu_features();
    switch (isa) {
        case Isa::scalar: return true;
#if defined(__x86_64__)
        case Isa::avx2: return f.avx2 && f.fma && f.f16c && f.bmi2;
        case Isa::avx512:
            return isa_supported(Isa::avx2) && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq &&
                   f.avx512vnni && f.avx512vbmi;
#else
        case Isa::avx2:
        case Isa::avx512: return false;
#endif
        case Isa::neon: return f.neon && f.neon_dotprod;
    }
    return false;
}

Isa best_isa() {
    for (Isa isa : {Isa::avx512, Isa::avx2, Isa::neon}) {
        if (isa_supported(isa)) return isa;
    }
    return Isa::scalar;
}

}  // namespace bitnet
