#include "agent/extensions.h"

#include <dlfcn.h>

#include <cstdlib>

#include "sampling/native_sampler.h"

namespace heapagent {
namespace {

constexpr const char* kExtensionsFile = "libheapagent_extensions.so";

// This library's directory, with its trailing slash ("" if unknown).
std::string OwnDirectory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&OwnDirectory), &info) == 0 || info.dli_fname == nullptr) return "";
  const std::string path = info.dli_fname;
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

const Extensions* Load(LogLevel log_level) {
  const std::string path = OwnDirectory() + kExtensionsFile;
  // RTLD_LOCAL: its symbols stay out of the app's namespace. NODELETE: its
  // threads and atexit work outlive any dlclose (none is ever made).
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (library == nullptr) {
    const char* error = dlerror();
    Log(LogLevel::kError, "could not load %s (%s); JS heap profiling and uploads are off", path.c_str(),
        error != nullptr ? error : "unknown error");
    return nullptr;
  }
  using Entry = decltype(&heapagent_extensions_v1);
  const auto entry = reinterpret_cast<Entry>(dlsym(library, HEAPAGENT_EXTENSIONS_ENTRY));
  const ExtensionServices services{.mark_thread_as_agent = &MarkThreadAsAgent, .log_level = log_level};
  const Extensions* extensions = entry != nullptr ? entry(&services) : nullptr;
  if (extensions == nullptr) {
    Log(LogLevel::kError, "%s is not the one built with this libheapagent.so; JS heap profiling and uploads are off",
        path.c_str());
  }
  return extensions;
}

}  // namespace

const Extensions* LoadExtensions(LogLevel log_level) {
  static const Extensions* const extensions = Load(log_level);
  return extensions;
}

}  // namespace heapagent
