// `ecgbench tokenizer train|encode|decode|stats`: the ECG-Byte tokenizer tools (docs/representations/ecg-byte.md):
//   train   sample segments of a segment store (seeded), min-max normalize each like upstream,
//           symbolize, train BPE, write the tokenizer JSON (and optionally an HF tokenizer.json)
//   encode  symbol strings (one per line) or a store's segment -> one JSON array of ids per line
//   decode  JSON arrays of ids (one per line) -> symbol strings
//   stats   vocabulary size, merges, longest token; with --store, mean symbols per token on a sample
//   symbols a store's (sampled) segments as symbol strings, one per line (the training corpus)
// Exit codes (client/commands/exit_codes.h): 0 success, 2 usage, 6 invalid input (a bad tokenizer
// file, store, symbol string or id list), 1 other failures (writing the output).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/commands/input_lines.h"
#include "client/commands/commands.h"
#include "client/commands/data_common.h"
#include "client/commands/exit_codes.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/repr/ecg_byte/bpe_trainer.h"
#include "common/repr/ecg_byte/ecg_byte_tokenizer.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/repr/signal/normalize.h"
#include "common/util/det_random.h"
#include "common/util/json.h"
#include "nlohmann/json.hpp"

namespace ecgbench::client {

namespace {

namespace repr = common::repr;
namespace ecg = common::ecg;

constexpr char kFooter[] =
    "Exit codes: 0 success, 1 failure (e.g. writing the output), 2 usage error, 6 invalid input\n"
    "(a bad tokenizer file, segment store, symbol string or id list). docs/representations/ecg-byte.md has the details.";

struct TokenizerOptions {
  std::string store;
  int merges = 6000;
  int64_t samples = 0;  // 0: every segment
  uint64_t seed = 0;
  std::string out;
  std::string hf_json;
  int threads = 0;
  bool concatenate = false;
  std::string tokenizer;
  std::string mode = "longest";
  std::string input = "-";
  int64_t segment = -1;
  bool json = false;
  bool timing = false;
};

// Segment i of `store`, min-max normalized over all 12 x L values and symbolized (upstream).
absl::Status SegmentSymbols(const ecg::SegmentStore& store, int64_t i, std::vector<float>& scratch, std::string* out) {
  const int64_t n = static_cast<int64_t>(store.num_leads()) * store.segment_length();
  scratch.resize(static_cast<size_t>(n));
  auto range = repr::Normalizer::MinMax().Apply(absl::MakeConstSpan(store.Segment(i), static_cast<size_t>(n)),
                                                absl::MakeSpan(scratch));
  if (!range.ok()) return absl::InvalidArgumentError(absl::StrCat(store.dir(), ": segment ", i, ": ", range.status().message()));
  return repr::SymbolizeAppend(scratch.data(), n, store.segment_length(), out);
}

absl::StatusOr<std::unique_ptr<ecg::SegmentStore>> OpenStore(const std::string& dir) { return ecg::SegmentStore::Open(dir); }

absl::StatusOr<repr::EncodeMode> ParseMode(const std::string& mode) {
  if (mode == "longest") return repr::EncodeMode::kLongestMatch;
  if (mode == "rank") return repr::EncodeMode::kMergeRank;
  return absl::InvalidArgumentError(absl::StrCat("--mode: unknown mode '", mode, "' (expected longest or rank)"));
}

std::string IdsJson(const std::vector<int32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) absl::StrAppend(&out, i ? "," : "", ids[i]);
  return out + "]";
}

int RunTrain(CommandContext& ctx, const TokenizerOptions& o) {
  auto store = OpenStore(o.store);
  if (!store.ok()) return data::Fail(ctx, store.status(), kExitInvalidArgument);
  const ecg::SegmentStore& s = **store;
  if (s.size() == 0) {
    return data::Fail(ctx, absl::InvalidArgumentError(absl::StrCat(o.store, ": empty corpus: the store has no segments")),
                      kExitInvalidArgument);
  }
  const std::vector<int64_t> picked = common::SampleWithoutReplacement(s.size(), o.samples, o.seed);
  std::vector<std::string> corpus(picked.size());
  std::vector<float> scratch;
  for (size_t k = 0; k < picked.size(); ++k) {
    absl::Status st = SegmentSymbols(s, picked[k], scratch, &corpus[k]);
    if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
  }
  repr::BpeTrainerOptions options;
  options.num_merges = o.merges;
  options.concatenate = o.concatenate;
  options.num_threads = o.threads;
  const auto t0 = std::chrono::steady_clock::now();
  auto result = repr::TrainBpe(corpus, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!result.ok()) return data::Fail(ctx, result.status(), kExitInvalidArgument);
  auto tokenizer = repr::EcgByteTokenizer::Create(result->merges);
  if (!tokenizer.ok()) return data::Fail(ctx, tokenizer.status(), kExitFailed);
  const nlohmann::json training = {
      {"store", o.store},
      {"store_content_hash", s.manifest().value("content_hash", "")},
      {"segment_length", s.segment_length()},
      {"num_segments", static_cast<int64_t>(picked.size())},
      {"samples_requested", o.samples},
      {"seed", o.seed},
      {"sampling", "random"},
      {"normalization", "global_minmax"},
      {"sequences", o.concatenate ? "concatenated" : "per_segment"},
      {"merges_requested", o.merges},
      {"stopped_early", result->stopped_early},
      {"num_symbols", result->num_symbols},
      {"num_tokens", result->num_tokens},
      {"train_seconds", seconds}};
  if (absl::Status st = repr::SaveTokenizer(o.out, *tokenizer, training); !st.ok()) return data::Fail(ctx, st, kExitFailed);
  if (!o.hf_json.empty()) {
    if (absl::Status st = repr::ExportHfTokenizer(o.hf_json, *tokenizer); !st.ok()) return data::Fail(ctx, st, kExitFailed);
  }
  if (o.json) {
    nlohmann::json j = training;
    j["output"] = o.out;
    j["num_merges"] = tokenizer->num_merges();
    j["vocab_size"] = tokenizer->vocab_size();
    if (!o.hf_json.empty()) j["hf_json"] = o.hf_json;
    ctx.out() << j.dump(2) << "\n" << std::flush;
    return kExitOk;
  }
  const double per_token =
      result->num_tokens > 0 ? static_cast<double>(result->num_symbols) / static_cast<double>(result->num_tokens) : 0;
  ctx.out() << "trained " << tokenizer->num_merges() << " merges (vocab " << tokenizer->vocab_size() << ") on "
            << picked.size() << " segments: " << result->num_symbols << " symbols -> " << result->num_tokens
            << " tokens (" << absl::StrFormat("%.2f", per_token) << " symbols/token) in "
            << absl::StrFormat("%.2f", seconds) << " s\n";
  if (result->stopped_early) {
    ctx.out() << "stopped early: no pair occurs twice after " << tokenizer->num_merges() << " of " << o.merges
              << " merges\n";
  }
  ctx.out() << "wrote " << o.out << "\n";
  if (!o.hf_json.empty()) ctx.out() << "wrote " << o.hf_json << " (Hugging Face tokenizer.json, BPE)\n";
  ctx.out() << std::flush;
  return kExitOk;
}

int RunEncode(CommandContext& ctx, const TokenizerOptions& o) {
  auto mode = ParseMode(o.mode);
  if (!mode.ok()) return data::Fail(ctx, mode.status(), kExitUsage);
  if (o.store.empty() != (o.segment < 0)) {
    return data::Fail(ctx, absl::InvalidArgumentError("--store and --segment go together"), kExitUsage);
  }
  auto file = repr::LoadTokenizer(o.tokenizer);
  if (!file.ok()) return data::Fail(ctx, file.status(), kExitInvalidArgument);
  const repr::EcgByteTokenizer& t = file->tokenizer;
  std::vector<int32_t> ids;
  if (!o.store.empty()) {
    auto store = OpenStore(o.store);
    if (!store.ok()) return data::Fail(ctx, store.status(), kExitInvalidArgument);
    if (o.segment >= (*store)->size()) {
      return data::Fail(ctx,
                        absl::InvalidArgumentError(absl::StrCat("--segment ", o.segment, ": the store has ",
                                                                (*store)->size(), " segments")),
                        kExitUsage);
    }
    std::string symbols;
    std::vector<float> scratch;
    absl::Status st = SegmentSymbols(**store, o.segment, scratch, &symbols);
    if (st.ok()) st = t.EncodeAppend(symbols, *mode, &ids);
    if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
    ctx.out() << IdsJson(ids) << "\n" << std::flush;
    return kExitOk;
  }
  double encode_seconds = 0;
  int64_t symbols_total = 0, tokens_total = 0;
  absl::Status st = ForEachInputLine(o.input, [&](const std::string& line, int64_t n) {
    ids.clear();
    const auto t0 = std::chrono::steady_clock::now();
    absl::Status enc = t.EncodeAppend(line, *mode, &ids);
    encode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    symbols_total += static_cast<int64_t>(line.size());
    tokens_total += static_cast<int64_t>(ids.size());
    if (!enc.ok()) return absl::InvalidArgumentError(absl::StrCat(InputLineName(o.input, n), ": ", enc.message()));
    ctx.out() << IdsJson(ids) << "\n";
    return absl::OkStatus();
  });
  ctx.out() << std::flush;
  if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
  if (o.timing) {
    ctx.err() << "encoded " << symbols_total << " symbols into " << tokens_total << " tokens in "
              << absl::StrFormat("%.3f", encode_seconds) << " s of encoding ("
              << absl::StrFormat("%.2f", encode_seconds > 0 ? static_cast<double>(symbols_total) / encode_seconds / 1e6 : 0.0)
              << " M symbols/s, one thread)\n"
              << std::flush;
  }
  return kExitOk;
}

int RunSymbols(CommandContext& ctx, const TokenizerOptions& o) {
  auto store = OpenStore(o.store);
  if (!store.ok()) return data::Fail(ctx, store.status(), kExitInvalidArgument);
  std::ofstream file;
  std::ostream* out = &ctx.out();
  if (!o.out.empty()) {
    file.open(o.out, std::ios::binary | std::ios::trunc);
    if (!file) return data::Fail(ctx, absl::InternalError(absl::StrCat(o.out, ": cannot open for writing")), kExitFailed);
    out = &file;
  }
  std::string symbols;
  std::vector<float> scratch;
  for (int64_t i : common::SampleWithoutReplacement((*store)->size(), o.samples, o.seed)) {
    symbols.clear();
    absl::Status st = SegmentSymbols(**store, i, scratch, &symbols);
    if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
    symbols.push_back('\n');
    out->write(symbols.data(), static_cast<std::streamsize>(symbols.size()));
  }
  out->flush();
  if (!*out) return data::Fail(ctx, absl::InternalError(absl::StrCat(o.out.empty() ? "stdout" : o.out, ": write failed")), kExitFailed);
  return kExitOk;
}

int RunDecode(CommandContext& ctx, const TokenizerOptions& o) {
  auto file = repr::LoadTokenizer(o.tokenizer);
  if (!file.ok()) return data::Fail(ctx, file.status(), kExitInvalidArgument);
  const repr::EcgByteTokenizer& t = file->tokenizer;
  std::vector<int32_t> ids;
  std::string symbols;
  absl::Status st = ForEachInputLine(o.input, [&](const std::string& line, int64_t n) {
    const std::string where = InputLineName(o.input, n);
    auto j = common::ParseJson(line, where);
    if (!j.ok()) return j.status();
    if (!j->is_array()) return absl::InvalidArgumentError(absl::StrCat(where, ": expected a JSON array of ids"));
    ids.clear();
    for (const nlohmann::json& v : *j) {
      if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": expected integer ids, got ", v.dump()));
      }
      ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    symbols.clear();
    absl::Status dec = t.DecodeAppend(ids.data(), ids.size(), &symbols);
    if (!dec.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", dec.message()));
    ctx.out() << symbols << "\n";
    return absl::OkStatus();
  });
  ctx.out() << std::flush;
  if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
  return kExitOk;
}

