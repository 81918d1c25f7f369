// BERTScore (worker/infer/bertscore) on tiny random encoders written by C++: a RoBERTa (saved with
// the "roberta." prefix, an lm_head and no pooler, as roberta-large is) with a byte-level BPE
// tokenizer.json whose <mask> has lstrip, and a BERT with a WordPiece vocab.txt. Parity of P / R / F1
// and of the token ids with reference_bertscore.py (plain PyTorch + regex from Debian's python3-torch
// and python3-regex; one text at a time, so batching and padding are checked too; max abs diff
// <= 1e-5), identical pairs (F1 = 1), empty texts (0, 0, 0), batch-size invariance, bert_score's
// tokenization (strip, prefix space, truncation, vocab.json + merges.txt), and the errors.
#include "worker/infer/bertscore.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/eval/text_normalize.h"
#include "common/model_io/safetensors_writer.h"
#include "common/text/tokenizers/byte_level_bpe.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/run_command.h"
#include "worker/infer/bertscore_tokenizer.h"
#include "worker/nn/text_encoder/bert_model.h"

namespace ecgbench::worker::infer {
namespace {

namespace fs = std::filesystem;
using common::model_io::SafetensorsWriter;
using ::testing::HasSubstr;

constexpr int kLayer = 2;  // of 3

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ecgbench_bertscore_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

double ParseValue(const std::string& output, const std::string& key) {
  const size_t at = output.find(key + "=");
  if (at == std::string::npos) return 1e30;
  return std::strtod(output.c_str() + at + key.size() + 1, nullptr);
}

// Byte-level BPE: <s> <pad> </s> <unk> (0..3), GPT-2's 256 byte characters (4..259), the tokens of
// prefix-chain merges of kWords, then <mask>.
struct TinyBpe {
  nlohmann::json vocab = nlohmann::json::object();
  std::vector<std::string> merges;
  int32_t size = 0;
};

TinyBpe MakeTinyBpe() {
  static const char* const kWords[] = {" sinus",  " rhythm", " normal", " ecg",      " left",         " axis",
                                       " deviation", " atrial", " fibrillation", " the", " heart", " rate",
                                       " is",     " st",     " elevation", " no",     " abnormal",     " wave",
                                       " with",   " bpm",    " 72",     "tion",       "al",            "er",
                                       " Sinus",  " ECG",    "."};
  TinyBpe bpe;
  std::vector<std::string> tokens = {"<s>", "<pad>", "</s>", "<unk>"};
  std::string byte_char[256];
  for (int b = 0; b < 256; ++b) {
    common::text::AppendUtf8(common::text::ByteToUnicode(static_cast<uint8_t>(b)), &byte_char[b]);
    tokens.push_back(byte_char[b]);
  }
  absl::flat_hash_set<std::string> known(tokens.begin(), tokens.end()), merged;
  for (const char* word : kWords) {
    std::string prefix = byte_char[static_cast<unsigned char>(word[0])];
    for (const char* c = word + 1; *c != '\0'; ++c) {
      const std::string& next = byte_char[static_cast<unsigned char>(*c)];
      if (merged.insert(prefix + " " + next).second) bpe.merges.push_back(prefix + " " + next);
      prefix += next;
      if (known.insert(prefix).second) tokens.push_back(prefix);
    }
  }
  tokens.push_back("<mask>");
  for (size_t i = 0; i < tokens.size(); ++i) bpe.vocab[tokens[i]] = i;
  bpe.size = static_cast<int32_t>(tokens.size());
  return bpe;
}

nlohmann::json TokenizerJson(const TinyBpe& bpe) {
  nlohmann::json added = nlohmann::json::array();
  const std::pair<const char*, int32_t> specials[] = {
      {"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}, {"<mask>", bpe.size - 1}};
  for (const auto& [content, id] : specials) {
    const bool mask = std::string(content) == "<mask>";
    added.push_back({{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", mask},
                     {"rstrip", false}, {"normalized", !mask}, {"special", true}});
  }
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                             {"use_regex", true}}},
          {"post_processor", {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 0}},
                              {"trim_offsets", true}, {"add_prefix_space", false}}},
          {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                       {"use_regex", true}}},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                     {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                     {"byte_fallback", false}, {"vocab", bpe.vocab}, {"merges", bpe.merges}}}};
}

