// Writing an ELM export (see export.h); reading it back is export_load.cc.
#include "worker/train/export.h"

#include <fcntl.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/checkpoint.h"
#include "common/model_io/model_config.h"
#include "common/model_io/peft_adapter.h"
#include "common/model_io/safetensors_writer.h"
#include "common/text/tokenizer.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "worker/train/export_internal.h"

namespace ecgbench::worker::train {
namespace {

namespace fs = std::filesystem;
using common::model_io::DType;
using common::model_io::SafetensorsWriter;

// Files copied from the base folder into merged/ when present (tokenizer.json is handled apart).
constexpr const char* kBaseSideFiles[] = {"tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
                                          "vocab.json", "merges.txt"};

absl::Status AddTensor(SafetensorsWriter& writer, const std::string& name, const torch::Tensor& tensor) {
  const torch::Tensor values = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return writer.AddFloat32(name, values.sizes().vec(),
                           absl::Span<const float>(values.data_ptr<float>(), static_cast<size_t>(values.numel())));
}

absl::Status CopyFile(const std::string& from, const std::string& to) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string content, common::ReadFile(from));
  return common::WriteFileAtomic(to, content);
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return absl::InternalError(absl::StrCat(dir, ": cannot open to fsync"));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : absl::InternalError(absl::StrCat(dir, ": fsync failed"));
}

// Puts the adapted weights' original bits back when it goes, also when saving throws.
class WeightRestorer {
 public:
  WeightRestorer() = default;
  WeightRestorer(const WeightRestorer&) = delete;
  WeightRestorer& operator=(const WeightRestorer&) = delete;
  ~WeightRestorer() {
    torch::NoGradGuard no_grad;
    for (auto& [weight, original] : originals_) weight.copy_(original);
  }
  void Keep(const torch::Tensor& weight) { originals_.emplace_back(weight, weight.clone()); }

 private:
  std::vector<std::pair<torch::Tensor, torch::Tensor>> originals_;
};

// The LLM's weights with the LoRA delta added for the write, then the exact original bits back.
absl::Status SaveMergedLlm(nn::LanguageModel& llm, const nn::LoraAdapter* adapter, const std::string& dir,
                           DType dtype) {
  WeightRestorer restorer;
  if (adapter != nullptr && !adapter->is_empty() && !(*adapter)->merged()) {
    nn::LoraAdapter holder = *adapter;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < holder->size(); ++i) {
      const nn::LoraLinearImpl& lora = *holder->lora(i);
      torch::Tensor weight = lora.base_weight();
      restorer.Keep(weight);
      weight.add_(lora.DeltaWeight().to(weight.device(), weight.scalar_type()));
    }
  }
  return llm.Save(dir, dtype);
}

struct Writer {
  Writer(const ExportRequest& r, std::string dir) : request(r), temp(std::move(dir)) {}

  const ExportRequest& request;
  std::string temp;  // the directory being written
  ElmExportConfig config;
  std::vector<std::pair<std::string, std::string>> described;  // (file, what) for the card

  std::string Path(const std::string& relative) const { return (fs::path(temp) / relative).string(); }
  void Add(const std::string& relative, std::string what) { described.emplace_back(relative, std::move(what)); }
};

absl::Status WriteElmWeights(nn::Elm& elm, const common::model_io::ModelConfig& base, bool llm_trained, Writer& w) {
  SafetensorsWriter writer;
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("format", "pt"));
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("elm.kind", w.config.elm_kind));
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("elm.placeholder_id", std::to_string(w.config.placeholder_id)));
  std::vector<std::string> parts;
  if (elm.projection()) {
    ECGBENCH_RETURN_IF_ERROR(AddTensor(writer, "projection.weight", elm.projection()->weight));
    ECGBENCH_RETURN_IF_ERROR(AddTensor(writer, "projection.bias", elm.projection()->bias));
    parts.push_back("projection");
  }
  if (elm.signal2vec_table().defined()) {
    ECGBENCH_RETURN_IF_ERROR(AddTensor(writer, kSignal2VecTableName, elm.signal2vec_table()));
    parts.push_back("Signal2Vec table");
  }
  if (w.config.encoder.has_value()) {
    const ExportedEncoder& e = *w.config.encoder;
    ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("encoder.kind", e.kind));
    for (const auto& [key, value] : e.config) {
      ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata(absl::StrCat("encoder.config.", key), value));
    }
    if (e.save_weights) {
      for (const auto& [name, tensor] : EncoderTensors(*elm.encoder())) {
        ECGBENCH_RETURN_IF_ERROR(AddTensor(writer, name, tensor));
      }
      parts.push_back("encoder weights");
    }
  }
  // The added tokens' rows: the base weights alone cannot rebuild them (they were drawn at random).
  const int64_t rows = elm.llm().token_embeddings()->weight.size(0);
  if (!llm_trained && rows > base.vocab_size) {
    w.config.added_rows_first = base.vocab_size;
    w.config.added_rows_count = rows - base.vocab_size;
    for (const auto& [name, weight] : VocabularyWeights(elm.llm())) {
      const std::string key = absl::StrCat(kAddedRowsPrefix, name);
      ECGBENCH_RETURN_IF_ERROR(AddTensor(writer, key, weight.narrow(0, base.vocab_size, rows - base.vocab_size)));
      w.config.added_row_tensors.push_back(key);
    }
    parts.push_back("added vocabulary rows");
  }
  ECGBENCH_RETURN_IF_ERROR(writer.Write(w.Path(kElmWeightsName)));
  w.Add(kElmWeightsName, parts.empty() ? "ELM metadata (no tensors)" : absl::StrJoin(parts, ", "));
  return absl::OkStatus();
}

