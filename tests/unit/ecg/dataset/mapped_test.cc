// Mapping ECG-QA, ECG-Chat, PULSE and GEM instances onto base segments.
#include "common/ecg/dataset/mapped.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/ecg/dataset/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using testing::TempDir;
using testing::WriteText;

SegmentMeta M(const std::string& source, const std::string& record, int64_t seg) {
  SegmentMeta m;
  m.source = source;
  m.record_id = record;
  m.segment_index = seg;
  return m;
}

// Two stores: ptbxl (00001_hr x3 with segment 1 skipped, 00002_hr x1) and "others".
SegmentLookup MakeLookup() {
  SegmentLookup lookup;
  lookup.AddStore("ptbxl-1250", {M("ptbxl", "00001_hr", 0), M("ptbxl", "00002_hr", 0), M("ptbxl", "00001_hr", 2),
                                 M("ptbxl", "00001_hr", 3)});
  lookup.AddStore("others-1250", {M("mimic", "40689238", 0), M("mimic", "40689238", 1), M("code15", "1234567", 0),
                                  M("cpsc", "A0001", 0), M("csn", "JS00001", 0)});
  return lookup;
}

struct Out {
  std::vector<Conversation> samples;
  ConversationSink Sink() {
    return [this](const Conversation& c) {
      samples.push_back(c);
      return absl::OkStatus();
    };
  }
};

TEST(MappedTest, CanonicalKeys) {
  EXPECT_EQ(CanonicalSource("ptb-xl"), "ptbxl");
  EXPECT_EQ(CanonicalSource("MIMIC-IV-ECG"), "mimic");
  EXPECT_EQ(CanonicalSource("code15_v4"), "code15");
  EXPECT_EQ(CanonicalSource("CPSC"), "cpsc");
  EXPECT_EQ(CanonicalRecordKey("ptbxl", "00001_hr"), "1");
  EXPECT_EQ(CanonicalRecordKey("ptbxl", "records500/00000/00001_hr"), "1");
  EXPECT_EQ(CanonicalRecordKey("ptbxl", "1"), "1");
  EXPECT_EQ(CanonicalRecordKey("mimic", "files/p1000/p10000032/s40689238/40689238"), "40689238");
  EXPECT_EQ(CanonicalRecordKey("code15", "0001234567.hea"), "1234567");
  EXPECT_EQ(CanonicalRecordKey("cpsc", "training/cpsc_2018/g1/A0001.mat"), "A0001");
  EXPECT_EQ(CanonicalRecordKey("code15", "000"), "0");
}

TEST(MappedTest, PathMappers) {
  EXPECT_EQ(*PulseImageToBase("mimic_v4/p1000/p10000032/s40689238/40689238-0.png"), (BaseRecordRef{"mimic", "40689238"}));
  EXPECT_EQ(*PulseImageToBase("ptb-xl/records500/00000/00001_hr-0.png"), (BaseRecordRef{"ptbxl", "1"}));
  EXPECT_EQ(*PulseImageToBase("code15_v4/1234567-0.png"), (BaseRecordRef{"code15", "1234567"}));
  EXPECT_FALSE(PulseImageToBase("champan/foo-0.png").has_value());
  EXPECT_EQ(*GemEcgPathToBase("mimic-iv/files/p1000/p10000032/s40689238/40689238"), (BaseRecordRef{"mimic", "40689238"}));
  EXPECT_EQ(*GemEcgPathToBase("ecg_ptbxl_benchmarking/data/ptbxl/records500/00000/00002_hr"), (BaseRecordRef{"ptbxl", "2"}));
  EXPECT_EQ(*GemEcgPathToBase("code15/exams/1234567"), (BaseRecordRef{"code15", "1234567"}));
  EXPECT_FALSE(GemEcgPathToBase("other/1").has_value());
  EXPECT_EQ(*EcgBenchPulseToBase("ptb-test", "images/00002_hr-0.png"), (BaseRecordRef{"ptbxl", "2"}));
  EXPECT_EQ(*EcgBenchPulseToBase("cpsc-test", "cpsc/A0001-0.png"), (BaseRecordRef{"cpsc", "A0001"}));
  EXPECT_EQ(*EcgBenchPulseToBase("csn-test-no-cot", "x/JS00001-1.png"), (BaseRecordRef{"csn", "JS00001"}));
  EXPECT_EQ(*EcgBenchPulseToBase("code15-test", "x/1234567-0.png"), (BaseRecordRef{"code15", "1234567"}));
}

