// Helpers for the store tests: a temporary directory, fully populated records of every type, a
// protobuf equality matcher and raw SQLite access for setting up databases by hand.
#pragma once

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/store/store.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::server::testing {

using TempDir = ::ecgbench::test_support::TempDir;

MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  return google::protobuf::util::MessageDifferencer::Equals(arg, expected);
}

// Records with every field set; `n` varies the values.
store::ExperimentRecord MakeExperiment(const std::string& id, const std::string& request_id,
                                       int n = 1);
store::RunRecord MakeRun(const std::string& id, int n = 1);
store::StageRecord MakeStage(const std::string& id, int n = 1);
store::TaskRecord MakeTask(const std::string& id, int n = 1);
store::AttemptRecord MakeAttempt(const std::string& id, int n = 1);
store::WorkerRecord MakeWorker(const std::string& id, int n = 1);
v1::Event MakeEvent(const std::string& experiment_id, int n);
v1::LogLine MakeLog(const std::string& experiment_id, const std::string& run_id,
                    const std::string& stage_id, const std::string& stage_kind,
                    const std::string& task_id, int rank, v1::LogLevel level,
                    const std::string& message);
v1::MetricPoint MakeMetric(const std::string& run_id, const std::string& name, double value,
                           int64_t step);

// Runs `sql` on the database file at `path` with a plain connection; fails the test on error.
void ExecRaw(const std::string& path, const std::string& sql);
// First column of the first row of `sql` as text ("" when no row).
std::string QueryRaw(const std::string& path, const std::string& sql);

}  // namespace ecgbench::server::testing
