// What the agent's core (libheapagent.so, which holds the sampler) lends the
// V8 side, which lives in libheapagent_extensions.so (agent/extensions.h) and
// so cannot reach the sampler's state directly.
//
// Thread-safety: the functions are called on isolate threads; the struct is
// copied once at configuration and never changed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace heapagent::v8direct {

struct AgentHooks {
  // Bracket V8 work done for the agent on an app thread (reads,
  // registration): allocations in between are the agent's, never sampled.
  // Both null (nothing to mark) or both set.
  void (*enter_agent_work)() = nullptr;
  void (*leave_agent_work)() = nullptr;
  // V8's code events, for naming JS frames in native stacks
  // (sampling/jit_code_map.h); null: not wanted, V8's events stay off.
  void (*jit_code_added)(uintptr_t start, size_t size, bool bytecode, const char* name, size_t name_length) = nullptr;
  void (*jit_code_moved)(uintptr_t from, uintptr_t to) = nullptr;
  void (*jit_code_removed)(uintptr_t start) = nullptr;

  bool wants_code_events() const { return jit_code_added != nullptr; }
};

// For a scope of agent work on an app thread.
class ScopedAgentWork {
 public:
  explicit ScopedAgentWork(const AgentHooks& hooks) : leave_(hooks.leave_agent_work) {
    if (hooks.enter_agent_work != nullptr) hooks.enter_agent_work();
  }
  ~ScopedAgentWork() {
    if (leave_ != nullptr) leave_();
  }
  ScopedAgentWork(const ScopedAgentWork&) = delete;
  ScopedAgentWork& operator=(const ScopedAgentWork&) = delete;

 private:
  void (*leave_)();
};

}  // namespace heapagent::v8direct