int RunStats(CommandContext& ctx, const TokenizerOptions& o) {
  auto file = repr::LoadTokenizer(o.tokenizer);
  if (!file.ok()) return data::Fail(ctx, file.status(), kExitInvalidArgument);
  const repr::EcgByteTokenizer& t = file->tokenizer;
  auto mode = ParseMode(o.mode);
  if (!mode.ok()) return data::Fail(ctx, mode.status(), kExitUsage);
  int32_t longest_id = 'a';
  for (int32_t id = repr::kByteVocabSize; id < t.vocab_size(); ++id) {
    if (t.Symbols(id).size() > t.Symbols(longest_id).size()) longest_id = id;
  }
  nlohmann::json j = {{"tokenizer", o.tokenizer},
                      {"vocab_size", t.vocab_size()},
                      {"num_merges", t.num_merges()},
                      {"longest_token_id", longest_id},
                      {"longest_token_symbols", t.Symbols(longest_id).size()}};
  if (!o.store.empty()) {
    auto store = OpenStore(o.store);
    if (!store.ok()) return data::Fail(ctx, store.status(), kExitInvalidArgument);
    const int64_t samples = o.samples > 0 ? o.samples : 100;
    const std::vector<int64_t> picked = common::SampleWithoutReplacement((*store)->size(), samples, o.seed);
    int64_t symbols_total = 0, tokens_total = 0;
    std::string symbols;
    std::vector<float> scratch;
    std::vector<int32_t> ids;
    for (int64_t i : picked) {
      symbols.clear();
      ids.clear();
      absl::Status st = SegmentSymbols(**store, i, scratch, &symbols);
      if (st.ok()) st = t.EncodeAppend(symbols, *mode, &ids);
      if (!st.ok()) return data::Fail(ctx, st, kExitInvalidArgument);
      symbols_total += static_cast<int64_t>(symbols.size());
      tokens_total += static_cast<int64_t>(ids.size());
    }
    j["store"] = o.store;
    j["mode"] = o.mode;
    j["segments"] = static_cast<int64_t>(picked.size());
    j["symbols"] = symbols_total;
    j["tokens"] = tokens_total;
    j["symbols_per_token"] = tokens_total > 0 ? static_cast<double>(symbols_total) / static_cast<double>(tokens_total) : 0.0;
  }
  if (o.json) {
    ctx.out() << j.dump(2) << "\n" << std::flush;
    return kExitOk;
  }
  ctx.out() << "tokenizer:     " << o.tokenizer << "\n"
            << "vocab size:    " << t.vocab_size() << " (256 bytes + " << t.num_merges() << " merges)\n"
            << "longest token: " << t.Symbols(longest_id).size() << " symbols (id " << longest_id << ")\n";
  if (!o.store.empty()) {
    ctx.out() << "on " << j["segments"].get<int64_t>() << " segments of " << o.store << " (" << o.mode
              << "): " << j["symbols"].get<int64_t>() << " symbols -> " << j["tokens"].get<int64_t>() << " tokens, "
              << absl::StrFormat("%.2f", j["symbols_per_token"].get<double>()) << " symbols/token\n";
  }
  ctx.out() << std::flush;
  return kExitOk;
}

}  // namespace

void AddTokenizerCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* tok =
      app.add_subcommand("tokenizer", "ECG-Byte tokenizer: train, encode, decode, stats, symbols (no coordinator)");
  tok->require_subcommand(1);

  auto o = std::make_shared<TokenizerOptions>();
  CLI::App* train = tok->add_subcommand("train", "Train ECG-Byte BPE merges on sampled segments of a segment store");
  train->add_option("--store", o->store, "Segment store directory (ecgbench data preprocess --out)")->required();
  train->add_option("--merges", o->merges, "Number of merges (vocabulary = 256 + merges)")
      ->check(CLI::Range(1, repr::kMaxMerges));
  train->add_option("--samples", o->samples, "Segments sampled at random (0: all)")->check(CLI::NonNegativeNumber);
  train->add_option("--seed", o->seed, "Seed of the sampling");
  train->add_option("-o,--out", o->out, "Tokenizer file to write (JSON)")->required();
  train->add_option("--hf-json", o->hf_json, "Also write a Hugging Face tokenizer.json (BPE model)");
  train->add_option("--threads", o->threads, "Threads for the initial pair count (0: the hardware threads)")
      ->check(CLI::NonNegativeNumber);
  train->add_flag("--concatenate", o->concatenate,
                  "Upstream's corpus: all segments in one sequence (pairs may span two segments)");
  train->add_flag("--json", o->json, "Print the training summary as one JSON document");
  train->footer(kFooter);
  train->callback([&ctx, action, o] { *action = [&ctx, o] { return RunTrain(ctx, *o); }; });

  auto e = std::make_shared<TokenizerOptions>();
  CLI::App* encode = tok->add_subcommand(
      "encode", "Symbol strings (one per line) or a store's segment -> one JSON array of token ids per line");
  encode->add_option("--tokenizer", e->tokenizer, "Tokenizer file (tokenizer train -o)")->required();
  encode->add_option("--mode", e->mode, "longest (upstream's greedy longest match) or rank (standard BPE)");
  encode->add_option("--input", e->input, "File of symbol strings, one per line ('-': stdin)");
  encode->add_option("--store", e->store, "Encode a segment of this segment store instead (with --segment)");
  encode->add_option("--segment", e->segment, "Segment index in --store (from 0)")->check(CLI::NonNegativeNumber);
  encode->add_flag("--timing", e->timing, "Print the encoding time alone (no I/O) and symbols/s on stderr");
  encode->footer(kFooter);
  encode->callback([&ctx, action, e] { *action = [&ctx, e] { return RunEncode(ctx, *e); }; });

  auto d = std::make_shared<TokenizerOptions>();
  CLI::App* decode = tok->add_subcommand("decode", "JSON arrays of token ids (one per line) -> symbol strings");
  decode->add_option("--tokenizer", d->tokenizer, "Tokenizer file")->required();
  decode->add_option("--input", d->input, "File of id arrays, one per line ('-': stdin)");
  decode->footer(kFooter);
  decode->callback([&ctx, action, d] { *action = [&ctx, d] { return RunDecode(ctx, *d); }; });

  auto y = std::make_shared<TokenizerOptions>();
  CLI::App* sym = tok->add_subcommand("symbols", "A store's segments as symbol strings, one per line (normalized like train)");
  sym->add_option("--store", y->store, "Segment store directory")->required();
  sym->add_option("--samples", y->samples, "Segments sampled at random as train does (0: all)")->check(CLI::NonNegativeNumber);
  sym->add_option("--seed", y->seed, "Seed of the sampling");
  sym->add_option("-o,--out", y->out, "Output file (default: stdout)");
  sym->footer(kFooter);
  sym->callback([&ctx, action, y] { *action = [&ctx, y] { return RunSymbols(ctx, *y); }; });

  auto s = std::make_shared<TokenizerOptions>();
  CLI::App* stats = tok->add_subcommand("stats", "Vocabulary size, merges, longest token; symbols per token on a store");
  stats->add_option("--tokenizer", s->tokenizer, "Tokenizer file")->required();
  stats->add_option("--store", s->store, "Segment store to measure symbols per token on");
  stats->add_option("--samples", s->samples, "Segments sampled from --store (default 100)")->check(CLI::NonNegativeNumber);
  stats->add_option("--seed", s->seed, "Seed of the sampling");
  stats->add_option("--mode", s->mode, "Encoder: longest or rank");
  stats->add_flag("--json", s->json, "Print one JSON document");
  stats->footer(kFooter);
  stats->callback([&ctx, action, s] { *action = [&ctx, s] { return RunStats(ctx, *s); }; });
}

}  // namespace ecgbench::client
