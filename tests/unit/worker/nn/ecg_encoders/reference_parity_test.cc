// ECG encoders against reference_ecg_encoders.py (plain PyTorch written from the published ST-MEM /
// MaeFE / MERL definitions): tiny random weights written by SaveEcgEncoder, our outputs written as
// a case file, one python3 run comparing everything (<= 1e-4 max abs difference). The test fails,
// not skips, without python3-torch. Also: a few dozen AdamW steps of tiny ST-MEM pretraining
// lower the masked-patch loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "common/model_io/safetensors_writer.h"
#include "tests/unit/testing/run_command.h"
#include "tests/unit/worker/nn/ecg_encoders/test_util.h"
#include "worker/nn/ecg_encoders/contrastive_loss.h"
#include "worker/nn/ecg_encoders/encoder_io.h"
#include "worker/nn/ecg_encoders/mae.h"
#include "worker/nn/ecg_encoders/merl.h"

namespace ecgbench::worker::nn {
namespace {

namespace fs = std::filesystem;
using common::model_io::DType;
using common::model_io::SafetensorsWriter;
using testing::MakeTiny;
using testing::RandomSignal;

constexpr int64_t kTokens = 3;

// Random weights far from the init (which has zero biases and unit norms) so every term matters;
// frozen sin-cos positions stay as they are (the reference recomputes them). BatchNorm running
// statistics random too (the reference runs in eval mode).
void Randomize(EcgEncoder& encoder, uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator g = at::detail::createCPUGenerator(seed);
  for (auto& item : encoder.named_parameters()) {
    torch::Tensor p = item.value();
    if (!p.requires_grad()) continue;
    const std::string& name = item.key();
    const bool bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    if (p.dim() == 1 && !bias && name.find("weight") != std::string::npos) {
      p.normal_(1.0, 0.1, g);  // LayerNorm / BatchNorm scales
    } else if (p.dim() == 1) {
      p.normal_(0.0, bias ? 0.1 : 0.5, g);  // biases; SEP / CLS / lead embeddings
    } else {
      p.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(p.numel() / p.size(0))), g);
    }
  }
  for (auto& item : encoder.named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0.0, 0.1, g);
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 1.5, g);
  }
}

// Collects named float tensors (and int64 ones) for a case file; keeps them alive until Write.
class CaseWriter {
 public:
  void Float(const std::string& name, const torch::Tensor& t) {
    const torch::Tensor c = t.detach().to(torch::kFloat).contiguous();
    ASSERT_TRUE(writer_.AddFloat32(name, c.sizes().vec(), {c.data_ptr<float>(), static_cast<size_t>(c.numel())}).ok());
  }
  void Long(const std::string& name, const torch::Tensor& t) {
    kept_.push_back(t.to(torch::kLong).contiguous());
    const torch::Tensor& c = kept_.back();
    ASSERT_TRUE(writer_.Add(name, DType::kI64, c.sizes().vec(), c.data_ptr(), c.numel() * sizeof(int64_t)).ok());
  }
  void Write(const fs::path& path) {
    ASSERT_TRUE(writer_.SetMetadata("num_tokens", std::to_string(kTokens)).ok());
    ASSERT_TRUE(writer_.Write(path.string()).ok());
  }

 private:
  SafetensorsWriter writer_;
  std::vector<torch::Tensor> kept_;
};

void WriteMaeCase(const std::string& kind, const fs::path& dir) {
  std::shared_ptr<MaskedAutoencoder> mae = std::dynamic_pointer_cast<MaskedAutoencoder>(MakeTiny(kind, 3));
  Randomize(*mae, 17);
  ASSERT_TRUE(SaveEcgEncoder(*mae, (dir / "model.safetensors").string()).ok());
  torch::NoGradGuard no_grad;
  const torch::Tensor signal = RandomSignal(2, 5);
  CaseWriter c;
  c.Float("signal", signal);
  const MaeOutput plain = mae->ForwardMae(signal, 0.0, nullptr);
  c.Float("encoded", plain.encoded);
  c.Float("tokens", plain.tokens);
  c.Float("pred", plain.pred);
  c.Float("embed", mae->Embed(signal, kTokens));
  at::Generator g = at::detail::createCPUGenerator(23);
  const MaeOutput masked = mae->ForwardMae(signal, 0.75, &g);
  c.Long("masked_restore", masked.restore);
  c.Float("masked_encoded", masked.encoded);
  c.Float("masked_tokens", masked.tokens);
  c.Float("masked_pred", masked.pred);
  c.Float("masked_loss", MaskedPatchMse(masked.pred, mae->Patchify(signal), masked.mask).reshape({1}));
  c.Write(dir / "case.safetensors");
}

