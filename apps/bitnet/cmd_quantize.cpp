#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "core/error.hpp"
#include "tools/quantize.hpp"

namespace bitnet::cli {

Action add_quantize(CLI::App& app) {
    struct Options {
        QuantizeOptions q;
        std::string type, head_type;
        bool quiet = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "quantize", "Re-encode a model's ternary matrices into another ternary type (values unchanged) and optionally "
                    "requantize the LM head");
    cmd->add_option("input", o->q.input, "Input GGUF")->required()->check(CLI::ExistingFile);
    cmd->add_option("output", o->q.output, "Output GGUF")->required();
    cmd->add_option("type", o->type, "Ternary type: i2_s, tq1_0, tq2_0, iq2_bn or iq1_bn")
        ->required()
        ->check(CLI::IsMember({"i2_s", "tq1_0", "tq2_0", "iq2_bn", "iq1_bn"}));
    cmd->add_option("--head-type", o->head_type, "Requantize the LM head: f32, f16, bf16, q8_0 or q6_k")
        ->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0", "q6_k"}));
    cmd->add_flag("-q,--quiet", o->quiet, "No progress bar");
    return [o] {
        QuantizeOptions opts = o->q;
        opts.type = *parse_type_name(o->type);
        if (!o->head_type.empty()) opts.head_type = parse_type_name(o->head_type);
        opts.progress = !o->quiet;
        const QuantizeResult r = quantize_model(opts);
        std::printf("%zu ternary tensors re-encoded as %s: ternary values identical, largest scale change %.3g %%\n",
                    r.n_reencoded, type_name(opts.type), 100.0 * r.max_scale_change);
        for (const HeadReport& h : r.head) {
            std::printf("%s: %s -> %s, RMSE %.6g, max error %.6g\n", h.name.c_str(), type_name(h.from), type_name(h.to),
                        h.rmse, h.max_error);
        }
        const double change = 100.0 * (static_cast<double>(r.output_bytes) / static_cast<double>(r.input_bytes) - 1.0);
        std::printf("%zu tensors copied; file %zu -> %zu bytes (%+.2f %%)\n", r.n_copied, r.input_bytes, r.output_bytes,
                    change);
        return 0;
    };
}

}  // namespace bitnet::cli
