// Atomic, checksummed training checkpoints (see checkpoint.h).
#include "worker/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/model_io/safetensors_file.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker::train {
namespace {

namespace fs = std::filesystem;
using common::model_io::DType;

constexpr int kFormat = 1;
constexpr char kTensorsFile[] = "tensors.safetensors";
constexpr char kStateFile[] = "state.json";
constexpr char kLatestFile[] = "LATEST";

std::string StepDirName(int64_t step) { return absl::StrFormat("step-%09d", step); }

// "step-" followed by digits only (what StepDirName writes).
bool IsStepDirName(const std::string& name) {
  if (name.size() <= 5 || name.rfind("step-", 0) != 0) return false;
  return std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

absl::StatusOr<DType> ToDType(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return DType::kF32;
    case torch::kBFloat16: return DType::kBF16;
    case torch::kHalf: return DType::kF16;
    case torch::kLong: return DType::kI64;
    case torch::kByte: return DType::kU8;
    default: return absl::InvalidArgumentError(absl::StrCat("checkpoint: unsupported tensor dtype ", c10::toString(type)));
  }
}

absl::StatusOr<torch::ScalarType> FromDType(DType dtype) {
  switch (dtype) {
    case DType::kF32: return torch::kFloat;
    case DType::kBF16: return torch::kBFloat16;
    case DType::kF16: return torch::kHalf;
    case DType::kI64: return torch::kLong;
    case DType::kU8: return torch::kByte;
    default: return absl::InvalidArgumentError(absl::StrCat("checkpoint: unexpected dtype ", std::string(common::model_io::DTypeName(dtype))));
  }
}

absl::StatusOr<std::string> FileChecksum(const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string bytes, common::ReadFile(path));
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return absl::StrFormat("%016x%016x", h.high64, h.low64);
}

absl::Status Fsync(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return absl::InternalError(absl::StrCat(path, ": cannot open to sync"));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : absl::InternalError(absl::StrCat(path, ": fsync failed"));
}

// Writes tensors.safetensors and state.json of `contents` into `dir` (fsynced).
absl::Status WriteStepFiles(const fs::path& dir, const CheckpointContents& contents) {
  // Contiguous CPU copies must outlive Write (the writer borrows them).
  std::vector<torch::Tensor> keep_alive;
  common::model_io::SafetensorsWriter writer;
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("format", "ecgbench-checkpoint"));
  const auto add_group = [&](const std::string& prefix, const std::map<std::string, torch::Tensor>& group) -> absl::Status {
    for (const auto& [name, tensor] : group) {
      const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
      ECGBENCH_ASSIGN_OR_RETURN(const DType dtype, ToDType(t.scalar_type()));
      keep_alive.push_back(t);
      ECGBENCH_RETURN_IF_ERROR(writer.Add(prefix + name, dtype, t.sizes().vec(), t.data_ptr(), t.nbytes()));
    }
    return absl::OkStatus();
  };
  ECGBENCH_RETURN_IF_ERROR(add_group("weights/", contents.weights));
  ECGBENCH_RETURN_IF_ERROR(add_group("optimizer/", contents.optimizer));
  ECGBENCH_RETURN_IF_ERROR(add_group("rng/", contents.rng));
  const std::string tensors_path = (dir / kTensorsFile).string();
  ECGBENCH_RETURN_IF_ERROR(writer.Write(tensors_path));
  ECGBENCH_RETURN_IF_ERROR(Fsync(tensors_path));
  ECGBENCH_ASSIGN_OR_RETURN(const std::string checksum, FileChecksum(tensors_path));

  nlohmann::json doc = {{"format", kFormat}, {"step", contents.step}, {"state", contents.state},
                        {"tensors_xxh3_128", checksum}};
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic((dir / kStateFile).string(), doc.dump(2) + "\n"));

  return absl::OkStatus();
}

// Renames an unreadable step directory out of LATEST's and retention's way (best effort: a
// read-only root keeps it where it is).
void Quarantine(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  fs::rename(dir, dir.parent_path() / absl::StrCat(".corrupt-", dir.filename().string(), "-", now.count()), ec);
}

}  // namespace

torch::Tensor CpuRngState() {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void RestoreCpuRngState(const torch::Tensor& state) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

absl::StatusOr<std::string> WriteCheckpoint(const std::string& root, const CheckpointContents& contents, int keep) {
  if (keep < 1) return absl::InvalidArgumentError(absl::StrCat("checkpoint: keep must be >= 1, got ", keep));
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(root));
  const fs::path final_dir = fs::path(root) / StepDirName(contents.step);
  const fs::path temp_dir = fs::path(root) / absl::StrCat(".", StepDirName(contents.step), ".tmp-", ::getpid());
  std::error_code ec;
  fs::remove_all(temp_dir, ec);
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(temp_dir.string()));

  // Everything up to the rename happens in the temporary directory; any failure (disk full, I/O
  // error) removes it and leaves LATEST and the previous checkpoints as they were.
  const absl::Status staged = WriteStepFiles(temp_dir, contents);
  if (!staged.ok()) {
    fs::remove_all(temp_dir, ec);
    return absl::Status(staged.code(), absl::StrCat("checkpoint step ", contents.step, " not written (the previous one stays): ",
                                                    staged.message()));
  }

  fs::remove_all(final_dir, ec);  // a rerun of the same step replaces it
  fs::rename(temp_dir, final_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("checkpoint: cannot rename ", temp_dir.string(), " to ", final_dir.string(), ": ", ec.message()));
  ECGBENCH_RETURN_IF_ERROR(
      common::WriteFileAtomic((fs::path(root) / kLatestFile).string(), StepDirName(contents.step) + "\n"));

  // Retention: newest `keep` step directories stay.
  std::vector<std::string> steps;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("step-", 0) == 0) steps.push_back(name);
  }
  std::sort(steps.begin(), steps.end());
  const std::string latest = StepDirName(contents.step);
  for (size_t i = 0; i + static_cast<size_t>(keep) < steps.size(); ++i) {
    if (steps[i] != latest) fs::remove_all(fs::path(root) / steps[i], ec);
  }
  return final_dir.string();
}

