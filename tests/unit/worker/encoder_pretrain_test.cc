// The pretrain stage for the ECG encoders end to end in-process: real preprocess and dataset stages
// on a synthetic PTB-XL dataset, then tiny ST-MEM / MTAE / MLAE / MERL pretraining (loss falls,
// the encoder file loads, a finished artifact is reused, a preempted run resumes bitwise, MERL
// without a text encoder is refused, two Gloo ranks agree), and the train stage fine-tuning a
// LLaVA ELM on the pretrained encoder.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <thread>

#include "common/ecg/synth/dataset_writer.h"
#include "common/spec/spec_json.h"
#include "common/util/ids.h"
#include "nlohmann/json.hpp"
#include "tests/unit/worker/recording_context.h"
#include "tests/unit/worker/run_stages.h"
#include "worker/nn/ecg_encoders/encoder_io.h"
#include "worker/nn/random_model_folder.h"
#include "worker/stages/dataset_runner.h"
#include "worker/stages/encoder_pretrain.h"
#include "worker/stages/preprocess_runner.h"
#include "worker/stages/pretrain_runner.h"
#include "worker/stages/train_runner.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker {
namespace {

using nlohmann::json;
using test_support::RecordingContext;
namespace fs = std::filesystem;

// A test double for the frozen text encoder: each report's bytes hashed into `dim` counts.
class HashingTextEmbedder final : public TextEmbedder {
 public:
  absl::StatusOr<torch::Tensor> Embed(const std::vector<std::string>& texts) override {
    torch::Tensor out = torch::zeros({static_cast<int64_t>(texts.size()), dim()});
    for (size_t i = 0; i < texts.size(); ++i) {
      for (const char c : texts[i]) out[static_cast<int64_t>(i)][static_cast<unsigned char>(c) % dim()] += 0.1;
    }
    return out;
  }
  int64_t dim() const override { return 24; }
};

TextEmbedderFactory HashingFactory() {
  return [](const std::string&, const std::string&) -> absl::StatusOr<std::unique_ptr<TextEmbedder>> {
    return std::make_unique<HashingTextEmbedder>();
  };
}

// Two ranks in one process: a TaskContext whose rendezvous KV is shared.
class KvContext final : public TaskContext {
 public:
  KvContext(v1::Assignment a, train::InMemoryKv& kv) : assignment_(std::move(a)), kv_(kv) {}
  const v1::Assignment& assignment() const override { return assignment_; }
  void Log(v1::LogLevel, std::string_view) override {}
  void ReportProgress(int64_t, int64_t, std::string_view, std::string_view) override {}
  void ReportMetric(std::string_view name, double value, int64_t) override {
    if (name == "pretrain/loss") losses.push_back(value);
  }
  absl::Status KvSet(const std::string& k, const std::string& v) override { return kv_.Set(k, v); }
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string& k) override { return kv_.Get(k); }
  absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>& keys, absl::Duration t) override {
    return kv_.Wait(keys, t);
  }
  bool cancelled() const override { return false; }
  bool preempt_requested() const override { return false; }
  const std::string& work_dir() const override { return dir_; }
  std::vector<double> losses;

 private:
  v1::Assignment assignment_;
  train::InMemoryKv& kv_;
  std::string dir_;
};

class EncoderPretrainTest : public ::testing::Test {
 protected:
  // One synthetic dataset and LLM folder for the whole suite (preprocessing dominates otherwise).
  static void SetUpTestSuite() {
    root_ = new std::string((fs::temp_directory_path() / ("ecgbench_pretrain_" + common::RandomHex(6))).string());
    common::ecg::SynthDatasetOptions o;
    o.out_dir = *root_ + "/ptbxl";
    o.records = 24;
    o.seed = 5;
    o.write_low_rate = false;
    ASSERT_TRUE(common::ecg::WriteSyntheticDataset(o).ok());
    data_ = new json{{"base", "ptbxl"},
                     {"root", *root_ + "/ptbxl"},
                     {"mapped", {"ecg-qa-ptbxl"}},
                     {"mapped_root", *root_ + "/ptbxl/ecgqa/ptbxl"},
                     {"target_rate", 250},
                     {"segment_len", 500},
                     {"filters", "none"},
                     {"nan", "skip"},
                     {"fold", 2},
                     {"folds", {{"k", 3}, {"seed", 7}, {"group_by", "patient"}}}};
    absl::StatusOr<json> dataset = test_support::RunPreprocessAndDataset(*data_, *root_ + "/artifacts");
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    dataset_result_ = new json(*dataset);
    nn::RandomModelOptions model;
    model.hidden_size = 32;
    model.intermediate_size = 64;
    model.heads = 2;
    model.kv_heads = 1;
    ASSERT_TRUE(nn::WriteRandomModelFolder(*root_ + "/llm", model).ok());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
    delete data_;
    delete dataset_result_;
  }
  void SetUp() override { artifacts_ = *root_ + "/pretrain_" + common::RandomHex(6); }

