// Environment report: /proc, the dynamic loader, LibTorch and (with ECGBENCH_WITH_CUDA) the CUDA
// runtime.
#include "worker/stages/environment.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/util/files.h"
#include "worker/compat/torch_compat.h"

#if defined(ECGBENCH_WITH_CUDA)
#include <cuda_runtime_api.h>
#endif

namespace ecgbench::worker {
namespace {

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string Hostname() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0) return "";
  return buffer;
}

bool IsBlasLibrary(absl::string_view path) {
  const size_t slash = path.rfind('/');
  const absl::string_view base = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  return absl::StartsWith(base, "libblas.so") || absl::StartsWith(base, "libblis") ||
         absl::StartsWith(base, "libopenblas") || absl::StartsWith(base, "libmkl_") ||
         absl::StartsWith(base, "libcblas.so");
}

std::string Provider(const std::vector<std::string>& loaded) {
  if (loaded.empty()) return "none";
  auto any = [&](absl::string_view needle) {
    return std::any_of(loaded.begin(), loaded.end(),
                       [&](const std::string& p) { return absl::StrContains(p, needle); });
  };
  if (any("openblas")) return "openblas";
  if (any("libmkl_")) return "mkl";
  if (any("blis")) return "blis";
  if (any("/blas/libblas.so")) return "reference";  // Debian's netlib libblas3
  return "unknown";
}

// The file the dynamic loader opened for libblas.so.3 (following the alternatives symlinks).
std::string ResolvedLibblas() {
  void* handle = dlopen("libblas.so.3", RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return "";
  std::string path;
  struct link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr) {
    char* real = realpath(map->l_name, nullptr);
    path = real != nullptr ? real : map->l_name;
    std::free(real);
  }
  dlclose(handle);
  return path;
}

}  // namespace

int64_t ParseMemTotal(const std::string& meminfo) {
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemTotal:")) continue;
    line = absl::StripAsciiWhitespace(line);
    int64_t kib = 0;
    if (!absl::ConsumeSuffix(&line, "kB")) return 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib) || kib < 0) return 0;
    return kib * 1024;
  }
  return 0;
}

int64_t MemTotalBytes() {
  auto text = common::ReadFile("/proc/meminfo");
  return text.ok() ? ParseMemTotal(*text) : 0;
}

BlasInfo ParseBlasFromMaps(const std::string& maps) {
  std::set<std::string> paths;
  for (absl::string_view line : absl::StrSplit(maps, '\n')) {
    // address perms offset dev inode [path]; the path is what follows the fifth field.
    const size_t start = line.find('/');
    if (start == absl::string_view::npos) continue;
    const absl::string_view path = line.substr(start);
    if (IsBlasLibrary(path)) paths.emplace(path);
  }
  BlasInfo info;
  info.loaded.assign(paths.begin(), paths.end());
  info.provider = Provider(info.loaded);
  return info;
}

BlasInfo DetectBlas() {
  auto maps = common::ReadFile("/proc/self/maps");
  BlasInfo info = ParseBlasFromMaps(maps.ok() ? *maps : "");
  info.libblas_so_3 = ResolvedLibblas();
  return info;
}

std::vector<GpuInfo> DetectGpus() {
  std::vector<GpuInfo> gpus;
#if defined(ECGBENCH_WITH_CUDA)
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return gpus;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    const auto* b = reinterpret_cast<const unsigned char*>(prop.uuid.bytes);
    char uuid[64];
    std::snprintf(uuid, sizeof(uuid),
                  "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    gpus.push_back(GpuInfo{i, uuid, prop.name, static_cast<int64_t>(prop.totalGlobalMem)});
  }
#endif
  return gpus;
}

std::string LibTorchVersion() { return compat::LibTorchVersion(); }

void ConfigureThreads(int threads) {
  threads = std::max(1, threads);
  const std::string value = absl::StrCat(threads);
  setenv("OMP_NUM_THREADS", value.c_str(), /*overwrite=*/0);
  setenv("BLIS_NUM_THREADS", value.c_str(), /*overwrite=*/0);
  compat::SetNumThreads(threads);
}

EnvironmentReport CollectEnvironment() {
  EnvironmentReport report;
  report.hostname = Hostname();
  report.hardware_threads = static_cast<int>(std::thread::hardware_concurrency());
  report.memory_bytes = MemTotalBytes();
  report.gpus = DetectGpus();
  report.libtorch_version = compat::LibTorchVersion();
  report.torch_threads = compat::NumThreads();
  report.built_with_cuda = compat::kBuiltWithCuda;
  report.cuda_devices = compat::CudaDeviceCount();
  report.blas = DetectBlas();
  report.omp_num_threads = EnvOrEmpty("OMP_NUM_THREADS");
  report.blis_num_threads = EnvOrEmpty("BLIS_NUM_THREADS");
  return report;
}

nlohmann::json EnvironmentToJson(const EnvironmentReport& report) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const GpuInfo& gpu : report.gpus) {
    gpus.push_back({{"index", gpu.index},
                    {"uuid", gpu.uuid},
                    {"name", gpu.name},
                    {"memory_bytes", gpu.memory_bytes}});
  }
  return {{"hostname", report.hostname},
          {"hardware_threads", report.hardware_threads},
          {"memory_bytes", report.memory_bytes},
          {"gpus", std::move(gpus)},
          {"libtorch_version", report.libtorch_version},
          {"torch_threads", report.torch_threads},
          {"built_with_cuda", report.built_with_cuda},
          {"cuda_devices", report.cuda_devices},
          {"blas",
           {{"provider", report.blas.provider},
            {"loaded", report.blas.loaded},
            {"libblas_so_3", report.blas.libblas_so_3}}},
          {"omp_num_threads", report.omp_num_threads},
          {"blis_num_threads", report.blis_num_threads}};
}

}  // namespace ecgbench::worker