void Write(const fs::path& file, const std::string& text) {
  ASSERT_TRUE(common::WriteFileAtomic(file.string(), text).ok()) << file;
}

// Writes config.json and model.safetensors (names with `prefix`, plus `extra` zero tensors).
void SaveModel(nn::BertModel& model, const fs::path& dir, const std::string& prefix,
               const std::vector<std::pair<std::string, std::vector<int64_t>>>& extra) {
  absl::StatusOr<std::string> config = nn::SerializeBertConfig(model.config());
  ASSERT_TRUE(config.ok()) << config.status();
  Write(dir / "config.json", *config);
  SafetensorsWriter w;
  for (const auto& item : model.named_parameters()) {
    const torch::Tensor t = item.value().detach().contiguous();
    ASSERT_TRUE(w.AddFloat32(prefix + item.key(), t.sizes().vec(),
                             {t.data_ptr<float>(), static_cast<size_t>(t.numel())})
                    .ok());
  }
  for (const auto& [name, shape] : extra) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    ASSERT_TRUE(w.AddFloat32(name, shape, std::vector<float>(static_cast<size_t>(n), 0.25f)).ok());
  }
  ASSERT_TRUE(w.Write((dir / "model.safetensors").string()).ok());
}

nn::BertConfig TinyRoberta(int32_t vocab) {
  nn::BertConfig c;
  c.family = nn::BertFamily::kRoberta;
  c.vocab_size = vocab;
  c.hidden_size = 32;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 4;
  c.intermediate_size = 64;
  c.max_position_embeddings = 40;  // 38 tokens per text
  c.type_vocab_size = 1;
  c.layer_norm_eps = 1e-5;
  c.pad_token_id = 1;
  return c;
}

// Removed at exit.
struct TempFolder {
  fs::path path;
  ~TempFolder() { fs::remove_all(path); }
};

// A roberta-large-like folder: "roberta." names, lm_head.*, no pooler; tokenizer.json and
// tokenizer_config.json (model_max_length 512, above what the positions allow). Built once per
// process.
const fs::path& RobertaDir() {
  static const TempFolder folder{[] {
    const fs::path d = FreshDir("roberta");
    const TinyBpe bpe = MakeTinyBpe();
    auto model = std::make_shared<nn::BertModel>(TinyRoberta(bpe.size), /*add_pooling_layer=*/false);
    nn::RandomInitBert(*model, 11, 0.2);
    SaveModel(*model, d, "roberta.", {{"lm_head.bias", {bpe.size}}, {"lm_head.dense.weight", {32, 32}}});
    Write(d / "tokenizer.json", TokenizerJson(bpe).dump());
    Write(d / "tokenizer_config.json", R"({"model_max_length": 512, "tokenizer_class": "RobertaTokenizer"})");
    return d;
  }()};
  return folder.path;
}

struct Pairs {
  std::vector<std::string> candidates, references;
};

std::string Long() {
  std::string s;
  for (int i = 0; i < 30; ++i) s += "sinus rhythm ";
  return s;
}

Pairs RobertaPairs() {
  return {{"Sinus rhythm.", "normal ecg", "", "  \t\n ", "atrial fibrillation", "", "left axis deviation",
           "The heart rate is 72 bpm.", "st elevation with abnormal t wave", "\xC2\xA0\xE2\x80\x83sinus rhythm\x1C",
           "it's the heart's rhythm", "Sinus rhythm \xE2\x80\x93 rate 72 bpm \xE2\x9C\x93", "fibrillation auriculaire "
           "\xC3\xA0 110/min", "ST-elevation!!", "left axis\n  deviation", Long(), "<s> sinus", "no abnormal",
           "ECG normal", "normal ecg", "atrial fibrillation with rapid rate", "deviation", "rate 72",
           "Sinus rhythm."},
          {"Sinus rhythm.", "normal ecg", "Sinus rhythm", "normal ecg", "", "", "left axis deviation, normal",
           "heart rate 72", "abnormal st elevation", "sinus rhythm", "the heart rhythm is normal",
           "sinus rhythm, rate 72", "atrial fibrillation 110 bpm", "st elevation", "left axis deviation",
           "sinus rhythm", "sinus rhythm", "abnormal", "normal ECG", "abnormal ecg", "atrial fibrillation",
           "left axis deviation", "72", "Sinus rhythm."}};
}

