#include "gguf/gguf_file.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.hpp"

namespace bitnet {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr int kMaxArrayDepth = 8;
constexpr uint64_t kMaxKeyLength = 65535;
constexpr uint64_t kMaxTensorNameLength = 255;

}  // namespace

// Bounds-checked little-endian reads; every failure names the offset and what was being read.
class GgufCursor {
public:
    GgufCursor(const uint8_t* base, size_t size, const std::string& name) : base_(base), size_(size), name_(name) {}

    size_t pos() const { return pos_; }
    size_t remaining() const { return size_ - pos_; }

    void need(uint64_t n, const char* what) const {
        if (n > remaining()) {
            fail(strprintf("%s: truncated file: %s needs %llu bytes at offset %zu but only %zu remain", name_.c_str(),
                           what, static_cast<unsigned long long>(n), pos_, remaining()));
        }
    }

    template <class T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, base_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    const uint8_t* take(uint64_t n, const char* what) {
        need(n, what);
        const uint8_t* p = base_ + pos_;
        pos_ += n;
        return p;
    }

    std::string_view read_string(const char* what) {
        const size_t at = pos_;
        const uint64_t len = read<uint64_t>(what);
        if (len > remaining()) {
            fail(strprintf("%s: %s at offset %zu has length %llu, past the end of the file (%zu bytes remain)",
                           name_.c_str(), what, at, static_cast<unsigned long long>(len), remaining()));
        }
        const uint8_t* p = take(len, what);
        return {reinterpret_cast<const char*>(p), len};
    }

    [[noreturn]] void error(const std::string& message, size_t at) const {
        fail(strprintf("%s: %s (at offset %zu)", name_.c_str(), message.c_str(), at));
    }

private:
    const uint8_t* base_;
    size_t size_;
    size_t pos_ = 0;
    const std::string& name_;
};

namespace {

using Cursor = GgufCursor;

void read_value(Cursor& cur, GgufType type, GgufValue& out, int depth, std::string_view key);

void read_array(Cursor& cur, GgufValue& out, int depth, std::string_view key) {
    const size_t at = cur.pos();
    const uint32_t elem = cur.read<uint32_t>("array element type");
    if (!gguf_type_valid(elem)) {
        cur.error(strprintf("key '%.*s': array has unknown element type %u", static_cast<int>(key.size()), key.data(), elem),
                  at);
    }
    out.elem_type = static_cast<GgufType>(elem);
    out.count = cur.read<uint64_t>("array length");
    if (out.elem_type == GgufType::ARRAY && depth >= kMaxArrayDepth) {
        cur.error(strprintf("key '%.*s': arrays nested deeper than %d levels", static_cast<int>(key.size()), key.data(),
                            kMaxArrayDepth),
                  at);
    }
    // Every element takes at least this many bytes, so a hostile count fails before allocating.
    const size_t min_elem = out.elem_type == GgufType::STRING  ? 8
                            : out.elem_type == GgufType::ARRAY ? 12
                                                               : gguf_scalar_size(out.elem_type);
    if (out.count > cur.remaining() / min_elem) {
        cur.error(strprintf("key '%.*s': array of %llu %s elements does not fit in the %zu bytes left in the file",
                            static_cast<int>(key.size()), key.data(), static_cast<unsigned long long>(out.count),
                            gguf_type_name(out.elem_type), cur.remaining()),
                  at);
    }
    if (out.elem_type == GgufType::STRING) {
        out.strings.reserve(out.count);
        for (uint64_t k = 0; k < out.count; ++k) out.strings.push_back(cur.read_string("array string"));
    } else if (out.elem_type == GgufType::ARRAY) {
        out.items.resize(out.count);
        for (uint64_t k = 0; k < out.count; ++k) {
            out.items[k].type = GgufType::ARRAY;
            read_array(cur, out.items[k], depth + 1, key);
        }
    } else {
        out.raw = cur.take(out.count * min_elem, "array data");
        if (out.elem_type == GgufType::BOOL) {
            for (uint64_t k = 0; k < out.count; ++k) {
                if (out.raw[k] > 1) {
                    cur.error(strprintf("key '%.*s': bool array element %llu has invalid value %u",
                                        static_cast<int>(key.size()), key.data(), static_cast<unsigned long long>(k),
                                        out.raw[k]),
                              at);
                }
            }
        }
    }
}

void read_value(Cursor& cur, GgufType type, GgufValue& out, int depth, std::string_view key) {
    out.type = type;
    const size_t at = cur.pos();
    switch (type) {
        case GgufType::UINT8: out.u = cur.read<uint8_t>("uint8 value"); break;
        case GgufType::UINT16: out.u = cur.read<uint16_t>("uint16 value"); break;
        case GgufType::UINT32: out.u = cur.read<uint32_t>("uint32 value"); break;
        case GgufType::UINT64: out.u = cur.read<uint64_t>("uint64 value"); break;
        case GgufType::INT8: out.i = cur.read<int8_t>("int8 value"); break;
        case GgufType::INT16: out.i = cur.read<int16_t>("int16 value"); break;
        case GgufType::INT32: out.i = cur.read<int32_t>("int32 value"); break;
        case GgufType::INT64: out.i = cur.read<int64_t>("int64 value"); break;
        case GgufType::FLOAT32: out.f = cur.read<float>("float32 value"); break;
        case GgufType::FLOAT64: out.f = cur.read<double>("float64 value"); break;
        case GgufType::BOOL: {
            const uint8_t b = cur.read<uint8_t>("bool value");
            if (b > 1) {
                cur.error(strprintf("key '%.*s': bool has invalid value %u", static_cast<int>(key.size()), key.data(), b),
                          at);
            }
            out.b = b != 0;
            break;
        }
        case GgufType::STRING: out.str = cur.read_string("string value"); break;
        case GgufType::ARRAY: read_array(cur, out, depth, key); break;
    }
    if (type == GgufType::UINT8 || type == GgufType::UINT16 || type == GgufType::UINT32 || type == GgufType::UINT64) {
        out.i = static_cast<int64_t>(out.u);
    } else if (gguf_type_is_integer(type)) {
        out.u = static_cast<uint64_t>(out.i);
    }
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }

}  // namespace

