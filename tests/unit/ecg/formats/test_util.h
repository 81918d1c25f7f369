// Helpers for the formats tests: a temporary directory removed at the end of the test, byte-level
// file writers and little-endian packers for hand-made signal files.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::ecg::testing {

using TempDir = ::ecgbench::test_support::TempDir;

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void PutLe16(std::string& s, int v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void PutLe24(std::string& s, int v) {
  PutLe16(s, v);
  s.push_back(static_cast<char>((v >> 16) & 0xFF));
}
inline void PutLe32(std::string& s, int32_t v) {
  PutLe16(s, v & 0xFFFF);
  PutLe16(s, (v >> 16) & 0xFFFF);
}

}  // namespace ecgbench::common::ecg::testing
