// bench/loader: synthetic store, splits, conversations and tokenizers (synthetic_data.h).
#include "bench/loader/synthetic_data.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ecg/dataset/conversation.h"
#include "common/ecg/synth/generator.h"
#include "common/repr/ecg_byte/bpe_trainer.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/signal/normalize.h"
#include "common/text/tokenizers/byte_level_bpe.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace ecgbench::bench {
namespace {

namespace ecg = common::ecg;
namespace fs = std::filesystem;

constexpr int64_t kLength = 1250;  // 5 s at 250 Hz
constexpr char kSystemPrompt[] =
    "You are an expert multimodal assistant in clinical cardiac electrophysiology. Identify the input, "
    "analyse the ECG signal carefully, reason over the signal and the question together, and answer in a "
    "precise, concise and clinically authoritative style. For questions that are not about the ECG, act "
    "as a helpful general assistant.";

std::string Rounded(double v) { return std::to_string(static_cast<int>(std::lround(std::isnan(v) ? 0 : v))); }

// Conversation i about a record of class `meta.ecg_class`: single-turn ECG-QA-like questions
// (7 in 10) or a two-turn report conversation.
std::vector<ecg::ChatMessage> Messages(int i, const ecg::SynthMeta& meta) {
  const std::string name(ecg::EcgClassName(meta.ecg_class));
  const std::string other(ecg::EcgClassName(ecg::kAllEcgClasses[(static_cast<int>(meta.ecg_class) + 3) % 8]));
  const std::string hr = Rounded(meta.heart_rate_bpm);
  switch (i % 10) {
    case 0:
    case 1:
      return {{"user", "Does this ECG show " + name + "?"}, {"assistant", "yes"}};
    case 2:
      return {{"user", "Does this ECG show " + other + "?"}, {"assistant", "no"}};
    case 3:
      return {{"user", "What is the rhythm of this ECG?"}, {"assistant", name}};
    case 4:
      return {{"user", "Which of the following does this ECG show, " + other + " or " + name + "?"},
              {"assistant", name}};
    case 5:
    case 6:
      return {{"user", "What is the heart rate of this ECG?"}, {"assistant", hr + " beats per minute"}};
    default:
      return {{"user", "Describe this ECG in detail."},
              {"assistant", "The ECG shows " + name + " at a heart rate of about " + hr +
                                " beats per minute. The PR interval is " + Rounded(meta.pr_ms) +
                                " ms, the QRS duration is " + Rounded(meta.qrs_ms) + " ms and the QT interval is " +
                                Rounded(meta.qt_ms) + " ms. There are " + std::to_string(meta.num_premature) +
                                " premature ventricular beats in this recording."},
              {"user", "Is this finding urgent?"},
              {"assistant", meta.ecg_class == ecg::EcgClass::kStElevation
                                ? "Yes. ST elevation needs immediate clinical review."
                                : "Not by itself, but it should be correlated with the clinical picture."}};
  }
}

// GPT-2-like pre-tokens: an optional leading space, then a run of letters, of digits, of other
// non-space characters, or a run of whitespace.
std::vector<std::string> PreTokens(const std::string& text) {
  auto cls = [](unsigned char c) { return std::isalpha(c) ? 0 : std::isdigit(c) ? 1 : std::isspace(c) ? 2 : 3; };
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    if (text[j] == ' ' && j + 1 < text.size() && cls(static_cast<unsigned char>(text[j + 1])) != 2) ++j;
    const int c = cls(static_cast<unsigned char>(text[j]));
    ++j;
    while (j < text.size() && cls(static_cast<unsigned char>(text[j])) == c) ++j;
    out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

// tokenizer.json: 256 byte tokens, then every prefix of every pre-token of `corpus` built by a chain
// of merges, then the Llama 3 special tokens.
absl::Status WriteTokenizerJson(const std::vector<std::string>& corpus, const std::string& path) {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  std::vector<std::string> byte_token(256);
  for (int b = 0; b < 256; ++b) {
    common::text::AppendUtf8(common::text::ByteToUnicode(static_cast<uint8_t>(b)), &byte_token[b]);
    vocab[byte_token[b]] = b;
  }
  int next = 256;
  nlohmann::json merges = nlohmann::json::array();
  std::set<std::string> seen;
  for (const std::string& text : corpus) {
    for (const std::string& piece : PreTokens(text)) {
      std::string prefix = byte_token[static_cast<unsigned char>(piece[0])];
      for (size_t k = 1; k < piece.size(); ++k) {
        const std::string& c = byte_token[static_cast<unsigned char>(piece[k])];
        const std::string merged = prefix + c;
        if (seen.insert(merged).second && !vocab.contains(merged)) {
          merges.push_back(prefix + " " + c);
          vocab[merged] = next++;
        }
        prefix = merged;
      }
    }
  }
  nlohmann::json added = nlohmann::json::array();
  for (const char* special : {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}) {
    added.push_back({{"id", next++}, {"content", special}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  const nlohmann::ordered_json j = {
      {"version", "1.0"},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"ignore_merges", false},
                 {"vocab", vocab}, {"merges", merges}}}};
  std::ofstream(path) << j.dump();
  return absl::OkStatus();
}

}  // namespace

const char* BenchSystemPrompt() { return kSystemPrompt; }

absl::StatusOr<SyntheticRun> WriteSyntheticRun(const std::string& dir, const SyntheticRunOptions& options) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  SyntheticRun run;
  ecg::SegmentStoreOptions store_options;
  store_options.segment_length = kLength;
  store_options.sampling_rate_hz = 250;
  ECGBENCH_ASSIGN_OR_RETURN(auto writer, ecg::SegmentStoreWriter::Create(dir + "/store", store_options));
  std::vector<ecg::SynthMeta> metas(static_cast<size_t>(options.segments));
  std::vector<std::string> symbols(static_cast<size_t>(options.segments));
  std::vector<float> work(12 * kLength);
  for (int i = 0; i < options.segments; ++i) {
    ecg::SynthOptions synth;
    synth.fs = 250;
    synth.duration_s = 5;
    synth.seed = static_cast<uint64_t>(1000 + i);
    const ecg::Record record = ecg::Generate(ecg::kAllEcgClasses[i % 8], synth, &metas[static_cast<size_t>(i)]);
    ECGBENCH_RETURN_IF_ERROR(record.Validate());
    ecg::SegmentMeta meta;
    meta.record_id = absl::StrCat("r", i);
    meta.patient_id = absl::StrCat("p", i);
    meta.source = "synth";
    ECGBENCH_RETURN_IF_ERROR(writer->Append(meta, record.samples.data()));
    ECGBENCH_RETURN_IF_ERROR(common::repr::Normalizer::MinMax()
                                 .Apply(absl::MakeConstSpan(record.samples), absl::MakeSpan(work))
                                 .status());
    ECGBENCH_RETURN_IF_ERROR(
        common::repr::SymbolizeAppend(work.data(), 12 * kLength, kLength, &symbols[static_cast<size_t>(i)]));
  }
  ECGBENCH_RETURN_IF_ERROR(writer->Finish());
  ECGBENCH_ASSIGN_OR_RETURN(run.store, ecg::SegmentStore::Open(dir + "/store"));
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<ecg::SegmentMeta> store_metas, run.store->AllMeta());
  ecg::SplitOptions split;
  split.k = 5;
  ECGBENCH_ASSIGN_OR_RETURN(run.folds, ecg::AssignFolds(ecg::SplitItemsFromMeta(store_metas, ""), split));

  run.conversations_path = dir + "/conversations.jsonl";
  ECGBENCH_ASSIGN_OR_RETURN(auto conversations, ecg::ConversationWriter::Create(run.conversations_path));
  std::vector<std::string> corpus = {kSystemPrompt, "system", "user", "assistant", "\n\n"};
  for (int i = 0; i < options.conversations; ++i) {
    const int segment = i % options.segments;
    ecg::Conversation c;
    c.id = absl::StrCat("synth-qa-", i);
    c.store = dir + "/store";
    c.index = segment;
    c.record_id = absl::StrCat("r", segment);
    c.source = "synth";
    c.dataset = "synth-qa";
    c.messages = Messages(i, metas[static_cast<size_t>(segment)]);
    for (const auto& m : c.messages) corpus.push_back(m.content);
    ECGBENCH_RETURN_IF_ERROR(conversations->Write(c));
  }
  ECGBENCH_RETURN_IF_ERROR(conversations->Finish());
  run.tokenizer_path = dir + "/tokenizer.json";
  ECGBENCH_RETURN_IF_ERROR(WriteTokenizerJson(corpus, run.tokenizer_path));

  common::repr::BpeTrainerOptions bpe;
  bpe.num_merges = options.ecg_byte_merges;
  bpe.num_threads = 0;
  ECGBENCH_ASSIGN_OR_RETURN(common::repr::BpeTrainResult trained, common::repr::TrainBpe(symbols, bpe));
  ECGBENCH_ASSIGN_OR_RETURN(common::repr::EcgByteTokenizer ecg_byte,
                            common::repr::EcgByteTokenizer::Create(std::move(trained.merges)));
  run.ecg_byte = std::make_shared<const common::repr::EcgByteTokenizer>(std::move(ecg_byte));
  return run;
}

}  // namespace ecgbench::bench