void WriteMerlCase(const fs::path& dir) {
  std::shared_ptr<MerlEncoder> merl = std::dynamic_pointer_cast<MerlEncoder>(MakeTiny("merl", 3));
  Randomize(*merl, 19);
  ASSERT_TRUE(SaveEcgEncoder(*merl, (dir / "model.safetensors").string()).ok());
  merl->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor signal = RandomSignal(3, 6);
  at::Generator g = at::detail::createCPUGenerator(29);
  const torch::Tensor text = torch::randn({3, merl->options().text_dim}, g);
  CaseWriter c;
  c.Float("signal", signal);
  c.Float("text", text);
  c.Float("resnet_out", merl->resnet->forward(signal));
  c.Float("embed", merl->Embed(signal, kTokens));
  const MerlPretrainOutput out = merl->PretrainForward(signal, g);
  c.Float("ecg", out.ecg);
  c.Float("view1", out.view1);
  c.Float("view2", out.view2);
  const torch::Tensor text_proj = merl->ProjectText(text);
  c.Float("text_proj", text_proj);
  const MerlLoss loss = ComputeMerlLoss(out.ecg, text_proj, out.view1, out.view2);
  c.Float("cma", loss.cma.reshape({1}));
  c.Float("uma", loss.uma.reshape({1}));
  c.Write(dir / "case.safetensors");
}

TEST(ReferenceParityTest, PythonReferenceAgrees) {
  const fs::path root = testing::FreshDir("parity");
  std::string dirs;
  for (const std::string kind : {"st_mem", "mtae", "mlae", "merl"}) {
    const fs::path dir = root / kind;
    fs::create_directories(dir);
    if (kind == "merl") {
      WriteMerlCase(dir);
    } else {
      WriteMaeCase(kind, dir);
    }
    dirs += " " + dir.string();
  }
  const test_support::CommandResult r =
      test_support::RunCommand(std::string("/usr/bin/python3 ") + ECGBENCH_ECG_ENCODER_REFERENCE + dirs);
  ASSERT_TRUE(r.ok()) << "reference_ecg_encoders.py failed (needs python3-torch: scripts/install-deps.sh):\n"
                      << r.output;
  std::cout << r.output;
  // Every line is "<kind>.<output>_max_abs_diff=X"; all must be present and small.
  const std::vector<std::string> mae_keys = {"pos_embedding", "decoder_pos_embed", "encoded",       "tokens",
                                             "pred",          "embed",             "masked_encoded", "masked_tokens",
                                             "masked_pred",   "masked_loss"};
  const std::vector<std::string> merl_keys = {"resnet_out", "embed", "ecg", "view1", "view2", "text_proj", "cma", "uma"};
  int checked = 0;
  for (const std::string kind : {"st_mem", "mtae", "mlae", "merl"}) {
    for (const std::string& key : kind == "merl" ? merl_keys : mae_keys) {
      const std::string tag = kind + "." + key + "_max_abs_diff=";
      const size_t at = r.output.find(tag);
      ASSERT_NE(at, std::string::npos) << tag << " missing in:\n" << r.output;
      EXPECT_LE(std::strtod(r.output.c_str() + at + tag.size(), nullptr), 1e-4) << tag;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3 * 10 + 8);
  if (const char* keep = std::getenv("ECGBENCH_NN_KEEP_CASES"); keep == nullptr || *keep == '\0') fs::remove_all(root);
}

// Smooth synthetic ECG-like rows: per lead a sum of two sines with seeded phases, in [0, 1].
torch::Tensor SmoothSignal(int64_t b, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  const torch::Tensor t = torch::arange(testing::kTinyLen, torch::kFloat).view({1, 1, -1}) / 16.0;
  const torch::Tensor phase = torch::rand({b, 12, 1}, g) * 6.28;
  const torch::Tensor freq = 1.0 + torch::rand({b, 12, 1}, g);
  return 0.5 + 0.3 * torch::sin(freq * t + phase) + 0.15 * torch::sin(3.0 * t + 2.0 * phase);
}

TEST(PretrainingTest, AdamWLowersTinyStMemLoss) {
  std::shared_ptr<MaskedAutoencoder> mae = std::dynamic_pointer_cast<MaskedAutoencoder>(MakeTiny("st_mem", 5));
  std::vector<torch::Tensor> trainable;
  for (const torch::Tensor& p : mae->parameters()) {
    if (p.requires_grad()) trainable.push_back(p);
  }
  torch::optim::AdamW optimizer(trainable, torch::optim::AdamWOptions(3e-3).betas({0.9, 0.99}).weight_decay(0.01));
  at::Generator masks = at::detail::createCPUGenerator(31);
  const torch::Tensor batch = SmoothSignal(8, 2);
  std::vector<double> losses;
  for (int step = 0; step < 40; ++step) {
    optimizer.zero_grad();
    const torch::Tensor loss = mae->PretrainLoss(batch, masks);
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  double first = 0.0, last = 0.0;
  for (int i = 0; i < 5; ++i) {
    first += losses[i] / 5.0;
    last += losses[losses.size() - 1 - i] / 5.0;
  }
  EXPECT_LT(last, 0.5 * first) << "first 5 steps " << first << ", last 5 steps " << last;
  for (double l : losses) EXPECT_TRUE(std::isfinite(l));
}

}  // namespace
}  // namespace ecgbench::worker::nn
