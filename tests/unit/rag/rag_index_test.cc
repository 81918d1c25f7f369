// The FAISS-backed RAG index: exact and IVF-Flat builds, top-k search excluding the query's own
// record, query vectors (combined scaling, z-scores), save/load round trips and bad input.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"
#include "common/rag/rag_index.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/rag/synthetic_ecg.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::rag {
namespace {

constexpr int64_t kL = 250;

// FAISS parallelises with OpenMP; on a shared, loaded CI machine its spinning threads make these
// small builds 10x slower, so the tests run it on one thread (results do not depend on it).
class OneOpenMpThread : public ::testing::Environment {
 public:
  void SetUp() override { omp_set_num_threads(1); }
};
const ::testing::Environment* const kOneOpenMpThread = ::testing::AddGlobalTestEnvironment(new OneOpenMpThread);

// Records of three well-separated classes (offset 0, 2, 4 mV and their own heart rate), each with
// `segments` segments; entry ids "rec<i>", reports "class <c>".
struct Database {
  std::vector<std::vector<float>> ecgs;
  std::vector<RagSource> sources;
  std::vector<int> classes;
};

Database MakeDatabase(int records, int segments) {
  Database db;
  for (int r = 0; r < records; ++r) {
    const int c = r % 3;
    for (int s = 0; s < segments; ++s) {
      testing::SyntheticEcgOptions o;
      o.num_samples = kL;
      o.heart_rate_bpm = 60 + 30 * c;
      std::vector<float> e = testing::SyntheticEcg(static_cast<uint64_t>(1000 * r + s), o);
      for (float& v : e) v += 2.0f * static_cast<float>(c);
      db.ecgs.push_back(std::move(e));
      db.classes.push_back(c);
    }
  }
  size_t k = 0;
  for (int r = 0; r < records; ++r) {
    for (int s = 0; s < segments; ++s, ++k) {
      db.sources.push_back({absl::StrCat("rec", r), absl::StrCat("class ", r % 3), db.ecgs[k].data()});
    }
  }
  return db;
}

RagIndexOptions Options(std::vector<RetrievalSpace> spaces) {
  RagIndexOptions o;
  o.spaces = std::move(spaces);
  o.segment_length = kL;
  o.num_threads = 2;
  return o;
}

absl::Span<const float> Ecg(const Database& db, size_t i) { return absl::MakeConstSpan(db.ecgs[i]); }

TEST(RagIndexTest, SmallSetsUseAnExactIndexAndExcludeTheQueryRecord) {
  const Database db = MakeDatabase(30, 2);
  absl::StatusOr<std::unique_ptr<RagIndex>> index = RagIndex::Build(db.sources, Options({RetrievalSpace::kSignal}));
  ASSERT_TRUE(index.ok()) << index.status();
  const RagIndex& idx = **index;
  EXPECT_EQ(idx.size(), 60);
  EXPECT_TRUE(idx.is_exact(RetrievalSpace::kSignal));
  EXPECT_EQ(idx.nlist(RetrievalSpace::kSignal), 0);
  EXPECT_EQ(idx.dimension(RetrievalSpace::kSignal), 12 * kL);
  EXPECT_FALSE(idx.has_space(RetrievalSpace::kFeature));
  // Without exclusion the query finds itself at distance 0.
  absl::StatusOr<std::vector<RagHit>> self = idx.Search(RetrievalSpace::kSignal, Ecg(db, 8), "", 1);
  ASSERT_TRUE(self.ok()) << self.status();
  ASSERT_EQ(self->size(), 1u);
  EXPECT_EQ((*self)[0].index, 8);
  EXPECT_EQ((*self)[0].distance, 0.0f);
  // Excluding rec4 drops both of its segments (entries 8 and 9).
  absl::StatusOr<std::vector<RagHit>> hits = idx.Search(RetrievalSpace::kSignal, Ecg(db, 8), "rec4", 5);
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_EQ(hits->size(), 5u);
  for (size_t h = 0; h < hits->size(); ++h) {
    EXPECT_NE(idx.record_id((*hits)[h].index), "rec4");
    EXPECT_EQ(db.classes[static_cast<size_t>((*hits)[h].index)], 1);
    EXPECT_EQ(idx.report((*hits)[h].index), "class 1");
    if (h > 0) {
      EXPECT_GE((*hits)[h].distance, (*hits)[h - 1].distance);
    }
  }
  // k larger than what is left: every other entry, once.
  absl::StatusOr<std::vector<RagHit>> all = idx.Search(RetrievalSpace::kSignal, Ecg(db, 8), "rec4", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 58u);
}

TEST(RagIndexTest, LargeSetsUseIvfFlatWithUpstreamNlistAndNprobe) {
  const Database db = MakeDatabase(75, 2);  // N = 150 -> nlist = 150 / 10 = 15 > nprobe
  RagIndexOptions o = Options({RetrievalSpace::kFeature, RetrievalSpace::kSignal, RetrievalSpace::kCombined});
  o.exact_max_vectors = 100;
  o.vectors_per_list = 10;
  absl::StatusOr<std::unique_ptr<RagIndex>> index = RagIndex::Build(db.sources, o);
  ASSERT_TRUE(index.ok()) << index.status();
  for (RetrievalSpace space : kAllRetrievalSpaces) {
    EXPECT_FALSE((*index)->is_exact(space));
    EXPECT_EQ((*index)->nlist(space), 15) << RetrievalSpaceName(space);
  }
  EXPECT_EQ((*index)->dimension(RetrievalSpace::kCombined), 288 + 12 * kL);
  for (RetrievalSpace space : kAllRetrievalSpaces) {
    for (size_t q : {0u, 51u, 102u}) {
      // The query's own vector sits in the list of its nearest centroid, which is always probed.
      absl::StatusOr<std::vector<RagHit>> self = (*index)->Search(space, Ecg(db, q), "", 1);
      ASSERT_TRUE(self.ok()) << self.status();
      EXPECT_EQ((*self)[0].index, static_cast<int64_t>(q)) << RetrievalSpaceName(space);
      EXPECT_EQ((*self)[0].distance, 0.0f);
      absl::StatusOr<std::vector<RagHit>> hits =
          (*index)->Search(space, Ecg(db, q), db.sources[q].record_id, 3);
      ASSERT_TRUE(hits.ok()) << hits.status();
      ASSERT_EQ(hits->size(), 3u) << RetrievalSpaceName(space);
      for (const RagHit& h : *hits) {
        EXPECT_NE((*index)->record_id(h.index), db.sources[q].record_id);
        // Raw features mix mV and mV^2/Hz scales, so only the signal space separates the classes.
        if (space == RetrievalSpace::kSignal) {
          EXPECT_EQ(db.classes[static_cast<size_t>(h.index)], db.classes[q]) << "q=" << q;
        }
      }
    }
  }
  RagIndexOptions capped = o;
  capped.max_nlist = 5;
  capped.spaces = {RetrievalSpace::kFeature};
  absl::StatusOr<std::unique_ptr<RagIndex>> small = RagIndex::Build(db.sources, capped);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ((*small)->nlist(RetrievalSpace::kFeature), 5);
}

TEST(RagIndexTest, ConcurrentSearchesGiveTheSerialAnswers) {
  const Database db = MakeDatabase(60, 1);
  RagIndexOptions o = Options({RetrievalSpace::kSignal, RetrievalSpace::kCombined});
  o.exact_max_vectors = 10;
  absl::StatusOr<std::unique_ptr<RagIndex>> index = RagIndex::Build(db.sources, o);
  ASSERT_TRUE(index.ok());
  const RagIndex& idx = **index;
  auto run = [&](size_t q) {
    const RetrievalSpace space = q % 2 == 0 ? RetrievalSpace::kSignal : RetrievalSpace::kCombined;
    return *idx.Search(space, Ecg(db, q), db.sources[q].record_id, 3);
  };
  std::vector<std::vector<RagHit>> serial(db.ecgs.size()), parallel(db.ecgs.size());
  for (size_t q = 0; q < db.ecgs.size(); ++q) serial[q] = run(q);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t q = t; q < db.ecgs.size(); q += 4) parallel[q] = run(q);
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t q = 0; q < db.ecgs.size(); ++q) {
    ASSERT_EQ(serial[q].size(), parallel[q].size());
    for (size_t h = 0; h < serial[q].size(); ++h) {
      EXPECT_EQ(serial[q][h].index, parallel[q][h].index);
      EXPECT_EQ(serial[q][h].distance, parallel[q][h].distance);
    }
  }
}

