// CODE-15 HDF5 reader and writer over the HDF5 C API: hyperslab reads/writes of one exam row.
#include "common/ecg/formats/code15_hdf5.h"

#include <hdf5.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/formats/file_io.h"

namespace ecgbench::common::ecg {

static_assert(std::is_same_v<hid_t, int64_t>, "HDF5 >= 1.10 uses 64-bit hid_t");

namespace {

constexpr int kLeads = kNumStandardLeads;

// Switches HDF5's automatic error printing off for the current thread while in scope.
class QuietHdf5 {
 public:
  QuietHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// Owns one HDF5 identifier.
class Id {
 public:
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

absl::Status Hdf5Error(const std::string& path, const std::string& what) {
  return absl::InternalError(absl::StrCat(path, ": HDF5 error: ", what));
}

// Dimensions of dataset `ds`, or an empty vector.
std::vector<hsize_t> DimsOf(hid_t ds) {
  Id space(H5Dget_space(ds), H5Sclose);
  if (!space.ok()) return {};
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank <= 0 || rank > 8) return {};
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

std::string ShapeText(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) absl::StrAppend(&s, i ? " x " : "", dims[i]);
  return s + "]";
}

// Reads (or writes, when `write`) `count` consecutive elements of a 1-D or the row `row` of a 3-D
// dataset through a hyperslab.
herr_t RowIo(hid_t ds, hid_t mem_type, const std::vector<hsize_t>& dims, int64_t row, void* buf, bool write) {
  Id file_space(H5Dget_space(ds), H5Sclose);
  if (!file_space.ok()) return -1;
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = static_cast<hsize_t>(row);
  count[0] = 1;
  if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0) {
    return -1;
  }
  hsize_t n = 1;
  for (hsize_t c : count) n *= c;
  Id mem_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (!mem_space.ok()) return -1;
  return write ? H5Dwrite(ds, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, buf)
               : H5Dread(ds, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, buf);
}

}  // namespace

Code15ContentRange FindCode15Content(const float* x, int64_t length, int leads) {
  auto zero_row = [&](int64_t t) {
    for (int l = 0; l < leads; ++l) {
      if (x[t * leads + l] != 0.0f) return false;
    }
    return true;
  };
  int64_t lead_zeros = 0;
  while (lead_zeros < length && zero_row(lead_zeros)) ++lead_zeros;
  if (lead_zeros == length) return {0, 0};
  int64_t trail_zeros = 0;
  while (zero_row(length - 1 - trail_zeros)) ++trail_zeros;
  const int64_t p = std::min(lead_zeros, trail_zeros);
  return {p, length - p};
}

absl::StatusOr<std::unique_ptr<Code15File>> Code15File::Open(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    std::string msg = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
  }
  QuietHdf5 quiet;
  if (H5Fis_hdf5(path.c_str()) <= 0) return absl::InvalidArgumentError(absl::StrCat(path, ": not an HDF5 file"));
  std::unique_ptr<Code15File> f(new Code15File());
  f->path_ = path;
  f->file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f->file_ < 0) return Hdf5Error(path, "cannot open the file");
  for (const char* name : {"tracings", "exam_id"}) {
    if (H5Lexists(f->file_, name, H5P_DEFAULT) <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no dataset '", name, "'"));
    }
  }
  f->tracings_ = H5Dopen2(f->file_, "tracings", H5P_DEFAULT);
  f->exam_ids_ = H5Dopen2(f->file_, "exam_id", H5P_DEFAULT);
  if (f->tracings_ < 0 || f->exam_ids_ < 0) return Hdf5Error(path, "cannot open the datasets");
  const std::vector<hsize_t> t = DimsOf(f->tracings_), e = DimsOf(f->exam_ids_);
  if (t.size() != 3 || t[2] != kLeads || t[1] == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": dataset 'tracings' has shape ", ShapeText(t),
                                                   ", expected [N x L x 12]"));
  }
  if (e.size() != 1 || e[0] != t[0]) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": dataset 'exam_id' has shape ", ShapeText(e),
                                                   ", expected [", t[0], "] like 'tracings'"));
  }
  f->num_exams_ = static_cast<int64_t>(t[0]);
  f->length_ = static_cast<int64_t>(t[1]);
  return f;
}

