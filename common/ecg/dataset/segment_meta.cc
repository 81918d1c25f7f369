// SegmentMeta <-> JSON.
#include "common/ecg/dataset/segment_meta.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::common::ecg {

bool SegmentMeta::operator==(const SegmentMeta& o) const {
  return record_id == o.record_id && patient_id == o.patient_id && segment_index == o.segment_index &&
         report == o.report && source == o.source && sampling_rate_hz == o.sampling_rate_hz && labels == o.labels;
}

nlohmann::json SegmentMetaToJson(const SegmentMeta& meta) {
  nlohmann::json j = nlohmann::json::object();
  j["record_id"] = meta.record_id;
  j["patient_id"] = meta.patient_id;
  j["segment_index"] = meta.segment_index;
  j["report"] = meta.report;
  j["source"] = meta.source;
  j["labels"] = meta.labels;
  return j;
}

namespace {
absl::Status FieldError(std::string_view where, const char* field, const char* expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(where), ": field \"", field, "\" missing or not ", expected));
}
}  // namespace

absl::StatusOr<SegmentMeta> SegmentMetaFromJson(const nlohmann::json& j, std::string_view where,
                                                double sampling_rate_hz) {
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": not a JSON object"));
  SegmentMeta m;
  m.sampling_rate_hz = sampling_rate_hz;
  struct StrField {
    const char* name;
    std::string* out;
  };
  for (const StrField& f : {StrField{"record_id", &m.record_id}, StrField{"patient_id", &m.patient_id},
                            StrField{"report", &m.report}, StrField{"source", &m.source}}) {
    auto it = j.find(f.name);
    if (it == j.end() || !it->is_string()) return FieldError(where, f.name, "a string");
    *f.out = it->get<std::string>();
  }
  auto it = j.find("segment_index");
  if (it == j.end() || !it->is_number_integer()) return FieldError(where, "segment_index", "an integer");
  m.segment_index = it->get<int64_t>();
  it = j.find("labels");
  if (it == j.end() || !it->is_object()) return FieldError(where, "labels", "an object");
  for (auto l = it->begin(); l != it->end(); ++l) {
    if (!l.value().is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(where), ": field \"labels.", l.key(), "\" is not a string"));
    }
    m.labels.emplace(l.key(), l.value().get<std::string>());
  }
  return m;
}

}  // namespace ecgbench::common::ecg
