#include "core/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace bitnet {

MappedFile::MappedFile(const std::string& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(strprintf("cannot open '%s': %s", path.c_str(), std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        fail(strprintf("cannot stat '%s': %s", path.c_str(), std::strerror(err)));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(strprintf("'%s' is not a regular file", path.c_str()));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0) {
        ::close(fd);
        fail(strprintf("'%s' is empty", path.c_str()));
    }
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (p == MAP_FAILED) fail(strprintf("cannot map '%s': %s", path.c_str(), std::strerror(err)));
    data_ = static_cast<const uint8_t*>(p);
}

MappedFile::~MappedFile() { release(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)), path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        path_ = std::move(other.path_);
    }
    return *this;
}

void MappedFile::release() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
}

static void advise(const uint8_t* base, size_t size, size_t offset, size_t length, int advice) {
    if (base == nullptr || offset >= size) return;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_t begin = offset & ~(page - 1);
    size_t end = std::min(size, offset + length);
    if (advice == MADV_DONTNEED) {
        // Only whole pages inside the range may be dropped.
        begin = (offset + page - 1) & ~(page - 1);
        end &= ~(page - 1);
        if (end <= begin) return;
    }
    ::madvise(const_cast<uint8_t*>(base) + begin, end - begin, advice);
}

void MappedFile::advise_willneed(size_t offset, size_t length) const {
    advise(data_, size_, offset, length, MADV_WILLNEED);
}

void MappedFile::advise_dontneed(size_t offset, size_t length) const {
    advise(data_, size_, offset, length, MADV_DONTNEED);
}

}  // namespace bitnet