TEST(RagIndexTest, QueryVectorsScaleAndNormaliseLikeTheDatabase) {
  const Database db = MakeDatabase(3, 1);
  RagIndexOptions o = Options({RetrievalSpace::kCombined, RetrievalSpace::kFeature});
  absl::StatusOr<std::unique_ptr<RagIndex>> index = RagIndex::Build(db.sources, o);
  ASSERT_TRUE(index.ok());
  EcgFeatureExtractor e;
  std::vector<double> f(kNumEcgFeatures);
  ASSERT_TRUE(e.Extract(db.ecgs[1].data(), 12, kL, absl::MakeSpan(f)).ok());
  std::vector<float> q;
  ASSERT_TRUE((*index)->QueryVector(RetrievalSpace::kCombined, Ecg(db, 1), e, q).ok());
  ASSERT_EQ(q.size(), 288u + 12 * kL);
  const double scale = std::sqrt(12.0 * kL / 288.0);
  for (int j = 0; j < kNumEcgFeatures; ++j) EXPECT_EQ(q[j], static_cast<float>(f[j] * scale));
  for (int64_t t = 0; t < 12 * kL; ++t) EXPECT_EQ(q[288 + t], db.ecgs[1][t]);
  // The stored features are the raw ones.
  for (int j = 0; j < kNumEcgFeatures; ++j) EXPECT_EQ((*index)->features(1)[j], static_cast<float>(f[j]));

  o.zscore = true;
  absl::StatusOr<std::unique_ptr<RagIndex>> z = RagIndex::Build(db.sources, o);
  ASSERT_TRUE(z.ok());
  ASSERT_TRUE((*z)->QueryVector(RetrievalSpace::kCombined, Ecg(db, 1), e, q).ok());
  std::vector<double> fz = f;
  ZScoreFeaturesAcrossLeads(absl::MakeSpan(fz));
  std::vector<float> sz = db.ecgs[1];
  ZScoreSignalPerLead(sz.data(), 12, kL);
  for (int j = 0; j < kNumEcgFeatures; ++j) EXPECT_EQ(q[j], static_cast<float>(fz[j] * scale));
  for (int64_t t = 0; t < 12 * kL; ++t) EXPECT_EQ(q[288 + t], sz[t]);
  absl::StatusOr<std::vector<RagHit>> hit = (*z)->Search(RetrievalSpace::kFeature, Ecg(db, 1), "", 1);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ((*hit)[0].index, 1);
  EXPECT_EQ((*hit)[0].distance, 0.0f);
}

