// PEFT adapter files: adapter_config.json as PEFT 0.13 writes it, round trips, unsupported
// variants, target-module matching, and the key naming of adapter_model.safetensors per architecture.
#include "common/model_io/peft_adapter.h"
#include "common/model_io/peft_keys.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tests/unit/model_io/test_util.h"

namespace ecgbench::common::model_io {
namespace {

// adapter_config.json as PEFT 0.13 saves it for a Llama-3.2-1B LoRA (r 16, alpha 32, all seven).
constexpr char kPeftWritten[] = R"({
  "alpha_pattern": {},
  "auto_mapping": null,
  "base_model_name_or_path": "meta-llama/Llama-3.2-1B-Instruct",
  "bias": "none",
  "fan_in_fan_out": false,
  "inference_mode": true,
  "init_lora_weights": true,
  "layer_replication": null,
  "layers_pattern": null,
  "layers_to_transform": null,
  "loftq_config": {},
  "lora_alpha": 32,
  "lora_dropout": 0.05,
  "megatron_config": null,
  "megatron_core": "megatron.core",
  "modules_to_save": null,
  "peft_type": "LORA",
  "r": 16,
  "rank_pattern": {},
  "revision": null,
  "target_modules": [
    "v_proj",
    "down_proj",
    "gate_proj",
    "q_proj",
    "up_proj",
    "o_proj",
    "k_proj"
  ],
  "task_type": "CAUSAL_LM",
  "use_dora": false,
  "use_rslora": false
}
)";

TEST(PeftAdapterTest, ReadsPeftFileAndWritesItBackIdentically) {
  absl::StatusOr<LoraAdapterConfig> c = ParseLoraAdapterConfig(kPeftWritten, "adapter_config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->r, 16);
  EXPECT_EQ(c->lora_alpha, 32.0);
  EXPECT_EQ(c->lora_dropout, 0.05);
  EXPECT_EQ(c->Scaling(), 2.0);
  EXPECT_EQ(c->bias, LoraBias::kNone);
  EXPECT_EQ(c->task_type, "CAUSAL_LM");
  EXPECT_EQ(c->base_model_name_or_path, "meta-llama/Llama-3.2-1B-Instruct");
  ASSERT_TRUE(c->target_modules.has_value());
  EXPECT_EQ(c->target_modules->size(), 7u);
  EXPECT_FALSE(c->target_modules_regex.has_value());
  EXPECT_TRUE(c->modules_to_save.empty());
  EXPECT_EQ(SerializeLoraAdapterConfig(*c), kPeftWritten);
}

TEST(PeftAdapterTest, DefaultsStringTargetsAndFileRoundTrip) {
  absl::StatusOr<LoraAdapterConfig> c = ParseLoraAdapterConfig(
      R"j({"peft_type": "LORA", "target_modules": ".*\\.(q_proj|v_proj)", "fan_in_fan_out": true,
          "modules_to_save": "lm_head", "use_rslora": true, "r": 4, "lora_alpha": 6, "bias": "lora_only"})j",
      "a.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->target_modules_regex, ".*\\.(q_proj|v_proj)");
  EXPECT_TRUE(c->fan_in_fan_out);
  EXPECT_EQ(c->modules_to_save, std::vector<std::string>{"lm_head"});
  EXPECT_EQ(c->Scaling(), 3.0);  // rsLoRA: alpha / sqrt(r)
  EXPECT_EQ(c->bias, LoraBias::kLoraOnly);
  EXPECT_EQ(c->lora_dropout, 0.0);
  EXPECT_TRUE(*c->TargetsModule("model.layers.3.self_attn.q_proj"));
  EXPECT_FALSE(*c->TargetsModule("model.layers.3.self_attn.k_proj"));
  EXPECT_FALSE(*c->TargetsModule("q_proj"));  // the regex must match the whole path
  testing::TempDir dir;
  ASSERT_TRUE(WriteLoraAdapterConfig(*c, dir / kAdapterConfigName).ok());
  absl::StatusOr<LoraAdapterConfig> back = LoadLoraAdapterConfig(dir.path());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->target_modules_regex, c->target_modules_regex);
  EXPECT_EQ(back->r, 4);
  EXPECT_EQ(back->lora_alpha, 6.0);
  EXPECT_TRUE(back->use_rslora);
  EXPECT_EQ(back->modules_to_save, std::vector<std::string>{"lm_head"});

  absl::StatusOr<LoraAdapterConfig> d = ParseLoraAdapterConfig(R"({"peft_type": "LORA"})", "a.json");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->r, 8);
  EXPECT_EQ(d->lora_alpha, 8.0);
  EXPECT_FALSE(d->target_modules.has_value());
  EXPECT_TRUE(*d->TargetsModule("model.layers.0.self_attn.v_proj", DefaultPeftTargetModules(Architecture::kLlama)));
  EXPECT_FALSE(*d->TargetsModule("model.layers.0.self_attn.o_proj", DefaultPeftTargetModules(Architecture::kLlama)));
  EXPECT_TRUE(*d->TargetsModule("transformer.h.0.attn.c_attn", DefaultPeftTargetModules(Architecture::kGpt2)));
  absl::StatusOr<LoraAdapterConfig> all = ParseLoraAdapterConfig(R"({"peft_type": "LORA", "target_modules": "all-linear"})", "a.json");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(*all->TargetsModule("model.layers.0.mlp.down_proj"));
  EXPECT_FALSE(*all->TargetsModule("lm_head"));
}

