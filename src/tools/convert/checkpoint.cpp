#include "tools/convert/checkpoint.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"

namespace bitnet {

namespace fs = std::filesystem;

namespace {

// Shard file names from the index's weight_map, checked to stay inside the directory.
std::map<std::string, std::string> read_weight_map(const fs::path& index) {
    std::ifstream in(index);
    if (!in) fail("cannot read " + index.string());
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(index.string() + ": not valid JSON");
    const auto wm = j.find("weight_map");
    if (wm == j.end() || !wm->is_object() || wm->empty()) fail(index.string() + ": missing or empty \"weight_map\" object");
    std::map<std::string, std::string> out;
    for (const auto& [tensor, file] : wm->items()) {
        if (!file.is_string()) fail(index.string() + ": weight_map[\"" + tensor + "\"] is not a file name");
        const std::string name = file.get<std::string>();
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
            fail(index.string() + ": weight_map[\"" + tensor + "\"] = \"" + name + "\" is not a file in the directory");
        }
        out[tensor] = name;
    }
    return out;
}

}  // namespace

Checkpoint::Checkpoint(const std::string& dir) : dir_(dir) {
    const fs::path d(dir);
    if (!fs::is_directory(d)) fail(dir + ": not a directory");
    const fs::path index = d / "model.safetensors.index.json";
    if (!fs::exists(index)) {
        const fs::path single = d / "model.safetensors";
        if (!fs::exists(single)) {
            fail(dir + ": no model.safetensors or model.safetensors.index.json (only safetensors checkpoints are supported)");
        }
        files_.push_back(std::make_unique<SafetensorsFile>(single.string()));
        return;
    }
    const std::map<std::string, std::string> map = read_weight_map(index);
    std::set<std::string> shards;
    for (const auto& [tensor, file] : map) shards.insert(file);
    std::map<std::string, const SafetensorsFile*> by_name;
    for (const std::string& s : shards) {
        files_.push_back(std::make_unique<SafetensorsFile>((d / s).string()));
        by_name[s] = files_.back().get();
    }
    for (const auto& [tensor, file] : map) {
        if (by_name[file]->find(tensor) == nullptr) {
            fail(strprintf("%s: weight_map puts '%s' in %s, which has no such tensor", index.string().c_str(),
                           tensor.c_str(), file.c_str()));
        }
    }
    // A tensor in two shards would make the result depend on lookup order.
    std::set<std::string> seen;
    for (const auto& f : files_) {
        for (const StTensor& t : f->tensors()) {
            if (!seen.insert(t.name).second) fail(strprintf("%s: tensor '%s' appears in more than one shard", dir.c_str(), t.name.c_str()));
        }
    }
}

const StTensor* Checkpoint::find(std::string_view name) const {
    for (const auto& f : files_) {
        if (const StTensor* t = f->find(name)) return t;
    }
    return nullptr;
}

const StTensor& Checkpoint::get(std::string_view name) const {
    const StTensor* t = find(name);
    if (t == nullptr) fail(strprintf("%s: the checkpoint has no tensor '%.*s'", dir_.c_str(), static_cast<int>(name.size()), name.data()));
    return *t;
}

void Checkpoint::release(const StTensor& t) const {
    for (const auto& f : files_) {
        if (f->find(t.name) == &t) f->release(t);
    }
}

std::vector<std::string> Checkpoint::tensor_names() const {
    std::vector<std::string> out;
    for (const auto& f : files_) {
        for (const StTensor& t : f->tensors()) out.push_back(t.name);
    }
    return out;
}

size_t Checkpoint::n_tensors() const {
    size_t n = 0;
    for (const auto& f : files_) n += f->tensors().size();
    return n;
}

size_t Checkpoint::total_bytes() const {
    size_t n = 0;
    for (const auto& f : files_) n += fs::file_size(f->path());
    return n;
}

}  // namespace bitnet
