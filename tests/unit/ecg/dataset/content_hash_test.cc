// SHA-256, canonical JSON, content hashes (fast and strict file identities), artifact layout.
#include "common/ecg/dataset/content_hash.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>

#include "tests/unit/ecg/dataset/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using testing::TempDir;
using testing::WriteText;

TEST(ContentHashTest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.HexDigest(), Sha256Hex("abc"));
  EXPECT_EQ(h.HexDigest(), Sha256Hex(""));  // reset after a digest
  TempDir tmp;
  WriteText(tmp / "f", "abc");
  EXPECT_EQ(*Sha256FileHex(tmp / "f"), Sha256Hex("abc"));
  EXPECT_EQ(Sha256FileHex(tmp / "missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(ContentHashTest, CanonicalJsonSortsKeysCompactly) {
  nlohmann::json j = nlohmann::json::parse(R"({"b": 1, "a": [1, 2.5, "x", {"z": true, "y": null}], "c": 1.0})");
  EXPECT_EQ(CanonicalJson(j), R"({"a":[1,2.5,"x",{"y":null,"z":true}],"b":1,"c":1.0})");
}

TEST(ContentHashTest, HashOfParametersAndInputs) {
  ContentHash a("segments");
  a.SetParameters({{"target_rate_hz", 250}, {"segment_length", 1250}});
  a.AddInput("dataset", "ptbxl-1.0.3");
  a.AddInput("catalog", {{"sha256", "00ff"}});
  EXPECT_EQ(CanonicalJson(a.Canonical()),
            R"({"inputs":[{"identity":{"sha256":"00ff"},"name":"catalog"},{"identity":"ptbxl-1.0.3","name":"dataset"}],)"
            R"("kind":"segments","parameters":{"segment_length":1250,"target_rate_hz":250}})");
  EXPECT_EQ(a.Hex(), Sha256Hex(CanonicalJson(a.Canonical())));
  // Insertion order does not matter; any parameter does.
  ContentHash b("segments");
  b.AddInput("catalog", {{"sha256", "00ff"}});
  b.AddInput("dataset", "ptbxl-1.0.3");
  b.SetParameters({{"segment_length", 1250}, {"target_rate_hz", 250}});
  EXPECT_EQ(a.Hex(), b.Hex());
  b.SetParameters({{"segment_length", 2500}, {"target_rate_hz", 250}});
  EXPECT_NE(a.Hex(), b.Hex());
  ContentHash c("tokenizer");
  c.SetParameters({{"target_rate_hz", 250}, {"segment_length", 1250}});
  c.AddInput("dataset", "ptbxl-1.0.3");
  c.AddInput("catalog", {{"sha256", "00ff"}});
  EXPECT_NE(a.Hex(), c.Hex());
}

TEST(ContentHashTest, FastAndStrictFileIdentities) {
  TempDir tmp;
  const std::string f = tmp / "rec.dat";
  WriteText(f, "0123456789");
  struct utimbuf times = {1700000000, 1700000000};
  ASSERT_EQ(::utime(f.c_str(), &times), 0);
  ContentHash fast("segments"), strict("segments");
  ASSERT_TRUE(fast.AddFile(f, FileIdentityMode::kFast, "rec.dat").ok());
  ASSERT_TRUE(strict.AddFile(f, FileIdentityMode::kStrict, "rec.dat").ok());
  EXPECT_EQ(fast.Canonical()["inputs"][0].dump(), R"({"mtime_ns":1700000000000000000,"name":"rec.dat","size":10})");
  EXPECT_EQ(strict.Canonical()["inputs"][0]["sha256"], Sha256Hex("0123456789"));
  const std::string fast0 = fast.Hex(), strict0 = strict.Hex();
  // Same content, new mtime: the fast hash changes, the strict one does not.
  times = {1700000500, 1700000500};
  ASSERT_EQ(::utime(f.c_str(), &times), 0);
  ContentHash fast1("segments"), strict1("segments");
  ASSERT_TRUE(fast1.AddFile(f, FileIdentityMode::kFast, "rec.dat").ok());
  ASSERT_TRUE(strict1.AddFile(f, FileIdentityMode::kStrict, "rec.dat").ok());
  EXPECT_NE(fast1.Hex(), fast0);
  EXPECT_EQ(strict1.Hex(), strict0);
  // Same size and mtime, new content: only the strict hash sees it.
  WriteText(f, "9876543210");
  times = {1700000000, 1700000000};
  ASSERT_EQ(::utime(f.c_str(), &times), 0);
  ContentHash fast2("segments"), strict2("segments");
  ASSERT_TRUE(fast2.AddFile(f, FileIdentityMode::kFast, "rec.dat").ok());
  ASSERT_TRUE(strict2.AddFile(f, FileIdentityMode::kStrict, "rec.dat").ok());
  EXPECT_EQ(fast2.Hex(), fast0);
  EXPECT_NE(strict2.Hex(), strict0);
  // Errors name the path.
  ContentHash e("segments");
  EXPECT_EQ(e.AddFile(tmp / "nope", FileIdentityMode::kFast).message(),
            tmp / "nope" + ": cannot stat: No such file or directory");
  EXPECT_EQ(e.AddFile(tmp.path(), FileIdentityMode::kFast).message(), tmp.path() + ": not a regular file");
}

TEST(ContentHashTest, TreeIsSortedAndRelative) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "root/records500/00000");
  WriteText(tmp / "root/records500/00000/00001_hr.hea", "h");
  WriteText(tmp / "root/ptbxl_database.csv", "csv");
  ContentHash h("segments");
  ASSERT_TRUE(h.AddTree(tmp / "root", FileIdentityMode::kStrict, "ptbxl/").ok());
  const nlohmann::json in = h.Canonical()["inputs"];
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0]["name"], "ptbxl/ptbxl_database.csv");
  EXPECT_EQ(in[1]["name"], "ptbxl/records500/00000/00001_hr.hea");
  EXPECT_EQ(in[1]["sha256"], Sha256Hex("h"));
  EXPECT_EQ(h.AddTree(tmp / "none", FileIdentityMode::kFast).code(), absl::StatusCode::kNotFound);
}

TEST(ContentHashTest, ArtifactLayout) {
  EXPECT_EQ(*ArtifactDir("/art", "segments", "abcdef0123456789"), "/art/segments/ab/abcdef0123456789");
  EXPECT_EQ(ArtifactDir("/art", "seg/ments", "abcdef01").status().message(),
            "artifact kind \"seg/ments\" is not a plain name");
  EXPECT_EQ(ArtifactDir("/art", "segments", "ABCDEF01").status().message(),
            "artifact hash \"ABCDEF01\" is not >= 8 lowercase hex characters");
  EXPECT_FALSE(ArtifactDir("/art", "..", "abcdef01").ok());
  EXPECT_FALSE(ArtifactDir("/art", "segments", "abc").ok());
  TempDir tmp;
  const std::string dir = *ArtifactDir(tmp.path(), "segments", Sha256Hex("x"));
  std::filesystem::create_directories(dir);
  EXPECT_FALSE(IsArtifactComplete(dir));
  ASSERT_TRUE(MarkArtifactComplete(dir, {{"segments", 12}}).ok());
  EXPECT_TRUE(IsArtifactComplete(dir));
  EXPECT_EQ(testing::ReadText(dir + "/.complete"), "{\n  \"segments\": 12\n}\n");
}

}  // namespace
}  // namespace ecgbench::common::ecg
