// Turns return addresses into function names, source lines and mappings.
//
// Runs on the agent's thread only, never in an allocator hook. Uses elfutils'
// libdwfl on the live process: ELF symbol tables for names (demangled), DWARF
// line tables where the binary has them (node's own binary does), and the
// module list for pprof mappings with path and build id. Results are cached
// per address; the cache is bounded and simply cleared when it grows too big.
//
// Addresses outside every module are looked up in V8's code
// (jit_code_map.h), as are the bytecode frames of V8's interpreter
// (interpreter_frames.h); those answers are not cached, because V8 reuses
// its code memory.
//
// Thread-safety: none; one Symbolizer per agent thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sampling/code_aliases.h"

namespace heapagent {

struct ModuleMapping {
  uint64_t start = 0, limit = 0, file_offset = 0;
  std::string path;
  std::string build_id;  // lowercase hex of .note.gnu.build-id, or empty
  bool has_symbols = false;
  bool has_lines = false;
};

struct SymbolizedFrame {
  std::string function;     // demangled name, or "module+0xoffset" / "[unknown]"
  std::string system_name;  // the symbol as linked (mangled)
  std::string file;         // source file, empty if unknown
  int line = 0;             // 1-based, 0 if unknown
  int column = 0;           // 1-based, JS frames only
  int mapping = -1;         // index into mappings(), kOutsideModules or kJsCode
  static constexpr int kOutsideModules = -1;
  static constexpr int kJsCode = -2;  // a JS function V8 compiled (jit_code_map.h)
};

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Looks up the call site of `return_address` (the instruction before it).
  const SymbolizedFrame& Symbolize(uintptr_t return_address);

  const std::vector<ModuleMapping>& mappings() const { return mappings_; }

  // Allows one more refresh of the module list (for libraries loaded since);
  // call once per profile so unknown addresses can't cause a refresh storm.
  void AllowModuleRefresh() { refresh_allowed_ = true; }

  std::size_t cached_frames() const { return cache_.size(); }

  // Hands back the page-cache pages of the binaries read so far (symbol
  // tables, DWARF). Call after each profile; see ReleaseFilePages.
  void ReleaseFilePages();

 private:
  struct DwflState;
  SymbolizedFrame Resolve(uintptr_t pc);
  struct FunctionSymbol {
    uint64_t start, end;
    const char* name;  // owned by libdw's ELF data, alive as long as dwfl_
  };
  int MappingFor(void* module);
  // libdw's own address lookup scans the whole symbol table on every call
  // (100k+ symbols in node); sort each module's functions once instead.
  const std::vector<FunctionSymbol>& FunctionsOf(void* module);
  void ReleaseFilePages(void* module);
  bool Refresh();

  // The JS function at `address`, into js_frame_; false if V8 announced none.
  bool SymbolizeJs(uintptr_t address, bool bytecode);

  std::unique_ptr<DwflState> dwfl_;
  SymbolizedFrame js_frame_;
  std::vector<CodeAlias> aliases_;  // V8's copy of its builtins (code_aliases.h)
  std::unordered_map<uintptr_t, SymbolizedFrame> cache_;
  std::unordered_map<void*, int> mapping_of_module_;
  std::unordered_map<void*, std::vector<FunctionSymbol>> functions_of_module_;
  std::vector<ModuleMapping> mappings_;
  bool refresh_allowed_ = true;
};

// "_ZN4node6BufferE..." -> "node::Buffer...", or the input if it is not mangled.
std::string Demangle(const char* symbol);

}  // namespace heapagent
