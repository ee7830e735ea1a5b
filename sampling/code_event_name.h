// Parses the names V8 gives code in its code events (the same names it writes
// to perf maps): "<Tag>:<marker><function> <script>:<line>:<column>".
//
//   JS:~gzipLeak /srv/app/zip.js:12:18     interpreted (~), bytecode or trampoline
//   JS:*gzipLeak /srv/app/zip.js:12:18     optimized (* TurboFan, ^ Sparkplug, + Maglev)
//   JS:+'gzipLeak /srv/app/zip.js:12:18    V8 13: ' = specialised to one function context
//   JS:~ /srv/app/zip.js:1:1               an anonymous function
//   Builtin:InterpreterEntryTrampoline     V8's own code (named by node's ELF symbols)
//   BytecodeHandler:LdaZero                one of the interpreter's bytecode handlers
//
// Older V8s used the tags LazyCompile and Function for what is JS now, and
// left the column out; both parse. The split between function and script is
// ambiguous when either contains a space, so the script is taken to start at
// the first space followed by something that looks like a script URL.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace heapagent {

enum class CodeEventNameKind {
  kJsFunction,   // JS code: function, script and line are set
  kInterpreter,  // the interpreter's entry trampolines
  kBuiltin,      // another of V8's builtins
  kOther,        // stubs, regexps, wasm: not named by the agent
};

struct CodeEventName {
  CodeEventNameKind kind = CodeEventNameKind::kOther;
  // "(anonymous)" for an unnamed function; for builtins (interpreter ones
  // too) "Builtins_<name>", the name node's ELF symbols give them, for the
  // copy of V8's builtins that V8 may place next to its code on x86-64.
  std::string function;
  std::string script;    // URL or path; empty if V8 gave none
  int line = 0;          // 1-based line where the function starts; 0 = unknown
  int column = 0;        // 1-based; 0 = unknown
};

CodeEventName ParseCodeEventName(std::string_view name);

}  // namespace heapagent
