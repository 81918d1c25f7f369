// Tests of client/cli.h argument parsing: usage errors exit 2 before anything connects; --help and
// --version exit 0 for the program and every subcommand.
#include "client/cli.h"

#include <sstream>

#include <gtest/gtest.h>

namespace ecgbench::client {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Invoke(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Io io;
  io.out = &out;
  io.err = &err;
  const int code = RunCli(args, io);
  return {code, out.str(), err.str()};
}

TEST(CliParseTest, UnknownOptionIsUsageError) {
  Result r = Invoke({"list", "--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
}

TEST(CliParseTest, MissingSubcommandIsUsageError) {
  Result r = Invoke({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  EXPECT_EQ(Invoke({"frobnicate"}).code, 2);
}

TEST(CliParseTest, MissingPositionalIsUsageError) {
  Result r = Invoke({"submit"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("SPEC is required"), std::string::npos) << r.err;
  EXPECT_EQ(Invoke({"status"}).code, 2);
  EXPECT_EQ(Invoke({"watch"}).code, 2);
  EXPECT_EQ(Invoke({"cancel"}).code, 2);
  EXPECT_EQ(Invoke({"logs"}).code, 2);
  EXPECT_EQ(Invoke({"results"}).code, 2);
  EXPECT_EQ(Invoke({"run"}).code, 2);
}

TEST(CliParseTest, BadValuesAreUsageErrors) {
  EXPECT_EQ(Invoke({"results", "exp-1", "--format", "xml"}).code, 2);
  Result state = Invoke({"list", "--state", "done"});
  EXPECT_EQ(state.code, 2);
  EXPECT_NE(state.err.find("expected one of pending, running, succeeded, failed, cancelling, cancelled"),
            std::string::npos)
      << state.err;
  EXPECT_EQ(Invoke({"list", "--limit", "-3"}).code, 2);
  EXPECT_EQ(Invoke({"logs", "exp-1", "--level", "loud"}).code, 2);
  EXPECT_EQ(Invoke({"logs", "exp-1", "--rank", "-1"}).code, 2);
  EXPECT_EQ(Invoke({"run", "spec.yaml", "--workers", "0"}).code, 2);
  EXPECT_EQ(Invoke({"--timeout", "0", "list"}).code, 2);
  EXPECT_EQ(Invoke({"--log-level", "chatty", "list"}).code, 2);
  EXPECT_EQ(Invoke({"workers", "extra"}).code, 2);
}

TEST(CliParseTest, HelpEverywhere) {
  Result top = Invoke({"--help"});
  EXPECT_EQ(top.code, 0);
  for (const char* cmd : {"submit", "list", "status", "watch", "logs", "cancel", "results", "workers", "run"}) {
    EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
    Result sub = Invoke({cmd, "--help"});
    EXPECT_EQ(sub.code, 0) << cmd;
    EXPECT_NE(sub.out.find(std::string("Usage: ecgbench ") + cmd), std::string::npos) << sub.out;
    EXPECT_NE(sub.out.find("--coordinator"), std::string::npos) << cmd << " help should mention the global options";
  }
  EXPECT_NE(top.out.find("ECGBENCH_COORDINATOR"), std::string::npos);
}

TEST(CliParseTest, Version) {
  Result r = Invoke({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("ecgbench ", 0), 0u) << r.out;
}

}  // namespace
}  // namespace ecgbench::client
