#include "tools/convert/hf_config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace bitnet {

namespace {

using nlohmann::json;

class ConfigReader {
public:
    ConfigReader(const json& j, const std::string& name) : j_(j), name_(name) {}

    [[noreturn]] void refuse(const std::string& key, const std::string& why) const {
        fail(strprintf("%s: %s: %s", name_.c_str(), key.c_str(), why.c_str()));
    }
    int64_t positive(const char* key, int64_t max = int64_t{1} << 31) const {
        const auto it = j_.find(key);
        if (it == j_.end()) refuse(key, "missing");
        if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > max) {
            refuse(key, "must be a positive integer, got " + it->dump());
        }
        return it->get<int64_t>();
    }
    std::optional<int64_t> opt_positive(const char* key) const {
        const auto it = j_.find(key);
        if (it == j_.end() || it->is_null()) return std::nullopt;
        return positive(key);
    }
    float number(const char* key, float fallback) const {
        const auto it = j_.find(key);
        if (it == j_.end()) return fallback;
        if (!it->is_number() || !(it->get<double>() > 0.0)) refuse(key, "must be a positive number, got " + it->dump());
        return it->get<float>();
    }
    std::string string(const json& obj, const char* key, const std::string& fallback, const std::string& path) const {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return fallback;
        if (!it->is_string()) refuse(path, "must be a string, got " + it->dump());
        return it->get<std::string>();
    }
    bool flag(const json& obj, const char* key, bool fallback, const std::string& path) const {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return fallback;
        if (!it->is_boolean()) refuse(path, "must be true or false, got " + it->dump());
        return it->get<bool>();
    }
    const json& j() const { return j_; }

private:
    const json& j_;
    const std::string& name_;
};

std::string architecture(const ConfigReader& r) {
    const auto it = r.j().find("architectures");
    if (it == r.j().end() || !it->is_array() || it->size() != 1 || !(*it)[0].is_string()) {
        r.refuse("architectures", "expected a list of one class name");
    }
    return (*it)[0].get<std::string>();
}

// quantization_config: only the BitNet method; sets the scale direction; refuses what is not
// implemented (per-projection RMSNorm, quantized modules other than the head left dense).
void read_quantization(const ConfigReader& r, HfConfig& c) {
    const auto it = r.j().find("quantization_config");
    if (it == r.j().end() || it->is_null()) {
        if (c.family == HfFamily::ternary_llama) {
            r.refuse("quantization_config", "missing: a Llama checkpoint without the BitNet quantization config is a dense "
                                            "model (for Falcon-E use the packed 'main' revision)");
        }
        return;
    }
    const json& q = *it;
    if (!q.is_object()) r.refuse("quantization_config", "must be an object");
    const std::string method = r.string(q, "quant_method", "", "quantization_config.quant_method");
    if (method != "bitnet") r.refuse("quantization_config.quant_method", "'" + method + "' is not supported (only 'bitnet')");
    const std::string cls = r.string(q, "linear_class", "bitlinear", "quantization_config.linear_class");
    if (cls != "bitlinear" && cls != "autobitlinear") {
        r.refuse("quantization_config.linear_class", "'" + cls + "' is not supported (bitlinear or autobitlinear)");
    }
    c.scale_multiplies = cls == "autobitlinear";
    const std::string mode = r.string(q, "quantization_mode", "offline", "quantization_config.quantization_mode");
    if (mode != "offline" && mode != "online") {
        r.refuse("quantization_config.quantization_mode", "'" + mode + "' is not supported (offline or online)");
    }
    if (r.flag(q, "use_rms_norm", false, "quantization_config.use_rms_norm")) {
        r.refuse("quantization_config.use_rms_norm", "true (an RMSNorm inside every BitLinear) is not implemented");
    }
    if (const auto m = q.find("modules_to_not_convert"); m != q.end() && !m->is_null()) {
        if (!m->is_array()) r.refuse("quantization_config.modules_to_not_convert", "must be a list");
        for (const auto& name : *m) {
            if (!name.is_string() || name.get<std::string>() != "lm_head") {
                r.refuse("quantization_config.modules_to_not_convert",
                         "lists " + name.dump() + "; only the LM head may stay unquantized");
            }
        }
    }
}

