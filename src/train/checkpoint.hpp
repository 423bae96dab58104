#pragma once
// Training checkpoints: everything a run needs to continue exactly where it stopped (the master
// weights, both Adam moments, the step, the best validation loss) and the settings that shape the
// trajectory, which a resume must match. Written atomically (to PATH.tmp, then renamed).
#include <cstdint>
#include <string>
#include <vector>

#include "train/shape.hpp"

namespace bitnet {

// Settings that change the loss curve; a resume with different values would not continue the run.
struct RunSettings {
    TrainShape shape;
    uint64_t seed = 0;
    int64_t batch = 0, steps = 0, warmup = 0, float_steps = 0;
    float lr = 0, lr2 = 0, weight_decay = 0, clip = 0;
};

struct TrainingCheckpoint {
    RunSettings settings;
    int64_t step = 0;  // steps completed
    double best_val = 0.0;  // best validation loss so far (0: none yet)
    std::vector<float> params, m, v;
};

void save_checkpoint(const std::string& path, const TrainingCheckpoint& c);
// Throws Error naming the file and what is wrong (not a checkpoint, truncated, sizes that do not
// match its own shape).
TrainingCheckpoint load_checkpoint(const std::string& path);
// Throws Error naming the first setting that differs.
void require_same_settings(const RunSettings& saved, const RunSettings& now);

}  // namespace bitnet
