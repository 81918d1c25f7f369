// Test fixtures for the chat: a tiny random Llama model folder (worker/nn/random_model_folder.h:
// 256 byte tokens + Llama 3's specials, <|eot_id|> = 260), ELM exports of it (train::ExportElm) and
// a synthetic 12-lead WFDB record. Tests only; failures are reported with gtest's ADD_FAILURE.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>

#include "common/ecg/formats/wfdb_writer.h"
#include "common/ecg/synth/generator.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "worker/chat/encoder_factory.h"
#include "worker/nn/ecg_encoders/encoder_io.h"
#include "worker/nn/language_model.h"
#include "worker/nn/lora.h"
#include "worker/nn/random_model_folder.h"
#include "worker/nn/token_embeddings.h"
#include "worker/train/export.h"

namespace ecgbench::worker::chat::tiny {

inline constexpr int32_t kEot = 260;         // <|eot_id|>
inline constexpr int32_t kFirstAdded = 261;  // the first added token (<signal>, or signal_0)

// `dir`: hidden 16, 1 layer, 1024 positions, weights N(0, 0.5) so that answers are not all stop tokens.
inline void WriteTinyBase(const std::string& dir) {
  nn::RandomModelOptions model;
  model.hidden_size = 16;
  model.intermediate_size = 32;
  model.layers = 1;
  model.heads = 2;
  model.kv_heads = 1;
  model.max_positions = 1024;
  model.seed = 3;
  model.stddev = 0.5;
  const absl::Status written = nn::WriteRandomModelFolder(dir, model);
  if (!written.ok()) ADD_FAILURE() << written;
}

inline std::unique_ptr<nn::LanguageModel> GrownLlm(const std::string& base, int64_t vocab) {
  absl::StatusOr<std::unique_ptr<nn::LanguageModel>> llm = nn::LoadLanguageModel(base);
  EXPECT_TRUE(llm.ok()) << llm.status();
  nn::ResizeOptions resize;
  resize.seed = 5;
  EXPECT_TRUE(nn::ResizeTokenEmbeddings(**llm, vocab, resize).ok());
  return *std::move(llm);
}

// LoRA rank 2 with random B (as after training), so the adapter changes the answers.
inline nn::LoraAdapter TrainedLora(nn::LanguageModel& llm) {
  nn::LoraOptions options;
  options.rank = 2;
  options.alpha = 4;
  options.seed = 1;
  absl::StatusOr<nn::LoraAdapter> adapter = nn::AttachLora(llm, options);
  EXPECT_TRUE(adapter.ok()) << adapter.status();
  torch::NoGradGuard no_grad;
  torch::manual_seed(4);
  for (auto& [key, p] : (*adapter)->NamedPeftTensors()) {
    if (key.find("lora_B") != std::string::npos) p.copy_(torch::randn(p.sizes()) * 0.5);
  }
  return *adapter;
}

// Encoder-free ELM on segments of 500 samples, `<signal>` = 261, with LoRA.
inline void WriteEncoderFreeExport(const std::string& base, const std::string& out_dir) {
  nn::ElmOptions options;
  options.kind = nn::ElmKind::kEncoderFree;
  options.placeholder_id = kFirstAdded;
  options.signal_length = 500;
  options.seed = 7;
  nn::Elm elm(GrownLlm(base, kFirstAdded + 1), nullptr, options);
  nn::LoraAdapter adapter = TrainedLora(elm.llm());
  train::ExportRequest request;
  request.out_dir = out_dir;
  request.base_model_dir = base;
  request.added_tokens = {{"<signal>", kFirstAdded, true}};
  request.representation = {{"kind", "signal"}, {"encoder", {{"name", "projection"}}}};
  const absl::StatusOr<train::ExportResult> exported = train::ExportElm(elm, &adapter, request);
  if (!exported.ok()) ADD_FAILURE() << exported.status();
}

// ECG-Byte ELM without merges (256 ids: signal_0 = 261), LoRA; the card's spec says segments of 250
// samples and train.max_tokens 400 / min_ecg_tokens 50. `scratch` holds the ECG-Byte tokenizer file.
inline void WriteEcgByteExport(const std::string& base, const std::string& out_dir, const std::string& scratch) {
  const absl::StatusOr<common::repr::EcgByteTokenizer> ecg_byte = common::repr::EcgByteTokenizer::Create({});
  if (!ecg_byte.ok() || !common::repr::SaveTokenizer(scratch, *ecg_byte).ok()) {
    ADD_FAILURE() << "cannot write the ECG-Byte tokenizer " << scratch;
    return;
  }
  nn::ElmOptions options;
  options.kind = nn::ElmKind::kEcgByte;
  nn::Elm elm(GrownLlm(base, kFirstAdded + 256), nullptr, options);
  nn::LoraAdapter adapter = TrainedLora(elm.llm());
  train::ExportRequest request;
  request.out_dir = out_dir;
  request.base_model_dir = base;
  for (int i = 0; i < 256; ++i) request.added_tokens.push_back({"signal_" + std::to_string(i), kFirstAdded + i, false});
  request.representation = {{"kind", "token"}, {"encoder", {{"name", "none"}}}};
  request.extra_files = {{"ecg_byte_tokenizer.json", scratch}};
  request.card.spec_text =
      R"({"data": {"segment_len": 250, "target_rate": 250}, "train": {"max_tokens": 400, "min_ecg_tokens": 50}})";
  request.card.spec_language = "json";
  const absl::StatusOr<train::ExportResult> exported = train::ExportElm(elm, &adapter, request);
  if (!exported.ok()) ADD_FAILURE() << exported.status();
}

// LLaVA-style ELM with a tiny ST-MEM encoder on segments of 500 samples (its checkpoint at
// `encoder_path`, recorded in the export) giving 2 tokens, `<signal>` = 261, LoRA.
inline void WriteLlavaExport(const std::string& base, const std::string& out_dir, const std::string& encoder_path) {
  nn::EcgEncoderOptions encoder_options;
  encoder_options.kind = "st_mem";
  encoder_options.preset = "tiny";
  encoder_options.segment_len = 500;
  encoder_options.seed = 1;
  absl::StatusOr<std::shared_ptr<nn::EcgEncoder>> encoder = nn::CreateEcgEncoder(encoder_options);
  if (!encoder.ok() || !nn::SaveEcgEncoder(**encoder, encoder_path).ok()) {
    ADD_FAILURE() << "cannot write the ST-MEM encoder " << encoder_path;
    return;
  }
  train::ExportedEncoder recorded;
  recorded.kind = "st_mem";
  recorded.path = encoder_path;
  recorded.num_tokens = 2;
  absl::StatusOr<std::unique_ptr<nn::ElmEncoder>> elm_encoder = ChatEncoderFactory(nullptr)(recorded, out_dir);
  if (!elm_encoder.ok()) {
    ADD_FAILURE() << elm_encoder.status();
    return;
  }
  nn::ElmOptions options;
  options.kind = nn::ElmKind::kLlava;
  options.placeholder_id = kFirstAdded;
  options.seed = 9;
  nn::Elm elm(GrownLlm(base, kFirstAdded + 1), *std::move(elm_encoder), options);
  nn::LoraAdapter adapter = TrainedLora(elm.llm());
  train::ExportRequest request;
  request.out_dir = out_dir;
  request.base_model_dir = base;
  request.added_tokens = {{"<signal>", kFirstAdded, true}};
  request.encoder.kind = "st_mem";
  request.encoder.path = encoder_path;
  request.representation = {{"kind", "signal"}, {"encoder", {{"name", "st_mem"}}}, {"encoder_tokens", 2}};
  const absl::StatusOr<train::ExportResult> exported = train::ExportElm(elm, &adapter, request);
  if (!exported.ok()) ADD_FAILURE() << exported.status();
}

// Signal2Vec ELM: the ECG-Byte setup of WriteEcgByteExport with a random frozen table [256, 4].
inline void WriteSignal2VecExport(const std::string& base, const std::string& out_dir, const std::string& scratch) {
  const absl::StatusOr<common::repr::EcgByteTokenizer> ecg_byte = common::repr::EcgByteTokenizer::Create({});
  if (!ecg_byte.ok() || !common::repr::SaveTokenizer(scratch, *ecg_byte).ok()) {
    ADD_FAILURE() << "cannot write the ECG-Byte tokenizer " << scratch;
    return;
  }
  torch::manual_seed(6);
  nn::ElmOptions options;
  options.kind = nn::ElmKind::kSignal2Vec;
  options.signal2vec_table = torch::randn({256, 4});
  options.ecg_token_offset = kFirstAdded;
  options.seed = 8;
  nn::Elm elm(GrownLlm(base, kFirstAdded + 256), nullptr, options);
  nn::LoraAdapter adapter = TrainedLora(elm.llm());
  train::ExportRequest request;
  request.out_dir = out_dir;
  request.base_model_dir = base;
  for (int i = 0; i < 256; ++i) request.added_tokens.push_back({"signal_" + std::to_string(i), kFirstAdded + i, false});
  request.representation = {{"kind", "token"}, {"encoder", {{"name", "signal2vec"}}}};
  request.extra_files = {{"ecg_byte_tokenizer.json", scratch}};
  request.card.spec_text = R"({"data": {"segment_len": 250}, "train": {"max_tokens": 400, "min_ecg_tokens": 50}})";
  request.card.spec_language = "json";
  const absl::StatusOr<train::ExportResult> exported = train::ExportElm(elm, &adapter, request);
  if (!exported.ok()) ADD_FAILURE() << exported.status();
}

// <dir>/<name>.hea + .dat: 10 s of sinus rhythm at 500 Hz, 12 leads.
inline void WriteSynthRecord(const std::string& dir, const std::string& name) {
  common::ecg::SynthOptions synth;
  synth.fs = 500;
  synth.duration_s = 10;
  synth.seed = 2;
  const absl::Status written =
      common::ecg::WriteWfdbRecord(common::ecg::Generate(common::ecg::EcgClass::kSinusRhythm, synth), dir, name);
  if (!written.ok()) ADD_FAILURE() << written;
}

}  // namespace ecgbench::worker::chat::tiny
