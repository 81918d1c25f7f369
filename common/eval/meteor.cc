// METEOR alignment and score (see meteor.h). Tokens are kept as spans into per-thread buffers;
// the three alignment stages mark matched words instead of popping them from lists, which visits
// the words in the same order as NLTK's pops and so yields the same alignment.
#include "common/eval/meteor.h"
#include "common/text/tokenizers/unicode.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/eval/porter_stemmer.h"

namespace ecgbench::common::eval {
namespace {

struct Span {
  uint32_t offset;
  uint32_t length;
  uint32_t hash;  // FNV-1a of the bytes: most unequal words differ here, before any memcmp
};

}  // namespace

// Per-thread scratch memory of Score; capacities persist across calls.
struct Meteor::Workspace {
  // Memo of synonym name ids per hypothesis stem (sorted ranges of synonym_ids), valid for the
  // Meteor whose id is cache_owner; report vocabularies are small, so this saves most lookups.
  uint64_t cache_owner = 0;
  absl::flat_hash_map<std::string, std::pair<uint32_t, uint32_t>> synonym_cache;
  std::vector<uint32_t> synonym_ids;
  std::string lower;  // lowercased tokens, hypothesis first
  std::string stems;  // stems of the words left after the exact stage
  std::string stem;   // one stem being computed
  std::vector<Span> hyp, ref, hyp_stem, ref_stem;
  std::vector<char> hyp_free, ref_free;
  std::vector<int64_t> ref_name;
  std::vector<std::pair<uint32_t, uint32_t>> matches;  // (hypothesis index, reference index)
  std::vector<uint32_t> synsets;
  WordNet::Scratch wordnet;
};

namespace {

using Workspace = Meteor::Workspace;

uint32_t Fnv1a(const char* data, size_t size) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 16777619u;
  return h;
}

constexpr size_t kMaxCachedStems = 1 << 16;  // then the memo starts over

std::atomic<uint64_t> next_meteor_id{1};

Workspace& ThreadWorkspace() {
  thread_local Workspace workspace;
  return workspace;
}

// Simple (one-to-one) lowercase mapping of the covered ranges.
uint32_t LowerCodePoint(uint32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
  if (cp >= 0x100 && cp <= 0x17F) {
    if (cp == 0x130 || cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F) return cp;
    if (cp == 0x178) return 0xFF;
    const bool odd_capitals = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    return (cp % 2 == 1) == odd_capitals ? cp + 1 : cp;
  }
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if ((cp >= 0x391 && cp <= 0x3A1) || (cp >= 0x3A3 && cp <= 0x3AB)) return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  return cp;
}

// Whether a byte belongs to a letter for the final-sigma rule: ASCII letters and any non-ASCII byte.
bool IsLetterByte(char byte) {
  const unsigned char b = static_cast<unsigned char>(byte);
  return ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') || b >= 0x80;
}

bool Equal(const std::string& buffer, Span a, const std::string& other, Span b) {
  return a.hash == b.hash && a.length == b.length &&
         std::memcmp(buffer.data() + a.offset, other.data() + b.offset, a.length) == 0;
}

// One alignment stage: each free hypothesis word, last to first, takes the last free reference
// word for which `matches(i, j)` holds.
template <typename Pred>
void AlignStage(Workspace& ws, Pred matches) {
  const size_t n = ws.hyp_free.size();
  const size_t m = ws.ref_free.size();
  for (size_t i = n; i-- > 0;) {
    if (!ws.hyp_free[i]) continue;
    for (size_t j = m; j-- > 0;) {
      if (ws.ref_free[j] && matches(i, j)) {
        ws.matches.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(j));
        ws.hyp_free[i] = 0;
        ws.ref_free[j] = 0;
        break;
      }
    }
  }
}

void LowercaseTokens(const std::vector<std::string_view>& tokens, std::string* buffer, std::vector<Span>* spans) {
  spans->clear();
  for (std::string_view token : tokens) {
    const uint32_t start = static_cast<uint32_t>(buffer->size());
    AppendLowercaseUtf8(token, buffer);
    const uint32_t length = static_cast<uint32_t>(buffer->size() - start);
    spans->push_back({start, length, Fnv1a(buffer->data() + start, length)});
  }
}

