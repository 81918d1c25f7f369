// CoordinatorClient: the worker's calls to the coordinator's WorkerService, with deadlines and
// absl::Status errors, and the worker id that every request carries (it changes when the worker
// registers again). No retries here: callers decide (see IsTransient).
// Thread-safe.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ecgbench/v1/worker.grpc.pb.h"

namespace ecgbench::worker {

// UNAVAILABLE or DEADLINE_EXCEEDED: the coordinator may be restarting; try again later.
bool IsTransient(const absl::Status& status);

class CoordinatorClient {
 public:
  // `call_timeout` bounds every call except the long polls (AcquireTask, KvWait), which get their
  // wait time plus call_timeout.
  CoordinatorClient(std::shared_ptr<grpc::Channel> channel, absl::Duration call_timeout);

  std::string worker_id() const;
  void set_worker_id(std::string worker_id);

  absl::StatusOr<v1::RegisterWorkerResponse> RegisterWorker(const v1::RegisterWorkerRequest& request);
  // The report calls take the request by pointer (they set its worker_id) so that a caller can put
  // the payload back into its buffer when the call fails.
  // Heartbeat waits for the channel to connect (up to the call timeout) instead of failing fast:
  // a call in flight is what drives the sync API's reconnection; without one, a channel whose
  // coordinator restarted only makes progress when gRPC's backup poller runs (every 5 s), which
  // delayed re-attachment by 5-10 s, most of a lease.
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(v1::HeartbeatRequest* request);
  // `context` is prepared by the caller so that another thread can TryCancel() it; the deadline is
  // set here.
  absl::StatusOr<v1::AcquireTaskResponse> AcquireTask(int wait_ms, grpc::ClientContext* context);
  absl::Status ReportProgress(v1::ReportProgressRequest* request);
  absl::Status ReportMetrics(v1::ReportMetricsRequest* request);
  absl::Status AppendLogs(v1::AppendLogsRequest* request);
  absl::Status CompleteTask(v1::CompleteTaskRequest* request);
  absl::Status FailTask(v1::FailTaskRequest* request);
  absl::Status DeregisterWorker(absl::Duration timeout);

  absl::Status KvSet(const std::string& attempt_id, const std::string& key, const std::string& value);
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string& attempt_id,
                                                   const std::string& key);
  // One KvWait call: DEADLINE_EXCEEDED when the keys are not all set within timeout_ms.
  absl::StatusOr<std::vector<std::string>> KvWait(const std::string& attempt_id,
                                                  const std::vector<std::string>& keys,
                                                  int timeout_ms);

 private:
  template <typename Request, typename Response>
  using Method = grpc::Status (v1::WorkerService::Stub::*)(grpc::ClientContext*, const Request&,
                                                          Response*);

  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(Method<Request, Response> method, const Request& request,
                                absl::Duration timeout, grpc::ClientContext* context = nullptr,
                                bool wait_for_ready = false);

  const std::unique_ptr<v1::WorkerService::Stub> stub_;
  const absl::Duration call_timeout_;

  mutable absl::Mutex mu_;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ecgbench::worker
