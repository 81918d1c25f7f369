// Certificate generation and PEM checks with OpenSSL.
#include "common/security/certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/security/crypto.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"

namespace ecgbench::common {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

absl::Status SslError(const std::string& step) {
  const unsigned long code = ERR_get_error();
  char buf[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("OpenSSL: ", step, ": ", buf));
}

absl::StatusOr<Ptr<EVP_PKEY>> NewKey() {
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) <= 0 ||
      EVP_PKEY_keygen(ctx.get(), &key) <= 0) {
    return SslError("generating an EC P-256 key");
  }
  return Ptr<EVP_PKEY>(key);
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return SslError(absl::StrCat("extension ", OBJ_nid2sn(nid), "=", value));
  return absl::OkStatus();
}

struct CertSpec {
  std::string common_name;
  bool is_ca = false;
  std::string extended_usage;  // "serverAuth" / "clientAuth"
  std::string subject_alt_names;
};

// A certificate for `key` signed by `issuer_key` (and `issuer`; null: self-signed).
absl::StatusOr<Ptr<X509>> NewCertificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                                         int valid_days) {
  Ptr<X509> cert(X509_new());
  Ptr<BIGNUM> serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), 2) != 1 || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return SslError("creating a certificate");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate small clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ECG-Bench"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return SslError("setting the certificate names");
  }
  ECGBENCH_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  ECGBENCH_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_key_usage,
                                        spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyAgreement"));
  ECGBENCH_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  if (issuer != nullptr) ECGBENCH_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
  if (!spec.extended_usage.empty()) ECGBENCH_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_ext_key_usage, spec.extended_usage));
  if (!spec.subject_alt_names.empty()) {
    ECGBENCH_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_alt_name, spec.subject_alt_names));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return SslError("signing the certificate");
  return cert;
}

absl::StatusOr<std::string> ToPem(X509* cert, EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  const int ok = cert != nullptr ? PEM_write_bio_X509(bio.get(), cert)
                                 : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  if (!bio || ok != 1) return SslError("writing PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// "DNS:localhost,IP:127.0.0.1,IP:::1,..." from the host list.
absl::StatusOr<std::string> SubjectAltNames(const std::vector<std::string>& hosts) {
  std::vector<std::string> names = {"DNS:localhost", "IP:127.0.0.1", "IP:::1"};
  for (const std::string& h : hosts) {
    if (h.empty() || h.size() > 253) return absl::InvalidArgumentError(absl::StrCat("--cert-host \"", h, "\": not a host name or IP address"));
    bool ip = true, dns = true;
    for (char c : h) {
      const auto u = static_cast<unsigned char>(c);
      ip = ip && (absl::ascii_isxdigit(u) || c == '.' || c == ':');
      dns = dns && (absl::ascii_isalnum(u) || c == '.' || c == '-' || c == '*');
    }
    const bool has_alpha = h.find_first_not_of("0123456789.:") != std::string::npos;
    if (ip && (!has_alpha || h.find(':') != std::string::npos)) {
      names.push_back("IP:" + h);
    } else if (dns) {
      names.push_back("DNS:" + h);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--cert-host \"", h, "\": not a host name or IP address"));
    }
  }
  return absl::StrJoin(names, ",");
}

}  // namespace

absl::Status GenerateCertificates(const CertificateOptions& options) {
  ECGBENCH_ASSIGN_OR_RETURN(std::string sans, SubjectAltNames(options.hosts));
  ECGBENCH_RETURN_IF_ERROR(MakeDirs(options.dir));
  ECGBENCH_ASSIGN_OR_RETURN(Ptr<EVP_PKEY> ca_key, NewKey());
  ECGBENCH_ASSIGN_OR_RETURN(Ptr<X509> ca, NewCertificate({"ECG-Bench CA", true, "", ""}, ca_key.get(), nullptr,
                                                         ca_key.get(), options.valid_days));
  ECGBENCH_ASSIGN_OR_RETURN(Ptr<EVP_PKEY> server_key, NewKey());
  ECGBENCH_ASSIGN_OR_RETURN(Ptr<X509> server, NewCertificate({"ecgbench-coordinator", false, "serverAuth", sans},
                                                             server_key.get(), ca.get(), ca_key.get(), options.valid_days));
  ECGBENCH_ASSIGN_OR_RETURN(Ptr<EVP_PKEY> client_key, NewKey());
  ECGBENCH_ASSIGN_OR_RETURN(Ptr<X509> client, NewCertificate({"ecgbench-worker", false, "clientAuth", ""},
                                                             client_key.get(), ca.get(), ca_key.get(), options.valid_days));
  const std::string dir = options.dir + "/";
  ECGBENCH_ASSIGN_OR_RETURN(std::string pem, ToPem(ca.get(), nullptr));
  ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(dir + kCaCertFile, pem));
  ECGBENCH_ASSIGN_OR_RETURN(pem, ToPem(server.get(), nullptr));
  ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(dir + kServerCertFile, pem));
  ECGBENCH_ASSIGN_OR_RETURN(pem, ToPem(nullptr, server_key.get()));
  ECGBENCH_RETURN_IF_ERROR(WritePrivateFile(dir + kServerKeyFile, pem));
  ECGBENCH_ASSIGN_OR_RETURN(pem, ToPem(client.get(), nullptr));
  ECGBENCH_RETURN_IF_ERROR(WriteFileAtomic(dir + kClientCertFile, pem));
  ECGBENCH_ASSIGN_OR_RETURN(pem, ToPem(nullptr, client_key.get()));
  return WritePrivateFile(dir + kClientKeyFile, pem);
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* flag) {
  auto pem = ReadFile(path);
  if (!pem.ok()) return absl::Status(pem.status().code(), absl::StrCat(flag, ": ", pem.status().message()));
  return pem;
}

absl::Status CheckCertificateBundle(const std::string& pem, const std::string& path) {
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!cert) return absl::InvalidArgumentError(absl::StrCat(path, ": no PEM certificate (expected \"-----BEGIN CERTIFICATE-----\")"));
  return absl::OkStatus();
}

absl::Status CheckCertificateAndKey(const std::string& cert_pem, const std::string& key_pem,
                                    const std::string& cert_path, const std::string& key_path) {
  ECGBENCH_RETURN_IF_ERROR(CheckCertificateBundle(cert_pem, cert_path));
  Ptr<BIO> cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  Ptr<X509> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  Ptr<BIO> key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  Ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) {
    return absl::InvalidArgumentError(absl::StrCat(key_path, ": no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key_path, ": this private key does not belong to the certificate in ", cert_path));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common
