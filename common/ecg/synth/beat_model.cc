// Record plans (morphology + beat schedule) per class and their rendering (see beat_model.h).
// Every random draw is its own statement so that the draw order never depends on the compiler.
#include "common/ecg/synth/beat_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ecgbench::common::ecg::synth_internal {
namespace {

constexpr double kDeg = M_PI / 180.0;

struct ClassRanges {
  double hr_lo, hr_hi;  // bpm (ventricular rate for AF)
  double pr_lo, pr_hi;  // s
  double cv_lo, cv_hi;  // RR coefficient of variation of the sinus tachogram
};

ClassRanges RangesFor(EcgClass c) {
  switch (c) {
    case EcgClass::kSinusBradycardia: return {42, 56, 0.14, 0.19, 0.03, 0.07};
    case EcgClass::kSinusTachycardia: return {106, 140, 0.12, 0.15, 0.008, 0.02};
    case EcgClass::kAtrialFibrillation: return {70, 120, 0, 0, 0, 0};
    case EcgClass::kFirstDegreeAvBlock: return {60, 88, 0.23, 0.32, 0.02, 0.05};
    case EcgClass::kBundleBranchBlock: return {62, 95, 0.13, 0.19, 0.02, 0.05};
    case EcgClass::kPrematureVentricular: return {62, 92, 0.13, 0.19, 0.02, 0.04};
    case EcgClass::kSinusRhythm:
    case EcgClass::kStElevation: break;
  }
  return {63, 97, 0.13, 0.19, 0.02, 0.05};
}

// The component with its vector scaled by s.
QrsComponent Scaled(QrsComponent c, double s) {
  c.v = s * c.v;
  return c;
}

void BuildQrs(BbbType bbb, Rng& rng, Morphology& m) {
  static constexpr QrsComponent kNormal[] = {
      {0.24, 0.08, {-0.12, 0.04, -0.30}}, {0.48, 0.09, {1.10, 0.65, 0.25}}, {0.74, 0.085, {-0.30, -0.25, 0.60}}};
  // RBBB: normal early forces compressed into the first half, then a slow rightward-anterior
  // terminal force (R' in V1, broad S in I and V6).
  static constexpr QrsComponent kRight[] = {{0.10, 0.05, {-0.12, 0.04, -0.30}},
                                            {0.32, 0.08, {1.00, 0.60, 0.20}},
                                            {0.55, 0.08, {-0.20, -0.15, 0.45}},
                                            {0.80, 0.08, {-0.55, 0.05, -0.75}}};
  // LBBB: no septal q, a broad notched leftward-posterior R (QS in V1, notched R in I and V6).
  static constexpr QrsComponent kLeft[] = {{0.33, 0.12, {1.00, 0.30, 0.80}}, {0.64, 0.13, {1.30, 0.25, 1.20}}};
  const QrsComponent* src = kNormal;
  int count = 3;
  if (bbb == BbbType::kRight) {
    src = kRight;
    count = 4;
  } else if (bbb == BbbType::kLeft) {
    src = kLeft;
    count = 2;
  }
  m.num_qrs = count;
  for (int i = 0; i < count; ++i) {
    const double s = rng.Uniform(0.85, 1.15);
    m.qrs[i] = Scaled(src[i], s);
  }
  if (bbb == BbbType::kRight) {
    m.t = {0.25, 0.20, 0.25};  // secondary T inversion in V1
  } else if (bbb == BbbType::kLeft) {
    m.t = {-0.28, -0.05, -0.40};  // discordant ST-T
  } else {
    m.t = {0.30, 0.22, -0.12};
  }
  const double ts = rng.Uniform(0.8, 1.2);
  m.t = ts * m.t;
}

void RotateAll(Morphology& m, double frontal, double horizontal, double scale) {
  auto rot = [&](Vec3 v) { return scale * Rotate(v, frontal, horizontal); };
  m.p1 = rot(m.p1);
  m.p2 = rot(m.p2);
  for (int i = 0; i < m.num_qrs; ++i) m.qrs[i].v = rot(m.qrs[i].v);
  m.t = rot(m.t);
  for (QrsComponent& c : m.pvc_qrs) c.v = rot(c.v);
  m.pvc_t = rot(m.pvc_t);
}

void BuildPvc(Rng& rng, Morphology& m) {
  static constexpr QrsComponent kRv[] = {{0.35, 0.13, {0.9, 1.2, 0.9}}, {0.70, 0.12, {0.4, 0.6, 0.5}}};
  static constexpr QrsComponent kLv[] = {{0.35, 0.13, {-0.6, -1.2, -1.0}}, {0.70, 0.12, {-0.3, -0.5, -0.4}}};
  const bool rv = rng.Bernoulli(0.5);
  const double frontal = rng.Uniform(-30, 30) * kDeg;
  const double horizontal = rng.Uniform(-20, 20) * kDeg;
  const double scale = rng.Uniform(0.8, 1.2);
  for (int i = 0; i < 2; ++i) {
    QrsComponent c = rv ? kRv[i] : kLv[i];
    c.v = scale * Rotate(c.v, frontal, horizontal);
    m.pvc_qrs[i] = c;
  }
  m.pvc_t = -0.3 * m.pvc_qrs[0].v;
  m.pvc_qrs_s = rng.Uniform(0.14, 0.18);
}

// ST injury vector whose projection on every lead of the group is at least st_mv.
Vec3 StVector(StGroup g, double st_mv) {
  Vec3 dir;
  const std::vector<int> leads = StGroupLeads(g);
  for (int l : leads) {
    const Vec3 v = LeadVector(l);
    dir = dir + (1.0 / Norm(v)) * v;
  }
  dir = (1.0 / Norm(dir)) * dir;
  double min_proj = std::numeric_limits<double>::max();
  for (int l : leads) min_proj = std::min(min_proj, Dot(LeadVector(l), dir));
  return (st_mv / min_proj) * dir;
}

std::vector<Beat> SinusBeats(double rr0, double cv, double duration, double resp_hz, Rng& rng) {
  // Tachogram: Mayer waves (LF, ~0.1 Hz) and respiratory sinus arrhythmia (HF, at the breathing
  // rate), each a spectral peak made of three sinusoids; LF/HF power 1:2, as in McSharry et al.
  struct Osc {
    double amp, hz, phase;
  };
  std::array<Osc, 6> osc{};
  const double var = cv * cv;
  for (int j = 0; j < 6; ++j) {
    const bool lf = j < 3;
    osc[j].amp = std::sqrt(2.0 * (lf ? var / 3 : 2 * var / 3) / 3.0);
    osc[j].hz = lf ? rng.Uniform(0.08, 0.12) : resp_hz + rng.Uniform(-0.02, 0.02);
    osc[j].phase = rng.Uniform(0, 2 * M_PI);
  }
  std::vector<Beat> beats;
  double t = -1.0 - rng.Uniform(0, rr0);
  double prev_rr = rr0;
  while (t < duration + 0.6) {
    beats.push_back({t, prev_rr, false, true});
    double hrv = 0;
    for (const Osc& o : osc) hrv += o.amp * std::sin(2 * M_PI * o.hz * t + o.phase);
    const double jitter = 0.004 * rng.Normal();
    const double rr = std::max(0.25, rr0 * (1.0 + hrv + jitter));
    t += rr;
    prev_rr = rr;
  }
  return beats;
}

std::vector<Beat> FibrillationBeats(double rr0, double duration, Rng& rng) {
  // Irregularly irregular: RR i.i.d. uniform on [0.55, 1.45] x mean (CV ~0.26), at least 0.3 s.
  std::vector<Beat> beats;
  double t = -1.0 - rng.Uniform(0, rr0);
  double prev_rr = rr0;
  while (t < duration + 0.6) {
    beats.push_back({t, prev_rr, false, false});
    const double rr = std::max(0.3, rr0 * rng.Uniform(0.55, 1.45));
    t += rr;
    prev_rr = rr;
  }
  return beats;
}

void InsertPvcs(double duration, Rng& rng, RecordPlan& plan) {
  std::vector<int> candidates;
  for (size_t k = 1; k + 1 < plan.beats.size(); ++k) {
    if (plan.beats[k].onset_s >= 0.4 && plan.beats[k].onset_s <= duration - 1.0) candidates.push_back(static_cast<int>(k));
  }
  rng.Shuffle(candidates);
  const int64_t want = rng.UniformInt(1, 3);
  std::vector<int> chosen;
  for (int k : candidates) {
    if (static_cast<int64_t>(chosen.size()) >= want) break;
    bool spaced = true;
    for (int c : chosen) spaced = spaced && std::abs(c - k) >= 3;
    if (spaced) chosen.push_back(k);
  }
  std::sort(chosen.begin(), chosen.end());
  for (int k : chosen) {
    Beat& b = plan.beats[k];
    const double prev = plan.beats[k - 1].onset_s;
    const double coupling = rng.Uniform(0.55, 0.70);
    // The sinus P wave still fires on time, hidden in the ectopic complex; the next sinus beat
    // keeps its time, so the pause is fully compensatory.
    plan.hidden_p_onsets_s.push_back(b.onset_s - plan.m.pr_s);
    b.onset_s = prev + coupling * (b.onset_s - prev);
    b.rr_s = b.onset_s - prev;
    b.premature = true;
    b.p_wave = false;
    plan.beats[k + 1].rr_s = plan.beats[k + 1].onset_s - b.onset_s;
  }
}

}  // namespace

