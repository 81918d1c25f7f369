// A server interceptor that counts every gRPC request by method and status code and times it,
// feeding CoordinatorMetrics. One instance per call; the factory is shared.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include "server/metrics/coordinator_metrics.h"

namespace ecgbench::server {

class MetricsInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(CoordinatorMetrics* metrics) : metrics_(metrics) {}  // must outlive the server
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override;

 private:
  CoordinatorMetrics* const metrics_;
};

}  // namespace ecgbench::server