  static common::TrainSpec Train(int64_t max_steps) {
    common::TrainSpec train;
    train.batch_size = 8;
    train.epochs = 10;  // max_steps ends the run
    train.max_steps = max_steps;
    train.schedule.name = "constant";
    train.schedule.warmup = 0;
    train.optimizer.lr = 1e-3;
    train.checkpoint_every = 2;
    train.deterministic = true;
    return train;
  }
  static json Params(const std::string& encoder, const common::TrainSpec& train) {
    common::RepresentationSpec repr;
    repr.encoder.name = encoder;
    repr.encoder.pretrain = true;
    json r = common::ToJson(repr);
    r["encoder"]["preset"] = "tiny";
    if (encoder == "merl") r["encoder"]["text_encoder"] = "/models/MedCPT-Query-Encoder";
    return {{"data", *data_}, {"representation", r}, {"train", common::ToJson(train)}};
  }
  static v1::Assignment Assignment(const json& params, int rank = 0, int world = 1) {
    v1::Assignment a;
    a.set_stage_kind("pretrain");
    a.set_attempt_id("attempt-1");
    a.set_rank(rank);
    a.set_world_size(world);
    a.set_params_json(params.dump());
    a.set_inputs_json(json{{"dataset", {*dataset_result_}}}.dump());
    return a;
  }
  PretrainStageOptions Options(TextEmbedderFactory text = nullptr) const {
    PretrainStageOptions o;
    o.artifact_root = artifacts_;
    o.loader_threads = 1;
    o.text_encoder = std::move(text);
    return o;
  }

  static std::string* root_;
  static json* data_;
  static json* dataset_result_;
  std::string artifacts_;
};

std::string* EncoderPretrainTest::root_ = nullptr;
json* EncoderPretrainTest::data_ = nullptr;
json* EncoderPretrainTest::dataset_result_ = nullptr;

double Mean(const std::vector<double>& v, size_t from, size_t to) {
  return std::accumulate(v.begin() + static_cast<int64_t>(from), v.begin() + static_cast<int64_t>(to), 0.0) /
         static_cast<double>(to - from);
}

