// Feeds V8's code events of an isolate to the agent's JIT code map (through
// AgentHooks: the map lives in libheapagent.so, sampling/jit_code_map.h), so
// native stacks can name their JS frames.
//
// Uses v8::Isolate::SetJitCodeEventHandler with "enumerate existing code":
// V8 first announces what it has compiled (and its interpreter builtins, which
// tell the stack capture where interpreted frames are), then each code object
// it creates, moves or removes. There is one handler per isolate; an app or
// addon that sets its own replaces the agent's (its JS frames then stay
// unnamed), and the agent's would replace one set earlier.
//
// Thread-safety: SetJitCodeHooks once, before any isolate exists (the
// library constructor); Start/Stop on the isolate's own thread, where V8 runs
// the handler.
#pragma once

#include "v8direct/agent_hooks.h"
#include "v8direct/v8_abi.h"

namespace heapagent::v8direct {

// Where every isolate's events go; hooks without the three code functions
// turn the events off.
void SetJitCodeHooks(const AgentHooks& hooks);

// False if node's V8 lacks the entry point or no hooks want the events.
bool StartJitCodeEvents(const V8Api& api, V8Isolate* isolate);

// Stops the events before the isolate goes away.
void StopJitCodeEvents(const V8Api& api, V8Isolate* isolate);

}  // namespace heapagent::v8direct
