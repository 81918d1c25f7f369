// Small cryptographic helpers over OpenSSL: SHA-256, constant-time comparison, random tokens, and
// files only their owner may read. Thread-safe (stateless).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ecgbench::common {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(absl::string_view data);

// True when a == b. The time taken depends only on the lengths, never on where the bytes differ
// (CRYPTO_memcmp); different lengths return false at once (lengths are not secret here: every
// compared value is a 64-character hash).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// A fresh bearer token: "ecgb_" followed by 64 hex digits (256 bits from the OpenSSL CSPRNG).
// INTERNAL when the random generator fails.
absl::StatusOr<std::string> NewRandomToken();

// Writes `content` to `path` with mode 0600 (replacing an existing file atomically through a
// temporary file in the same directory). INTERNAL naming the path on failure.
absl::Status WritePrivateFile(const std::string& path, absl::string_view content);

}  // namespace ecgbench::common
