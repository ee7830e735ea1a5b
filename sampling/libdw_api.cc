#include "sampling/libdw_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace heapagent {

const LibdwApi* LoadLibdw() {
  static const LibdwApi* const api = []() -> const LibdwApi* {
    const char* urls = std::getenv("DEBUGINFOD_URLS");
    const std::string saved = urls ? urls : "";
    if (urls) unsetenv("DEBUGINFOD_URLS");
    void* library = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    if (urls) setenv("DEBUGINFOD_URLS", saved.c_str(), 1);
    if (library == nullptr) return nullptr;

    static LibdwApi loaded;
    bool complete = true;
    const auto bind = [&](auto& function, const char* name) {
      function = reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(library, name));
      complete = complete && function != nullptr;
    };
    bind(loaded.begin, "dwfl_begin");
    bind(loaded.end, "dwfl_end");
    bind(loaded.linux_proc_find_elf, "dwfl_linux_proc_find_elf");
    bind(loaded.linux_proc_maps_report, "dwfl_linux_proc_maps_report");
    bind(loaded.report_end, "dwfl_report_end");
    bind(loaded.addrmodule, "dwfl_addrmodule");
    bind(loaded.module_info, "dwfl_module_info");
    bind(loaded.module_build_id, "dwfl_module_build_id");
    bind(loaded.module_getsymtab, "dwfl_module_getsymtab");
    bind(loaded.module_getsym_info, "dwfl_module_getsym_info");
    bind(loaded.module_getsrc, "dwfl_module_getsrc");
    bind(loaded.lineinfo, "dwfl_lineinfo");
    bind(loaded.module_getelf, "dwfl_module_getelf");
    bind(loaded.raw_file, "elf_rawfile");
    return complete ? &loaded : nullptr;
  }();
  return api;
}

}  // namespace heapagent
