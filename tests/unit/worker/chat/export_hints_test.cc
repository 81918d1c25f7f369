// Hints from an export's model card (worker/chat/export_hints.h): the JSON stage params the train
// stage embeds, a YAML spec, and cards without a usable spec.
#include "worker/chat/export_hints.h"

#include <gtest/gtest.h>

namespace ecgbench::worker::chat {
namespace {

TEST(ExportHintsTest, JsonStageParams) {
  const ExportHints hints = ParseExportHints(
      "# ELM\n\ntext\n\n## Experiment spec\n\n```json\n{\n"
      "  \"data\": {\"segment_len\": 500, \"target_rate\": 250},\n"
      "  \"model\": {\"llm\": {\"template\": \"chatml\"}},\n"
      "  \"train\": {\"max_tokens\": 768, \"min_ecg_tokens\": 100}\n}\n"
      "```\n\n## License\n");
  EXPECT_EQ(hints.segment_len, 500);
  EXPECT_EQ(hints.target_rate_hz, 250);
  EXPECT_EQ(hints.max_tokens, 768);
  EXPECT_EQ(hints.min_ecg_tokens, 100);
  EXPECT_EQ(hints.chat_template, "chatml");
}

TEST(ExportHintsTest, LongerFenceAndAutoTemplate) {
  const ExportHints hints = ParseExportHints(
      "## Experiment spec\n\n````json\n{\"data\": {\"segment_len\": 2500}, \"model\": {\"llm\": {\"template\": "
      "\"auto\"}}, \"note\": \"```\"}\n````\n");
  EXPECT_EQ(hints.segment_len, 2500);
  EXPECT_EQ(hints.chat_template, "");
  EXPECT_EQ(hints.max_tokens, 0);
}

TEST(ExportHintsTest, NoUsableSpecGivesEmptyHints) {
  for (const char* card : {"# no spec section\n", "## Experiment spec\n\nThe spec was not recorded.\n",
                           "## Experiment spec\n\n```json\n{not json\n```\n",
                           "## Experiment spec\n\n```json\n{\"data\": {\"segment_len\": 500}}\n"}) {
    const ExportHints hints = ParseExportHints(card);
    EXPECT_EQ(hints.segment_len, 0) << card;
    EXPECT_EQ(hints.chat_template, "") << card;
  }
  EXPECT_EQ(ReadExportHints("/nonexistent/export").segment_len, 0);
}

}  // namespace
}  // namespace ecgbench::worker::chat
