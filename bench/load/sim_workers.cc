// SimWorkerPool: simulated workers on gRPC's callback API. Each worker has at most one long-poll
// and one heartbeat in flight and one CompleteTask per assignment it holds; a timer thread runs
// delayed completions and retries, a heartbeat thread spreads the workers' beats evenly over each
// interval.
#include "bench/load/sim_workers.h"

#include <grpcpp/create_channel.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/rpc/grpc_code_name.h"

namespace ecgbench::bench {

struct SimWorkerPool::Worker {
  int index = 0;
  std::string id;
  v1::WorkerService::Stub* stub = nullptr;
  std::mutex mu;
  std::vector<v1::AssignmentRef> running;  // acquired, not yet completed
  bool polling = false;                    // an AcquireTask is in flight
  grpc::ClientContext* poll_ctx = nullptr;
  std::atomic<bool> heartbeat_in_flight{false};
};

namespace {
// One unary call's context, request and response: alive until its callback has run.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext ctx;
  Request req;
  Response resp;
  SimWorkerPool::Clock::time_point start = SimWorkerPool::Clock::now();
  int64_t ElapsedMicros() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(SimWorkerPool::Clock::now() - start).count();
  }
};
}  // namespace

SimWorkerPool::SimWorkerPool(SimWorkerOptions options, Clock::time_point epoch)
    : options_(std::move(options)), epoch_(epoch) {
  const int channels = options_.channels <= 0 ? options_.workers : std::min(options_.channels, options_.workers);
  for (int c = 0; c < channels; ++c) {
    grpc::ChannelArguments args;
    // A distinct argument per channel: each gets its own TCP connection instead of a shared one.
    args.SetInt("ecgbench.load.channel", c);
    channels_.push_back(grpc::CreateCustomChannel(options_.address, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(v1::WorkerService::NewStub(channels_.back()));
  }
  for (int i = 0; i < options_.workers; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->stub = stubs_[static_cast<size_t>(i % channels)].get();
    workers_.push_back(std::move(w));
  }
}

SimWorkerPool::~SimWorkerPool() { Stop(std::chrono::milliseconds(5000)); }

int64_t SimWorkerPool::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - epoch_).count();
}

void SimWorkerPool::Prepare(grpc::ClientContext* ctx, int timeout_ms) const {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
}

absl::Status SimWorkerPool::Register(int parallel) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  absl::Status first_error;
  auto loop = [&] {
    for (size_t i = next++; i < workers_.size(); i = next++) {
      Worker& w = *workers_[i];
      v1::RegisterWorkerRequest req;
      req.set_name(absl::StrCat("load-", w.index));
      req.mutable_resources()->set_cpu_cores(options_.cpu_cores);
      req.mutable_resources()->set_memory_bytes(int64_t{1} << 30);
      req.add_stage_kinds("probe");
      req.set_version("ecgbench-load-generator");
      v1::RegisterWorkerResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, options_.call_timeout_ms);
      const auto start = Clock::now();
      grpc::Status st = w.stub->RegisterWorker(&ctx, req, &resp);
      stats_.register_latency.Add(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
      if (!st.ok()) {
        stats_.errors.Add("RegisterWorker", st);
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) {
          first_error = absl::UnavailableError(absl::StrCat("RegisterWorker ", req.name(), ": ",
                                                            common::GrpcCodeName(st.error_code()), ": ", st.error_message()));
        }
        continue;
      }
      w.id = resp.worker_id();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, parallel); ++t) threads.emplace_back(loop);
  for (auto& t : threads) t.join();
  return first_error;
}

void SimWorkerPool::Start() {
  timer_thread_ = std::thread([this] { TimerLoop(); });
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
  for (auto& w : workers_) MaybePoll(*w);
}

void SimWorkerPool::CallDone() {
  std::lock_guard<std::mutex> lock(inflight_mu_);
  if (--inflight_ == 0) inflight_cv_.notify_all();
}

void SimWorkerPool::MaybePoll(Worker& w) {
  {
    std::lock_guard<std::mutex> lock(w.mu);
    if (stopping_ || w.polling || static_cast<int>(w.running.size()) >= options_.cpu_cores) return;
    w.polling = true;
  }
  IssueAcquire(w);
}

void SimWorkerPool::IssueAcquire(Worker& w) {
  auto* call = new Call<v1::AcquireTaskRequest, v1::AcquireTaskResponse>();
  call->req.set_worker_id(w.id);
  call->req.set_wait_ms(options_.acquire_wait_ms);
  Prepare(&call->ctx, options_.acquire_wait_ms + options_.call_timeout_ms);
  {
    std::lock_guard<std::mutex> lock(w.mu);
    w.poll_ctx = &call->ctx;
  }
  {
    std::lock_guard<std::mutex> lock(inflight_mu_);
    ++inflight_;
  }
  w.stub->async()->AcquireTask(&call->ctx, &call->req, &call->resp, [this, &w, call](grpc::Status st) {
    {
      std::lock_guard<std::mutex> lock(w.mu);
      w.polling = false;
      w.poll_ctx = nullptr;
      if (st.ok() && call->resp.has_assignment()) {
        v1::AssignmentRef& ref = w.running.emplace_back();
        ref.set_attempt_id(call->resp.assignment().attempt_id());
        ref.set_rank(call->resp.assignment().rank());
      }
    }
    if (!st.ok()) {
      if (!(stopping_ && st.error_code() == grpc::StatusCode::CANCELLED)) stats_.errors.Add("AcquireTask", st);
      After(500, [this, &w] { MaybePoll(w); });
    } else if (call->resp.has_assignment()) {
      stats_.acquired.Add(NowMs());
      if (options_.complete_delay_ms > 0) {
        After(options_.complete_delay_ms, [this, &w, a = call->resp.assignment()] { Complete(w, a); });
      } else {
        Complete(w, call->resp.assignment());
      }
      MaybePoll(w);
    } else {
      MaybePoll(w);
    }
    delete call;
    CallDone();
  });
}