TEST(PeftAdapterTest, ListTargetsMatchExactlyOrBySuffix) {
  LoraAdapterConfig c;
  c.target_modules = std::vector<std::string>{"c_attn", "attn.c_proj"};
  EXPECT_TRUE(*c.TargetsModule("transformer.h.11.attn.c_attn"));
  EXPECT_TRUE(*c.TargetsModule("transformer.h.0.attn.c_proj"));
  EXPECT_FALSE(*c.TargetsModule("transformer.h.0.mlp.c_proj"));
  EXPECT_FALSE(*c.TargetsModule("transformer.h.0.attn.xc_attn"));
  EXPECT_TRUE(*c.TargetsModule("c_attn"));
}

TEST(PeftAdapterTest, UnsupportedVariantsAreErrors) {
  auto error = [](const std::string& text) {
    return std::string(ParseLoraAdapterConfig(text, "adapter_config.json").status().message());
  };
  EXPECT_EQ(error(R"({"peft_type": "IA3"})"), "adapter_config.json: field \"peft_type\": \"IA3\" is not supported (only LORA)");
  EXPECT_EQ(error(R"({"r": 8})"), "adapter_config.json: field \"peft_type\": required field is missing");
  EXPECT_EQ(error(R"({"peft_type": "LORA", "use_dora": true})"),
            "adapter_config.json: field \"use_dora\": DoRA is not supported, got true");
  EXPECT_EQ(error(R"({"peft_type": "LORA", "rank_pattern": {"q_proj": 4}})"),
            "adapter_config.json: field \"rank_pattern\": a per-module rank_pattern is not supported, got {\"q_proj\":4}");
  EXPECT_EQ(error(R"({"peft_type": "LORA", "layers_to_transform": [0, 1]})"),
            "adapter_config.json: field \"layers_to_transform\": layers_to_transform is not supported, got [0,1]");
  EXPECT_EQ(error(R"({"peft_type": "LORA", "r": 0})"), "adapter_config.json: field \"r\": must be a positive integer, got 0");
  EXPECT_EQ(error(R"({"peft_type": "LORA", "lora_dropout": 1.5})"),
            "adapter_config.json: field \"lora_dropout\": must be in [0, 1), got 1.5");
  EXPECT_EQ(error(R"({"peft_type": "LORA", "bias": "some"})"),
            "adapter_config.json: field \"bias\": must be \"none\", \"all\" or \"lora_only\", got \"some\"");
  EXPECT_EQ(error(R"({"peft_type": "LORA", "target_modules": [1]})"),
            "adapter_config.json: field \"target_modules\": list entries must be strings, got 1");
  EXPECT_NE(error(R"j({"peft_type": "LORA", "target_modules": "(q_proj"})j")
                .find("target_modules regex \"(q_proj\" is invalid"),
            std::string::npos);
}

TEST(PeftKeysTest, KeysRoundTrip) {
  const std::string key = PeftLoraKey("model.layers.0.self_attn.q_proj", LoraPart::kA);
  EXPECT_EQ(key, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  absl::StatusOr<PeftKey> parsed = ParsePeftKey(key);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, PeftKey::Kind::kLoraA);
  EXPECT_EQ(parsed->module_path, "model.layers.0.self_attn.q_proj");
  parsed = ParsePeftKey("base_model.model.transformer.h.3.attn.c_attn.lora_B.weight");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, PeftKey::Kind::kLoraB);
  EXPECT_EQ(parsed->module_path, "transformer.h.3.attn.c_attn");
  parsed = ParsePeftKey("base_model.model.lm_head.weight");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind, PeftKey::Kind::kSavedTensor);
  EXPECT_EQ(parsed->module_path, "lm_head.weight");
  EXPECT_EQ(ParsePeftKey("model.layers.0.q_proj.lora_A.weight").status().message(),
            "PEFT key 'model.layers.0.q_proj.lora_A.weight': does not start with \"base_model.model.\"");
  EXPECT_EQ(ParsePeftKey("base_model.model.x.lora_A.default.weight").status().message(),
            "PEFT key 'base_model.model.x.lora_A.default.weight': unsupported LoRA tensor (adapter-named keys, "
            "embedding LoRA, DoRA and LoRA biases are not supported)");
  EXPECT_FALSE(ParsePeftKey("base_model.model.embed_tokens.lora_embedding_A").ok());
  EXPECT_FALSE(ParsePeftKey("base_model.model.lora_A.weight").ok());
}