TEST(RagIndexTest, SaveLoadRoundTripGivesTheSameAnswers) {
  const Database db = MakeDatabase(150, 1);
  RagIndexOptions o = Options({RetrievalSpace::kSignal, RetrievalSpace::kFeature});
  o.exact_max_vectors = 100;  // IVF for both
  o.nprobe = 3;
  absl::StatusOr<std::unique_ptr<RagIndex>> built = RagIndex::Build(db.sources, o);
  ASSERT_TRUE(built.ok());
  test_support::TempDir dir;
  const std::string folder = dir / "db";
  ASSERT_TRUE((*built)->Save(folder).ok());
  absl::StatusOr<std::unique_ptr<RagIndex>> loaded = RagIndex::Load(folder);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const RagIndex& a = **built;
  const RagIndex& b = **loaded;
  EXPECT_EQ(b.size(), 150);
  EXPECT_EQ(b.options().nprobe, 3);
  EXPECT_EQ(b.options().segment_length, kL);
  EXPECT_EQ(b.nlist(RetrievalSpace::kSignal), 5);
  EXPECT_FALSE(b.has_space(RetrievalSpace::kCombined));
  for (int64_t i = 0; i < b.size(); ++i) {
    ASSERT_EQ(b.record_id(i), a.record_id(i));
    ASSERT_EQ(b.report(i), a.report(i));
    ASSERT_EQ(std::vector<float>(b.features(i).begin(), b.features(i).end()),
              std::vector<float>(a.features(i).begin(), a.features(i).end()));
  }
  for (RetrievalSpace space : {RetrievalSpace::kSignal, RetrievalSpace::kFeature}) {
    for (size_t q : {3u, 77u}) {
      auto ha = a.Search(space, Ecg(db, q), db.sources[q].record_id, 4);
      auto hb = b.Search(space, Ecg(db, q), db.sources[q].record_id, 4);
      ASSERT_TRUE(ha.ok() && hb.ok());
      ASSERT_EQ(ha->size(), hb->size());
      for (size_t h = 0; h < ha->size(); ++h) {
        EXPECT_EQ((*ha)[h].index, (*hb)[h].index);
        EXPECT_EQ((*ha)[h].distance, (*hb)[h].distance);
      }
    }
  }
  absl::StatusOr<std::string> text = ReadFile(folder + "/rag_metadata.json");
  ASSERT_TRUE(text.ok());
  const nlohmann::json meta = nlohmann::json::parse(*text);
  EXPECT_EQ(meta["entries"][7]["record_id"], "rec7");
  EXPECT_EQ(meta["entries"][7]["report"], "class 1");
  EXPECT_EQ(meta["spaces"]["signal"]["kind"], "ivf_flat");
  EXPECT_EQ(meta["spaces"]["feature"]["file"], "feature.index");
  EXPECT_EQ(meta["signal_dim"], 12 * kL);
}