// tokenizer.json with the added tokens, checked by loading it back.
absl::Status WriteTokenizer(const std::string& base_tokenizer, Writer& w) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string base_text, common::ReadFile(base_tokenizer));
  ECGBENCH_ASSIGN_OR_RETURN(const std::string grown,
                            TokenizerJsonWithAddedTokens(base_text, base_tokenizer, w.request.added_tokens));
  const std::string path = w.Path(kExportTokenizerName);
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(path, grown));
  ECGBENCH_ASSIGN_OR_RETURN(const std::unique_ptr<common::text::Tokenizer> tokenizer,
                            common::text::LoadTokenizer(path));
  for (const ExportedToken& t : w.request.added_tokens) {
    const std::optional<int32_t> id = tokenizer->TokenToId(t.content);
    if (!id || *id != t.id) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": added token \"", t.content, "\" reads back as id ",
                                                     id ? std::to_string(*id) : "none", ", expected ", t.id));
    }
  }
  w.config.tokenizer_file = kExportTokenizerName;
  w.Add(kExportTokenizerName, "the base tokenizer with the added tokens");
  return absl::OkStatus();
}

absl::Status WriteMerged(nn::Elm& elm, const nn::LoraAdapter* adapter, const std::string& base_tokenizer, Writer& w) {
  const std::string dir = w.Path(kExportMergedDir);
  ECGBENCH_RETURN_IF_ERROR(SaveMergedLlm(elm.llm(), adapter, dir, w.request.merged_dtype));
  std::vector<std::string> files = {"config.json", common::model_io::kSafetensorsSingleName};
  const std::string tokenizer_source = w.config.tokenizer_file.empty() ? base_tokenizer : w.Path(kExportTokenizerName);
  if (common::FileExists(tokenizer_source)) {
    ECGBENCH_RETURN_IF_ERROR(CopyFile(tokenizer_source, (fs::path(dir) / kExportTokenizerName).string()));
    files.push_back(kExportTokenizerName);
  }
  for (const char* name : kBaseSideFiles) {
    const std::string source = (fs::path(w.request.base_model_dir) / name).string();
    if (!common::FileExists(source)) continue;
    ECGBENCH_RETURN_IF_ERROR(CopyFile(source, (fs::path(dir) / name).string()));
    files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) w.config.files.push_back(absl::StrCat(kExportMergedDir, "/", f));
  w.config.merged_dir = kExportMergedDir;
  w.Add(absl::StrCat(kExportMergedDir, "/"),
        adapter != nullptr && !adapter->is_empty()
            ? "the language model with the LoRA adapter merged in (Hugging Face folder)"
            : "the trained language model (Hugging Face folder)");
  return absl::OkStatus();
}

absl::Status CheckRelativeName(const std::string& name) {
  const fs::path p(name);
  bool ok = !name.empty() && p.is_relative();
  for (const fs::path& part : p) ok = ok && part != ".." && part != ".";
  static const char* kReserved[] = {kElmConfigName, kElmWeightsName,   kExportTokenizerName,
                                    kModelCardName, kExportAdapterDir, kExportMergedDir};
  for (const char* reserved : kReserved) ok = ok && *p.begin() != reserved;
  if (!ok)
    return absl::InvalidArgumentError(absl::StrCat("export: extra file name \"", name,
                                                   "\" must be a relative "
                                                   "path inside the export that no export file uses"));
  return absl::OkStatus();
}

