// HttpEndpoint implementation over civetweb's C++ wrapper.
#include "worker/agent/http_endpoint.h"

#include <CivetServer.h>

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ecgbench::worker {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void Send(mg_connection* conn, const HttpResponse& response, bool with_body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n",
            response.status, Reason(response.status), response.content_type.c_str(),
            response.body.size());
  if (with_body && !response.body.empty()) mg_write(conn, response.body.data(), response.body.size());
}

absl::Status ValidateListenAddress(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-listen: expected HOST:PORT with a port in 0..65535, got \"", listen, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

// One civetweb handler for every path: exact-match lookup in the route table.
class HttpEndpoint::Router : public CivetHandler {
 public:
  explicit Router(std::map<std::string, HttpHandler> routes) : routes_(std::move(routes)) {}

  bool handleGet(CivetServer*, mg_connection* conn) override { return Handle(conn, true); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Handle(conn, false); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return NotAllowed(conn); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return NotAllowed(conn); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return NotAllowed(conn); }

 private:
  bool Handle(mg_connection* conn, bool with_body) {
    const mg_request_info* info = mg_get_request_info(conn);
    const std::string path = info != nullptr && info->local_uri != nullptr ? info->local_uri : "";
    auto it = routes_.find(path);
    if (it == routes_.end()) {
      Send(conn, HttpResponse{404, "text/plain; charset=utf-8", absl::StrCat("no route ", path, "\n")},
           with_body);
      return true;
    }
    Send(conn, it->second(), with_body);
    return true;
  }
  bool NotAllowed(mg_connection* conn) {
    Send(conn, HttpResponse{405, "text/plain; charset=utf-8", "GET or HEAD only\n"}, true);
    return true;
  }

  const std::map<std::string, HttpHandler> routes_;
};

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const std::string& listen, std::map<std::string, HttpHandler> routes) {
  if (absl::Status status = ValidateListenAddress(listen); !status.ok()) return status;
  auto router = std::make_unique<Router>(std::move(routes));
  std::unique_ptr<CivetServer> server;
  // civetweb reports bind failures by throwing CivetException; this is the one place that catches.
  try {
    server = std::make_unique<CivetServer>(
        std::vector<std::string>{"listening_ports", listen, "num_threads", "4"});
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics endpoint: cannot listen on ", listen, ": ", e.what()));
  }
  server->addHandler("/", router.get());
  const std::vector<int> ports = server->getListeningPorts();
  if (ports.empty()) return absl::UnavailableError(absl::StrCat("metrics endpoint: no port bound for ", listen));
  return std::unique_ptr<HttpEndpoint>(new HttpEndpoint(std::move(router), std::move(server), ports.front()));
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<Router> router, std::unique_ptr<CivetServer> server, int port)
    : router_(std::move(router)), server_(std::move(server)), port_(port) {}

HttpEndpoint::~HttpEndpoint() {
  // Stop serving before the routes go away.
  if (server_) server_->close();
}

}  // namespace ecgbench::worker
