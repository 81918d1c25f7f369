// ECG encoders (worker/nn/ecg_encoders): options, presets and errors, the patch-size rule, shapes of
// the projection and masked-autoencoder kinds, seeded masking, deterministic row-independent
// embeddings, the masked-patch loss, and safetensors round trips with their errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "common/model_io/safetensors_writer.h"
#include "tests/unit/worker/nn/ecg_encoders/test_util.h"
#include "worker/nn/ecg_encoders/ecg_encoder.h"
#include "worker/nn/ecg_encoders/encoder_io.h"
#include "worker/nn/ecg_encoders/mae.h"

namespace ecgbench::worker::nn {
namespace {

using testing::kTinyLen;
using testing::MakeTiny;
using testing::RandomSignal;
using testing::TinyOptions;

std::shared_ptr<MaskedAutoencoder> TinyMae(const std::string& kind, uint64_t seed = 1) {
  return std::dynamic_pointer_cast<MaskedAutoencoder>(MakeTiny(kind, seed));
}

std::string ResolveError(EcgEncoderOptions o) {
  absl::StatusOr<EcgEncoderOptions> r = ResolveEcgEncoderOptions(o);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(PatchSizeTest, FollowsUpstreamRule) {
  EXPECT_EQ(PatchSizeFor(500), 20);
  EXPECT_EQ(PatchSizeFor(1250), 50);
  EXPECT_EQ(PatchSizeFor(2500), 100);
  EXPECT_EQ(PatchSizeFor(128), 4);   // 32 patches
  EXPECT_EQ(PatchSizeFor(2250), 75);  // ST-MEM's own default: 30 patches
  EXPECT_EQ(PatchSizeFor(10), 1);     // no divisor gives 16..64 patches: closest to int(sqrt(10 / 32)) = 0
  EXPECT_EQ(PatchSizeFor(7919), 1);   // a prime: target int(sqrt(247.5)) = 15, divisors 1 and 7919
}

TEST(OptionsTest, BasePresetIsUpstreams) {
  EcgEncoderOptions o;
  o.kind = "st_mem";
  o.segment_len = 1250;
  absl::StatusOr<EcgEncoderOptions> r = ResolveEcgEncoderOptions(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->width, 768);
  EXPECT_EQ(r->depth, 12);
  EXPECT_EQ(r->heads, 12);
  EXPECT_EQ(r->mlp_dim, 3072);
  EXPECT_EQ(r->decoder_width, 256);
  EXPECT_EQ(r->decoder_depth, 4);
  EXPECT_EQ(r->decoder_heads, 4);
  EXPECT_EQ(r->patch_size, 50);
  EXPECT_DOUBLE_EQ(r->mask_ratio, 0.75);
  o.kind = "merl";
  r = ResolveEcgEncoderOptions(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->resnet_blocks, (std::vector<int64_t>{3, 4, 23, 3}));
  EXPECT_EQ(r->resnet_width, 64);
  EXPECT_EQ(r->merl_dim, 256);
  EXPECT_EQ(r->merl_heads, 4);
  EXPECT_EQ(r->text_dim, 768);
  o.kind = "mlae";
  r = ResolveEcgEncoderOptions(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->patch_size, 1);
}

TEST(OptionsTest, ErrorsNameTheField) {
  EcgEncoderOptions o = TinyOptions("foo");
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'kind': 'foo' is not one of projection, st_mem, mtae, mlae, merl");
  o = TinyOptions("st_mem");
  o.preset = "huge";
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'preset': 'huge' is not base or tiny");
  o = TinyOptions("st_mem");
  o.segment_len = 0;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'segment_len': must be positive, got 0");
  o = TinyOptions("mtae");
  o.width = 30;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'width': 30 is not divisible by its 4 heads");
  o = TinyOptions("st_mem");
  o.decoder_width = 9;
  o.decoder_heads = 3;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'decoder_width': 9 must be even (sin-cos positions)");
  o = TinyOptions("st_mem");
  o.patch_size = 7;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'patch_size': 7 does not divide segment_len 128");
  o = TinyOptions("mlae");
  o.patch_size = 2;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'patch_size': mlae uses one lead per patch (0 or 1), got 2");
  o = TinyOptions("st_mem");
  o.mask_ratio = 1.0;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'mask_ratio': 1 is outside [0, 1)");
  o = TinyOptions("mlae");
  o.mask_ratio = 0.95;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'mask_ratio': 0.95 keeps no patch of 12");
  o = TinyOptions("merl");
  o.resnet_blocks = {3, 4};
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'resnet_blocks': needs 4 stage counts, got [3, 4]");
  o = TinyOptions("merl");
  o.merl_dim = 18;
  EXPECT_EQ(ResolveError(o), "ecg encoder option 'merl_dim': 18 is not divisible by its 4 heads");
  EXPECT_FALSE(CreateEcgEncoder(TinyOptions("bogus")).ok());
}

TEST(ShapesTest, EveryKindEmbedsToNTokens) {
  const torch::Tensor signal = RandomSignal(3, 7);
  torch::NoGradGuard no_grad;
  for (const auto& [kind, dim] : std::vector<std::pair<std::string, int64_t>>{
           {"projection", 12 * kTinyLen}, {"st_mem", 16}, {"mtae", 16}, {"mlae", 16}, {"merl", 128}}) {
    SCOPED_TRACE(kind);
    std::shared_ptr<EcgEncoder> encoder = MakeTiny(kind);
    ASSERT_NE(encoder, nullptr);
    EXPECT_EQ(encoder->embed_dim(), dim);
    const int64_t n = kind == "projection" ? 1 : 5;
    const torch::Tensor e = encoder->Embed(signal, n);
    EXPECT_EQ(e.sizes(), (std::vector<int64_t>{3, n, dim}));
    EXPECT_EQ(e.scalar_type(), torch::kFloat);
    EXPECT_TRUE(e.isfinite().all().item<bool>());
  }
}

TEST(ShapesTest, ProjectionIsTheLeadMajorFlattenedSignal) {
  std::shared_ptr<EcgEncoder> encoder = MakeTiny("projection");
  const torch::Tensor signal = RandomSignal(2, 3).to(torch::kDouble);
  const torch::Tensor e = encoder->Embed(signal, 1);
  EXPECT_EQ(e.size(2), 12 * kTinyLen);
  EXPECT_FLOAT_EQ(e[1][0][kTinyLen * 5 + 17].item<float>(), static_cast<float>(signal[1][5][17].item<double>()));
  EXPECT_TRUE(encoder->parameters().empty());
  EXPECT_THROW(encoder->Embed(signal, 2), c10::Error);
}

TEST(ShapesTest, MaeForwardShapes) {
  const torch::Tensor signal = RandomSignal(2, 5);
  at::Generator g = at::detail::createCPUGenerator(3);
  torch::NoGradGuard no_grad;
  // ST-MEM: 32 patches of 4 per lead, 8 visible + 2 SEP per lead in the encoder.
  const MaeOutput st = TinyMae("st_mem")->ForwardMae(signal, 0.75, &g);
  EXPECT_EQ(st.pred.sizes(), (std::vector<int64_t>{2, 12, 32, 4}));
  EXPECT_EQ(st.mask.sizes(), (std::vector<int64_t>{2, 12, 32}));
  EXPECT_EQ(st.encoded.sizes(), (std::vector<int64_t>{2, 12 * 10, 32}));
  EXPECT_EQ(st.tokens.sizes(), (std::vector<int64_t>{2, 34, 16}));
  // MTAE: 32 time patches of 4 samples x 12 leads, 8 visible + CLS.
  const MaeOutput mt = TinyMae("mtae")->ForwardMae(signal, 0.75, &g);
  EXPECT_EQ(mt.pred.sizes(), (std::vector<int64_t>{2, 32, 48}));
  EXPECT_EQ(mt.encoded.sizes(), (std::vector<int64_t>{2, 9, 32}));
  EXPECT_EQ(mt.tokens.sizes(), (std::vector<int64_t>{2, 33, 16}));
  // MLAE: 12 lead patches of 128 samples, 3 visible + CLS.
  const MaeOutput ml = TinyMae("mlae")->ForwardMae(signal, 0.75, &g);
  EXPECT_EQ(ml.pred.sizes(), (std::vector<int64_t>{2, 12, kTinyLen}));
  EXPECT_EQ(ml.encoded.sizes(), (std::vector<int64_t>{2, 4, 32}));
  EXPECT_EQ(ml.tokens.sizes(), (std::vector<int64_t>{2, 13, 16}));
}

TEST(ShapesTest, BadSignalThrowsNamingTheShape) {
  std::shared_ptr<EcgEncoder> encoder = MakeTiny("st_mem");
  try {
    encoder->Embed(torch::zeros({2, 12, 100}), 1);
    FAIL() << "no exception";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ecg encoder 'st_mem': signal must be a floating [B, 12, 128] tensor, got "
                                         "[2, 12, 100]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(encoder->Embed(torch::zeros({2, 12, kTinyLen}, torch::kLong), 1), c10::Error);
}

TEST(MaskingTest, KeepsAQuarterPerLeadAndIsReproducible) {
  const torch::Tensor signal = RandomSignal(3, 5);
  torch::NoGradGuard no_grad;
  for (const std::string kind : {"st_mem", "mtae", "mlae"}) {
    SCOPED_TRACE(kind);
    std::shared_ptr<MaskedAutoencoder> mae = TinyMae(kind);
    at::Generator g1 = at::detail::createCPUGenerator(42), g2 = at::detail::createCPUGenerator(42);
    at::Generator g3 = at::detail::createCPUGenerator(43);
    const MaeOutput a = mae->ForwardMae(signal, 0.75, &g1);
    const MaeOutput b = mae->ForwardMae(signal, 0.75, &g2);
    const MaeOutput c = mae->ForwardMae(signal, 0.75, &g3);
    const int64_t n = a.mask.size(-1);
    // Every row (ST-MEM: every lead of every sample) keeps exactly n / 4 patches visible.
    EXPECT_TRUE((a.mask.sum(-1) == static_cast<double>(n - n / 4)).all().item<bool>()) << a.mask.sum(-1);
    EXPECT_TRUE(torch::equal(a.mask, b.mask));
    EXPECT_TRUE(torch::equal(a.pred, b.pred));
    EXPECT_FALSE(torch::equal(a.mask, c.mask));
    // restore is a permutation per row.
    EXPECT_TRUE(torch::equal(std::get<0>(a.restore.sort(-1)), torch::arange(n).expand(a.restore.sizes())));
  }
}

TEST(MaskingTest, RandomPatchMaskMatchesTheNoiseOrder) {
  at::Generator g = at::detail::createCPUGenerator(9);
  const PatchMask m = RandomPatchMask({2, 3}, 25, 0.75, &g, torch::kCPU);
  EXPECT_EQ(m.num_keep, 6);  // int(25 * 0.25), as upstream
  EXPECT_TRUE((m.mask.sum(-1) == 19.0).all().item<bool>());
  // The kept indices are exactly the visible positions.
  const torch::Tensor visible = torch::zeros({2, 3, 25}).scatter_(-1, m.keep, 1.0);
  EXPECT_TRUE(torch::equal(visible, 1.0 - m.mask));
  const PatchMask none = RandomPatchMask({2}, 12, 0.0, nullptr, torch::kCPU);
  EXPECT_FALSE(none.shuffled);
  EXPECT_EQ(none.mask.sum().item<double>(), 0.0);
  EXPECT_THROW(RandomPatchMask({2}, 12, 0.5, nullptr, torch::kCPU), c10::Error);
}

TEST(EmbedTest, DeterministicAndRowIndependent) {
  const torch::Tensor signal = RandomSignal(4, 11);
  torch::Tensor changed = signal.clone();
  changed[1] = RandomSignal(1, 12)[0];
  changed[3] = 0.5;
  torch::NoGradGuard no_grad;
  for (const std::string kind : {"projection", "st_mem", "mtae", "mlae", "merl"}) {
    SCOPED_TRACE(kind);
    std::shared_ptr<EcgEncoder> encoder = MakeTiny(kind);
    const int64_t n = kind == "projection" ? 1 : 3;
    const torch::Tensor a = encoder->Embed(signal, n);
    const torch::Tensor b = encoder->Embed(signal, n);
    EXPECT_TRUE(torch::equal(a, b));  // bitwise
    const torch::Tensor c = encoder->Embed(changed, n);
    EXPECT_TRUE(torch::equal(a[0], c[0]));
    EXPECT_TRUE(torch::equal(a[2], c[2]));
    EXPECT_FALSE(torch::equal(a[1], c[1]));
    // A row alone gives the same values as within the batch (up to summation order).
    EXPECT_TRUE(torch::allclose(encoder->Embed(signal.narrow(0, 2, 1), n)[0], a[2], 1e-5, 1e-6));
  }
}

TEST(EmbedTest, PoolsTheUnmaskedDecoderLatents) {
  std::shared_ptr<MaskedAutoencoder> mae = TinyMae("st_mem");
  const torch::Tensor signal = RandomSignal(2, 4);
  torch::NoGradGuard no_grad;
  const MaeOutput out = mae->ForwardMae(signal, 0.0, nullptr);
  EXPECT_EQ(out.mask.sum().item<double>(), 0.0);
  // N = T keeps every latent token; N = 1 is their mean.
  EXPECT_TRUE(torch::allclose(mae->Embed(signal, 34), out.tokens));
  EXPECT_TRUE(torch::allclose(mae->Embed(signal, 1)[0][0], out.tokens[0].mean(0), 1e-5, 1e-6));
}

TEST(MaeLossTest, OnlyMaskedPatchesCount) {
  std::shared_ptr<MaskedAutoencoder> mae = TinyMae("st_mem");
  const torch::Tensor signal = RandomSignal(2, 8);
  at::Generator g = at::detail::createCPUGenerator(5);
  torch::NoGradGuard no_grad;
  const MaeOutput out = mae->ForwardMae(signal, 0.75, &g);
  const torch::Tensor target = mae->Patchify(signal);
  const double loss = MaskedPatchMse(out.pred, target, out.mask).item<double>();
  // Visible patches' targets may change arbitrarily: the loss does not move.
  const torch::Tensor visible = (1.0 - out.mask).unsqueeze(-1);
  const torch::Tensor perturbed_visible = target + 100.0 * visible;
  EXPECT_EQ(MaskedPatchMse(out.pred, perturbed_visible, out.mask).item<double>(), loss);
  // A masked patch's target does move it.
  const torch::Tensor perturbed_masked = target + 0.5 * out.mask.unsqueeze(-1);
  EXPECT_NE(MaskedPatchMse(out.pred, perturbed_masked, out.mask).item<double>(), loss);
  // Hand check: mean over masked patches of the per-patch mean squared error.
  const torch::Tensor per_patch = (out.pred - target).pow(2).mean(-1);
  EXPECT_NEAR(loss, per_patch.masked_select(out.mask.to(torch::kBool)).mean().item<double>(), 1e-6);
  // PretrainLoss is that loss with the options' ratio and the same generator state.
  at::Generator g2 = at::detail::createCPUGenerator(5);
  EXPECT_DOUBLE_EQ(mae->PretrainLoss(signal, g2).item<double>(), loss);
}

TEST(WeightsTest, RoundTripEveryKind) {
  const std::filesystem::path dir = testing::FreshDir("roundtrip");
  const torch::Tensor signal = RandomSignal(2, 21);
  torch::NoGradGuard no_grad;
  for (const std::string kind : {"projection", "st_mem", "mtae", "mlae", "merl"}) {
    SCOPED_TRACE(kind);
    std::shared_ptr<EcgEncoder> saved = MakeTiny(kind, 1);
    const std::string path = (dir / (kind + ".safetensors")).string();
    ASSERT_TRUE(SaveEcgEncoder(*saved, path).ok());
    std::shared_ptr<EcgEncoder> other = MakeTiny(kind, 2);
    ASSERT_TRUE(LoadEcgEncoderWeights(*other, path).ok());
    const int64_t n = kind == "projection" ? 1 : 2;
    EXPECT_TRUE(torch::equal(saved->Embed(signal, n), other->Embed(signal, n)));
    absl::StatusOr<std::shared_ptr<EcgEncoder>> loaded = LoadEcgEncoder(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ((*loaded)->options().kind, kind);
    EXPECT_EQ((*loaded)->options().width, saved->options().width);
    EXPECT_EQ((*loaded)->options().resnet_blocks, saved->options().resnet_blocks);
    EXPECT_TRUE(torch::equal(saved->Embed(signal, n), (*loaded)->Embed(signal, n)));
  }
  std::filesystem::remove_all(dir);
}

TEST(WeightsTest, StableUpstreamNames) {
  std::shared_ptr<EcgEncoder> st = MakeTiny("st_mem");
  const auto params = st->named_parameters();
  for (const char* name :
       {"encoder.to_patch_embedding.1.weight", "encoder.to_patch_embedding.2.weight", "encoder.to_patch_embedding.3.bias",
        "encoder.pos_embedding", "encoder.sep_embedding", "encoder.lead_embeddings.11", "encoder.block1.attn.norm.weight",
        "encoder.block0.attn.fn.to_qkv.weight", "encoder.block0.attn.fn.to_out.0.bias", "encoder.block0.ff.fn.net.0.weight",
        "encoder.block0.ff.fn.net.3.weight", "encoder.norm.weight", "to_decoder_embedding.weight", "mask_embedding",
        "decoder_pos_embed", "decoder_blocks.0.ff.norm.bias", "decoder_norm.weight", "decoder_head.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  EXPECT_FALSE(params["encoder.pos_embedding"].requires_grad());
  EXPECT_FALSE(params["decoder_pos_embed"].requires_grad());
  EXPECT_NE(MakeTiny("mtae")->named_parameters().find("encoder.cls_embedding"), nullptr);
}

TEST(WeightsTest, LoadErrorsNameFileTensorAndShapes) {
  const std::filesystem::path dir = testing::FreshDir("errors");
  const std::string path = (dir / "st.safetensors").string();
  ASSERT_TRUE(SaveEcgEncoder(*MakeTiny("st_mem"), path).ok());

  absl::Status s = LoadEcgEncoderWeights(*MakeTiny("mtae"), path);
  EXPECT_EQ(std::string(s.message()), path + ": holds a 'st_mem' ECG encoder, the model is 'mtae'");

  EcgEncoderOptions wide = TinyOptions("st_mem");
  wide.mlp_dim = 48;
  std::shared_ptr<EcgEncoder> other = *CreateEcgEncoder(wide);
  s = LoadEcgEncoderWeights(*other, path);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), path + ": checkpoint tensor 'encoder.block0.ff.fn.net.0.weight' has shape [64, 32], the model "
                                "expects [48, 32]");

  // A file without a tensor the model has, and one with a tensor the model lacks.
  common::model_io::SafetensorsWriter writer;
  const float value = 1.0f;
  ASSERT_TRUE(writer.AddFloat32("encoder.extra", {1}, {&value, 1}).ok());
  const std::string partial = (dir / "partial.safetensors").string();
  ASSERT_TRUE(writer.Write(partial).ok());
  s = LoadEcgEncoderWeights(*MakeTiny("st_mem"), partial);
  EXPECT_EQ(std::string(s.message()), partial + ": lacks tensor 'mask_embedding' (the model's shape [1, 1, 16])");
  s = LoadEcgEncoderWeights(*MakeTiny("projection"), partial);
  EXPECT_EQ(std::string(s.message()), partial + ": has tensors the 'projection' encoder does not: encoder.extra");
  absl::StatusOr<std::shared_ptr<EcgEncoder>> none = LoadEcgEncoder(partial);
  EXPECT_EQ(std::string(none.status().message()), partial + ": no 'ecg_encoder.kind' metadata (not an ECG encoder file)");
  EXPECT_EQ(LoadEcgEncoder((dir / "missing.safetensors").string()).status().code(), absl::StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(WeightsTest, MetadataRoundTripAndErrors) {
  EcgEncoderOptions o = TinyOptions("merl", 77);
  o.resnet_blocks = {2, 1, 3, 1};
  o.merl_dropout = 0.125;
  const std::map<std::string, std::string> m = EcgEncoderMetadata(o);
  EXPECT_EQ(m.at("ecg_encoder.resnet_blocks"), "2,1,3,1");
  absl::StatusOr<EcgEncoderOptions> back = EcgEncoderOptionsFromMetadata(m, "f");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->kind, "merl");
  EXPECT_EQ(back->seed, 77u);
  EXPECT_EQ(back->resnet_blocks, o.resnet_blocks);
  EXPECT_DOUBLE_EQ(back->merl_dropout, 0.125);
  std::map<std::string, std::string> bad = m;
  bad["ecg_encoder.width"] = "wide";
  EXPECT_EQ(EcgEncoderOptionsFromMetadata(bad, "f").status().message(),
            "f: metadata 'ecg_encoder.width' has an unparsable value 'wide'");
}

}  // namespace
}  // namespace ecgbench::worker::nn
