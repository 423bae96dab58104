#include "tools/convert/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace bitnet {

namespace {

// The safetensors library refuses larger headers; so does this reader (a hostile length must not
// make it parse gigabytes of "JSON").
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

struct DtypeInfo {
    StDtype dtype;
    const char* name;
    size_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {StDtype::F32, "F32", 4},         {StDtype::F16, "F16", 2},         {StDtype::BF16, "BF16", 2},
    {StDtype::U8, "U8", 1},           {StDtype::I8, "I8", 1},           {StDtype::BOOL, "BOOL", 1},
    {StDtype::I16, "I16", 2},         {StDtype::U16, "U16", 2},         {StDtype::I32, "I32", 4},
    {StDtype::U32, "U32", 4},         {StDtype::F64, "F64", 8},         {StDtype::I64, "I64", 8},
    {StDtype::U64, "U64", 8},         {StDtype::F8_E4M3, "F8_E4M3", 1}, {StDtype::F8_E5M2, "F8_E5M2", 1},
};

const DtypeInfo& info(StDtype d) {
    for (const DtypeInfo& i : kDtypes) {
        if (i.dtype == d) return i;
    }
    fail("internal: unknown safetensors dtype");
}

// Reads one tensor entry; `buffer` is the size of the data buffer after the header.
StTensor read_entry(const std::string& file, const std::string& name, const nlohmann::json& e, size_t buffer) {
    const auto bad = [&](const std::string& what) {
        fail(strprintf("%s: tensor '%s': %s", file.c_str(), name.c_str(), what.c_str()));
    };
    if (!e.is_object()) bad("header entry is not a JSON object");
    StTensor t;
    t.name = name;
    const auto dt = e.find("dtype");
    if (dt == e.end() || !dt->is_string()) bad("missing \"dtype\" string");
    const std::string dname = dt->get<std::string>();
    const DtypeInfo* di = nullptr;
    for (const DtypeInfo& i : kDtypes) {
        if (dname == i.name) di = &i;
    }
    if (di == nullptr) bad("unsupported dtype '" + dname + "' (supported: F32, F16, BF16, U8, I8 and the other whole-byte types)");
    t.dtype = di->dtype;

    const auto sh = e.find("shape");
    if (sh == e.end() || !sh->is_array() || sh->size() > 8) bad("missing or invalid \"shape\" array");
    uint64_t elements = 1;
    for (const auto& d : *sh) {
        if (!d.is_number_unsigned()) bad("shape has a dimension that is not a non-negative integer");
        const uint64_t v = d.get<uint64_t>();
        if (v > (1ull << 40) || __builtin_mul_overflow(elements, v, &elements)) bad("shape is too large");
        t.shape.push_back(static_cast<int64_t>(v));
    }
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(elements, di->size, &bytes)) bad("shape is too large");

    const auto off = e.find("data_offsets");
    if (off == e.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
        bad("missing or invalid \"data_offsets\" (expected [begin, end])");
    }
    const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    if (begin > end) bad(strprintf("data_offsets [%llu, %llu) end before they begin", static_cast<unsigned long long>(begin),
                                   static_cast<unsigned long long>(end)));
    if (end > buffer) {
        bad(strprintf("data_offsets [%llu, %llu) run past the end of the data buffer (%zu bytes; file truncated?)",
                      static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end), buffer));
    }
    if (end - begin != bytes) {
        bad(strprintf("holds %llu bytes but dtype %s and shape %s need %llu", static_cast<unsigned long long>(end - begin),
                      di->name, t.shape_string().c_str(), static_cast<unsigned long long>(bytes)));
    }
    t.offset = begin;  // relative to the buffer until parse() adds the header size
    t.nbytes = static_cast<size_t>(bytes);
    return t;
}

// Tensors must tile the buffer exactly: sorted by offset, each starts where the previous ended.
void check_coverage(const std::string& file, std::vector<StTensor>& ts, size_t buffer) {
    std::sort(ts.begin(), ts.end(), [](const StTensor& a, const StTensor& b) {
        return a.offset != b.offset ? a.offset < b.offset : a.nbytes < b.nbytes;
    });
    size_t at = 0;
    const StTensor* prev = nullptr;
    for (const StTensor& t : ts) {
        if (t.offset < at) {
            fail(strprintf("%s: tensors '%s' and '%s' overlap (bytes %zu..%zu of the data buffer)", file.c_str(),
                           prev->name.c_str(), t.name.c_str(), t.offset, at));
        }
        if (t.offset > at) {
            fail(strprintf("%s: hole in the data buffer: bytes %zu..%zu belong to no tensor (before '%s')", file.c_str(),
                           at, t.offset, t.name.c_str()));
        }
        at = t.offset + t.nbytes;
        prev = &t;
    }
    if (at != buffer) {
        fail(strprintf("%s: the data buffer has %zu bytes but its tensors cover %zu", file.c_str(), buffer, at));
    }
}

}  // namespace

const char* st_dtype_name(StDtype d) { return info(d).name; }
size_t st_dtype_size(StDtype d) { return info(d).size; }

int64_t StTensor::elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string StTensor::shape_string() const {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::vector<StTensor> SafetensorsFile::parse(const uint8_t* data, size_t size, const std::string& name) {
    if (size < 8) fail(strprintf("%s: not a safetensors file (%zu bytes, shorter than the 8-byte header length)", name.c_str(), size));
    uint64_t n = 0;
    std::memcpy(&n, data, 8);
    if (n > kMaxHeaderBytes) {
        fail(strprintf("%s: header length %llu exceeds the 100 MB limit (not a safetensors file?)", name.c_str(),
                       static_cast<unsigned long long>(n)));
    }
    if (n > size - 8) {
        fail(strprintf("%s: header length %llu runs past the end of the file (%zu bytes; truncated?)", name.c_str(),
                       static_cast<unsigned long long>(n), size));
    }
    const auto* text = reinterpret_cast<const char*>(data + 8);
    if (n == 0 || text[0] != '{') fail(name + ": the header is not a JSON object");
    const nlohmann::json header = nlohmann::json::parse(text, text + n, nullptr, false);
    if (header.is_discarded() || !header.is_object()) fail(name + ": the header is not valid JSON");

    const size_t buffer = size - 8 - static_cast<size_t>(n);
    std::vector<StTensor> ts;
    for (const auto& [key, value] : header.items()) {
        if (key == "__metadata__") {
            if (!value.is_object()) fail(name + ": __metadata__ is not a JSON object");
            continue;
        }
        ts.push_back(read_entry(name, key, value, buffer));
    }
    check_coverage(name, ts, buffer);
    for (StTensor& t : ts) {
        t.offset += 8 + static_cast<size_t>(n);
        t.data = data + t.offset;
    }
    std::sort(ts.begin(), ts.end(), [](const StTensor& a, const StTensor& b) { return a.name < b.name; });
    return ts;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
    tensors_ = parse(file_.data(), file_.size(), path);
}

const StTensor* SafetensorsFile::find(std::string_view name) const {
    const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                     [](const StTensor& t, std::string_view n) { return t.name < n; });
    return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

}  // namespace bitnet
