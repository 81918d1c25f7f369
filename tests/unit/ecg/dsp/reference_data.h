// Test support: runs dsp_reference.py (scipy / numpy / PyWavelets, through /usr/bin/python3) into a
// per-process temporary directory and reads what it wrote (raw little-endian float64 files and
// one manifest line per case). A missing Python, numpy, scipy or pywt is an error whose message
// says to run scripts/install-deps.sh: the tests fail, they never skip.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ecgbench::common::ecg::testing {

class ReferenceData {
 public:
  // Output of `dsp_reference.py DIR section args...`, generated once per process and section.
  static absl::StatusOr<const ReferenceData*> Get(const std::string& section,
                                                  const std::vector<std::string>& args = {});

  // Manifest lines of the section, split on spaces.
  const std::vector<std::vector<std::string>>& cases() const { return cases_; }
  // DIR/name.f64 as doubles.
  absl::StatusOr<std::vector<double>> Read(const std::string& name) const;

 private:
  std::string dir_;
  std::vector<std::vector<std::string>> cases_;
};

// A fresh directory under $TMPDIR (or /tmp), removed when the process exits.
const std::string& TestTempDir();

// Runs `command` with /bin/sh; returns its combined output, or an error with the exit status
// and the output.
absl::StatusOr<std::string> RunShell(const std::string& command);

double MaxAbsDiff(absl::Span<const double> a, absl::Span<const double> b);
double MaxAbs(absl::Span<const double> a);
double ToDouble(const std::string& field);

}  // namespace ecgbench::common::ecg::testing