TEST(PeftKeysTest, ModulePathsPerArchitecture) {
  EXPECT_EQ(*LoraModulePath(Architecture::kLlama, 2, LoraTarget::kQ), "model.layers.2.self_attn.q_proj");
  EXPECT_EQ(*LoraModulePath(Architecture::kQwen2, 0, LoraTarget::kGate), "model.layers.0.mlp.gate_proj");
  EXPECT_EQ(*LoraModulePath(Architecture::kGemma2, 25, LoraTarget::kDown), "model.layers.25.mlp.down_proj");
  EXPECT_EQ(*LoraModulePath(Architecture::kGpt2, 1, LoraTarget::kK), "transformer.h.1.attn.c_attn");
  EXPECT_EQ(*LoraModulePath(Architecture::kGpt2, 1, LoraTarget::kO), "transformer.h.1.attn.c_proj");
  EXPECT_EQ(*LoraModulePath(Architecture::kGpt2, 1, LoraTarget::kUp), "transformer.h.1.mlp.c_fc");
  EXPECT_EQ(*LoraModulePath(Architecture::kGpt2, 1, LoraTarget::kDown), "transformer.h.1.mlp.c_proj");
  EXPECT_EQ(*LoraModulePath(Architecture::kOpt, 4, LoraTarget::kO), "model.decoder.layers.4.self_attn.out_proj");
  EXPECT_EQ(*LoraModulePath(Architecture::kOpt, 4, LoraTarget::kUp), "model.decoder.layers.4.fc1");
  EXPECT_EQ(LoraModulePath(Architecture::kOpt, 4, LoraTarget::kGate).status().message(),
            "LoRA target 'gate' does not exist in opt (no gated MLP)");
  EXPECT_EQ(LoraModulePath(Architecture::kLlama, -1, LoraTarget::kQ).status().message(),
            "LoRA module path: negative layer -1");
}

TEST(PeftKeysTest, TargetModuleNames) {
  const std::vector<LoraTarget> all = {LoraTarget::kQ,    LoraTarget::kK,  LoraTarget::kV,   LoraTarget::kO,
                                       LoraTarget::kGate, LoraTarget::kUp, LoraTarget::kDown};
  EXPECT_EQ(*PeftTargetModules(Architecture::kLlama, all),
            (std::vector<std::string>{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}));
  EXPECT_EQ(*PeftTargetModules(Architecture::kGpt2, {LoraTarget::kQ, LoraTarget::kV, LoraTarget::kO, LoraTarget::kDown}),
            (std::vector<std::string>{"c_attn", "attn.c_proj", "mlp.c_proj"}));
  EXPECT_EQ(*PeftTargetModules(Architecture::kOpt, {LoraTarget::kQ, LoraTarget::kO, LoraTarget::kUp, LoraTarget::kDown}),
            (std::vector<std::string>{"q_proj", "out_proj", "fc1", "fc2"}));
  EXPECT_FALSE(PeftTargetModules(Architecture::kGpt2, {LoraTarget::kGate}).ok());
  EXPECT_EQ(DefaultPeftTargetModules(Architecture::kGemma2), (std::vector<std::string>{"q_proj", "v_proj"}));
  EXPECT_TRUE(PeftFanInFanOut(Architecture::kGpt2));
  EXPECT_FALSE(PeftFanInFanOut(Architecture::kOpt));
  EXPECT_EQ(*ParseLoraTarget("q"), LoraTarget::kQ);
  EXPECT_EQ(*ParseLoraTarget("down_proj"), LoraTarget::kDown);
  EXPECT_EQ(ParseLoraTarget("c_attn").status().message(),
            "LoRA target 'c_attn' is not one of q, k, v, o, gate, up, down (or q_proj ... down_proj)");
  // Every module path the helpers produce is matched by the target names they produce.
  for (Architecture arch : {Architecture::kLlama, Architecture::kQwen2, Architecture::kGemma2}) {
    LoraAdapterConfig c;
    c.target_modules = *PeftTargetModules(arch, all);
    for (LoraTarget t : all) EXPECT_TRUE(*c.TargetsModule(*LoraModulePath(arch, 7, t)));
  }
  LoraAdapterConfig g;
  g.target_modules = *PeftTargetModules(Architecture::kGpt2, {LoraTarget::kO});
  EXPECT_TRUE(*g.TargetsModule(*LoraModulePath(Architecture::kGpt2, 0, LoraTarget::kO)));
  EXPECT_FALSE(*g.TargetsModule(*LoraModulePath(Architecture::kGpt2, 0, LoraTarget::kDown)));
}

}  // namespace
}  // namespace ecgbench::common::model_io
