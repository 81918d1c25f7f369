// One-shot commands of ecgbench-coordinator that exit instead of serving:
//   --generate-certs DIR [--cert-host H]...   a self-signed CA, server and client certificates
//   --hash-token                              reads a token on stdin, prints its SHA-256 hex
// Each returns the process exit code (0 ok, 1 error) and prints errors to `err`.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ecgbench::server {

int RunGenerateCerts(const std::string& dir, const std::vector<std::string>& hosts, std::ostream& out,
                     std::ostream& err);

// The first line of `in`, surrounding whitespace removed, hashed; an empty token is an error.
int RunHashToken(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace ecgbench::server
