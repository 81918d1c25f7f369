// The LibTorch side of the task boundary: a runner wrapper that turns LibTorch exceptions into
// statuses with the message but without the C++ backtrace c10 appends. c10::OutOfMemoryError and
// CPU allocator failures ("can't allocate memory", "not enough memory") become RESOURCE_EXHAUSTED,
// other c10::Error INTERNAL. Other exceptions pass through to the agent's boundary (task_boundary.h).
#pragma once

#include <memory>

#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

std::unique_ptr<StageRunner> GuardTorchExceptions(std::unique_ptr<StageRunner> runner);

}  // namespace ecgbench::worker
