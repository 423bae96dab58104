#include "gguf/gguf_writer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.hpp"

namespace bitnet {

namespace {

template <class T>
void append(std::vector<uint8_t>& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

void append_string(std::vector<uint8_t>& out, std::string_view s) {
    append<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

void encode_array(std::vector<uint8_t>& out, const GgufValue& v);

void encode_value(std::vector<uint8_t>& out, const GgufValue& v) {
    switch (v.type) {
        case GgufType::UINT8: append<uint8_t>(out, static_cast<uint8_t>(v.u)); break;
        case GgufType::INT8: append<int8_t>(out, static_cast<int8_t>(v.i)); break;
        case GgufType::UINT16: append<uint16_t>(out, static_cast<uint16_t>(v.u)); break;
        case GgufType::INT16: append<int16_t>(out, static_cast<int16_t>(v.i)); break;
        case GgufType::UINT32: append<uint32_t>(out, static_cast<uint32_t>(v.u)); break;
        case GgufType::INT32: append<int32_t>(out, static_cast<int32_t>(v.i)); break;
        case GgufType::UINT64: append<uint64_t>(out, v.u); break;
        case GgufType::INT64: append<int64_t>(out, v.i); break;
        case GgufType::FLOAT32: append<float>(out, static_cast<float>(v.f)); break;
        case GgufType::FLOAT64: append<double>(out, v.f); break;
        case GgufType::BOOL: append<uint8_t>(out, v.b ? 1 : 0); break;
        case GgufType::STRING: append_string(out, v.str); break;
        case GgufType::ARRAY: encode_array(out, v); break;
    }
}

void encode_array(std::vector<uint8_t>& out, const GgufValue& v) {
    append<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
    append<uint64_t>(out, v.count);
    if (v.elem_type == GgufType::STRING) {
        for (std::string_view s : v.strings) append_string(out, s);
    } else if (v.elem_type == GgufType::ARRAY) {
        for (const GgufValue& item : v.items) encode_array(out, item);
    } else {
        out.insert(out.end(), v.raw, v.raw + v.count * gguf_scalar_size(v.elem_type));
    }
}

size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace

void GgufWriter::put(std::string_view key, GgufType type, std::vector<uint8_t> encoded) {
    for (Kv& kv : kvs_) {
        if (kv.key == key) {
            kv.type = type;
            kv.encoded = std::move(encoded);
            return;
        }
    }
    kvs_.push_back({std::string(key), type, std::move(encoded)});
}

void GgufWriter::set_u32(std::string_view key, uint32_t v) {
    std::vector<uint8_t> e;
    append(e, v);
    put(key, GgufType::UINT32, std::move(e));
}
void GgufWriter::set_i32(std::string_view key, int32_t v) {
    std::vector<uint8_t> e;
    append(e, v);
    put(key, GgufType::INT32, std::move(e));
}
void GgufWriter::set_u64(std::string_view key, uint64_t v) {
    std::vector<uint8_t> e;
    append(e, v);
    put(key, GgufType::UINT64, std::move(e));
}
void GgufWriter::set_f32(std::string_view key, float v) {
    std::vector<uint8_t> e;
    append(e, v);
    put(key, GgufType::FLOAT32, std::move(e));
}
void GgufWriter::set_bool(std::string_view key, bool v) {
    put(key, GgufType::BOOL, {static_cast<uint8_t>(v ? 1 : 0)});
}
void GgufWriter::set_string(std::string_view key, std::string_view v) {
    std::vector<uint8_t> e;
    append_string(e, v);
    put(key, GgufType::STRING, std::move(e));
}
void GgufWriter::set_string_array(std::string_view key, const std::vector<std::string>& v) {
    std::vector<uint8_t> e;
    append<uint32_t>(e, static_cast<uint32_t>(GgufType::STRING));
    append<uint64_t>(e, v.size());
    for (const std::string& s : v) append_string(e, s);
    put(key, GgufType::ARRAY, std::move(e));
}
void GgufWriter::set_f32_array(std::string_view key, const std::vector<float>& v) {
    std::vector<uint8_t> e;
    append<uint32_t>(e, static_cast<uint32_t>(GgufType::FLOAT32));
    append<uint64_t>(e, v.size());
    for (float x : v) append(e, x);
    put(key, GgufType::ARRAY, std::move(e));
}
void GgufWriter::set_i32_array(std::string_view key, const std::vector<int32_t>& v) {
    std::vector<uint8_t> e;
    append<uint32_t>(e, static_cast<uint32_t>(GgufType::INT32));
    append<uint64_t>(e, v.size());
    for (int32_t x : v) append(e, x);
    put(key, GgufType::ARRAY, std::move(e));
}
void GgufWriter::set_value(std::string_view key, const GgufValue& v) {
    std::vector<uint8_t> e;
    encode_value(e, v);
    put(key, v.type, std::move(e));
}
void GgufWriter::set_raw(std::string_view key, GgufType type, std::vector<uint8_t> encoded) {
    put(key, type, std::move(encoded));
}
void GgufWriter::remove(std::string_view key) {
    std::erase_if(kvs_, [&](const Kv& kv) { return kv.key == key; });
}
void GgufWriter::set_alignment(uint32_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) fail("GGUF alignment must be a power of two");
    alignment_ = alignment;
    set_u32("general.alignment", alignment);
}

void GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne, FillFn fill) {
    if (ne.empty() || ne.size() > 4) fail(strprintf("tensor '%s': 1 to 4 dimensions required", name.c_str()));
    for (const auto& t : tensors_) {
        if (t.name == name) fail(strprintf("duplicate tensor name '%s'", name.c_str()));
    }
    const auto nbytes = tensor_bytes(type, ne);
    if (!nbytes) {
        fail(strprintf("tensor '%s': shape is invalid for type %s (row length must be a multiple of the block size)",
                       name.c_str(), type_name(type)));
    }
    tensors_.push_back({std::move(name), type, std::move(ne), *nbytes, std::move(fill)});
}

void GgufWriter::add_tensor_copy(std::string name, GgmlType type, std::vector<int64_t> ne, const void* data) {
    add_tensor(std::move(name), type, std::move(ne),
               [data](uint8_t* dst, size_t nbytes) { std::memcpy(dst, data, nbytes); });
}

std::vector<uint8_t> GgufWriter::header_bytes() const {
    std::vector<uint8_t> out;
    append<uint32_t>(out, 0x46554747u);
    append<uint32_t>(out, 3);
    append<uint64_t>(out, tensors_.size());
    append<uint64_t>(out, kvs_.size());
    for (const Kv& kv : kvs_) {
        append_string(out, kv.key);
        append<uint32_t>(out, static_cast<uint32_t>(kv.type));
        out.insert(out.end(), kv.encoded.begin(), kv.encoded.end());
    }
    uint64_t offset = 0;
    for (const Tensor& t : tensors_) {
        append_string(out, t.name);
        append<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
        for (int64_t d : t.ne) append<uint64_t>(out, static_cast<uint64_t>(d));
        append<uint32_t>(out, static_cast<uint32_t>(t.type));
        append<uint64_t>(out, offset);
        offset += align_up(t.nbytes, alignment_);
    }
    out.resize(align_up(out.size(), alignment_), 0);
    return out;
}

template <class Sink>
void GgufWriter::emit(Sink& sink, const ProgressFn& progress) const {
    const std::vector<uint8_t> header = header_bytes();
    sink(header.data(), header.size());
    std::vector<uint8_t> buf;
    for (size_t k = 0; k < tensors_.size(); ++k) {
        const Tensor& t = tensors_[k];
        buf.assign(align_up(t.nbytes, alignment_), 0);
        t.fill(buf.data(), t.nbytes);
        sink(buf.data(), buf.size());
        if (progress) progress(k + 1, tensors_.size());
    }
}

void GgufWriter::write(const std::string& path, const ProgressFn& progress) const {
    const std::string tmp = path + ".tmp";
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
    if (!f) fail(strprintf("cannot create '%s': %s", tmp.c_str(), std::strerror(errno)));
    auto sink = [&](const uint8_t* p, size_t n) {
        if (std::fwrite(p, 1, n, f.get()) != n) {
            const int err = errno;
            std::remove(tmp.c_str());
            fail(strprintf("cannot write '%s': %s", tmp.c_str(), std::strerror(err)));
        }
    };
    try {
        emit(sink, progress);
    } catch (...) {
        f.reset();
        std::remove(tmp.c_str());
        throw;
    }
    if (std::fclose(f.release()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        fail(strprintf("cannot write '%s': %s", tmp.c_str(), std::strerror(err)));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        fail(strprintf("cannot rename '%s' to '%s': %s", tmp.c_str(), path.c_str(), std::strerror(err)));
    }
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
    std::vector<uint8_t> out;
    auto sink = [&](const uint8_t* p, size_t n) { out.insert(out.end(), p, p + n); };
    emit(sink, {});
    return out;
}

}  // namespace bitnet
