// Mapping of ECG-QA, ECG-Chat, PULSE and GEM instances onto base segments.
#include "common/ecg/dataset/mapped.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/files.h"
#include "common/util/json.h"

namespace ecgbench::common::ecg {

namespace {

constexpr size_t kMaxExamples = 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view LastComponent(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view FirstComponent(std::string_view path) {
  while (!path.empty() && (path.front() == '/' || path.substr(0, 2) == "./")) path.remove_prefix(1);
  return path.substr(0, path.find('/'));
}

// "40689238-0.png" -> "40689238"
std::string_view BeforeDash(std::string_view name) { return name.substr(0, name.find('-')); }

std::string LookupKey(const BaseRecordRef& r) { return absl::StrCat(r.source, "\x1f", r.key); }

}  // namespace

absl::StatusOr<MappedKind> ParseMappedDataset(std::string_view name) {
  // The experiment spec's spellings (docs/spec.md: data.mapped) map onto upstream's names.
  if (name == "ecg-qa-ptbxl") return MappedKind::kEcgQaPtbxl;
  if (name == "ecg-qa-mimic") return MappedKind::kEcgQaMimic;
  if (name.find('_') == std::string_view::npos && name.rfind("ecg-qa", 0) != 0) {
    std::string upstream(name);
    std::replace(upstream.begin(), upstream.end(), '-', '_');
    if (upstream != name) return ParseMappedDataset(upstream);
  }
  if (name == "ecg-qa_ptbxl") return MappedKind::kEcgQaPtbxl;
  if (name == "ecg-qa_mimic-iv-ecg") return MappedKind::kEcgQaMimic;
  if (name == "pretrain_mimic" || name == "ecg_instruct_45k") return MappedKind::kEcgChat;
  if (name == "ecg_instruct_pulse") return MappedKind::kEcgInstructPulse;
  if (name == "ecg_bench_pulse") return MappedKind::kEcgBenchPulse;
  if (name == "ecg_grounding" || name == "ecg_grounding_pulse" || name == "ecg_grounding_test") {
    return MappedKind::kEcgGrounding;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "mapped dataset \"", std::string(name),
      "\" is not one of ecg-qa_ptbxl, ecg-qa_mimic-iv-ecg, pretrain_mimic, ecg_instruct_45k, ecg_instruct_pulse, "
      "ecg_bench_pulse, ecg_grounding, ecg_grounding_pulse, ecg_grounding_test"));
}

std::string CanonicalSource(std::string_view source) {
  const std::string s = Lower(source);
  if (s == "ptb" || s == "ptb-xl" || s == "ptb_xl" || s == "ptbxl") return "ptbxl";
  if (s == "mimic" || s == "mimic-iv" || s == "mimic_iv" || s == "mimic-iv-ecg" || s == "mimic_v4") return "mimic";
  if (s == "code15" || s == "code-15" || s == "code15_v4") return "code15";
  return s;
}

std::string CanonicalRecordKey(std::string_view canonical_source, std::string_view record_id_or_path) {
  std::string_view k = LastComponent(record_id_or_path);
  for (std::string_view ext : {".hea", ".dat", ".mat", ".npy", ".png", ".jpg", ".json"}) {
    if (k.size() > ext.size() && k.substr(k.size() - ext.size()) == ext) {
      k.remove_suffix(ext.size());
      break;
    }
  }
  if (canonical_source == "ptbxl") {
    size_t n = 0;
    while (n < k.size() && std::isdigit(static_cast<unsigned char>(k[n]))) ++n;
    if (n > 0) k = k.substr(0, n);
  }
  const bool digits = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (digits) {
    while (k.size() > 1 && k.front() == '0') k.remove_prefix(1);
  }
  return std::string(k);
}

std::optional<BaseRecordRef> PulseImageToBase(std::string_view image_path) {
  const std::string first = Lower(FirstComponent(image_path));
  const std::string_view file = LastComponent(image_path);
  if (first == "mimic_v4" || first == "mimic") return BaseRecordRef{"mimic", CanonicalRecordKey("mimic", BeforeDash(file))};
  if (first == "ptb-xl" || first == "ptbxl") return BaseRecordRef{"ptbxl", CanonicalRecordKey("ptbxl", file)};
  if (first == "code15_v4" || first == "code15") return BaseRecordRef{"code15", CanonicalRecordKey("code15", BeforeDash(file))};
  if (first == "cpsc" || first == "csn") return BaseRecordRef{first, CanonicalRecordKey(first, BeforeDash(file))};
  return std::nullopt;
}

std::optional<BaseRecordRef> GemEcgPathToBase(std::string_view ecg_path) {
  const std::string first = Lower(FirstComponent(ecg_path));
  std::string source;
  if (first == "mimic-iv") source = "mimic";
  if (first == "ecg_ptbxl_benchmarking") source = "ptbxl";
  if (first == "code15") source = "code15";
  if (source.empty()) return std::nullopt;
  return BaseRecordRef{source, CanonicalRecordKey(source, ecg_path)};
}

std::optional<BaseRecordRef> EcgBenchPulseToBase(std::string_view config_name, std::string_view image_path) {
  const std::string_view file = BeforeDash(LastComponent(image_path));
  std::string source;
  if (config_name == "ecgqa-test" || config_name == "ptb-test" || config_name == "ptb-test-report") source = "ptbxl";
  if (config_name == "cpsc-test") source = "cpsc";
  if (config_name == "csn-test-no-cot") source = "csn";
  if (config_name == "code15-test") source = "code15";
  if (source.empty()) return PulseImageToBase(image_path);
  return BaseRecordRef{source, CanonicalRecordKey(source, file)};
}

void SegmentLookup::AddStore(const std::string& store_name, std::vector<SegmentMeta> metas) {
  const int store = static_cast<int>(names_.size());
  names_.push_back(store_name);
  metas_.push_back(std::move(metas));
  const std::vector<SegmentMeta>& ms = metas_.back();
  for (size_t i = 0; i < ms.size(); ++i) {
    const std::string source = CanonicalSource(ms[i].source);
    std::vector<Ref>& refs = by_record_[LookupKey(BaseRecordRef{source, CanonicalRecordKey(source, ms[i].record_id)})];
    refs.push_back(Ref{store, static_cast<int64_t>(i), ms[i].segment_index, &ms[i]});
    std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) {
      return a.segment_index != b.segment_index ? a.segment_index < b.segment_index : a.store < b.store;
    });
  }
}

