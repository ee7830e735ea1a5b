#include "agent/core_hooks.h"

#include <string_view>

#include "sampling/jit_code_map.h"
#include "sampling/thread_sampler_state.h"

namespace heapagent {
namespace {

void EnterAgentWork() { ++heapagent_thread_sampler.busy; }
void LeaveAgentWork() { --heapagent_thread_sampler.busy; }

void JitCodeAdded(uintptr_t start, size_t size, bool bytecode, const char* name, size_t name_length) {
  JitCodeMap::Instance().Add(start, size, bytecode ? JsCodeKind::kBytecode : JsCodeKind::kMachineCode,
                             std::string_view(name, name_length));
}
void JitCodeMoved(uintptr_t from, uintptr_t to) { JitCodeMap::Instance().Move(from, to); }
void JitCodeRemoved(uintptr_t start) { JitCodeMap::Instance().Remove(start); }

}  // namespace

v8direct::AgentHooks AgentHooksWithoutJsFrames() {
  return {.enter_agent_work = &EnterAgentWork, .leave_agent_work = &LeaveAgentWork};
}

v8direct::AgentHooks AgentHooksWithJsFrames() {
  v8direct::AgentHooks hooks = AgentHooksWithoutJsFrames();
  hooks.jit_code_added = &JitCodeAdded;
  hooks.jit_code_moved = &JitCodeMoved;
  hooks.jit_code_removed = &JitCodeRemoved;
  return hooks;
}

}  // namespace heapagent