std::string GgufTensor::shape_string() const {
    std::string s = "[";
    for (int d = 0; d < std::max(n_dims, 1); ++d) {
        if (d) s += ", ";
        s += std::to_string(ne[d]);
    }
    return s + "]";
}

GgufFile GgufFile::open(const std::string& path) {
    GgufFile f;
    f.map_ = std::make_unique<MappedFile>(path);
    f.base_ = f.map_->data();
    f.size_ = f.map_->size();
    f.name_ = path;
    f.parse_all();
    return f;
}

GgufFile GgufFile::parse(const uint8_t* data, size_t size, std::string name) {
    GgufFile f;
    f.base_ = data;
    f.size_ = size;
    f.name_ = std::move(name);
    f.parse_all();
    return f;
}

void GgufFile::parse_all() {
    Cursor cur(base_, size_, name_);
    const auto [n_tensors, n_kv] = parse_header(cur);
    parse_metadata(cur, n_kv);
    parse_alignment();
    tensors_.resize(n_tensors);
    for (uint64_t t = 0; t < n_tensors; ++t) parse_tensor_info(cur, t);
    bind_data_section(cur.pos());
}

// Magic, version and the two counts, checked against what the file could possibly hold.
std::pair<uint64_t, uint64_t> GgufFile::parse_header(GgufCursor& cur) {
    if (size_ < 4) fail(strprintf("%s: not a GGUF file (only %zu bytes)", name_.c_str(), size_));
    const uint32_t magic = cur.read<uint32_t>("magic");
    if (magic != kMagic) {
        fail(strprintf("%s: not a GGUF file (bad magic %02x %02x %02x %02x, expected 'GGUF')", name_.c_str(), base_[0],
                       base_[1], base_[2], base_[3]));
    }
    version_ = cur.read<uint32_t>("version");
    if ((version_ & 0xffffu) == 0 && version_ != 0) {
        fail(strprintf("%s: big-endian GGUF files are not supported (version field 0x%08x)", name_.c_str(), version_));
    }
    if (version_ != 3) fail(strprintf("%s: unsupported GGUF version %u (only version 3 is supported)", name_.c_str(), version_));

    const uint64_t n_tensors = cur.read<uint64_t>("tensor count");
    const uint64_t n_kv = cur.read<uint64_t>("metadata count");
    // Smallest possible encodings: a KV is key length + type + 1-byte value (13 bytes); a tensor
    // info is name length + n_dims + one dim + type + offset (32 bytes).
    if (n_kv > cur.remaining() / 13) {
        fail(strprintf("%s: metadata count %llu is impossible for a file of %zu bytes", name_.c_str(),
                       static_cast<unsigned long long>(n_kv), size_));
    }
    if (n_tensors > cur.remaining() / 32) {
        fail(strprintf("%s: tensor count %llu is impossible for a file of %zu bytes", name_.c_str(),
                       static_cast<unsigned long long>(n_tensors), size_));
    }
    return {n_tensors, n_kv};
}

