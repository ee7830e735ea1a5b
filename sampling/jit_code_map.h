// Which JS function V8's generated code belongs to, by address: the agent's
// own bounded copy of what V8 announces in its code events (the events behind
// --perf-basic-prof, received in-process instead of through a file).
//
// Two kinds of code are kept: machine code (Sparkplug, Maglev, TurboFan and
// the per-function interpreter trampolines), looked up by return address, and
// bytecode, looked up by the bytecode address read from an interpreted frame
// (interpreter_frames.h). Bytecode lives in V8's moving heap: its moves are
// announced and followed.
//
// Bounded under code churn. V8 does not announce code it frees, so:
// - new code that overlaps older ranges replaces them (the memory was
//   reused, so the old code is gone);
// - beyond kMaxEntries ranges or kMaxNameBytes of names the oldest range not
//   looked up since it was last considered is dropped (FIFO, second chance);
//   a dropped function that still runs shows as an unnamed JIT frame.
// Interpreter builtins announced here are published to interpreter_frames.h
// rather than kept.
//
// Thread-safety: all members may be called from any thread; one mutex, held
// for a map operation (never while calling out). Allocations made inside are
// the agent's and never sampled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sampling/code_event_name.h"

namespace heapagent {

enum class JsCodeKind { kMachineCode, kBytecode };

struct JsFunctionName {
  std::string function;
  std::string script;
  int line = 0;
  int column = 0;
  bool builtin = false;  // V8's own code, not the app's JS
};

class JitCodeMap {
 public:
  static constexpr size_t kMaxEntries = size_t{1} << 15;
  static constexpr size_t kMaxNameBytes = size_t{4} << 20;

  // The process's map (V8's callbacks are plain functions). ResetAfterFork
  // replaces it in a forked child, whose copy's mutex may be held.
  static JitCodeMap& Instance();
  // The map if V8 has announced any code, else null (and none is created).
  static JitCodeMap* IfCreated();
  static void ResetAfterFork();

  // Code of `size` bytes at `start`, named by V8 (code_event_name.h).
  void Add(uintptr_t start, size_t size, JsCodeKind kind, std::string_view v8_name);
  void Move(uintptr_t from, uintptr_t to);
  void Remove(uintptr_t start);

  // The function whose code of `kind` contains `address`.
  std::optional<JsFunctionName> Lookup(uintptr_t address, JsCodeKind kind);

  size_t entries();
  // Approximate heap bytes this map holds (tree nodes, names, queue).
  size_t ApproximateBytes();

 private:
  struct Range {
    uintptr_t end = 0;
    uint32_t name = 0;
    uint64_t generation = 0;
    bool looked_up = false;
  };
  struct Name {
    JsFunctionName value;
    std::string key;  // its entry in name_ids_
    uint32_t references = 0;
  };
  using Ranges = std::map<uintptr_t, Range>;

  Ranges& RangesOf(JsCodeKind kind) { return kind == JsCodeKind::kBytecode ? bytecode_ : machine_code_; }
  void Insert(JsCodeKind kind, uintptr_t start, uintptr_t end, uint32_t name);
  void EraseOverlapping(Ranges& ranges, uintptr_t start, uintptr_t end);
  void Erase(Ranges& ranges, Ranges::iterator it);
  uint32_t InternName(CodeEventName&& parsed);
  void ReleaseName(uint32_t id);
  void EvictWhileOverBudget();

  std::mutex mutex_;
  Ranges machine_code_, bytecode_;
  std::vector<Name> names_;
  std::vector<uint32_t> free_names_;
  std::unordered_map<std::string, uint32_t> name_ids_;
  size_t name_bytes_ = 0;
  // Insertion order for eviction: (kind, start, generation); stale entries
  // (moved or replaced ranges) are skipped when popped.
  struct Inserted {
    JsCodeKind kind;
    uintptr_t start;
    uint64_t generation;
  };
  std::deque<Inserted> order_;
  uint64_t next_generation_ = 1;
};

}  // namespace heapagent