TEST_F(EncoderPretrainTest, StMemLossFallsAndTheEncoderLoadsAndIsReused) {
  const v1::Assignment a = Assignment(Params("st_mem", Train(20)));
  RecordingContext ctx(a);
  auto r = PretrainRunner(Options()).Run(ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  const json doc = json::parse(r->result_json);
  EXPECT_EQ(doc["kind"], "ecg_encoder");
  EXPECT_EQ(doc["steps"], 20);
  EXPECT_FALSE(doc["reused"].get<bool>());
  const std::vector<double> losses = ctx.MetricValues("pretrain/loss");
  ASSERT_EQ(losses.size(), 20u);
  EXPECT_LT(Mean(losses, 15, 20), 0.8 * Mean(losses, 0, 5));
  EXPECT_EQ(r->results.at("final_loss"), losses.back());
  for (const double lr : ctx.MetricValues("pretrain/lr")) EXPECT_DOUBLE_EQ(lr, 1e-3);  // the spec's lr
  EXPECT_EQ(ctx.MetricValues("pretrain/grad_norm").size(), 20u);

  auto encoder = nn::LoadEcgEncoder(doc["encoder"].get<std::string>());
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ((*encoder)->options().kind, "st_mem");
  EXPECT_EQ((*encoder)->options().preset, "tiny");
  EXPECT_EQ((*encoder)->options().segment_len, 500);
  EXPECT_EQ((*encoder)->Embed(torch::zeros({2, 12, 500}), 3).sizes(), torch::IntArrayRef({2, 3, 16}));

  RecordingContext again(a);
  auto r2 = PretrainRunner(Options()).Run(again);
  ASSERT_TRUE(r2.ok()) << r2.status();
  const json doc2 = json::parse(r2->result_json);
  EXPECT_TRUE(doc2["reused"].get<bool>());
  EXPECT_EQ(doc2["encoder"], doc["encoder"]);
  EXPECT_EQ(doc2["final_loss"], losses.back());
  EXPECT_TRUE(again.MetricValues("pretrain/loss").empty());
}

TEST_F(EncoderPretrainTest, TrainDefaultsMapToUpstreamRecipeAndEveryMaeKindTrains) {
  for (const std::string kind : {"mtae", "mlae"}) {
    common::TrainSpec train = Train(2);
    train.optimizer = common::OptimizerSpec();  // the train defaults: upstream's pretraining lr applies
    RecordingContext ctx(Assignment(Params(kind, train)));
    auto r = PretrainRunner(Options()).Run(ctx);
    ASSERT_TRUE(r.ok()) << kind << ": " << r.status();
    EXPECT_EQ(ctx.MetricValues("pretrain/lr"), std::vector<double>({2e-4, 2e-4})) << kind;
    EXPECT_TRUE(std::isfinite(r->results.at("final_loss"))) << kind;
    auto encoder = nn::LoadEcgEncoder(json::parse(r->result_json)["encoder"].get<std::string>());
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    EXPECT_EQ((*encoder)->options().kind, kind);
  }
}

TEST_F(EncoderPretrainTest, PreemptedRunResumesBitwise) {
  const v1::Assignment a = Assignment(Params("st_mem", Train(6)));
  RecordingContext straight(a);
  PretrainStageOptions other = Options();
  other.artifact_root = artifacts_ + "_straight";
  auto full = PretrainRunner(other).Run(straight);
  ASSERT_TRUE(full.ok()) << full.status();

  RecordingContext first(a);
  first.RequestPreemptAfterMetrics("pretrain/loss", 3);
  auto r = PretrainRunner(Options()).Run(first);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "preempted");
  RecordingContext second(a);
  auto resumed = PretrainRunner(Options()).Run(second);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(json::parse(resumed->result_json)["resumed_from_step"], 3);
  EXPECT_EQ(resumed->results.at("steps"), 3);
  std::vector<double> curve = first.MetricValues("pretrain/loss");
  for (const double l : second.MetricValues("pretrain/loss")) curve.push_back(l);
  EXPECT_EQ(curve, straight.MetricValues("pretrain/loss"));  // bitwise
  auto x = nn::LoadEcgEncoder(json::parse(full->result_json)["encoder"].get<std::string>());
  auto y = nn::LoadEcgEncoder(json::parse(resumed->result_json)["encoder"].get<std::string>());
  ASSERT_TRUE(x.ok() && y.ok());
  const auto px = (*x)->named_parameters(), py = (*y)->named_parameters();
  for (const auto& p : px) EXPECT_TRUE(torch::equal(p.value(), py[p.key()])) << p.key();
}

TEST_F(EncoderPretrainTest, PreemptedMerlResumesWithItsBatchNormStatistics) {
  const v1::Assignment a = Assignment(Params("merl", Train(5)));
  RecordingContext straight(a);
  PretrainStageOptions other = Options(HashingFactory());
  other.artifact_root = artifacts_ + "_straight";
  auto full = PretrainRunner(other).Run(straight);
  ASSERT_TRUE(full.ok()) << full.status();
  RecordingContext first(a);
  first.RequestPreemptAfterMetrics("pretrain/loss", 3);  // checkpoint at step 3, not a multiple of 2
  EXPECT_EQ(PretrainRunner(Options(HashingFactory())).Run(first).status().message(), "preempted");
  RecordingContext second(a);
  auto resumed = PretrainRunner(Options(HashingFactory())).Run(second);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  std::vector<double> curve = first.MetricValues("pretrain/loss");
  for (const double l : second.MetricValues("pretrain/loss")) curve.push_back(l);
  EXPECT_EQ(curve, straight.MetricValues("pretrain/loss"));
  EXPECT_EQ(second.MetricValues("pretrain/cma_loss").size(), 2u);
  auto x = nn::LoadEcgEncoder(json::parse(full->result_json)["encoder"].get<std::string>());
  auto y = nn::LoadEcgEncoder(json::parse(resumed->result_json)["encoder"].get<std::string>());
  ASSERT_TRUE(x.ok() && y.ok());
  const auto bx = (*x)->named_buffers(), by = (*y)->named_buffers();
  for (const auto& b : bx) EXPECT_TRUE(torch::equal(b.value(), by[b.key()])) << b.key();
  const auto px = (*x)->named_parameters(), py = (*y)->named_parameters();
  for (const auto& p : px) EXPECT_TRUE(torch::equal(p.value(), py[p.key()])) << p.key();
  EXPECT_FALSE(fs::exists(json::parse(resumed->result_json)["artifact"].get<std::string>() + "/encoder_snapshots"));
}