absl::StatusOr<CheckpointContents> ReadCheckpoint(const std::string& dir) {
  const std::string state_path = (fs::path(dir) / kStateFile).string();
  const std::string tensors_path = (fs::path(dir) / kTensorsFile).string();
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(state_path));
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json doc, common::ParseJson(text, state_path));
  if (!doc.is_object()) return absl::DataLossError(absl::StrCat(state_path, ": expected a JSON object, got ", doc.type_name()));
  const auto field_error = [&](const char* field, const std::string& expected) {
    std::string got = doc.contains(field) ? doc[field].dump(-1, ' ', /*ensure_ascii=*/true) : "nothing";
    if (got.size() > 80) got = got.substr(0, 77) + "...";
    return absl::DataLossError(absl::StrCat(state_path, ": field \"", field, "\": expected ", expected, ", got ", got));
  };
  if (!doc.contains("format") || doc["format"] != kFormat) return field_error("format", std::to_string(kFormat));
  if (!doc.contains("step") || !doc["step"].is_number_integer()) return field_error("step", "an integer");
  if (!doc.contains("tensors_xxh3_128") || !doc["tensors_xxh3_128"].is_string()) {
    return field_error("tensors_xxh3_128", "a string of 32 hex digits");
  }
  ECGBENCH_ASSIGN_OR_RETURN(const std::string checksum, FileChecksum(tensors_path));
  if (checksum != doc["tensors_xxh3_128"].get<std::string>()) {
    return absl::DataLossError(absl::StrCat(tensors_path, ": checksum ", checksum, " does not match state.json's ",
                                            doc["tensors_xxh3_128"].get<std::string>(), " (torn or corrupted file)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::SafetensorsFile file,
                            common::model_io::SafetensorsFile::Open(tensors_path));
  CheckpointContents contents;
  contents.step = doc["step"].get<int64_t>();
  contents.state = doc.value("state", nlohmann::json::object());
  for (const common::model_io::TensorInfo& info : file.tensors()) {
    const common::model_io::TensorView view = file.View(info);
    const absl::StatusOr<torch::ScalarType> type_or = FromDType(view.dtype);
    if (!type_or.ok()) {
      return absl::DataLossError(absl::StrCat(tensors_path, ": tensor '", std::string(view.name), "': unsupported dtype ",
                                              std::string(common::model_io::DTypeName(view.dtype)),
                                              " (checkpoints hold F32, BF16, F16, I64, U8)"));
    }
    const torch::ScalarType type = *type_or;
    const std::vector<int64_t> shape(view.shape.begin(), view.shape.end());
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
    std::memcpy(t.data_ptr(), view.data, view.bytes);
    const std::string name(view.name);
    const size_t slash = name.find('/');
    const std::string group = slash == std::string::npos ? "" : name.substr(0, slash);
    const std::string key = slash == std::string::npos ? name : name.substr(slash + 1);
    if (group == "weights") {
      contents.weights[key] = t;
    } else if (group == "optimizer") {
      contents.optimizer[key] = t;
    } else if (group == "rng") {
      contents.rng[key] = t;
    } else {
      return absl::DataLossError(absl::StrCat(tensors_path, ": unexpected tensor '", name, "'"));
    }
  }
  return contents;
}

absl::StatusOr<std::optional<CheckpointContents>> ReadLatestCheckpoint(const std::string& root) {
  const std::string latest_path = (fs::path(root) / kLatestFile).string();
  std::error_code ec;
  if (!fs::exists(latest_path, ec)) return std::optional<CheckpointContents>();
  ECGBENCH_ASSIGN_OR_RETURN(std::string name, common::ReadFile(latest_path));
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  std::vector<std::string> skipped;
  std::vector<std::string> candidates;
  const bool latest_valid = IsStepDirName(name);
  if (latest_valid) {
    candidates.push_back(name);
  } else {
    skipped.push_back(absl::StrCat(latest_path, ": does not name a step directory: '", name, "'"));
  }
  // Older step directories, newest first (names sort by step: fixed-width digits).
  std::vector<std::string> older;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    const std::string dir_name = entry.path().filename().string();
    if (entry.is_directory(ec) && IsStepDirName(dir_name) && (!latest_valid || dir_name < name)) older.push_back(dir_name);
  }
  std::sort(older.rbegin(), older.rend());
  candidates.insert(candidates.end(), older.begin(), older.end());
  for (const std::string& candidate : candidates) {
    const fs::path dir = fs::path(root) / candidate;
    absl::StatusOr<CheckpointContents> contents = ReadCheckpoint(dir.string());
    if (contents.ok()) {
      contents->skipped = std::move(skipped);
      return std::optional<CheckpointContents>(*std::move(contents));
    }
    skipped.push_back(std::string(contents.status().message()));
    Quarantine(dir);
  }
  return absl::DataLossError(absl::StrCat(root, ": no checkpoint verifies (", absl::StrJoin(skipped, "; "), ")"));
}

}  // namespace ecgbench::worker::train
