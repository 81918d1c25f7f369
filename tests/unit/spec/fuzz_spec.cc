// libFuzzer target for the experiment spec library: YAML text -> PlanExperiment, the function the
// coordinator's SubmitExperiment calls (parse, validate, expand the matrix, build the stage DAG).
// Any input must plan or fail cleanly (ASan/UBSan watch, -timeout bounds the work); every error
// must name the file and be valid UTF-8; an accepted plan must have 1..kMaxMatrixRuns runs with
// unique run names, each run's stages unique, in topological order and with at least one task.
// Built and run by run_fuzz.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "common/ecg/formats/utf8.h"
#include "common/spec/matrix.h"
#include "common/spec/plan.h"

namespace {

using ecgbench::common::ExperimentPlan;
using ecgbench::common::kMaxMatrixRuns;
using ecgbench::common::RunPlan;
using ecgbench::common::StagePlan;

bool WellFormed(const RunPlan& run) {
  std::set<std::string> before;
  for (const StagePlan& stage : run.stages) {
    for (const std::string& dep : stage.depends_on) {
      if (!before.count(dep)) return false;
    }
    if (stage.tasks.empty() || !before.insert(stage.key).second) return false;
  }
  return !run.stages.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ExperimentPlan> plan = ecgbench::common::PlanExperiment(text, "fuzz.yaml");
  if (!plan.ok()) {
    const std::string message(plan.status().message());
    if (message.find("fuzz.yaml") == std::string::npos) __builtin_trap();  // errors name the file
    if (!ecgbench::common::ecg::IsValidUtf8(message)) __builtin_trap();
    return 0;
  }
  if (plan->runs.empty() || plan->runs.size() > kMaxMatrixRuns) __builtin_trap();
  std::set<std::string> names;
  for (const RunPlan& run : plan->runs) {
    if (!names.insert(run.name).second || !WellFormed(run)) __builtin_trap();
  }
  return 0;
}