TEST(MappedTest, LookupSortsSegments) {
  const SegmentLookup lookup = MakeLookup();
  EXPECT_EQ(lookup.num_records(), 6u);
  const auto* refs = lookup.Find(BaseRecordRef{"ptbxl", "1"});
  ASSERT_NE(refs, nullptr);
  ASSERT_EQ(refs->size(), 3u);
  EXPECT_EQ((*refs)[0].index, 0);
  EXPECT_EQ((*refs)[1].index, 2);
  EXPECT_EQ((*refs)[2].segment_index, 3);
  EXPECT_EQ(lookup.Find(BaseRecordRef{"ptbxl", "99"}), nullptr);
}

TEST(MappedTest, EcgQaPtbxl) {
  TempDir tmp;
  WriteText(tmp / "qa.json", R"([
    {"question_type": "single-verify", "question": "Does this ECG image show <ecg> sinus rhythm?",
     "answer": ["yes"], "ecg_id": [1], "template_id": 3},
    {"question_type": "comparison_consecutive-verify", "question": "q", "answer": ["no"], "ecg_id": [1, 2]},
    {"question_type": "single-query", "question": "Which leads?", "answer": ["lead I", "lead II"], "ecg_id": [99]},
    {"question_type": "single-choose", "answer": ["a"], "ecg_id": [2]},
    {"question_type": "single-choose", "question": "Which?", "answer": ["a", "b"], "ecg_id": [2]}
  ])");
  Out out;
  auto r = MapDataset("ecg-qa_ptbxl", {tmp / "qa.json"}, MakeLookup(), out.Sink());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ToJson().dump(),
            "{\"dataset\":\"ecg-qa_ptbxl\",\"examples\":[\"" + tmp / "qa.json" +
                ": instance 2: no segments for ptbxl record 99\",\"" + tmp / "qa.json" +
                ": instance 3: field \\\"question\\\" missing or not a string\"],\"files\":1,\"filtered\":1,"
                "\"instances\":5,\"malformed\":1,\"matched\":2,\"samples\":4,\"unmatched\":1}");
  ASSERT_EQ(out.samples.size(), 4u);
  const Conversation& c = out.samples[1];
  EXPECT_EQ(ConversationToJson(c).dump(),
            R"({"answer":["yes"],"dataset":"ecg-qa_ptbxl","id":"ecg-qa_ptbxl-0-2","messages":[)"
            R"({"content":"Does this ECG signal show  sinus rhythm?","role":"user"},{"content":"yes","role":"assistant"}],)"
            R"("question_type":"single-verify","segment":{"index":2,"record_id":"00001_hr","segment_index":2,"store":"ptbxl-1250"},)"
            R"("source":"ptbxl"})");
  EXPECT_EQ(out.samples[3].id, "ecg-qa_ptbxl-4-0");
  EXPECT_EQ(out.samples[3].messages[1].content, "a b");
  EXPECT_EQ(out.samples[3].record_id, "00002_hr");
}

TEST(MappedTest, EcgQaMimicUsesPath) {
  TempDir tmp;
  WriteText(tmp / "qa.json", R"([{"question_type": "single-query", "question": "What rhythm?", "answer": ["sinus"],
     "ecg_id": [5], "ecg_path": ["mimic-iv-ecg/files/p1000/p10000032/s40689238/40689238"]}])");
  Out out;
  auto r = MapDataset("ecg-qa_mimic-iv-ecg", {tmp / "qa.json"}, MakeLookup(), out.Sink());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->samples, 2);
  EXPECT_EQ(out.samples[1].store, "others-1250");
  EXPECT_EQ(out.samples[1].index, 1);
  EXPECT_EQ(out.samples[1].source, "mimic");
}

