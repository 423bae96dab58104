#pragma once
// Unaligned little-endian loads and stores for packed tensor blocks. Tensor data is only
// guaranteed to be aligned at the tensor start, and block fields (a Q8_0 block's f16 d, say) sit
// at odd offsets, so every multi-byte field goes through memcpy.
#include <bit>
#include <cstdint>
#include <cstring>

namespace bitnet {

static_assert(std::endian::native == std::endian::little, "GGUF tensor data is little-endian");

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, sizeof v); }

inline float load_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store_f32(uint8_t* p, float v) { std::memcpy(p, &v, sizeof v); }

}  // namespace bitnet
