// Byte-level BPE training and the tokenizer.json writer (bpe_trainer.h).
#include "common/text/bpe_trainer.h"

#include <algorithm>
#include <array>
#include <optional>
#include <queue>

#include "absl/strings/str_cat.h"
#include "common/text/tokenizers/bpe_model.h"
#include "common/text/tokenizers/byte_level_bpe.h"
#include "common/text/tokenizers/pre_tokenizer.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::text {

namespace {

// A symbol pair as one integer: the left id in the high half, so that integer order is
// (left, right) order (ids are non-negative).
using Pair = uint64_t;
inline Pair MakePair(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
inline int32_t Left(Pair p) { return static_cast<int32_t>(p >> 32); }
inline int32_t Right(Pair p) { return static_cast<int32_t>(p & 0xFFFFFFFFu); }

struct QueueEntry {
  int64_t count;
  Pair pair;
};
// Max-heap order: the larger count first, then the smaller pair.
struct LowerPriority {
  bool operator()(const QueueEntry& x, const QueueEntry& y) const {
    return x.count != y.count ? x.count < y.count : x.pair > y.pair;
  }
};

// The distinct words as symbol sequences in one flat array (word w: symbols[begin[w], begin[w] +
// length[w])), merged in place.
struct Words {
  std::vector<int32_t> symbols;
  std::vector<size_t> begin;
  std::vector<uint32_t> length;
  std::vector<int64_t> count;
};

// The merge loop's state: pair counts over all words, the words each pair may occur in (a
// superset: entries go stale when a word's occurrence is merged away), and the heap.
class MergeState {
 public:
  explicit MergeState(Words words) : words_(std::move(words)) {
    std::vector<QueueEntry> entries;
    for (size_t w = 0; w < words_.count.size(); ++w) {
      const int32_t* s = &words_.symbols[words_.begin[w]];
      for (uint32_t i = 0; i + 1 < words_.length[w]; ++i) Add(MakePair(s[i], s[i + 1]), words_.count[w], static_cast<int32_t>(w));
    }
    entries.reserve(counts_.size());
    for (const auto& [pair, count] : counts_) entries.push_back({count, pair});
    queue_ = Queue(LowerPriority(), std::move(entries));
  }

  // The most frequent pair and its count, or nullopt when no pair is left.
  std::optional<QueueEntry> Top() {
    while (!queue_.empty()) {
      const QueueEntry top = queue_.top();
      const auto it = counts_.find(top.pair);
      const int64_t current = it == counts_.end() ? 0 : it->second;
      if (current == top.count) return top;
      queue_.pop();
      // A stale entry: the count fell since it was pushed (an increase always pushes a new entry).
      if (current > 0) queue_.push({current, top.pair});
    }
    return std::nullopt;
  }

  // Replaces every occurrence of `pair` by `id` and updates the counts of the neighbouring pairs.
  void Merge(Pair pair, int32_t id) {
    queue_.pop();
    std::vector<int32_t> where = std::move(where_[pair]);
    where_.erase(pair);
    std::sort(where.begin(), where.end());
    where.erase(std::unique(where.begin(), where.end()), where.end());
    touched_.clear();
    const int32_t a = Left(pair), b = Right(pair);
    for (const int32_t w : where) {
      int32_t* s = &words_.symbols[words_.begin[static_cast<size_t>(w)]];
      const uint32_t n = words_.length[static_cast<size_t>(w)];
      const int64_t c = words_.count[static_cast<size_t>(w)];
      uint32_t out = 0;
      for (uint32_t r = 0; r < n;) {
        if (r + 1 < n && s[r] == a && s[r + 1] == b) {
          if (out > 0) {
            Add(MakePair(s[out - 1], a), -c, w);
            Add(MakePair(s[out - 1], id), c, w);
          }
          if (r + 2 < n) {
            Add(MakePair(b, s[r + 2]), -c, w);
            Add(MakePair(id, s[r + 2]), c, w);
          }
          s[out++] = id;
          r += 2;
        } else {
          s[out++] = s[r++];
        }
      }
      words_.length[static_cast<size_t>(w)] = out;
    }
    // Overlapping runs ("a a a") subtract from the merged pair itself; it is gone either way.
    counts_.erase(pair);
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    for (const Pair p : touched_) {
      const int64_t count = counts_[p];
      if (count > 0) queue_.push({count, p});
    }
  }

 private:
  using Queue = std::priority_queue<QueueEntry, std::vector<QueueEntry>, LowerPriority>;

  void Add(Pair p, int64_t delta, int32_t word) {
    counts_[p] += delta;
    if (delta <= 0) return;
    std::vector<int32_t>& where = where_[p];
    if (where.empty() || where.back() != word) where.push_back(word);
    touched_.push_back(p);
  }

  Words words_;
  absl::flat_hash_map<Pair, int64_t> counts_;
  absl::flat_hash_map<Pair, std::vector<int32_t>> where_;
  std::vector<Pair> touched_;
  Queue queue_;
};

// A JSON string literal (never throws: the tokens are valid UTF-8 by construction).
std::string Quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<SpecialTokenSet> ParseSpecialTokenSet(std::string_view name) {
  for (SpecialTokenSet set : {SpecialTokenSet::kLlama3, SpecialTokenSet::kChatml, SpecialTokenSet::kGpt2}) {
    if (name == SpecialTokenSetName(set)) return set;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown special-token set \"", AbslView(name), "\" (expected llama3, chatml or gpt2)"));
}

std::string_view SpecialTokenSetName(SpecialTokenSet set) {
  switch (set) {
    case SpecialTokenSet::kLlama3:
      return "llama3";
    case SpecialTokenSet::kChatml:
      return "chatml";
    case SpecialTokenSet::kGpt2:
      return "gpt2";
  }
  return "";
}

const std::vector<std::string>& SpecialTokens(SpecialTokenSet set) {
  static const auto* const kLlama3 = new std::vector<std::string>{
      "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};
  static const auto* const kChatml = new std::vector<std::string>{"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  static const auto* const kGpt2 = new std::vector<std::string>{"<|endoftext|>"};
  switch (set) {
    case SpecialTokenSet::kChatml:
      return *kChatml;
    case SpecialTokenSet::kGpt2:
      return *kGpt2;
    case SpecialTokenSet::kLlama3:
      break;
  }
  return *kLlama3;
}

absl::StatusOr<BpeTrainer> BpeTrainer::Create(const BpeTrainerOptions& options) {
  const size_t specials = SpecialTokens(options.specials).size();
  if (options.vocab_size < 0 || static_cast<size_t>(options.vocab_size) < 256 + specials) {
    return absl::InvalidArgumentError(absl::StrCat("vocabulary size ", options.vocab_size, " is too small: it must be at least ",
                                                   256 + specials, " (256 byte symbols + ", specials, " ",
                                                   AbslView(SpecialTokenSetName(options.specials)), " special tokens)"));
  }
  if (options.min_frequency < 0) {
    return absl::InvalidArgumentError(absl::StrCat("min_frequency ", options.min_frequency, " must be >= 0"));
  }
  return BpeTrainer(options);
}

absl::Status BpeTrainer::AddDocument(std::string_view text) {
  ++documents_;
  if (text.empty()) return absl::OkStatus();
  ECGBENCH_RETURN_IF_ERROR(DecodeUtf8(text, &cps_, &offsets_));
  spans_.clear();
  PreTokenize(SplitPattern::kGpt2, cps_.data(), cps_.size(), &spans_);
  for (const auto& [b, e] : spans_) {
    const std::string_view piece = text.substr(offsets_[b], offsets_[e] - offsets_[b]);
    auto it = word_counts_.find(AbslView(piece));
    if (it != word_counts_.end()) {
      ++it->second;
    } else {
      word_counts_.emplace(std::string(piece), 1);
    }
  }
  pieces_ += static_cast<int64_t>(spans_.size());
  return absl::OkStatus();
}

absl::StatusOr<TrainedBpe> BpeTrainer::Train() const {
  if (word_counts_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the corpus is empty (", documents_, " documents, none with text)"));
  }
  TrainedBpe out;
  out.special_tokens = SpecialTokens(options_.specials);
  out.words = static_cast<int64_t>(word_counts_.size());
  out.pieces = pieces_;

  // The alphabet: the 256 byte characters in code point order.
  std::array<int, 256> bytes;
  for (int b = 0; b < 256; ++b) bytes[static_cast<size_t>(b)] = b;
  std::sort(bytes.begin(), bytes.end(), [](int x, int y) {
    return ByteToUnicode(static_cast<uint8_t>(x)) < ByteToUnicode(static_cast<uint8_t>(y));
  });
  std::array<int32_t, 256> byte_id{};
  absl::flat_hash_map<std::string, int32_t> ids;
  for (int32_t i = 0; i < 256; ++i) {
    const int b = bytes[static_cast<size_t>(i)];
    byte_id[static_cast<size_t>(b)] = i;
    std::string token;
    AppendUtf8(ByteToUnicode(static_cast<uint8_t>(b)), &token);
    ids.emplace(token, i);
    out.vocab.push_back(std::move(token));
  }

  // Words in byte order, so that the symbol layout (not the result) is independent of hashing.
  std::vector<const std::pair<const std::string, int64_t>*> sorted;
  sorted.reserve(word_counts_.size());
  size_t total_bytes = 0;
  for (const auto& entry : word_counts_) {
    sorted.push_back(&entry);
    total_bytes += entry.first.size();
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* x, const auto* y) { return x->first < y->first; });
  Words words;
  words.symbols.reserve(total_bytes);
  words.begin.reserve(sorted.size());
  words.length.reserve(sorted.size());
  words.count.reserve(sorted.size());
  for (const auto* entry : sorted) {
    words.begin.push_back(words.symbols.size());
    words.length.push_back(static_cast<uint32_t>(entry->first.size()));
    words.count.push_back(entry->second);
    for (const unsigned char c : entry->first) words.symbols.push_back(byte_id[c]);
  }

  MergeState state(std::move(words));
  const size_t target = static_cast<size_t>(options_.vocab_size) - out.special_tokens.size();
  const int64_t min_count = std::max<int64_t>(1, options_.min_frequency);
  std::string merged;
  while (out.vocab.size() < target) {
    const std::optional<QueueEntry> top = state.Top();
    if (!top || top->count < min_count) break;
    const int32_t a = Left(top->pair), b = Right(top->pair);
    merged.assign(out.vocab[static_cast<size_t>(a)]).append(out.vocab[static_cast<size_t>(b)]);
    int32_t id;
    if (const auto it = ids.find(merged); it != ids.end()) {
      id = it->second;
    } else {
      id = static_cast<int32_t>(out.vocab.size());
      ids.emplace(merged, id);
      out.vocab.push_back(merged);
    }
    out.merges.emplace_back(a, b);
    state.Merge(top->pair, id);
  }
  return out;
}

std::string TrainedBpe::ToTokenizerJson() const {
  std::string j = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [";
  for (size_t i = 0; i < special_tokens.size(); ++i) {
    absl::StrAppend(&j, i ? "," : "", "\n    {\"id\": ", vocab.size() + i, ", \"content\": ", Quote(special_tokens[i]),
                    ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}");
  }
  j += special_tokens.empty() ? "],\n" : "\n  ],\n";
  j +=
      "  \"normalizer\": null,\n"
      "  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n"
      "  \"post_processor\": null,\n"
      "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
      "  \"model\": {\n"
      "    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n    \"continuing_subword_prefix\": null,\n"
      "    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n"
      "    \"vocab\": {";
  for (size_t i = 0; i < vocab.size(); ++i) absl::StrAppend(&j, i ? "," : "", "\n      ", Quote(vocab[i]), ": ", i);
  j += "\n    },\n    \"merges\": [";
  std::string merge;
  for (size_t i = 0; i < merges.size(); ++i) {
    // Byte-level tokens never contain a space (it is mapped to U+0120), so "a b" is unambiguous.
    merge.assign(vocab[static_cast<size_t>(merges[i].first)]).append(" ").append(vocab[static_cast<size_t>(merges[i].second)]);
    absl::StrAppend(&j, i ? "," : "", "\n      ", Quote(merge));
  }
  j += merges.empty() ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n";
  return j;
}

}  // namespace ecgbench::common::text
