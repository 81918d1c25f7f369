// BertScorer (bertscore.h): tokenization (bertscore_tokenizer.h), the truncated encoder
// (worker/nn/text_encoder), and bert_score's greedy cosine matching.
//
// Note [BERTScore batching]: pairs are scored in chunks of at most kChunkTokens tokens, so memory
// stays bounded whatever the number of pairs. Within a chunk each distinct text is embedded once
// (bert_score deduplicates too), texts sorted by token count (longest first) and padded per batch
// of batch_size; the normalised token vectors go to one "bank" [tokens + 1, H] whose last row is
// zero. Pairs are then matched batch_size at a time: each side gathered from the bank into
// [G, M, H] / [G, N, H], similarities by bmm, padding masked to -inf before the max (bert_score
// lets padding count as similarity 0 there, see the doc), means over the weighted tokens.
#include "worker/infer/bertscore.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"
#include "worker/infer/bertscore_tokenizer.h"
#include "worker/nn/text_encoder/bert_config.h"
#include "worker/nn/text_encoder/bert_model.h"

namespace ecgbench::worker::infer {

namespace {

// Token budget of one chunk (Note [BERTScore batching]): 64 Ki tokens x 1024 floats = 256 MiB of
// token vectors for roberta-large.
constexpr int64_t kChunkTokens = int64_t{1} << 16;

struct Text {
  std::vector<int32_t> ids;
  int64_t weighted = 0;  // tokens that are neither cls nor sep
};

}  // namespace

struct BertScorer::State {
  std::shared_ptr<nn::BertModel> model;
  std::unique_ptr<BertScoreTokenizer> tokenizer;
  int64_t layer = 0;
  int64_t batch_size = 1;

  absl::Status ScoreChunk(const std::vector<Text>& texts, size_t n, size_t begin, size_t end,
                          std::vector<BertScoreTriple>* out);
};

BertScorer::BertScorer(BertScoreOptions options, std::unique_ptr<State> state)
    : options_(std::move(options)), state_(std::move(state)) {}

BertScorer::~BertScorer() = default;

int64_t BertScorer::hidden_size() const { return state_->model->config().hidden_size; }
int64_t BertScorer::max_length() const { return state_->tokenizer->max_length(); }

absl::StatusOr<std::unique_ptr<BertScorer>> BertScorer::Load(const BertScoreOptions& options) {
  namespace fs = std::filesystem;
  if (options.model_dir.empty()) return absl::InvalidArgumentError("BertScoreOptions.model_dir is empty");
  std::error_code ec;
  if (!fs::is_directory(options.model_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("BertScoreOptions.model_dir: ", options.model_dir, ": no such directory"));
  }
  const std::string config_file = (fs::path(options.model_dir) / "config.json").string();
  if (!common::FileExists(config_file)) {
    return absl::NotFoundError(absl::StrCat(config_file, ": missing (BERTScore needs a Hugging Face encoder folder: ",
                                            "config.json, model.safetensors and the tokenizer files)"));
  }
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("BertScoreOptions.batch_size must be at least 1, got ", options.batch_size));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const nn::BertConfig config, nn::LoadBertFamilyConfig(config_file));
  if (options.layer < 0 || options.layer > config.num_hidden_layers) {
    return absl::InvalidArgumentError(absl::StrCat("BertScoreOptions.layer ", options.layer, " is outside [0, ",
                                                   config.num_hidden_layers, "] (num_hidden_layers of ", config_file,
                                                   ")"));
  }
  auto state = std::make_unique<State>();
  ECGBENCH_ASSIGN_OR_RETURN(state->tokenizer,
                            BertScoreTokenizer::Load(options.model_dir, config.max_sequence_length()));
  if (state->tokenizer->tokenizer().vocab_size() > config.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(options.model_dir, ": the tokenizer's vocabulary (",
                                                   state->tokenizer->tokenizer().vocab_size(),
                                                   " tokens) is larger than config.json's vocab_size ",
                                                   config.vocab_size));
  }
  try {
    nn::BertLoadOptions load;
    load.add_pooling_layer = false;
    load.num_layers = options.layer;
    ECGBENCH_ASSIGN_OR_RETURN(state->model, nn::LoadBertFamilyModel(options.model_dir, load));
    for (auto& p : state->model->parameters()) p.set_requires_grad(false);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("BertScorer::Load: ", e.what_without_backtrace()));
  }
  state->layer = options.layer;
  state->batch_size = options.batch_size;
  spdlog::debug("bertscore: {} ({} of {} layers, hidden {}, max {} tokens)", options.model_dir, options.layer,
                config.num_hidden_layers, config.hidden_size, state->tokenizer->max_length());
  return std::unique_ptr<BertScorer>(new BertScorer(options, std::move(state)));
}

