// Cairo charts of the report (see plots.h).
#include "common/report/plots.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/report/canvas.h"

namespace ecgbench::common::report {

namespace {

constexpr Color kInk = {0.15, 0.15, 0.15};
constexpr Color kMuted = {0.45, 0.45, 0.45};
constexpr double kLabelDegrees = 25;

std::string Title(const std::string& metric, double scale) {
  return scale == 100 ? absl::StrCat(metric, " (x100)") : metric;
}

std::string Number(double v) {
  if (std::fabs(v) >= 1e5 || (v != 0 && std::fabs(v) < 1e-3)) return absl::StrFormat("%.3g", v);
  return absl::StrFormat("%.2f", v);
}

}  // namespace

absl::Status PlotMetricByVariant(const Summary& summary, const std::string& metric, const std::string& png_path,
                                 const PlotOptions& options) {
  std::vector<const MetricStats*> bars;
  for (const MetricStats& s : summary.stats) {
    if (s.metric == metric) bars.push_back(&s);
  }
  if (bars.empty()) return absl::InvalidArgumentError(absl::StrCat("no variant reports the metric ", metric));
  Canvas canvas(options.width, options.height);
  double lo = 0, hi = -std::numeric_limits<double>::infinity();
  for (const MetricStats* b : bars) {
    const double top = b->stats.has_interval() ? b->stats.ci_high : b->stats.mean;
    const double bottom = b->stats.has_interval() ? b->stats.ci_low : b->stats.mean;
    hi = std::max(hi, top);
    lo = std::min(lo, bottom);
  }
  if (hi < 0) hi = 0;
  // Labels under the bars are slanted; leave room for the longest (cut at 40 characters).
  double label_w = 0;
  std::vector<std::string> labels;
  for (const MetricStats* b : bars) {
    labels.push_back(Ellipsize(summary.groups[b->group].name, 40));
    label_w = std::max(label_w, canvas.TextWidth(labels.back(), 12));
  }
  const double bottom_margin = 40 + label_w * std::sin(kLabelDegrees * M_PI / 180);
  Rect plot{90, 60, canvas.width() - 120.0, canvas.height() - 60 - std::min(bottom_margin, canvas.height() * 0.45)};
  const std::vector<double> ticks = NiceTicks(&lo, &hi, 6);
  canvas.Text(canvas.width() / 2.0, 24, Title(metric, bars[0]->scale), 16, Canvas::Align::kCenter, kInk, true);
  canvas.Text(canvas.width() / 2.0, 44, "mean with 95% t-interval over folds/seeds; n = runs", 11,
              Canvas::Align::kCenter, kMuted);
  canvas.YAxis(plot, ticks, lo, hi, metric);
  auto y_of = [&](double v) { return plot.y + plot.h - (v - lo) / (hi - lo) * plot.h; };
  const double slot = plot.w / static_cast<double>(bars.size());
  const double bar_w = std::min(80.0, slot * 0.6);
  for (size_t i = 0; i < bars.size(); ++i) {
    const eval::FoldStats& st = bars[i]->stats;
    const double cx = plot.x + slot * (i + 0.5);
    const double y0 = y_of(0), y1 = y_of(st.mean);
    canvas.FillRect({cx - bar_w / 2, std::min(y0, y1), bar_w, std::fabs(y1 - y0)}, PaletteColor(i), 0.85);
    double label_y = std::min(y0, y1);
    if (st.has_interval()) {
      const double ylo = y_of(st.ci_low), yhi = y_of(st.ci_high);
      canvas.Line(cx, ylo, cx, yhi, kInk, 1.5);
      canvas.Line(cx - bar_w / 4, ylo, cx + bar_w / 4, ylo, kInk, 1.5);
      canvas.Line(cx - bar_w / 4, yhi, cx + bar_w / 4, yhi, kInk, 1.5);
      label_y = std::min(label_y, yhi);
    }
    canvas.Text(cx, label_y - 10, Number(st.mean), 11, Canvas::Align::kCenter, kInk);
    canvas.Text(cx, plot.y + plot.h + 14, absl::StrCat("n=", st.n), 10, Canvas::Align::kCenter, kMuted);
    canvas.Text(cx + 4, plot.y + plot.h + 30, labels[i], 12, Canvas::Align::kRight, kInk, false, kLabelDegrees);
  }
  canvas.Line(plot.x, y_of(0), plot.x + plot.w, y_of(0), kInk, 1);
  return canvas.WritePng(png_path);
}

absl::Status PlotAblationHeatmap(const AblationMatrix& m, const std::string& png_path, const PlotOptions& options) {
  if (m.train_conditions.empty() || m.infer_conditions.empty() ||
      m.cells.size() != m.train_conditions.size() * m.infer_conditions.size()) {
    return absl::InvalidArgumentError(absl::StrCat("ablation matrix of ", m.metric, " is empty"));
  }
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& c : m.cells) {
    if (!c) continue;
    lo = std::min(lo, c->mean);
    hi = std::max(hi, c->mean);
  }
  Canvas canvas(options.width, options.height);
  const size_t rows = m.train_conditions.size(), cols = m.infer_conditions.size();
  Rect grid{170, 90, canvas.width() - 220.0, canvas.height() - 150.0};
  const double cw = grid.w / static_cast<double>(cols), ch = grid.h / static_cast<double>(rows);
  canvas.Text(canvas.width() / 2.0, 26,
              absl::StrCat(Title(m.metric, 100), m.variant.empty() ? "" : absl::StrCat("  |  ", m.variant)), 16,
              Canvas::Align::kCenter, kInk, true);
  canvas.Text(canvas.width() / 2.0, 48, "signal ablation: mean ± 95% t-interval half-width", 11,
              Canvas::Align::kCenter, kMuted);
  canvas.Text(grid.x + grid.w / 2, 74, "inference condition", 13, Canvas::Align::kCenter, kInk);
  canvas.Text(40, grid.y + grid.h / 2, "training condition", 13, Canvas::Align::kCenter, kInk, false, 90);
  for (size_t c = 0; c < cols; ++c) {
    canvas.Text(grid.x + cw * (c + 0.5), grid.y + grid.h + 20, m.infer_conditions[c], 13, Canvas::Align::kCenter,
                kInk, true);
  }
  for (size_t r = 0; r < rows; ++r) {
    canvas.Text(grid.x - 12, grid.y + ch * (r + 0.5), m.train_conditions[r], 13, Canvas::Align::kRight, kInk, true);
    for (size_t c = 0; c < cols; ++c) {
      const Rect cell{grid.x + cw * c + 1, grid.y + ch * r + 1, cw - 2, ch - 2};
      const auto& v = m.cell(r, c);
      if (!v) {
        canvas.FillRect(cell, {0.93, 0.93, 0.93});
        canvas.Text(cell.x + cell.w / 2, cell.y + cell.h / 2, "not run", 12, Canvas::Align::kCenter, kMuted);
        continue;
      }
      const Color bg = HeatColor(hi > lo ? (v->mean - lo) / (hi - lo) : 0.5);
      canvas.FillRect(cell, bg);
      std::string text = Number(v->mean);
      if (v->has_interval()) absl::StrAppend(&text, " ± ", Number(v->half_width()));
      canvas.Text(cell.x + cell.w / 2, cell.y + cell.h / 2 - 8, text, 15, Canvas::Align::kCenter, TextColorOn(bg), true);
      canvas.Text(cell.x + cell.w / 2, cell.y + cell.h / 2 + 14, absl::StrCat("n=", v->n), 11, Canvas::Align::kCenter,
                  TextColorOn(bg));
    }
  }
  return canvas.WritePng(png_path);
}

