#include "tools/perplexity_report.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace bitnet {

namespace {

// "  value ± uncertainty" with the same printf width and precision for both.
std::string pm(const Estimate& e, int width, int precision) {
    return strprintf("%*.*f ± %*.*f", width, precision, e.value, width, precision, e.uncertainty);
}

Estimate percent(const Estimate& e) { return {100.0 * e.value, 100.0 * e.uncertainty}; }

void put(nlohmann::json& j, const std::string& key, const Estimate& e) {
    j[key] = e.value;
    j[key + "_stderr"] = e.uncertainty;
}

void put(nlohmann::json& j, const std::string& prefix, const Distribution& d) {
    j[prefix + "_max"] = d.max;
    j[prefix + "_99_9"] = d.p99_9;
    j[prefix + "_99"] = d.p99;
    j[prefix + "_95"] = d.p95;
    j[prefix + "_90"] = d.p90;
    j[prefix + "_75"] = d.p75;
    j[prefix + "_median"] = d.median;
    j[prefix + "_25"] = d.p25;
    j[prefix + "_10"] = d.p10;
    j[prefix + "_5"] = d.p5;
    j[prefix + "_1"] = d.p1;
    j[prefix + "_0_1"] = d.p0_1;
    j[prefix + "_min"] = d.min;
}

}  // namespace

std::string format_chunk_ppl(int64_t chunk, double ppl) {
    return strprintf("[%lld]%.4f,", static_cast<long long>(chunk), ppl);
}

std::string format_final_estimate(const PerplexityResult& r) {
    return strprintf("Final estimate: PPL = %.4f +/- %.5f", r.ppl.value, r.ppl.uncertainty);
}

std::string format_kld_chunk_header() {
    return "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS"
           "            Same top p";
}

std::string format_kld_chunk_row(int64_t chunk, const KldRunning& r) {
    return strprintf("%4lld    %s    %s    %s    %s %%    %s %%", static_cast<long long>(chunk),
                     pm(r.ppl_q, 9, 4).c_str(), pm(r.ln_ppl_ratio, 10, 5).c_str(), pm(r.kld, 10, 5).c_str(),
                     pm(percent(r.p_diff_rms), 6, 3).c_str(), pm(percent(r.same_top), 6, 3).c_str());
}

std::string format_kld_summary(const KldSummary& s) {
    std::string o = "====== Perplexity statistics ======\n";
    o += strprintf("Mean PPL(Q)                   : %s\n", pm(s.ppl_q, 10, 6).c_str());
    o += strprintf("Mean PPL(base)                : %s\n", pm(s.ppl_base, 10, 6).c_str());
    o += strprintf("Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100.0 * s.ln_ppl_cor);
    o += strprintf("Mean ln(PPL(Q)/PPL(base))     : %s\n", pm(s.ln_ppl_ratio, 10, 6).c_str());
    o += strprintf("Mean PPL(Q)/PPL(base)         : %s\n", pm(s.ppl_ratio, 10, 6).c_str());
    o += strprintf("Mean PPL(Q)-PPL(base)         : %s\n", pm(s.ppl_diff, 10, 6).c_str());
    o += "\n====== KL divergence statistics ======\n";
    o += strprintf("Mean    KLD: %s\n", pm(s.kld, 10, 6).c_str());
    const Distribution& k = s.kld_dist;
    const std::pair<const char*, double> kld_rows[] = {
        {"Maximum", k.max}, {"99.9%  ", k.p99_9},  {"99.0%  ", k.p99}, {"95.0%  ", k.p95},
        {"90.0%  ", k.p90}, {"Median ", k.median}, {"10.0%  ", k.p10}, {" 5.0%  ", k.p5},
        {" 1.0%  ", k.p1},  {" 0.1%  ", k.p0_1},   {"Minimum", k.min},
    };
    for (const auto& [label, v] : kld_rows) o += strprintf("%s KLD: %10.6f\n", label, v);
    o += "\n====== Token probability statistics ======\n";
    o += strprintf("Mean    Δp: %6.3f ± %5.3f %%\n", 100.0 * s.p_diff.value, 100.0 * s.p_diff.uncertainty);
    const Distribution& d = s.p_diff_dist;
    const std::pair<const char*, double> dp_rows[] = {
        {"Maximum", d.max}, {"99.9%  ", d.p99_9},  {"99.0%  ", d.p99}, {"95.0%  ", d.p95}, {"90.0%  ", d.p90},
        {"75.0%  ", d.p75}, {"Median ", d.median}, {"25.0%  ", d.p25}, {"10.0%  ", d.p10}, {" 5.0%  ", d.p5},
        {" 1.0%  ", d.p1},  {" 0.1%  ", d.p0_1},   {"Minimum", d.min},
    };
    for (const auto& [label, v] : dp_rows) o += strprintf("%s Δp: %6.3f%%\n", label, 100.0 * v);
    o += strprintf("RMS Δp    : %6.3f ± %5.3f %%\n", 100.0 * s.p_diff_rms.value, 100.0 * s.p_diff_rms.uncertainty);
    o += strprintf("Same top p: %6.3f ± %5.3f %%\n", 100.0 * s.same_top.value, 100.0 * s.same_top.uncertainty);
    return o;
}

std::string perplexity_json(const PerplexityResult& r) {
    nlohmann::json j;
    j["mode"] = "perplexity";
    j["n_tokens"] = r.n_tokens;
    j["n_ctx"] = r.n_ctx;
    j["n_chunks"] = r.n_chunks;
    j["n_scored"] = r.n_scored;
    put(j, "ppl", r.ppl);
    put(j, "mean_nll", r.nll);
    j["chunk_ppl"] = r.chunk_ppl;
    j["seconds"] = r.seconds;
    return j.dump();
}

std::string kld_json(const KldResult& r) {
    const KldSummary& s = r.summary;
    nlohmann::json j;
    j["mode"] = "kl-divergence";
    j["n_ctx"] = r.n_ctx;
    j["n_vocab"] = r.n_vocab;
    j["n_chunks"] = r.n_chunks;
    j["n_scored"] = s.count;
    put(j, "ppl_q", s.ppl_q);
    put(j, "ppl_base", s.ppl_base);
    j["ln_ppl_cor"] = s.ln_ppl_cor;
    put(j, "ln_ppl_ratio", s.ln_ppl_ratio);
    put(j, "ppl_ratio", s.ppl_ratio);
    put(j, "ppl_diff", s.ppl_diff);
    put(j, "kld_mean", s.kld);
    put(j, "kld", s.kld_dist);
    put(j, "dp_mean", s.p_diff);
    put(j, "dp", s.p_diff_dist);
    put(j, "dp_rms", s.p_diff_rms);
    put(j, "same_top_p", s.same_top);
    nlohmann::json chunks = nlohmann::json::array();
    for (size_t i = 0; i < r.chunks.size(); ++i) {
        const KldRunning& c = r.chunks[i];
        nlohmann::json row;
        row["chunk"] = i + 1;
        put(row, "ppl_q", c.ppl_q);
        put(row, "ln_ppl_ratio", c.ln_ppl_ratio);
        put(row, "kld_mean", c.kld);
        put(row, "dp_rms", c.p_diff_rms);
        put(row, "same_top_p", c.same_top);
        chunks.push_back(std::move(row));
    }
    j["chunks"] = std::move(chunks);
    j["seconds"] = r.seconds;
    return j.dump();
}

}  // namespace bitnet
