#include "model/head_import.hpp"

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "gguf/gguf_file.hpp"
#include "kernels/dense_types.hpp"
#include "model/resident_copy.hpp"
#include "model/weights.hpp"
#include "quant/types.hpp"

namespace bitnet {

DenseMatrix load_dense_head(const GgufTensor& t, const GgufFile& file, const WeightLoadOptions& options, ThreadPool& pool,
                            std::vector<AlignedBuffer<uint8_t>>& owned, size_t& owned_bytes) {
    const int64_t cols = t.ne[0], rows = t.ne[1];
    DenseMatrix m;
    m.rows = rows;
    m.cols = cols;
    const GgmlType target = options.head_type.value_or(t.type);
    m.type = dense_type_of(target);
    m.row_stride = row_bytes(target, cols);
    if (target == t.type) {
        if (options.use_mmap && cache_line_aligned(t.data)) {
            m.data = t.data;
            return m;
        }
        AlignedBuffer<uint8_t>& buf = owned.emplace_back(resident_copy(t.data, t.nbytes, pool));
        owned_bytes += buf.size();
        if (file.mapping() != nullptr) file.mapping()->advise_dontneed(file.data_offset() + t.offset, t.nbytes);
        m.data = buf.data();
        return m;
    }
    const TypeTraits& dst = type_traits(target);
    if (dst.quantize_row == nullptr || cols % dst.block_size != 0) {
        fail(strprintf("cannot requantize the LM head to %s (row length %lld)", dst.name, static_cast<long long>(cols)));
    }
    AlignedBuffer<uint8_t>& buf = owned.emplace_back(m.row_stride * static_cast<size_t>(rows), PageHint::huge);
    owned_bytes += buf.size();
    pool.run([&](int thread) {
        const auto range = ThreadPool::split(static_cast<size_t>(rows), 64, thread, pool.size());
        std::vector<float> row(static_cast<size_t>(cols));
        for (size_t r = range.begin; r < range.end; ++r) {
            dequantize_rows(t.type, t.data, cols, t.n_elements(), static_cast<int64_t>(r), 1, row.data());
            dst.quantize_row(row.data(), buf.data() + r * m.row_stride, cols);
        }
    });
    if (file.mapping() != nullptr) file.mapping()->advise_dontneed(file.data_offset() + t.offset, t.nbytes);
    m.data = buf.data();
    return m;
}

}  // namespace bitnet
