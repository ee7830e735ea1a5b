// The hooks libheapagent.so lends the V8 side in libheapagent_extensions.so
// (v8direct/agent_hooks.h): marking V8 work done for the agent on node's
// threads as unsampled, and V8's code events into this library's JIT code
// map (sampling/jit_code_map.h), which the stack capture and symbolizer here
// read.
#pragma once

#include "v8direct/agent_hooks.h"

namespace heapagent {

// Both mark agent work; the first also asks for V8's code events (JS frames
// in native stacks, HEAPAGENT_NATIVE_JS_FRAMES).
v8direct::AgentHooks AgentHooksWithJsFrames();
v8direct::AgentHooks AgentHooksWithoutJsFrames();

}  // namespace heapagent
