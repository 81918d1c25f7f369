// The synthetic data-set writer: real layouts that the catalog loaders and record readers of
// common/ecg/formats accept, no label in ids or file names, patients with 1-3 records, folds 1-10,
// balanced classes, determinism, and ECG-QA answers that follow from the class.
#include "common/ecg/synth/dataset_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/formats/catalogs.h"
#include "common/ecg/formats/csv_reader.h"
#include "common/ecg/formats/record_reader.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::ecg {
namespace {

namespace fs = std::filesystem;

using TempDir = ::ecgbench::test_support::TempDir;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path, std::vector<std::string>* header) {
  auto reader = CsvReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<std::vector<std::string>> rows;
  if (!reader.ok()) return rows;
  *header = reader->header();
  std::vector<std::string> fields;
  while (true) {
    auto more = reader->ReadRow(fields);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    rows.push_back(fields);
  }
  return rows;
}

// Words that would give a class away if they appeared in a file name or an id.
std::vector<std::string> LeakWords() {
  std::vector<std::string> words = {"sinus", "brady", "tachy", "fibril", "afib", "block", "bbb", "avb", "pvc",
                                    "premature", "elevation", "stemi", "norm", "sbrad", "stach", "1avb", "rhythm"};
  for (EcgClass c : kAllEcgClasses) words.push_back(std::string(EcgClassName(c)));
  return words;
}

void ExpectNoLeak(const std::string& text, const std::string& what) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (const std::string& w : LeakWords()) EXPECT_EQ(lower.find(w), std::string::npos) << what << " '" << text << "' contains " << w;
}

std::set<std::string> PresentFindings(const SynthMeta& m) {
  switch (m.ecg_class) {
    case EcgClass::kSinusRhythm: return {"sinus rhythm"};
    case EcgClass::kSinusBradycardia: return {"sinus bradycardia"};
    case EcgClass::kSinusTachycardia: return {"sinus tachycardia"};
    case EcgClass::kAtrialFibrillation: return {"atrial fibrillation"};
    case EcgClass::kFirstDegreeAvBlock: return {"sinus rhythm", "first degree av block"};
    case EcgClass::kBundleBranchBlock: return {"sinus rhythm", std::string(BbbTypeName(m.bbb_type))};
    case EcgClass::kStElevation: return {"sinus rhythm", "st elevation"};
    case EcgClass::kPrematureVentricular: return {"sinus rhythm", "premature ventricular complexes"};
  }
  return {};
}

std::string ExpectedRhythm(EcgClass c) {
  if (c == EcgClass::kSinusBradycardia || c == EcgClass::kSinusTachycardia || c == EcgClass::kAtrialFibrillation) {
    return std::string(EcgClassName(c));
  }
  return "sinus rhythm";
}

