// Terminal detection for stdout.
#include "client/ui/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

namespace ecgbench::client {

namespace {
int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr) return fallback;
  const int n = std::atoi(v);
  return n > 0 ? n : fallback;
}
}  // namespace

TerminalInfo StdoutTerminal() {
  TerminalInfo info;
  info.is_tty = ::isatty(STDOUT_FILENO) == 1;
  info.width = EnvInt("COLUMNS", 80);
  info.height = EnvInt("LINES", 24);
  struct winsize ws = {};
  if (info.is_tty && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    info.width = ws.ws_col;
    if (ws.ws_row > 0) info.height = ws.ws_row;
  }
  return info;
}

}  // namespace ecgbench::client
