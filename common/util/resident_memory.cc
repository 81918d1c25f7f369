// ResidentMemoryBytes: /proc/self/statm's second field times the page size.
#include "common/util/resident_memory.h"

#include <unistd.h>

#include <cstdio>

namespace ecgbench::common {

int64_t ResidentMemoryBytes() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  long long pages = 0, resident = 0;
  const int read = std::fscanf(statm, "%lld %lld", &pages, &resident);
  std::fclose(statm);
  if (read != 2 || resident < 0) return 0;
  const long page = sysconf(_SC_PAGESIZE);
  return static_cast<int64_t>(resident) * (page > 0 ? page : 4096);
}

}  // namespace ecgbench::common