// Reads every ECG-QA sample of a variant and checks each answer against the ground truth.
void CheckEcgQa(const std::string& root, const std::map<int64_t, SynthMeta>& truth) {
  int samples = 0, verify = 0, choose = 0;
  std::map<std::string, std::map<std::string, int>> verify_answers;  // finding -> answer -> count
  std::map<std::string, std::map<bool, int>> choose_answers;          // "a|b" -> answer is a -> count
  std::map<int64_t, std::map<int, int>> per_record;                   // ecg id -> template -> count
  std::set<int64_t> sample_ids;
  for (const char* split : {"train", "valid", "test"}) {
    const fs::path dir = fs::path(root) / "template" / split;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const nlohmann::json all = nlohmann::json::parse(ReadText(entry.path().string()));
      ASSERT_TRUE(all.is_array());
      for (const nlohmann::json& q : all) {
        ++samples;
        EXPECT_TRUE(sample_ids.insert(q.at("sample_id").get<int64_t>()).second);
        const int64_t id = q.at("ecg_id").at(0).get<int64_t>();
        ASSERT_EQ(truth.count(id), 1u) << id;
        const SynthMeta& m = truth.at(id);
        const std::string type = q.at("question_type");
        const std::string question = q.at("question");
        const std::vector<std::string> answer = q.at("answer");
        ASSERT_FALSE(answer.empty());
        EXPECT_TRUE(q.contains("template_id") && q.contains("question_id") && q.contains("attribute_type") &&
                    q.contains("attribute") && q.contains("ecg_path"));
        const int tid = q.at("template_id");
        ++per_record[id][tid];
        if (type == "single-verify") {
          const std::string finding = q.at("attribute").at(0);
          EXPECT_EQ(question, absl::StrCat("Does this ECG show ", finding, "?"));
          const bool present = PresentFindings(m).count(finding) > 0;
          EXPECT_EQ(answer[0], present ? "yes" : "no") << question << " for " << EcgClassName(m.ecg_class);
          ++verify_answers[finding][answer[0]];
          ++verify;
        } else if (type == "single-choose") {
          EXPECT_EQ(answer[0], ExpectedRhythm(m.ecg_class)) << question;
          const std::string a = q.at("attribute").at(0), b = q.at("attribute").at(1);
          EXPECT_EQ(question, absl::StrCat("Which rhythm does this ECG show, ", a, " or ", b, "?"));
          EXPECT_TRUE(answer[0] == a || answer[0] == b) << question;
          ++choose_answers[absl::StrCat(a, "|", b)][answer[0] == a];
          ++choose;
        } else {
          ASSERT_EQ(type, "single-query");
          if (tid == 3) {
            EXPECT_EQ(answer[0], ExpectedRhythm(m.ecg_class));
          }
          if (tid == 4) {
            std::string expected = "none";
            if (m.ecg_class == EcgClass::kFirstDegreeAvBlock) expected = "first degree av block";
            if (m.ecg_class == EcgClass::kBundleBranchBlock) expected = std::string(BbbTypeName(m.bbb_type));
            EXPECT_EQ(answer[0], expected);
          }
          if (tid == 5) {
            EXPECT_EQ(answer[0], m.ecg_class == EcgClass::kPrematureVentricular ? "premature ventricular complexes" : "none");
          }
          if (tid == 6) {
            if (m.ecg_class == EcgClass::kStElevation) {
              std::vector<std::string> leads;
              for (int l : StGroupLeads(m.st_group)) leads.push_back(absl::StrCat("lead ", kStandardLeads[l]));
              EXPECT_EQ(answer, leads);
            } else {
              EXPECT_EQ(answer, std::vector<std::string>{"none"});
            }
          }
          if (tid == 7) {
            const std::string expected = m.heart_rate_bpm < 60    ? "below the normal range"
                                         : m.heart_rate_bpm > 100 ? "above the normal range"
                                                                  : "within the normal range";
            EXPECT_EQ(answer[0], expected);
          }
        }
      }
    }
  }
  // No language prior: the text of a verify or choose question says nothing about its answer.
  // Counts balance within each split, so exactly overall too.
  for (const auto& [finding, answers] : verify_answers) {
    EXPECT_EQ(answers.size(), 2u) << finding;
    EXPECT_EQ(answers.begin()->second, answers.rbegin()->second) << finding;
  }
  for (const auto& [pair, first] : choose_answers) EXPECT_EQ(first.at(true), first.at(false)) << pair;
  // About two verify and one choose question per record; every record has the rhythm query and
  // exactly one more query.
  const int n = static_cast<int>(truth.size());
  EXPECT_GE(verify, n) << samples;
  EXPECT_LE(verify, 3 * n);
  EXPECT_GE(choose, n / 3);
  EXPECT_LE(choose, 2 * n);
  EXPECT_EQ(per_record.size(), truth.size());
  for (const auto& [id, templates] : per_record) {
    EXPECT_EQ(templates.count(3) ? templates.at(3) : 0, 1) << id;
    int extra = 0;
    for (int t = 4; t <= 7; ++t) extra += templates.count(t) ? templates.at(t) : 0;
    EXPECT_EQ(extra, 1) << id;
  }
  EXPECT_TRUE(fs::exists(fs::path(root) / "answers_for_each_template.csv"));
}

TEST(SynthLayoutTest, ParsesNames) {
  EXPECT_EQ(ParseSynthLayout("PTBXL").value(), SynthLayout::kPtbxl);
  EXPECT_EQ(ParseSynthLayout("code15").value(), SynthLayout::kCode15);
  EXPECT_EQ(ParseSynthLayout("mimic").value(), SynthLayout::kMimic);
  EXPECT_EQ(ParseSynthLayout("cpsc").status().message(), "unknown layout 'cpsc' (expected ptbxl, code15 or mimic)");
}

