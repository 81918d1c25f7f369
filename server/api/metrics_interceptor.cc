// gRPC request metrics.
#include "server/api/metrics_interceptor.h"

#include <chrono>
#include <string>

#include "common/rpc/grpc_code_name.h"

namespace ecgbench::server {

namespace {

// "/ecgbench.v1.Coordinator/SubmitExperiment" -> "ecgbench.v1.Coordinator/SubmitExperiment"
std::string MethodLabel(const char* full) {
  std::string m = full ? full : "unknown";
  if (!m.empty() && m[0] == '/') m.erase(0, 1);
  return m;
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(grpc::experimental::ServerRpcInfo* info, CoordinatorMetrics* metrics)
      : method_(MethodLabel(info->method())), metrics_(metrics), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status st = methods->GetSendStatus();
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      metrics_->OnGrpcRequest(method_, common::GrpcCodeName(st.error_code()), seconds);
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  CoordinatorMetrics* metrics_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(info, metrics_);
}

}  // namespace ecgbench::server
