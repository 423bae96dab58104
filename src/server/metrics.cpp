#include "server/metrics.hpp"

#include "core/error.hpp"

namespace bitnet::server {

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
    out += strprintf("# HELP bitnet:%s %s\n# TYPE bitnet:%s %s\nbitnet:%s %.17g\n", name, help, name, type, name, value);
}

}  // namespace

std::string prometheus_text(const SchedulerStats& s) {
    auto rate = [](int64_t n, double seconds) { return seconds > 0.0 ? static_cast<double>(n) / seconds : 0.0; };
    std::string out;
    metric(out, "prompt_tokens_total", "counter", "Prompt tokens evaluated (cache hits excluded).",
           static_cast<double>(s.prompt_tokens_total));
    metric(out, "prompt_seconds_total", "counter", "Forward-pass seconds spent on prompt tokens.", s.prompt_seconds_total);
    metric(out, "tokens_predicted_total", "counter", "Tokens generated.", static_cast<double>(s.generated_tokens_total));
    metric(out, "tokens_predicted_seconds_total", "counter", "Forward-pass seconds spent on generated tokens.",
           s.generation_seconds_total);
    metric(out, "prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s.",
           rate(s.prompt_tokens_total, s.prompt_seconds_total));
    metric(out, "predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s (all streams).",
           rate(s.generated_tokens_total, s.generation_seconds_total));
    metric(out, "requests_total", "counter", "Requests accepted.", static_cast<double>(s.requests_total));
    metric(out, "requests_processing", "gauge", "Requests holding a slot.", static_cast<double>(s.requests_processing));
    metric(out, "requests_deferred", "gauge", "Requests waiting for a slot.", static_cast<double>(s.requests_waiting));
    metric(out, "kv_cache_tokens", "gauge", "Tokens held in the KV caches of all slots.",
           static_cast<double>(s.kv_tokens_used));
    metric(out, "kv_cache_usage_ratio", "gauge", "Share of the KV cache positions in use.",
           s.kv_tokens_capacity > 0 ? static_cast<double>(s.kv_tokens_used) / static_cast<double>(s.kv_tokens_capacity)
                                    : 0.0);
    metric(out, "prompt_cache_hits_total", "counter", "Requests that reused tokens cached in their slot.",
           static_cast<double>(s.prompt_cache_hits));
    metric(out, "prompt_cache_hit_tokens_total", "counter", "Prompt tokens reused from slot caches.",
           static_cast<double>(s.prompt_cache_hit_tokens));
    metric(out, "steps_total", "counter", "Forward passes run by the scheduler.", static_cast<double>(s.steps_total));
    return out;
}

}  // namespace bitnet::server
