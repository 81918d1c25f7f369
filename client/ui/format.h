// Small text formatters shared by the CLI's views: durations and ETAs, state names, timestamps,
// numbers, and display-width helpers for UTF-8 text. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "ecgbench/v1/types.pb.h"

namespace ecgbench::client {

// Compact duration: 42 -> "42s", 75 -> "1m15s", 3725 -> "1h02m", 93784 -> "1d02h". Fractions are
// rounded to the nearest second. Negative, NaN or infinite values (unknown) give "?".
std::string FormatDuration(double seconds);

// "ETA 1h02m", or "" when `seconds` is unknown (< 0, NaN, infinite).
std::string FormatEtaLabel(double seconds);

// "SUCCEEDED", "RUNNING", ... (the enum name without "STATE_"); "UNSPECIFIED" for 0 and unknown values.
std::string StateName(v1::State state);

// Parses "running", "RUNNING" or "STATE_RUNNING" (case-insensitive). False for anything else.
bool ParseState(absl::string_view text, v1::State* state);

// "ACTIVE", "DRAINING", "LOST", "GONE", "UNSPECIFIED".
std::string WorkerStateName(v1::WorkerState state);

// "DEBUG", "INFO", "WARNING", "ERROR", "UNSPECIFIED".
std::string LogLevelName(v1::LogLevel level);

// Parses debug|info|warning|warn|error (case-insensitive).
bool ParseLogLevel(absl::string_view text, v1::LogLevel* level);

// Local time "2024-05-01 12:03:04" ("-" for 0); with_millis appends ".123".
std::string FormatLocalTime(int64_t unix_ms, bool with_millis = false);

// Local time of day "12:03:04".
std::string FormatClock(int64_t unix_ms);

// A metric value for tables: up to 6 significant digits ("0.4213", "23.45", "1.5e-05").
std::string FormatMetric(double value);

// Shortest text that reads back as the same double (for CSV).
std::string FormatMetricExact(double value);

// Number of terminal columns `text` takes, counting one per UTF-8 code point.
int DisplayWidth(absl::string_view text);

// `text` cut to at most `width` columns at a code-point boundary.
std::string TruncateToWidth(absl::string_view text, int width);

// `text` padded with spaces to `width` columns (left-aligned, or right-aligned when right is true).
std::string Pad(absl::string_view text, int width, bool right = false);

}  // namespace ecgbench::client
