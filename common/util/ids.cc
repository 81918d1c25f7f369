// Random identifiers from /dev/urandom-backed std::random_device.
#include "common/util/ids.h"

#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace ecgbench::common {

std::string RandomHex(int bytes) {
  static absl::Mutex mu;
  static std::random_device* rd ABSL_GUARDED_BY(mu) = new std::random_device();
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(bytes) * 2);
  absl::MutexLock lock(&mu);
  for (int i = 0; i < bytes; i += 4) {
    uint32_t v = (*rd)();
    for (int j = 0; j < 4 && i + j < bytes; ++j) {
      uint8_t b = static_cast<uint8_t>(v >> (8 * j));
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

std::string NewId(std::string_view prefix) { return absl::StrCat(std::string(prefix), "-", RandomHex(6)); }

}  // namespace ecgbench::common
