// EventStream: reads WatchExperiment on a background thread and hands events to the caller through
// a queue, so that the caller can redraw, poll Ctrl-C and check health while waiting. On
// UNAVAILABLE it reconnects with backoff, resuming after the last event seen, and gives up after
// reconnect_timeout_ms without any event. Next() is for one consumer thread; Cancel() may be called
// from any thread. The client must outlive the stream.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/client_context.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/commands/coordinator_client.h"

namespace ecgbench::client {

class EventStream {
 public:
  struct Item {
    enum Kind { kEvent, kReconnecting, kDone } kind = kEvent;
    v1::Event event;       // kEvent
    absl::Status status;   // kReconnecting: why; kDone: how the stream ended (OK: the server closed it)
  };

  EventStream(CoordinatorClient* client, std::string experiment_id, int64_t after_seq, int reconnect_timeout_ms);
  ~EventStream();  // cancels and joins
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Waits up to timeout_ms for the next item. False on timeout. After a kDone item nothing follows.
  bool Next(Item* item, int timeout_ms);

  // Ends the stream; the reader then delivers kDone with CANCELLED (unless it already ended).
  void Cancel();

 private:
  void ReadLoop();
  void Push(Item item);

  CoordinatorClient* const client_;
  const std::string experiment_id_;
  const int reconnect_timeout_ms_;
  int64_t after_seq_;  // reader thread only

  absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace ecgbench::client