Code15File::~Code15File() {
  QuietHdf5 quiet;
  if (exam_ids_ >= 0) H5Dclose(exam_ids_);
  if (tracings_ >= 0) H5Dclose(tracings_);
  if (file_ >= 0) H5Fclose(file_);
}

absl::StatusOr<std::vector<int64_t>> Code15File::ReadExamIds() const {
  QuietHdf5 quiet;
  std::vector<int64_t> ids(static_cast<size_t>(num_exams_));
  if (num_exams_ > 0 && H5Dread(exam_ids_, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data()) < 0) {
    return Hdf5Error(path_, "cannot read 'exam_id'");
  }
  return ids;
}

absl::StatusOr<Record> Code15File::ReadExam(int64_t row, Code15View view) const {
  if (row < 0 || row >= num_exams_) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": row ", row, " out of range (", num_exams_, " exams)"));
  }
  QuietHdf5 quiet;
  int64_t exam_id = 0;
  if (RowIo(exam_ids_, H5T_NATIVE_INT64, {static_cast<hsize_t>(num_exams_)}, row, &exam_id, false) < 0) {
    return Hdf5Error(path_, absl::StrCat("cannot read exam_id[", row, "]"));
  }
  std::vector<float> buf(static_cast<size_t>(length_ * kLeads));
  const std::vector<hsize_t> dims = {static_cast<hsize_t>(num_exams_), static_cast<hsize_t>(length_), kLeads};
  if (RowIo(tracings_, H5T_NATIVE_FLOAT, dims, row, buf.data(), false) < 0) {
    return Hdf5Error(path_, absl::StrCat("cannot read tracings[", row, "]"));
  }
  const Code15ContentRange content = FindCode15Content(buf.data(), length_, kLeads);
  Code15ContentRange range{0, length_};
  if (view == Code15View::kTrimmed) {
    if (content.end == content.begin) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": row ", row, " (exam ", exam_id, ") is all zeros"));
    }
    range = content;
  }
  Record r;
  r.id = absl::StrCat(exam_id);
  r.path = path_;
  r.source = "code15";
  r.sampling_rate_hz = kCode15RateHz;
  r.leads.assign(kStandardLeads.begin(), kStandardLeads.end());
  r.num_samples = range.end - range.begin;
  r.samples.resize(static_cast<size_t>(kLeads * r.num_samples));
  for (int l = 0; l < kLeads; ++l) {
    float* out = r.lead(l);
    const float* in = buf.data() + range.begin * kLeads + l;
    for (int64_t t = 0; t < r.num_samples; ++t) out[t] = in[t * kLeads];
  }
  r.extra["row"] = absl::StrCat(row);
  r.extra["content_begin"] = absl::StrCat(content.begin);
  r.extra["content_end"] = absl::StrCat(content.end);
  return r;
}

absl::StatusOr<std::unique_ptr<Code15Writer>> Code15Writer::Create(const std::string& path, int64_t num_exams,
                                                                    int64_t samples_per_exam) {
  if (num_exams < 1 || samples_per_exam < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": need at least one exam of at least one sample, got ",
                                                   num_exams, " x ", samples_per_exam));
  }
  QuietHdf5 quiet;
  std::unique_ptr<Code15Writer> w(new Code15Writer());
  w->path_ = path;
  w->staging_ = StagingPath(path);
  w->num_exams_ = num_exams;
  w->length_ = samples_per_exam;
  w->file_ = H5Fcreate(w->staging_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (w->file_ < 0) return Hdf5Error(path, absl::StrCat("cannot create ", w->staging_));
  const hsize_t tdims[3] = {static_cast<hsize_t>(num_exams), static_cast<hsize_t>(samples_per_exam), kLeads};
  const hsize_t chunk[3] = {1, static_cast<hsize_t>(samples_per_exam), kLeads};
  const hsize_t edims[1] = {static_cast<hsize_t>(num_exams)};
  Id tspace(H5Screate_simple(3, tdims, nullptr), H5Sclose);
  Id espace(H5Screate_simple(1, edims, nullptr), H5Sclose);
  Id props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!tspace.ok() || !espace.ok() || !props.ok() || H5Pset_chunk(props.get(), 3, chunk) < 0) {
    return Hdf5Error(path, "cannot set up the datasets");
  }
  w->tracings_ = H5Dcreate2(w->file_, "tracings", H5T_IEEE_F32LE, tspace.get(), H5P_DEFAULT, props.get(),
                            H5P_DEFAULT);
  w->exam_ids_ = H5Dcreate2(w->file_, "exam_id", H5T_STD_I64LE, espace.get(), H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT);
  if (w->tracings_ < 0 || w->exam_ids_ < 0) return Hdf5Error(path, "cannot create the datasets");
  w->row_.resize(static_cast<size_t>(samples_per_exam * kLeads));
  return w;
}

