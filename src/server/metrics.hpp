#pragma once
// GET /metrics: the scheduler's counters in the Prometheus text format (llama-server's names,
// with the prefix bitnet:).
#include <string>

#include "server/scheduler.hpp"

namespace bitnet::server {

std::string prometheus_text(const SchedulerStats& stats);

}  // namespace bitnet::server
