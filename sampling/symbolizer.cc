#include "sampling/symbolizer.h"

#include "sampling/code_aliases.h"
#include "sampling/interpreter_frames.h"
#include "sampling/jit_code_map.h"

#include "sampling/libdw_api.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace heapagent {
namespace {

constexpr std::size_t kMaxCachedFrames = 200000;

std::string Basename(const char* path) {
  std::string name = path ? path : "";
  const auto slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string HexBuildId(const LibdwApi& libdw, Dwfl_Module* module) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int length = libdw.module_build_id(module, &bits, &vaddr);
  std::string hex;
  for (int i = 0; i < length; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", bits[i]);
    hex += byte;
  }
  return hex;
}

// The process's memory map, for code aliases; empty if unreadable.
std::string ReadProcMaps() {
  std::string text;
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[16384];
  for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(got));
  close(fd);
  return text;
}

}  // namespace

std::string Demangle(const char* symbol) {
  if (symbol == nullptr) return {};
  int status = 0;
  char* demangled = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return symbol;
  std::string result = demangled;
  std::free(demangled);
  return result;
}

namespace {

// libdwfl keeps the ELF files it reads open; mark them close-on-exec so a
// child the app execs inherits none of the agent's descriptors.
const LibdwApi* g_libdw_for_callbacks = nullptr;

int FindElfCloseOnExec(Dwfl_Module* module, void** user_data, const char* module_name, Dwarf_Addr base,
                       char** file_name, Elf** elf) {
  const int fd = g_libdw_for_callbacks->linux_proc_find_elf(module, user_data, module_name, base, file_name, elf);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

// Separate debug files (/usr/lib/debug, .gnu_debuglink) are not used: the
// binaries' own symbol tables name the functions, node carries its own DWARF,
// and loading e.g. libc's multi-megabyte debug file would cost the host
// several MiB of memory for names of glibc internals.
int NoSeparateDebuginfo(Dwfl_Module*, void**, const char*, Dwarf_Addr, const char*, const char*, GElf_Word, char**) {
  return -1;
}

}  // namespace

struct Symbolizer::DwflState {
  const LibdwApi& libdw;
  Dwfl_Callbacks callbacks{};
  Dwfl* dwfl = nullptr;
  char* debuginfo_path = nullptr;