TEST(SynthDatasetTest, RejectsBadOptions) {
  SynthDatasetOptions options;
  EXPECT_EQ(WriteSyntheticDataset(options).message(), "out_dir must not be empty");
  TempDir dir;
  options.out_dir = dir.path();
  options.records = 0;
  EXPECT_EQ(WriteSyntheticDataset(options).message(), "records must be in [1, 1000000], got 0");
}

TEST(SynthDatasetTest, PtbxlLayout) {
  TempDir dir;
  SynthDatasetOptions options;
  options.layout = SynthLayout::kPtbxl;
  options.out_dir = dir.path();
  options.records = 50;
  options.seed = 7;
  std::vector<SynthRecordTruth> truth;
  {
    const absl::Status written = WriteSyntheticDataset(options, &truth);
    ASSERT_TRUE(written.ok()) << written;
  }
  ASSERT_EQ(truth.size(), 50u);

  // The catalog: PTB-XL's columns, one row per record, RFC 4180 quoting that the reader accepts.
  std::vector<std::string> header;
  const auto rows = ReadCsv(dir.path() + "/ptbxl_database.csv", &header);
  ASSERT_EQ(rows.size(), 50u);
  ASSERT_EQ(header.size(), 28u);
  EXPECT_EQ(header.front(), "ecg_id");
  EXPECT_EQ(header.back(), "filename_hr");
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  std::map<std::string, int> records_per_patient;
  std::map<std::string, std::set<std::string>> folds_per_patient;
  std::set<std::string> folds;
  std::map<EcgClass, int> class_counts;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    ASSERT_EQ(row.size(), 28u);
    // Ids are sequential and file names follow from them alone.
    const int ecg_id = static_cast<int>(i) + 1;
    EXPECT_EQ(row[col("ecg_id")], absl::StrCat(ecg_id));
    EXPECT_EQ(row[col("filename_hr")], absl::StrFormat("records500/%05d/%05d_hr", ecg_id / 1000 * 1000, ecg_id));
    EXPECT_EQ(row[col("filename_lr")], absl::StrFormat("records100/%05d/%05d_lr", ecg_id / 1000 * 1000, ecg_id));
    for (const char* c : {"ecg_id", "patient_id", "filename_hr", "filename_lr"}) ExpectNoLeak(row[col(c)], c);
    ++records_per_patient[row[col("patient_id")]];
    folds_per_patient[row[col("patient_id")]].insert(row[col("strat_fold")]);
    folds.insert(row[col("strat_fold")]);
    EXPECT_EQ(truth[i].record_id, absl::StrFormat("%05d_hr", ecg_id));
    EXPECT_EQ(absl::StrCat(truth[i].patient_id, ".0"), row[col("patient_id")]);
    ++class_counts[truth[i].meta.ecg_class];
    // Labels only in label columns, and matching the signal's class.
    const auto codes = ParseScpCodes(row[col("scp_codes")]);
    ASSERT_TRUE(codes.ok()) << row[col("scp_codes")];
    std::set<std::string> keys;
    for (const auto& [k, v] : *codes) keys.insert(k);
    const EcgClass c = truth[i].meta.ecg_class;
    const std::map<EcgClass, std::string> kCode = {
        {EcgClass::kSinusRhythm, "SR"},         {EcgClass::kSinusBradycardia, "SBRAD"},
        {EcgClass::kSinusTachycardia, "STACH"}, {EcgClass::kAtrialFibrillation, "AFIB"},
        {EcgClass::kFirstDegreeAvBlock, "1AVB"}, {EcgClass::kStElevation, "STE_"},
        {EcgClass::kPrematureVentricular, "PVC"}};
    if (c == EcgClass::kBundleBranchBlock) {
      EXPECT_EQ(keys.count(truth[i].meta.bbb_type == BbbType::kRight ? "CRBBB" : "CLBBB"), 1u);
    } else {
      EXPECT_EQ(keys.count(kCode.at(c)), 1u) << row[col("scp_codes")];
    }
    EXPECT_FALSE(row[col("report")].empty());
  }
  for (const auto& [patient, count] : records_per_patient) {
    EXPECT_GE(count, 1);
    EXPECT_LE(count, 3);
    EXPECT_EQ(folds_per_patient[patient].size(), 1u) << "patient " << patient << " spans folds";
  }
  EXPECT_LT(records_per_patient.size(), 50u);  // some patients have several records
  EXPECT_EQ(folds, (std::set<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}));
  for (EcgClass c : kAllEcgClasses) {
    EXPECT_GE(class_counts[c], 6) << EcgClassName(c);
    EXPECT_LE(class_counts[c], 7) << EcgClassName(c);
  }

  // No file or directory name says anything about a class.
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    ExpectNoLeak(fs::relative(entry.path(), dir.path()).string(), "path");
    files += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 1 + 4 * 50 + 3 + 1);  // catalog, hr + lr .hea/.dat, 3 QA splits, answers csv

  // The formats catalog loads it and the records read back as 12-lead 500 Hz / 100 Hz WFDB.
  const auto catalog = LoadPtbxlCatalog(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->refs.size(), 50u);
  EXPECT_EQ(catalog->report.skipped, 0);
  auto record = ReadRecord(catalog->refs[0], "ptbxl");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->num_samples, 5000);
  EXPECT_EQ(record->sampling_rate_hz, 500);
  EXPECT_EQ(record->leads[3], "AVR");
  ASSERT_TRUE(HarmonizeLeads(*record).ok());
  for (int64_t t = 0; t < record->num_samples; ++t) {
    // Quantised at 1000 adu/mV: each lead within 0.0005 mV.
    ASSERT_NEAR(record->lead(2)[t], record->lead(1)[t] - record->lead(0)[t], 0.0016);
    ASSERT_NEAR(record->lead(5)[t], record->lead(1)[t] - record->lead(0)[t] / 2, 0.0016);
  }
  RecordRef lr = catalog->refs[0];
  lr.paths = {dir.path() + "/" + rows[0][col("filename_lr")]};
  auto low = ReadRecord(lr, "ptbxl");
  ASSERT_TRUE(low.ok()) << low.status();
  EXPECT_EQ(low->num_samples, 1000);
  EXPECT_EQ(low->sampling_rate_hz, 100);

  std::map<int64_t, SynthMeta> by_id;
  for (size_t i = 0; i < truth.size(); ++i) by_id[static_cast<int64_t>(i) + 1] = truth[i].meta;
  CheckEcgQa(dir.path() + "/ecgqa/ptbxl", by_id);
}

