// Identifiers for experiments, runs, stages, tasks, attempts and workers: a short type prefix and
// random hex ("exp-3f9a1c2b7d40"), unique enough for one deployment and readable in logs.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ecgbench::common {

std::string NewId(std::string_view prefix);

// 32 random bytes as hex, from the OS's CSPRNG (tokens, request ids).
std::string RandomHex(int bytes);

}  // namespace ecgbench::common
