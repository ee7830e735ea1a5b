#include "sampling/jemalloc_library.h"

#include <dlfcn.h>

#include <cstring>

namespace heapagent {
namespace {

constexpr char kDebianJemalloc[] = "libjemalloc.so.2";

// RTLD_LOCAL: when it is loaded here, jemalloc's own malloc and operator new
// must never join the global scope, where they would bypass the agent.
void* OpenJemalloc(const std::string& path, std::string& error) {
  if (!path.empty()) {
    if (void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
  } else {
    if (void* handle = dlopen(kDebianJemalloc, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) return handle;
    if (void* handle = dlopen(kDebianJemalloc, RTLD_NOW | RTLD_LOCAL)) return handle;
  }
  const char* message = dlerror();
  error = message != nullptr ? message : "unknown dlopen error";
  return nullptr;
}

std::string Explain(const std::string& library, const std::string& error) {
  if (error.find("static TLS") != std::string::npos) {
    return library + " cannot be loaded after start-up (" + error +
           "); install libheapagent-jemalloc.so next to libheapagent.so (cmake --install does), or start the "
           "process with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384";
  }
  if (error.find("No such file") != std::string::npos || error.find("cannot open shared object") != std::string::npos) {
    return library + " not found (Debian: apt-get install libjemalloc2)";
  }
  return library + " could not be loaded (" + error + ")";
}

template <typename Function>
Function Resolve(void* handle, const char* name) {
  return reinterpret_cast<Function>(dlsym(handle, name));
}

}  // namespace

JemallocLookup FindJemalloc(const std::string& path) {
  JemallocLookup lookup;
  const std::string library = path.empty() ? kDebianJemalloc : path;
  std::string error;
  void* handle = OpenJemalloc(path, error);
  if (handle == nullptr) {
    lookup.problem = Explain(library, error);
    return lookup;
  }
  // dlsym on the handle searches jemalloc's own scope: its definitions, not
  // the agent's (which come first in the global scope).
  JemallocFunctions& f = lookup.functions;
  f.malloc = Resolve<MallocFunction>(handle, "malloc");
  f.free = Resolve<FreeFunction>(handle, "free");
  f.calloc = Resolve<CallocFunction>(handle, "calloc");
  f.realloc = Resolve<ReallocFunction>(handle, "realloc");
  f.memalign = Resolve<MemalignFunction>(handle, "memalign");
  f.valloc = Resolve<MallocFunction>(handle, "valloc");
  f.usable_size = Resolve<UsableSizeFunction>(handle, "malloc_usable_size");
  f.mallctl = Resolve<MallctlFunction>(handle, "mallctl");
  if (!f.complete()) {
    lookup.problem = library + " lacks part of the malloc family or mallctl (an unprefixed jemalloc is needed)";
    return lookup;
  }
  const char* version = nullptr;
  size_t length = sizeof version;
  if (f.mallctl("version", &version, &length, nullptr, 0) == 0 && version != nullptr) lookup.version = version;
  // The handle is deliberately kept: jemalloc must outlive every block.
  return lookup;
}

}  // namespace heapagent