TEST(RagIndexTest, BadInputIsNamed) {
  Database db = MakeDatabase(4, 1);
  EXPECT_EQ(RagIndex::Build({}, Options({RetrievalSpace::kSignal})).status().message(), "rag index: no ECGs to index");
  EXPECT_EQ(RagIndex::Build(db.sources, Options({RetrievalSpace::kSignal, RetrievalSpace::kSignal})).status().message(),
            "rag index options: space 'signal' listed twice");
  std::vector<RagSource> missing = db.sources;
  missing[2].samples = nullptr;
  EXPECT_EQ(RagIndex::Build(missing, Options({RetrievalSpace::kSignal})).status().message(),
            "rag index: ECG rec2 has no samples");
  db.ecgs[3][2] = std::nanf("");
  EXPECT_EQ(RagIndex::Build(db.sources, Options({RetrievalSpace::kSignal})).status().message(),
            "ECG rec3: lead 0: ECG sample 2 is not finite (nan)");
  db.ecgs[3][2] = 0;
  absl::StatusOr<std::unique_ptr<RagIndex>> index = RagIndex::Build(db.sources, Options({RetrievalSpace::kSignal}));
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->Search(RetrievalSpace::kFeature, Ecg(db, 0), "", 1).status().message(),
            "rag search: the index has no 'feature' space");
  EXPECT_EQ((*index)->Search(RetrievalSpace::kSignal, Ecg(db, 0), "", 0).status().message(),
            "rag search: k must be >= 1, got 0");
  EXPECT_EQ((*index)->Search(RetrievalSpace::kSignal, Ecg(db, 0).subspan(1), "", 1).status().message(),
            "rag query: ECG has 2999 values, the index expects 12 x 250 = 3000");
  std::vector<float> nan_query = db.ecgs[0];
  nan_query[250 + 3] = std::nanf("");
  EXPECT_EQ((*index)->Search(RetrievalSpace::kSignal, nan_query, "", 1).status().message(),
            "rag query: lead 1: ECG sample 3 is not finite");
  EXPECT_EQ(ParseRetrievalSpace("image").status().message(),
            "unknown retrieval space 'image' (expected feature, signal or combined)");
  EXPECT_EQ(*ParseRetrievalSpace("features"), RetrievalSpace::kFeature);
}

