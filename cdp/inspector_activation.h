// Whether and how the agent brings up node's own V8 inspector.
//
// The agent opens the inspector itself only when the app has not asked for
// one: it adds `--inspect=127.0.0.1:0 --inspect-publish-uid=stderr` to the
// NODE_OPTIONS value node reads at start-up (see inspector_hooks.h for how,
// without changing the environment children inherit). Loopback only, an
// ephemeral port chosen by the kernel, and the websocket path (a random UUID)
// published on stderr only - where the agent's hook reads and swallows it - so
// /json/list answers 404 and nothing on the host can learn the path from node.
//
// When the app runs with an inspector flag of its own (--inspect,
// --inspect-brk, --inspect-wait, --inspect-port, --debug-port, in argv or
// NODE_OPTIONS) the app owns the inspector: the agent adds nothing, never
// takes the port, and attaches to the URL node publishes when (and if) the
// app's inspector comes up, including through inspector.open() later.
//
// Pure functions of their inputs: unit-tested without a node process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace heapagent::cdp {

enum class InspectorOwner {
  kAgent,        // the agent opens it through NODE_OPTIONS
  kApp,          // the app has its own inspector flags; the agent follows
  kUnavailable,  // this node has no inspector (or is too old): no JS heap over CDP
  kNotNeeded,    // node will run no JS (--version, --help, --check...): nothing to profile
};

struct InspectorPlan {
  InspectorOwner owner = InspectorOwner::kUnavailable;
  // kAgent only: the whole NODE_OPTIONS value node should see (the app's
  // own value, if any, followed by the agent's flags).
  std::string node_options;
};

// The flags the agent adds.
inline constexpr std::string_view kAgentInspectorFlags = "--inspect=127.0.0.1:0 --inspect-publish-uid=stderr";

// `node_flags`: node's own options from argv (agent/process_identity.h's
// NodeFlags); `node_options`:
// the NODE_OPTIONS value or null; `node_has_inspector`: see NodeHasInspector.
InspectorPlan PlanInspector(const std::vector<std::string>& node_flags, const char* node_options,
                            bool node_has_inspector);

// True if `flag` makes node print something and exit, or only check syntax.
bool IsNoJsFlag(std::string_view flag);

// True if `flag` (e.g. "--inspect-brk=0.0.0.0:9230") is an inspector flag.
bool IsInspectorFlag(std::string_view flag);

// Whether the running executable is a node (>= 14.18) built with the
// inspector: it exports the inspector binding's registration and a Node-API
// function that newer lines have. Looked up in the process's symbol table, so
// it is only meaningful inside node.
bool NodeHasInspector();

}  // namespace heapagent::cdp
