// Marks agent work done on a thread that is not the agent's (node's main
// thread reading the JS heap, V8's code events): allocations made inside the
// scope, by the agent or by V8 on its behalf, are never sampled.
//
// Thread-safety: touches only the calling thread's sampler state.
#pragma once

#include "sampling/thread_sampler_state.h"

namespace heapagent {

class AgentWorkScope {
 public:
  AgentWorkScope() { ++heapagent_thread_sampler.busy; }
  ~AgentWorkScope() { --heapagent_thread_sampler.busy; }
  AgentWorkScope(const AgentWorkScope&) = delete;
  AgentWorkScope& operator=(const AgentWorkScope&) = delete;
};

}  // namespace heapagent
