// Environment report: /proc parsing, BLAS detection on this machine, threads set-up, JSON shape.
#include "worker/stages/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "worker/compat/torch_compat.h"

namespace ecgbench::worker {
namespace {

TEST(EnvironmentTest, ParsesMemTotal) {
  EXPECT_EQ(ParseMemTotal("MemFree:  10 kB\nMemTotal:       24567890 kB\n"), int64_t{24567890} * 1024);
  EXPECT_EQ(ParseMemTotal("MemFree:  10 kB\n"), 0);
  EXPECT_EQ(ParseMemTotal("MemTotal: lots kB\n"), 0);
  EXPECT_EQ(ParseMemTotal("MemTotal: 12 MB\n"), 0);
  EXPECT_GT(MemTotalBytes(), 0);
}

TEST(EnvironmentTest, FindsBlasLibrariesInMaps) {
  const std::string maps =
      "7f00-7f01 r-xp 00000000 fd:01 123 /usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3\n"
      "7f01-7f02 r--p 00001000 fd:01 123 /usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3\n"
      "7f02-7f03 r-xp 00000000 fd:01 124 /usr/lib/x86_64-linux-gnu/libblis-openmp.so.4\n"
      "7f03-7f04 r-xp 00000000 fd:01 125 /usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13\n"
      "7ffd-7ffe rw-p 00000000 00:00 0 [stack]\n";
  BlasInfo info = ParseBlasFromMaps(maps);
  EXPECT_EQ(info.loaded, (std::vector<std::string>{
                             "/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3",
                             "/usr/lib/x86_64-linux-gnu/libblis-openmp.so.4"}));
  EXPECT_EQ(info.provider, "blis");
  EXPECT_EQ(ParseBlasFromMaps("1-2 r-xp 0 fd:01 1 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0\n")
                .provider,
            "reference");
  EXPECT_EQ(ParseBlasFromMaps(
                "1-2 r-xp 0 fd:01 1 /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0\n")
                .provider,
            "openblas");
  EXPECT_EQ(ParseBlasFromMaps("").provider, "none");
}

TEST(EnvironmentTest, DetectsTheBlasThisProcessLoaded) {
  // LibTorch links libblas.so.3, so a test binary that links LibTorch has one mapped.
  const BlasInfo info = DetectBlas();
  EXPECT_FALSE(info.loaded.empty());
  EXPECT_NE(info.provider, "none");
  EXPECT_NE(info.libblas_so_3.find("libblas.so.3"), std::string::npos) << info.libblas_so_3;
  EXPECT_EQ(info.libblas_so_3.front(), '/');
}

TEST(EnvironmentTest, ConfigureThreadsKeepsExplicitEnvironment) {
  setenv("OMP_NUM_THREADS", "1", 1);
  unsetenv("BLIS_NUM_THREADS");
  ConfigureThreads(2);
  EXPECT_STREQ(std::getenv("OMP_NUM_THREADS"), "1");
  EXPECT_STREQ(std::getenv("BLIS_NUM_THREADS"), "2");
  EXPECT_EQ(compat::NumThreads(), 2);
}

TEST(EnvironmentTest, ReportsAsJson) {
  const EnvironmentReport report = CollectEnvironment();
  EXPECT_EQ(report.libtorch_version, compat::LibTorchVersion());
  EXPECT_GE(report.torch_threads, 1);
  EXPECT_GE(report.hardware_threads, 1);
  const nlohmann::json json = EnvironmentToJson(report);
  for (const char* key : {"hostname", "hardware_threads", "memory_bytes", "gpus", "libtorch_version",
                          "torch_threads", "built_with_cuda", "cuda_devices", "blas",
                          "omp_num_threads", "blis_num_threads"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["blas"]["provider"], report.blas.provider);
  EXPECT_EQ(json["gpus"].size(), report.gpus.size());
}

}  // namespace
}  // namespace ecgbench::worker
