// The representation section: how an ECG reaches the LLM (kind + encoder), with the kind/encoder
// compatibility rules of upstream's assert_data_model_match.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/spec/spec_parser.h"

namespace ecgbench::common {
namespace {

using Names = std::vector<std::string>;

// Function-local statics: no non-trivial globals (Google style).
const Names& Kinds() {
  static const auto* kNames = new Names{"signal", "stacked_signal", "image", "token", "features"};
  return *kNames;
}
const Names& Encoders() {
  static const auto* kNames = new Names{"projection", "st_mem", "mtae",   "mlae", "merl",
                                        "signal2vec", "clip",   "siglip", "vit",  "none"};
  return *kNames;
}
const Names& EcgEncoders() {
  static const auto* kNames = new Names{"projection", "st_mem", "mtae", "mlae", "merl"};
  return *kNames;
}
const Names& VisionEncoders() {
  static const auto* kNames = new Names{"clip", "siglip", "vit"};
  return *kNames;
}
const Names& TokenEncoders() {
  static const auto* kNames = new Names{"none", "signal2vec"};
  return *kNames;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Reads `encoder:` (a name or {name?, path?, pretrain?, preset?, text_encoder?}); returns false
// when invalid.
bool ParseEncoder(SectionReader& r, EncoderSpec* out) {
  const SpecNode& node = *r.Get("encoder");
  const std::string path = r.PathOf("encoder");
  if (node.IsScalar()) return ReadEnum(node, path, Encoders(), &out->name, r.diag());
  if (!node.IsMap()) {
    r.diag()->Error(EffectivePath(node, path), node.line,
                    absl::StrCat("expected one of ", absl::StrJoin(Encoders(), "|"),
                                 " or a mapping {name, path, pretrain}, got ", DescribeNode(node)));
    return false;
  }
  SectionReader enc(node, path, r.KeyLine("encoder"), r.diag());
  const size_t errors = r.diag()->size();
  out->name.clear();  // a mapping without a name is an HF vision model given by its path
  const bool has_name = enc.Enum("name", Encoders(), &out->name);
  const bool has_path = enc.String("path", &out->path);
  enc.Bool("pretrain", &out->pretrain);
  const bool has_preset = enc.Enum("preset", {"base", "tiny"}, &out->preset);
  const bool has_text = enc.String("text_encoder", &out->text_encoder);
  enc.Finish();
  if (r.diag()->size() != errors) return false;
  if (!has_name && !has_path) {
    r.diag()->Error(enc.PathOf("name"), enc.line(),
                    "required key missing (give name, path or both)");
    return false;
  }
  if (out->name == "none" && (has_path || out->pretrain)) {
    r.diag()->Error(enc.PathOf(has_path ? "path" : "pretrain"),
                    enc.KeyLine(has_path ? "path" : "pretrain"),
                    "encoder none takes no path and no pretraining");
    return false;
  }
  if (has_preset && !(out->name == "st_mem" || out->name == "mtae" || out->name == "mlae" || out->name == "merl")) {
    r.diag()->Error(enc.PathOf("preset"), enc.KeyLine("preset"),
                    "preset applies to the ECG encoders st_mem, mtae, mlae and merl");
    return false;
  }
  if (has_text && out->name != "merl") {
    r.diag()->Error(enc.PathOf("text_encoder"), enc.KeyLine("text_encoder"),
                    "text_encoder is the frozen report encoder of merl pretraining");
    return false;
  }
  if (out->pretrain && out->name == "projection") {
    r.diag()->Error(enc.PathOf("pretrain"), enc.KeyLine("pretrain"),
                    "encoder projection has no pretraining stage (it trains with the LLM)");
    return false;
  }
  return true;
}

std::string DescribeEncoder(const EncoderSpec& encoder) {
  if (!encoder.name.empty()) return absl::StrCat("\"", encoder.name, "\"");
  return absl::StrCat("{path: \"", encoder.path, "\"}");
}

// upstream's assert_data_model_match, plus `features` (projection only).
void CheckKindEncoder(SectionReader& r, const RepresentationSpec& rep) {
  const std::string& name = rep.encoder.name;
  std::string needs;
  if (rep.kind == "token" && !Contains(TokenEncoders(), name)) {
    needs = "none|signal2vec";
  } else if ((rep.kind == "image" || rep.kind == "stacked_signal") &&
             !(Contains(VisionEncoders(), name) || name.empty())) {
    needs = "a vision encoder: clip|siglip|vit or {path: ...}";
  } else if (rep.kind == "signal" && !Contains(EcgEncoders(), name)) {
    needs = "an ECG encoder: projection|st_mem|mtae|mlae|merl";
  } else if (rep.kind == "features" && name != "projection") {
    needs = "projection";
  }
  if (needs.empty()) return;
  const SpecNode& node = *r.Get("encoder");
  r.diag()->Error(EffectivePath(node, r.PathOf("encoder")), node.line,
                  absl::StrCat("representation.kind ", rep.kind, " needs ", needs, ", got ",
                               DescribeEncoder(rep.encoder)));
}

void ParseEcgByte(SectionReader& r, EcgByteSpec* out) {
  const SpecNode* node = r.Get("ecg_byte");
  if (node == nullptr) return;
  SectionReader ecg_byte(*node, r.PathOf("ecg_byte"), r.KeyLine("ecg_byte"), r.diag());
  ecg_byte.Int("merges", IntRange{1, 65278}, &out->merges);  // ids 256..65533 (16-bit trainer tokens)
  ecg_byte.Int64("samples", IntRange{1, 100000000}, &out->samples);
  ecg_byte.String("tokenizer", &out->tokenizer);
  ecg_byte.Finish();
}

void ParseSignal2Vec(SectionReader& r, Signal2VecSpec* out) {
  const SpecNode* node = r.Get("signal2vec");
  if (node == nullptr) return;
  SectionReader s2v(*node, r.PathOf("signal2vec"), r.KeyLine("signal2vec"), r.diag());
  s2v.Int("dim", IntRange{1, 4096}, &out->dim);
  s2v.Int("epochs", IntRange{1, 1000}, &out->epochs);
  s2v.Int("window", IntRange{1, 100}, &out->window);
  s2v.Int("negatives", IntRange{1, 100}, &out->negatives);
  s2v.Int("min_count", IntRange{1, 1000000000}, &out->min_count);
  s2v.Int64("max_pairs", IntRange{1, 1000000000000}, &out->max_pairs);
  s2v.Int("batch_size", IntRange{1, 1000000}, &out->batch_size);
  s2v.Number("lr", NumberRange{0, true, 10, false}, &out->lr);
  s2v.Finish();
}

void ParseImage(SectionReader& r, ImageSpec* out) {
  const SpecNode* node = r.Get("image");
  if (node == nullptr) return;
  SectionReader image(*node, r.PathOf("image"), r.KeyLine("image"), r.diag());
  image.Enum("layout", {"2x6", "4x3+rhythm"}, &out->layout);
  image.Bool("augment", &out->augment);
  image.Finish();
}

}  // namespace

void ParseRepresentation(SectionReader& r, RepresentationSpec* out) {
  const size_t errors_before = r.diag()->size();
  r.Enum("kind", Kinds(), &out->kind);
  const bool kind_ok = r.diag()->size() == errors_before;
  bool encoder_ok = false;
  if (r.Get("encoder") != nullptr) {
    encoder_ok = ParseEncoder(r, &out->encoder);
  } else if (out->kind == "signal" || out->kind == "features") {
    out->encoder.name = "projection";
  } else if (out->kind == "token") {
    out->encoder.name = "none";
  } else {
    r.diag()->Error(r.PathOf("encoder"), r.line(),
                    absl::StrCat("required key missing (representation.kind ", out->kind,
                                 " needs a vision encoder: clip|siglip|vit or {path: ...})"));
  }
  if (kind_ok && encoder_ok) CheckKindEncoder(r, *out);
  if (const SpecNode* tokens = r.Get("encoder_tokens"); tokens != nullptr) {
    int64_t value = 0;
    if (ReadInt(*tokens, r.PathOf("encoder_tokens"), IntRange{1, 1024}, &value, r.diag())) {
      out->encoder_tokens = static_cast<int>(value);
      if (value != 1 && out->encoder.name == "projection" && out->kind != "signal") {
        r.diag()->Error(EffectivePath(*tokens, r.PathOf("encoder_tokens")), tokens->line,
                        absl::StrCat("expected 1 for encoder projection on representation.kind ", out->kind,
                                     " (one projected embedding), got ", value));
      }
    }
  }
  r.Enum("normalization", {"minmax", "percentile", "zscore"}, &out->normalization);
  if (out->normalization == "zscore" && kind_ok && out->kind != "signal") {
    r.diag()->Error(r.PathOf("normalization"), r.KeyLine("normalization"),
                    absl::StrCat("zscore is for representation.kind signal only (", out->kind,
                                 " needs values in [0, 1]: minmax or percentile)"));
  }
  ParseEcgByte(r, &out->ecg_byte);
  ParseSignal2Vec(r, &out->signal2vec);
  r.Enum("perturb", {"none", "noise", "blackout", "no_signal"}, &out->perturb);
  ParseImage(r, &out->image);
  r.Finish();
}

}  // namespace ecgbench::common
