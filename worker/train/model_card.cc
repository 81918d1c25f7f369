// README.md model cards for ELM exports (see model_card.h).
#include "worker/train/model_card.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/spec/spec_json.h"

#ifndef ECGBENCH_VERSION
#define ECGBENCH_VERSION "dev"
#endif

namespace ecgbench::worker::train {
namespace {

// A YAML scalar: plain when it cannot be read as anything but that string, double-quoted otherwise.
std::string YamlScalar(const std::string& s) {
  static const std::set<std::string> kReserved = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"};
  bool plain = !s.empty() && kReserved.count(absl::AsciiStrToLower(s)) == 0 &&
               (absl::ascii_isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_');
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '_' && c != '-' && c != '.' && c != '/' && c != '+') plain = false;
  }
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += absl::StrFormat("\\x%02x", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Cell(const std::string& s) {
  return absl::StrReplaceAll(s, {{"|", "\\|"}, {"\r\n", " "}, {"\n", " "}, {"\r", " "}});
}

std::string Code(const std::string& s) { return absl::StrCat("`", s, "`"); }

std::string Number(double v) { return absl::StrFormat("%.4f", v); }

std::string ElmDescription(const std::string& kind) {
  if (kind == "llava") return "LLaVA-style: encoder -> linear projection -> embeddings at the `<signal>` placeholders";
  if (kind == "encoder_free") {
    return "encoder-free: the normalised signal, flattened, -> linear projection -> one embedding at `<signal>`";
  }
  if (kind == "ecg_byte") return "ECG-Byte: the ECG as BPE tokens inside the text (no encoder)";
  return kind.empty() ? "unknown" : kind;
}

std::string FineTuning(const ModelCard& card) {
  if (card.lora.has_value()) {
    const ModelCardLora& l = *card.lora;
    std::string text = absl::StrCat("LoRA (r ", l.rank, ", alpha ", absl::StrFormat("%g", l.alpha), ", dropout ",
                                    absl::StrFormat("%g", l.dropout), l.use_rslora ? ", rsLoRA" : "");
    if (!l.targets.empty()) absl::StrAppend(&text, ", targets ", absl::StrJoin(l.targets, ", "));
    return text + ")";
  }
  if (card.full_fine_tuning) return "full fine-tuning of the language model";
  return "language model frozen (only the projection / encoder trained)";
}

std::vector<std::string> Tags(const ModelCard& card) {
  std::vector<std::string> tags = {"ecg", "electrocardiogram", "ecg-bench", "elm"};
  if (!card.elm_kind.empty()) tags.push_back(absl::StrReplaceAll(card.elm_kind, {{"_", "-"}}));
  if (!card.representation.empty()) tags.push_back(absl::StrCat("representation-", card.representation));
  if (!card.encoder.empty()) tags.push_back(card.encoder);
  if (card.lora.has_value()) tags.push_back("lora");
  for (const std::string& d : card.datasets) tags.push_back(d);
  for (const std::string& t : card.extra_tags) tags.push_back(t);
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (std::string& t : tags) {
    if (!t.empty() && seen.insert(t).second) unique.push_back(std::move(t));
  }
  return unique;
}

std::string Fence(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

void AppendFrontMatter(const ModelCard& card, const std::string& base, std::string* out) {
  absl::StrAppend(out, "---\n");
  if (!base.empty()) absl::StrAppend(out, "base_model: ", YamlScalar(base), "\n");
  absl::StrAppend(out, "library_name: ", card.lora.has_value() ? "peft" : "transformers", "\n");
  if (!card.base_model_license.empty()) absl::StrAppend(out, "license: ", YamlScalar(card.base_model_license), "\n");
  absl::StrAppend(out, "pipeline_tag: text-generation\ntags:\n");
  for (const std::string& tag : Tags(card)) absl::StrAppend(out, "- ", YamlScalar(tag), "\n");
  absl::StrAppend(out, "---\n\n");
}

void AppendModel(const ModelCard& card, const std::string& base, std::string* out) {
  absl::StrAppend(out, "## Model\n\n| | |\n|---|---|\n");
  std::string base_cell = base.empty() ? "unknown" : Code(base);
  if (!card.base_model_path.empty() && card.base_model_path != base) {
    absl::StrAppend(&base_cell, " (from ", Code(card.base_model_path), ")");
  }
  absl::StrAppend(out, "| Base model | ", Cell(base_cell), " |\n");
  absl::StrAppend(out, "| ELM | ", Cell(ElmDescription(card.elm_kind)), " |\n");
  absl::StrAppend(out, "| Representation | ", Cell(card.representation.empty() ? "unknown" : card.representation),
                  " |\n");
  std::string encoder = card.encoder.empty() ? "none" : card.encoder;
  if (!card.encoder_path.empty()) absl::StrAppend(&encoder, " (", Code(card.encoder_path), ")");
  absl::StrAppend(out, "| Encoder | ", Cell(encoder), " |\n");
  if (card.elm_kind == "llava" && card.encoder_tokens > 0) {
    absl::StrAppend(out, "| ECG embeddings per sample | ", card.encoder_tokens, " |\n");
  }
  if (card.added_tokens > 0) absl::StrAppend(out, "| Added vocabulary | ", card.added_tokens, " tokens |\n");
  absl::StrAppend(out, "| Fine-tuning | ", Cell(FineTuning(card)), " |\n\n");
}

void AppendFiles(const ModelCard& card, std::string* out) {
  if (card.files.empty()) return;
  absl::StrAppend(out, "## Files\n\n");
  for (const auto& [path, what] : card.files) absl::StrAppend(out, "- ", Code(path), ": ", what, "\n");
  absl::StrAppend(out, "\n");
  absl::StrAppend(out,
                  "ECG-Bench rebuilds the ELM from this folder and the base model (`LoadExportedElm`, "
                  "docs/export.md).");
  if (card.merged) {
    absl::StrAppend(out, " `merged/` is a complete Hugging Face model folder (AutoModelForCausalLM); ",
                    card.elm_kind == "ecg_byte" ? "it reads text that already holds the ECG-Byte tokens."
                                                : "the ECG projection lives in `elm.safetensors`.");
  }
  if (card.lora.has_value()) {
    absl::StrAppend(out, " `adapter/` is a PEFT LoRA adapter (PeftModel.from_pretrained) for the base model");
    absl::StrAppend(out, card.added_tokens > 0 ? " once its vocabulary is grown to `tokenizer.json`'s with the rows "
                                                 "`llm.added_rows.*` of `elm.safetensors`."
                                               : ".");
  }
  absl::StrAppend(out, "\n\n");
}

void AppendData(const ModelCard& card, std::string* out) {
  absl::StrAppend(out, "## Training data\n\n");
  if (card.datasets.empty() && card.fold.empty()) {
    absl::StrAppend(out, "Not recorded with this export.\n\n");
    return;
  }
  if (!card.datasets.empty()) absl::StrAppend(out, "- Data sets: ", absl::StrJoin(card.datasets, ", "), "\n");
  if (!card.fold.empty()) absl::StrAppend(out, "- Held-out split: ", card.fold, "\n");
  absl::StrAppend(out, "\n");
}

void AppendTraining(const ModelCardTraining& t, std::string* out) {
  absl::StrAppend(out, "## Training\n\n");
  if (t.steps == 0 && !t.final_train_loss && !t.best_val_loss) {
    absl::StrAppend(out, "No training summary was recorded.\n\n");
    return;
  }
  if (t.steps > 0) {
    absl::StrAppend(out, "- Steps: ", t.steps, t.epochs > 0 ? absl::StrCat(" (", t.epochs, " epochs)") : "", "\n");
  }
  if (t.final_train_loss) absl::StrAppend(out, "- Final training loss: ", Number(*t.final_train_loss), "\n");
  if (t.best_val_loss) {
    absl::StrAppend(out, "- Best validation loss: ", Number(*t.best_val_loss),
                    t.best_step ? absl::StrCat(" (step ", *t.best_step, ")") : "", "\n");
  }
  if (!t.stopped_because.empty()) absl::StrAppend(out, "- Stopped by: ", t.stopped_because, "\n");
  absl::StrAppend(out, "\n");
}

void AppendMetrics(const std::vector<ModelCardMetric>& metrics, std::string* out) {
  absl::StrAppend(out, "## Evaluation\n\n");
  if (metrics.empty()) {
    absl::StrAppend(out, "No evaluation metrics were recorded with this export.\n\n");
    return;
  }
  absl::StrAppend(out, "| Metric | Ablation | Value | 95% CI |\n|---|---|---|---|\n");
  for (const ModelCardMetric& m : metrics) {
    const std::string ci =
        m.ci_low && m.ci_high ? absl::StrCat("[", Number(*m.ci_low), ", ", Number(*m.ci_high), "]") : "";
    absl::StrAppend(out, "| ", Cell(m.name), " | ", Cell(m.ablation), " | ", Number(m.value), " | ", ci, " |\n");
  }
  absl::StrAppend(out, "\n");
}

}  // namespace

std::string DefaultSoftwareVersion() { return absl::StrCat("ecgbench ", ECGBENCH_VERSION); }

void FillModelCardFromSpec(const common::ExperimentSpec& spec, const std::string& spec_text, ModelCard* card) {
  card->name = spec.name;
  card->description = spec.description;
  const common::RepresentationSpec& r = spec.representation;
  card->representation = r.kind;
  card->encoder = r.encoder.name == "none" ? "" : r.encoder.name;
  card->encoder_path = r.encoder.path;
  card->encoder_tokens = r.encoder_tokens;
  if (r.kind == "token") {
    card->elm_kind = "ecg_byte";
  } else {
    card->elm_kind = r.encoder.name == "projection" ? "encoder_free" : "llava";
  }
  card->base_model_path = spec.model.llm.path;
  const common::LoraSpec& lora = spec.model.lora;
  if (lora.enabled) {
    card->lora = ModelCardLora{lora.rank, lora.alpha, lora.dropout, lora.targets, false};
    card->full_fine_tuning = false;
  } else {
    card->lora.reset();
    card->full_fine_tuning = true;
  }
  if (spec.data.has_value()) {
    const common::DataSpec& d = *spec.data;
    card->datasets.clear();
    card->datasets.push_back(d.base);
    for (const std::string& m : d.mapped) card->datasets.push_back(m);
    card->fold = absl::StrCat("fold ", d.fold, " of ", d.folds.k, " held out (seed ", d.folds.seed, ", grouped by ",
                              d.folds.group_by, ")");
    if (d.subset < 1) absl::StrAppend(&card->fold, ", subset ", absl::StrFormat("%g", d.subset));
  }
  if (spec_text.empty()) {
    card->spec_text = common::ToJson(spec).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    card->spec_language = "json";
  } else {
    card->spec_text = spec_text;
    card->spec_language = "yaml";
  }
}

std::string RenderModelCard(const ModelCard& card) {
  const std::string base = card.base_model.empty() ? card.base_model_path : card.base_model;
  std::string out;
  AppendFrontMatter(card, base, &out);
  std::string title = card.title;
  if (title.empty()) title = card.name.empty() ? "ECG-Bench ELM" : absl::StrCat(card.name, " (ECG-Bench ELM)");
  absl::StrAppend(&out, "# ", title, "\n\n");
  absl::StrAppend(&out, card.description.empty() ? "" : absl::StrCat(card.description, "\n\n"),
                  "An electrocardiogram-language model (ELM) trained with ECG-Bench: it answers questions about an "
                  "ECG given together with the text.\n\n");
  AppendModel(card, base, &out);
  AppendFiles(card, &out);
  AppendData(card, &out);
  AppendTraining(card.training, &out);
  AppendMetrics(card.metrics, &out);

  absl::StrAppend(&out, "## Experiment spec\n\n");
  if (card.spec_text.empty()) {
    absl::StrAppend(&out, "The spec was not recorded with this export.\n\n");
  } else {
    const std::string fence = Fence(card.spec_text);
    absl::StrAppend(&out, fence, card.spec_language, "\n", card.spec_text, card.spec_text.back() == '\n' ? "" : "\n",
                    fence, "\n\n");
  }

  absl::StrAppend(&out, "## License\n\n");
  if (card.base_model_license.empty()) {
    absl::StrAppend(&out, "The license of the base model ", base.empty() ? "" : absl::StrCat(Code(base), " "),
                    "is unknown to ECG-Bench: these weights derive from it, so check its own terms before using or "
                    "sharing them.");
  } else {
    absl::StrAppend(&out, "These weights derive from ", base.empty() ? "the base model" : Code(base),
                    " and are subject to its license (", Code(card.base_model_license), ").");
  }
  absl::StrAppend(&out, " The training data sets come with their own licenses and terms of use.\n\n");

  absl::StrAppend(&out, "## Software\n\nExported by ",
                  card.software_version.empty() ? DefaultSoftwareVersion() : card.software_version, ".\n");
  return out;
}

}  // namespace ecgbench::worker::train
