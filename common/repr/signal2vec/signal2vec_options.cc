// Validation and JSON (de)serialisation of Signal2VecOptions.
#include "common/repr/signal2vec/signal2vec_options.h"

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ecgbench::common::repr {
namespace {

absl::Status Bad(const std::string& field, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat("signal2vec options: ", field, " ", reason));
}

bool IsDevice(const std::string& device) {
  if (device == "cpu" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5 || device.size() > 8) return false;
  for (size_t i = 5; i < device.size(); ++i) {
    if (device[i] < '0' || device[i] > '9') return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateSignal2VecOptions(const Signal2VecOptions& o) {
  if (o.min_count < 0) return Bad("min_count", absl::StrCat("must be >= 0, got ", o.min_count));
  if (!(o.subsample_t >= 0.0) || !std::isfinite(o.subsample_t)) {
    return Bad("subsample_t", absl::StrFormat("must be finite and >= 0, got %g", o.subsample_t));
  }
  if (o.window < 1) return Bad("window", absl::StrCat("must be >= 1, got ", o.window));
  if (o.negatives < 1) return Bad("negatives", absl::StrCat("must be >= 1, got ", o.negatives));
  if (!(o.neg_alpha >= 0.0) || !std::isfinite(o.neg_alpha)) {
    return Bad("neg_alpha", absl::StrFormat("must be finite and >= 0, got %g", o.neg_alpha));
  }
  if (o.max_pairs_per_epoch < 1) {
    return Bad("max_pairs_per_epoch", absl::StrCat("must be >= 1, got ", o.max_pairs_per_epoch));
  }
  if (o.dim < 1) return Bad("dim", absl::StrCat("must be >= 1, got ", o.dim));
  if (o.epochs < 1) return Bad("epochs", absl::StrCat("must be >= 1, got ", o.epochs));
  if (o.batch_size < 1) return Bad("batch_size", absl::StrCat("must be >= 1, got ", o.batch_size));
  if (!(o.lr > 0.0) || !std::isfinite(o.lr)) return Bad("lr", absl::StrFormat("must be finite and > 0, got %g", o.lr));
  if (!(o.weight_decay >= 0.0) || !std::isfinite(o.weight_decay)) {
    return Bad("weight_decay", absl::StrFormat("must be finite and >= 0, got %g", o.weight_decay));
  }
  if (!(o.grad_clip >= 0.0) || !std::isfinite(o.grad_clip)) {
    return Bad("grad_clip", absl::StrFormat("must be finite and >= 0, got %g", o.grad_clip));
  }
  if (o.renorm_every < 0) return Bad("renorm_every", absl::StrCat("must be >= 0, got ", o.renorm_every));
  if (o.threads < 1) return Bad("threads", absl::StrCat("must be >= 1, got ", o.threads));
  if (!IsDevice(o.device)) {
    return Bad("device", absl::StrCat("must be \"cpu\", \"cuda\" or \"cuda:N\", got \"", o.device, "\""));
  }
  return absl::OkStatus();
}

nlohmann::json Signal2VecOptionsToJson(const Signal2VecOptions& o) {
  return nlohmann::json{{"min_count", o.min_count},
                        {"subsample_t", o.subsample_t},
                        {"window", o.window},
                        {"negatives", o.negatives},
                        {"neg_alpha", o.neg_alpha},
                        {"max_pairs_per_epoch", o.max_pairs_per_epoch},
                        {"seed", o.seed},
                        {"dim", o.dim},
                        {"epochs", o.epochs},
                        {"batch_size", o.batch_size},
                        {"lr", o.lr},
                        {"weight_decay", o.weight_decay},
                        {"grad_clip", o.grad_clip},
                        {"renorm_every", o.renorm_every},
                        {"mean_over_negatives", o.mean_over_negatives},
                        {"threads", o.threads},
                        {"device", o.device}};
}

absl::StatusOr<Signal2VecOptions> Signal2VecOptionsFromJson(const nlohmann::json& json,
                                                           const std::string& what) {
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, ": options: expected an object"));
  Signal2VecOptions o;
  using Setter = std::function<absl::Status(const nlohmann::json&, const std::string&)>;
  auto err = [&](const std::string& field, const char* expected) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": options.", field, ": expected ", expected));
  };
  auto integer = [&](auto* out, int64_t lo, int64_t hi) -> Setter {
    return [=](const nlohmann::json& v, const std::string& field) -> absl::Status {
      if (!v.is_number_integer()) return err(field, "an integer");
      const int64_t x = v.get<int64_t>();
      if (x < lo || x > hi) return err(field, "an integer in range");
      *out = static_cast<std::remove_pointer_t<decltype(out)>>(x);
      return absl::OkStatus();
    };
  };
  auto number = [&](double* out) -> Setter {
    return [=](const nlohmann::json& v, const std::string& field) -> absl::Status {
      if (!v.is_number()) return err(field, "a number");
      *out = v.get<double>();
      return absl::OkStatus();
    };
  };
  constexpr int64_t kIntMax = 2147483647;
  const std::map<std::string, Setter> setters = {
      {"min_count", integer(&o.min_count, 0, std::numeric_limits<int64_t>::max())},
      {"subsample_t", number(&o.subsample_t)},
      {"window", integer(&o.window, 1, kIntMax)},
      {"negatives", integer(&o.negatives, 1, kIntMax)},
      {"neg_alpha", number(&o.neg_alpha)},
      {"max_pairs_per_epoch", integer(&o.max_pairs_per_epoch, 1, std::numeric_limits<int64_t>::max())},
      {"seed",
       [&](const nlohmann::json& v, const std::string& field) -> absl::Status {
         if (!v.is_number_unsigned()) return err(field, "a non-negative integer");
         o.seed = v.get<uint64_t>();
         return absl::OkStatus();
       }},
      {"dim", integer(&o.dim, 1, kIntMax)},
      {"epochs", integer(&o.epochs, 1, kIntMax)},
      {"batch_size", integer(&o.batch_size, 1, kIntMax)},
      {"lr", number(&o.lr)},
      {"weight_decay", number(&o.weight_decay)},
      {"grad_clip", number(&o.grad_clip)},
      {"renorm_every", integer(&o.renorm_every, 0, kIntMax)},
      {"mean_over_negatives",
       [&](const nlohmann::json& v, const std::string& field) -> absl::Status {
         if (!v.is_boolean()) return err(field, "a boolean");
         o.mean_over_negatives = v.get<bool>();
         return absl::OkStatus();
       }},
      {"threads", integer(&o.threads, 1, kIntMax)},
      {"device",
       [&](const nlohmann::json& v, const std::string& field) -> absl::Status {
         if (!v.is_string()) return err(field, "a string");
         o.device = v.get<std::string>();
         return absl::OkStatus();
       }},
  };
  for (const auto& [key, value] : json.items()) {
    auto it = setters.find(key);
    if (it == setters.end()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": options: unknown field '", key, "'"));
    }
    absl::Status status = it->second(value, key);
    if (!status.ok()) return status;
  }
  absl::Status valid = ValidateSignal2VecOptions(o);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", valid.message()));
  return o;
}

}  // namespace ecgbench::common::repr
