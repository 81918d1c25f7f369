// WorkerRoutes: /metrics, /readyz, /livez.
#include "worker/agent/worker_routes.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ecgbench::worker {
namespace {
constexpr char kText[] = "text/plain; charset=utf-8";
}  // namespace

std::map<std::string, HttpHandler> WorkerRoutes(const WorkerMetrics& metrics, int64_t stall_seconds,
                                                const common::Clock* clock) {
  std::map<std::string, HttpHandler> routes;
  routes["/metrics"] = [&metrics] {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics.Serialize()};
  };
  routes["/readyz"] = [&metrics] {
    if (metrics.registered()) return HttpResponse{200, kText, "registered\n"};
    return HttpResponse{503, kText, "not registered with the coordinator\n"};
  };
  routes["/livez"] = [&metrics, stall_seconds, clock] {
    const std::vector<std::string> stalled = metrics.StalledTasks(clock->NowUnixMs(), stall_seconds * 1000);
    if (stalled.empty()) return HttpResponse{200, kText, "ok\n"};
    return HttpResponse{503, kText, absl::StrCat(absl::StrJoin(stalled, "\n"), "\n")};
  };
  return routes;
}

}  // namespace ecgbench::worker