void Code15Writer::Close() {
  QuietHdf5 quiet;
  if (exam_ids_ >= 0) H5Dclose(exam_ids_);
  if (tracings_ >= 0) H5Dclose(tracings_);
  if (file_ >= 0) H5Fclose(file_);
  exam_ids_ = tracings_ = file_ = -1;
}

Code15Writer::~Code15Writer() {
  if (file_ >= 0) {
    Close();
    std::remove(staging_.c_str());
  }
}

absl::Status Code15Writer::WriteExam(int64_t row, int64_t exam_id, const Record& r) {
  if (file_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer already finished"));
  if (row < 0 || row >= num_exams_) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": row ", row, " out of range (", num_exams_, " exams)"));
  }
  const std::string& who = r.path.empty() ? r.id : r.path;
  if (absl::Status st = r.Validate(); !st.ok()) return st;
  if (std::fabs(r.sampling_rate_hz - kCode15RateHz) > 1e-9) {
    return absl::InvalidArgumentError(absl::StrCat(who, ": CODE-15 files hold 400 Hz exams, record is ",
                                                   r.sampling_rate_hz, " Hz"));
  }
  if (r.num_samples > length_) {
    return absl::InvalidArgumentError(absl::StrCat(who, ": ", r.num_samples, " samples do not fit in ", length_));
  }
  int source[kLeads];
  std::fill(source, source + kLeads, -1);
  for (int l = 0; l < r.num_leads(); ++l) {
    const int k = StandardLeadIndex(r.leads[static_cast<size_t>(l)]);
    if (k >= 0) source[k] = l;
  }
  for (int k = 0; k < kLeads; ++k) {
    if (source[k] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": lead ", kStandardLeads[static_cast<size_t>(k)],
                                                     " missing"));
    }
  }
  std::fill(row_.begin(), row_.end(), 0.0f);
  const int64_t pad = (length_ - r.num_samples) / 2;
  for (int k = 0; k < kLeads; ++k) {
    const float* in = r.lead(source[k]);
    float* out = row_.data() + pad * kLeads + k;
    for (int64_t t = 0; t < r.num_samples; ++t) out[t * kLeads] = in[t];
  }
  QuietHdf5 quiet;
  const std::vector<hsize_t> dims = {static_cast<hsize_t>(num_exams_), static_cast<hsize_t>(length_), kLeads};
  if (RowIo(tracings_, H5T_NATIVE_FLOAT, dims, row, row_.data(), true) < 0 ||
      RowIo(exam_ids_, H5T_NATIVE_INT64, {static_cast<hsize_t>(num_exams_)}, row, &exam_id, true) < 0) {
    return Hdf5Error(path_, absl::StrCat("cannot write row ", row));
  }
  return absl::OkStatus();
}

absl::Status Code15Writer::Finish() {
  if (file_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": writer already finished"));
  QuietHdf5 quiet;
  const bool flushed = H5Fflush(file_, H5F_SCOPE_GLOBAL) >= 0;
  Close();
  if (!flushed) {
    std::remove(staging_.c_str());
    return Hdf5Error(path_, "cannot flush");
  }
  if (std::rename(staging_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    std::remove(staging_.c_str());
    return absl::InternalError(absl::StrCat(path_, ": cannot rename into place: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
