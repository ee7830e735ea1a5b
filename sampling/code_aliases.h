// Executable mappings that alias code of a binary already mapped elsewhere.
//
// V8 on x86-64 copies node's embedded builtins next to its JIT code range
// ("short builtin calls") by mapping the same bytes of the node executable a
// second time, far from the executable's own image. Return addresses in that
// copy have no symbol at their address; the same offset of the file in the
// executable's own mapping does. An alias translates one to the other.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace heapagent {

struct CodeAlias {
  uintptr_t start = 0, end = 0;  // the alias
  uintptr_t primary_start = 0;   // where the same file bytes are in the binary's own image
};

// From the text of /proc/<pid>/maps: each executable file mapping whose file
// bytes also lie inside another executable mapping of the same file.
std::vector<CodeAlias> FindCodeAliases(std::string_view proc_maps);

// `address` translated into the primary image, or `address` itself.
uintptr_t TranslateCodeAlias(const std::vector<CodeAlias>& aliases, uintptr_t address);

}  // namespace heapagent
