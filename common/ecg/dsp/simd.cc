// CPU feature check for the dsp kernels' run-time dispatch.
#include "common/ecg/dsp/simd.h"

#include <cstdlib>
#include <cstring>

namespace ecgbench::common::ecg::simd {

bool HasAvx2() {
  static const bool has = [] {
    const char* off = std::getenv("ECGBENCH_DSP_NO_AVX2");
    if (off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0) return false;
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}

}  // namespace ecgbench::common::ecg::simd