double QtSeconds(const Morphology& m, double rr_s) { return m.qtc_s * std::cbrt(std::clamp(rr_s, 0.3, 2.0)); }

RecordPlan PlanRecord(EcgClass c, double duration_s, Rng& rng) {
  RecordPlan plan;
  plan.ecg_class = c;
  const ClassRanges r = RangesFor(c);
  Morphology& m = plan.m;

  // Record-level variation: electrical axis, chest geometry, overall voltage.
  const double frontal = rng.Uniform(-25, 25) * kDeg;
  const double horizontal = rng.Uniform(-15, 15) * kDeg;
  const double scale = rng.Uniform(0.85, 1.4);
  const double hr = rng.Uniform(r.hr_lo, r.hr_hi);
  const double cv = rng.Uniform(r.cv_lo, r.cv_hi);
  m.pr_s = c == EcgClass::kAtrialFibrillation ? 0 : rng.Uniform(r.pr_lo, r.pr_hi);
  m.qtc_s = rng.Uniform(0.38, 0.42);
  if (c == EcgClass::kBundleBranchBlock) plan.bbb = rng.Bernoulli(0.5) ? BbbType::kRight : BbbType::kLeft;
  m.qrs_s = plan.bbb == BbbType::kNone ? rng.Uniform(0.08, 0.10) : rng.Uniform(0.13, 0.16);
  const double p_scale = rng.Uniform(0.8, 1.25);
  m.p1 = p_scale * Vec3{0.03, 0.10, -0.06};
  m.p2 = p_scale * Vec3{0.10, 0.07, 0.04};
  BuildQrs(plan.bbb, rng, m);
  if (c == EcgClass::kPrematureVentricular) BuildPvc(rng, m);
  RotateAll(m, frontal, horizontal, scale);

  if (c == EcgClass::kStElevation) {
    const int64_t g = rng.UniformInt(1, 3);
    plan.st_group = static_cast<StGroup>(g);
    plan.st_mv = rng.Uniform(0.25, 0.45);
    m.st = StVector(plan.st_group, plan.st_mv);
    m.t = m.t + 0.3 * m.st;  // hyperacute T waves in the same leads
  }

  plan.resp_hz = rng.Uniform(0.15, 0.35);
  plan.resp_phase = rng.Uniform(0, 2 * M_PI);
  plan.resp_depth = rng.Uniform(0.02, 0.08);
  const double rr0 = 60.0 / hr;
  if (c == EcgClass::kAtrialFibrillation) {
    plan.beats = FibrillationBeats(rr0, duration_s, rng);
    const double fx = rng.Uniform(-0.2, 0.3), fy = rng.Uniform(0.2, 0.6);
    plan.f_direction = Vec3{fx, fy, -0.8};
    plan.f_direction = (1.0 / Norm(plan.f_direction)) * plan.f_direction;
    const int64_t num = rng.UniformInt(2, 3);
    for (int64_t j = 0; j < num; ++j) {
      FWave f;
      f.hz = rng.Uniform(4.0, 9.0);
      f.amp_mv = rng.Uniform(0.02, 0.05);
      f.phase = rng.Uniform(0, 2 * M_PI);
      f.mod_hz = rng.Uniform(0.1, 0.5);
      f.mod_phase = rng.Uniform(0, 2 * M_PI);
      plan.f_waves.push_back(f);
    }
  } else {
    plan.beats = SinusBeats(rr0, cv, duration_s, plan.resp_hz, rng);
  }
  if (c == EcgClass::kPrematureVentricular) InsertPvcs(duration_s, rng, plan);
  return plan;
}

