// WordNet database loading and NLTK-compatible morphy / synsets lookups (see wordnet.h).
// Where the files repeat a key (an exception or an index lemma), the last line wins, as in NLTK's
// dict assignments.
#include "common/eval/wordnet.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/util/files.h"

namespace ecgbench::common::eval {
namespace {

constexpr const char* kPosFileSuffix[WordNet::kNumPos] = {"noun", "verb", "adj", "adv"};
constexpr char kPosLetter[WordNet::kNumPos] = {'n', 'v', 'a', 'r'};

constexpr size_t kMaxMorphyLength = 256;  // bytes; longer words have no base forms (see MorphyEntries)

struct Substitution {
  std::string_view old_suffix;
  std::string_view new_suffix;
};

// NLTK's MORPHOLOGICAL_SUBSTITUTIONS, in its order (adverbs have none).
constexpr Substitution kNounRules[] = {{"s", ""},       {"ses", "s"},   {"ves", "f"},
                                       {"xes", "x"},    {"zes", "z"},   {"ches", "ch"},
                                       {"shes", "sh"},  {"men", "man"}, {"ies", "y"}};
constexpr Substitution kVerbRules[] = {{"s", ""},   {"ies", "y"}, {"es", "e"},  {"es", ""},
                                       {"ed", "e"}, {"ed", ""},   {"ing", "e"}, {"ing", ""}};
constexpr Substitution kAdjRules[] = {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};

std::pair<const Substitution*, size_t> RulesOf(WordNet::Pos pos) {
  switch (pos) {
    case WordNet::kNoun:
      return {kNounRules, std::size(kNounRules)};
    case WordNet::kVerb:
      return {kVerbRules, std::size(kVerbRules)};
    case WordNet::kAdj:
      return {kAdjRules, std::size(kAdjRules)};
    case WordNet::kAdv:
      break;
  }
  return {nullptr, 0};
}

// Whitespace-separated fields of one line (Python's str.split() on ASCII data).
class Fields {
 public:
  explicit Fields(std::string_view line) : line_(line) {}
  bool Next(std::string_view* field) {
    while (pos_ < line_.size() && IsSpace(line_[pos_])) ++pos_;
    if (pos_ >= line_.size()) return false;
    const size_t start = pos_;
    while (pos_ < line_.size() && !IsSpace(line_[pos_])) ++pos_;
    *field = line_.substr(start, pos_ - start);
    return true;
  }

 private:
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
  std::string_view line_;
  size_t pos_ = 0;
};

bool ParseNumber(std::string_view text, int base, uint32_t* value) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), *value, base);
  return result.ec == std::errc() && result.ptr == text.data() + text.size() && !text.empty();
}

// Calls fn(line, line_number, byte_offset) for each line; stops at the first error fn returns.
template <typename Fn>
absl::Status ForEachLine(const std::string& content, Fn fn) {
  size_t start = 0;
  for (size_t line_number = 1; start < content.size(); ++line_number) {
    size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    const absl::Status status = fn(std::string_view(content).substr(start, end - start), line_number, start);
    if (!status.ok()) return status;
    start = end + 1;
  }
  return absl::OkStatus();
}

// Debian's Abseil has its own string_view type; its hash maps look keys up by that type.
absl::string_view Key(std::string_view text) { return absl::string_view(text.data(), text.size()); }

// A file that cannot be read keeps its code (NotFound, PermissionDenied, ...); the message says
// what was being loaded.
absl::Status WithContext(const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("WordNet: ", status.message()));
}

absl::Status LineError(const std::string& path, size_t line_number, std::string_view reason) {
  return absl::DataLossError(absl::StrCat(path, ":", line_number, ": ", Key(reason)));
}

