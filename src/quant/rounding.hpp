#pragma once
// Float -> integer rounding shared by the quantizers. NaN maps to 0 and out-of-range values are
// clamped first, so a bad input can never reach an undefined float->int conversion.
#include <cmath>

namespace bitnet {

// Round half to even (std::nearbyint under the default rounding mode), clamped to [lo, hi].
inline int round_even_clamped(float v, int lo, int hi) {
    if (std::isnan(v)) return 0;
    const float r = std::nearbyint(v);
    if (r <= static_cast<float>(lo)) return lo;
    if (r >= static_cast<float>(hi)) return hi;
    return static_cast<int>(r);
}

// Round half to even for |v| < 2^22 (callers clamp first): adding and removing 1.5 * 2^23 pushes
// the fraction bits out of the float and lets the FPU's default rounding (to nearest even) do the
// work. Same result as std::nearbyint, but inline: on baseline x86-64 nearbyint is a libm call,
// which dominates hot quantization loops. Not valid under -ffast-math (the project never uses it).
constexpr float kRoundMagic = 0x1.8p23f;
inline float round_even_small(float v) { return (v + kRoundMagic) - kRoundMagic; }

// Round half away from zero (C's roundf, ggml's Q8_0 reference), clamped to [lo, hi].
inline int round_away_clamped(float v, int lo, int hi) {
    if (std::isnan(v)) return 0;
    const float r = std::round(v);
    if (r <= static_cast<float>(lo)) return lo;
    if (r >= static_cast<float>(hi)) return hi;
    return static_cast<int>(r);
}

}  // namespace bitnet