void SimWorkerPool::Complete(Worker& w, const v1::Assignment& a) {
  auto* call = new Call<v1::CompleteTaskRequest, v1::CompleteTaskResponse>();
  call->req.set_worker_id(w.id);
  call->req.mutable_assignment()->set_attempt_id(a.attempt_id());
  call->req.mutable_assignment()->set_rank(a.rank());
  (*call->req.mutable_results())["ranks"] = a.world_size();
  call->req.set_result_json(R"({"simulated":true})");
  Prepare(&call->ctx, options_.call_timeout_ms);
  {
    std::lock_guard<std::mutex> lock(inflight_mu_);
    ++inflight_;
  }
  w.stub->async()->CompleteTask(&call->ctx, &call->req, &call->resp, [this, &w, call](grpc::Status st) {
    stats_.complete_latency.Add(call->ElapsedMicros());
    if (st.ok()) {
      stats_.completed.Add(NowMs());
      stats_.completed_ok++;
    } else {
      stats_.errors.Add("CompleteTask", st);
    }
    {
      std::lock_guard<std::mutex> lock(w.mu);
      auto it = std::find_if(w.running.begin(), w.running.end(), [&](const v1::AssignmentRef& r) {
        return r.attempt_id() == call->req.assignment().attempt_id() && r.rank() == call->req.assignment().rank();
      });
      if (it != w.running.end()) w.running.erase(it);
    }
    MaybePoll(w);
    delete call;
    CallDone();
  });
}

void SimWorkerPool::Heartbeat(Worker& w) {
  if (w.heartbeat_in_flight.exchange(true)) {
    stats_.heartbeats_skipped++;
    return;
  }
  auto* call = new Call<v1::HeartbeatRequest, v1::HeartbeatResponse>();
  call->req.set_worker_id(w.id);
  {
    std::lock_guard<std::mutex> lock(w.mu);
    for (const auto& ref : w.running) *call->req.add_running() = ref;
  }
  Prepare(&call->ctx, options_.call_timeout_ms);
  {
    std::lock_guard<std::mutex> lock(inflight_mu_);
    ++inflight_;
  }
  const bool load = load_phase_;
  w.stub->async()->Heartbeat(&call->ctx, &call->req, &call->resp, [this, &w, call, load](grpc::Status st) {
    (load ? stats_.heartbeat_load : stats_.heartbeat_idle).Add(call->ElapsedMicros());
    stats_.heartbeats++;
    if (!st.ok()) stats_.errors.Add("Heartbeat", st);
    for (const auto& c : call->resp.commands()) {
      if (c.kind() == v1::WorkerCommand::KIND_CANCEL) stats_.cancel_commands++;
    }
    w.heartbeat_in_flight = false;
    delete call;
    CallDone();
  });
}

void SimWorkerPool::HeartbeatLoop() {
  // Worker i beats at start + k * interval + i * interval / W: an even spread, as independent
  // workers started at random times would give.
  const auto start = Clock::now();
  const auto interval = std::chrono::microseconds(int64_t{1000} * options_.heartbeat_ms);
  const int64_t n = static_cast<int64_t>(workers_.size());
  for (int64_t k = 0; !stopping_; ++k) {
    for (int64_t i = 0; i < n && !stopping_; ++i) {
      std::this_thread::sleep_until(start + interval * k + interval * i / n);
      if (!stopping_) Heartbeat(*workers_[static_cast<size_t>(i)]);
    }
  }
}

void SimWorkerPool::After(int delay_ms, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(timer_mu_);
  if (stopping_) return;
  timers_.push(Timed{NowMs() + delay_ms, std::move(fn)});
  timer_cv_.notify_one();
}

void SimWorkerPool::TimerLoop() {
  std::unique_lock<std::mutex> lock(timer_mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const int64_t wait = timers_.top().due_ms - NowMs();
    if (wait > 0) {
      timer_cv_.wait_for(lock, std::chrono::milliseconds(wait));
      continue;
    }
    std::function<void()> fn = std::move(const_cast<Timed&>(timers_.top()).fn);
    timers_.pop();
    lock.unlock();
    fn();
    lock.lock();
  }
}

void SimWorkerPool::Stop(std::chrono::milliseconds wait) {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    timer_cv_.notify_all();
  }
  if (timer_thread_.joinable()) timer_thread_.join();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  for (auto& w : workers_) {
    std::lock_guard<std::mutex> lock(w->mu);
    if (w->poll_ctx != nullptr) w->poll_ctx->TryCancel();
  }
  std::unique_lock<std::mutex> lock(inflight_mu_);
  inflight_cv_.wait_for(lock, wait, [this] { return inflight_ == 0; });
}

void SimWorkerPool::Deregister(int parallel) {
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i = next++; i < workers_.size(); i = next++) {
      Worker& w = *workers_[i];
      if (w.id.empty()) continue;
      v1::DeregisterWorkerRequest req;
      req.set_worker_id(w.id);
      v1::DeregisterWorkerResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx, options_.call_timeout_ms);
      grpc::Status st = w.stub->DeregisterWorker(&ctx, req, &resp);
      if (!st.ok()) stats_.errors.Add("DeregisterWorker", st);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, parallel); ++t) threads.emplace_back(loop);
  for (auto& t : threads) t.join();
}

}  // namespace ecgbench::bench