const std::vector<SegmentLookup::Ref>* SegmentLookup::Find(const BaseRecordRef& ref) const {
  auto it = by_record_.find(LookupKey(ref));
  return it == by_record_.end() ? nullptr : &it->second;
}

nlohmann::json MapReport::ToJson() const {
  return nlohmann::json{{"dataset", dataset},   {"files", files},         {"instances", instances},
                        {"filtered", filtered}, {"malformed", malformed}, {"unmatched", unmatched},
                        {"matched", matched},   {"samples", samples},     {"examples", examples}};
}

namespace {

// One instance turned into a base record and messages, or a reason it was not.
struct Parsed {
  enum Outcome { kOk, kFiltered, kMalformed, kUnmatched } outcome = kOk;
  std::string reason;
  BaseRecordRef base;
  std::string question_type;
  std::vector<ChatMessage> messages;
  std::optional<std::vector<std::string>> answer;
};

Parsed Malformed(const std::string& field, const char* expected) {
  Parsed p;
  p.outcome = Parsed::kMalformed;
  p.reason = absl::StrCat("field \"", field, "\" missing or not ", expected);
  return p;
}

const nlohmann::json* Field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

const std::string* StringField(const nlohmann::json& j, const char* key) {
  const nlohmann::json* f = Field(j, key);
  return f != nullptr && f->is_string() ? f->get_ptr<const std::string*>() : nullptr;
}

bool ParseConversations(const nlohmann::json& j, bool strip_first_newlines, Parsed* p) {
  const nlohmann::json* conv = Field(j, "conversations");
  if (conv == nullptr || !conv->is_array() || conv->empty()) return false;
  for (const nlohmann::json& turn : *conv) {
    if (!turn.is_object()) return false;
    const std::string* from = StringField(turn, "from");
    const nlohmann::json* value = Field(turn, "value");
    if (from == nullptr || value == nullptr) return false;
    std::string text;
    if (value->is_string()) {
      text = value->get<std::string>();
    } else if (value->is_array()) {  // ECGBench ecgqa-test: list values joined without separator
      for (const nlohmann::json& part : *value) {
        if (!part.is_string()) return false;
        text += part.get<std::string>();
      }
    } else {
      return false;
    }
    if (strip_first_newlines && p->messages.empty()) text.erase(std::remove(text.begin(), text.end(), '\n'), text.end());
    p->messages.push_back(ChatMessage{NormalizeRole(*from), CleanText(text)});
  }
  return true;
}

Parsed ParseEcgQa(const nlohmann::json& j, bool ptbxl) {
  const std::string* qt = StringField(j, "question_type");
  if (qt == nullptr) return Malformed("question_type", "a string");
  if (*qt != "single-verify" && *qt != "single-choose" && *qt != "single-query") {
    Parsed p;
    p.outcome = Parsed::kFiltered;
    return p;
  }
  const std::string* question = StringField(j, "question");
  if (question == nullptr) return Malformed("question", "a string");
  const nlohmann::json* answer = Field(j, "answer");
  if (answer == nullptr || !answer->is_array()) return Malformed("answer", "an array of strings");
  Parsed p;
  p.question_type = *qt;
  p.answer.emplace();
  for (const nlohmann::json& a : *answer) {
    if (!a.is_string()) return Malformed("answer", "an array of strings");
    p.answer->push_back(a.get<std::string>());
  }
  const std::string source = ptbxl ? "ptbxl" : "mimic";
  const nlohmann::json* ids = Field(j, "ecg_id");
  const nlohmann::json* paths = Field(j, "ecg_path");
  const bool has_id = ids != nullptr && ids->is_array() && !ids->empty() && (*ids)[0].is_number_integer();
  const bool has_path = paths != nullptr && paths->is_array() && !paths->empty() && (*paths)[0].is_string();
  if (!has_id && !has_path) return Malformed("ecg_id/ecg_path", "a non-empty array");
  // PTB-XL: ecg_id is the record number; MIMIC: the path names the study file.
  if (has_id && (ptbxl || !has_path)) {
    p.base = BaseRecordRef{source, CanonicalRecordKey(source, std::to_string((*ids)[0].get<int64_t>()))};
  } else {
    p.base = BaseRecordRef{source, CanonicalRecordKey(source, (*paths)[0].get<std::string>())};
  }
  p.messages.push_back(ChatMessage{"user", CleanText(*question)});
  p.messages.push_back(ChatMessage{"assistant", absl::StrJoin(*p.answer, " ")});
  return p;
}

Parsed ParseInstance(MappedKind kind, std::string_view dataset, const nlohmann::json& j) {
  if (!j.is_object()) {
    Parsed p;
    p.outcome = Parsed::kMalformed;
    p.reason = "instance is not a JSON object";
    return p;
  }
  if (kind == MappedKind::kEcgQaPtbxl || kind == MappedKind::kEcgQaMimic) {
    return ParseEcgQa(j, kind == MappedKind::kEcgQaPtbxl);
  }
  Parsed p;
  std::optional<BaseRecordRef> base;
  std::string path;
  if (kind == MappedKind::kEcgChat) {
    const std::string* ecg = StringField(j, "ecg");
    if (ecg == nullptr) return Malformed("ecg", "a string");
    path = *ecg;
    base = BaseRecordRef{"mimic", CanonicalRecordKey("mimic", *ecg)};
  } else if (kind == MappedKind::kEcgInstructPulse) {
    const std::string* image = StringField(j, "image");
    if (image == nullptr) return Malformed("image", "a string");
    path = *image;
    base = PulseImageToBase(*image);
  } else if (kind == MappedKind::kEcgBenchPulse) {
    const std::string* image = StringField(j, "image_path");
    if (image == nullptr) image = StringField(j, "file_path");
    if (image == nullptr) image = StringField(j, "image");
    if (image == nullptr) return Malformed("image_path", "a string");
    const std::string* name = StringField(j, "name");
    path = *image;
    base = EcgBenchPulseToBase(name == nullptr ? "" : *name, *image);
  } else {
    const std::string* ecg = StringField(j, "ecg");
    if (ecg != nullptr) {
      base = GemEcgPathToBase(*ecg);
      path = *ecg;
    } else if (const std::string* image = StringField(j, "image"); image != nullptr) {
      base = PulseImageToBase(*image);
      path = *image;
    } else {
      return Malformed("ecg", "a string");
    }
  }
  if (!ParseConversations(j, dataset == "pretrain_mimic", &p)) {
    return Malformed("conversations", "an array of {\"from\": string, \"value\": string}");
  }
  if (!base.has_value()) {
    p.outcome = Parsed::kUnmatched;
    p.reason = absl::StrCat("path \"", path, "\" names no known base dataset");
    return p;
  }
  p.base = std::move(*base);
  return p;
}

}  // namespace

