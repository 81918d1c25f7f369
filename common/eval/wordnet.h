// WordNet 3.0, loaded once from the Princeton database files (Debian's wordnet-base installs them
// under /usr/share/wordnet: index.{noun,verb,adj,adv}, data.*, *.exc) into compact in-memory
// tables, with the lookups NLTK 3.8's WordNetCorpusReader gives METEOR's synonym stage:
// morphy (exception lists, then the detachment rules applied until a form is found) and
// synsets(word) over the parts of speech noun, verb, adjective, adverb, in that order.
// Thread-safety: immutable after Load; every const method may be called from any number of threads
// (per-call scratch memory belongs to the caller).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace ecgbench::common::eval {

class WordNet {
 public:
  // Parts of speech in NLTK's POS_LIST order (noun, verb, adjective, adverb).
  enum Pos : int { kNoun = 0, kVerb = 1, kAdj = 2, kAdv = 3 };
  static constexpr int kNumPos = 4;

  // Reusable buffers for SynsetsOf; one per thread. Holding one across calls avoids allocation.
  struct Scratch {
    std::string forms[2];                                // the current and next morphy forms
    std::vector<std::pair<uint32_t, uint32_t>> spans[2];  // (offset, length) into forms[]
    std::vector<uint32_t> entries;                        // index entries morphy found
  };

  // Reads the database under `dir`. Errors: NotFound naming a missing file (an unreadable one keeps
  // its code, e.g. PermissionDenied); DataLoss naming file:line and the reason for a malformed line
  // (bad number, an offset that is not the line's own, counts that disagree, an unknown synset).
  static absl::StatusOr<WordNet> Load(const std::string& dir);

  // NLTK's _morphy(form, pos): the base forms of `form` that are lemmas of `pos`, in NLTK's order.
  // `form` is used as given (NLTK's synsets() lowercases before calling it). Forms longer than
  // 256 bytes that are not in an exception list get no base forms (bounds the time per word).
  std::vector<std::string> Morphy(std::string_view form, Pos pos) const;

  // Appends to *synsets the synset ids of NLTK's wordnet.synsets(form) (all parts of speech, with
  // duplicates where NLTK has them). REQUIRES: form lowercased, as NLTK's synsets() does first.
  void SynsetsOf(std::string_view form, Scratch* scratch, std::vector<uint32_t>* synsets) const;

  // Ids of the lemma names of `synset` (its Lemma.name() values, syntactic markers such as "(a)"
  // removed) that contain no '_' (METEOR's synonym stage skips multi-word lemmas).
  std::pair<const uint32_t*, const uint32_t*> SynsetNameIds(uint32_t synset) const {
    return {synset_names_.data() + synset_name_begin_[synset],
            synset_names_.data() + synset_name_begin_[synset + 1]};
  }

  // Id of a lemma name without '_' (case-sensitive, as NLTK compares), or -1 when no synset has it.
  int64_t NameId(std::string_view name) const;

  // For tests: the sorted set of '_'-free lemma names over SynsetsOf(form).
  std::vector<std::string> SynonymNames(std::string_view form) const;

  size_t num_synsets() const { return synset_name_begin_.empty() ? 0 : synset_name_begin_.size() - 1; }

 private:
  struct IndexEntry {
    uint32_t begin[kNumPos] = {0, 0, 0, 0};  // ranges into index_synsets_; empty: not a lemma of pos
    uint32_t end[kNumPos] = {0, 0, 0, 0};
  };
  // Fills scratch->entries with the index entries of NLTK's _morphy(form, pos).
  void MorphyEntries(std::string_view form, Pos pos, Scratch* scratch) const;
  bool IsLemmaOf(std::string_view form, Pos pos, uint32_t* entry) const;

  absl::flat_hash_map<std::string, uint32_t> index_;  // lemma -> entries_ position
  std::vector<IndexEntry> entries_;
  std::vector<uint32_t> index_synsets_;
  absl::flat_hash_map<std::string, uint32_t> names_;  // '_'-free lemma name -> id
  std::vector<uint32_t> synset_name_begin_;            // synset id -> range of synset_names_
  std::vector<uint32_t> synset_names_;
  // Exception lists per part of speech: inflected form -> range of exception_forms_.
  absl::flat_hash_map<std::string, std::pair<uint32_t, uint32_t>> exceptions_[kNumPos];
  std::vector<std::string> exception_forms_;
  std::vector<std::string> entry_text_;  // entries_ position -> lemma (Morphy's results)
  std::vector<std::string> name_text_;   // name id -> name (SynonymNames)
};

}  // namespace ecgbench::common::eval
