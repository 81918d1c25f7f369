// The beat model of the synthetic ECG (internal to common/ecg/synth): a record plan (per-record
// wave morphology as dipole vectors, the beat schedule from an RR tachogram with heart-rate
// variability, class-specific changes) drawn from an Rng, and its rendering into a DipoleSignal.
//
// Waves are Gaussian bumps of the dipole placed relative to each beat's QRS onset, as ECGSYN's
// Gaussian terms are placed in phase around the limit cycle; QT follows the preceding RR
// (Fridericia), the P wave sits PR before the QRS, and a QRS is a few components spread over the
// QRS duration so that its width is a parameter.
#pragma once

#include <array>
#include <vector>

#include "common/ecg/synth/dipole.h"
#include "common/ecg/synth/ecg_class.h"
#include "common/ecg/synth/rng.h"

namespace ecgbench::common::ecg::synth_internal {

// A QRS component: a Gaussian at onset + u * duration with sigma = sigma_u * duration.
struct QrsComponent {
  double u = 0, sigma_u = 0;
  Vec3 v;
};

struct Morphology {
  // P wave: right- then left-atrial component, offsets from the P onset.
  Vec3 p1, p2;
  double pr_s = 0.16;  // P onset to QRS onset
  // Conducted QRS.
  std::array<QrsComponent, 4> qrs{};
  int num_qrs = 0;
  double qrs_s = 0.09;
  // T wave: main vector; QT = qtc_s * cbrt(RR).
  Vec3 t;
  double qtc_s = 0.40;
  // ST injury current (zero vector when none), from the J point to the end of T.
  Vec3 st;
  // Premature ventricular complex.
  std::array<QrsComponent, 2> pvc_qrs{};
  double pvc_qrs_s = 0.16;
  Vec3 pvc_t;
};

struct Beat {
  double onset_s = 0;      // QRS onset
  double rr_s = 1;         // interval from the previous beat (drives QT)
  bool premature = false;  // ventricular ectopic beat (no P, wide QRS)
  bool p_wave = true;      // a P wave precedes it by PR
};

struct FWave {  // one component of the AF fibrillatory baseline
  double hz = 6, amp_mv = 0.03, phase = 0, mod_hz = 0.3, mod_phase = 0;
};

struct RecordPlan {
  EcgClass ecg_class = EcgClass::kSinusRhythm;
  BbbType bbb = BbbType::kNone;
  StGroup st_group = StGroup::kNone;
  double st_mv = 0;              // elevation in the weakest lead of the group
  Morphology m;
  std::vector<Beat> beats;       // sorted by onset; may start before 0 and end after the record
  std::vector<double> hidden_p_onsets_s;  // sinus P waves whose QRS was replaced by a PVC
  double resp_hz = 0.25, resp_phase = 0, resp_depth = 0.05;  // QRS amplitude modulation
  std::vector<FWave> f_waves;    // AF only
  Vec3 f_direction;
};

// Draws a record plan for `c` covering [0, duration_s). Consumes draws from `rng` in a fixed order.
RecordPlan PlanRecord(EcgClass c, double duration_s, Rng& rng);

// Adds every wave of `plan` to `dipole`.
void RenderPlan(const RecordPlan& plan, DipoleSignal& dipole);

// QT at a preceding RR, seconds.
double QtSeconds(const Morphology& m, double rr_s);

}  // namespace ecgbench::common::ecg::synth_internal
