// Tests of client/ui/table.h and tables.h: aligned tables, CSV quoting, results/list/workers views.
#include "client/ui/table.h"

#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "client/ui/tables.h"

namespace ecgbench::client {
namespace {

TEST(TableTest, AlignsColumnsWithoutTrailingSpaces) {
  Table t;
  t.header = {"name", "value", "note"};
  t.right_align = {false, true, false};
  t.rows = {{"a", "1.5", ""}, {"longer", "10", "x"}};
  EXPECT_EQ(RenderTable(t),
            "name    value  note\n"
            "------  -----  ----\n"
            "a         1.5\n"
            "longer     10  x\n");
}

TEST(TableTest, ShortRowsGetEmptyCells) {
  Table t;
  t.header = {"a", "b"};
  t.rows = {{"x"}};
  EXPECT_EQ(RenderTable(t), "a  b\n-  -\nx\n");
}

TEST(CsvTest, QuotesCommasQuotesAndNewlines) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("representation=signal,fold=1"), "\"representation=signal,fold=1\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvTest, RendersHeaderAndRows) {
  Table t;
  t.header = {"run", "acc"};
  t.rows = {{"a,b", "0.5"}, {"c", ""}};
  EXPECT_EQ(RenderCsv(t), "run,acc\n\"a,b\",0.5\nc,\n");
}

v1::GetResultsResponse SampleResults() {
  v1::GetResultsResponse r;
  r.set_experiment_id("exp-1");
  r.set_state(v1::STATE_SUCCEEDED);
  auto* a = r.add_runs();
  a->set_run_id("run-a");
  a->set_run_name("representation=signal,fold=1");
  a->set_state(v1::STATE_SUCCEEDED);
  (*a->mutable_metrics())["loss"] = 0.421345678;
  (*a->mutable_metrics())["accuracy"] = 0.8125;
  auto* b = r.add_runs();
  b->set_run_id("run-b");
  b->set_run_name("say \"hi\"");
  b->set_state(v1::STATE_FAILED);
  (*b->mutable_metrics())["loss"] = 1.5;
  auto* c = r.add_runs();
  c->set_run_id("run-c");
  c->set_state(v1::STATE_CANCELLED);
  return r;
}

TEST(ResultsTest, TableHasOneColumnPerMetricSorted) {
  EXPECT_EQ(RenderResults(SampleResults(), ResultsFormat::kTable),
            "run                           state      accuracy      loss\n"
            "----------------------------  ---------  --------  --------\n"
            "representation=signal,fold=1  SUCCEEDED    0.8125  0.421346\n"
            "say \"hi\"                      FAILED            -       1.5\n"
            "run-c                         CANCELLED         -         -\n");
}

TEST(ResultsTest, CsvQuotesAndKeepsFullPrecision) {
  EXPECT_EQ(RenderResults(SampleResults(), ResultsFormat::kCsv),
            "run,state,accuracy,loss\n"
            "\"representation=signal,fold=1\",SUCCEEDED,0.8125,0.421345678\n"
            "\"say \"\"hi\"\"\",FAILED,,1.5\n"
            "run-c,CANCELLED,,\n");
}

TEST(ResultsTest, JsonIsOneDocument) {
  v1::GetResultsResponse r;
  r.set_experiment_id("exp-1");
  r.set_state(v1::STATE_SUCCEEDED);
  auto* a = r.add_runs();
  a->set_run_id("run-a");
  a->set_run_name("fold=1");
  a->set_state(v1::STATE_SUCCEEDED);
  (*a->mutable_metrics())["loss"] = 0.5;
  EXPECT_EQ(RenderResults(r, ResultsFormat::kJson),
            "{\n"
            " \"experimentId\": \"exp-1\",\n"
            " \"state\": \"STATE_SUCCEEDED\",\n"
            " \"runs\": [\n"
            "  {\n"
            "   \"runId\": \"run-a\",\n"
            "   \"runName\": \"fold=1\",\n"
            "   \"variant\": {},\n"
            "   \"state\": \"STATE_SUCCEEDED\",\n"
            "   \"metrics\": {\n"
            "    \"loss\": 0.5\n"
            "   }\n"
            "  }\n"
            " ]\n"
            "}\n");
}

TEST(ResultsTest, EmptyTable) {
  v1::GetResultsResponse r;
  EXPECT_EQ(RenderResults(r, ResultsFormat::kTable), "(no runs)\n");
  EXPECT_EQ(RenderResults(r, ResultsFormat::kCsv), "run,state\n");
}

TEST(ExperimentsTableTest, Rows) {
  setenv("TZ", "UTC", 1);
  tzset();
  v1::Experiment e;
  e.set_id("exp-1");
  e.set_name("quickstart");
  e.set_state(v1::STATE_RUNNING);
  e.set_num_runs(2);
  e.set_tasks_done(3);
  e.set_tasks_total(8);
  e.set_created_unix_ms(1714564984123);
  EXPECT_EQ(RenderTable(ExperimentsTable({e})),
            "id     name        state    runs  tasks  created\n"
            "-----  ----------  -------  ----  -----  -------------------\n"
            "exp-1  quickstart  RUNNING     2    3/8  2024-05-01 12:03:04\n");
}

TEST(WorkersTableTest, Rows) {
  v1::ListWorkersResponse r;
  auto* w = r.add_workers();
  w->set_id("wrk-1");
  w->set_name("local-1");
  w->set_state(v1::WORKER_STATE_ACTIVE);
  w->mutable_resources()->set_cpu_cores(8);
  w->mutable_resources()->add_gpus()->set_uuid("GPU-1");
  w->mutable_free()->set_cpu_cores(6);
  w->add_stage_kinds("probe");
  w->add_stage_kinds("train");
  w->set_last_heartbeat_unix_ms(1000000);
  auto* g = r.add_workers();
  g->set_id("wrk-2");
  g->set_name("old");
  g->set_state(v1::WORKER_STATE_GONE);
  EXPECT_EQ(RenderTable(WorkersTable(r, 1003500)),
            "id     name     state   cpus  free cpus  gpus  stage kinds  heartbeat\n"
            "-----  -------  ------  ----  ---------  ----  -----------  ---------\n"
            "wrk-1  local-1  ACTIVE     8          6     1  probe,train     4s ago\n"
            "wrk-2  old      GONE       0          0     0  -                    -\n");
}

}  // namespace
}  // namespace ecgbench::client
