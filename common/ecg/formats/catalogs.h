// Dataset catalogs: the list of records of a base dataset in its real on-disk layout, as
// references (paths + ids + labels) that ReadRecord (record_reader.h) turns into ecg::Records.
//
//   ptbxl   ROOT/ptbxl_database.csv: ecg_id, patient_id ("15709.0" -> "15709"), filename_hr
//           ("records500/00000/00001_hr" -> paths {ROOT/records500/00000/00001_hr}), report,
//           scp_codes (a Python dict literal, kept verbatim), strat_fold; id = "00001_hr".
//   mimic   ROOT/record_list.csv (subject_id, study_id, file_name, ecg_time, path) inner-joined
//           with ROOT/machine_measurements.csv on (subject_id, study_id); report = the non-empty
//           report_0..report_17 joined with a single space (as upstream, which space-joins the
//           non-NaN columns); rows whose reports are all empty are dropped and counted;
//           patient_id = subject_id, id = file_name, paths {ROOT/path}.
//   code15  ROOT/exams.csv (exam_id, age, is_male, nn_predicted_age, 1dAVb, RBBB, LBBB, SB, ST, AF,
//           patient_id, normal_ecg, trace_file); each trace_file's `exam_id` dataset is read once
//           to resolve exam_id -> row; paths {ROOT/trace_file}, row = that row; report empty
//           (CODE-15 has no report text; upstream uses a placeholder).
//   cpsc,   every .hea under ROOT (recursive, sorted); Dx/Age/Sex from the header comments;
//   csn     patient_id is EMPTY (these datasets have no patient ids: splits must group by record);
//           paths {the .hea path without ".hea"}.
// Every reference's paths are header base paths (WFDB) or the HDF5 file (code15).
//
// Problems with individual rows (a file listed but missing, a CSV row with bad quoting or the
// wrong number of fields, an id that is not an integer (PTB-XL ecg_id, MIMIC subject_id and
// study_id, CODE-15 exam_id), an unparsable header, an exam_id absent from its HDF5 file) skip that
// row: LoadReport.skipped counts them and problems keeps the first kMaxProblems messages, each
// naming the file (and line) and the reason. A missing or unreadable catalog file itself, or a
// missing required column, fails the whole load (NotFound / InvalidArgument naming the file).
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::ecg {

struct RecordRef {
  std::string id;
  std::string patient_id;  // empty when the dataset has none
  std::string report;
  std::vector<std::string> paths;  // WFDB header base path(s), or the HDF5 file
  int64_t row = -1;                // HDF5 row (code15), -1 otherwise
  std::map<std::string, std::string> labels;  // scp_codes, strat_fold, age, sex, AF, Dx, ...
};

inline constexpr int kMaxProblems = 20;

struct LoadReport {
  int rows = 0;     // catalog rows (or headers) seen
  int skipped = 0;  // rows left out, for any reason
  int no_report = 0;  // of skipped: MIMIC rows whose reports are all empty (dropped as upstream)
  std::vector<std::string> problems;  // the first kMaxProblems reasons
};

struct Catalog {
  std::string dataset;  // "ptbxl", "mimic", "code15", "cpsc", "csn"
  std::vector<RecordRef> refs;
  LoadReport report;
};

struct CatalogOptions {
  bool check_files = true;  // skip rows whose signal files do not exist (one stat per row)
};

absl::StatusOr<Catalog> LoadPtbxlCatalog(const std::string& root, const CatalogOptions& options = {});
absl::StatusOr<Catalog> LoadMimicCatalog(const std::string& root, const CatalogOptions& options = {});
absl::StatusOr<Catalog> LoadCode15Catalog(const std::string& root, const CatalogOptions& options = {});
// `dataset` is "cpsc" or "csn" (it only names the catalog).
absl::StatusOr<Catalog> LoadHeaderCatalog(const std::string& root, std::string_view dataset);

// Dispatches on `dataset`: ptbxl, mimic, code15, cpsc, csn. InvalidArgument for other names.
absl::StatusOr<Catalog> LoadCatalog(std::string_view dataset, const std::string& root,
                                    const CatalogOptions& options = {});

// PTB-XL scp_codes "{'NORM': 100.0, 'SR': 0.0}" -> {{"NORM", 100}, {"SR", 0}} in order.
// InvalidArgument "scp_codes: ..." when it is not a dict of string -> number.
absl::StatusOr<std::vector<std::pair<std::string, double>>> ParseScpCodes(std::string_view text);

}  // namespace ecgbench::common::ecg
