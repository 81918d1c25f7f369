// The retrieval text: upstream wording, Python-style value formatting, the degenerate-hit filter,
// where the text goes (system prompt or user query), and hits taken from an index.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/rag/rag_prompt.h"
#include "tests/unit/rag/synthetic_ecg.h"

namespace ecgbench::common::rag {
namespace {

TEST(RagPromptTest, ValuesAreWrittenAsPythonStrOfRound6) {
  // Expected strings from CPython 3.11: str(round(v, 6)).
  const std::vector<std::pair<double, std::string>> cases = {
      {0.1234567, "0.123457"}, {1.0, "1.0"},         {-1e-9, "-0.0"},           {1e-5, "1e-05"},
      {2.5e16, "2.5e+16"},     {123456.7891234, "123456.789123"},               {1.49e-05, "1.5e-05"},
      {100.0, "100.0"},        {1e-4, "0.0001"},      {0.00012345678, "0.000123"}, {3.0000004, "3.0"},
      {-7.25, "-7.25"},        {1.5e-7, "0.0"},       {1e22, "1e+22"},           {5e-05, "5e-05"},
      {2.675, "2.675"},        {5e-07, "0.0"},        {1.5e-06, "2e-06"},        {-123.4567895, "-123.456789"},
      {12345678901234567.0, "1.2345678901234568e+16"}, {0.0, "0.0"},            {75.0, "75.0"}};
  for (const auto& [v, want] : cases) EXPECT_EQ(FormatFeatureValue(v), want) << v;
}

RetrievedEcg OneLead(const std::string& report, float base) {
  RetrievedEcg r;
  r.report = report;
  for (int j = 0; j < kFeaturesPerLead; ++j) r.features.push_back(base + static_cast<float>(j));
  return r;
}

TEST(RagPromptTest, TextFollowsUpstreamWording) {
  const std::string text = FormatRetrievedEcgs({OneLead("sinus rhythm", 1.0f), OneLead("atrial fibrillation", 0.5f)});
  std::string want =
      "The following is the top 2 retrieved ECGs and their corresponding features and diagnosis. Utilize this "
      "information to further enhance your response.\n\n"
      "Retrieved ECG 1\nDiagnosis Information:\nsinus rhythm\n\nFeature Information:\nLead 1\n";
  for (int j = 0; j < kFeaturesPerLead; ++j) {
    want += std::string(FeatureNames()[j]) + ": " + FormatFeatureValue(1.0 + j) + "\n";
  }
  want += "\nRetrieved ECG 2\nDiagnosis Information:\natrial fibrillation\n\nFeature Information:\nLead 1\n";
  for (int j = 0; j < kFeaturesPerLead; ++j) {
    want += std::string(FeatureNames()[j]) + ": " + FormatFeatureValue(0.5 + j) + "\n";
  }
  want += "\n";
  EXPECT_EQ(text, want);
  EXPECT_NE(text.find("mean: 1.0\nstd: 2.0\n"), std::string::npos);

  RagPromptOptions reports_only;
  reports_only.include_features = false;
  EXPECT_EQ(FormatRetrievedEcgs({OneLead("sinus rhythm", 1.0f)}, reports_only),
            "The following is the top 1 retrieved ECGs and their corresponding diagnosis. Utilize this information to "
            "further enhance your response.\n\nRetrieved ECG 1\nDiagnosis Information:\nsinus rhythm\n\n");
}

TEST(RagPromptTest, TwelveLeadsAreNamedInTheStandardOrder) {
  RetrievedEcg r;
  r.report = "normal ecg";
  r.features.assign(kNumEcgFeatures, 1.0f);
  const std::string text = FormatRetrievedEcgs({r});
  size_t pos = 0;
  for (const char* lead : {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"}) {
    const size_t at = text.find(std::string("\nLead ") + lead + "\nmean: 1.0\n", pos);
    ASSERT_NE(at, std::string::npos) << lead;
    pos = at + 1;
  }
}

TEST(RagPromptTest, DegenerateHitsAreDroppedAndTheRestRenumbered) {
  RetrievedEcg zeros;
  zeros.report = "flat";
  zeros.features.assign(kFeaturesPerLead, 0.0f);
  RetrievedEcg tiny = OneLead("tiny", 0.0f);
  for (float& v : tiny.features) v *= 1e-3f;  // sum |f| = 0.276 < 0.5
  RetrievedEcg mostly_zero = OneLead("mostly zero", 1.0f);
  for (int j = 0; j < 13; ++j) mostly_zero.features[j] = 0.0f;  // 13 / 24 > 50 % near zero
  EXPECT_TRUE(IsDegenerateFeatureVector(zeros.features));
  EXPECT_TRUE(IsDegenerateFeatureVector(tiny.features));
  EXPECT_TRUE(IsDegenerateFeatureVector(mostly_zero.features));
  EXPECT_FALSE(IsDegenerateFeatureVector(OneLead("ok", 1.0f).features));
  const std::string text = FormatRetrievedEcgs({zeros, OneLead("kept", 1.0f), tiny, mostly_zero});
  EXPECT_EQ(text.rfind("The following is the top 1 retrieved ECGs", 0), 0u);
  EXPECT_NE(text.find("Retrieved ECG 1\nDiagnosis Information:\nkept\n"), std::string::npos);
  EXPECT_EQ(text.find("Retrieved ECG 2"), std::string::npos);
  EXPECT_EQ(FormatRetrievedEcgs({zeros, tiny}), "");
  RagPromptOptions keep_all;
  keep_all.filter_degenerate = false;
  EXPECT_NE(FormatRetrievedEcgs({zeros, tiny}, keep_all).find("top 2 retrieved"), std::string::npos);
}

TEST(RagPromptTest, TextGoesIntoTheSystemPromptOrTheUserQuery) {
  std::string system = "You are a cardiologist.";
  std::string user = "What is the rhythm?";
  InsertRagText(RagPromptMode::kSystemPrompt, "RAG TEXT\n\n", system, user);
  EXPECT_EQ(system, "You are a cardiologist.\n\nRAG TEXT");
  EXPECT_EQ(user, "What is the rhythm?");
  InsertRagText(RagPromptMode::kUserQuery, "MORE\n", system, user);
  EXPECT_EQ(user, "What is the rhythm?\n\nMORE");
  std::string empty_system;
  InsertRagText(RagPromptMode::kSystemPrompt, "X", empty_system, user);
  EXPECT_EQ(empty_system, "X");
  InsertRagText(RagPromptMode::kSystemPrompt, "", system, user);
  EXPECT_EQ(system, "You are a cardiologist.\n\nRAG TEXT");
  EXPECT_EQ(*ParseRagPromptMode("user_query"), RagPromptMode::kUserQuery);
  EXPECT_EQ(*ParseRagPromptMode("system_prompt"), RagPromptMode::kSystemPrompt);
  EXPECT_EQ(ParseRagPromptMode("assistant").status().message(),
            "unknown RAG prompt mode 'assistant' (expected system_prompt or user_query)");
}

TEST(RagPromptTest, HitsFromAnIndexCarryReportsAndRawFeatures) {
  std::vector<std::vector<float>> ecgs;
  std::vector<RagSource> sources;
  for (int i = 0; i < 4; ++i) ecgs.push_back(testing::SyntheticEcg(50 + i, {250}));
  for (int i = 0; i < 4; ++i) sources.push_back({"r" + std::to_string(i), "report " + std::to_string(i), ecgs[i].data()});
  RagIndexOptions o;
  o.segment_length = 250;
  absl::StatusOr<std::unique_ptr<RagIndex>> index = RagIndex::Build(sources, o);
  ASSERT_TRUE(index.ok()) << index.status();
  absl::StatusOr<std::vector<RagHit>> hits = (*index)->Search(RetrievalSpace::kSignal, ecgs[2], "r2", 2);
  ASSERT_TRUE(hits.ok());
  const std::vector<RetrievedEcg> retrieved = RetrievedFromHits(**index, *hits);
  ASSERT_EQ(retrieved.size(), 2u);
  for (size_t h = 0; h < 2; ++h) {
    EXPECT_EQ(retrieved[h].report, (*index)->report((*hits)[h].index));
    EXPECT_EQ(retrieved[h].features.size(), 288u);
    EXPECT_EQ(retrieved[h].features[0], (*index)->features((*hits)[h].index)[0]);
  }
  const std::string text = FormatRetrievedEcgs(retrieved);
  EXPECT_EQ(text.rfind("The following is the top 2 retrieved ECGs and their corresponding features", 0), 0u);
  EXPECT_EQ(text.find("report 2"), std::string::npos);
}

}  // namespace
}  // namespace ecgbench::common::rag
