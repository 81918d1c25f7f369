// The monitoring stack against the real services: a real Prometheus server (Debian's prometheus)
// scrapes a real coordinator and two real workers on 127.0.0.1 every second while they train and
// evaluate a small ELM, with the project's alert and recording rules loaded. Then every PromQL
// expression of the Grafana dashboards (deploy/grafana) must return data, and every alert and
// recording rule must evaluate without error, through Prometheus's HTTP API.
//
// The one stand-in: these machines have no GPU, so no DCGM exporter and no worker with a GPU. An
// in-process exporter serves what a GPU worker and dcgm-exporter would: the GPU series of the
// production WorkerMetrics class for the running training task's real labels, and DCGM_FI_* series
// for that GPU. The label set is the one the unit tests pin (worker_metrics_test).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "tests/integration/elm_fixture.h"
#include "worker/agent/http_endpoint.h"
#include "worker/agent/worker_metrics.h"

namespace ecgbench::testing {
namespace {

constexpr char kGpuUuid[] = "GPU-0f5c1e7a-3b2d-4c8e-9a61-2d7e4b3f9c10";

// A free TCP port on 127.0.0.1 (bound and released; Prometheus takes it right after).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Curl(const std::string& url) { return TestCluster::Shell("curl -sf '" + url + "'").output; }

// Labels {experiment,run,stage,task,rank} of the first ecgbench_train_loss series in an exposition.
bool TrainTaskLabels(const std::string& exposition, std::map<std::string, std::string>* labels) {
  static const std::regex series(R"(ecgbench_train_loss\{([^}]*)\})");
  static const std::regex pair(R"re((\w+)="([^"]*)")re");
  std::smatch m;
  if (!std::regex_search(exposition, m, series)) return false;
  const std::string inside = m[1];
  for (auto it = std::sregex_iterator(inside.begin(), inside.end(), pair); it != std::sregex_iterator(); ++it) {
    (*labels)[(*it)[1]] = (*it)[2];
  }
  return labels->count("task") == 1;
}

// The GPU stand-in: what a GPU worker's WorkerMetrics exports for the training task (only the GPU
// series) plus dcgm-exporter's series for that GPU.
class GpuStandIn {
 public:
  void Assign(const std::map<std::string, std::string>& labels) {
    v1::Assignment a;
    a.set_experiment_id(labels.at("experiment"));
    a.set_run_id(labels.at("run"));
    a.set_stage_id(labels.at("stage"));
    a.set_task_id(labels.at("task"));
    a.set_rank(std::atoi(labels.at("rank").c_str()));
    a.set_attempt_id("stand-in");
    a.set_stage_kind("train");
    a.add_gpu_uuids(kGpuUuid);
    metrics_.SetGpus({{kGpuUuid, 0, "NVIDIA H100 80GB HBM3"}});
    metrics_.TaskStarted(a, 0);
    absl::MutexLock lock(&mu_);
    assigned_ = true;
  }
  std::string Exposition() {
    std::string out;
    {
      absl::MutexLock lock(&mu_);
      if (assigned_) {
        const std::string all = metrics_.Serialize();
        size_t at = 0;
        while (at < all.size()) {
          size_t end = all.find('\n', at);
          if (end == std::string::npos) end = all.size();
          const std::string line = all.substr(at, end - at);
          if (line.find("ecgbench_worker_gpu_") != std::string::npos) out += line + "\n";
          at = end + 1;
        }
      }
    }
    const std::string labels = absl::StrCat(R"({gpu="0",UUID=")", kGpuUuid,
                                            R"(",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"})");
    absl::StrAppend(&out, "# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL", labels, " 87\n");
    absl::StrAppend(&out, "# TYPE DCGM_FI_PROF_PIPE_TENSOR_ACTIVE gauge\nDCGM_FI_PROF_PIPE_TENSOR_ACTIVE", labels, " 0.41\n");
    absl::StrAppend(&out, "# TYPE DCGM_FI_DEV_FB_USED gauge\nDCGM_FI_DEV_FB_USED", labels, " 51234\n");
    return out;
  }

 private:
  worker::WorkerMetrics metrics_{"stand-in", "none"};
  absl::Mutex mu_;
  bool assigned_ ABSL_GUARDED_BY(mu_) = false;
};

TEST(ObservabilityTest, EveryDashboardQueryReturnsDataAndEveryRuleEvaluates) {
  setenv("ECGBENCH_PEAK_TFLOPS", "1", 1);  // the workers inherit it: MFU is exported as on a GPU
  TestCluster cluster;
  ElmFixture fx;
  ASSERT_NO_FATAL_FAILURE(StartElmFixture(cluster, 48, 33, 2, &fx));

  GpuStandIn gpu;
  auto stand_in = worker::HttpEndpoint::Start(
      "127.0.0.1:0", {{"/metrics", [&gpu] {
                         return worker::HttpResponse{200, "text/plain; version=0.0.4", gpu.Exposition()};
                       }}});
  ASSERT_TRUE(stand_in.ok()) << stand_in.status();

  // Prometheus with the shipped rules, scraping everything every second.
  const std::string source = ECGBENCH_SOURCE_DIR;
  const int prom_port = FreePort();
  ASSERT_GT(prom_port, 0);
  const std::string prom_url = absl::StrCat("http://127.0.0.1:", prom_port);
  const std::string config = cluster.dir() + "/prometheus.yml";
  {
    std::ofstream out(config);
    out << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        << "rule_files: ['" << source << "/deploy/prometheus/rules/*.yml']\n"
        << "scrape_configs:\n"
        << "  - job_name: ecgbench-coordinator\n    static_configs: [{targets: ['127.0.0.1:" << cluster.metrics_port()
        << "']}]\n"
        << "  - job_name: ecgbench-worker\n    static_configs: [{targets: ['127.0.0.1:"
        << cluster.WorkerMetricsPort("w1") << "', '127.0.0.1:" << cluster.WorkerMetricsPort("w2") << "']}]\n"
        << "  - job_name: dcgm-exporter\n    static_configs: [{targets: ['127.0.0.1:" << (*stand_in)->port()
        << "']}]\n";
  }
  auto prometheus = common::ChildProcess::Spawn(
      {"/usr/bin/prometheus", "--config.file=" + config, "--storage.tsdb.path=" + cluster.dir() + "/tsdb",
       absl::StrCat("--web.listen-address=127.0.0.1:", prom_port), "--log.level=warn"},
      {}, cluster.dir() + "/prometheus.log");
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  bool prom_ready = false;
  for (int i = 0; i < 100 && !prom_ready; ++i) {
    prom_ready = TestCluster::Shell("curl -sf " + prom_url + "/-/ready").exit_code == 0;
    if (!prom_ready) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(prom_ready) << ReadAll(cluster.dir() + "/prometheus.log");

  // Prometheus applies its targets a few seconds after it is ready: wait until the coordinator, both
  // workers and the GPU stand-in have each been scraped before starting the run.
  nlohmann::json targets;
  bool all_up = false;
  for (int i = 0; i < 120 && !all_up; ++i) {
    targets = nlohmann::json::parse(Curl(prom_url + "/api/v1/targets"), nullptr, false);
    ASSERT_FALSE(targets.is_discarded());
    all_up = targets["data"]["activeTargets"].size() == 4;
    for (const nlohmann::json& t : targets["data"]["activeTargets"]) all_up = all_up && t.value("health", "") == "up";
    if (!all_up) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(all_up) << targets.dump(1) << "\n" << ReadAll(cluster.dir() + "/prometheus.log");

  // A short fine-tune (checkpoints included) and a sharded evaluation.
  const std::string spec =
      "name: it-observability\n" + fx.DataSection() +
      "representation: {kind: signal, encoder: {name: projection}}\n" +
      "model:\n  llm: {path: " + fx.model_dir + ", template: llama3}\n  lora: {rank: 4, alpha: 8}\n" +
      "train:\n  batch_size: 2\n  epochs: 2\n  max_tokens: 256\n  checkpoint_every: 5\n" +
      "  schedule: {name: constant}\n" +
      "evaluate:\n  generation: {max_new_tokens: 64}\n  metrics: [accuracy]\n  ablation: [signal, zeros, none]\n" +
      "resources: {ranks: 2, eval_shards: 2, cpus_per_rank: 1}\n";
  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();

  // While it runs: note moments at which training series were being exported, and point the GPU
  // stand-in at the training task.
  std::vector<double> moments;
  bool assigned = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto e = cluster.Get(*id);
    ASSERT_TRUE(e.ok()) << e.status();
    if (e->state() == v1::STATE_SUCCEEDED || e->state() == v1::STATE_FAILED || e->state() == v1::STATE_CANCELLED) break;
    for (const char* w : {"w1", "w2"}) {
      const std::string text = Curl(absl::StrCat("http://127.0.0.1:", cluster.WorkerMetricsPort(w), "/metrics"));
      std::map<std::string, std::string> labels;
      if (text.find("ecgbench_worker_task_progress_ratio{") == std::string::npos) continue;
      if (!assigned && TrainTaskLabels(text, &labels)) {
        gpu.Assign(labels);
        assigned = true;
      }
      moments.push_back(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  auto e = cluster.WaitForTerminal(*id, 1000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  ASSERT_TRUE(assigned) << "no training series seen on the workers' /metrics";
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the final scrapes (evaluation results)
  moments.push_back(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());

  // Every dashboard expression returns data at some moment of the run; every rule expression
  // evaluates without error.
  const CommandResult listed = TestCluster::Shell("/usr/bin/python3 " + source + "/tests/deploy/promql_exprs.py");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  const nlohmann::json exprs = nlohmann::json::parse(listed.output);
  ASSERT_GE(exprs.size(), 30u) << listed.output;
  int dashboard_exprs = 0;
  const std::string expr_file = cluster.dir() + "/expr.promql";
  for (const nlohmann::json& item : exprs) {
    const std::string where = item.at("source").get<std::string>();
    const std::string expr = item.at("expr").get<std::string>();
    const bool is_rule = where.find("deploy/prometheus/") != std::string::npos;
    std::ofstream(expr_file) << expr;
    bool has_data = false;
    std::string last;
    for (auto t = moments.rbegin(); t != moments.rend() && !has_data; ++t) {
      last = TestCluster::Shell(absl::StrCat("curl -s -G --data-urlencode query@", expr_file,
                                             " --data-urlencode time=", absl::StrFormat("%.3f", *t), " ", prom_url, "/api/v1/query"))
                 .output;
      const nlohmann::json r = nlohmann::json::parse(last, nullptr, false);
      ASSERT_FALSE(r.is_discarded()) << where << ": " << expr << "\n" << last;
      ASSERT_EQ(r.value("status", ""), "success") << where << ": " << expr << "\n" << last;
      if (is_rule) break;  // rules need only evaluate: most alerts are silent on a healthy run
      has_data = !r["data"]["result"].empty();
    }
    if (is_rule) continue;
    ++dashboard_exprs;
    EXPECT_TRUE(has_data) << where << ": no data for\n  " << expr << "\nlast answer: " << last;
  }
  EXPECT_GE(dashboard_exprs, 20);

  // The catalogue the dashboards and rules are checked against (deploy/prometheus/
  // metrics-catalogue.txt) is what the services export: every ecgbench_ metric of it has series, and
  // every ecgbench_ metric Prometheus scraped is in it.
  std::set<std::string> catalogue;
  {
    std::ifstream in(source + "/deploy/prometheus/metrics-catalogue.txt");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string name, type;
      if (!(fields >> name >> type) || name.rfind("ecgbench_", 0) != 0) continue;
      catalogue.insert(type == "histogram" ? name + "_count" : name);
    }
  }
  ASSERT_GE(catalogue.size(), 40u);
  std::string names_url = absl::StrCat(prom_url, "/api/v1/label/__name__/values?start=", absl::StrFormat("%.3f", moments.front() - 120));
  const nlohmann::json names = nlohmann::json::parse(Curl(names_url), nullptr, false);
  ASSERT_FALSE(names.is_discarded());
  std::set<std::string> scraped;
  for (const nlohmann::json& n : names["data"]) {
    const std::string name = n.get<std::string>();
    if (name.rfind("ecgbench_", 0) != 0) continue;
    const bool histogram_part = absl::EndsWith(name, "_bucket") || absl::EndsWith(name, "_sum");
    if (!histogram_part) scraped.insert(name);
  }
  for (const std::string& name : catalogue) EXPECT_TRUE(scraped.count(name)) << name << " is in the catalogue but was not scraped";
  for (const std::string& name : scraped) EXPECT_TRUE(catalogue.count(name)) << name << " is exported but not in the catalogue";

  // Prometheus evaluated every loaded rule itself, without errors.
  const nlohmann::json rules = nlohmann::json::parse(Curl(prom_url + "/api/v1/rules"), nullptr, false);
  ASSERT_FALSE(rules.is_discarded());
  int rule_count = 0;
  for (const nlohmann::json& group : rules["data"]["groups"]) {
    for (const nlohmann::json& rule : group["rules"]) {
      ++rule_count;
      EXPECT_EQ(rule.value("health", ""), "ok") << rule.dump();
    }
  }
  EXPECT_GE(rule_count, 7);
  (*prometheus)->Stop(5000);
}

}  // namespace
}  // namespace ecgbench::testing
