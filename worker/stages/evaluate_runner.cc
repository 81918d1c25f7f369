// The evaluate stage (see evaluate_runner.h): run data -> ELM (trained export or base) -> one
// generation pass per ablation condition over this shard's test conversations -> predictions.jsonl.
#include "worker/stages/evaluate_runner.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/util/file_lock.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/eval/predictions.h"
#include "common/repr/batch/representation_builder.h"
#include "common/spec/spec_json.h"
#include "common/text/chat/sequence_builder.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "worker/infer/judge.h"
#include "worker/nn/generate.h"
#include "worker/stages/elm_setup.h"
#include "worker/stages/retrieval_context.h"
#include "worker/stages/run_data.h"
#include "worker/stages/rank_device.h"

namespace ecgbench::worker {
namespace {

namespace ecg = common::ecg;
namespace text = common::text;
using common::repr::Perturbation;
using common::repr::RepresentationBuilder;

// The first task result document of input stage `stage`, or an empty object.
nlohmann::json FirstInput(const v1::Assignment& a, const char* stage) {
  const nlohmann::json in = nlohmann::json::parse(a.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (in.is_object() && in.contains(stage) && in[stage].is_array() && !in[stage].empty() && in[stage][0].is_object()) {
    return in[stage][0];
  }
  return nlohmann::json::object();
}

// One prompt to answer: a turn of a conversation under a condition.
struct Job {
  int64_t conversation = 0;  // index into ElmDataset::conversations
  text::GenerationPrompt prompt;
};

class ShardEvaluator {
 public:
  ShardEvaluator(TaskContext& ctx, ElmSetup& setup, const ElmExampleBuilder& builder, const ElmDataset& dataset,
                 const ecg::SegmentStore& store, const common::GenerationSpec& gen, torch::Device device,
                 RetrievalContext* retrieval, std::vector<int64_t> stop_ids)
      : ctx_(ctx), setup_(setup), builder_(builder), dataset_(dataset), store_(store), gen_(gen), device_(device),
        retrieval_(retrieval), stop_ids_(std::move(stop_ids)) {}

  // Builds the representation of `condition` ("signal" | "zeros" | "none") for the next calls.
  absl::Status UseCondition(const std::string& condition) {
    common::repr::RepresentationOptions options = setup_.representation;
    with_slot_ = condition != "none";
    zero_signal_ = condition == "zeros";
    if (condition == "zeros") options.perturbation = Perturbation::kBlackout;
    if (condition == "none") options.perturbation = Perturbation::kNoSignal;
    options.sampling_rate_hz = store_.sampling_rate_hz();
    ECGBENCH_ASSIGN_OR_RETURN(repr_, RepresentationBuilder::Create(options));
    return absl::OkStatus();
  }

  // The jobs of `conversations` under the condition; conversations the representation or the
  // template refuses are skipped and counted.
  absl::StatusOr<std::vector<Job>> Jobs(const std::vector<int64_t>& conversations) {
    std::vector<Job> jobs;
    std::vector<int32_t> ecg_ids;
    for (int64_t index : conversations) {
      const ElmConversation& c = dataset_.conversations[static_cast<size_t>(index)];
      ecg_ids.clear();
      if (setup_.examples.slot == EcgSlot::kEcgByte && with_slot_) {
        bool has_ecg = true;
        absl::Status built = repr_->BuildTokens(store_.Segment(c.segment), store_.segment_length(), index, 0,
                                                &ecg_ids, &has_ecg);
        if (!built.ok()) {
          Skip(c, built);
          continue;
        }
      }
      // Retrieval sees what the model sees: the real ECG's neighbours, those of a zero signal, or
      // none at all without an ECG.
      ElmConversation conditioned;
      const ElmConversation* shown = &c;
      if (retrieval_ != nullptr && with_slot_) {
        conditioned = c;
        absl::StatusOr<std::string> context = retrieval_->Text(c.segment, zero_signal_);
        if (!context.ok()) {
          Skip(c, context.status());
          continue;
        }
        conditioned.context = *std::move(context);
        shown = &conditioned;
      }
      absl::StatusOr<std::vector<text::GenerationPrompt>> prompts = builder_.Prompts(*shown, ecg_ids, with_slot_);
      if (!prompts.ok()) {
        Skip(c, prompts.status());
        continue;
      }
      for (text::GenerationPrompt& p : *prompts) {
        // An answer turn with no text cannot be scored (the predictions file refuses it).
        if (absl::StripAsciiWhitespace(p.reference).empty()) {
          ++empty_references_;
          continue;
        }
        jobs.push_back({index, std::move(p)});
      }
    }
    // Longest first: similar lengths share a batch (less padding), and memory peaks at once.
    std::stable_sort(jobs.begin(), jobs.end(),
                     [](const Job& a, const Job& b) { return a.prompt.ids.size() > b.prompt.ids.size(); });
    return jobs;
  }

  // The evaluation's own sampling settings for batch `batch_number` (greedy by default).
  nn::SamplingOptions Sampling(int64_t batch_number) const {
    nn::SamplingOptions s;
    s.do_sample = !gen_.greedy;
    s.temperature = gen_.temperature;
    s.top_k = gen_.top_k;
    s.top_p = gen_.top_p;
    s.seed = static_cast<uint64_t>(gen_.seed) + static_cast<uint64_t>(batch_number);
    return s;
  }

  // Generates the answers of jobs [begin, end) into `answers`.
  absl::Status Generate(const std::vector<Job>& jobs, size_t begin, size_t end, const nn::SamplingOptions& sampling,
                        std::vector<std::string>* answers) {
    std::vector<std::vector<int32_t>> prompts;
    for (size_t i = begin; i < end; ++i) prompts.push_back(jobs[i].prompt.ids);
    ECGBENCH_ASSIGN_OR_RETURN(const text::GenerationBatch batch,
                              text::BuildGenerationBatch(prompts, setup_.examples.pad_id));
    const auto shape = std::vector<int64_t>{batch.batch, batch.seq_len};
    nn::ElmBatch elm_batch;
    elm_batch.input_ids = torch::tensor(batch.input_ids, torch::kInt64).view(shape);
    elm_batch.attention_mask = torch::tensor(batch.attention_mask, torch::kInt64).view(shape);
    nn::GenerationRequest request;
    request.attention_mask = elm_batch.attention_mask.to(device_);
    request.max_new_tokens = gen_.max_new_tokens;
    request.eos_token_ids = stop_ids_;
    request.pad_token_id = setup_.examples.pad_id;
    request.sampling = sampling;
    const bool dense = setup_.examples.slot == EcgSlot::kPlaceholders && with_slot_;
    // Signal2Vec ELMs replace the ECG tokens' embeddings: prefill from the ELM's embeddings too (the
    // generated tokens that follow are text).
    const bool signal2vec = setup_.elm->options().kind == nn::ElmKind::kSignal2Vec;
    if (dense) {
      ECGBENCH_ASSIGN_OR_RETURN(std::vector<int64_t> sample_shape, repr_->DenseShape(store_.segment_length()));
      sample_shape.insert(sample_shape.begin(), batch.batch);
      torch::Tensor input = torch::empty(sample_shape, torch::kFloat);
      const int64_t per_row = input.numel() / std::max<int64_t>(batch.batch, 1);
      for (int64_t r = 0; r < batch.batch; ++r) {
        const Job& job = jobs[begin + static_cast<size_t>(r)];
        const ElmConversation& c = dataset_.conversations[static_cast<size_t>(job.conversation)];
        bool has_ecg = true;
        ECGBENCH_RETURN_IF_ERROR(repr_->BuildDense(store_.Segment(c.segment), store_.segment_length(),
                                                   job.conversation, 0,
                                                   absl::MakeSpan(input.data_ptr<float>() + r * per_row,
                                                                  static_cast<size_t>(per_row)),
                                                   &has_ecg));
      }
      elm_batch.encoder_input = input.to(device_);
      torch::NoGradGuard no_grad;
      setup_.elm->Train(false);
      request.inputs_embeds = setup_.elm->InputEmbeddings(elm_batch);
    } else if (signal2vec) {
      torch::NoGradGuard no_grad;
      setup_.elm->Train(false);
      request.inputs_embeds = setup_.elm->InputEmbeddings(elm_batch);
    } else {
      request.input_ids = elm_batch.input_ids.to(device_);
    }
    ECGBENCH_ASSIGN_OR_RETURN(const nn::GenerationResult result, nn::Generate(setup_.elm->llm(), request));
    for (const nn::GeneratedRow& row : result.rows) {
      const std::vector<int32_t> ids(row.ids.begin(), row.ids.end());
      ECGBENCH_ASSIGN_OR_RETURN(std::string answer, setup_.tokenizer->Decode(ids, /*skip_special=*/true));
      answers->push_back(std::string(absl::StripAsciiWhitespace(answer)));
      generated_tokens_ += static_cast<int64_t>(row.ids.size());
    }
    return absl::OkStatus();
  }

  int64_t skipped() const { return skipped_; }
  int64_t empty_references() const { return empty_references_; }
  int64_t generated_tokens() const { return generated_tokens_; }

 private:
  void Skip(const ElmConversation& c, const absl::Status& why) {
    ++skipped_;
    if (skipped_ <= 20) {
      ctx_.Log(v1::LOG_LEVEL_WARNING, absl::StrCat("evaluate: skipped conversation \"", c.id, "\": ", why.message()));
    }
  }

  TaskContext& ctx_;
  ElmSetup& setup_;
  const ElmExampleBuilder& builder_;
  const ElmDataset& dataset_;
  const ecg::SegmentStore& store_;
  common::GenerationSpec gen_;
  torch::Device device_;
  RetrievalContext* retrieval_;
  std::vector<int64_t> stop_ids_;  // the template's end-of-turn / eos ids
  std::unique_ptr<RepresentationBuilder> repr_;
  bool with_slot_ = true;
  bool zero_signal_ = false;
  int64_t skipped_ = 0;
  int64_t empty_references_ = 0;
  int64_t generated_tokens_ = 0;
};

std::string PredictionLine(const ElmConversation& c, const Job& job, const std::string& condition,
                           const std::string& prediction) {
  common::eval::Prediction p;
  p.id = c.id;
  p.question_type = c.question_type;
  p.reference = job.prompt.reference;
  p.prediction = prediction;
  p.condition = condition;
  p.turn = job.prompt.turn;
  p.answers = c.answers;
  return common::eval::PredictionToJsonLine(p);
}

}  // namespace

absl::StatusOr<TaskResult> EvaluateRunner::Run(TaskContext& ctx) {
  const v1::Assignment& assignment = ctx.assignment();
  ECGBENCH_ASSIGN_OR_RETURN(RunData run, LoadRunData(assignment));
  ECGBENCH_ASSIGN_OR_RETURN(const common::ModelSpec model,
                            common::ModelSpecFromJson(run.params.value("model", nlohmann::json::object())));
  const nlohmann::json evaluate = run.params.value("evaluate", nlohmann::json::object());
  const nlohmann::json representation = run.params.value("representation", nlohmann::json::object());
  ECGBENCH_ASSIGN_OR_RETURN(const common::EvaluateSpec spec, common::EvaluateSpecFromJson(evaluate));
  const common::GenerationSpec& gen = spec.generation;
  std::vector<std::string> conditions = spec.ablation;
  if (conditions.empty()) conditions = {"signal"};
  const int shard = std::max(0, assignment.shard()), shards = std::max(1, assignment.num_shards());

  const nlohmann::json trained = FirstInput(assignment, "train");
  const std::string export_dir = trained.value("export", std::string());
  if (run.params.value("trained", false) && export_dir.empty()) {
    return absl::FailedPreconditionError("evaluate: the train stage's result names no export directory");
  }
  const RunElmArtifacts elm_artifacts = FindRunElmArtifacts(assignment);

  ecg::ContentHash key("evaluate");
  key.SetParameters({{"representation", representation}, {"model", run.params.value("model", nlohmann::json())},
                     {"evaluate", evaluate}, {"budget", run.params.value("budget", nlohmann::json())},
                     {"test_fold", run.test_fold + 1}, {"shard", shard}, {"shards", shards}, {"version", 1}});
  key.AddInput("dataset", run.dataset_key);
  if (!export_dir.empty()) key.AddInput("export", export_dir);
  elm_artifacts.AddTo(key);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string artifact,
                            ecg::ArtifactDir(options_.artifact_root, "evaluate", key.Hex()));
  // Another task may be building the same artifact (runs that share it): wait for it, then reuse.
  ECGBENCH_ASSIGN_OR_RETURN(const common::FileLock artifact_lock,
                            common::FileLock::Acquire(common::FileLock::ForArtifact(artifact), [&ctx] { return ctx.cancelled(); }));
  const std::string predictions_path = artifact + "/predictions.jsonl";
  const std::string summary_path = artifact + "/summary.json";
  if (common::FileExists(summary_path)) {
    ECGBENCH_ASSIGN_OR_RETURN(const std::string summary_text, common::ReadFile(summary_path));
    const nlohmann::json summary = nlohmann::json::parse(summary_text, nullptr, false);
    if (summary.is_object()) {
      ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("evaluate: reusing the finished artifact ", artifact));
      TaskResult reused;
      reused.results["predictions"] = summary.value("predictions", 0.0);
      reused.results["empty"] = summary.value("empty", 0.0);
      if (summary.value("preference_pairs", 0) > 0) reused.results["preference_pairs"] = summary.value("preference_pairs", 0.0);
      nlohmann::json doc = summary;
      doc["reused"] = true;
      reused.result_json = doc.dump();
      return reused;
    }
  }

