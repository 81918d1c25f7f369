// Shared fixtures for the client tests: a small experiment (two runs; preprocess with two shards
// and train with one task each) and event builders.
#pragma once

#include <string>

#include "ecgbench/v1/types.pb.h"

namespace ecgbench::client::testing {

// exp-1 "quickstart" RUNNING since 1'000'000 ms; run-0 "fold=1" RUNNING (preprocess st-0p
// SUCCEEDED with tasks t-0p0, t-0p1; train st-0t RUNNING with task t-0t0 at 300/1000 steps);
// run-1 "fold=2" PENDING (st-1p with t-1p0, t-1p1; st-1t with t-1t0).
inline v1::Experiment SampleExperiment() {
  v1::Experiment e;
  e.set_id("exp-1");
  e.set_name("quickstart");
  e.set_state(v1::STATE_RUNNING);
  e.set_started_unix_ms(1000000);
  for (int r = 0; r < 2; ++r) {
    const std::string rid = std::to_string(r);
    auto* run = e.add_runs();
    run->set_id("run-" + rid);
    run->set_index(r);
    run->set_name("fold=" + std::to_string(r + 1));
    run->set_state(r == 0 ? v1::STATE_RUNNING : v1::STATE_PENDING);
    auto* pre = run->add_stages();
    pre->set_id("st-" + rid + "p");
    pre->set_kind("preprocess");
    pre->set_state(r == 0 ? v1::STATE_SUCCEEDED : v1::STATE_PENDING);
    for (int s = 0; s < 2; ++s) {
      auto* t = pre->add_tasks();
      t->set_id("t-" + rid + "p" + std::to_string(s));
      t->set_shard(s);
      t->set_num_shards(2);
      t->set_ranks(1);
      t->set_state(r == 0 ? v1::STATE_SUCCEEDED : v1::STATE_PENDING);
      t->set_attempts(r == 0 ? 1 : 0);
    }
    auto* train = run->add_stages();
    train->set_id("st-" + rid + "t");
    train->set_kind("train");
    train->add_depends_on("st-" + rid + "p");
    train->set_state(r == 0 ? v1::STATE_RUNNING : v1::STATE_PENDING);
    auto* t = train->add_tasks();
    t->set_id("t-" + rid + "t0");
    t->set_num_shards(1);
    t->set_ranks(1);
    t->set_state(r == 0 ? v1::STATE_RUNNING : v1::STATE_PENDING);
    if (r == 0) {
      t->set_attempts(1);
      t->add_worker_ids("wrk-1");
      t->mutable_progress()->set_done(300);
      t->mutable_progress()->set_total(1000);
      t->mutable_progress()->set_unit("steps");
      t->mutable_progress()->set_eta_seconds(140);
    }
  }
  e.set_num_runs(2);
  e.set_tasks_total(6);
  e.set_tasks_done(2);
  return e;
}

inline v1::Event StateEvent(int64_t seq, int64_t time_ms, const std::string& entity, const std::string& id,
                            v1::State state, const std::string& message = "") {
  v1::Event ev;
  ev.set_seq(seq);
  ev.set_experiment_id("exp-1");
  ev.set_time_unix_ms(time_ms);
  auto* sc = ev.mutable_state_change();
  sc->set_entity(entity);
  sc->set_entity_id(id);
  sc->set_state(state);
  sc->set_message(message);
  return ev;
}

inline v1::Event ProgressEvent(int64_t seq, int64_t time_ms, const std::string& run_id, const std::string& task_id,
                               int64_t done, int64_t total, double eta_seconds = -1, int rank = 0) {
  v1::Event ev;
  ev.set_seq(seq);
  ev.set_experiment_id("exp-1");
  ev.set_time_unix_ms(time_ms);
  auto* pu = ev.mutable_progress();
  pu->set_run_id(run_id);
  pu->set_task_id(task_id);
  pu->set_rank(rank);
  pu->mutable_progress()->set_done(done);
  pu->mutable_progress()->set_total(total);
  pu->mutable_progress()->set_unit("steps");
  pu->mutable_progress()->set_eta_seconds(eta_seconds);
  return ev;
}

inline v1::Event MetricEvent(int64_t seq, const std::string& name, double value, const std::string& run_id,
                             const std::string& task_id) {
  v1::Event ev;
  ev.set_seq(seq);
  ev.set_experiment_id("exp-1");
  auto* m = ev.mutable_metric();
  m->set_name(name);
  m->set_value(value);
  m->set_run_id(run_id);
  m->set_task_id(task_id);
  return ev;
}

}  // namespace ecgbench::client::testing