TEST(RagIndexTest, LoadErrorsNameTheFileAndField) {
  test_support::TempDir dir;
  EXPECT_EQ(RagIndex::Load(dir / "none").status().message(),
            dir / "none" + "/rag_metadata.json: no RAG database here");
  const Database db = MakeDatabase(3, 1);
  absl::StatusOr<std::unique_ptr<RagIndex>> index = RagIndex::Build(db.sources, Options({RetrievalSpace::kSignal}));
  ASSERT_TRUE(index.ok());
  const std::string folder = dir / "db";
  ASSERT_TRUE((*index)->Save(folder).ok());
  const std::string meta_path = folder + "/rag_metadata.json";
  const std::string good = *ReadFile(meta_path);
  nlohmann::json meta = nlohmann::json::parse(good);
  meta["nprobe"] = "ten";
  ASSERT_TRUE(WriteFileAtomic(meta_path, meta.dump()).ok());
  EXPECT_EQ(RagIndex::Load(folder).status().message(), meta_path + ": field 'nprobe' must be an integer");
  meta = nlohmann::json::parse(good);
  meta["entries"][1].erase("report");
  ASSERT_TRUE(WriteFileAtomic(meta_path, meta.dump()).ok());
  EXPECT_EQ(RagIndex::Load(folder).status().message(), meta_path + " entries[1]: field 'report' is missing");
  meta = nlohmann::json::parse(good);
  meta["spaces"] = nlohmann::json::object();
  ASSERT_TRUE(WriteFileAtomic(meta_path, meta.dump()).ok());
  EXPECT_EQ(RagIndex::Load(folder).status().message(), meta_path + ": rag index options: spaces is empty");
  meta["spaces"] = {{"image", {{"file", "image.index"}}}};
  ASSERT_TRUE(WriteFileAtomic(meta_path, meta.dump()).ok());
  EXPECT_EQ(RagIndex::Load(folder).status().message(),
            meta_path + ": field 'spaces': unknown retrieval space 'image' (expected feature, signal or combined)");
  ASSERT_TRUE(WriteFileAtomic(meta_path, good).ok());
  ASSERT_TRUE(WriteFileAtomic(folder + "/features.f32", std::string(100, '\0')).ok());
  EXPECT_EQ(RagIndex::Load(folder).status().message(), folder + "/features.f32: 100 bytes, expected 3456");
  ASSERT_TRUE((*index)->Save(folder).ok());
  std::remove((folder + "/signal.index").c_str());
  EXPECT_EQ(RagIndex::Load(folder).status().message(), folder + "/signal.index: index file missing");
  ASSERT_TRUE(WriteFileAtomic(folder + "/signal.index", "garbage").ok());
  EXPECT_EQ(RagIndex::Load(folder).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RagIndexTest, SourcesFromRecordsNeedTheStandardLeads) {
  ecg::Record r;
  r.id = "r9";
  r.report = "sinus rhythm";
  r.sampling_rate_hz = 250;
  for (const char* name : ecg::kStandardLeads) r.leads.push_back(name);
  r.num_samples = kL;
  r.samples.assign(12 * kL, 0.5f);
  absl::StatusOr<RagSource> src = RagSourceFromRecord(r);
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(src->record_id, "r9");
  EXPECT_EQ(src->report, "sinus rhythm");
  EXPECT_EQ(src->samples, r.samples.data());
  std::swap(r.leads[0], r.leads[1]);
  EXPECT_EQ(RagSourceFromRecord(r).status().message(),
            "record r9: lead 0 is 'II', not in the standard order (harmonize the leads first)");
}

}  // namespace
}  // namespace ecgbench::common::rag
