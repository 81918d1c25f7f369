// Segment store: write thousands of small segments over several shards, reopen with mmap, verify
// checksums, detect a corrupted byte, merge part stores, export npy + JSONL.
#include "common/ecg/dataset/segment_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/unit/ecg/dataset/test_util.h"
#include "common/util/json.h"

namespace ecgbench::common::ecg {
namespace {

using testing::ReadText;
using testing::TempDir;
using testing::WriteText;

constexpr int64_t kLen = 50;  // 12 x 50 x 4 = 2400 bytes per segment

float Value(int64_t i, int l, int64_t t) { return static_cast<float>(i) + 0.01f * static_cast<float>(l) + 1e-4f * static_cast<float>(t); }

SegmentMeta MetaOf(int64_t i) {
  SegmentMeta m;
  m.record_id = "rec" + std::to_string(i / 3);
  m.patient_id = "p" + std::to_string(i / 30);
  m.segment_index = i % 3;
  m.report = "report \"" + std::to_string(i / 3) + "\"\nline two";
  m.source = "synth";
  m.sampling_rate_hz = 250;
  m.labels = {{"class", std::to_string((i / 3) % 4)}};
  return m;
}

// Writes segments [first, first + n) with Value/MetaOf.
void WriteStore(const std::string& dir, int64_t first, int64_t n, uint64_t shard_bytes,
                nlohmann::json counts = nlohmann::json::object()) {
  SegmentStoreOptions o;
  o.segment_length = kLen;
  o.sampling_rate_hz = 250;
  o.shard_bytes = shard_bytes;
  o.parameters = {{"segment_length", kLen}, {"target_rate_hz", 250}};
  o.content_hash = "abc123";
  auto w = SegmentStoreWriter::Create(dir, o);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<float> buf(12 * kLen);
  for (int64_t i = first; i < first + n; ++i) {
    for (int l = 0; l < 12; ++l) {
      for (int64_t t = 0; t < kLen; ++t) buf[static_cast<size_t>(l * kLen + t)] = Value(i, l, t);
    }
    ASSERT_TRUE((*w)->Append(MetaOf(i), buf.data()).ok());
  }
  EXPECT_TRUE(std::filesystem::exists((*w)->temp_dir()));
  EXPECT_FALSE(std::filesystem::exists(dir));
  ASSERT_TRUE((*w)->Finish(counts).ok());
  EXPECT_FALSE(std::filesystem::exists((*w)->temp_dir()));
}

void ExpectSegments(const SegmentStore& s, int64_t first) {
  for (int64_t i = 0; i < s.size(); ++i) {
    const float* d = s.Segment(i);
    for (int l = 0; l < 12; ++l) {
      ASSERT_EQ(d[l * kLen], Value(first + i, l, 0)) << i;
      ASSERT_EQ(d[l * kLen + kLen - 1], Value(first + i, l, kLen - 1)) << i;
    }
  }
}

TEST(SegmentStoreTest, WriteReopenVerify) {
  TempDir tmp;
  const std::string dir = tmp / "store";
  WriteStore(dir, 0, 3000, 1 << 20, {{"quality", {{"skipped_nonfinite", 2}}}});
  auto s = SegmentStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  const SegmentStore& store = **s;
  // 1 MiB / 2400 B = 436 segments per shard: 6 full shards + 384.
  EXPECT_EQ(store.size(), 3000);
  EXPECT_EQ(store.num_shards(), 7);
  EXPECT_EQ(store.segment_length(), kLen);
  EXPECT_EQ(store.num_leads(), 12);
  EXPECT_EQ(store.sampling_rate_hz(), 250);
  EXPECT_EQ(std::filesystem::file_size(dir + "/shard-00000.f32"), 436u * 2400u);
  EXPECT_EQ(std::filesystem::file_size(dir + "/shard-00006.f32"), 384u * 2400u);
  const nlohmann::json& m = store.manifest();
  EXPECT_EQ(m["version"], 2);
  EXPECT_EQ(m["format"], "ecgbench-segment-store");
  EXPECT_EQ(m["num_segments"], 3000);
  EXPECT_EQ(m["counts"]["segments"], 3000);
  EXPECT_EQ(m["counts"]["records"], 1000);
  EXPECT_EQ(m["counts"]["shards"], 7);
  EXPECT_EQ(m["counts"]["quality"]["skipped_nonfinite"], 2);
  EXPECT_EQ(m["content_hash"], "abc123");
  EXPECT_EQ(m["parameters"]["segment_length"], kLen);
  EXPECT_EQ(m["leads"][3], "aVR");
  EXPECT_EQ(m["shards"][6]["segments"], 384);
  EXPECT_EQ(m["shards"][6]["xxh3_128"].get<std::string>().size(), 32u);
  ExpectSegments(store, 0);
  EXPECT_EQ(*store.Meta(1234), MetaOf(1234));
  auto all = store.AllMeta();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[2999], MetaOf(2999));
  EXPECT_EQ(store.Meta(3000).status().code(), absl::StatusCode::kOutOfRange);
  // Index line 437 (segment 436) is the first of shard 1.
  std::string text;
  {
    std::ifstream in(dir + "/index.jsonl");
    for (int k = 0; k <= 436; ++k) std::getline(in, text);
  }
  auto line = ParseJson(text, "index line 437");
  ASSERT_TRUE(line.ok());
  EXPECT_EQ((*line)["shard"], 1);
  EXPECT_EQ((*line)["offset"], 0);
  EXPECT_EQ((*line)["record_id"], "rec145");
  EXPECT_TRUE(store.Verify().ok());
}

TEST(SegmentStoreTest, CorruptedByteNamesTheShard) {
  TempDir tmp;
  const std::string dir = tmp / "store";
  WriteStore(dir, 0, 2000, 1 << 20);
  {
    std::fstream f(dir + "/shard-00003.f32", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12345);
    char c = 0x5a;
    f.write(&c, 1);
  }
  auto s = SegmentStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Status st = (*s)->Verify();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find(dir + "/shard-00003.f32: XXH3-128 mismatch: manifest says "), std::string::npos) << st;
}