void StemFree(Workspace& ws, const std::vector<Span>& words, const std::vector<char>& free, std::vector<Span>* stems) {
  stems->resize(words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    if (!free[i]) continue;
    PorterStem(std::string_view(ws.lower).substr(words[i].offset, words[i].length), &ws.stem);
    (*stems)[i] = {static_cast<uint32_t>(ws.stems.size()), static_cast<uint32_t>(ws.stem.size()),
                   Fnv1a(ws.stem.data(), ws.stem.size())};
    ws.stems.append(ws.stem);
  }
}

}  // namespace

void AppendLowercaseUtf8(std::string_view text, std::string* out) {
  bool ascii = true;
  for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {  // the common case: one block, lowered in place
    const size_t start = out->size();
    out->append(text.data(), text.size());
    for (size_t k = start; k < out->size(); ++k) {
      char& c = (*out)[k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 0x20);
    }
    return;
  }
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out->push_back(lead >= 'A' && lead <= 'Z' ? static_cast<char>(lead + 0x20) : static_cast<char>(lead));
      ++i;
      continue;
    }
    size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len == 1 || i + len > text.size()) {  // not UTF-8: copy the byte
      out->push_back(text[i++]);
      continue;
    }
    uint32_t cp = lead & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (cp == 0x130) {  // İ -> i + combining dot above, as Python
      out->append("i\xCC\x87");
    } else if (cp == 0x3A3) {  // Σ: final sigma after a letter at the end of a word, as Python
      const bool after_letter = i > 0 && IsLetterByte(text[i - 1]);
      const bool at_end = i + len == text.size() || !IsLetterByte(text[i + len]);
      text::AppendUtf8(after_letter && at_end ? 0x3C2 : 0x3C3, out);
    } else {
      text::AppendUtf8(static_cast<char32_t>(LowerCodePoint(cp)), out);
    }
    i += len;
  }
}

Meteor::Meteor(WordNet wordnet, MeteorParams params)
    : wordnet_(std::move(wordnet)), params_(params), id_(next_meteor_id.fetch_add(1)) {}

std::pair<const uint32_t*, const uint32_t*> Meteor::SynonymIds(std::string_view stem, Workspace& ws) const {
  if (ws.cache_owner != id_ || ws.synonym_cache.size() >= kMaxCachedStems) {
    ws.cache_owner = id_;
    ws.synonym_cache.clear();
    ws.synonym_ids.clear();
  }
  const absl::string_view key(stem.data(), stem.size());
  auto it = ws.synonym_cache.find(key);
  if (it == ws.synonym_cache.end()) {
    ws.synsets.clear();
    wordnet_.SynsetsOf(stem, &ws.wordnet, &ws.synsets);
    const size_t begin = ws.synonym_ids.size();
    for (uint32_t synset : ws.synsets) {
      const auto [first, last] = wordnet_.SynsetNameIds(synset);
      ws.synonym_ids.insert(ws.synonym_ids.end(), first, last);
    }
    std::sort(ws.synonym_ids.begin() + begin, ws.synonym_ids.end());
    ws.synonym_ids.erase(std::unique(ws.synonym_ids.begin() + begin, ws.synonym_ids.end()), ws.synonym_ids.end());
    it = ws.synonym_cache
             .emplace(std::string(stem), std::make_pair(static_cast<uint32_t>(begin),
                                                        static_cast<uint32_t>(ws.synonym_ids.size())))
             .first;
  }
  return {ws.synonym_ids.data() + it->second.first, ws.synonym_ids.data() + it->second.second};
}

absl::StatusOr<Meteor> Meteor::Load(const std::string& wordnet_dir, MeteorParams params) {
  absl::StatusOr<WordNet> wordnet = WordNet::Load(wordnet_dir);
  if (!wordnet.ok()) return wordnet.status();
  return Meteor(*std::move(wordnet), params);
}