void refuse_unsupported(const ConfigReader& r) {
    const json& j = r.j();
    if (const auto it = j.find("rope_scaling"); it != j.end() && !it->is_null()) {
        r.refuse("rope_scaling", it->dump() + " is not implemented");
    }
    for (const char* key : {"attention_bias", "mlp_bias"}) {
        if (r.flag(j, key, false, key)) r.refuse(key, "true (biases in the projections) is not implemented");
    }
    if (r.number("partial_rotary_factor", 1.0f) != 1.0f) r.refuse("partial_rotary_factor", "partial RoPE is not implemented");
}

std::optional<int64_t> single_id(const ConfigReader& r, const char* key) {
    const auto it = r.j().find(key);
    if (it == r.j().end() || !it->is_number_integer()) return std::nullopt;  // absent, null or a list
    return it->get<int64_t>();
}

}  // namespace

HfConfig parse_hf_config(const std::string& text, const std::string& name) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail(name + ": not a JSON object");
    const ConfigReader r(j, name);
    HfConfig c;
    const std::string cls = architecture(r);
    if (cls == "BitNetForCausalLM") {
        c.family = HfFamily::bitnet_b158;
        c.arch = "bitnet-b1.58";
    } else if (cls == "BitnetForCausalLM") {
        c.family = HfFamily::bitnet_2024;
        c.arch = "bitnet";
    } else if (cls == "LlamaForCausalLM") {
        c.family = HfFamily::ternary_llama;
        c.arch = "ternary-llama";
    } else {
        r.refuse("architectures", "'" + cls + "' is not supported (BitNetForCausalLM, BitnetForCausalLM, LlamaForCausalLM)");
    }
    c.hidden_act = r.string(j, "hidden_act", c.family == HfFamily::bitnet_b158 ? "relu2" : "silu", "hidden_act");
    const bool act_ok = c.family == HfFamily::bitnet_b158 ? c.hidden_act == "relu2" : c.hidden_act == "silu";
    if (!act_ok) {
        r.refuse("hidden_act", "'" + c.hidden_act + "' is not supported for " + cls + " (expected " +
                                   (c.family == HfFamily::bitnet_b158 ? "relu2" : "silu") + ")");
    }
    c.vocab_size = r.positive("vocab_size");
    c.hidden = r.positive("hidden_size", 1 << 20);
    c.intermediate = r.positive("intermediate_size", 1 << 22);
    c.n_layer = r.positive("num_hidden_layers", 4096);
    c.n_head = r.positive("num_attention_heads", 1 << 16);
    c.n_head_kv = r.opt_positive("num_key_value_heads").value_or(c.n_head);
    if (c.n_head % c.n_head_kv != 0) r.refuse("num_key_value_heads", "must divide num_attention_heads");
    if (c.hidden % c.n_head != 0) r.refuse("num_attention_heads", "must divide hidden_size");
    c.head_dim = r.opt_positive("head_dim").value_or(c.hidden / c.n_head);
    if (c.head_dim % 2 != 0) r.refuse("head_dim", "must be even for RoPE");
    c.n_ctx = r.opt_positive("max_position_embeddings").value_or(2048);
    c.rope_theta = r.number("rope_theta", 10000.0f);
    c.rms_eps = r.number("rms_norm_eps", 1e-6f);
    c.tied = r.flag(j, "tie_word_embeddings", false, "tie_word_embeddings");  // transformers' default for all three
    c.bos_id = single_id(r, "bos_token_id");
    c.eos_id = single_id(r, "eos_token_id");
    refuse_unsupported(r);
    read_quantization(r, c);
    return c;
}

HfConfig read_hf_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_hf_config(ss.str(), path);
}

}  // namespace bitnet
