// Ctrl-C handling for the long-running commands (watch, submit --wait, logs -f, run): the handlers
// for SIGINT and SIGTERM only count signals; the command polls the count and decides (stop
// watching, cancel the experiment, stop children). Commands that never install them keep the
// default action (the shell then reports exit status 130 for Ctrl-C). Thread-safe.
#pragma once

namespace ecgbench::client {

// Idempotent. After this, SIGINT and SIGTERM no longer terminate the process.
void InstallInterruptHandlers();

// Number of SIGINT/SIGTERM received since InstallInterruptHandlers.
int InterruptCount();

}  // namespace ecgbench::client
