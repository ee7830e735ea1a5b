#include "v8direct/jit_code_events.h"

namespace heapagent::v8direct {
namespace {

// V8's handler is a plain function with no user data: the hooks are global,
// set once before node starts (SetJitCodeHooks) and read-only afterwards.
AgentHooks g_hooks;

void OnJitCodeEvent(const V8JitCodeEvent* event) {
  if (event == nullptr || event->code_type == V8JitCodeEvent::kWasmCode) return;
  const auto start = reinterpret_cast<uintptr_t>(event->code_start);
  switch (event->type) {
    case V8JitCodeEvent::kCodeAdded:
      if (event->name.str == nullptr) return;
      g_hooks.jit_code_added(start, event->code_len, event->code_type == V8JitCodeEvent::kByteCode, event->name.str,
                             event->name.len);
      return;
    case V8JitCodeEvent::kCodeMoved:
      g_hooks.jit_code_moved(start, reinterpret_cast<uintptr_t>(event->new_code_start));
      return;
    case V8JitCodeEvent::kCodeRemoved:
      g_hooks.jit_code_removed(start);
      return;
    default:
      return;  // line-position events: the agent names functions, not lines
  }
}

}  // namespace

void SetJitCodeHooks(const AgentHooks& hooks) {
  const bool complete =
      hooks.jit_code_added != nullptr && hooks.jit_code_moved != nullptr && hooks.jit_code_removed != nullptr;
  g_hooks = complete ? hooks : AgentHooks{};
}

bool StartJitCodeEvents(const V8Api& api, V8Isolate* isolate) {
  if (api.isolate_set_jit_code_event_handler == nullptr || isolate == nullptr || !g_hooks.wants_code_events()) {
    return false;
  }
  api.isolate_set_jit_code_event_handler(isolate, kJitCodeEventEnumExisting, &OnJitCodeEvent);
  return true;
}

void StopJitCodeEvents(const V8Api& api, V8Isolate* isolate) {
  if (api.isolate_set_jit_code_event_handler == nullptr || isolate == nullptr) return;
  api.isolate_set_jit_code_event_handler(isolate, 0, nullptr);
}

}  // namespace heapagent::v8direct
