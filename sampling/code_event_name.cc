#include "sampling/code_event_name.h"

#include <charconv>

namespace heapagent {
namespace {

bool IsJsTag(std::string_view tag) {
  return tag == "JS" || tag == "Function" || tag == "LazyCompile" || tag == "Script" || tag == "Eval";
}

// The builtins that return addresses of interpreted frames point into.
// (Bytecode handlers that call out build frames of their own, so a return
// address into one is not an interpreted frame.)
bool IsInterpreterBuiltin(std::string_view tag, std::string_view rest) {
  return tag == "Builtin" && (rest == "InterpreterEntryTrampoline" || rest == "InterpreterEnterAtBytecode" ||
                              rest == "InterpreterEnterAtNextBytecode" ||
                              rest == "InterpreterEntryTrampolineForProfiling");
}

// Parses a trailing ":<digits>" off `text`; nullopt if there is none.
std::optional<int> TakeTrailingNumber(std::string_view& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  int value = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || stop != end || value < 0) return std::nullopt;
  text = text.substr(0, colon);
  return value;
}

bool LooksLikeScriptStart(std::string_view text) {
  for (std::string_view prefix : {"/", "node:", "file:", "http:", "https:", "data:", "evalmachine", "[", "."}) {
    if (text.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

CodeEventName ParseCodeEventName(std::string_view name) {
  CodeEventName parsed;
  const size_t colon = name.find(':');
  if (colon == std::string_view::npos) return parsed;
  const std::string_view tag = name.substr(0, colon);
  std::string_view rest = name.substr(colon + 1);
  if (tag == "Builtin" || tag == "BytecodeHandler") {
    parsed.kind = IsInterpreterBuiltin(tag, rest) ? CodeEventNameKind::kInterpreter : CodeEventNameKind::kBuiltin;
    parsed.function = "Builtins_" + std::string(rest);
    if (tag == "BytecodeHandler") parsed.function += "Handler";
    return parsed;
  }
  if (!IsJsTag(tag)) return parsed;
  // The tier marker: ~ interpreted, ^ Sparkplug, + Maglev, * TurboFan; V8 13
  // adds ' to the last two for code specialised to one function context.
  if (!rest.empty() && (rest[0] == '~' || rest[0] == '*' || rest[0] == '^' || rest[0] == '+')) {
    rest.remove_prefix(1);
    if (!rest.empty() && rest[0] == '\'') rest.remove_prefix(1);
  }

  // "<function> <script>:<line>[:<column>]", or just "<function>".
  size_t split = std::string_view::npos;
  for (size_t space = rest.find(' '); space != std::string_view::npos; space = rest.find(' ', space + 1)) {
    if (LooksLikeScriptStart(rest.substr(space + 1))) {
      split = space;
      break;
    }
  }
  if (split == std::string_view::npos) split = rest.rfind(' ');
  std::string_view function = split == std::string_view::npos ? rest : rest.substr(0, split);
  std::string_view location = split == std::string_view::npos ? std::string_view() : rest.substr(split + 1);
  if (!location.empty()) {
    const std::optional<int> last = TakeTrailingNumber(location);
    const std::optional<int> before = last ? TakeTrailingNumber(location) : std::nullopt;
    if (before) {
      parsed.line = *before;
      parsed.column = *last;
    } else if (last) {
      parsed.line = *last;
    }
    parsed.script = std::string(location);
  }
  parsed.kind = CodeEventNameKind::kJsFunction;
  parsed.function = function.empty() ? (tag == "Eval" ? "(eval)" : tag == "Script" ? "(script)" : "(anonymous)")
                                     : std::string(function);
  return parsed;
}

}  // namespace heapagent
