#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "train/model.hpp"

namespace bitnet {
namespace {

TEST(TrainModel, RejectsAbsurdBatch) {
    TrainShape s{64, 2, 128, 256, 4, 2, 16};
    ParamLayout layout(s);
    ThreadPool pool(1);
    EXPECT_THROW(TrainModel(layout, pool, 0, size_t{1} << 30), Error);
    s.n_ctx = 65536;
    ParamLayout big(s);
    EXPECT_THROW(TrainModel(big, pool, 4096, size_t{1} << 30), Error);
}

}  // namespace
}  // namespace bitnet