absl::StatusOr<std::vector<BertScoreTriple>> BertScorer::Score(const std::vector<std::string>& candidates,
                                                               const std::vector<std::string>& references) {
  if (candidates.size() != references.size()) {
    return absl::InvalidArgumentError(absl::StrCat("BertScorer::Score: ", candidates.size(), " candidates but ",
                                                   references.size(), " references"));
  }
  const size_t n = candidates.size();
  // texts[i]: candidate i; texts[n + i]: reference i.
  std::vector<Text> texts(2 * n);
  for (size_t i = 0; i < 2 * n; ++i) {
    const bool candidate = i < n;
    const std::string& text = candidate ? candidates[i] : references[i - n];
    absl::StatusOr<std::vector<int32_t>> ids = state_->tokenizer->Encode(text);
    if (!ids.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(candidate ? "candidates[" : "references[", candidate ? i : i - n,
                                                     "]: ", ids.status().message()));
    }
    texts[i].ids = *std::move(ids);
    for (int32_t id : texts[i].ids) texts[i].weighted += state_->tokenizer->IsSpecial(id) ? 0 : 1;
  }
  std::vector<BertScoreTriple> out(n);
  try {
    torch::NoGradGuard no_grad;
    size_t begin = 0;
    while (begin < n) {
      size_t end = begin;
      int64_t tokens = 0;
      while (end < n) {
        const auto pair_tokens = static_cast<int64_t>(texts[end].ids.size() + texts[n + end].ids.size());
        if (end > begin && tokens + pair_tokens > kChunkTokens) break;
        tokens += pair_tokens;
        ++end;
      }
      ECGBENCH_RETURN_IF_ERROR(state_->ScoreChunk(texts, n, begin, end, &out));
      begin = end;
    }
  } catch (const c10::OutOfMemoryError& e) {
    return absl::ResourceExhaustedError(absl::StrCat("BertScorer::Score: ", e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("BertScorer::Score: ", e.what_without_backtrace()));
  }
  return out;
}