TEST(SynthDatasetTest, SameSeedSameBytes) {
  TempDir a, b;
  SynthDatasetOptions options;
  options.records = 12;
  options.seed = 3;
  options.out_dir = a.path();
  ASSERT_TRUE(WriteSyntheticDataset(options).ok()) << WriteSyntheticDataset(options);
  options.out_dir = b.path();
  ASSERT_TRUE(WriteSyntheticDataset(options).ok()) << WriteSyntheticDataset(options);
  int compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(a.path())) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), a.path()).string();
    EXPECT_EQ(ReadText(entry.path().string()), ReadText(b.path() + "/" + rel)) << rel;
    ++compared;
  }
  EXPECT_EQ(compared, 1 + 4 * 12 + 4);
  options.out_dir = a.path();
  options.seed = 4;
  ASSERT_TRUE(WriteSyntheticDataset(options).ok()) << WriteSyntheticDataset(options);
  EXPECT_NE(ReadText(a.path() + "/ptbxl_database.csv"), ReadText(b.path() + "/ptbxl_database.csv"));
}

TEST(SynthDatasetTest, Code15Layout) {
  TempDir dir;
  SynthDatasetOptions options;
  options.layout = SynthLayout::kCode15;
  options.out_dir = dir.path();
  options.records = 24;
  options.seed = 11;
  std::vector<SynthRecordTruth> truth;
  {
    const absl::Status written = WriteSyntheticDataset(options, &truth);
    ASSERT_TRUE(written.ok()) << written;
  }
  std::vector<std::string> header;
  const auto rows = ReadCsv(dir.path() + "/exams.csv", &header);
  EXPECT_EQ(header, (std::vector<std::string>{"exam_id", "age", "is_male", "nn_predicted_age", "1dAVb", "RBBB", "LBBB",
                                              "SB", "ST", "AF", "patient_id", "normal_ecg", "trace_file"}));
  ASSERT_EQ(rows.size(), 24u);
  for (size_t i = 0; i < rows.size(); ++i) {
    const SynthMeta& m = truth[i].meta;
    EXPECT_EQ(rows[i][0], truth[i].record_id);
    EXPECT_EQ(rows[i][4], m.ecg_class == EcgClass::kFirstDegreeAvBlock ? "True" : "False");
    EXPECT_EQ(rows[i][5], m.bbb_type == BbbType::kRight ? "True" : "False");
    EXPECT_EQ(rows[i][6], m.bbb_type == BbbType::kLeft ? "True" : "False");
    EXPECT_EQ(rows[i][7], m.ecg_class == EcgClass::kSinusBradycardia ? "True" : "False");
    EXPECT_EQ(rows[i][8], m.ecg_class == EcgClass::kSinusTachycardia ? "True" : "False");
    EXPECT_EQ(rows[i][9], m.ecg_class == EcgClass::kAtrialFibrillation ? "True" : "False");
    EXPECT_EQ(rows[i][11], m.ecg_class == EcgClass::kSinusRhythm ? "True" : "False");
    EXPECT_EQ(rows[i][12], "exams_part0.hdf5");
  }
  const auto catalog = LoadCode15Catalog(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->refs.size(), 24u);
  for (int i : {0, 5, 23}) {
    auto record = ReadRecord(catalog->refs[i], "code15");
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->num_samples, 4096);
    EXPECT_EQ(record->sampling_rate_hz, 400);
    const int64_t content = std::stoll(record->extra.at("content_end")) - std::stoll(record->extra.at("content_begin"));
    const double duration = truth[i].meta.qrs_onsets_s.empty() ? 0 : content / 400.0;
    EXPECT_TRUE(content == 4000 || content == 2800) << content << " " << duration;
  }
  std::map<int64_t, SynthMeta> by_id;
  for (const auto& t : truth) by_id[std::stoll(t.record_id)] = t.meta;
  CheckEcgQa(dir.path() + "/ecgqa/code15", by_id);
}