absl::Status PlotCurves(const std::vector<Curve>& curves, const std::map<std::string, std::string>& run_names,
                        const std::string& png_path, const PlotOptions& options) {
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  std::string metric;
  for (const Curve& c : curves) {
    for (const CurvePoint& p : c.points) {
      if (!std::isfinite(p.value)) continue;
      xlo = std::min(xlo, static_cast<double>(p.step));
      xhi = std::max(xhi, static_cast<double>(p.step));
      ylo = std::min(ylo, p.value);
      yhi = std::max(yhi, p.value);
      metric = c.metric;
    }
  }
  if (metric.empty()) return absl::InvalidArgumentError("no curve has a finite point");
  Canvas canvas(options.width, options.height);
  const double legend_w = 230;
  Rect plot{90, 60, canvas.width() - 120.0 - legend_w, canvas.height() - 120.0};
  const std::vector<double> yticks = NiceTicks(&ylo, &yhi, 6);
  const std::vector<double> xticks = NiceTicks(&xlo, &xhi, 6);
  canvas.Text(canvas.width() / 2.0, 26, metric, 16, Canvas::Align::kCenter, kInk, true);
  canvas.Text(canvas.width() / 2.0, 46, "per run, by step", 11, Canvas::Align::kCenter, kMuted);
  canvas.YAxis(plot, yticks, ylo, yhi, metric);
  auto x_of = [&](double s) { return plot.x + (s - xlo) / (xhi - xlo) * plot.w; };
  auto y_of = [&](double v) { return plot.y + plot.h - (v - ylo) / (yhi - ylo) * plot.h; };
  const double xstep = xticks.size() > 1 ? xticks[1] - xticks[0] : 1;
  for (double t : xticks) {
    canvas.Line(x_of(t), plot.y + plot.h, x_of(t), plot.y + plot.h + 5, kInk, 1);
    canvas.Text(x_of(t), plot.y + plot.h + 18, FormatTick(t, xstep), 12, Canvas::Align::kCenter, kInk);
  }
  canvas.Line(plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, kInk, 1.5);
  canvas.Text(plot.x + plot.w / 2, plot.y + plot.h + 42, "step", 13, Canvas::Align::kCenter, kInk);
  cairo_t* cr = canvas.cr();
  size_t drawn = 0;
  for (const Curve& c : curves) {
    std::vector<CurvePoint> points;
    for (const CurvePoint& p : c.points) {
      if (std::isfinite(p.value)) points.push_back(p);
    }
    if (points.empty()) continue;
    const Color color = PaletteColor(drawn);
    canvas.SetColor(color);
    cairo_set_line_width(cr, 1.8);
    cairo_move_to(cr, x_of(static_cast<double>(points[0].step)), y_of(points[0].value));
    for (const CurvePoint& p : points) cairo_line_to(cr, x_of(static_cast<double>(p.step)), y_of(p.value));
    if (points.size() == 1) cairo_arc(cr, x_of(static_cast<double>(points[0].step)), y_of(points[0].value), 3, 0, 2 * M_PI);
    cairo_stroke(cr);
    const double ly = plot.y + 10 + 20.0 * drawn;
    if (ly < plot.y + plot.h) {
      auto it = run_names.find(c.run_id);
      const std::string name = Ellipsize(it == run_names.end() ? c.run_id : it->second, 30);
      const double lx = plot.x + plot.w + 20;
      canvas.Line(lx, ly, lx + 22, ly, color, 3);
      canvas.Text(lx + 28, ly, name, 11, Canvas::Align::kLeft, kInk);
    }
    ++drawn;
  }
  return canvas.WritePng(png_path);
}

}  // namespace ecgbench::common::report