double Meteor::Score(const std::vector<std::string_view>& reference,
                     const std::vector<std::string_view>& hypothesis) const {
  Workspace& ws = ThreadWorkspace();
  ws.lower.clear();
  ws.stems.clear();
  ws.matches.clear();
  LowercaseTokens(hypothesis, &ws.lower, &ws.hyp);
  LowercaseTokens(reference, &ws.lower, &ws.ref);
  ws.hyp_free.assign(ws.hyp.size(), 1);
  ws.ref_free.assign(ws.ref.size(), 1);

  // 1. Exact (lowercased) words.
  AlignStage(ws, [&](size_t i, size_t j) { return Equal(ws.lower, ws.hyp[i], ws.lower, ws.ref[j]); });
  // 2. Porter stems of the words left.
  StemFree(ws, ws.hyp, ws.hyp_free, &ws.hyp_stem);
  StemFree(ws, ws.ref, ws.ref_free, &ws.ref_stem);
  AlignStage(ws, [&](size_t i, size_t j) { return Equal(ws.stems, ws.hyp_stem[i], ws.stems, ws.ref_stem[j]); });
  // 3. WordNet synonyms: a reference stem that is a lemma name of a synset of the hypothesis stem.
  ws.ref_name.assign(ws.ref.size(), -1);
  size_t candidates = 0;  // free reference words that are lemma names: the stage stops at none
  for (size_t j = 0; j < ws.ref.size(); ++j) {
    if (!ws.ref_free[j]) continue;
    ws.ref_name[j] = wordnet_.NameId(std::string_view(ws.stems).substr(ws.ref_stem[j].offset, ws.ref_stem[j].length));
    candidates += ws.ref_name[j] >= 0;
  }
  if (candidates > 0) {
    for (size_t i = ws.hyp.size(); i-- > 0 && candidates > 0;) {
      if (!ws.hyp_free[i]) continue;
      const auto [begin, end] =
          SynonymIds(std::string_view(ws.stems).substr(ws.hyp_stem[i].offset, ws.hyp_stem[i].length), ws);
      for (size_t j = ws.ref.size(); j-- > 0;) {
        if (!ws.ref_free[j] || ws.ref_name[j] < 0) continue;  // the hypothesis stem itself never
                                                              // remains equal to a free reference stem
        if (std::binary_search(begin, end, static_cast<uint32_t>(ws.ref_name[j]))) {
          ws.matches.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(j));
          ws.hyp_free[i] = 0;
          ws.ref_free[j] = 0;
          --candidates;
          break;
        }
      }
    }
  }

  const size_t translation_length = ws.hyp.size();
  const size_t reference_length = ws.ref.size();
  const size_t matches = ws.matches.size();
  if (translation_length == 0 || reference_length == 0 || matches == 0) return 0.0;
  std::sort(ws.matches.begin(), ws.matches.end());
  size_t chunks = 1;
  for (size_t k = 0; k + 1 < matches; ++k) {
    if (!(ws.matches[k + 1].first == ws.matches[k].first + 1 && ws.matches[k + 1].second == ws.matches[k].second + 1)) {
      ++chunks;
    }
  }
  // The same operations, in the same order, as NLTK's single_meteor_score.
  const double precision = static_cast<double>(matches) / static_cast<double>(translation_length);
  const double recall = static_cast<double>(matches) / static_cast<double>(reference_length);
  const double denominator = params_.alpha * precision + (1 - params_.alpha) * recall;
  if (denominator == 0.0) return 0.0;
  const double fmean = (precision * recall) / denominator;
  const double frag_frac = static_cast<double>(chunks) / static_cast<double>(matches);
  const double penalty = params_.gamma * std::pow(frag_frac, params_.beta);
  return (1 - penalty) * fmean;
}

double Meteor::ScoreMulti(const std::vector<std::vector<std::string_view>>& references,
                          const std::vector<std::string_view>& hypothesis) const {
  double best = 0.0;
  for (const auto& reference : references) best = std::max(best, Score(reference, hypothesis));
  return best;
}

}  // namespace ecgbench::common::eval