  explicit DwflState(const LibdwApi& api) : libdw(api) {
    g_libdw_for_callbacks = &libdw;
    callbacks.find_elf = FindElfCloseOnExec;
    callbacks.find_debuginfo = NoSeparateDebuginfo;  // and never debuginfod, see libdw_api.h
    callbacks.debuginfo_path = &debuginfo_path;
    dwfl = libdw.begin(&callbacks);
    if (dwfl == nullptr) return;
    // Read the module list ourselves, close-on-exec ("e"): libdwfl's own
    // reader opens /proc/PID/maps without it, and a fork+exec by the app at
    // that moment would hand the descriptor to the new program.
    FILE* maps = std::fopen("/proc/self/maps", "re");
    const bool reported = maps != nullptr && libdw.linux_proc_maps_report(dwfl, maps) == 0;
    if (maps != nullptr) std::fclose(maps);
    if (!reported || libdw.report_end(dwfl, nullptr, nullptr) != 0) {
      libdw.end(dwfl);
      dwfl = nullptr;
    }
  }
  ~DwflState() {
    if (dwfl != nullptr) libdw.end(dwfl);
  }
};

Symbolizer::Symbolizer() = default;
Symbolizer::~Symbolizer() = default;

bool Symbolizer::Refresh() {
  // Modules own the mapping indexes' identities; a new Dwfl means new modules,
  // so the per-module lookup starts again (mappings_ itself only grows).
  const LibdwApi* libdw = LoadLibdw();
  if (libdw == nullptr) return false;
  functions_of_module_.clear();  // its names point into the old Dwfl's data
  mapping_of_module_.clear();
  dwfl_ = std::make_unique<DwflState>(*libdw);
  aliases_ = FindCodeAliases(ReadProcMaps());
  return dwfl_->dwfl != nullptr;
}

int Symbolizer::MappingFor(void* module_handle) {
  if (auto found = mapping_of_module_.find(module_handle); found != mapping_of_module_.end()) return found->second;
  auto* module = static_cast<Dwfl_Module*>(module_handle);
  Dwarf_Addr start = 0, end = 0;
  const char* main_file = nullptr;
  const LibdwApi& libdw = dwfl_->libdw;
  const char* name = libdw.module_info(module, nullptr, &start, &end, nullptr, nullptr, &main_file, nullptr);
  ModuleMapping mapping;
  mapping.start = start;
  mapping.limit = end;
  mapping.path = main_file ? main_file : (name ? name : "");
  mapping.build_id = HexBuildId(libdw, module);
  // Reuse an equal mapping seen before a refresh.
  int index = -1;
  for (std::size_t i = 0; i < mappings_.size(); ++i) {
    if (mappings_[i].start == mapping.start && mappings_[i].path == mapping.path) index = static_cast<int>(i);
  }
  if (index < 0) {
    mappings_.push_back(mapping);
    index = static_cast<int>(mappings_.size() - 1);
  }
  mapping_of_module_[module_handle] = index;
  return index;
}

const std::vector<Symbolizer::FunctionSymbol>& Symbolizer::FunctionsOf(void* module_handle) {
  auto [entry, inserted] = functions_of_module_.try_emplace(module_handle);
  std::vector<FunctionSymbol>& functions = entry->second;
  if (!inserted) return functions;
  auto* module = static_cast<Dwfl_Module*>(module_handle);
  const LibdwApi& libdw = dwfl_->libdw;
  const int count = libdw.module_getsymtab(module);
  functions.reserve(count > 0 ? count : 0);
  for (int i = 1; i < count; ++i) {
    GElf_Sym symbol{};
    GElf_Addr address = 0;
    const char* name = libdw.module_getsym_info(module, i, &symbol, &address, nullptr, nullptr, nullptr);
    const int type = GELF_ST_TYPE(symbol.st_info);
    if (name == nullptr || *name == '\0' || symbol.st_shndx == SHN_UNDEF) continue;
    if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
    functions.push_back({address, address + (symbol.st_size ? symbol.st_size : 1), name});
  }
  std::sort(functions.begin(), functions.end(),
            [](const FunctionSymbol& a, const FunctionSymbol& b) { return a.start < b.start; });
  ReleaseFilePages(module);
  return functions;
}

void Symbolizer::ReleaseFilePages(void* module_handle) {
  // Reading a symbol table touches all of it through libelf's mapping of the
  // file: for node that is ~15 MiB of page cache counted in the host's RSS.
  // The sorted table above is all lookups need; names are read again only for
  // the few functions that appear in profiles, so hand the pages back (they
  // are clean, read-only file pages and simply fault in again when touched).
  GElf_Addr bias = 0;
  Elf* elf = dwfl_->libdw.module_getelf(static_cast<Dwfl_Module*>(module_handle), &bias);
  size_t size = 0;
  char* image = elf != nullptr ? dwfl_->libdw.raw_file(elf, &size) : nullptr;
  if (image == nullptr || size == 0) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(image) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(image) + size) & ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

void Symbolizer::ReleaseFilePages() {
  if (!dwfl_) return;
  for (const auto& [module, functions] : functions_of_module_) ReleaseFilePages(module);
}

SymbolizedFrame Symbolizer::Resolve(uintptr_t pc) {
  SymbolizedFrame frame;
  if (!dwfl_ && !Refresh()) {
    frame.function = "[unknown]";
    return frame;
  }
  const uintptr_t original_pc = pc;
  pc = TranslateCodeAlias(aliases_, original_pc);
  Dwfl_Module* module = dwfl_->libdw.addrmodule(dwfl_->dwfl, pc);
  if (module == nullptr && refresh_allowed_) {
    // A module loaded (or an alias mapped) since the last look.
    refresh_allowed_ = false;
    if (Refresh()) {
      pc = TranslateCodeAlias(aliases_, original_pc);
      module = dwfl_->libdw.addrmodule(dwfl_->dwfl, pc);
    }
  }
  if (module == nullptr) {
    frame.function = "[unknown]";
    return frame;
  }
  // Reading the symbols loads the module's ELF file, which the build id
  // lookup in MappingFor needs.
  const std::vector<FunctionSymbol>& functions = FunctionsOf(module);
  frame.mapping = MappingFor(module);
  ModuleMapping& mapping = mappings_[frame.mapping];

  const LibdwApi& libdw = dwfl_->libdw;
  const char* symbol_name = nullptr;
  auto after = std::upper_bound(functions.begin(), functions.end(), pc,
                                [](uint64_t address, const FunctionSymbol& f) { return address < f.start; });
  if (after != functions.begin() && pc < std::prev(after)->end) symbol_name = std::prev(after)->name;
  if (symbol_name != nullptr) {
    frame.system_name = symbol_name;
    frame.function = Demangle(symbol_name);
    mapping.has_symbols = true;
  } else {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "+0x%llx", static_cast<unsigned long long>(pc - mapping.start));
    frame.function = Basename(mapping.path.c_str()) + buffer;
  }
  if (Dwfl_Line* line = libdw.module_getsrc(module, pc)) {
    int line_number = 0;
    if (const char* file = libdw.lineinfo(line, nullptr, &line_number, nullptr, nullptr, nullptr)) {
      frame.file = file;
      frame.line = line_number;
      mapping.has_lines = true;
    }
  }
  return frame;
}