TEST_F(EncoderPretrainTest, MerlWithoutATextEncoderIsRefused) {
  RecordingContext ctx(Assignment(Params("merl", Train(2))));
  const absl::Status st = PretrainRunner(Options()).Run(ctx).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "pretrain merl: no text encoder to embed the reports with: this worker has no BERT text encoder; give "
            "representation.encoder.path (pretrained MERL weights) instead");
  json params = Params("merl", Train(2));
  params["representation"]["encoder"].erase("text_encoder");
  RecordingContext ctx2(Assignment(params));
  EXPECT_EQ(PretrainRunner(Options(HashingFactory())).Run(ctx2).status().message(),
            "pretrain merl: no text encoder to embed the reports with: representation.encoder.text_encoder (a "
            "Hugging Face BERT folder such as ncbi/MedCPT-Query-Encoder) is not set; give "
            "representation.encoder.path (pretrained MERL weights) instead");
  params["representation"]["encoder"]["name"] = "clip";
  RecordingContext ctx3(Assignment(params));
  EXPECT_EQ(PretrainRunner(Options()).Run(ctx3).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EncoderPretrainTest, MerlTrainsOnTwoGlooRanksWithGatheredEmbeddings) {
  train::InMemoryKv kv;
  const json params = Params("merl", Train(3));
  std::vector<std::unique_ptr<KvContext>> contexts;
  std::vector<absl::StatusOr<TaskResult>> results(2, absl::UnknownError("not run"));
  for (int rank = 0; rank < 2; ++rank) contexts.push_back(std::make_unique<KvContext>(Assignment(params, rank, 2), kv));
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] { results[rank] = PretrainRunner(Options(HashingFactory())).Run(*contexts[rank]); });
  }
  for (std::thread& t : threads) t.join();
  for (int rank = 0; rank < 2; ++rank) ASSERT_TRUE(results[rank].ok()) << rank << ": " << results[rank].status();
  ASSERT_EQ(contexts[0]->losses.size(), 3u);
  EXPECT_EQ(contexts[0]->losses, contexts[1]->losses);  // the loss over the gathered global batch
  for (const double l : contexts[0]->losses) EXPECT_TRUE(std::isfinite(l) && l > 0) << l;
  auto encoder = nn::LoadEcgEncoder(json::parse(results[0]->result_json)["encoder"].get<std::string>());
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ((*encoder)->options().kind, "merl");
  EXPECT_EQ((*encoder)->options().text_dim, 24);
}

TEST_F(EncoderPretrainTest, TrainStageFineTunesALlavaElmOnThePretrainedEncoder) {
  RecordingContext pctx(Assignment(Params("st_mem", Train(2))));
  auto pre = PretrainRunner(Options()).Run(pctx);
  ASSERT_TRUE(pre.ok()) << pre.status();

  json params = Params("st_mem", Train(2));
  params["representation"]["encoder_tokens"] = 2;
  common::ModelSpec model;
  model.llm.path = *root_ + "/llm";
  model.llm.chat_template = "llama3";
  model.lora.rank = 4;
  model.lora.alpha = 8;
  params["model"] = common::ToJson(model);
  params["train"]["max_tokens"] = 640;
  params["train"]["min_ecg_tokens"] = 16;
  params["train"]["batch_size"] = 4;
  v1::Assignment a;
  a.set_stage_kind("train");
  a.set_world_size(1);
  a.set_params_json(params.dump());
  a.set_inputs_json(json{{"dataset", {*dataset_result_}}, {"pretrain", {json::parse(pre->result_json)}}}.dump());
  EXPECT_EQ(PretrainedEncoderPath(a), json::parse(pre->result_json)["encoder"]);
  RecordingContext ctx(a);
  TrainStageOptions options;
  options.artifact_root = artifacts_;
  options.loader_threads = 1;
  auto r = TrainRunner(options).Run(ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  const json doc = json::parse(r->result_json);
  EXPECT_EQ(doc["elm_kind"], "llava");
  EXPECT_EQ(r->results.at("steps"), 2);
  EXPECT_TRUE(fs::exists(fs::path(doc["export"].get<std::string>()) / "elm_config.json"));
}

}  // namespace
}  // namespace ecgbench::worker