void GgufFile::parse_metadata(GgufCursor& cur, uint64_t n_kv) {
    kvs_.resize(n_kv);
    for (uint64_t k = 0; k < n_kv; ++k) {
        const size_t at = cur.pos();
        GgufKv& kv = kvs_[k];
        kv.key = cur.read_string("metadata key");
        if (kv.key.empty() || kv.key.size() > kMaxKeyLength) {
            cur.error(strprintf("metadata key %llu has invalid length %zu", static_cast<unsigned long long>(k), kv.key.size()),
                      at);
        }
        const size_t type_at = cur.pos();
        const uint32_t type = cur.read<uint32_t>("metadata value type");
        if (!gguf_type_valid(type)) {
            cur.error(strprintf("key '%.*s' has unknown value type %u", static_cast<int>(kv.key.size()), kv.key.data(), type),
                      type_at);
        }
        read_value(cur, static_cast<GgufType>(type), kv.value, 0, kv.key);
        if (!kv_index_.emplace(kv.key, k).second) {
            cur.error(strprintf("duplicate metadata key '%.*s'", static_cast<int>(kv.key.size()), kv.key.data()), at);
        }
    }
}

void GgufFile::parse_alignment() {
    const GgufValue* a = find("general.alignment");
    if (a == nullptr) return;
    if (a->type != GgufType::UINT32) {
        fail(strprintf("%s: general.alignment has type %s, expected uint32", name_.c_str(), gguf_type_name(a->type)));
    }
    if (a->u == 0 || (a->u & (a->u - 1)) != 0) {
        fail(strprintf("%s: general.alignment %llu is not a power of two", name_.c_str(),
                       static_cast<unsigned long long>(a->u)));
    }
    alignment_ = a->u;
}

// Name, shape, type and offset of tensor t; the byte size follows from the type's geometry.
void GgufFile::parse_tensor_info(GgufCursor& cur, uint64_t t) {
    const size_t at = cur.pos();
    GgufTensor& ti = tensors_[t];
    ti.name = cur.read_string("tensor name");
    const std::string nm(ti.name);
    if (ti.name.empty() || ti.name.size() > kMaxTensorNameLength) {
        cur.error(strprintf("tensor %llu has invalid name length %zu", static_cast<unsigned long long>(t), ti.name.size()),
                  at);
    }
    const uint32_t n_dims = cur.read<uint32_t>("tensor n_dims");
    if (n_dims == 0 || n_dims > 4) cur.error(strprintf("tensor '%s' has n_dims %u (must be 1..4)", nm.c_str(), n_dims), at);
    ti.n_dims = static_cast<int>(n_dims);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
        const uint64_t ne = cur.read<uint64_t>("tensor dimension");
        if (ne == 0) cur.error(strprintf("tensor '%s' has a zero dimension (ne[%u] = 0)", nm.c_str(), d), at);
        if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || mul_overflows(elements, ne, elements) ||
            elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            cur.error(strprintf("tensor '%s' element count overflows", nm.c_str()), at);
        }
        ti.ne[d] = static_cast<int64_t>(ne);
    }
    const uint32_t type_id = cur.read<uint32_t>("tensor type");
    const TypeTraits* traits = find_type(type_id);
    if (traits == nullptr) {
        cur.error(strprintf("tensor '%s' has unknown type id %u (supported: %s)", nm.c_str(), type_id,
                            known_type_names().c_str()),
                  at);
    }
    ti.type = traits->type;
    ti.offset = cur.read<uint64_t>("tensor data offset");
    if (ti.ne[0] % traits->block_size != 0) {
        cur.error(strprintf("tensor '%s': row length %lld is not a multiple of the %s block size %lld", nm.c_str(),
                            static_cast<long long>(ti.ne[0]), traits->name, static_cast<long long>(traits->block_size)),
                  at);
    }
    const auto nbytes = tensor_bytes(ti.type, std::span<const int64_t>(ti.ne, 4));
    if (!nbytes) cur.error(strprintf("tensor '%s' byte size overflows", nm.c_str()), at);
    ti.nbytes = *nbytes;
    if (ti.offset % alignment_ != 0) {
        cur.error(strprintf("tensor '%s' data offset %llu is not a multiple of the alignment %llu", nm.c_str(),
                            static_cast<unsigned long long>(ti.offset), static_cast<unsigned long long>(alignment_)),
                  at);
    }
    if (!tensor_index_.emplace(ti.name, t).second) cur.error(strprintf("duplicate tensor name '%s'", nm.c_str()), at);
}

