// Plain (non-terminal) watch lines and their throttling.
#include "client/ui/plain_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/ui/format.h"

namespace ecgbench::client {

std::string StateChangeLine(const v1::Event& event, const WatchModel& model) {
  const auto& sc = event.state_change();
  std::string out = absl::StrCat(FormatClock(event.time_unix_ms()), " ", model.Label(sc.entity(), sc.entity_id()),
                                 ": ", StateName(sc.state()));
  if (!sc.message().empty()) absl::StrAppend(&out, ": ", sc.message());
  return out + "\n";
}

std::string ProgressLine(const v1::Event& event, const WatchModel& model) {
  const auto& pu = event.progress();
  const v1::Progress& p = pu.progress();
  std::string out = absl::StrCat(FormatClock(event.time_unix_ms()), " ", model.Label("task", pu.task_id()), ":");
  if (p.total() > 0) {
    absl::StrAppend(&out, " ", p.done(), "/", p.total());
  } else {
    absl::StrAppend(&out, " ", p.done());
  }
  if (!p.unit().empty()) absl::StrAppend(&out, " ", p.unit());
  if (p.total() > 0) absl::StrAppend(&out, " (", std::min<int64_t>(100, p.done() * 100 / p.total()), "%)");
  if (const v1::Task* task = model.FindTask(pu.task_id())) {
    const std::string eta = FormatEtaLabel(model.TaskEta(*task));
    if (!eta.empty()) absl::StrAppend(&out, "  ", eta);
  }
  if (auto loss = model.TaskLoss(pu.task_id())) absl::StrAppend(&out, "  loss ", FormatMetric(*loss));
  if (!p.message().empty()) absl::StrAppend(&out, "  ", p.message());
  return out + "\n";
}

std::string FinalSummary(const WatchModel& model) {
  const v1::Experiment& e = model.experiment();
  std::string out = absl::StrCat("experiment ", e.id());
  if (!e.name().empty()) absl::StrAppend(&out, " \"", e.name(), "\"");
  absl::StrAppend(&out, " ", StateName(e.state()));
  if (e.started_unix_ms() > 0 && e.finished_unix_ms() >= e.started_unix_ms()) {
    absl::StrAppend(&out, " after ", FormatDuration((e.finished_unix_ms() - e.started_unix_ms()) / 1000.0));
  }
  absl::StrAppend(&out, ", tasks ", model.TasksDone(), "/", model.TasksTotal(), "\n");
  if (e.state() == v1::STATE_FAILED && !e.error().empty()) absl::StrAppend(&out, "  error: ", e.error(), "\n");
  return out;
}

std::string FormatLogLine(const v1::LogLine& line) {
  std::string out = absl::StrCat(FormatLocalTime(line.time_unix_ms(), /*with_millis=*/true), " ",
                                 Pad(LogLevelName(line.level()), 7));
  if (!line.run_id().empty()) absl::StrAppend(&out, " ", line.run_id());
  if (!line.stage_kind().empty()) absl::StrAppend(&out, " ", line.stage_kind());
  if (!line.task_id().empty()) absl::StrAppend(&out, " r", line.rank());
  absl::StrAppend(&out, "  ", line.message());
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

std::string PlainPrinter::OnEvent(const v1::Event& event, const WatchModel& model, int64_t now_ms) {
  switch (event.body_case()) {
    case v1::Event::kStateChange: return StateChangeLine(event, model);
    case v1::Event::kProgress: {
      auto [it, inserted] = last_progress_ms_.try_emplace(event.progress().task_id(), now_ms);
      if (!inserted) {
        if (now_ms - it->second < interval_ms_) return "";
        it->second = now_ms;
      }
      return ProgressLine(event, model);
    }
    default: return "";
  }
}

}  // namespace ecgbench::client
