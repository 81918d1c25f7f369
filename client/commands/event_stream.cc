// Background reader for WatchExperiment with reconnects.
#include "client/commands/event_stream.h"

#include <algorithm>

#include "common/util/clock.h"

namespace ecgbench::client {

EventStream::EventStream(CoordinatorClient* client, std::string experiment_id, int64_t after_seq,
                         int reconnect_timeout_ms)
    : client_(client),
      experiment_id_(std::move(experiment_id)),
      reconnect_timeout_ms_(reconnect_timeout_ms),
      after_seq_(after_seq) {
  thread_ = std::thread([this] { ReadLoop(); });
}

EventStream::~EventStream() {
  Cancel();
  thread_.join();
}

void EventStream::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

void EventStream::Push(Item item) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(item));
}

bool EventStream::Next(Item* item, int timeout_ms) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(timeout_ms))) return false;
  *item = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void EventStream::ReadLoop() {
  common::Clock* clock = common::RealClock::Get();
  int64_t disconnected_since = -1;
  int backoff_ms = 100;
  while (true) {
    auto context = std::make_unique<grpc::ClientContext>();
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) break;
      context_ = context.get();
    }
    v1::WatchExperimentRequest request;
    request.set_id(experiment_id_);
    request.set_after_seq(after_seq_);
    auto reader = client_->stub().WatchExperiment(context.get(), request);
    Item item;
    while (reader->Read(&item.event)) {
      after_seq_ = std::max(after_seq_, item.event.seq());
      disconnected_since = -1;
      backoff_ms = 100;
      item.kind = Item::kEvent;
      Push(std::move(item));
      item = Item();
    }
    const grpc::Status status = reader->Finish();
    bool cancelled;
    {
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
      cancelled = cancelled_;
    }
    if (cancelled) break;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      Push(Item{Item::kDone, {}, client_->Describe(status, "WatchExperiment")});
      return;
    }
    const int64_t now = clock->NowMonotonicMs();
    if (disconnected_since < 0) {
      disconnected_since = now;
      Push(Item{Item::kReconnecting, {}, client_->Describe(status, "WatchExperiment")});
    }
    if (now - disconnected_since > reconnect_timeout_ms_) {
      Push(Item{Item::kDone, {}, client_->Describe(status, "WatchExperiment")});
      return;
    }
    absl::MutexLock lock(&mu_);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cancelled_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
  Push(Item{Item::kDone, {}, absl::CancelledError("watch cancelled")});
}

}  // namespace ecgbench::client