void FillCard(nn::Elm& elm, const nn::LoraAdapter* adapter, bool llm_trained, Writer& w, ModelCard* card) {
  card->elm_kind = w.config.elm_kind;
  if (card->base_model.empty()) card->base_model = w.request.base_model_name;
  if (card->base_model_path.empty()) card->base_model_path = w.request.base_model_dir;
  card->lora.reset();
  if (adapter != nullptr && !adapter->is_empty()) {
    const common::model_io::LoraAdapterConfig& c = (*adapter)->config();
    ModelCardLora lora{c.r, c.lora_alpha, c.lora_dropout, {}, c.use_rslora};
    if (c.target_modules) lora.targets = *c.target_modules;
    if (c.target_modules_regex) lora.targets = {*c.target_modules_regex};
    card->lora = lora;
  }
  card->full_fine_tuning = llm_trained;
  card->added_tokens = static_cast<int64_t>(w.config.added_tokens.size());
  const nlohmann::json& representation = w.config.representation;
  if (card->representation.empty() && representation.contains("kind") && representation["kind"].is_string()) {
    card->representation = representation["kind"].get<std::string>();
  }
  card->merged = !w.config.merged_dir.empty();
  if (w.config.encoder.has_value()) {
    if (card->encoder.empty()) card->encoder = w.config.encoder->kind;
    if (card->encoder_path.empty()) card->encoder_path = w.config.encoder->path;
    card->encoder_tokens = elm.encoder()->num_tokens();
  }
  if (card->software_version.empty()) {
    card->software_version = absl::StrCat(DefaultSoftwareVersion(), " (LibTorch ", TORCH_VERSION, ")");
  }
  card->files = w.described;
  card->files.emplace_back(kElmConfigName, "what rebuilding the ELM around the base model needs");
  std::sort(card->files.begin(), card->files.end());
}

absl::Status WriteAll(nn::Elm& elm, const nn::LoraAdapter* adapter, const common::model_io::ModelConfig& base,
                      Writer& w) {
  const ExportRequest& r = w.request;
  bool llm_trained = false;
  for (const torch::Tensor& p : elm.llm().module().parameters()) llm_trained = llm_trained || p.requires_grad();
  w.config.llm_weights = llm_trained ? "merged" : "base";
  if (adapter != nullptr && !adapter->is_empty()) {
    nn::LoraAdapter holder = *adapter;
    const std::string dir = w.Path(kExportAdapterDir);
    ECGBENCH_RETURN_IF_ERROR(nn::SaveLoraAdapter(holder, dir, r.adapter_dtype));
    if (!r.base_model_name.empty()) {
      common::model_io::LoraAdapterConfig config = holder->config();
      config.base_model_name_or_path = r.base_model_name;
      ECGBENCH_RETURN_IF_ERROR(common::model_io::WriteLoraAdapterConfig(
          config, (fs::path(dir) / common::model_io::kAdapterConfigName).string()));
    }
    w.config.adapter_dir = kExportAdapterDir;
    for (const char* f : {common::model_io::kAdapterConfigName, common::model_io::kAdapterWeightsName}) {
      w.config.files.push_back(absl::StrCat(kExportAdapterDir, "/", f));
    }
    w.Add(absl::StrCat(kExportAdapterDir, "/"), "PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors)");
  }
  ECGBENCH_RETURN_IF_ERROR(WriteElmWeights(elm, base, llm_trained, w));
  w.config.files.push_back(kElmWeightsName);

  const std::string base_tokenizer =
      r.tokenizer_path.empty() ? (fs::path(r.base_model_dir) / kExportTokenizerName).string() : r.tokenizer_path;
  if (!r.added_tokens.empty()) {
    ECGBENCH_RETURN_IF_ERROR(WriteTokenizer(base_tokenizer, w));
    w.config.files.push_back(kExportTokenizerName);
  }
  if (r.merged || llm_trained) ECGBENCH_RETURN_IF_ERROR(WriteMerged(elm, adapter, base_tokenizer, w));
  for (const auto& [name, source] : r.extra_files) {
    ECGBENCH_RETURN_IF_ERROR(CheckRelativeName(name));
    ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(fs::path(w.Path(name)).parent_path().string()));
    ECGBENCH_RETURN_IF_ERROR(CopyFile(source, w.Path(name)));
    w.config.files.push_back(name);
    w.Add(name, absl::StrCat("copied from ", source));
  }
  ModelCard card = r.card;
  FillCard(elm, adapter, llm_trained, w, &card);
  w.config.files.push_back(kElmConfigName);
  w.config.files.push_back(kModelCardName);
  std::sort(w.config.files.begin(), w.config.files.end());
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(w.Path(kElmConfigName), SerializeElmExportConfig(w.config)));
  return common::WriteFileAtomic(w.Path(kModelCardName), RenderModelCard(card));
}

