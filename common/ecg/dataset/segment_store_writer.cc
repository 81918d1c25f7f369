// SegmentStoreWriter: appends segments to rolling shards in a temp dir, then publishes atomically.
#include <unistd.h>

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/store_files.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the segment store format is little-endian float32");

namespace ecgbench::common::ecg {

struct SegmentStoreWriter::State {
  std::string dir;
  std::string tmp;
  SegmentStoreOptions options;
  uint64_t segment_bytes = 0;
  internal::OutFile shard;
  internal::OutFile index;
  int64_t shard_no = -1;
  int64_t shard_segments = 0;
  nlohmann::json shards = nlohmann::json::array();
  int64_t segments = 0;
  int64_t records = 0;
  std::string last_source;
  std::string last_record;
  bool failed = false;
  bool finished = false;
  std::string line;  // reused for each index line

  absl::Status CloseShard() {
    if (!shard.is_open()) return absl::OkStatus();
    const uint64_t bytes = shard.bytes();
    std::string checksum;
    if (absl::Status st = shard.Close(&checksum); !st.ok()) return st;
    shards.push_back(nlohmann::json{{"file", internal::ShardFileName(shard_no)},
                                    {"segments", shard_segments},
                                    {"bytes", bytes},
                                    {"xxh3_128", checksum}});
    return absl::OkStatus();
  }
};

SegmentStoreWriter::SegmentStoreWriter(std::unique_ptr<State> state) : s_(std::move(state)) {}

SegmentStoreWriter::~SegmentStoreWriter() { Abort(); }

absl::StatusOr<std::unique_ptr<SegmentStoreWriter>> SegmentStoreWriter::Create(const std::string& dir,
                                                                               const SegmentStoreOptions& options) {
  if (options.segment_length <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": segment length must be positive, got ", options.segment_length));
  }
  if (!(options.sampling_rate_hz > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": sampling rate must be positive, got ", options.sampling_rate_hz));
  }
  auto s = std::make_unique<State>();
  s->dir = dir;
  s->options = options;
  s->segment_bytes = static_cast<uint64_t>(kNumStandardLeads) * static_cast<uint64_t>(options.segment_length) * sizeof(float);
  absl::StatusOr<std::string> tmp = internal::MakeTempStoreDir(dir);
  if (!tmp.ok()) return tmp.status();
  s->tmp = *tmp;
  if (absl::Status st = s->index.Open(s->tmp + "/" + internal::kIndexFile); !st.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(s->tmp, ec);
    return st;
  }
  return std::unique_ptr<SegmentStoreWriter>(new SegmentStoreWriter(std::move(s)));
}

absl::Status SegmentStoreWriter::Append(const SegmentMeta& meta, const float* data) {
  State& s = *s_;
  if (s.finished || s.failed) {
    return absl::FailedPreconditionError(absl::StrCat(s.dir, ": writer is ", s.finished ? "finished" : "failed"));
  }
  if (meta.sampling_rate_hz != 0 && meta.sampling_rate_hz != s.options.sampling_rate_hz) {
    return absl::InvalidArgumentError(absl::StrCat(meta.record_id, ": sampling rate ", meta.sampling_rate_hz,
                                                   " Hz differs from the store's ", s.options.sampling_rate_hz, " Hz"));
  }
  auto fail = [&s](absl::Status st) {
    s.failed = true;
    return st;
  };
  if (!s.shard.is_open() || (s.shard_segments > 0 && s.shard.bytes() + s.segment_bytes > s.options.shard_bytes)) {
    if (absl::Status st = s.CloseShard(); !st.ok()) return fail(st);
    ++s.shard_no;
    s.shard_segments = 0;
    if (absl::Status st = s.shard.Open(s.tmp + "/" + internal::ShardFileName(s.shard_no)); !st.ok()) return fail(st);
  }
  nlohmann::json j = SegmentMetaToJson(meta);
  j["shard"] = s.shard_no;
  j["offset"] = s.shard.bytes();
  s.line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  s.line.push_back('\n');
  if (absl::Status st = s.shard.Write(data, s.segment_bytes); !st.ok()) return fail(st);
  if (absl::Status st = s.index.Write(s.line); !st.ok()) return fail(st);
  ++s.shard_segments;
  ++s.segments;
  if (s.segments == 1 || meta.record_id != s.last_record || meta.source != s.last_source) {
    ++s.records;
    s.last_record = meta.record_id;
    s.last_source = meta.source;
  }
  return absl::OkStatus();
}

absl::Status SegmentStoreWriter::Finish(const nlohmann::json& counts) {
  State& s = *s_;
  if (s.finished || s.failed) {
    return absl::FailedPreconditionError(absl::StrCat(s.dir, ": writer is ", s.finished ? "finished" : "failed"));
  }
  if (!counts.is_object()) return absl::InvalidArgumentError(absl::StrCat(s.dir, ": counts must be a JSON object"));
  auto fail = [&s](absl::Status st) {
    s.failed = true;
    return st;
  };
  if (absl::Status st = s.CloseShard(); !st.ok()) return fail(st);
  internal::ManifestInputs in;
  in.index_bytes = s.index.bytes();
  if (absl::Status st = s.index.Close(&in.index_checksum); !st.ok()) return fail(st);
  in.segment_length = s.options.segment_length;
  in.sampling_rate_hz = s.options.sampling_rate_hz;
  in.shard_bytes = s.options.shard_bytes;
  in.shards = s.shards;
  in.parameters = s.options.parameters;
  in.content_hash = s.options.content_hash;
  in.counts = counts;
  in.counts["segments"] = s.segments;
  in.counts["records"] = s.records;
  in.counts["shards"] = s.shards.size();
  if (absl::Status st = internal::PublishStoreDir(s.tmp, s.dir, internal::MakeManifest(in)); !st.ok()) return fail(st);
  s.finished = true;
  return absl::OkStatus();
}

void SegmentStoreWriter::Abort() {
  if (!s_ || s_->finished) return;
  std::error_code ec;
  std::filesystem::remove_all(s_->tmp, ec);
  s_->failed = true;
}

int64_t SegmentStoreWriter::num_segments() const { return s_->segments; }
const std::string& SegmentStoreWriter::temp_dir() const { return s_->tmp; }

}  // namespace ecgbench::common::ecg
