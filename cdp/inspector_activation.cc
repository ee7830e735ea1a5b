#include "cdp/inspector_activation.h"

#include <dlfcn.h>

#include <array>

namespace heapagent::cdp {

bool IsInspectorFlag(std::string_view flag) {
  // Every --inspect* flag counts, even --inspect-publish-uid alone (which
  // opens nothing): it is the app's statement about its inspector, so the
  // agent leaves the inspector to the app. --debug-port is --inspect-port's
  // alias.
  static constexpr std::array<std::string_view, 2> kPrefixes = {"--inspect", "--debug-port"};
  for (std::string_view prefix : kPrefixes) {
    if (flag.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

bool IsNoJsFlag(std::string_view flag) {
  static constexpr std::array<std::string_view, 8> kFlags = {"--version", "-v", "--help", "-h",
                                                             "--v8-options", "--check", "-c", "--completion-bash"};
  for (std::string_view known : kFlags) {
    if (flag == known) return true;
  }
  return false;
}

namespace {

// Splits NODE_OPTIONS the way node does for our purpose: whitespace-separated
// words; a quoted word ("--title=a b") never starts with an inspector flag
// after its quote is stripped unless it is one, so stripping quotes is enough.
bool NodeOptionsHaveInspectorFlag(std::string_view options) {
  std::size_t start = 0;
  while (start < options.size()) {
    while (start < options.size() && (options[start] == ' ' || options[start] == '\t' || options[start] == '\n')) ++start;
    std::size_t end = start;
    while (end < options.size() && options[end] != ' ' && options[end] != '\t' && options[end] != '\n') ++end;
    std::string_view word = options.substr(start, end - start);
    if (!word.empty() && word.front() == '"') word.remove_prefix(1);
    if (!word.empty() && IsInspectorFlag(word)) return true;
    start = end;
  }
  return false;
}

}  // namespace

InspectorPlan PlanInspector(const std::vector<std::string>& node_flags, const char* node_options,
                            bool node_has_inspector) {
  InspectorPlan plan;
  if (!node_has_inspector) return plan;
  for (const std::string& flag : node_flags) {
    if (IsNoJsFlag(flag)) {
      plan.owner = InspectorOwner::kNotNeeded;
      return plan;
    }
  }
  for (const std::string& flag : node_flags) {
    if (IsInspectorFlag(flag)) {
      plan.owner = InspectorOwner::kApp;
      return plan;
    }
  }
  const std::string_view existing = node_options == nullptr ? std::string_view() : std::string_view(node_options);
  if (NodeOptionsHaveInspectorFlag(existing)) {
    plan.owner = InspectorOwner::kApp;
    return plan;
  }
  plan.owner = InspectorOwner::kAgent;
  plan.node_options = std::string(existing);
  if (!plan.node_options.empty()) plan.node_options += ' ';
  plan.node_options += kAgentInspectorFlags;
  return plan;
}

bool NodeHasInspector() {
  // `_register_inspector()` exists only in builds with the inspector;
  // node_api_get_module_file_name only from node 14.18/15.9, which is also
  // after --inspect-publish-uid (12.6) appeared.
  return dlsym(RTLD_DEFAULT, "_Z19_register_inspectorv") != nullptr &&
         dlsym(RTLD_DEFAULT, "node_api_get_module_file_name") != nullptr;
}

}  // namespace heapagent::cdp
