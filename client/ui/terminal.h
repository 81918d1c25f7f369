// What the CLI needs to know about its stdout: whether it is a terminal, and its size.
#pragma once

namespace ecgbench::client {

struct TerminalInfo {
  bool is_tty = false;
  int width = 80;   // columns (COLUMNS, then 80, when unknown)
  int height = 24;  // rows (LINES, then 24, when unknown)
};

// isatty(1) and TIOCGWINSZ on stdout.
TerminalInfo StdoutTerminal();

}  // namespace ecgbench::client
