// HttpEndpoint: the worker's small HTTP server (civetweb) for /metrics and the Kubernetes probes
// /readyz and /livez. Each route is a function that builds the whole response; routes are fixed
// at start. GET and HEAD only; any other path answers 404.
// Thread-safe: handlers run on civetweb's threads and must be safe to call concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

class CivetServer;

namespace ecgbench::worker {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse()>;

class HttpEndpoint {
 public:
  // listen: "HOST:PORT"; port 0 picks a free port. routes: exact path ("/metrics") -> handler.
  // INVALID_ARGUMENT for a malformed address, UNAVAILABLE when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(const std::string& listen,
                                                             std::map<std::string, HttpHandler> routes);
  ~HttpEndpoint();

  int port() const { return port_; }

 private:
  class Router;
  HttpEndpoint(std::unique_ptr<Router> router, std::unique_ptr<CivetServer> server, int port);

  std::unique_ptr<Router> router_;
  std::unique_ptr<CivetServer> server_;
  int port_;
};

}  // namespace ecgbench::worker
