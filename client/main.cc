// ecgbench: the ECG-Bench command-line client (job control and the embedded `ecgbench run`).
// Links no LibTorch, so it starts in milliseconds; everything lives in the ecgbench_client library.
#include <iostream>

#include "client/cli.h"
#include "client/ui/terminal.h"
#include "common/util/allocator.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(true);
  ecgbench::common::TuneAllocatorForBatchWork();
  ecgbench::client::Io io;
  io.out = &std::cout;
  io.err = &std::cerr;
  io.terminal = [] { return ecgbench::client::StdoutTerminal(); };
  return ecgbench::client::RunCli(argc, argv, io);
}