// Scores `pairs` with the scorer and checks them against reference_bertscore.py.
void ExpectReferenceAgrees(const fs::path& dir, int layer, const Pairs& pairs, int64_t max_sequence_length) {
  absl::StatusOr<std::unique_ptr<BertScorer>> scorer = BertScorer::Load({dir.string(), layer, 4});
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  absl::StatusOr<std::vector<BertScoreTriple>> scores = (*scorer)->Score(pairs.candidates, pairs.references);
  ASSERT_TRUE(scores.ok()) << scores.status();
  absl::StatusOr<std::unique_ptr<BertScoreTokenizer>> tok = BertScoreTokenizer::Load(dir.string(), max_sequence_length);
  ASSERT_TRUE(tok.ok()) << tok.status();
  nlohmann::json cand_ids = nlohmann::json::array(), ref_ids = nlohmann::json::array(),
                 triples = nlohmann::json::array();
  for (size_t i = 0; i < pairs.candidates.size(); ++i) {
    cand_ids.push_back(*(*tok)->Encode(pairs.candidates[i]));
    ref_ids.push_back(*(*tok)->Encode(pairs.references[i]));
    triples.push_back({(*scores)[i].precision, (*scores)[i].recall, (*scores)[i].f1});
  }
  const nlohmann::json c = {{"layer", layer},          {"candidates", pairs.candidates},
                            {"references", pairs.references}, {"candidate_ids", cand_ids},
                            {"reference_ids", ref_ids}, {"scores", triples}};
  Write(dir / "case.json", c.dump());
  const test_support::CommandResult r = test_support::RunCommand(std::string("/usr/bin/python3 ") +
                                                                 ECGBENCH_BERTSCORE_REFERENCE + " " + dir.string() +
                                                                 " " + (dir / "case.json").string());
  ASSERT_TRUE(r.ok()) << "reference_bertscore.py failed (needs python3-torch and python3-regex):\n" << r.output;
  std::cout << "bertscore reference: " << r.output;
  EXPECT_LE(ParseValue(r.output, "max_abs_diff"), 1e-5) << r.output;
  EXPECT_EQ(ParseValue(r.output, "token_mismatches"), 0) << r.output;
  EXPECT_EQ(ParseValue(r.output, "pairs"), static_cast<double>(pairs.candidates.size())) << r.output;
}

TEST(BertScoreTest, RobertaParityWithReference) {
  const Pairs pairs = RobertaPairs();
  ASSERT_GE(pairs.candidates.size(), 20u);
  ExpectReferenceAgrees(RobertaDir(), kLayer, pairs, 38);
}

TEST(BertScoreTest, IdenticalPairsScoreOneAndEmptyTextsZero) {
  absl::StatusOr<std::unique_ptr<BertScorer>> scorer = BertScorer::Load({RobertaDir().string(), kLayer, 4});
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  const Pairs pairs = RobertaPairs();
  absl::StatusOr<std::vector<BertScoreTriple>> s = (*scorer)->Score(pairs.candidates, pairs.references);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), pairs.candidates.size());
  for (size_t i : {0, 1, 9, 23}) {  // equal texts, or equal after str.strip()
    EXPECT_NEAR((*s)[i].precision, 1.0, 1e-6) << i;
    EXPECT_NEAR((*s)[i].recall, 1.0, 1e-6) << i;
    EXPECT_NEAR((*s)[i].f1, 1.0, 1e-6) << i;
  }
  for (size_t i : {2, 3, 4, 5}) {  // empty candidate and/or reference
    EXPECT_EQ((*s)[i].precision, 0.0) << i;
    EXPECT_EQ((*s)[i].recall, 0.0) << i;
    EXPECT_EQ((*s)[i].f1, 0.0) << i;
  }
  for (size_t i = 6; i < s->size(); ++i) {
    const BertScoreTriple& t = (*s)[i];
    EXPECT_NEAR(t.f1, 2 * t.precision * t.recall / (t.precision + t.recall), 1e-12) << i;
  }
  EXPECT_EQ((*scorer)->hidden_size(), 32);
  EXPECT_EQ((*scorer)->max_length(), 38);
  EXPECT_TRUE((*scorer)->Score({}, {})->empty());
}

