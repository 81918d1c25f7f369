// Lead names and harmonisation to I, II, III, aVR, aVL, aVF, V1..V6.
#include "common/ecg/core/leads.h"

#include <gtest/gtest.h>

namespace ecgbench::common::ecg {
namespace {

Record Make(std::vector<std::string> leads, int64_t n = 3) {
  Record r;
  r.id = "rec1";
  r.sampling_rate_hz = 500;
  r.leads = std::move(leads);
  r.num_samples = n;
  for (size_t l = 0; l < r.leads.size(); ++l) {
    for (int64_t t = 0; t < n; ++t) r.samples.push_back(static_cast<float>(l * 100 + t));
  }
  return r;
}

TEST(LeadsTest, StandardIndexAcceptsDatasetSpellings) {
  EXPECT_EQ(StandardLeadIndex("I"), 0);
  EXPECT_EQ(StandardLeadIndex("avr"), 3);
  EXPECT_EQ(StandardLeadIndex("AVL"), 4);
  EXPECT_EQ(StandardLeadIndex(" V6 "), 11);
  EXPECT_EQ(StandardLeadIndex("MLII"), -1);
  EXPECT_EQ(StandardLeadIndex("V7"), -1);
}

TEST(LeadsTest, ReordersMimicOrder) {
  // MIMIC-IV-ECG stores I, II, III, aVR, aVF, aVL, V1..V6.
  Record r = Make({"I", "II", "III", "aVR", "aVF", "aVL", "V1", "V2", "V3", "V4", "V5", "V6"});
  ASSERT_TRUE(HarmonizeLeads(r).ok());
  EXPECT_EQ(r.leads[4], "aVL");
  EXPECT_EQ(r.leads[5], "aVF");
  EXPECT_EQ(r.lead(4)[0], 500.f);  // old row 5 (aVL)
  EXPECT_EQ(r.lead(5)[2], 402.f);  // old row 4 (aVF), sample 2
  EXPECT_EQ(r.lead(11)[1], 1101.f);
}

TEST(LeadsTest, DropsExtraLeadsAndCanonicalisesNames) {
  Record r = Make({"i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6", "Vx"});
  ASSERT_TRUE(HarmonizeLeads(r).ok());
  EXPECT_EQ(r.num_leads(), 12);
  EXPECT_EQ(r.leads[3], "aVR");
  EXPECT_EQ(r.samples.size(), 36u);
}

TEST(LeadsTest, MissingOrDuplicateLeadIsAnErrorNamingTheRecord) {
  Record missing = Make({"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5"});
  missing.path = "/data/ptbxl/00001_hr";
  EXPECT_EQ(HarmonizeLeads(missing).message(), "/data/ptbxl/00001_hr: lead V6 missing (has 11 leads)");
  Record dup = Make({"I", "I", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"});
  EXPECT_EQ(HarmonizeLeads(dup).message(), "rec1: lead I appears twice");
  Record bad = Make({"I"});
  bad.samples.pop_back();
  EXPECT_EQ(HarmonizeLeads(bad).message(), "rec1: 2 values for 1 leads x 3 samples");
}

}  // namespace
}  // namespace ecgbench::common::ecg
