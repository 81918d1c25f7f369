// Catalog loaders for the five base datasets: CSV joins, HDF5 exam-id indexes, header globbing.
#include "common/ecg/formats/catalogs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <set>
#include <system_error>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/ecg/formats/csv_reader.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

namespace {

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Join(const std::string& root, const std::string& rel) {
  if (root.empty()) return rel;
  return root.back() == '/' ? root + rel : root + "/" + rel;
}

void Skip(LoadReport& report, std::string problem) {
  ++report.skipped;
  if (static_cast<int>(report.problems.size()) < kMaxProblems) report.problems.push_back(std::move(problem));
}

// "15709.0" -> "15709"; other text is kept (trimmed).
std::string NormalizeId(const std::string& text) {
  const std::string t(absl::StripAsciiWhitespace(text));
  double v = 0;
  if (absl::SimpleAtod(t, &v) && std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return t;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Column indices of `names` in `csv` (-1 for optional ones that are absent).
absl::StatusOr<std::vector<int>> Columns(const CsvReader& csv, const std::vector<std::string>& required,
                                         const std::vector<std::string>& optional = {}) {
  std::vector<int> out;
  for (const std::string& c : required) {
    ECGBENCH_ASSIGN_OR_RETURN(int i, csv.RequireColumn(c));
    out.push_back(i);
  }
  for (const std::string& c : optional) out.push_back(csv.ColumnIndex(c));
  return out;
}

// Reads every row of `csv`, calling row(fields) for good rows and recording bad ones as skipped.
template <typename Fn>
absl::Status ForEachRow(CsvReader& csv, LoadReport& report, Fn row) {
  std::vector<std::string> f;
  for (;;) {
    absl::StatusOr<bool> got = csv.ReadRow(f);
    if (!got.ok()) {
      ++report.rows;
      Skip(report, std::string(got.status().message()));
      continue;
    }
    if (!*got) return absl::OkStatus();
    ++report.rows;
    row(f);
  }
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, double>>> ParseScpCodes(std::string_view text) {
  std::vector<std::pair<std::string, double>> out;
  std::string_view s = text;
  auto skip = [&] { while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1); };
  auto bad = [&](const char* why) {
    return absl::InvalidArgumentError(absl::StrCat("scp_codes: ", why, " in \"", std::string(text), "\""));
  };
  skip();
  if (s.empty() || s.front() != '{') return bad("expected '{'");
  s.remove_prefix(1);
  for (;;) {
    skip();
    if (!s.empty() && s.front() == '}') break;
    if (s.empty() || (s.front() != '\'' && s.front() != '"')) return bad("expected a quoted code");
    const char q = s.front();
    const size_t end = s.find(q, 1);
    if (end == std::string_view::npos) return bad("unterminated code");
    std::string code(s.substr(1, end - 1));
    s.remove_prefix(end + 1);
    skip();
    if (s.empty() || s.front() != ':') return bad("expected ':'");
    s.remove_prefix(1);
    skip();
    size_t n = 0;
    while (n < s.size() && (absl::ascii_isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.' || s[n] == '-' ||
                            s[n] == '+' || s[n] == 'e' || s[n] == 'E')) {
      ++n;
    }
    double v = 0;
    if (!absl::SimpleAtod(Absl(s.substr(0, n)), &v)) return bad("expected a number");
    s.remove_prefix(n);
    out.emplace_back(std::move(code), v);
    skip();
    if (!s.empty() && s.front() == ',') {
      s.remove_prefix(1);
      continue;
    }
    skip();
    if (!s.empty() && s.front() == '}') break;
    return bad("expected ',' or '}'");
  }
  return out;
}

absl::StatusOr<Catalog> LoadPtbxlCatalog(const std::string& root, const CatalogOptions& options) {
  const std::string file = Join(root, "ptbxl_database.csv");
  ECGBENCH_ASSIGN_OR_RETURN(CsvReader csv, CsvReader::Open(file));
  ECGBENCH_ASSIGN_OR_RETURN(
      std::vector<int> col,
      Columns(csv, {"ecg_id", "patient_id", "filename_hr", "report", "scp_codes", "strat_fold"}, {"age", "sex"}));
  Catalog cat;
  cat.dataset = "ptbxl";
  ECGBENCH_RETURN_IF_ERROR(ForEachRow(csv, cat.report, [&](const std::vector<std::string>& f) {
    const std::string ecg_id = NormalizeId(f[col[0]]);
    int64_t id = 0;
    if (!absl::SimpleAtoi(ecg_id, &id)) {
      return Skip(cat.report, absl::StrCat(csv.Where(), ": bad ecg_id '", f[col[0]], "'"));
    }
    const std::string& rel = f[col[2]];
    if (rel.empty()) return Skip(cat.report, absl::StrCat(csv.Where(), ": empty filename_hr"));
    RecordRef ref;
    ref.paths.push_back(Join(root, rel));
    if (options.check_files && !FileExists(ref.paths[0] + ".hea")) {
      return Skip(cat.report, absl::StrCat(csv.Where(), ": ", rel, ".hea not found"));
    }
    ref.id = BaseName(rel);
    ref.patient_id = NormalizeId(f[col[1]]);
    ref.report = f[col[3]];
    ref.labels["ecg_id"] = ecg_id;
    ref.labels["scp_codes"] = f[col[4]];
    ref.labels["strat_fold"] = NormalizeId(f[col[5]]);
    if (col[6] >= 0 && !f[col[6]].empty()) ref.labels["age"] = NormalizeId(f[col[6]]);
    if (col[7] >= 0 && !f[col[7]].empty()) ref.labels["sex"] = NormalizeId(f[col[7]]);
    cat.refs.push_back(std::move(ref));
  }));
  return cat;
}

absl::StatusOr<Catalog> LoadMimicCatalog(const std::string& root, const CatalogOptions& options) {
  Catalog cat;
  cat.dataset = "mimic";
  // (subject_id, study_id) -> report ("" when every report column is empty).
  absl::flat_hash_map<std::pair<int64_t, int64_t>, std::string> reports;
  {
    const std::string file = Join(root, "machine_measurements.csv");
    ECGBENCH_ASSIGN_OR_RETURN(CsvReader csv, CsvReader::Open(file));
    ECGBENCH_ASSIGN_OR_RETURN(std::vector<int> col, Columns(csv, {"subject_id", "study_id", "report_0"}));
    std::vector<int> report_cols;
    for (int k = 0; k < 18; ++k) {
      if (const int i = csv.ColumnIndex(absl::StrCat("report_", k)); i >= 0) report_cols.push_back(i);
    }
    LoadReport mm;  // a bad row here shows up below as "no machine_measurements row"; keep its reason
    std::string text;
    ECGBENCH_RETURN_IF_ERROR(ForEachRow(csv, mm, [&](const std::vector<std::string>& f) {
      int64_t subject = 0, study = 0;
      if (!absl::SimpleAtoi(f[col[0]], &subject) || !absl::SimpleAtoi(f[col[1]], &study)) {
        return Skip(mm, absl::StrCat(csv.Where(), ": bad subject_id/study_id"));
      }
      text.clear();
      for (int i : report_cols) {
        absl::string_view part = absl::StripAsciiWhitespace(f[i]);
        if (part.empty()) continue;
        if (!text.empty()) text.push_back(' ');
        text.append(part.data(), part.size());
      }
      reports.emplace(std::make_pair(subject, study), text);
    }));
    for (std::string& p : mm.problems) {
      if (static_cast<int>(cat.report.problems.size()) < kMaxProblems) cat.report.problems.push_back(std::move(p));
    }
  }
  const std::string file = Join(root, "record_list.csv");
  ECGBENCH_ASSIGN_OR_RETURN(CsvReader csv, CsvReader::Open(file));
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<int> col,
                            Columns(csv, {"subject_id", "study_id", "file_name", "path"}, {"ecg_time"}));
  ECGBENCH_RETURN_IF_ERROR(ForEachRow(csv, cat.report, [&](const std::vector<std::string>& f) {
    int64_t subject = 0, study = 0;
    if (!absl::SimpleAtoi(f[col[0]], &subject) || !absl::SimpleAtoi(f[col[1]], &study)) {
      return Skip(cat.report, absl::StrCat(csv.Where(), ": bad subject_id/study_id"));
    }
    const auto it = reports.find(std::make_pair(subject, study));
    if (it == reports.end()) {
      return Skip(cat.report, absl::StrCat(csv.Where(), ": no machine_measurements row for subject ", subject,
                                           " study ", study));
    }
    if (it->second.empty()) {
      ++cat.report.no_report;
      return Skip(cat.report, absl::StrCat(csv.Where(), ": study ", study, " has no report (report_0..report_17 empty)"));
    }
    RecordRef ref;
    ref.paths.push_back(Join(root, f[col[3]]));
    if (options.check_files && !FileExists(ref.paths[0] + ".hea")) {
      return Skip(cat.report, absl::StrCat(csv.Where(), ": ", f[col[3]], ".hea not found"));
    }
    ref.id = f[col[2]];
    ref.patient_id = absl::StrCat(subject);
    ref.report = it->second;
    ref.labels["subject_id"] = ref.patient_id;
    ref.labels["study_id"] = absl::StrCat(study);
    if (col[4] >= 0) ref.labels["ecg_time"] = f[col[4]];
    cat.refs.push_back(std::move(ref));
  }));
  return cat;
}

// The part files are always opened (their exam_id datasets give the rows), so check_files adds nothing.
absl::StatusOr<Catalog> LoadCode15Catalog(const std::string& root, const CatalogOptions& /*options*/) {
  static const char* const kLabels[] = {"age", "is_male", "nn_predicted_age", "1dAVb", "RBBB", "LBBB",
                                        "SB",  "ST",      "AF",               "normal_ecg"};
  const std::string file = Join(root, "exams.csv");
  ECGBENCH_ASSIGN_OR_RETURN(CsvReader csv, CsvReader::Open(file));
  std::vector<std::string> optional(std::begin(kLabels), std::end(kLabels));
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<int> col, Columns(csv, {"exam_id", "patient_id", "trace_file"}, optional));
  Catalog cat;
  cat.dataset = "code15";
  struct Pending {
    RecordRef ref;
    int64_t exam_id;
    std::string trace_file;
    std::string where;
  };
  std::vector<Pending> pending;
  ECGBENCH_RETURN_IF_ERROR(ForEachRow(csv, cat.report, [&](const std::vector<std::string>& f) {
    Pending p;
    if (!absl::SimpleAtoi(f[col[0]], &p.exam_id)) {
      return Skip(cat.report, absl::StrCat(csv.Where(), ": bad exam_id '", f[col[0]], "'"));
    }
    p.trace_file = f[col[2]];
    if (p.trace_file.empty()) return Skip(cat.report, absl::StrCat(csv.Where(), ": empty trace_file"));
    p.where = csv.Where();
    p.ref.id = absl::StrCat(p.exam_id);
    p.ref.patient_id = NormalizeId(f[col[1]]);
    for (size_t k = 0; k < optional.size(); ++k) {
      if (const int i = col[3 + k]; i >= 0 && !f[i].empty()) p.ref.labels[optional[k]] = f[i];
    }
    pending.push_back(std::move(p));
  }));
  // exam_id -> row, per part file, read once.
  std::map<std::string, std::unique_ptr<absl::flat_hash_map<int64_t, int64_t>>> index;
  for (const Pending& p : pending) {
    if (index.count(p.trace_file)) continue;
    auto& rows = index[p.trace_file];
    absl::StatusOr<std::unique_ptr<Code15File>> h5 = Code15File::Open(Join(root, p.trace_file));
    absl::StatusOr<std::vector<int64_t>> ids =
        h5.ok() ? (*h5)->ReadExamIds() : absl::StatusOr<std::vector<int64_t>>(h5.status());
    if (!ids.ok()) {
      int n = 0;
      for (const Pending& q : pending) n += q.trace_file == p.trace_file;
      Skip(cat.report, absl::StrCat(ids.status().message(), " (", n, n == 1 ? " exam" : " exams", " skipped)"));
      cat.report.skipped += n - 1;
      continue;
    }
    rows = std::make_unique<absl::flat_hash_map<int64_t, int64_t>>();
    for (size_t r = 0; r < ids->size(); ++r) rows->emplace((*ids)[r], static_cast<int64_t>(r));
  }
  for (Pending& p : pending) {
    const auto& rows = index[p.trace_file];
    if (rows == nullptr) continue;  // the whole file was skipped above
    const auto it = rows->find(p.exam_id);
    if (it == rows->end()) {
      Skip(cat.report, absl::StrCat(p.where, ": exam ", p.exam_id, " not in ", p.trace_file));
      continue;
    }
    p.ref.paths.push_back(Join(root, p.trace_file));
    p.ref.row = it->second;
    cat.refs.push_back(std::move(p.ref));
  }
  return cat;
}

absl::StatusOr<Catalog> LoadHeaderCatalog(const std::string& root, std::string_view dataset) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> headers;
  fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(root, ": cannot open directory: ", ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return absl::InternalError(absl::StrCat(root, ": cannot list: ", ec.message()));
    if (it->path().extension() == ".hea" && it->is_regular_file(ec)) headers.push_back(it->path().string());
  }
  std::sort(headers.begin(), headers.end());
  Catalog cat;
  cat.dataset = std::string(dataset);
  for (const std::string& hea : headers) {
    ++cat.report.rows;
    absl::StatusOr<WfdbHeader> h = ReadWfdbHeaderFile(hea);
    if (!h.ok()) {
      Skip(cat.report, std::string(h.status().message()));
      continue;
    }
    const std::string dir = hea.substr(0, hea.rfind('/') + 1);
    std::set<std::string> files;
    for (const WfdbSignalSpec& s : h->signals) files.insert(s.file_name);
    std::string missing;
    for (const std::string& f : files) {
      if (!FileExists(dir + f)) missing = f;
    }
    if (!missing.empty()) {
      Skip(cat.report, absl::StrCat(hea, ": signal file ", missing, " not found"));
      continue;
    }
    RecordRef ref;
    ref.id = h->record_name;
    ref.paths.push_back(hea.substr(0, hea.size() - 4));
    for (const char* key : {"Dx", "Age", "Sex"}) {
      if (const std::string* v = h->CommentField(key)) ref.labels[absl::AsciiStrToLower(key)] = *v;
    }
    cat.refs.push_back(std::move(ref));
  }
  return cat;
}

absl::StatusOr<Catalog> LoadCatalog(std::string_view dataset, const std::string& root, const CatalogOptions& options) {
  if (dataset == "ptbxl") return LoadPtbxlCatalog(root, options);
  if (dataset == "mimic") return LoadMimicCatalog(root, options);
  if (dataset == "code15") return LoadCode15Catalog(root, options);
  if (dataset == "cpsc" || dataset == "csn") return LoadHeaderCatalog(root, dataset);
  return absl::InvalidArgumentError(absl::StrCat("unknown dataset '", std::string(dataset),
                                                 "' (known: ptbxl, mimic, code15, cpsc, csn)"));
}

}  // namespace ecgbench::common::ecg
