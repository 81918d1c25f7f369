// Hints from an export's model card (see export_hints.h).
#include "worker/chat/export_hints.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "common/spec/spec.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker::chat {
namespace {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(begin));
      break;
    }
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// The fenced block after "## Experiment spec": (language, text), empty when there is none.
std::pair<std::string, std::string> SpecBlock(std::string_view card) {
  constexpr std::string_view kHeading = "## Experiment spec\n";
  size_t section = card.substr(0, kHeading.size()) == kHeading ? 0 : card.find("\n## Experiment spec\n");
  if (section == std::string_view::npos) return {};
  if (section > 0) ++section;
  const std::string_view rest = card.substr(section);
  const std::vector<std::string_view> lines = SplitLines(rest);
  size_t open = 1;
  while (open < lines.size() && lines[open].empty()) ++open;
  if (open >= lines.size() || lines[open].substr(0, 3) != "```") return {};
  const std::string_view header = lines[open];
  const size_t ticks = header.find_first_not_of('`');
  const std::string_view fence = header.substr(0, ticks == std::string_view::npos ? header.size() : ticks);
  std::string language(header.substr(fence.size()));
  std::string text;
  for (size_t i = open + 1; i < lines.size(); ++i) {
    if (lines[i] == fence) return {std::move(language), std::move(text)};
    text.append(lines[i].data(), lines[i].size());
    text.push_back('\n');
  }
  return {};  // unterminated
}

template <typename T>
void ReadNumber(const nlohmann::json& section, const char* key, T* out) {
  if (section.is_object() && section.contains(key) && section[key].is_number()) *out = section[key].get<T>();
}

ExportHints FromJson(const std::string& text) {
  ExportHints hints;
  const nlohmann::json spec = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return hints;
  const nlohmann::json none = nlohmann::json::object();
  const nlohmann::json& data = spec.contains("data") ? spec["data"] : none;
  const nlohmann::json& train = spec.contains("train") ? spec["train"] : none;
  ReadNumber(data, "segment_len", &hints.segment_len);
  ReadNumber(data, "target_rate", &hints.target_rate_hz);
  ReadNumber(train, "max_tokens", &hints.max_tokens);
  ReadNumber(train, "min_ecg_tokens", &hints.min_ecg_tokens);
  if (spec.contains("model") && spec["model"].is_object() && spec["model"].contains("llm") &&
      spec["model"]["llm"].is_object()) {
    const nlohmann::json& llm = spec["model"]["llm"];
    if (llm.contains("template") && llm["template"].is_string()) {
      hints.chat_template = llm["template"].get<std::string>();
    }
  }
  if (hints.chat_template == "auto") hints.chat_template.clear();
  return hints;
}

ExportHints FromYaml(const std::string& text) {
  ExportHints hints;
  absl::StatusOr<common::ExperimentSpec> spec = common::ParseSpec(text, "README.md");
  if (!spec.ok()) return hints;
  if (spec->data.has_value()) {
    hints.segment_len = spec->data->segment_len;
    hints.target_rate_hz = spec->data->target_rate;
  }
  if (spec->train.has_value()) {
    hints.max_tokens = spec->train->max_tokens;
    hints.min_ecg_tokens = spec->train->min_ecg_tokens;
  }
  if (spec->model.llm.chat_template != "auto") hints.chat_template = spec->model.llm.chat_template;
  return hints;
}

}  // namespace

ExportHints ParseExportHints(std::string_view model_card) {
  const auto [language, text] = SpecBlock(model_card);
  if (language == "json") return FromJson(text);
  if (language == "yaml" || language == "yml") return FromYaml(text);
  return {};
}

ExportHints ReadExportHints(const std::string& export_dir) {
  absl::StatusOr<std::string> card = common::ReadFile((std::filesystem::path(export_dir) / "README.md").string());
  if (!card.ok()) return {};
  return ParseExportHints(*card);
}

}  // namespace ecgbench::worker::chat
