// The routes of the worker's HTTP port (HttpEndpoint): /metrics for Prometheus and the two
// Kubernetes probes.
//   /metrics  the exposition of `metrics`
//   /readyz   200 while registered with the coordinator, else 503 (readiness: take work)
//   /livez    200 unless a running task reported no progress or metric for stall_seconds; then
//             503 naming the stalled tasks (liveness: a hung collective or a wedged loader)
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/util/clock.h"
#include "worker/agent/http_endpoint.h"
#include "worker/agent/worker_metrics.h"

namespace ecgbench::worker {

// `metrics` and `clock` must outlive the routes.
std::map<std::string, HttpHandler> WorkerRoutes(const WorkerMetrics& metrics, int64_t stall_seconds,
                                                const common::Clock* clock);

}  // namespace ecgbench::worker