TEST(BertScoreTest, BatchSizeDoesNotChangeScores) {
  const Pairs pairs = RobertaPairs();
  std::vector<std::vector<BertScoreTriple>> runs;
  for (int batch : {1, 3, 64}) {
    absl::StatusOr<std::unique_ptr<BertScorer>> scorer = BertScorer::Load({RobertaDir().string(), kLayer, batch});
    ASSERT_TRUE(scorer.ok()) << scorer.status();
    runs.push_back(*(*scorer)->Score(pairs.candidates, pairs.references));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    for (size_t i = 0; i < pairs.candidates.size(); ++i) {
      EXPECT_NEAR(runs[r][i].f1, runs[0][i].f1, 1e-6) << i;
      EXPECT_NEAR(runs[r][i].precision, runs[0][i].precision, 1e-6) << i;
    }
  }
  // Swapping the roles swaps P and R.
  absl::StatusOr<std::unique_ptr<BertScorer>> scorer = BertScorer::Load({RobertaDir().string(), kLayer, 4});
  const std::vector<BertScoreTriple> swapped = *(*scorer)->Score(pairs.references, pairs.candidates);
  for (size_t i = 0; i < pairs.candidates.size(); ++i) {
    EXPECT_NEAR(swapped[i].precision, runs[0][i].recall, 1e-6) << i;
    EXPECT_NEAR(swapped[i].recall, runs[0][i].precision, 1e-6) << i;
  }
}

