// Runs the Python reference for the signal tests (see reference.h).
#include "tests/unit/repr/signal/reference.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "tests/unit/testing/run_command.h"

#ifndef ECGBENCH_SIGNAL_REFERENCE_SCRIPT
#error "ECGBENCH_SIGNAL_REFERENCE_SCRIPT must name tests/unit/repr/signal/signal_reference.py"
#endif

namespace ecgbench::common::repr::testing {

absl::Status RunReference(const test_support::TempDir& dir, const nlohmann::json& jobs) {
  const std::string jobs_path = dir / "jobs.json";
  std::ofstream(jobs_path) << jobs.dump();
  const test_support::CommandResult r = test_support::RunCommand(
      absl::StrCat("/usr/bin/python3 '", ECGBENCH_SIGNAL_REFERENCE_SCRIPT, "' '", jobs_path, "'"));
  if (!r.ok()) {
    return absl::InternalError(absl::StrCat(
        "signal_reference.py failed (needs /usr/bin/python3 with numpy and PIL: Debian python3-numpy, "
        "python3-pil): ",
        r.output));
  }
  return absl::OkStatus();
}

template <typename T>
void WriteRaw(const std::string& path, const std::vector<T>& v) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
std::vector<T> ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<T> v(bytes.size() / sizeof(T));
  std::copy(bytes.begin(), bytes.begin() + v.size() * sizeof(T), reinterpret_cast<char*>(v.data()));
  return v;
}

template void WriteRaw<uint8_t>(const std::string&, const std::vector<uint8_t>&);
template void WriteRaw<float>(const std::string&, const std::vector<float>&);
template void WriteRaw<double>(const std::string&, const std::vector<double>&);
template std::vector<uint8_t> ReadRaw<uint8_t>(const std::string&);
template std::vector<float> ReadRaw<float>(const std::string&);

std::vector<uint8_t> RandomImage(int h, int w, uint64_t seed) {
  std::vector<uint8_t> img(static_cast<size_t>(h) * w * 3);
  uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (uint8_t& v : img) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<uint8_t>(s >> 56);
  }
  return img;
}

}  // namespace ecgbench::common::repr::testing