// The data section starts at the aligned end of the header; every tensor must lie inside it and
// no two may overlap.
void GgufFile::bind_data_section(uint64_t header_end) {
    data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
    if (!tensors_.empty() && data_offset_ > size_) {
        fail(strprintf("%s: truncated file: the tensor data section would start at offset %llu but the file has %zu bytes",
                       name_.c_str(), static_cast<unsigned long long>(data_offset_), size_));
    }
    const uint64_t data_size = size_ > data_offset_ ? size_ - data_offset_ : 0;
    for (GgufTensor& ti : tensors_) {
        if (ti.offset > data_size || ti.nbytes > data_size - ti.offset) {
            fail(strprintf("%s: truncated file: tensor '%.*s' data [%llu, %llu) lies outside the data section of %llu bytes",
                           name_.c_str(), static_cast<int>(ti.name.size()), ti.name.data(),
                           static_cast<unsigned long long>(ti.offset),
                           static_cast<unsigned long long>(ti.offset + ti.nbytes),
                           static_cast<unsigned long long>(data_size)));
        }
        ti.data = base_ + data_offset_ + ti.offset;
    }
    std::vector<size_t> order(tensors_.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
    for (size_t k = 1; k < order.size(); ++k) {
        const GgufTensor& prev = tensors_[order[k - 1]];
        const GgufTensor& next = tensors_[order[k]];
        if (prev.offset + prev.nbytes > next.offset) {
            fail(strprintf("%s: tensor '%.*s' data overlaps tensor '%.*s'", name_.c_str(), static_cast<int>(prev.name.size()),
                           prev.name.data(), static_cast<int>(next.name.size()), next.name.data()));
        }
    }
}

const GgufValue* GgufFile::find(std::string_view key) const {
    const auto it = kv_index_.find(key);
    return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

static std::string key_str(std::string_view key) { return std::string(key); }

static const GgufValue& require(const GgufFile& f, std::string_view key) {
    const GgufValue* v = f.find(key);
    if (v == nullptr) fail(strprintf("%s: missing metadata key '%s'", f.path().c_str(), key_str(key).c_str()));
    return *v;
}

[[noreturn]] static void wrong_type(const GgufFile& f, std::string_view key, const GgufValue& v, const char* expected) {
    fail(strprintf("%s: metadata key '%s' has type %s, expected %s", f.path().c_str(), key_str(key).c_str(),
                   gguf_type_name(v.type), expected));
}

uint64_t GgufFile::get_uint(std::string_view key) const {
    const GgufValue& v = require(*this, key);
    if (!gguf_type_is_integer(v.type)) wrong_type(*this, key, v, "an unsigned integer");
    const bool is_signed = v.type == GgufType::INT8 || v.type == GgufType::INT16 || v.type == GgufType::INT32 ||
                           v.type == GgufType::INT64;
    if (is_signed && v.i < 0) {
        fail(strprintf("%s: metadata key '%s' is negative (%lld)", name_.c_str(), key_str(key).c_str(),
                       static_cast<long long>(v.i)));
    }
    return v.u;
}

int64_t GgufFile::get_int(std::string_view key) const {
    const GgufValue& v = require(*this, key);
    if (!gguf_type_is_integer(v.type)) wrong_type(*this, key, v, "an integer");
    if (v.type == GgufType::UINT64 && v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail(strprintf("%s: metadata key '%s' is out of range", name_.c_str(), key_str(key).c_str()));
    }
    return v.i;
}

float GgufFile::get_f32(std::string_view key) const {
    const GgufValue& v = require(*this, key);
    if (v.type != GgufType::FLOAT32 && v.type != GgufType::FLOAT64) wrong_type(*this, key, v, "float32");
    return static_cast<float>(v.f);
}

bool GgufFile::get_bool(std::string_view key) const {
    const GgufValue& v = require(*this, key);
    if (v.type != GgufType::BOOL) wrong_type(*this, key, v, "bool");
    return v.b;
}

std::string_view GgufFile::get_string(std::string_view key) const {
    const GgufValue& v = require(*this, key);
    if (v.type != GgufType::STRING) wrong_type(*this, key, v, "string");
    return v.str;
}

const GgufValue& GgufFile::get_array(std::string_view key, GgufType elem_type) const {
    const GgufValue& v = require(*this, key);
    if (v.type != GgufType::ARRAY || v.elem_type != elem_type) {
        const std::string expected = std::string("array of ") + gguf_type_name(elem_type);
        if (v.type == GgufType::ARRAY) {
            fail(strprintf("%s: metadata key '%s' is an array of %s, expected %s", name_.c_str(), key_str(key).c_str(),
                           gguf_type_name(v.elem_type), expected.c_str()));
        }
        wrong_type(*this, key, v, expected.c_str());
    }
    return v;
}

std::optional<uint64_t> GgufFile::opt_uint(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_uint(key);
}
std::optional<float> GgufFile::opt_f32(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_f32(key);
}
std::optional<bool> GgufFile::opt_bool(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_bool(key);
}
std::optional<std::string_view> GgufFile::opt_string(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return get_string(key);
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
    const auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensor& GgufFile::tensor(std::string_view name) const {
    const GgufTensor* t = find_tensor(name);
    if (t == nullptr) fail(strprintf("%s: missing tensor '%s'", name_.c_str(), key_str(name).c_str()));
    return *t;
}

}  // namespace bitnet