TEST(SynthDatasetTest, MimicLayout) {
  TempDir dir;
  SynthDatasetOptions options;
  options.layout = SynthLayout::kMimic;
  options.out_dir = dir.path();
  options.records = 24;
  options.seed = 5;
  std::vector<SynthRecordTruth> truth;
  {
    const absl::Status written = WriteSyntheticDataset(options, &truth);
    ASSERT_TRUE(written.ok()) << written;
  }
  std::vector<std::string> header;
  const auto rows = ReadCsv(dir.path() + "/machine_measurements.csv", &header);
  ASSERT_EQ(rows.size(), 24u);
  EXPECT_EQ(header.size(), 4u + 18u + 11u);
  const auto catalog = LoadMimicCatalog(dir.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->refs.size(), 24u);
  for (size_t i = 0; i < truth.size(); ++i) {
    const RecordRef& ref = catalog->refs[i];
    EXPECT_EQ(ref.id, truth[i].record_id);
    EXPECT_EQ(ref.patient_id, truth[i].patient_id);
    ExpectNoLeak(truth[i].path, "path");
    const EcgClass c = truth[i].meta.ecg_class;
    if (c == EcgClass::kAtrialFibrillation) {
      EXPECT_EQ(ref.report.rfind("Atrial fibrillation", 0), 0u) << ref.report;
    }
    if (c == EcgClass::kSinusRhythm) {
      EXPECT_EQ(ref.report, "Sinus rhythm Normal ECG");
    }
  }
  auto record = ReadRecord(catalog->refs[0], "mimic");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->leads, (std::vector<std::string>{"I", "II", "III", "aVR", "aVF", "aVL", "V1", "V2", "V3", "V4",
                                                     "V5", "V6"}));
  ASSERT_TRUE(HarmonizeLeads(*record).ok());
  for (int64_t t = 0; t < record->num_samples; ++t) {
    // 200 adu/mV: each lead within 0.0025 mV.
    ASSERT_NEAR(record->lead(4)[t], record->lead(0)[t] - record->lead(1)[t] / 2, 0.008);
  }
  std::map<int64_t, SynthMeta> by_id;
  for (const auto& t : truth) by_id[std::stoll(t.record_id)] = t.meta;
  CheckEcgQa(dir.path() + "/ecgqa/mimic-iv-ecg", by_id);
}

}  // namespace
}  // namespace ecgbench::common::ecg
