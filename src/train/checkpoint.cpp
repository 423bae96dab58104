#include "train/checkpoint.hpp"

#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "train/params.hpp"

namespace bitnet {

namespace {

constexpr char kMagic[8] = {'B', 'N', 'T', 'R', 'C', 'K', 'P', '1'};

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Fixed-size header: every field of RunSettings and the step, as 64-bit values.
struct Header {
    char magic[8];
    int64_t shape[7];
    float rope_theta, rms_eps;
    uint64_t seed;
    int64_t batch, steps, warmup, float_steps;
    float lr, lr2, weight_decay, clip;
    int64_t step;
    double best_val;
    uint64_t n_floats;
};

Header to_header(const TrainingCheckpoint& c) {
    Header h;
    std::memset(&h, 0, sizeof h);  // padding too: same run, same bytes
    std::memcpy(h.magic, kMagic, 8);
    const TrainShape& s = c.settings.shape;
    const int64_t dims[7] = {s.n_vocab, s.n_layer, s.n_embd, s.n_ff, s.n_head, s.n_head_kv, s.n_ctx};
    std::memcpy(h.shape, dims, sizeof dims);
    h.rope_theta = s.rope_theta;
    h.rms_eps = s.rms_eps;
    const RunSettings& r = c.settings;
    h.seed = r.seed;
    h.batch = r.batch;
    h.steps = r.steps;
    h.warmup = r.warmup;
    h.float_steps = r.float_steps;
    h.lr = r.lr;
    h.lr2 = r.lr2;
    h.weight_decay = r.weight_decay;
    h.clip = r.clip;
    h.step = c.step;
    h.best_val = c.best_val;
    h.n_floats = c.params.size();
    return h;
}

RunSettings from_header(const Header& h) {
    RunSettings r;
    TrainShape& s = r.shape;
    s.n_vocab = h.shape[0];
    s.n_layer = h.shape[1];
    s.n_embd = h.shape[2];
    s.n_ff = h.shape[3];
    s.n_head = h.shape[4];
    s.n_head_kv = h.shape[5];
    s.n_ctx = h.shape[6];
    s.rope_theta = h.rope_theta;
    s.rms_eps = h.rms_eps;
    r.seed = h.seed;
    r.batch = h.batch;
    r.steps = h.steps;
    r.warmup = h.warmup;
    r.float_steps = h.float_steps;
    r.lr = h.lr;
    r.lr2 = h.lr2;
    r.weight_decay = h.weight_decay;
    r.clip = h.clip;
    return r;
}

}  // namespace

void save_checkpoint(const std::string& path, const TrainingCheckpoint& c) {
    if (c.m.size() != c.params.size() || c.v.size() != c.params.size()) fail("checkpoint: moment sizes differ from the weights");
    const std::string tmp = path + ".tmp";
    {
        File f(std::fopen(tmp.c_str(), "wb"));
        if (!f) fail(strprintf("checkpoint: cannot write %s", tmp.c_str()));
        const Header h = to_header(c);
        bool ok = std::fwrite(&h, sizeof h, 1, f.get()) == 1;
        for (const std::vector<float>* v : {&c.params, &c.m, &c.v}) {
            ok = ok && std::fwrite(v->data(), sizeof(float), v->size(), f.get()) == v->size();
        }
        if (!ok || std::fflush(f.get()) != 0) fail(strprintf("checkpoint: writing %s failed (disk full?)", tmp.c_str()));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(strprintf("checkpoint: cannot rename %s to %s", tmp.c_str(), path.c_str()));
}

TrainingCheckpoint load_checkpoint(const std::string& path) {
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) fail(strprintf("checkpoint: cannot open %s", path.c_str()));
    Header h{};
    if (std::fread(&h, sizeof h, 1, f.get()) != 1 || std::memcmp(h.magic, kMagic, 8) != 0) {
        fail(strprintf("checkpoint: %s is not a bitnet training checkpoint", path.c_str()));
    }
    TrainingCheckpoint c;
    c.settings = from_header(h);
    try {
        validate_shape(c.settings.shape);
    } catch (const Error& e) {
        fail(strprintf("checkpoint: %s records an invalid shape: %s", path.c_str(), e.what()));
    }
    const ParamLayout layout(c.settings.shape);
    if (h.n_floats != layout.n_floats || h.step < 0 || h.step > h.steps) {
        fail(strprintf("checkpoint: %s is inconsistent (%llu weights for a shape of %zu, step %lld of %lld)", path.c_str(),
                       static_cast<unsigned long long>(h.n_floats), layout.n_floats, static_cast<long long>(h.step),
                       static_cast<long long>(h.steps)));
    }
    std::fseek(f.get(), 0, SEEK_END);
    const long size = std::ftell(f.get());
    const size_t want = sizeof h + 3 * layout.n_floats * sizeof(float);
    if (size < 0 || static_cast<size_t>(size) != want) {
        fail(strprintf("checkpoint: %s has %ld bytes, expected %zu (truncated?)", path.c_str(), size, want));
    }
    std::fseek(f.get(), sizeof h, SEEK_SET);
    c.step = h.step;
    c.best_val = h.best_val;
    for (std::vector<float>* v : {&c.params, &c.m, &c.v}) {
        v->resize(layout.n_floats);
        if (std::fread(v->data(), sizeof(float), v->size(), f.get()) != v->size()) fail(strprintf("checkpoint: reading %s failed", path.c_str()));
    }
    return c;
}

void require_same_settings(const RunSettings& a, const RunSettings& b) {
    auto check = [](const char* what, auto x, auto y) {
        if (x != y) fail(strprintf("resume: %s differs from the checkpoint's (the run would not continue the same way)", what));
    };
    const TrainShape &s = a.shape, &t = b.shape;
    check("--vocab size", s.n_vocab, t.n_vocab);
    check("--layers", s.n_layer, t.n_layer);
    check("--embd", s.n_embd, t.n_embd);
    check("--ff", s.n_ff, t.n_ff);
    check("--heads", s.n_head, t.n_head);
    check("--kv-heads", s.n_head_kv, t.n_head_kv);
    check("--ctx", s.n_ctx, t.n_ctx);
    check("--seed", a.seed, b.seed);
    check("--batch", a.batch, b.batch);
    check("--steps", a.steps, b.steps);
    check("--warmup", a.warmup, b.warmup);
    check("--float-steps", a.float_steps, b.float_steps);
    check("--lr", a.lr, b.lr);
    check("--lr2", a.lr2, b.lr2);
    check("--wd", a.weight_decay, b.weight_decay);
    check("--clip", a.clip, b.clip);
}

}  // namespace bitnet
