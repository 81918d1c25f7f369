// Reading an experiment's results and replaying its events (see experiment_digest.h).
#include "client/commands/experiment_digest.h"

#include <chrono>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "client/commands/event_stream.h"
#include "client/ui/tables.h"
#include "client/ui/watch_model.h"

namespace ecgbench::client {

namespace {

constexpr int kReconnectTimeoutMs = 10000;
constexpr char kTrainStage[] = "train";

}  // namespace

EventDigest::EventDigest(const v1::Experiment& experiment) {
  for (const v1::Run& run : experiment.runs()) {
    for (const v1::Stage& stage : run.stages()) stages_[stage.id()] = {run.id(), stage.kind()};
  }
}

void EventDigest::Add(const v1::Event& event) {
  if (event.has_metric()) {
    const v1::MetricPoint& p = event.metric();
    if (p.rank() == 0 && absl::EndsWith(p.name(), "loss")) points_[{p.run_id(), p.name()}][p.step()] = p.value();
    return;
  }
  if (!event.has_state_change()) return;
  const v1::StateChange& change = event.state_change();
  if (change.entity() != "stage") return;
  auto stage = stages_.find(change.entity_id());
  if (stage == stages_.end() || stage->second.second != kTrainStage) return;
  auto& [start, end] = train_ms_[stage->second.first];
  if (change.state() == v1::STATE_RUNNING && start == 0) start = event.time_unix_ms();
  if (IsTerminal(change.state())) end = event.time_unix_ms();
}

std::vector<common::report::Curve> EventDigest::Curves() const {
  std::vector<common::report::Curve> curves;
  for (const auto& [key, by_step] : points_) {
    common::report::Curve c;
    c.run_id = key.first;
    c.metric = key.second;
    c.points.reserve(by_step.size());
    for (const auto& [step, value] : by_step) c.points.push_back({step, value});
    curves.push_back(std::move(c));
  }
  return curves;
}

TrainSeconds EventDigest::TrainTimes() const {
  TrainSeconds out;
  for (const auto& [run, times] : train_ms_) {
    if (times.first > 0 && times.second >= times.first) out[run] = (times.second - times.first) / 1000.0;
  }
  return out;
}

absl::StatusOr<ExperimentDigest> ReadExperimentDigest(CoordinatorClient& client, const std::string& id,
                                                      bool read_events, int quiet_ms) {
  auto results = client.GetResults(id);
  if (!results.ok()) return results.status();
  auto experiment = client.GetExperiment(id);
  if (!experiment.ok()) return experiment.status();
  ExperimentDigest digest;
  digest.results = ToReportResults(*results);
  digest.results.name = experiment->name();
  digest.reply = std::move(*results);
  if (!read_events) return digest;
  EventDigest events(*experiment);
  EventStream stream(&client, id, /*after_seq=*/0, kReconnectTimeoutMs);
  auto last = std::chrono::steady_clock::now();
  while (true) {
    EventStream::Item item;
    if (!stream.Next(&item, 100)) {
      if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(quiet_ms)) break;
      continue;
    }
    last = std::chrono::steady_clock::now();
    if (item.kind == EventStream::Item::kDone) {
      if (!item.status.ok()) return item.status;
      break;
    }
    if (item.kind == EventStream::Item::kEvent) events.Add(item.event);
  }
  digest.results.curves = events.Curves();
  digest.train_seconds = events.TrainTimes();
  return digest;
}

std::string EmbeddedReportDir(const std::string& state_dir, const std::string& experiment_id) {
  return (std::filesystem::path(state_dir) / "reports" / experiment_id).string();
}

}  // namespace ecgbench::client