// The parts of the config that come from the ELM and the request alone.
absl::Status StartConfig(nn::Elm& elm, const ExportRequest& r, const common::model_io::ModelConfig& base,
                         ElmExportConfig* c) {
  const nn::ElmOptions& o = elm.options();
  c->elm_kind = std::string(ElmKindName(o.kind));
  const bool token_elm = o.kind == nn::ElmKind::kEcgByte || o.kind == nn::ElmKind::kSignal2Vec;
  c->placeholder_id = token_elm ? -1 : o.placeholder_id;
  if (o.kind == nn::ElmKind::kSignal2Vec) c->ecg_token_offset = o.ecg_token_offset;
  if (o.kind == nn::ElmKind::kEncoderFree) {
    c->signal_leads = o.signal_leads;
    c->signal_length = o.signal_length;
    c->signal_patches = o.signal_patches;
  }
  c->update_encoder = o.kind == nn::ElmKind::kLlava && o.update_encoder;
  c->base.path = r.base_model_dir;
  c->base.name = r.base_model_name;
  c->base.model_type = std::string(common::model_io::ArchitectureName(base.architecture));
  c->base.vocab_size = base.vocab_size;
  c->base.hidden_size = base.hidden_size;
  c->base.num_hidden_layers = base.num_hidden_layers;
  c->vocab_size = elm.llm().token_embeddings()->weight.size(0);
  c->added_tokens = r.added_tokens;
  for (const ExportedToken& t : r.added_tokens) {
    if (t.content.empty() || t.id < 0 || t.id >= c->vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("export: added token \"", t.content, "\" has id ", t.id,
                                                     ", outside the language model's vocabulary of ", c->vocab_size));
    }
  }
  if (o.kind == nn::ElmKind::kLlava) {
    if (r.encoder.kind.empty()) return absl::InvalidArgumentError("export: encoder.kind is required for a llava ELM");
    ExportedEncoder e = r.encoder;
    e.save_weights = e.save_weights || e.path.empty() || o.update_encoder;
    e.num_tokens = elm.encoder()->num_tokens();
    e.output_dim = elm.encoder()->output_dim();
    c->encoder = std::move(e);
  }
  c->representation = r.representation.is_null() ? nlohmann::json::object() : r.representation;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExportResult> ExportElm(nn::Elm& elm, const nn::LoraAdapter* adapter, const ExportRequest& request) {
  if (request.out_dir.empty()) return absl::InvalidArgumentError("export: out_dir is empty");
  if (request.base_model_dir.empty()) return absl::InvalidArgumentError("export: base_model_dir is empty");
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::ModelConfig base,
                            common::model_io::LoadModelConfig(request.base_model_dir));
  const fs::path out = fs::path(request.out_dir).lexically_normal();
  const fs::path target = out.has_filename() ? out : out.parent_path();
  std::error_code ec;
  if (fs::exists(target, ec) && !request.overwrite) {
    return absl::AlreadyExistsError(absl::StrCat(target.string(), ": the export directory exists (overwrite is off)"));
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(parent.string()));
  const std::string temp = (parent / absl::StrCat(".", target.filename().string(), ".tmp-", ::getpid())).string();
  fs::remove_all(temp, ec);
  if (!fs::create_directory(temp, ec) || ec) {
    return absl::InternalError(absl::StrCat(temp, ": cannot create the export directory: ", ec.message()));
  }
  Writer w(request, temp);
  absl::Status status = StartConfig(elm, request, base, &w.config);
  if (status.ok()) {
    try {
      status = WriteAll(elm, adapter, base, w);
    } catch (const c10::Error& e) {
      status = absl::InternalError(absl::StrCat("export to ", target.string(), ": ", e.what_without_backtrace()));
    }
  }
  if (status.ok()) status = SyncDirectory(temp);
  if (!status.ok()) {
    fs::remove_all(temp, ec);
    return status;
  }
  const fs::path old = parent / absl::StrCat(".", target.filename().string(), ".old-", ::getpid());
  if (fs::exists(target, ec)) {
    fs::remove_all(old, ec);
    fs::rename(target, old, ec);
    if (ec)
      return absl::InternalError(
          absl::StrCat(target.string(), ": cannot move the previous export aside: ", ec.message()));
  }
  fs::rename(temp, target, ec);
  if (ec) {
    const std::string message = ec.message();
    std::error_code ignored;
    if (fs::exists(old, ignored)) fs::rename(old, target, ignored);  // put the previous export back
    fs::remove_all(temp, ignored);
    return absl::InternalError(absl::StrCat("cannot rename ", temp, " to ", target.string(), ": ", message));
  }
  fs::remove_all(old, ec);
  ECGBENCH_RETURN_IF_ERROR(SyncDirectory(parent.string()));
  return ExportResult{target.string(), std::move(w.config)};
}

}  // namespace ecgbench::worker::train
