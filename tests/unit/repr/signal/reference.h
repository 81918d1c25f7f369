// Test helpers for the signal tests: raw array files and running signal_reference.py (numpy +
// Pillow) once per job list in a temporary directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::repr::testing {

// Runs /usr/bin/python3 signal_reference.py on `jobs` (written to <dir>/jobs.json). Output (stdout
// and stderr) is in the error.
absl::Status RunReference(const test_support::TempDir& dir, const nlohmann::json& jobs);

template <typename T>
void WriteRaw(const std::string& path, const std::vector<T>& v);
template <typename T>
std::vector<T> ReadRaw(const std::string& path);

// Deterministic test data (a fixed LCG, not the code under test).
std::vector<uint8_t> RandomImage(int h, int w, uint64_t seed);

}  // namespace ecgbench::common::repr::testing
