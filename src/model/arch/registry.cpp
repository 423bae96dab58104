// The architectures this engine runs, one line each.
#include "model/arch/architectures.hpp"

namespace bitnet {

namespace {

const Architecture* const kArchitectures[] = {
    &arch::bitnet_b158,
    &arch::bitnet_25,
    &arch::bitnet,
    &arch::ternary_llama,
};

}  // namespace

const Architecture* find_architecture(std::string_view name) {
    for (const Architecture* a : kArchitectures) {
        if (name == a->name) return a;
    }
    return nullptr;
}

std::string supported_architectures() {
    std::string out;
    for (const Architecture* a : kArchitectures) out += (out.empty() ? "" : ", ") + std::string(a->name);
    return out;
}

}  // namespace bitnet