TEST(BertScoreTest, TokenizationFollowsSentEncode) {
  absl::StatusOr<std::unique_ptr<BertScoreTokenizer>> tok = BertScoreTokenizer::Load(RobertaDir().string(), 38);
  ASSERT_TRUE(tok.ok()) << tok.status();
  const TinyBpe bpe = MakeTinyBpe();
  const int32_t normal = bpe.vocab["\xC4\xA0normal"], ecg = bpe.vocab["\xC4\xA0" "ecg"];
  EXPECT_EQ(*(*tok)->Encode(""), (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(*(*tok)->Encode(" \t\n\xC2\xA0"), (std::vector<int32_t>{0, 2}));
  // A space is put in front (add_prefix_space=True), after str.strip().
  EXPECT_EQ(*(*tok)->Encode("normal ecg"), (std::vector<int32_t>{0, normal, ecg, 2}));
  EXPECT_EQ(*(*tok)->Encode("\xE2\x80\x83normal ecg\x1C\x1F "), (std::vector<int32_t>{0, normal, ecg, 2}));
  EXPECT_TRUE((*tok)->IsSpecial(0) && (*tok)->IsSpecial(2) && !(*tok)->IsSpecial(1) && !(*tok)->IsSpecial(normal));
  EXPECT_TRUE((*tok)->adds_prefix_space());
  // Truncation: 38 tokens at most, <s> and </s> kept.
  const std::vector<int32_t> cut = *(*tok)->Encode(Long());
  ASSERT_EQ(cut.size(), 38u);
  EXPECT_EQ(cut.front(), 0);
  EXPECT_EQ(cut.back(), 2);
  EXPECT_EQ((*tok)->Encode("ok \xFF").status().message(), "invalid UTF-8 at byte 3");
  // tokenizer_config.json's model_max_length wins when it is the smaller.
  EXPECT_EQ((*BertScoreTokenizer::Load(RobertaDir().string(), 1000))->max_length(), 512);

  // vocab.json + merges.txt (what the slow RobertaTokenizer reads) give the same ids.
  const fs::path gpt2 = FreshDir("vocab_merges");
  Write(gpt2 / "vocab.json", bpe.vocab.dump());
  std::string merges = "#version: 0.2\n";
  for (const std::string& m : bpe.merges) merges += m + "\n";
  Write(gpt2 / "merges.txt", merges);
  absl::StatusOr<std::unique_ptr<BertScoreTokenizer>> slow = BertScoreTokenizer::Load(gpt2.string(), 38);
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_EQ((*slow)->max_length(), 38);
  const Pairs pairs = RobertaPairs();
  for (const std::vector<std::string>* texts : {&pairs.candidates, &pairs.references}) {
    for (const std::string& text : *texts) EXPECT_EQ(*(*slow)->Encode(text), *(*tok)->Encode(text)) << text;
  }
  fs::remove_all(gpt2);
}

TEST(BertScoreTest, PythonStripIsTheMetricsStrip) {  // bert_score strips with str.strip()
  EXPECT_EQ(common::eval::StripPython(" \t\n\v\f\r\x1C\x1D\x1E\x1F" "a b\xC2\x85"), "a b");
  EXPECT_EQ(common::eval::StripPython("\xE3\x80\x80x\xE2\x80\xA8"), "x");      // U+3000, U+2028
  EXPECT_EQ(common::eval::StripPython("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx");        // U+200B is not a space
  EXPECT_EQ(common::eval::StripPython("  "), "");
  EXPECT_EQ(common::eval::StripPython("x\xFF "), "x\xFF");                      // malformed bytes are kept
}

// A BERT with a WordPiece vocab.txt, layer 1 of 2, with the pooler and no prefix.
TEST(BertScoreTest, BertParityWithReference) {
  const fs::path dir = FreshDir("bert");
  const std::vector<std::string> words = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "sinus", "rhythm", "normal",
                                          "ecg", "left", "axis", "deviation", "##s", ",", ".", "rate", "heart", "7",
                                          "##2", "st", "-", "elevation"};
  std::string vocab;
  for (const std::string& w : words) vocab += w + "\n";
  Write(dir / "vocab.txt", vocab);
  nn::BertConfig c;
  c.vocab_size = static_cast<int64_t>(words.size());
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 64;
  c.max_position_embeddings = 16;
  auto model = std::make_shared<nn::BertModel>(c);
  nn::RandomInitBert(*model, 5, 0.2);
  SaveModel(*model, dir, "", {});
  const Pairs pairs = {{"Sinus rhythm.", "", "normal ECG", "left axis deviations, heart rate 72",
                        "ST-elevation", "unknown words here", "sinus sinus sinus sinus sinus sinus sinus sinus "
                        "sinus sinus sinus sinus sinus sinus sinus sinus", "rate"},
                       {"sinus rhythm .", "normal", "normal ecg", "left axis deviation", "st elevation", "normal",
                        "sinus rhythm", "heart rate"}};
  ExpectReferenceAgrees(dir, 1, pairs, 16);
  absl::StatusOr<std::unique_ptr<BertScoreTokenizer>> tok = BertScoreTokenizer::Load(dir.string(), 16);
  ASSERT_TRUE(tok.ok());
  EXPECT_FALSE((*tok)->adds_prefix_space());
  EXPECT_EQ(*(*tok)->Encode("  Normal ECG. "), (std::vector<int32_t>{2, 7, 8, 14, 3}));
  fs::remove_all(dir);
}

TEST(BertScoreTest, LoadAndScoreErrors) {
  EXPECT_EQ(BertScorer::Load({"", 17, 32}).status().message(), "BertScoreOptions.model_dir is empty");
  const fs::path dir = FreshDir("errors");
  EXPECT_EQ(BertScorer::Load({(dir / "nope").string(), 17, 32}).status().message(),
            "BertScoreOptions.model_dir: " + (dir / "nope").string() + ": no such directory");
  absl::Status st = BertScorer::Load({dir.string(), 17, 32}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(st.message(), HasSubstr((dir / "config.json").string() + ": missing"));
  Write(dir / "config.json", R"({"model_type": "xlnet"})");
  EXPECT_EQ(BertScorer::Load({dir.string(), 17, 32}).status().message(),
            (dir / "config.json").string() +
                ": field \"model_type\": \"xlnet\" is not supported (supported: \"bert\", \"roberta\")");
  const std::string roberta = RobertaDir().string();
  EXPECT_EQ(BertScorer::Load({roberta, 4, 32}).status().message(),
            "BertScoreOptions.layer 4 is outside [0, 3] (num_hidden_layers of " + roberta + "/config.json)");
  EXPECT_EQ(BertScorer::Load({roberta, -1, 32}).status().message(),
            "BertScoreOptions.layer -1 is outside [0, 3] (num_hidden_layers of " + roberta + "/config.json)");
  EXPECT_EQ(BertScorer::Load({roberta, 2, 0}).status().message(),
            "BertScoreOptions.batch_size must be at least 1, got 0");
  // No tokenizer files.
  fs::copy_file(RobertaDir() / "config.json", dir / "config.json", fs::copy_options::overwrite_existing);
  EXPECT_EQ(BertScorer::Load({dir.string(), 2, 32}).status().message(),
            dir.string() + ": no tokenizer.json, nor vocab.json + merges.txt, nor vocab.txt, in this directory");
  // A checkpoint without layer 1's tensors (layer 2 needs them); layer 0 needs only the embeddings.
  fs::copy_file(RobertaDir() / "tokenizer.json", dir / "tokenizer.json");
  SafetensorsWriter w;
  const torch::Tensor embed = torch::zeros({MakeTinyBpe().size, 32});
  ASSERT_TRUE(w.AddFloat32("roberta.embeddings.word_embeddings.weight", {MakeTinyBpe().size, 32},
                           {embed.data_ptr<float>(), static_cast<size_t>(embed.numel())})
                  .ok());
  ASSERT_TRUE(w.Write((dir / "model.safetensors").string()).ok());
  EXPECT_THAT(BertScorer::Load({dir.string(), 2, 32}).status().message(),
              HasSubstr("checkpoint lacks tensor 'roberta.embeddings.position_embeddings.weight'"));

  absl::StatusOr<std::unique_ptr<BertScorer>> scorer = BertScorer::Load({roberta, kLayer, 4});
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  EXPECT_EQ((*scorer)->Score({"a", "b"}, {"a"}).status().message(), "BertScorer::Score: 2 candidates but 1 references");
  EXPECT_EQ((*scorer)->Score({"a", "b"}, {"a", "c\xC3"}).status().message(),
            "references[1]: invalid UTF-8 at byte 1");
  fs::remove_all(dir);
}

// The encoder side: HiddenState at the last layer is Forward's last_hidden_state; RoBERTa positions
// ignore right padding; a truncated load skips the later layers' tensors.
TEST(BertScoreTest, EncoderHiddenStatesAndTruncatedLoad) {
  torch::NoGradGuard no_grad;
  absl::StatusOr<std::shared_ptr<nn::BertModel>> full = nn::LoadBertFamilyModel(RobertaDir().string(), {false, -1});
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_FALSE((*full)->has_pooler());
  const torch::Tensor ids = torch::tensor({{0, 300, 301, 2}, {0, 300, 2, 1}}, torch::kLong);
  const torch::Tensor mask = torch::tensor({{1, 1, 1, 1}, {1, 1, 1, 0}}, torch::kLong);
  const torch::Tensor last = (*full)->Forward(ids, mask).last_hidden_state;
  EXPECT_TRUE(torch::equal((*full)->HiddenState(ids, mask, 3), last));
  EXPECT_FALSE((*full)->Forward(ids, mask).pooler_output.defined());
  const torch::Tensor alone = (*full)->HiddenState(ids.narrow(0, 1, 1).narrow(1, 0, 3), {}, 2);
  EXPECT_LE((alone[0] - (*full)->HiddenState(ids, mask, 2)[1].narrow(0, 0, 3)).abs().max().item<double>(), 1e-6);
  absl::StatusOr<std::shared_ptr<nn::BertModel>> cut = nn::LoadBertFamilyModel(RobertaDir().string(), {false, 2});
  ASSERT_TRUE(cut.ok()) << cut.status();
  EXPECT_EQ((*cut)->config().num_hidden_layers, 2);
  EXPECT_TRUE(torch::equal((*cut)->HiddenState(ids, mask, 2), (*full)->HiddenState(ids, mask, 2)));
  EXPECT_EQ(nn::LoadBertFamilyModel(RobertaDir().string(), {false, 4}).status().message(),
            (RobertaDir() / "config.json").string() +
                ": field \"num_hidden_layers\": the model has 3 layers, 4 were asked for");
  // With a pooler, the RoBERTa checkpoint (which has none) does not load.
  EXPECT_THAT(nn::LoadBertFamilyModel(RobertaDir().string(), {true, -1}).status().message(),
              HasSubstr("checkpoint lacks tensor 'roberta.pooler.dense.weight'"));
  absl::StatusOr<nn::BertConfig> c = nn::LoadBertFamilyConfig(RobertaDir().string());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->family, nn::BertFamily::kRoberta);
  EXPECT_EQ(c->max_sequence_length(), 38);
  EXPECT_EQ(nn::ParseBertFamilyConfig(R"({"model_type": "roberta"})", "c.json")->vocab_size, 50265);
  EXPECT_EQ(nn::ParseBertFamilyConfig(R"({"model_type": "roberta", "max_position_embeddings": 2})", "c.json")
                .status()
                .message(),
            "c.json: field \"max_position_embeddings\": 2 leaves no position after pad_token_id 1 (RoBERTa "
            "positions start at pad_token_id + 1)");
}

}  // namespace
}  // namespace ecgbench::worker::infer
