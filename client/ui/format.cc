// Text formatters for the CLI's views.
#include "client/ui/format.h"

#include <cmath>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "fmt/format.h"

namespace ecgbench::client {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return absl::StrFormat("%ds", s);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, (s % 86400) / 3600);
}

std::string FormatEtaLabel(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "";
  return "ETA " + FormatDuration(seconds);
}

std::string StateName(v1::State state) {
  switch (state) {
    case v1::STATE_PENDING: return "PENDING";
    case v1::STATE_RUNNING: return "RUNNING";
    case v1::STATE_SUCCEEDED: return "SUCCEEDED";
    case v1::STATE_FAILED: return "FAILED";
    case v1::STATE_CANCELLING: return "CANCELLING";
    case v1::STATE_CANCELLED: return "CANCELLED";
    default: return "UNSPECIFIED";
  }
}

bool ParseState(absl::string_view text, v1::State* state) {
  std::string upper = absl::AsciiStrToUpper(text);
  if (absl::StartsWith(upper, "STATE_")) upper = upper.substr(6);
  for (v1::State s : {v1::STATE_PENDING, v1::STATE_RUNNING, v1::STATE_SUCCEEDED, v1::STATE_FAILED,
                      v1::STATE_CANCELLING, v1::STATE_CANCELLED}) {
    if (upper == StateName(s)) {
      *state = s;
      return true;
    }
  }
  return false;
}

std::string WorkerStateName(v1::WorkerState state) {
  switch (state) {
    case v1::WORKER_STATE_ACTIVE: return "ACTIVE";
    case v1::WORKER_STATE_DRAINING: return "DRAINING";
    case v1::WORKER_STATE_LOST: return "LOST";
    case v1::WORKER_STATE_GONE: return "GONE";
    default: return "UNSPECIFIED";
  }
}

std::string LogLevelName(v1::LogLevel level) {
  switch (level) {
    case v1::LOG_LEVEL_DEBUG: return "DEBUG";
    case v1::LOG_LEVEL_INFO: return "INFO";
    case v1::LOG_LEVEL_WARNING: return "WARNING";
    case v1::LOG_LEVEL_ERROR: return "ERROR";
    default: return "UNSPECIFIED";
  }
}

bool ParseLogLevel(absl::string_view text, v1::LogLevel* level) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") *level = v1::LOG_LEVEL_DEBUG;
  else if (lower == "info") *level = v1::LOG_LEVEL_INFO;
  else if (lower == "warning" || lower == "warn") *level = v1::LOG_LEVEL_WARNING;
  else if (lower == "error") *level = v1::LOG_LEVEL_ERROR;
  else return false;
  return true;
}

namespace {
std::tm LocalTm(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}
}  // namespace

std::string FormatLocalTime(int64_t unix_ms, bool with_millis) {
  if (unix_ms <= 0) return "-";
  const std::tm tm = LocalTm(unix_ms);
  std::string out = absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (with_millis) absl::StrAppendFormat(&out, ".%03d", static_cast<int>(unix_ms % 1000));
  return out;
}

std::string FormatClock(int64_t unix_ms) {
  const std::tm tm = LocalTm(unix_ms);
  return absl::StrFormat("%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string FormatMetric(double value) { return fmt::format("{:.6g}", value); }

std::string FormatMetricExact(double value) { return fmt::format("{}", value); }

int DisplayWidth(absl::string_view text) {
  int width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;  // not a continuation byte: a new code point
  }
  return width;
}

std::string TruncateToWidth(absl::string_view text, int width) {
  if (width <= 0) return "";
  int seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (seen == width) return std::string(text.substr(0, i));
      ++seen;
    }
  }
  return std::string(text);
}

std::string Pad(absl::string_view text, int width, bool right) {
  const int fill = width - DisplayWidth(text);
  if (fill <= 0) return std::string(text);
  return right ? std::string(static_cast<size_t>(fill), ' ') + std::string(text)
               : std::string(text) + std::string(static_cast<size_t>(fill), ' ');
}

}  // namespace ecgbench::client