absl::Status BertScorer::State::ScoreChunk(const std::vector<Text>& texts, size_t n, size_t begin, size_t end,
                                           std::vector<BertScoreTriple>* out) {
  // Distinct texts of the chunk (by token ids: equal strings give equal ids) and their bank rows.
  absl::flat_hash_map<absl::string_view, int64_t> unique_of;
  std::vector<size_t> unique;          // unique index -> index into texts
  std::vector<int64_t> slot(2 * (end - begin));  // pair side -> unique index
  for (size_t k = 0; k < 2 * (end - begin); ++k) {
    const size_t t = k < end - begin ? begin + k : n + begin + (k - (end - begin));
    const std::vector<int32_t>& ids = texts[t].ids;
    const absl::string_view key(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int32_t));
    auto [it, inserted] = unique_of.try_emplace(key, static_cast<int64_t>(unique.size()));
    if (inserted) unique.push_back(t);
    slot[k] = it->second;
  }
  std::vector<int64_t> offset(unique.size());
  int64_t total = 0;
  for (size_t u = 0; u < unique.size(); ++u) {
    offset[u] = total;
    total += static_cast<int64_t>(texts[unique[u]].ids.size());
  }
  const int64_t hidden = model->config().hidden_size;
  torch::Tensor bank = torch::empty({total + 1, hidden}, torch::kFloat);
  bank[total].zero_();

  // Embed, longest first.
  std::vector<size_t> order(unique.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return texts[unique[a]].ids.size() > texts[unique[b]].ids.size(); });
  const int64_t pad = model->config().pad_token_id;
  for (size_t first = 0; first < order.size(); first += static_cast<size_t>(batch_size)) {
    const size_t last = std::min(order.size(), first + static_cast<size_t>(batch_size));
    const auto rows = static_cast<int64_t>(last - first);
    const auto width = static_cast<int64_t>(texts[unique[order[first]]].ids.size());
    torch::Tensor ids = torch::full({rows, width}, pad, torch::kLong);
    torch::Tensor mask = torch::zeros({rows, width}, torch::kLong);
    auto ids_a = ids.accessor<int64_t, 2>();
    auto mask_a = mask.accessor<int64_t, 2>();
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<int32_t>& text = texts[unique[order[first + static_cast<size_t>(r)]]].ids;
      for (size_t j = 0; j < text.size(); ++j) {
        ids_a[r][static_cast<int64_t>(j)] = text[j];
        mask_a[r][static_cast<int64_t>(j)] = 1;
      }
    }
    torch::Tensor h = model->HiddenState(ids, mask, layer);
    h = h / h.norm(2, torch::IntArrayRef{-1}, /*keepdim=*/true);
    for (int64_t r = 0; r < rows; ++r) {
      const size_t u = order[first + static_cast<size_t>(r)];
      const auto len = static_cast<int64_t>(texts[unique[u]].ids.size());
      bank.narrow(0, offset[u], len).copy_(h[r].narrow(0, 0, len));
    }
  }

  // Greedy matching, batch_size pairs at a time.
  const size_t pairs = end - begin;
  for (size_t first = 0; first < pairs; first += static_cast<size_t>(batch_size)) {
    const size_t last = std::min(pairs, first + static_cast<size_t>(batch_size));
    const auto g = static_cast<int64_t>(last - first);
    // side 0: candidates, side 1: references.
    torch::Tensor gathered[2], valid[2], weight[2];
    for (int side = 0; side < 2; ++side) {
      int64_t width = 1;
      for (size_t p = first; p < last; ++p) {
        const size_t u = static_cast<size_t>(slot[side * pairs + p]);
        width = std::max(width, static_cast<int64_t>(texts[unique[u]].ids.size()));
      }
      torch::Tensor index = torch::full({g, width}, total, torch::kLong);
      valid[side] = torch::zeros({g, width}, torch::kBool);
      weight[side] = torch::zeros({g, width}, torch::kFloat);
      auto index_a = index.accessor<int64_t, 2>();
      auto valid_a = valid[side].accessor<bool, 2>();
      auto weight_a = weight[side].accessor<float, 2>();
      for (int64_t r = 0; r < g; ++r) {
        const size_t u = static_cast<size_t>(slot[side * pairs + first + static_cast<size_t>(r)]);
        const std::vector<int32_t>& ids = texts[unique[u]].ids;
        for (size_t j = 0; j < ids.size(); ++j) {
          const auto c = static_cast<int64_t>(j);
          index_a[r][c] = offset[u] + c;
          valid_a[r][c] = true;
          weight_a[r][c] = tokenizer->IsSpecial(ids[j]) ? 0.0f : 1.0f;
        }
      }
      gathered[side] = bank.index_select(0, index.view({-1})).view({g, width, hidden});
    }
    torch::Tensor sim = torch::bmm(gathered[0], gathered[1].transpose(1, 2));
    sim.masked_fill_(valid[0].unsqueeze(2).logical_and(valid[1].unsqueeze(1)).logical_not(),
                     -std::numeric_limits<float>::infinity());
    const torch::Tensor best[2] = {sim.amax(2).masked_fill(valid[0].logical_not(), 0.0),
                                   sim.amax(1).masked_fill(valid[1].logical_not(), 0.0)};
    const torch::Tensor mean[2] = {
        (best[0] * weight[0]).sum(1) / weight[0].sum(1).clamp_min(1.0),
        (best[1] * weight[1]).sum(1) / weight[1].sum(1).clamp_min(1.0)};
    auto precision = mean[0].accessor<float, 1>();
    auto recall = mean[1].accessor<float, 1>();
    for (int64_t r = 0; r < g; ++r) {
      const size_t p = first + static_cast<size_t>(r);
      BertScoreTriple& result = (*out)[begin + p];
      const size_t cand = unique[static_cast<size_t>(slot[p])], ref = unique[static_cast<size_t>(slot[pairs + p])];
      if (texts[cand].weighted == 0 || texts[ref].weighted == 0) {
        result = BertScoreTriple{};  // bert_score: an empty candidate or reference scores 0
        continue;
      }
      result.precision = precision[r];
      result.recall = recall[r];
      const double sum = result.precision + result.recall;
      result.f1 = sum == 0 ? 0.0 : 2 * result.precision * result.recall / sum;
    }
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::worker::infer
