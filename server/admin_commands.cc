// --generate-certs and --hash-token.
#include "server/admin_commands.h"

#include <istream>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "common/security/certificates.h"
#include "common/security/crypto.h"

namespace ecgbench::server {

int RunGenerateCerts(const std::string& dir, const std::vector<std::string>& hosts, std::ostream& out,
                     std::ostream& err) {
  common::CertificateOptions options;
  options.dir = dir;
  options.hosts = hosts;
  if (absl::Status st = common::GenerateCertificates(options); !st.ok()) {
    err << "ecgbench-coordinator: --generate-certs: " << st.message() << "\n";
    return 1;
  }
  out << "wrote " << dir << "/{" << common::kCaCertFile << "," << common::kServerCertFile << ","
      << common::kServerKeyFile << "," << common::kClientCertFile << "," << common::kClientKeyFile << "}\n"
      << "server names: localhost, 127.0.0.1, ::1" << (hosts.empty() ? "" : ", ") << absl::StrJoin(hosts, ", ")
      << "\ncoordinator: --tls-cert " << dir << "/" << common::kServerCertFile << " --tls-key " << dir << "/"
      << common::kServerKeyFile << " [--tls-client-ca " << dir << "/" << common::kCaCertFile << "]\n"
      << "workers, CLI: --tls-ca " << dir << "/" << common::kCaCertFile << " [--tls-cert " << dir << "/"
      << common::kClientCertFile << " --tls-key " << dir << "/" << common::kClientKeyFile << "]\n";
  return 0;
}

int RunHashToken(std::istream& in, std::ostream& out, std::ostream& err) {
  std::string line;
  std::getline(in, line);
  const std::string token(absl::StripAsciiWhitespace(line));
  if (token.empty()) {
    err << "ecgbench-coordinator: --hash-token: expected a token on stdin\n";
    return 1;
  }
  out << common::Sha256Hex(token) << "\n";
  return 0;
}

}  // namespace ecgbench::server