TEST(SegmentStoreTest, TamperedIndexIsDetected) {
  TempDir tmp;
  const std::string dir = tmp / "store";
  WriteStore(dir, 0, 20, 1 << 20);
  std::string index = ReadText(dir + "/index.jsonl");
  index.replace(index.find("rec5"), 4, "rec9");
  WriteText(dir + "/index.jsonl", index);
  auto s = SegmentStore::Open(dir);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Verify().message().rfind(dir + "/index.jsonl: XXH3-128 mismatch", 0), 0u);
  auto m = *ParseJson(ReadText(dir + "/manifest.json"), "m");
  m["shards"][0]["file"] = "../elsewhere.f32";
  WriteText(dir + "/manifest.json", m.dump());
  EXPECT_EQ(SegmentStore::Open(dir).status().message(),
            dir + "/manifest.json: field \"shards[0].file\" is not a plain file name: \"../elsewhere.f32\"");
}

TEST(SegmentStoreTest, OpenRejectsDamagedStores) {
  TempDir tmp;
  const std::string dir = tmp / "store";
  WriteStore(dir, 0, 100, 1 << 20);
  EXPECT_EQ(SegmentStore::Open(tmp / "nope").status().code(), absl::StatusCode::kNotFound);
  // Truncated shard.
  std::filesystem::resize_file(dir + "/shard-00000.f32", 2400 * 99);
  EXPECT_EQ(SegmentStore::Open(dir).status().message(),
            dir + "/shard-00000.f32: size 237600 bytes, manifest says 100 segments = 240000 bytes");
  std::filesystem::resize_file(dir + "/shard-00000.f32", 2400 * 100);
  // Index with a line too few.
  const std::string index = ReadText(dir + "/index.jsonl");
  WriteText(dir + "/index.jsonl", index.substr(0, index.rfind('\n', index.size() - 2) + 1));
  EXPECT_EQ(SegmentStore::Open(dir).status().message(), dir + "/index.jsonl: 99 lines, the shards hold 100 segments");
  WriteText(dir + "/index.jsonl", index);
  // A manifest field of the wrong type.
  auto m = *ParseJson(ReadText(dir + "/manifest.json"), "m");
  m["segment_length"] = "fifty";
  WriteText(dir + "/manifest.json", m.dump());
  EXPECT_EQ(SegmentStore::Open(dir).status().message(),
            dir + "/manifest.json: field \"segment_length\" missing or not an integer");
  m["segment_length"] = kLen;
  m["version"] = 1;
  WriteText(dir + "/manifest.json", m.dump());
  EXPECT_EQ(SegmentStore::Open(dir).status().message(),
            dir + "/manifest.json: unsupported store version 1 (this build reads 2)");
  WriteText(dir + "/manifest.json", "{\"format\": ");
  EXPECT_NE(SegmentStore::Open(dir).status().message().find(dir + "/manifest.json: invalid JSON"), std::string::npos);
}

