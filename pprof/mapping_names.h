// Names of the pprof mappings the agent makes up (not files on disk), shared
// by the writers and the CLI that reads them.
#pragma once

#include <string_view>

namespace heapagent::pprof {

// JS functions in native stacks (mixed JS/native stacks): viewers tell JS
// frames by this mapping and can colour them.
inline constexpr std::string_view kJsMappingName = "[js]";

}  // namespace heapagent::pprof
