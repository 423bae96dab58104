#include "tools/inspect.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "gguf/gguf_file.hpp"
#include "kernels/kernels.hpp"

namespace bitnet {

namespace {

constexpr size_t kShownItems = 8;

struct TypeTotal {
    size_t count = 0;
    size_t bytes = 0;
    int64_t elements = 0;
};

std::map<std::string, TypeTotal> totals_by_type(const GgufFile& f) {
    std::map<std::string, TypeTotal> totals;
    for (const GgufTensor& t : f.tensors()) {
        TypeTotal& tt = totals[type_name(t.type)];
        tt.count++;
        tt.bytes += t.nbytes;
        tt.elements += t.n_elements();
    }
    return totals;
}

nlohmann::json scalar_json(const GgufValue& v) {
    switch (v.type) {
        case GgufType::UINT8:
        case GgufType::UINT16:
        case GgufType::UINT32:
        case GgufType::UINT64: return v.u;
        case GgufType::INT8:
        case GgufType::INT16:
        case GgufType::INT32:
        case GgufType::INT64: return v.i;
        case GgufType::FLOAT32:
        case GgufType::FLOAT64: return v.f;
        case GgufType::BOOL: return v.b;
        case GgufType::STRING: return std::string(v.str);
        case GgufType::ARRAY: break;
    }
    return nullptr;
}

nlohmann::json value_json(const GgufValue& v) {
    if (v.type != GgufType::ARRAY) return {{"type", gguf_type_name(v.type)}, {"value", scalar_json(v)}};
    nlohmann::json items = nlohmann::json::array();
    const uint64_t shown = std::min<uint64_t>(v.count, kShownItems);
    for (uint64_t k = 0; k < shown; ++k) {
        if (v.elem_type == GgufType::STRING) {
            items.push_back(std::string(v.strings[k]));
        } else if (v.elem_type == GgufType::ARRAY) {
            items.push_back(value_json(v.items[k]));
        } else if (v.elem_type == GgufType::FLOAT32 || v.elem_type == GgufType::FLOAT64) {
            items.push_back(v.float_at(k));
        } else if (v.elem_type == GgufType::BOOL) {
            items.push_back(v.int_at(k) != 0);
        } else {
            items.push_back(v.int_at(k));
        }
    }
    return {{"type", "array"},
            {"element_type", gguf_type_name(v.elem_type)},
            {"count", v.count},
            {"values", items},
            {"truncated", shown < v.count}};
}

std::string human_bytes(size_t b) {
    if (b >= (1ull << 30)) return strprintf("%.2f GiB", static_cast<double>(b) / (1ull << 30));
    if (b >= (1ull << 20)) return strprintf("%.2f MiB", static_cast<double>(b) / (1ull << 20));
    if (b >= (1ull << 10)) return strprintf("%.2f KiB", static_cast<double>(b) / (1ull << 10));
    return strprintf("%zu B", b);
}

}  // namespace

std::string inspect_text(const GgufFile& f) {
    std::string out;
    out += strprintf("file:        %s\n", f.path().c_str());
    out += strprintf("size:        %zu bytes (%s)\n", f.file_size(), human_bytes(f.file_size()).c_str());
    out += strprintf("format:      GGUF v%u, alignment %llu, tensor data at offset %llu\n", f.version(),
                     static_cast<unsigned long long>(f.alignment()), static_cast<unsigned long long>(f.data_offset()));
    out += strprintf("kernels:     %s\n", isa_name(kernels().isa));
    out += strprintf("\nmetadata (%zu keys):\n", f.metadata().size());
    size_t key_width = 0;
    for (const GgufKv& kv : f.metadata()) key_width = std::max(key_width, kv.key.size());
    for (const GgufKv& kv : f.metadata()) {
        out += strprintf("  %-*.*s  %-7s  %s\n", static_cast<int>(key_width), static_cast<int>(kv.key.size()),
                         kv.key.data(), gguf_type_name(kv.value.type), gguf_value_to_string(kv.value, kShownItems).c_str());
    }
    out += strprintf("\ntensors (%zu):\n", f.tensors().size());
    size_t name_width = 4;
    for (const GgufTensor& t : f.tensors()) name_width = std::max(name_width, t.name.size());
    out += strprintf("  %-*s  %-16s  %-6s  %12s  %12s\n", static_cast<int>(name_width), "name", "shape", "type", "bytes",
                     "offset");
    for (const GgufTensor& t : f.tensors()) {
        out += strprintf("  %-*.*s  %-16s  %-6s  %12zu  %12llu\n", static_cast<int>(name_width),
                         static_cast<int>(t.name.size()), t.name.data(), t.shape_string().c_str(), type_name(t.type),
                         t.nbytes, static_cast<unsigned long long>(t.offset));
    }
    out += "\ntotals by type:\n";
    size_t all_bytes = 0;
    int64_t all_elements = 0;
    for (const auto& [name, tt] : totals_by_type(f)) {
        out += strprintf("  %-6s  %4zu tensors  %14zu bytes (%s)  %lld elements\n", name.c_str(), tt.count, tt.bytes,
                         human_bytes(tt.bytes).c_str(), static_cast<long long>(tt.elements));
        all_bytes += tt.bytes;
        all_elements += tt.elements;
    }
    out += strprintf("  %-6s  %4zu tensors  %14zu bytes (%s)  %lld elements\n", "all", f.tensors().size(), all_bytes,
                     human_bytes(all_bytes).c_str(), static_cast<long long>(all_elements));
    return out;
}

std::string inspect_json(const GgufFile& f) {
    nlohmann::json j;
    j["file"] = f.path();
    j["size"] = f.file_size();
    j["version"] = f.version();
    j["alignment"] = f.alignment();
    j["data_offset"] = f.data_offset();
    j["isa"] = isa_name(kernels().isa);
    nlohmann::json meta = nlohmann::json::object();
    for (const GgufKv& kv : f.metadata()) meta[std::string(kv.key)] = value_json(kv.value);
    j["n_kv"] = f.metadata().size();
    j["metadata"] = std::move(meta);
    nlohmann::json tensors = nlohmann::json::array();
    for (const GgufTensor& t : f.tensors()) {
        nlohmann::json shape = nlohmann::json::array();
        for (int d = 0; d < t.n_dims; ++d) shape.push_back(t.ne[d]);
        tensors.push_back({{"name", std::string(t.name)},
                           {"shape", shape},
                           {"type", type_name(t.type)},
                           {"bytes", t.nbytes},
                           {"offset", t.offset}});
    }
    j["n_tensors"] = f.tensors().size();
    j["tensors"] = std::move(tensors);
    nlohmann::json totals = nlohmann::json::object();
    for (const auto& [name, tt] : totals_by_type(f)) {
        totals[name] = {{"count", tt.count}, {"bytes", tt.bytes}, {"elements", tt.elements}};
    }
    j["totals"] = std::move(totals);
    return j.dump(2);
}

}  // namespace bitnet