TEST(MappedTest, EcgChatSets) {
  TempDir tmp;
  WriteText(tmp / "pretrain_mimic.json", R"([{"id": "a", "ecg": "files/p1000/p10000032/s40689238/40689238",
     "conversations": [{"from": "human", "value": "<ecg>\nDescribe\nthe image."}, {"from": "gpt", "value": "Sinus rhythm."}]}])");
  Out out;
  auto r = MapDataset("pretrain_mimic", {tmp / "pretrain_mimic.json"}, MakeLookup(), out.Sink());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(out.samples.size(), 2u);
  EXPECT_EQ(out.samples[0].messages, (std::vector<ChatMessage>{{"user", "Describethe signal."}, {"assistant", "Sinus rhythm."}}));
  EXPECT_FALSE(out.samples[0].answer.has_value());
  // ECG-Instruct-45k as JSONL: newlines kept, roles mapped.
  WriteText(tmp / "i45k.jsonl",
            R"({"ecg": "files/p1000/p10000032/s40689238/40689238", "conversations": [{"from": "human", "value": "<ecg>\nQ1\nmore"}, {"from": "gpt", "value": "A1"}, {"from": "human", "value": "Q2"}, {"from": "gpt", "value": "A2"}]})"
            "\n\n"
            R"({"ecg": "files/p1/p2/s3/777", "conversations": [{"from": "human", "value": "x"}]})"
            "\n");
  Out o2;
  r = MapDataset("ecg_instruct_45k", {tmp / "i45k.jsonl"}, MakeLookup(), o2.Sink());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->instances, 2);
  EXPECT_EQ(r->unmatched, 1);
  EXPECT_EQ(r->examples[0], tmp / "i45k.jsonl:3: no segments for mimic record 777");
  ASSERT_EQ(o2.samples.size(), 2u);
  EXPECT_EQ(o2.samples[0].messages.size(), 4u);
  EXPECT_EQ(o2.samples[0].messages[0].content, "Q1\nmore");
  EXPECT_EQ(o2.samples[0].messages[3].role, "assistant");
  EXPECT_EQ(o2.samples[1].id, "ecg_instruct_45k-0-1");
}

