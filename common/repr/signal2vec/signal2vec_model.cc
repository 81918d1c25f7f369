// Save/Load of Signal2Vec embeddings: embeddings.npy + signal2vec.json.
#include "common/repr/signal2vec/signal2vec_model.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/ecg/formats/npy.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

constexpr char kFormat[] = "ecgbench.signal2vec";
constexpr int kVersion = 1;

std::string Join(const std::string& dir, const char* name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

absl::Status FieldError(const std::string& what, const char* field, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": field '", field, "' ", reason));
}

absl::StatusOr<int64_t> GetInt(const nlohmann::json& json, const std::string& what, const char* field,
                               int64_t lo, int64_t hi, const char* expected) {
  auto it = json.find(field);
  if (it == json.end()) return FieldError(what, field, "is missing");
  if (!it->is_number_integer()) return FieldError(what, field, absl::StrCat("must be ", expected));
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) return FieldError(what, field, absl::StrCat("must be ", expected, ", got ", v));
  return v;
}

absl::StatusOr<std::vector<int64_t>> GetCounts(const nlohmann::json& json, const std::string& what,
                                               const char* field, int vocab_size) {
  auto it = json.find(field);
  if (it == json.end()) return FieldError(what, field, "is missing");
  if (!it->is_array()) return FieldError(what, field, "must be an array of counts");
  if (it->size() != static_cast<size_t>(vocab_size)) {
    return FieldError(what, field, absl::StrCat("has ", it->size(), " entries, expected vocab_size ", vocab_size));
  }
  std::vector<int64_t> counts;
  counts.reserve(vocab_size);
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& v = (*it)[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0) {
      return FieldError(what, field, absl::StrCat("entry ", i, " must be a non-negative integer"));
    }
    counts.push_back(v.get<int64_t>());
  }
  return counts;
}

}  // namespace

absl::Status ValidateSignal2VecModel(const Signal2VecModel& m, const std::string& what) {
  if (m.vocab_size < 1) return absl::InvalidArgumentError(absl::StrCat(what, ": vocab_size must be >= 1"));
  if (m.dim < 1) return absl::InvalidArgumentError(absl::StrCat(what, ": dim must be >= 1"));
  const size_t rows = static_cast<size_t>(m.vocab_size);
  if (m.embeddings.size() != rows * static_cast<size_t>(m.dim)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": embeddings have ", m.embeddings.size(),
                                                   " values, expected vocab_size ", m.vocab_size, " x dim ", m.dim));
  }
  if (m.freq.size() != rows || m.raw_counts.size() != rows) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": freq and raw_counts need vocab_size ", m.vocab_size,
                                                   " entries, have ", m.freq.size(), " and ", m.raw_counts.size()));
  }
  for (size_t i = 0; i < m.embeddings.size(); ++i) {
    if (!std::isfinite(m.embeddings[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": embedding of token ", i / m.dim, " has a non-finite value"));
    }
  }
  absl::Status options = ValidateSignal2VecOptions(m.options);
  if (!options.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", options.message()));
  if (m.options.dim != m.dim) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": options.dim ", m.options.dim, " differs from dim ", m.dim));
  }
  return absl::OkStatus();
}

absl::Status SaveSignal2VecModel(const Signal2VecModel& model, const std::string& dir) {
  ECGBENCH_RETURN_IF_ERROR(ValidateSignal2VecModel(model, absl::StrCat("signal2vec model for ", dir)));
  ECGBENCH_RETURN_IF_ERROR(MakeDirs(dir));
  ECGBENCH_RETURN_IF_ERROR(ecg::WriteNpy(Join(dir, kSignal2VecEmbeddingsFile),
                                         {model.vocab_size, model.dim}, model.embeddings.data()));
  nlohmann::json json = {{"format", kFormat},
                         {"version", kVersion},
                         {"vocab_size", model.vocab_size},
                         {"dim", model.dim},
                         {"final_loss", model.final_loss},
                         {"steps", model.steps},
                         {"pairs_per_epoch", model.pairs_per_epoch},
                         {"freq", model.freq},
                         {"raw_counts", model.raw_counts},
                         {"options", Signal2VecOptionsToJson(model.options)}};
  return WriteFileAtomic(Join(dir, kSignal2VecMetadataFile), json.dump(1) + "\n");
}

