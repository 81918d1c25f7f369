// What this worker runs on: cores, memory, GPUs, LibTorch version and threads, and the BLAS library
// actually loaded (the reference BLAS is ~25x slower than BLIS; OpenBLAS breaks the /metrics
// endpoint in a LibTorch process). The probe stage reports it; the worker's main uses it for its
// defaults and to set up threads. Torch-free header; LibTorch stays in environment.cc.
// Thread-safe, except ConfigureThreads (call it once, at the top of main).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace ecgbench::worker {

struct GpuInfo {
  int index = 0;
  std::string uuid;  // "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as nvidia-smi prints it
  std::string name;
  int64_t memory_bytes = 0;
};

struct BlasInfo {
  std::vector<std::string> loaded;  // mapped BLAS libraries (libblas, libblis, libopenblas, mkl)
  std::string libblas_so_3;         // the file libblas.so.3 resolves to, "" when not loaded
  std::string provider;             // blis | openblas | mkl | reference | unknown | none
};

struct EnvironmentReport {
  std::string hostname;
  int hardware_threads = 0;
  int64_t memory_bytes = 0;  // MemTotal
  std::vector<GpuInfo> gpus;
  std::string libtorch_version;
  int torch_threads = 0;
  bool built_with_cuda = false;
  int cuda_devices = 0;  // as LibTorch sees them
  BlasInfo blas;
  std::string omp_num_threads;   // environment, "" when unset
  std::string blis_num_threads;
};

EnvironmentReport CollectEnvironment();
nlohmann::json EnvironmentToJson(const EnvironmentReport& report);

// Sets OMP_NUM_THREADS and BLIS_NUM_THREADS to `threads` unless already set, then LibTorch's
// intra-op threads. REQUIRES: threads >= 1; called before the first tensor operation.
void ConfigureThreads(int threads);

// GPUs through the CUDA runtime when built with ECGBENCH_WITH_CUDA; empty otherwise or when the
// runtime finds no usable device.
std::vector<GpuInfo> DetectGpus();

// MemTotal from /proc/meminfo in bytes; 0 when it cannot be read.
int64_t MemTotalBytes();
// Parses the text of /proc/meminfo; 0 when MemTotal is missing or malformed.
int64_t ParseMemTotal(const std::string& meminfo);

// BLAS libraries from the text of /proc/self/maps (loaded, provider; libblas_so_3 stays empty).
BlasInfo ParseBlasFromMaps(const std::string& maps);
BlasInfo DetectBlas();

std::string LibTorchVersion();

}  // namespace ecgbench::worker
