#include "v8direct/jit_code_events.h"

#include <string_view>

#include "sampling/jit_code_map.h"

namespace heapagent::v8direct {
namespace {

void OnJitCodeEvent(const V8JitCodeEvent* event) {
  if (event == nullptr || event->code_type == V8JitCodeEvent::kWasmCode) return;
  const auto start = reinterpret_cast<uintptr_t>(event->code_start);
  JitCodeMap& map = JitCodeMap::Instance();
  switch (event->type) {
    case V8JitCodeEvent::kCodeAdded:
      if (event->name.str == nullptr) return;
      map.Add(start, event->code_len,
              event->code_type == V8JitCodeEvent::kByteCode ? JsCodeKind::kBytecode : JsCodeKind::kMachineCode,
              std::string_view(event->name.str, event->name.len));
      return;
    case V8JitCodeEvent::kCodeMoved:
      map.Move(start, reinterpret_cast<uintptr_t>(event->new_code_start));
      return;
    case V8JitCodeEvent::kCodeRemoved:
      map.Remove(start);
      return;
    default:
      return;  // line-position events: the agent names functions, not lines
  }
}

}  // namespace

bool StartJitCodeEvents(const V8Api& api, V8Isolate* isolate) {
  if (api.isolate_set_jit_code_event_handler == nullptr || isolate == nullptr) return false;
  api.isolate_set_jit_code_event_handler(isolate, kJitCodeEventEnumExisting, &OnJitCodeEvent);
  return true;
}

void StopJitCodeEvents(const V8Api& api, V8Isolate* isolate) {
  if (api.isolate_set_jit_code_event_handler == nullptr || isolate == nullptr) return;
  api.isolate_set_jit_code_event_handler(isolate, 0, nullptr);
}

}  // namespace heapagent::v8direct
