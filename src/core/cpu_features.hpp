#pragma once
// CPU feature detection and the instruction-set levels the kernel dispatch table knows.
#include <string>

namespace bitnet {

enum class Isa { scalar, avx2, avx512, neon };

struct CpuFeatures {
    bool avx2 = false, fma = false, f16c = false, bmi2 = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
    bool avx512vnni = false, avx512vbmi = false;
    bool neon = false, neon_dotprod = false;
};

const CpuFeatures& cpu_features();

const char* isa_name(Isa isa);
// Parses "scalar", "avx2", "avx512", "neon"; throws Error naming the accepted values otherwise.
Isa parse_isa(const std::string& name);
// Whether this CPU (and OS) can execute code compiled for `isa`.
bool isa_supported(Isa isa);
// The best ISA this CPU supports that is compiled into the binary.
Isa best_isa();

}  // namespace bitnet
