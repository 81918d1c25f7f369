// Store test helpers: populated records, raw SQLite access.
#include "tests/unit/store/store_test_util.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ecgbench::server::testing {

store::ExperimentRecord MakeExperiment(const std::string& id, const std::string& request_id,
                                       int n) {
  store::ExperimentRecord r;
  r.set_id(id);
  r.set_request_id(request_id);
  r.set_name(absl::StrCat("experiment ", n));
  r.set_description("ptb-xl baseline");
  r.set_priority(n);
  r.set_state(v1::STATE_RUNNING);
  r.set_spec_yaml("name: x\ndata:\n  dataset: ptbxl\n");
  r.set_owner("alice");
  r.set_created_unix_ms(1700000000000 + n);
  r.set_started_unix_ms(1700000000100 + n);
  r.set_finished_unix_ms(0);
  r.set_error("");
  r.add_run_ids(id + "-r0");
  r.add_run_ids(id + "-r1");
  r.set_submit_seq(100 + n);
  return r;
}

store::RunRecord MakeRun(const std::string& id, int n) {
  store::RunRecord r;
  r.set_id(id);
  r.set_experiment_id("e1");
  r.set_index(n);
  r.set_name(absl::StrCat("fold=", n));
  r.add_variant_keys("fold");
  r.add_variant_values(absl::StrCat(n));
  r.set_state(v1::STATE_PENDING);
  r.add_stage_ids(id + "-s0");
  (*r.mutable_results())["auroc"] = 0.91 + n / 100.0;
  (*r.mutable_results())["f1"] = 0.5;
  return r;
}

store::StageRecord MakeStage(const std::string& id, int n) {
  store::StageRecord r;
  r.set_id(id);
  r.set_run_id("r1");
  r.set_experiment_id("e1");
  r.set_key("train");
  r.set_kind("train");
  r.set_state(v1::STATE_SUCCEEDED);
  r.add_depends_on("s0");
  r.set_params_json(absl::StrCat("{\"lr\": ", n, "}"));
  r.set_max_attempts(3);
  r.add_task_ids(id + "-t0");
  return r;
}

store::TaskRecord MakeTask(const std::string& id, int n) {
  store::TaskRecord r;
  r.set_id(id);
  r.set_stage_id("s1");
  r.set_run_id("r1");
  r.set_experiment_id("e1");
  r.set_shard(n);
  r.set_num_shards(4);
  r.set_ranks(2);
  r.set_cpu_cores_per_rank(4);
  r.set_gpus_per_rank(1);
  r.set_memory_bytes_per_rank(int64_t{8} << 30);
  r.set_state(v1::STATE_FAILED);
  r.set_attempts_started(2);
  r.set_failures(1);
  r.set_error("rank 1: out of memory");
  r.set_not_before_unix_ms(1700000005000);
  r.set_ready_unix_ms(1700000004000);
  r.mutable_progress()->set_done(10 * n);
  r.mutable_progress()->set_total(100);
  r.mutable_progress()->set_unit("steps");
  r.mutable_progress()->set_eta_seconds(-1);
  r.set_current_attempt_id(id + "-a2");
  r.set_max_attempts(3);
  r.set_result_json("{}");
  r.set_order(uint64_t{1} << 40 | n);
  r.set_priority(-n);
  return r;
}

store::AttemptRecord MakeAttempt(const std::string& id, int n) {
  store::AttemptRecord r;
  r.set_id(id);
  r.set_task_id("t1");
  r.set_number(n);
  r.set_state(v1::STATE_RUNNING);
  for (int rank = 0; rank < 2; ++rank) {
    store::RankRecord* k = r.add_ranks();
    k->set_rank(rank);
    k->set_worker_id(absl::StrCat("w", rank));
    k->set_state(v1::STATE_RUNNING);
    k->add_gpu_uuids(absl::StrCat("GPU-", rank));
    k->set_cpu_cores(4);
    k->set_memory_bytes(int64_t{1} << 30);
  }
  r.set_started_unix_ms(1700000006000);
  r.set_finished_unix_ms(0);
  r.set_error("");
  return r;
}

store::WorkerRecord MakeWorker(const std::string& id, int n) {
  store::WorkerRecord r;
  r.set_id(id);
  r.set_name(absl::StrCat("node-", n));
  r.mutable_resources()->set_cpu_cores(16);
  r.mutable_resources()->set_memory_bytes(int64_t{64} << 30);
  v1::Gpu* gpu = r.mutable_resources()->add_gpus();
  gpu->set_uuid("GPU-abc");
  gpu->set_name("H100");
  gpu->set_memory_bytes(int64_t{80} << 30);
  gpu->set_index(0);
  (*r.mutable_labels())["zone"] = "a";
  (*r.mutable_labels())["pool"] = "gpu";
  r.add_stage_kinds("train");
  r.add_stage_kinds("probe");
  r.set_state(v1::WORKER_STATE_ACTIVE);
  r.set_registered_unix_ms(1700000000000);
  r.set_last_heartbeat_unix_ms(1700000000000 + n);
  r.set_version("0.1.0");
  r.set_metrics_address("127.0.0.1:9100");
  return r;
}

v1::Event MakeEvent(const std::string& experiment_id, int n) {
  v1::Event e;
  e.set_experiment_id(experiment_id);
  e.set_time_unix_ms(1700000000000 + n);
  v1::StateChange* change = e.mutable_state_change();
  change->set_entity("task");
  change->set_entity_id(absl::StrCat("t", n));
  change->set_state(v1::STATE_RUNNING);
  change->set_message(absl::StrCat("event ", n));
  return e;
}

v1::LogLine MakeLog(const std::string& experiment_id, const std::string& run_id,
                    const std::string& stage_id, const std::string& stage_kind,
                    const std::string& task_id, int rank, v1::LogLevel level,
                    const std::string& message) {
  v1::LogLine l;
  l.set_time_unix_ms(1700000000000);
  l.set_experiment_id(experiment_id);
  l.set_run_id(run_id);
  l.set_stage_id(stage_id);
  l.set_stage_kind(stage_kind);
  l.set_task_id(task_id);
  l.set_rank(rank);
  l.set_level(level);
  l.set_message(message);
  l.set_worker_id("w1");
  return l;
}

v1::MetricPoint MakeMetric(const std::string& run_id, const std::string& name, double value,
                           int64_t step) {
  v1::MetricPoint m;
  m.set_name(name);
  m.set_value(value);
  m.set_step(step);
  m.set_run_id(run_id);
  m.set_stage_id("s1");
  m.set_task_id("t1");
  m.set_rank(0);
  m.set_time_unix_ms(1700000000000 + step);
  return m;
}

void ExecRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << path;
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "") << "\n" << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string QueryRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close(db);
    return result;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(db) << "\n" << sql;
  } else if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) result = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

}  // namespace ecgbench::server::testing
