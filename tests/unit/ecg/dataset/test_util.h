// Test helpers for the dataset tests: a temporary directory removed at scope exit, small files.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::ecg::testing {

using TempDir = ::ecgbench::test_support::TempDir;

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace ecgbench::common::ecg::testing
