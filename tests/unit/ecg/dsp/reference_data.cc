// Runs the Python reference script for the dsp tests and reads its outputs.
#include "tests/unit/ecg/dsp/reference_data.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/unit/testing/run_command.h"
#include "tests/unit/testing/temp_dir.h"

#ifndef ECGBENCH_DSP_REFERENCE_SCRIPT
#error "ECGBENCH_DSP_REFERENCE_SCRIPT must name tests/unit/ecg/dsp/dsp_reference.py"
#endif

namespace ecgbench::common::ecg::testing {
namespace {

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kInstallHint[] =
    "the dsp tests need /usr/bin/python3 with numpy, scipy and pywt (Debian python3-numpy, "
    "python3-scipy, python3-pywt): run scripts/install-deps.sh";

using TempDir = ::ecgbench::test_support::TempDir;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

const std::string& TestTempDir() {
  static TempDir* dir = new TempDir();  // removed by the atexit hook below
  static const bool registered = [] {
    std::atexit([] { delete dir; });
    return true;
  }();
  (void)registered;
  return dir->path();
}

absl::StatusOr<std::string> RunShell(const std::string& command) {
  const test_support::CommandResult r = test_support::RunCommand(command);
  if (!r.ok()) {
    return absl::Status(r.exit_code == 3 ? absl::StatusCode::kFailedPrecondition : absl::StatusCode::kInternal,
                        absl::StrCat("`", command, "` exited with ", r.exit_code, ": ", r.output));
  }
  return r.output;
}

absl::StatusOr<const ReferenceData*> ReferenceData::Get(const std::string& section,
                                                        const std::vector<std::string>& args) {
  static auto* cache = new std::map<std::string, std::unique_ptr<ReferenceData>>();
  std::string key = section;
  for (const std::string& a : args) key += "|" + a;
  auto it = cache->find(key);
  if (it != cache->end()) return it->second.get();

  if (access(kPython, X_OK) != 0) return absl::FailedPreconditionError(absl::StrCat(kPython, " not found: ", kInstallHint));
  if (TestTempDir().empty()) return absl::InternalError("cannot create a temporary directory");
  auto data = std::make_unique<ReferenceData>();
  data->dir_ = absl::StrCat(TestTempDir(), "/", section, "_", cache->size());
  std::filesystem::create_directories(data->dir_);
  std::string command = absl::StrCat(kPython, " ", Quote(ECGBENCH_DSP_REFERENCE_SCRIPT), " ", Quote(data->dir_), " ",
                                     Quote(section));
  for (const std::string& a : args) absl::StrAppend(&command, " ", Quote(a));
  auto run = RunShell(command);
  if (!run.ok()) {
    if (run.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(absl::StrCat(run.status().message(), "\n", kInstallHint));
    }
    return run.status();
  }
  std::ifstream manifest(absl::StrCat(data->dir_, "/", section, ".txt"));
  if (!manifest) return absl::InternalError(absl::StrCat("reference script wrote no manifest for ", section));
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty()) continue;
    data->cases_.push_back(absl::StrSplit(line, ' ', absl::SkipEmpty()));
  }
  const ReferenceData* out = data.get();
  (*cache)[key] = std::move(data);
  return out;
}

absl::StatusOr<std::vector<double>> ReferenceData::Read(const std::string& name) const {
  const std::string path = absl::StrCat(dir_, "/", name, ".f64");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": not written by the reference script"));
  const std::streamsize bytes = in.tellg();
  in.seekg(0);
  std::vector<double> values(static_cast<size_t>(bytes) / sizeof(double));
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(double)));
  if (!in) return absl::DataLossError(absl::StrCat(path, ": short read"));
  return values;
}

double MaxAbsDiff(absl::Span<const double> a, absl::Span<const double> b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(a[i] - b[i]);
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

double MaxAbs(absl::Span<const double> a) {
  double worst = 0;
  for (double v : a) worst = std::max(worst, std::fabs(v));
  return worst;
}

double ToDouble(const std::string& field) { return std::strtod(field.c_str(), nullptr); }

}  // namespace ecgbench::common::ecg::testing