bool Symbolizer::SymbolizeJs(uintptr_t address, bool bytecode) {
  const std::optional<JsFunctionName> name =
      JitCodeMap::Instance().Lookup(address, bytecode ? JsCodeKind::kBytecode : JsCodeKind::kMachineCode);
  if (!name) return false;
  js_frame_ = SymbolizedFrame{.function = name->function,
                              .system_name = name->function,
                              .file = name->script,
                              .line = name->line,
                              .column = name->column,
                              .mapping = name->builtin ? SymbolizedFrame::kOutsideModules : SymbolizedFrame::kJsCode};
  return true;
}

const SymbolizedFrame& Symbolizer::Symbolize(uintptr_t return_address) {
  if (IsJsBytecodeFrame(return_address)) {
    if (SymbolizeJs(JsBytecodeAddress(return_address), true)) return js_frame_;
    // Read from a frame that turned out not to be V8's (or code since
    // dropped): the interpreter is all that is known.
    js_frame_ = SymbolizedFrame{};
    js_frame_.function = "[js interpreted]";
    js_frame_.mapping = SymbolizedFrame::kJsCode;
    return js_frame_;
  }
  if (auto found = cache_.find(return_address); found != cache_.end()) return found->second;
  if (cache_.size() >= kMaxCachedFrames) cache_.clear();
  // A return address points after the call; the call itself is one byte back.
  const uintptr_t call_site = return_address > 0 ? return_address - 1 : 0;
  SymbolizedFrame frame = Resolve(call_site);
  if (frame.mapping == SymbolizedFrame::kOutsideModules || frame.system_name.empty()) {
    // Most likely V8's generated code, which moves and is reused: not cached.
    // (libdwfl may also attribute V8's code pages to a module, with no symbol.)
    if (SymbolizeJs(call_site, false)) return js_frame_;
    if (frame.mapping == SymbolizedFrame::kOutsideModules) {
      js_frame_ = std::move(frame);
      return js_frame_;
    }
  }
  return cache_.emplace(return_address, std::move(frame)).first->second;
}

}  // namespace heapagent