absl::StatusOr<MapReport> MapDataset(std::string_view dataset_name, const std::vector<std::string>& files,
                                     const SegmentLookup& lookup, const ConversationSink& sink) {
  absl::StatusOr<MappedKind> kind = ParseMappedDataset(dataset_name);
  if (!kind.ok()) return kind.status();
  MapReport report;
  report.dataset = std::string(dataset_name);
  Conversation c;
  c.dataset = report.dataset;
  auto note = [&report](const std::string& where, const std::string& reason) {
    if (report.examples.size() < kMaxExamples) report.examples.push_back(absl::StrCat(where, ": ", reason));
  };
  auto handle = [&](const nlohmann::json& instance, const std::string& where) -> absl::Status {
    const int64_t n = report.instances++;
    Parsed p = ParseInstance(*kind, dataset_name, instance);
    if (p.outcome == Parsed::kFiltered) {
      ++report.filtered;
      return absl::OkStatus();
    }
    if (p.outcome == Parsed::kMalformed) {
      ++report.malformed;
      note(where, p.reason);
      return absl::OkStatus();
    }
    const std::vector<SegmentLookup::Ref>* refs = p.outcome == Parsed::kOk ? lookup.Find(p.base) : nullptr;
    if (refs == nullptr) {
      ++report.unmatched;
      note(where, p.outcome == Parsed::kUnmatched ? p.reason
                                                  : absl::StrCat("no segments for ", p.base.source, " record ", p.base.key));
      return absl::OkStatus();
    }
    ++report.matched;
    c.question_type = p.question_type;
    c.messages = std::move(p.messages);
    c.answer = std::move(p.answer);
    for (const SegmentLookup::Ref& r : *refs) {
      c.id = absl::StrCat(report.dataset, "-", n, "-", r.segment_index);
      c.store = lookup.store_names()[static_cast<size_t>(r.store)];
      c.index = r.index;
      c.record_id = r.meta->record_id;
      c.segment_index = r.segment_index;
      c.source = p.base.source;
      if (absl::Status st = sink(c); !st.ok()) return st;
      ++report.samples;
    }
    return absl::OkStatus();
  };
  for (const std::string& file : files) {
    ++report.files;
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    const bool jsonl = file.size() >= 6 && file.compare(file.size() - 6, 6, ".jsonl") == 0;
    if (jsonl) {
      absl::Status st = ForEachJsonLine(*text, file, [&](const nlohmann::json& value, const std::string& where,
                                                         int64_t) { return handle(value, where); });
      if (!st.ok()) return st;
      continue;
    }
    absl::StatusOr<nlohmann::json> j = ParseJson(*text, file);
    if (!j.ok()) return j.status();
    if (!j->is_array()) return absl::InvalidArgumentError(absl::StrCat(file, ": expected a JSON array of instances"));
    for (size_t i = 0; i < j->size(); ++i) {
      if (absl::Status st = handle((*j)[i], absl::StrCat(file, ": instance ", i)); !st.ok()) return st;
    }
  }
  return report;
}

absl::StatusOr<std::vector<std::string>> ListJsonFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  std::vector<std::string> out;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string ext = it->path().extension().string();
    if (it->is_regular_file(ec) && (ext == ".json" || ext == ".jsonl")) out.push_back(it->path().string());
  }
  if (ec) return absl::InternalError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ecgbench::common::ecg