  const torch::Device device = RankDevice(assignment);
  const bool cuda = device.is_cuda();
  const nlohmann::json budget = run.params.value("budget", nlohmann::json::object());
  ElmSetupInputs in = MakeElmSetupInputs(run, model, elm_artifacts);
  in.max_tokens = budget.value("max_tokens", int64_t{1024});
  in.min_ecg_tokens = budget.value("min_ecg_tokens", int64_t{250});
  in.seed = static_cast<uint64_t>(gen.seed);
  in.trained_export = export_dir;
  ECGBENCH_ASSIGN_OR_RETURN(ElmSetup setup, SetUpElm(in));
  if (cuda) setup.elm->To(device, torch::kBFloat16);
  setup.elm->Train(false);

  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<RetrievalContext> retrieval,
                            RetrievalContext::FromAssignment(assignment, run.store.get()));
  if (retrieval) setup.examples.context_in_user_query = retrieval->in_user_query();
  ECGBENCH_ASSIGN_OR_RETURN(const ElmExampleBuilder builder,
                            ElmExampleBuilder::Create(setup.tokenizer.get(), setup.chat_template, setup.examples));
  const ElmDataSource source = ElmDataSourceOf(run);
  ElmDatasetOptions dataset_options;
  dataset_options.policy = BadSamplePolicy::kSkip;
  ECGBENCH_ASSIGN_OR_RETURN(const ElmDataset dataset, LoadElmDataset(source, builder, dataset_options));
  // This shard: a contiguous slice of the test conversations (in file order).
  const size_t n = dataset.test.size();
  const size_t first = n * static_cast<size_t>(shard) / static_cast<size_t>(shards);
  const size_t last = n * static_cast<size_t>(shard + 1) / static_cast<size_t>(shards);
  const std::vector<int64_t> mine(dataset.test.begin() + static_cast<std::ptrdiff_t>(first),
                                  dataset.test.begin() + static_cast<std::ptrdiff_t>(last));
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("evaluate: shard ", shard + 1, "/", shards, ": ", mine.size(), " of ", n,
                                           " test conversations, conditions ", nlohmann::json(conditions).dump(),
                                           export_dir.empty() ? ", untrained base model" : ", model " + export_dir));

  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<int32_t> stops, text::StopTokenIds(setup.chat_template, *setup.tokenizer));
  ShardEvaluator evaluator(ctx, setup, builder, dataset, *run.store, gen, device, retrieval.get(),
                           std::vector<int64_t>(stops.begin(), stops.end()));
  std::vector<Job> signal_jobs;  // kept for the judge
  std::string out;
  int64_t done = 0, empty = 0, batch_number = 0, total = 0;
  const auto started = std::chrono::steady_clock::now();
  for (size_t k = 0; k < conditions.size(); ++k) {
    ECGBENCH_RETURN_IF_ERROR(evaluator.UseCondition(conditions[k]));
    ECGBENCH_ASSIGN_OR_RETURN(std::vector<Job> condition_jobs, evaluator.Jobs(mine));
    if (conditions[k] == "signal") signal_jobs = condition_jobs;
    const std::vector<Job>& jobs = condition_jobs;
    // Every condition answers the same turns (up to skipped conversations): estimate from this one.
    total = done + static_cast<int64_t>(jobs.size() * (conditions.size() - k));
    for (size_t begin = 0; begin < jobs.size(); begin += static_cast<size_t>(options_.batch_size)) {
      if (ctx.cancelled()) return absl::CancelledError("evaluate: cancelled");
      if (ctx.preempt_requested()) return PreemptedStatus();
      const size_t end = std::min(jobs.size(), begin + static_cast<size_t>(options_.batch_size));
      std::vector<std::string> answers;
      ECGBENCH_RETURN_IF_ERROR(evaluator.Generate(jobs, begin, end, evaluator.Sampling(batch_number++), &answers));
      for (size_t i = begin; i < end; ++i) {
        const std::string& answer = answers[i - begin];
        if (answer.empty()) ++empty;
        absl::StrAppend(&out, PredictionLine(dataset.conversations[static_cast<size_t>(jobs[i].conversation)], jobs[i],
                                             conditions[k], answer),
                        "\n");
      }
      done += static_cast<int64_t>(end - begin);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      ctx.ReportProgress(done, total, "answers", absl::StrCat(conditions[k], ": ", done, "/", total));
      ctx.ReportMetric("evaluate/answers_per_s", seconds > 0 ? static_cast<double>(done) / seconds : 0, done);
      ctx.ReportMetric("evaluate/tokens_per_s",
                       seconds > 0 ? static_cast<double>(evaluator.generated_tokens()) / seconds : 0, done);
    }
  }
  // LLM-as-judge: two sampled answers per `signal` turn, the judge's preference as a pair.
  int64_t pairs = 0;
  std::string preferences;
  if (!spec.judge.path.empty()) {
    infer::JudgeOptions judge_options;
    judge_options.model_dir = spec.judge.path;
    ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<infer::PairJudge> judge, infer::PairJudge::Load(judge_options));
    // The signal condition's jobs, or built now when the ablation list leaves `signal` out.
    ECGBENCH_RETURN_IF_ERROR(evaluator.UseCondition("signal"));
    if (std::find(conditions.begin(), conditions.end(), "signal") == conditions.end()) {
      ECGBENCH_ASSIGN_OR_RETURN(signal_jobs, evaluator.Jobs(mine));
    }
    const std::vector<Job>& jobs = signal_jobs;
    nn::SamplingOptions sampling;
    sampling.do_sample = true;
    sampling.temperature = spec.judge.temperature;
    sampling.top_k = 0;
    for (size_t begin = 0; begin < jobs.size(); begin += static_cast<size_t>(options_.batch_size)) {
      if (ctx.cancelled()) return absl::CancelledError("evaluate: cancelled");
      if (ctx.preempt_requested()) return PreemptedStatus();
      const size_t end = std::min(jobs.size(), begin + static_cast<size_t>(options_.batch_size));
      std::vector<std::string> first, second;
      sampling.seed = static_cast<uint64_t>(gen.seed) * 2 + static_cast<uint64_t>(begin) * 2 + 1;
      ECGBENCH_RETURN_IF_ERROR(evaluator.Generate(jobs, begin, end, sampling, &first));
      ++sampling.seed;
      ECGBENCH_RETURN_IF_ERROR(evaluator.Generate(jobs, begin, end, sampling, &second));
      for (size_t i = begin; i < end; ++i) {
        const ElmConversation& c = dataset.conversations[static_cast<size_t>(jobs[i].conversation)];
        const int turn = jobs[i].prompt.turn;
        const std::string& question = c.turns[static_cast<size_t>(std::max(0, turn - 1))].content;
        const std::string& a = first[i - begin];
        const std::string& b = second[i - begin];
        ECGBENCH_ASSIGN_OR_RETURN(const infer::JudgeVerdict verdict, judge->Compare(question, a, b));
        const bool a_wins = verdict.preferred == 0;
        absl::StrAppend(&preferences,
                        infer::PreferencePairJsonLine(absl::StrCat(c.id, "#", turn), question, a_wins ? a : b,
                                                      a_wins ? b : a, verdict.margin),
                        "\n");
        ++pairs;
      }
      ctx.ReportProgress(static_cast<int64_t>(end), static_cast<int64_t>(jobs.size()), "pairs", "judge");
    }
  }
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(artifact));
  if (pairs > 0) ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(artifact + "/preferences.jsonl", preferences));
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(predictions_path, out));
  nlohmann::json summary = {{"artifact", artifact},   {"predictions_path", predictions_path},
                            {"shard", shard},         {"shards", shards},
                            {"conditions", conditions}, {"predictions", done},
                            {"empty", empty},         {"skipped_conversations", evaluator.skipped()},
                            {"empty_references", evaluator.empty_references()},
                            {"test_conversations", n}, {"model", export_dir},
                            {"preference_pairs", pairs}};
  if (pairs > 0) summary["preferences_path"] = artifact + "/preferences.jsonl";
  ECGBENCH_RETURN_IF_ERROR(common::WriteFileAtomic(summary_path, summary.dump(2)));
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("evaluate: ", done, " answers (", empty, " empty) written to ",
                                           predictions_path));
  TaskResult result;
  result.results["predictions"] = static_cast<double>(done);
  result.results["empty"] = static_cast<double>(empty);
  if (pairs > 0) result.results["preference_pairs"] = static_cast<double>(pairs);
  summary["reused"] = false;
  result.result_json = summary.dump();
  return result;
}

}  // namespace ecgbench::worker