TEST(SegmentStoreTest, WriterLifecycle) {
  TempDir tmp;
  const std::string dir = tmp / "store";
  SegmentStoreOptions o;
  o.segment_length = kLen;
  {
    auto w = SegmentStoreWriter::Create(dir, o);
    ASSERT_TRUE(w.ok());
    std::vector<float> buf(12 * kLen, 1.0f);
    SegmentMeta meta = MetaOf(0);
    meta.sampling_rate_hz = 500;
    EXPECT_EQ((*w)->Append(meta, buf.data()).message(), "rec0: sampling rate 500 Hz differs from the store's 250 Hz");
    meta.sampling_rate_hz = 0;  // unset: accepted
    EXPECT_TRUE((*w)->Append(meta, buf.data()).ok());
    EXPECT_EQ((*w)->num_segments(), 1);
    // Destroyed without Finish: nothing is left behind.
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
  o.segment_length = 0;
  EXPECT_EQ(SegmentStoreWriter::Create(dir, o).status().code(), absl::StatusCode::kInvalidArgument);
  o.segment_length = kLen;
  WriteStore(dir, 0, 0, 1 << 20);  // an empty store is valid
  auto s = SegmentStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->size(), 0);
  EXPECT_EQ((*s)->num_shards(), 0);
  EXPECT_TRUE((*s)->Verify().ok());
  EXPECT_EQ(SegmentStoreWriter::Create(dir, o).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(SegmentStoreTest, MergeParts) {
  TempDir tmp;
  WriteStore(tmp / "part0", 0, 1000, 1 << 20, {{"quality", {{"skipped_nonfinite", 2}}}});
  WriteStore(tmp / "part1", 1000, 2000, 300000, {{"quality", {{"skipped_nonfinite", 5}}}});
  ASSERT_TRUE(MergeStores({tmp / "part0", tmp / "part1"}, tmp / "merged").ok());
  auto s = SegmentStore::Open(tmp / "merged");
  ASSERT_TRUE(s.ok()) << s.status();
  // part0: 436 + 436 + 128; part1: 125 per shard (300000 / 2400) x 16.
  EXPECT_EQ((*s)->size(), 3000);
  EXPECT_EQ((*s)->num_shards(), 3 + 16);
  ExpectSegments(**s, 0);
  EXPECT_EQ(*(*s)->Meta(2500), MetaOf(2500));
  const nlohmann::json& m = (*s)->manifest();
  EXPECT_EQ(m["counts"]["quality"]["skipped_nonfinite"], 7);
  EXPECT_EQ(m["counts"]["records"], 334 + 667);  // rec333 spans both parts and is counted in each
  EXPECT_EQ(m["content_hash"].get<std::string>().size(), 64u);
  EXPECT_TRUE((*s)->Verify().ok());
  // Hard links: the parts are still valid stores.
  auto p1 = SegmentStore::Open(tmp / "part1");
  ASSERT_TRUE(p1.ok());
  EXPECT_TRUE((*p1)->Verify().ok());
  // Move mode consumes the parts.
  MergeOptions move;
  move.move_shards = true;
  move.content_hash = "feed";
  ASSERT_TRUE(MergeStores({tmp / "part0", tmp / "part1"}, tmp / "moved", move).ok());
  EXPECT_FALSE(std::filesystem::exists(tmp / "part0"));
  auto mv = SegmentStore::Open(tmp / "moved");
  ASSERT_TRUE(mv.ok());
  EXPECT_EQ((*mv)->manifest()["content_hash"], "feed");
  EXPECT_TRUE((*mv)->Verify().ok());
  ExpectSegments(**mv, 0);
}

TEST(SegmentStoreTest, MergeRejectsIncompatibleParts) {
  TempDir tmp;
  WriteStore(tmp / "a", 0, 10, 1 << 20);
  SegmentStoreOptions o;
  o.segment_length = 25;
  o.parameters = {{"segment_length", 25}};
  ASSERT_TRUE((*SegmentStoreWriter::Create(tmp / "b", o))->Finish().ok());
  absl::Status st = MergeStores({tmp / "a", tmp / "b"}, tmp / "out");
  EXPECT_EQ(st.message(), tmp / "b" + ": field \"segment_length\" differs from " + tmp / "a" + " (25 vs 50)");
  EXPECT_FALSE(std::filesystem::exists(tmp / "out"));
  EXPECT_EQ(MergeStores({}, tmp / "out").code(), absl::StatusCode::kInvalidArgument);
}

TEST(SegmentStoreTest, NpyHeader) {
  const std::string h = NpyHeaderV1("<f4", {3000, 12, 50});
  EXPECT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t len = static_cast<unsigned char>(h[8]) | (static_cast<size_t>(static_cast<unsigned char>(h[9])) << 8);
  EXPECT_EQ(len + 10, h.size());
  EXPECT_EQ(h.substr(10, 67), "{'descr': '<f4', 'fortran_order': False, 'shape': (3000, 12, 50), }");
  EXPECT_EQ(h.back(), '\n');
  EXPECT_NE(NpyHeaderV1("<f4", {7}).find("'shape': (7,), }"), std::string::npos);
}

TEST(SegmentStoreTest, ExportNpyJsonl) {
  TempDir tmp;
  WriteStore(tmp / "store", 0, 2000, 1 << 20);
  auto s = SegmentStore::Open(tmp / "store");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(ExportNpyJsonl(**s, tmp / "export").ok());
  const std::string npy = ReadText(tmp / "export/ecgs.npy");
  ASSERT_GT(npy.size(), 10u);
  EXPECT_EQ(npy.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t hlen = static_cast<unsigned char>(npy[8]) | (static_cast<size_t>(static_cast<unsigned char>(npy[9])) << 8);
  const std::string header = npy.substr(10, hlen);
  EXPECT_EQ((10 + hlen) % 64, 0u);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos);
  EXPECT_NE(header.find("'shape': (2000, 12, 50)"), std::string::npos);
  ASSERT_EQ(npy.size(), 10 + hlen + 2000u * 2400u);
  float v;
  std::memcpy(&v, npy.data() + 10 + hlen + (1234 * 600 + 7 * 50 + 9) * 4, 4);
  EXPECT_EQ(v, Value(1234, 7, 9));
  std::ifstream in(tmp / "export/segments.jsonl");
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    if (n == 1234) {
      auto j = ParseJson(line, "segments.jsonl");
      ASSERT_TRUE(j.ok());
      EXPECT_EQ((*j)["index"], 1234);
      EXPECT_EQ((*j)["record_id"], "rec411");
      EXPECT_EQ((*j)["segment_index"], 1);
      EXPECT_EQ((*j)["labels"]["class"], "3");
      EXPECT_FALSE(j->contains("shard"));
    }
    ++n;
  }
  EXPECT_EQ(n, 2000);
  // Cross-check with numpy when Debian's python3-numpy is there.
  ASSERT_EQ(std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1"), 0)
      << "needs /usr/bin/python3 with numpy (python3-numpy: scripts/install-deps.sh)";
  const std::string out = tmp / "py.txt";
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; a = np.load('" + tmp / "export/ecgs.npy" +
                          "', mmap_mode='r'); print(a.shape, a.dtype, int(a[1234, 7, 9].view(np.uint32)))\" > " + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const float want = Value(1234, 7, 9);
  uint32_t bits;
  std::memcpy(&bits, &want, 4);
  EXPECT_EQ(ReadText(out), "(2000, 12, 50) float32 " + std::to_string(bits) + "\n");
}

}  // namespace
}  // namespace ecgbench::common::ecg
