// Fuzzes the two parsers of text the agent reads from its host process:
// V8's names for the code it announces (sampling/code_event_name.h; any
// function or script name an app chooses ends up in them) and the kernel's
// /proc/self/maps (sampling/code_aliases.h; paths are the app's).
//
// Input: the first line is one code event name, the rest a maps text.
//
// Checked, beyond "no crash, no sanitizer report":
//   - a JS function always has a non-empty name and no negative line/column;
//   - builtins are named Builtins_*;
//   - every alias is a non-empty range; an address is translated by the
//     first alias holding it, by its offset, and left alone outside all.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "sampling/code_aliases.h"
#include "sampling/code_event_name.h"

namespace {

using namespace heapagent;

#define FUZZ_CHECK(condition)                                                  \
  do {                                                                         \
    if (!(condition)) {                                                        \
      std::fprintf(stderr, "fuzz_code_events: check failed: %s\n", #condition); \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view name = input.substr(0, newline);
  const std::string_view maps = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  const CodeEventName parsed = ParseCodeEventName(name);
  if (parsed.kind == CodeEventNameKind::kJsFunction) {
    FUZZ_CHECK(!parsed.function.empty());
    FUZZ_CHECK(parsed.line >= 0 && parsed.column >= 0);
  }
  if (parsed.kind == CodeEventNameKind::kBuiltin || parsed.kind == CodeEventNameKind::kInterpreter) {
    FUZZ_CHECK(std::string_view(parsed.function).starts_with("Builtins_"));
  }

  const std::vector<CodeAlias> aliases = FindCodeAliases(maps);
  for (const CodeAlias& alias : aliases) {
    FUZZ_CHECK(alias.start < alias.end);
    // The first alias holding an address translates it, by its offset.
    const CodeAlias* first = nullptr;
    for (const CodeAlias& other : aliases) {
      if (alias.start >= other.start && alias.start < other.end) {
        first = &other;
        break;
      }
    }
    FUZZ_CHECK(first != nullptr);
    FUZZ_CHECK(TranslateCodeAlias(aliases, alias.start) == first->primary_start + (alias.start - first->start));
  }
  const uintptr_t outside = 0x10;  // below every mapping the parser accepts as an alias
  bool inside_any = false;
  for (const CodeAlias& alias : aliases) inside_any |= outside >= alias.start && outside < alias.end;
  if (!inside_any) FUZZ_CHECK(TranslateCodeAlias(aliases, outside) == outside);
  return 0;
}
