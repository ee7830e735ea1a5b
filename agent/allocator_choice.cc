#include "agent/allocator_choice.h"

#include "agent/log.h"
#include "sampling/allocator_dispatch.h"
#include "sampling/jemalloc_library.h"

namespace heapagent {

void KeepSystemAllocator() { SettleOnSystemAllocator(); }

void ChooseAllocator(const Config& config) {
  if (config.allocator != Config::Allocator::kJemalloc) {
    SettleOnSystemAllocator();
    return;
  }
  const JemallocLookup jemalloc = FindJemalloc(config.jemalloc_path);
  if (!jemalloc.problem.empty()) {
    SettleOnSystemAllocator();
    Log(LogLevel::kWarn, "HEAPAGENT_ALLOCATOR=jemalloc: %s; using the system allocator", jemalloc.problem.c_str());
    return;
  }
  switch (SwitchToJemalloc(jemalloc.functions)) {
    case SwitchOutcome::kSwitched:
      Log(LogLevel::kInfo, "jemalloc %s serves the malloc family; %zu blocks from before the switch stay with glibc",
          jemalloc.version.c_str(), LiveEarlySystemBlocks());
      return;
    case SwitchOutcome::kTooManyEarlyBlocks:
      Log(LogLevel::kWarn, "HEAPAGENT_ALLOCATOR=jemalloc: too many blocks were allocated before the agent started "
                           "to track them all; using the system allocator");
      return;
    case SwitchOutcome::kIncomplete:
      Log(LogLevel::kWarn, "HEAPAGENT_ALLOCATOR=jemalloc: glibc's malloc_usable_size was not found; using the "
                           "system allocator");
      return;
    case SwitchOutcome::kAlreadyDecided:
      return;
  }
}

}  // namespace heapagent