absl::StatusOr<Signal2VecModel> LoadSignal2VecModel(const std::string& dir) {
  const std::string json_path = Join(dir, kSignal2VecMetadataFile);
  const std::string npy_path = Join(dir, kSignal2VecEmbeddingsFile);
  ECGBENCH_ASSIGN_OR_RETURN(std::string text, ReadFile(json_path));
  ECGBENCH_ASSIGN_OR_RETURN(nlohmann::json json, ParseJson(text, json_path));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(json_path, ": expected a JSON object"));
  auto format = json.find("format");
  if (format == json.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    return FieldError(json_path, "format", absl::StrCat("must be \"", kFormat, "\""));
  }
  ECGBENCH_ASSIGN_OR_RETURN(int64_t version, GetInt(json, json_path, "version", 1, 1 << 30, "an integer"));
  if (version != kVersion) {
    return FieldError(json_path, "version", absl::StrCat("is ", version, "; this build reads version ", kVersion));
  }
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
  Signal2VecModel m;
  ECGBENCH_ASSIGN_OR_RETURN(int64_t vocab_size, GetInt(json, json_path, "vocab_size", 1, kIntMax, "a positive integer"));
  ECGBENCH_ASSIGN_OR_RETURN(int64_t dim, GetInt(json, json_path, "dim", 1, kIntMax, "a positive integer"));
  m.vocab_size = static_cast<int>(vocab_size);
  m.dim = static_cast<int>(dim);
  ECGBENCH_ASSIGN_OR_RETURN(m.steps, GetInt(json, json_path, "steps", 0, kInt64Max, "a non-negative integer"));
  ECGBENCH_ASSIGN_OR_RETURN(m.pairs_per_epoch,
                            GetInt(json, json_path, "pairs_per_epoch", 0, kInt64Max, "a non-negative integer"));
  auto loss = json.find("final_loss");
  if (loss == json.end() || !loss->is_number()) return FieldError(json_path, "final_loss", "must be a number");
  m.final_loss = loss->get<double>();
  ECGBENCH_ASSIGN_OR_RETURN(m.freq, GetCounts(json, json_path, "freq", m.vocab_size));
  ECGBENCH_ASSIGN_OR_RETURN(m.raw_counts, GetCounts(json, json_path, "raw_counts", m.vocab_size));
  auto options = json.find("options");
  if (options == json.end()) return FieldError(json_path, "options", "is missing");
  ECGBENCH_ASSIGN_OR_RETURN(m.options, Signal2VecOptionsFromJson(*options, json_path));

  ECGBENCH_ASSIGN_OR_RETURN(ecg::NpyArray array, ecg::ReadNpy(npy_path));
  if (array.dtype != ecg::NpyDtype::kFloat32) {
    return absl::InvalidArgumentError(absl::StrCat(npy_path, ": dtype ", ecg::NpyDescr(array.dtype),
                                                   " not supported (expected <f4)"));
  }
  if (array.shape.size() != 2 || array.shape[0] != m.vocab_size || array.shape[1] != m.dim) {
    std::string shape = "(";
    for (size_t i = 0; i < array.shape.size(); ++i) absl::StrAppend(&shape, i ? ", " : "", array.shape[i]);
    absl::StrAppend(&shape, array.shape.size() == 1 ? ",)" : ")");
    return absl::InvalidArgumentError(absl::StrCat(npy_path, ": shape ", shape, " does not match vocab_size ",
                                                   m.vocab_size, " x dim ", m.dim, " of ", json_path));
  }
  m.embeddings = std::move(array.data);
  ECGBENCH_RETURN_IF_ERROR(ValidateSignal2VecModel(m, dir));
  return m;
}

}  // namespace ecgbench::common::repr