namespace {

void RenderP(const Morphology& m, double p_onset, DipoleSignal& d) {
  d.AddGaussian(p_onset + 0.035, 0.014, m.p1);
  d.AddGaussian(p_onset + 0.058, 0.015, m.p2);
}

}  // namespace

void RenderPlan(const RecordPlan& plan, DipoleSignal& d) {
  const Morphology& m = plan.m;
  const bool has_st = Norm(m.st) > 0;
  for (const Beat& b : plan.beats) {
    const double amp = 1.0 + plan.resp_depth * std::sin(2 * M_PI * plan.resp_hz * b.onset_s + plan.resp_phase);
    if (b.premature) {
      const double w = m.pvc_qrs_s;
      for (const QrsComponent& c : m.pvc_qrs) d.AddGaussian(b.onset_s + c.u * w, c.sigma_u * w, amp * c.v);
      d.AddGaussian(b.onset_s + w + 0.16, 0.06, amp * m.pvc_t);
      continue;
    }
    if (b.p_wave) RenderP(m, b.onset_s - m.pr_s, d);
    const double w = m.qrs_s;
    for (int i = 0; i < m.num_qrs; ++i) {
      const QrsComponent& c = m.qrs[i];
      d.AddGaussian(b.onset_s + c.u * w, c.sigma_u * w, amp * c.v);
    }
    // T: a main Gaussian ending (2.2 sigma) at QT plus a wider, earlier one for the slow upstroke.
    const double rr = std::clamp(b.rr_s, 0.3, 2.0);
    const double t_end = b.onset_s + QtSeconds(m, rr);
    const double sigma = 0.045 * std::cbrt(rr);
    const double center = t_end - 2.2 * sigma;
    d.AddGaussian(center, sigma, amp * m.t);
    d.AddGaussian(center - sigma, 1.3 * sigma, (0.25 * amp) * m.t);
    if (has_st) d.AddPlateau(b.onset_s + w, center, 0.006, 0.8 * sigma, m.st);  // merges into T
  }
  for (double p : plan.hidden_p_onsets_s) RenderP(m, p, d);
  if (!plan.f_waves.empty()) {
    std::vector<double> a(static_cast<size_t>(d.size()), 0.0);
    const double fs = d.fs();
    for (const FWave& f : plan.f_waves) {
      for (int64_t i = 0; i < d.size(); ++i) {
        const double t = static_cast<double>(i) / fs;
        // Amplitude and frequency wander slowly, as fibrillatory waves do.
        const double mod = std::sin(2 * M_PI * f.mod_hz * t + f.mod_phase);
        a[i] += f.amp_mv * (1.0 + 0.4 * mod) * std::sin(2 * M_PI * f.hz * t + f.phase + 0.8 * mod);
      }
    }
    d.AddScaled(plan.f_direction, a);
  }
}

}  // namespace ecgbench::common::ecg::synth_internal
