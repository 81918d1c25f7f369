// Progress frames and in-place redraw.
#include "client/ui/progress_view.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "client/ui/experiment_tree.h"
#include "client/ui/format.h"

namespace ecgbench::client {

namespace {

constexpr int kStateColumn = 10;  // "CANCELLING"
constexpr int kDetailReserve = 40;  // counts, ETA and loss of a task line

bool IsActive(v1::State s) { return s == v1::STATE_RUNNING || s == v1::STATE_CANCELLING; }

struct Row {
  int indent = 0;
  std::string label;
  double fraction = 0;
  v1::State state = v1::STATE_UNSPECIFIED;
  std::vector<std::string> detail;  // shown in order while they fit the width
  bool active_run = false;   // belongs to a running run (kept when collapsing)
};

std::vector<std::string> NonEmpty(std::vector<std::string> parts) {
  parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
  return parts;
}

std::string ProgressCounts(const v1::Progress& p) {
  std::string unit = p.unit().empty() ? "" : absl::StrCat(" ", p.unit());
  if (p.total() > 0) return absl::StrCat(p.done(), "/", p.total(), unit);
  if (p.done() > 0) return absl::StrCat(p.done(), unit);
  return "";
}

std::string LossText(const std::optional<double>& loss) {
  return loss ? absl::StrCat("loss ", FormatMetric(*loss)) : "";
}

std::vector<std::string> TaskDetail(const WatchModel& model, const v1::Task& task) {
  std::string eta;
  if (IsActive(task.state())) eta = FormatEtaLabel(model.TaskEta(task));
  std::string attempt = task.attempts() > 1 ? absl::StrCat("attempt ", task.attempts()) : "";
  std::string error = task.state() == v1::STATE_FAILED && !task.error().empty() ? "error: " + task.error() : "";
  return NonEmpty({ProgressCounts(task.progress()), eta, LossText(model.TaskLoss(task.id())), attempt, error});
}

void CollectRows(const WatchModel& model, std::vector<Row>* rows) {
  for (const auto& run : model.experiment().runs()) {
    // Once the experiment is over, one line per run is the summary (whatever a run still says).
    const bool active = IsActive(run.state()) && !model.terminal();
    int stages_done = 0;
    for (const auto& s : run.stages()) stages_done += s.state() == v1::STATE_SUCCEEDED ? 1 : 0;
    rows->push_back(Row{2, RunLabel(run), RunFraction(run), run.state(),
                        NonEmpty({absl::StrCat("stages ", stages_done, "/", run.stages_size()),
                                  LossText(model.RunLoss(run.id()))}),
                        active});
    if (!active) continue;
    for (const auto& stage : run.stages()) {
      int tasks_done = 0;
      for (const auto& t : stage.tasks()) tasks_done += t.state() == v1::STATE_SUCCEEDED ? 1 : 0;
      rows->push_back(Row{4, stage.kind(), StageFraction(stage), stage.state(),
                          {absl::StrCat("tasks ", tasks_done, "/", stage.tasks_size())}, true});
      if (!IsActive(stage.state())) continue;
      for (const auto& task : stage.tasks()) {
        if (!IsActive(task.state()) && task.state() != v1::STATE_FAILED) continue;
        rows->push_back(Row{6, TaskLabel(task), TaskFraction(task), task.state(), TaskDetail(model, task), true});
      }
    }
  }
}

std::string HeaderLine(const WatchModel& model, const FrameOptions& options) {
  const v1::Experiment& e = model.experiment();
  std::string out = e.id();
  if (!e.name().empty()) absl::StrAppend(&out, " \"", e.name(), "\"");
  absl::StrAppend(&out, "  ", StateName(e.state()), "  tasks ", model.TasksDone(), "/", model.TasksTotal());
  if (e.started_unix_ms() > 0) {
    const int64_t end = e.finished_unix_ms() > 0 ? e.finished_unix_ms() : options.now_unix_ms;
    if (end >= e.started_unix_ms()) {
      absl::StrAppend(&out, "  elapsed ", FormatDuration((end - e.started_unix_ms()) / 1000.0));
    }
  }
  return out;
}

// Replaces the rows of runs that are not running with one summary row.
void CollapseInactiveRuns(std::vector<Row>* rows) {
  std::vector<Row> kept;
  int hidden = 0;
  int by_state[8] = {0};
  for (auto& row : *rows) {
    if (row.active_run) {
      kept.push_back(std::move(row));
    } else {
      ++hidden;
      ++by_state[std::clamp(static_cast<int>(row.state), 0, 7)];
    }
  }
  if (hidden > 0) {
    std::vector<std::string> parts;
    for (v1::State s : {v1::STATE_SUCCEEDED, v1::STATE_FAILED, v1::STATE_CANCELLED, v1::STATE_PENDING,
                        v1::STATE_UNSPECIFIED}) {
      if (by_state[s] > 0) parts.push_back(absl::StrCat(by_state[s], " ", StateName(s)));
    }
    Row summary;
    summary.indent = 2;
    summary.label = absl::StrCat("+ ", hidden, " more run", hidden == 1 ? "" : "s", ": ", absl::StrJoin(parts, ", "));
    summary.fraction = -1;  // a text line, no bar
    kept.push_back(std::move(summary));
  }
  *rows = std::move(kept);
}

}  // namespace

std::string RenderProgressBar(double fraction, int bar_width) {
  if (!(fraction >= 0)) fraction = 0;  // also NaN
  fraction = std::min(fraction, 1.0);
  const int filled = std::min(bar_width, static_cast<int>(std::floor(fraction * bar_width)));
  return absl::StrCat("[", std::string(static_cast<size_t>(filled), '#'),
                      std::string(static_cast<size_t>(bar_width - filled), '.'), "]");
}

std::string RenderPercent(double fraction) {
  if (!(fraction >= 0)) fraction = 0;
  fraction = std::min(fraction, 1.0);
  return Pad(absl::StrCat(static_cast<int>(std::floor(fraction * 100)), "%"), 4, /*right=*/true);
}

double TaskFraction(const v1::Task& task) {
  if (task.state() == v1::STATE_SUCCEEDED) return 1.0;
  const v1::Progress& p = task.progress();
  if (p.total() <= 0) return 0.0;
  return std::clamp(static_cast<double>(p.done()) / static_cast<double>(p.total()), 0.0, 1.0);
}

double StageFraction(const v1::Stage& stage) {
  if (stage.tasks_size() == 0) return stage.state() == v1::STATE_SUCCEEDED ? 1.0 : 0.0;
  double sum = 0;
  for (const auto& t : stage.tasks()) sum += TaskFraction(t);
  return sum / stage.tasks_size();
}

double RunFraction(const v1::Run& run) {
  if (run.stages_size() == 0) return run.state() == v1::STATE_SUCCEEDED ? 1.0 : 0.0;
  double sum = 0;
  for (const auto& s : run.stages()) sum += StageFraction(s);
  return sum / run.stages_size();
}

std::string RenderFrame(const WatchModel& model, const FrameOptions& options) {
  const int width = std::max(20, options.width);
  const int max_lines = std::max(3, options.max_lines);
  std::vector<Row> rows;
  CollectRows(model, &rows);
  if (1 + static_cast<int>(rows.size()) > max_lines) CollapseInactiveRuns(&rows);

  int label_width = 0;
  for (const auto& r : rows) {
    if (r.fraction >= 0) label_width = std::max(label_width, r.indent + DisplayWidth(r.label));
  }
  label_width = std::min(label_width, std::max(16, width / 3));
  const int bar_width = std::clamp(width - label_width - 24 - kDetailReserve, 10, 30);

  std::vector<std::string> lines = {TruncateToWidth(HeaderLine(model, options), width)};
  for (const auto& r : rows) {
    std::string line = std::string(static_cast<size_t>(r.indent), ' ');
    if (r.fraction < 0) {
      line += r.label;
    } else {
      line += Pad(TruncateToWidth(r.label, label_width - r.indent), label_width - r.indent);
      absl::StrAppend(&line, "  ", RenderProgressBar(r.fraction, bar_width), "  ", RenderPercent(r.fraction), "  ",
                      Pad(StateName(r.state), kStateColumn));
      // Whole parts only: a part that does not fit is left out (an error message, last, is cut).
      for (const auto& part : r.detail) {
        if (DisplayWidth(line) + 2 + DisplayWidth(part) <= width) {
          absl::StrAppend(&line, "  ", part);
        } else {
          if (absl::StartsWith(part, "error: ")) absl::StrAppend(&line, "  ", part);
          break;
        }
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(TruncateToWidth(line, width));
  }
  if (static_cast<int>(lines.size()) > max_lines) {
    const int cut = static_cast<int>(lines.size()) - (max_lines - 1);
    lines.resize(static_cast<size_t>(max_lines - 1));
    lines.push_back(TruncateToWidth(absl::StrCat("  ... ", cut, " more lines"), width));
  }
  std::string out;
  for (const auto& l : lines) absl::StrAppend(&out, l, "\n");
  return out;
}

std::string RedrawSequence(int previous_lines, const std::string& scrolled, const std::string& frame) {
  std::string out;
  if (previous_lines > 0) absl::StrAppend(&out, "\x1b[", previous_lines, "F");
  for (const std::string* part : {&scrolled, &frame}) {
    size_t start = 0;
    while (start < part->size()) {
      size_t end = part->find('\n', start);
      if (end == std::string::npos) end = part->size();
      absl::StrAppend(&out, absl::string_view(*part).substr(start, end - start), "\x1b[K\n");
      start = end + 1;
    }
  }
  out += "\x1b[J";
  return out;
}

int CountLines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace ecgbench::client
