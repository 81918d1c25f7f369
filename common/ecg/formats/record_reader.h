// Reads the ecg::Record behind a catalog's RecordRef, dispatching on the dataset:
//   ptbxl, mimic, cpsc, csn, wfdb -> ReadWfdbRecord(ref.paths[0]) (.dat or .mat signal files)
//   code15                       -> Code15File(ref.paths[0]).ReadExam(ref.row)
//   npy                          -> ReadNpyRecord(ref.paths[0], labels["sampling_rate_hz"])
// and fills the metadata from the reference: id, patient_id, report, source = dataset, labels
// merged into extra (values read from the file win), plus
//   ptbxl:  dx_codes = the keys of scp_codes; age (ages >= 150, PTB-XL's de-identified "300", are
//           left unset), sex from 0 -> "M", 1 -> "F";
//   code15: dx_codes = the label columns that are true (1dAVb, RBBB, LBBB, SB, ST, AF), age,
//           sex from is_male;
//   cpsc/csn: Dx, Age and Sex come from the header comments.
// Leads are left as the file names them (PTB-XL writes "AVR"); callers harmonise with
// HarmonizeLeads (core/leads.h). Errors are those of the underlying reader, naming the file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/ecg/core/record.h"
#include "common/ecg/formats/catalogs.h"
#include "common/ecg/formats/code15_hdf5.h"
#include "common/ecg/formats/wfdb_reader.h"

namespace ecgbench::common::ecg {

struct RecordReaderOptions {
  Code15View code15_view = Code15View::kRaw;  // upstream uses all 4096 samples
  bool verify_checksums = true;
};

// Reads many records of one dataset, keeping the last few CODE-15 part files open.
// Thread-safe: Read may be called from several threads.
class RecordReader {
 public:
  explicit RecordReader(std::string dataset, RecordReaderOptions options = {});
  absl::StatusOr<Record> Read(const RecordRef& ref);

 private:
  absl::StatusOr<std::shared_ptr<Code15File>> OpenCode15(const std::string& path);

  const std::string dataset_;
  const RecordReaderOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Code15File>> open_ ABSL_GUARDED_BY(mu_);  // at most kMaxOpen
};

// One-off read (opens and closes any HDF5 file).
absl::StatusOr<Record> ReadRecord(const RecordRef& ref, std::string_view dataset);

}  // namespace ecgbench::common::ecg