// A data file lemma without its syntactic marker: "galore(ip)" -> "galore" (NLTK's regex
// "(.*?)(\(.*\))?$": cut at the first '(' when the name ends with ')').
std::string_view StripMarker(std::string_view name) {
  if (name.empty() || name.back() != ')') return name;
  const size_t open = name.find('(');
  return open == std::string_view::npos ? name : name.substr(0, open);
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  const char* tail = text.data() + text.size() - suffix.size();
  for (size_t i = suffix.size(); i-- > 0;) {
    if (tail[i] != suffix[i]) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<WordNet> WordNet::Load(const std::string& dir) {
  WordNet wn;
  wn.synset_name_begin_.push_back(0);
  for (int p = 0; p < kNumPos; ++p) {
    // data.<pos>: synsets; offset -> synset id for the index below.
    const std::string data_path = absl::StrCat(dir, "/data.", kPosFileSuffix[p]);
    auto data = ReadFile(data_path);
    if (!data.ok()) return WithContext(data.status());
    absl::flat_hash_map<uint32_t, uint32_t> synset_at;
    absl::Status status = ForEachLine(*data, [&](std::string_view line, size_t line_number, size_t byte_offset) {
      if (line.empty() || line[0] == ' ') return absl::OkStatus();  // license header
      Fields fields(line);
      std::string_view offset_text, lexname, ss_type, count_text, word, lex_id;
      uint32_t offset = 0, count = 0;
      if (!fields.Next(&offset_text) || !ParseNumber(offset_text, 10, &offset)) {
        return LineError(data_path, line_number, "synset offset is not a number");
      }
      if (offset != byte_offset) {
        return LineError(data_path, line_number,
                         absl::StrCat("synset offset ", offset, " is not the line's byte offset ", byte_offset));
      }
      if (!fields.Next(&lexname) || !fields.Next(&ss_type) || !fields.Next(&count_text) ||
          !ParseNumber(count_text, 16, &count)) {
        return LineError(data_path, line_number, "missing lexname, synset type or word count");
      }
      for (uint32_t i = 0; i < count; ++i) {
        if (!fields.Next(&word) || !fields.Next(&lex_id)) {
          return LineError(data_path, line_number, "fewer words than the word count");
        }
        const std::string_view name = StripMarker(word);
        if (name.find('_') != std::string_view::npos) continue;
        auto [it, inserted] = wn.names_.try_emplace(Key(name), static_cast<uint32_t>(wn.name_text_.size()));
        if (inserted) wn.name_text_.emplace_back(name);
        wn.synset_names_.push_back(it->second);
      }
      synset_at[offset] = static_cast<uint32_t>(wn.synset_name_begin_.size() - 1);
      wn.synset_name_begin_.push_back(static_cast<uint32_t>(wn.synset_names_.size()));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;

    // index.<pos>: lemma -> synset offsets of this part of speech.
    const std::string index_path = absl::StrCat(dir, "/index.", kPosFileSuffix[p]);
    auto index = ReadFile(index_path);
    if (!index.ok()) return WithContext(index.status());
    status = ForEachLine(*index, [&](std::string_view line, size_t line_number, size_t) {
      if (line.empty() || line[0] == ' ') return absl::OkStatus();
      Fields fields(line);
      std::string_view lemma, pos_text, text;
      uint32_t n_synsets = 0, n_pointers = 0, n_senses = 0, offset = 0;
      if (!fields.Next(&lemma) || !fields.Next(&pos_text) || pos_text.size() != 1 || pos_text[0] != kPosLetter[p]) {
        return LineError(index_path, line_number, "missing lemma or wrong part of speech");
      }
      if (!fields.Next(&text) || !ParseNumber(text, 10, &n_synsets) || n_synsets == 0 || !fields.Next(&text) ||
          !ParseNumber(text, 10, &n_pointers)) {
        return LineError(index_path, line_number, "bad synset or pointer count");
      }
      for (uint32_t i = 0; i < n_pointers; ++i) {
        if (!fields.Next(&text)) return LineError(index_path, line_number, "fewer pointers than the pointer count");
      }
      if (!fields.Next(&text) || !ParseNumber(text, 10, &n_senses) || n_senses != n_synsets || !fields.Next(&text)) {
        return LineError(index_path, line_number, "sense count differs from the synset count");
      }
      auto [it, inserted] = wn.index_.try_emplace(Key(lemma), static_cast<uint32_t>(wn.entries_.size()));
      if (inserted) {
        wn.entries_.emplace_back();
        wn.entry_text_.emplace_back(lemma);
      }
      IndexEntry& entry = wn.entries_[it->second];
      entry.begin[p] = static_cast<uint32_t>(wn.index_synsets_.size());
      for (uint32_t i = 0; i < n_synsets; ++i) {
        if (!fields.Next(&text) || !ParseNumber(text, 10, &offset)) {
          return LineError(index_path, line_number, "fewer synset offsets than the synset count");
        }
        const auto found = synset_at.find(offset);
        if (found == synset_at.end()) {
          return LineError(index_path, line_number, absl::StrCat("no synset at offset ", offset, " in ", data_path));
        }
        wn.index_synsets_.push_back(found->second);
      }
      entry.end[p] = static_cast<uint32_t>(wn.index_synsets_.size());
      return absl::OkStatus();
    });
    if (!status.ok()) return status;

    // <pos>.exc: irregular inflected form -> base forms.
    const std::string exc_path = absl::StrCat(dir, "/", kPosFileSuffix[p], ".exc");
    auto exc = ReadFile(exc_path);
    if (!exc.ok()) return WithContext(exc.status());
    status = ForEachLine(*exc, [&](std::string_view line, size_t, size_t) {
      Fields fields(line);
      std::string_view form, base;
      if (!fields.Next(&form)) return absl::OkStatus();
      const uint32_t begin = static_cast<uint32_t>(wn.exception_forms_.size());
      while (fields.Next(&base)) wn.exception_forms_.emplace_back(base);
      wn.exceptions_[p].insert_or_assign(std::string(form),
                                         std::make_pair(begin, static_cast<uint32_t>(wn.exception_forms_.size())));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
  }
  return wn;
}

bool WordNet::IsLemmaOf(std::string_view form, Pos pos, uint32_t* entry) const {
  const auto it = index_.find(Key(form));
  if (it == index_.end()) return false;
  const IndexEntry& e = entries_[it->second];
  if (e.begin[pos] == e.end[pos]) return false;
  *entry = it->second;
  return true;
}

void WordNet::MorphyEntries(std::string_view form, Pos pos, Scratch* scratch) const {
  std::vector<uint32_t>& found = scratch->entries;
  found.clear();
  auto add = [&](std::string_view candidate) {
    uint32_t entry = 0;
    if (IsLemmaOf(candidate, pos, &entry) && std::find(found.begin(), found.end(), entry) == found.end()) {
      found.push_back(entry);
    }
  };
  // 0. An exception list entry decides alone.
  const auto exc = exceptions_[pos].find(Key(form));
  if (exc != exceptions_[pos].end()) {
    add(form);
    for (uint32_t i = exc->second.first; i < exc->second.second; ++i) add(exception_forms_[i]);
    return;
  }
  // Each detachment round keeps every form's prefix with a few endings, so a long pathological
  // token ("eseses...") would take cubic time (NLTK's duplicating lists: exponential). No WordNet
  // lemma is near this long, nor reachable from such a word by a plausible chain of suffixes.
  if (form.size() > kMaxMorphyLength) return;
  const auto [rules, n_rules] = RulesOf(pos);
  int cur = 0;
  scratch->forms[cur].assign(form.data(), form.size());
  scratch->spans[cur].assign(1, {0u, static_cast<uint32_t>(form.size())});
  // Applies every rule to every current form into the other buffer, without duplicates (the
  // duplicates NLTK keeps never change which forms are found).
  auto apply_rules = [&]() {
    const std::string& src = scratch->forms[cur];
    std::string& dst = scratch->forms[1 - cur];
    std::vector<std::pair<uint32_t, uint32_t>>& dst_spans = scratch->spans[1 - cur];
    dst.clear();
    dst_spans.clear();
    for (const auto& [offset, length] : scratch->spans[cur]) {
      for (size_t r = 0; r < n_rules; ++r) {
        const std::string_view f(src.data() + offset, length);
        const std::string_view old_suffix = rules[r].old_suffix, new_suffix = rules[r].new_suffix;
        if (!EndsWith(f, old_suffix)) continue;
        const uint32_t start = static_cast<uint32_t>(dst.size());
        dst.append(f.data(), f.size() - old_suffix.size());
        dst.append(new_suffix.data(), new_suffix.size());
        const std::string_view made(dst.data() + start, dst.size() - start);
        bool seen = false;
        for (const auto& [o, l] : dst_spans) seen = seen || std::string_view(dst.data() + o, l) == made;
        if (seen) {
          dst.resize(start);
        } else {
          dst_spans.emplace_back(start, static_cast<uint32_t>(made.size()));
        }
      }
    }
    cur = 1 - cur;
  };
  auto add_all = [&]() {
    for (const auto& [offset, length] : scratch->spans[cur]) add(std::string_view(scratch->forms[cur]).substr(offset, length));
  };
  // 1-2. The original and its one-step forms.
  add(form);
  apply_rules();
  add_all();
  // 3. Keep detaching until something is found or no rule applies.
  while (found.empty() && !scratch->spans[cur].empty()) {
    apply_rules();
    add_all();
  }
}

std::vector<std::string> WordNet::Morphy(std::string_view form, Pos pos) const {
  Scratch scratch;
  MorphyEntries(form, pos, &scratch);
  std::vector<std::string> forms;
  for (uint32_t entry : scratch.entries) forms.push_back(entry_text_[entry]);
  return forms;
}

void WordNet::SynsetsOf(std::string_view form, Scratch* scratch, std::vector<uint32_t>* synsets) const {
  for (int p = 0; p < kNumPos; ++p) {
    MorphyEntries(form, static_cast<Pos>(p), scratch);
    for (uint32_t entry : scratch->entries) {
      const IndexEntry& e = entries_[entry];
      synsets->insert(synsets->end(), index_synsets_.begin() + e.begin[p], index_synsets_.begin() + e.end[p]);
    }
  }
}

int64_t WordNet::NameId(std::string_view name) const {
  const auto it = names_.find(Key(name));
  return it == names_.end() ? -1 : static_cast<int64_t>(it->second);
}

std::vector<std::string> WordNet::SynonymNames(std::string_view form) const {
  Scratch scratch;
  std::vector<uint32_t> synsets;
  SynsetsOf(form, &scratch, &synsets);
  std::vector<std::string> names;
  for (uint32_t s : synsets) {
    const auto [begin, end] = SynsetNameIds(s);
    for (const uint32_t* id = begin; id != end; ++id) names.push_back(name_text_[*id]);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace ecgbench::common::eval
