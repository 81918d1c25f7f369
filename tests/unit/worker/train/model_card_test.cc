// Model cards (worker/train/model_card.h): the front matter is YAML of key: value and "- item"
// lines that yaml-cpp reads back (peft with an adapter, quoting of odd values, license only when
// known), the spec appears verbatim in a fence longer than any backtick run in it, the metrics
// table, the unknown-license note, and the fields FillModelCardFromSpec takes from a spec.
#include "worker/train/model_card.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/spec/spec.h"

namespace ecgbench::worker::train {
namespace {

constexpr char kSpec[] = R"yaml(name: ecgqa-token
description: ECG-Byte on ECG-QA
data:
  base: ptbxl
  root: /data/ptb-xl
  mapped: ecg-qa-ptbxl
  mapped_root: /data/ecg-qa
  fold: 2
  folds: {k: 5, seed: 42}
representation: {kind: token}
model:
  llm: {path: /models/Llama-3.2-1B-Instruct, template: llama3}
  lora: {rank: 8, alpha: 16, dropout: 0.1, targets: [q, v]}
train: {batch_size: 2}
)yaml";

ModelCard Card() {
  ModelCard card;
  card.name = "ecgqa-token";
  card.base_model = "meta-llama/Llama-3.2-1B-Instruct";
  card.base_model_path = "/models/Llama-3.2-1B-Instruct";
  card.elm_kind = "ecg_byte";
  card.representation = "token";
  card.lora = ModelCardLora{8, 16, 0.1, {"q_proj", "v_proj"}, false};
  card.added_tokens = 5;
  card.datasets = {"ptbxl", "ecg-qa-ptbxl"};
  card.fold = "fold 2 of 5 held out";
  card.spec_text = kSpec;
  card.training.steps = 1200;
  card.training.epochs = 1;
  card.training.final_train_loss = 0.81234;
  card.training.best_val_loss = 0.9;
  card.training.best_step = 1000;
  card.metrics = {{"bleu", "signal", 0.123456, 0.1, 0.15}, {"accuracy", "zeros", 0.5, std::nullopt, std::nullopt}};
  card.software_version = "ecgbench 9.9.9 (LibTorch 1.13.0)";
  card.files = {{"adapter/", "PEFT LoRA adapter"}, {"elm.safetensors", "added vocabulary rows"}};
  return card;
}

// The lines between the opening and the closing "---".
std::string FrontMatter(const std::string& card) {
  EXPECT_EQ(card.rfind("---\n", 0), 0u);
  const size_t end = card.find("\n---\n", 4);
  EXPECT_NE(end, std::string::npos);
  return card.substr(4, end - 4 + 1);
}

TEST(ModelCard, FrontMatterIsYamlWithPeftAndTags) {
  const std::string text = RenderModelCard(Card());
  const std::string front = FrontMatter(text);
  const std::regex line(R"(^([a-z_]+: \S.*|[a-z_]+:|- \S.*)$)");
  for (absl::string_view l : absl::StrSplit(front, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(std::regex_match(std::string(l), line)) << l;
  }
  const YAML::Node yaml = YAML::Load(front);
  EXPECT_EQ(yaml["base_model"].as<std::string>(), "meta-llama/Llama-3.2-1B-Instruct");
  EXPECT_EQ(yaml["library_name"].as<std::string>(), "peft");
  EXPECT_EQ(yaml["pipeline_tag"].as<std::string>(), "text-generation");
  EXPECT_FALSE(yaml["license"].IsDefined());
  std::vector<std::string> tags;
  for (const YAML::Node& t : yaml["tags"]) tags.push_back(t.as<std::string>());
  EXPECT_EQ(tags, (std::vector<std::string>{"ecg", "electrocardiogram", "ecg-bench", "elm", "ecg-byte",
                                            "representation-token", "lora", "ptbxl", "ecg-qa-ptbxl"}));
  EXPECT_NE(text.find("The license of the base model `meta-llama/Llama-3.2-1B-Instruct` is unknown to ECG-Bench"),
            std::string::npos);
  EXPECT_NE(text.find("| Fine-tuning | LoRA (r 8, alpha 16, dropout 0.1, targets q_proj, v_proj) |"),
            std::string::npos);
  EXPECT_NE(text.find("| Added vocabulary | 5 tokens |\n| Fine-tuning |"), std::string::npos);
  EXPECT_NE(text.find("# ecgqa-token (ECG-Bench ELM)\n"), std::string::npos);
  EXPECT_NE(
      text.find(
          "- Steps: 1200 (1 epochs)\n- Final training loss: 0.8123\n- Best validation loss: 0.9000 (step 1000)\n"),
      std::string::npos);
  EXPECT_NE(text.find("Exported by ecgbench 9.9.9 (LibTorch 1.13.0).\n"), std::string::npos);
}

TEST(ModelCard, OddValuesAreQuotedAndLicenseShownWhenKnown) {
  ModelCard card = Card();
  card.base_model = "my model: v2 #1";
  card.base_model_license = "llama3.2";
  card.lora.reset();
  card.full_fine_tuning = true;
  card.extra_tags = {"yes", "3.2", "ecg"};
  const std::string text = RenderModelCard(card);
  const YAML::Node yaml = YAML::Load(FrontMatter(text));
  EXPECT_EQ(yaml["base_model"].as<std::string>(), "my model: v2 #1");
  EXPECT_EQ(yaml["library_name"].as<std::string>(), "transformers");
  EXPECT_EQ(yaml["license"].as<std::string>(), "llama3.2");
  const YAML::Node tags = yaml["tags"];
  ASSERT_EQ(tags.size(), 10u);    // "ecg" only once
  EXPECT_EQ(tags[8].Tag(), "!");  // quoted: a string, not a boolean
  EXPECT_EQ(tags[8].as<std::string>(), "yes");
  EXPECT_EQ(tags[9].as<std::string>(), "3.2");
  EXPECT_NE(text.find("are subject to its license (`llama3.2`)"), std::string::npos);
  EXPECT_NE(text.find("| Fine-tuning | full fine-tuning of the language model |"), std::string::npos);
}

TEST(ModelCard, SpecVerbatimAndMetricsTable) {
  const std::string text = RenderModelCard(Card());
  EXPECT_NE(text.find(std::string("## Experiment spec\n\n```yaml\n") + kSpec + "```\n"), std::string::npos);
  EXPECT_NE(text.find("| Metric | Ablation | Value | 95% CI |\n|---|---|---|---|\n"
                      "| bleu | signal | 0.1235 | [0.1000, 0.1500] |\n"
                      "| accuracy | zeros | 0.5000 |  |\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("- Data sets: ptbxl, ecg-qa-ptbxl\n- Held-out split: fold 2 of 5 held out\n"), std::string::npos);
  EXPECT_NE(text.find("- `elm.safetensors`: added vocabulary rows\n"), std::string::npos);

  ModelCard fenced = Card();
  fenced.spec_text = "description: |\n  ```code``` and ````more````\n";
  fenced.metrics = {{"a|b", "signal", 1, std::nullopt, std::nullopt}};
  const std::string text2 = RenderModelCard(fenced);
  EXPECT_NE(text2.find("`````yaml\ndescription: |\n  ```code``` and ````more````\n`````\n"), std::string::npos);
  EXPECT_NE(text2.find("| a\\|b | signal | 1.0000 |  |"), std::string::npos);

  ModelCard empty;
  const std::string text3 = RenderModelCard(empty);
  EXPECT_NE(text3.find("No evaluation metrics were recorded with this export."), std::string::npos);
  EXPECT_NE(text3.find("The spec was not recorded with this export."), std::string::npos);
  EXPECT_NE(text3.find("No training summary was recorded."), std::string::npos);
  EXPECT_NE(text3.find("# ECG-Bench ELM\n"), std::string::npos);
  EXPECT_NE(text3.find("Exported by " + DefaultSoftwareVersion() + "."), std::string::npos);
  EXPECT_EQ(DefaultSoftwareVersion().rfind("ecgbench ", 0), 0u);
}

TEST(ModelCard, FillsFromASpec) {
  absl::StatusOr<common::ExperimentSpec> spec = common::ParseSpec(kSpec, "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ModelCard card;
  FillModelCardFromSpec(*spec, kSpec, &card);
  EXPECT_EQ(card.name, "ecgqa-token");
  EXPECT_EQ(card.description, "ECG-Byte on ECG-QA");
  EXPECT_EQ(card.elm_kind, "ecg_byte");
  EXPECT_EQ(card.representation, "token");
  EXPECT_EQ(card.encoder, "");
  EXPECT_EQ(card.base_model_path, "/models/Llama-3.2-1B-Instruct");
  ASSERT_TRUE(card.lora.has_value());
  EXPECT_EQ(card.lora->rank, 8);
  EXPECT_EQ(card.lora->targets, (std::vector<std::string>{"q", "v"}));
  EXPECT_EQ(card.datasets, (std::vector<std::string>{"ptbxl", "ecg-qa-ptbxl"}));
  EXPECT_EQ(card.fold, "fold 2 of 5 held out (seed 42, grouped by patient)");
  EXPECT_EQ(card.spec_text, kSpec);
  EXPECT_EQ(card.spec_language, "yaml");

  ModelCard from_json;
  FillModelCardFromSpec(*spec, "", &from_json);
  EXPECT_EQ(from_json.spec_language, "json");
  EXPECT_NE(from_json.spec_text.find("\"name\": \"ecgqa-token\""), std::string::npos);
}

}  // namespace
}  // namespace ecgbench::worker::train
