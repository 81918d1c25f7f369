// Async-signal-safe interrupt counting.
#include "client/commands/interrupt.h"

#include <signal.h>

#include <atomic>

namespace ecgbench::client {

namespace {
std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free counter");

void OnSignal(int) { g_interrupts.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

void InstallInterruptHandlers() {
  static const bool installed = [] {
    struct sigaction sa = {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return true;
  }();
  (void)installed;
}

int InterruptCount() { return g_interrupts.load(std::memory_order_relaxed); }

}  // namespace ecgbench::client
