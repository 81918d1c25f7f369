// Naive reference implementations for the ECG-Byte tests: a trainer that recounts every pair before
// each merge (upstream's loop, with our tie-breaking), a brute-force longest-prefix encoder and a
// merge-rank encoder that applies one merge rank at a time over the whole sequence.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/repr/ecg_byte/bpe_trainer.h"

namespace ecgbench::common::repr::testing {

using Seq = std::vector<int32_t>;

inline Seq ToIds(const std::string& s) { return Seq(s.begin(), s.end()); }

// Replaces (a, b) left to right, non-overlapping.
inline Seq ReplacePair(const Seq& seq, int32_t a, int32_t b, int32_t id) {
  Seq out;
  for (size_t i = 0; i < seq.size();) {
    if (i + 1 < seq.size() && seq[i] == a && seq[i + 1] == b) {
      out.push_back(id);
      i += 2;
    } else {
      out.push_back(seq[i++]);
    }
  }
  return out;
}

struct NaiveResult {
  std::vector<BpeMerge> merges;
  std::vector<int64_t> counts;
  int64_t num_tokens = 0;
};

inline NaiveResult NaiveTrain(const std::vector<std::string>& corpus, int num_merges, bool concatenate) {
  std::vector<Seq> seqs;
  if (concatenate) {
    std::string all;
    for (const std::string& s : corpus) all += s;
    seqs.push_back(ToIds(all));
  } else {
    for (const std::string& s : corpus) seqs.push_back(ToIds(s));
  }
  NaiveResult r;
  for (int m = 0; m < num_merges; ++m) {
    std::map<std::pair<int32_t, int32_t>, int64_t> counts;
    for (const Seq& s : seqs) {
      for (size_t i = 0; i + 1 < s.size(); ++i) counts[{s[i], s[i + 1]}]++;
    }
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 0;
    for (const auto& [pair, c] : counts) {  // map order: ties keep the smallest pair
      if (c > best_count) {
        best = pair;
        best_count = c;
      }
    }
    if (best_count < 2) break;
    for (Seq& s : seqs) s = ReplacePair(s, best.first, best.second, kByteVocabSize + m);
    r.merges.push_back({best.first, best.second});
    r.counts.push_back(best_count);
  }
  for (const Seq& s : seqs) r.num_tokens += static_cast<int64_t>(s.size());
  return r;
}

// Expansion of every id (bytes: one char).
inline std::vector<std::string> Expansions(const std::vector<BpeMerge>& merges) {
  std::vector<std::string> e;
  for (int b = 0; b < kByteVocabSize; ++b) e.push_back(std::string(1, static_cast<char>(b)));
  for (const BpeMerge& m : merges) e.push_back(e[static_cast<size_t>(m.left)] + e[static_cast<size_t>(m.right)]);
  return e;
}

// Upstream's longest match: the longest token that prefixes the rest; among equal expansions the
// highest id (a later trie insert overwrites).
inline Seq NaiveLongest(const std::string& s, const std::vector<BpeMerge>& merges) {
  const std::vector<std::string> e = Expansions(merges);
  Seq out;
  for (size_t i = 0; i < s.size();) {
    int32_t best = -1;
    size_t best_len = 0;
    for (size_t id = 'a'; id < e.size(); ++id) {
      if (id > 'z' && id < static_cast<size_t>(kByteVocabSize)) continue;
      if (e[id].size() >= best_len && s.compare(i, e[id].size(), e[id]) == 0) {
        best = static_cast<int32_t>(id);
        best_len = e[id].size();
      }
    }
    out.push_back(best);
    i += best_len;
  }
  return out;
}

// Standard BPE: merge ranks in order, each over the whole sequence left to right.
inline Seq NaiveRank(const std::string& s, const std::vector<BpeMerge>& merges) {
  Seq seq = ToIds(s);
  for (size_t m = 0; m < merges.size(); ++m) {
    seq = ReplacePair(seq, merges[m].left, merges[m].right, kByteVocabSize + static_cast<int32_t>(m));
  }
  return seq;
}

}  // namespace ecgbench::common::repr::testing