TEST(MappedTest, PulseAndGem) {
  TempDir tmp;
  WriteText(tmp / "instruct.json", R"([
    {"id": "1", "image": "mimic_v4/p1000/p10000032/s40689238/40689238-0.png", "conversations": [{"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "AF"}]},
    {"id": "2", "image": "ptb-xl/records500/00000/00001_hr-0.png", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    {"id": "3", "image": "code15_v4/1234567-0.png", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    {"id": "4", "image": "champan/xyz-0.png", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    {"id": "5", "image": "code15_v4/1-0.png", "conversations": "oops"}
  ])");
  Out out;
  auto r = MapDataset("ecg_instruct_pulse", {tmp / "instruct.json"}, MakeLookup(), out.Sink());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->samples, 2 + 3 + 1);
  EXPECT_EQ(r->unmatched, 1);
  EXPECT_EQ(r->malformed, 1);
  EXPECT_EQ(r->examples[0], tmp / "instruct.json: instance 3: path \"champan/xyz-0.png\" names no known base dataset");
  EXPECT_EQ(out.samples[0].messages[0].content, "What?");

  WriteText(tmp / "bench.jsonl",
            R"({"name": "cpsc-test", "image_path": "cpsc/A0001-0.png", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]})"
            "\n"
            R"({"name": "ecgqa-test", "image_path": "ptb/00002_hr-0.png", "conversations": [{"from": "human", "value": ["Is ", "it?"]}, {"from": "gpt", "value": ["ye", "s"]}]})"
            "\n"
            R"({"name": "csn-test-no-cot", "file_path": "csn/JS00001-0.png", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]})"
            "\n");
  Out b;
  r = MapDataset("ecg_bench_pulse", {tmp / "bench.jsonl"}, MakeLookup(), b.Sink());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->samples, 3);
  EXPECT_EQ(b.samples[1].messages, (std::vector<ChatMessage>{{"user", "Is it?"}, {"assistant", "yes"}}));
  EXPECT_EQ(b.samples[2].source, "csn");

  WriteText(tmp / "gem.json", R"([
    {"ecg": "mimic-iv/files/p1000/p10000032/s40689238/40689238", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    {"ecg": "ecg_ptbxl_benchmarking/data/ptbxl/records500/00000/00002_hr", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    {"ecg": "code15/1234567", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}
  ])");
  Out g;
  r = MapDataset("ecg_grounding_test", {tmp / "gem.json"}, MakeLookup(), g.Sink());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->samples, 4);
  EXPECT_EQ(g.samples[3].dataset, "ecg_grounding_test");
  EXPECT_EQ(g.samples[3].source, "code15");
}

TEST(MappedTest, MixingSeveralSetsIntoOneFile) {
  TempDir tmp;
  WriteText(tmp / "qa.json", R"([{"question_type": "single-verify", "question": "Q?", "answer": ["no"], "ecg_id": [2]}])");
  WriteText(tmp / "gem.json", R"([{"ecg": "code15/1234567", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}])");
  const SegmentLookup lookup = MakeLookup();
  auto w = ConversationWriter::Create(tmp / "mixed.jsonl");
  ASSERT_TRUE(w.ok());
  auto sink = [&](const Conversation& c) { return (*w)->Write(c); };
  ASSERT_TRUE(MapDataset("ecg-qa_ptbxl", {tmp / "qa.json"}, lookup, sink).ok());
  ASSERT_TRUE(MapDataset("ecg_grounding", {tmp / "gem.json"}, lookup, sink).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ((*w)->counts(), (std::map<std::string, int64_t>{{"ecg-qa_ptbxl", 1}, {"ecg_grounding", 1}}));
  std::vector<std::string> datasets;
  ASSERT_TRUE(ReadConversations(tmp / "mixed.jsonl", [&](Conversation&& c, int64_t) {
                datasets.push_back(c.dataset);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(datasets, (std::vector<std::string>{"ecg-qa_ptbxl", "ecg_grounding"}));
}

TEST(MappedTest, BadInputErrors) {
  TempDir tmp;
  Out out;
  const SegmentLookup lookup = MakeLookup();
  EXPECT_EQ(MapDataset("ecg-qa", {}, lookup, out.Sink()).status().code(), absl::StatusCode::kInvalidArgument);
  WriteText(tmp / "bad.json", "[{\"question_type\": ");
  absl::Status st = MapDataset("ecg-qa_ptbxl", {tmp / "bad.json"}, lookup, out.Sink()).status();
  EXPECT_EQ(st.message().rfind(tmp / "bad.json: invalid JSON at byte", 0), 0u) << st;
  WriteText(tmp / "bad.jsonl", "{\"ecg\": \"x\", \"conversations\": []}\n{oops}\n");
  st = MapDataset("pretrain_mimic", {tmp / "bad.jsonl"}, lookup, out.Sink()).status();
  EXPECT_EQ(st.message().rfind(tmp / "bad.jsonl:2: invalid JSON", 0), 0u) << st;
  WriteText(tmp / "obj.json", "{\"a\": 1}");
  EXPECT_EQ(MapDataset("ecg_grounding", {tmp / "obj.json"}, lookup, out.Sink()).status().message(),
            tmp / "obj.json: expected a JSON array of instances");
  EXPECT_EQ(MapDataset("ecg_grounding", {tmp / "missing.json"}, lookup, out.Sink()).status().code(),
            absl::StatusCode::kNotFound);
  // A sink error stops the mapping.
  WriteText(tmp / "ok.json", R"([{"ecg": "code15/1234567", "conversations": [{"from": "human", "value": "Q"}]}])");
  st = MapDataset("ecg_grounding", {tmp / "ok.json"}, lookup, [](const Conversation&) {
         return absl::ResourceExhaustedError("disk full");
       }).status();
  EXPECT_EQ(st.message(), "disk full");
}

TEST(MappedTest, ListJsonFilesSorted) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "output/ptbxl/template/test");
  std::filesystem::create_directories(tmp / "output/ptbxl/paraphrased/train");
  WriteText(tmp / "output/ptbxl/template/test/00.json", "[]");
  WriteText(tmp / "output/ptbxl/paraphrased/train/01.json", "[]");
  WriteText(tmp / "output/ptbxl/paraphrased/train/notes.txt", "");
  auto files = ListJsonFiles(tmp / "output/ptbxl");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{tmp / "output/ptbxl/paraphrased/train/01.json",
                                              tmp / "output/ptbxl/template/test/00.json"}));
}

}  // namespace
}  // namespace ecgbench::common::ecg
