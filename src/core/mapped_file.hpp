#pragma once
// Read-only memory map of a whole file. Tensor data is used in place from this mapping.
#include <cstddef>
#include <cstdint>
#include <string>

namespace bitnet {

class MappedFile {
public:
    MappedFile() = default;
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

    // Asks the kernel to read ahead (whole-file streaming access, e.g. at load time).
    void advise_willneed(size_t offset, size_t length) const;
    // Drops the given range from this process's resident set (data stays in the page cache).
    void advise_dontneed(size_t offset, size_t length) const;

private:
    void release();
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    std::string path_;
};

}  // namespace bitnet
