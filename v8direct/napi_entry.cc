// The Node-API module entry point of libheapagent_extensions.so (see
// agent/extensions.h): node calls it on the thread of each isolate whose
// bootstrap (bootstrap_file.h) loads the library with process.dlopen, and it
// registers that isolate (isolate_registry.h).
//
// Node-API is used only for this door in and for two reads: the node version
// (napi_get_node_version) and the `threadId` the bootstrap put on the exports
// object. Its functions are looked up, not linked: the library is preloaded
// into processes that are not node.
//
// Thread-safety: node calls the entry on the loading isolate's thread.
#include <dlfcn.h>

#include <cstdint>

#include "v8direct/isolate_registry.h"

namespace {

// Node-API's C types, as js_native_api_types.h / node_api_types.h declare them.
using napi_env = struct napi_env__*;
using napi_value = struct napi_value__*;
using napi_status = int;
constexpr napi_status kNapiOk = 0;
struct napi_node_version {
  uint32_t major;
  uint32_t minor;
  uint32_t patch;
  const char* release;
};

using GetNodeVersion = napi_status (*)(napi_env, const napi_node_version**);
using GetNamedProperty = napi_status (*)(napi_env, napi_value, const char*, napi_value*);
using GetValueInt64 = napi_status (*)(napi_env, napi_value, int64_t*);

int NodeMajor(napi_env env) {
  const auto get_node_version = reinterpret_cast<GetNodeVersion>(dlsym(RTLD_DEFAULT, "napi_get_node_version"));
  const napi_node_version* version = nullptr;
  if (get_node_version == nullptr || get_node_version(env, &version) != kNapiOk || version == nullptr) return -1;
  return static_cast<int>(version->major);
}

// exports.threadId as the bootstrap set it; -1 when absent.
int64_t BootstrapThreadId(napi_env env, napi_value exports) {
  const auto get_named_property = reinterpret_cast<GetNamedProperty>(dlsym(RTLD_DEFAULT, "napi_get_named_property"));
  const auto get_value_int64 = reinterpret_cast<GetValueInt64>(dlsym(RTLD_DEFAULT, "napi_get_value_int64"));
  if (get_named_property == nullptr || get_value_int64 == nullptr) return -1;
  napi_value value = nullptr;
  int64_t thread_id = -1;
  if (get_named_property(env, exports, "threadId", &value) != kNapiOk) return -1;
  if (get_value_int64(env, value, &thread_id) != kNapiOk) return -1;
  return thread_id;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  heapagent::v8direct::IsolateRegistry::Instance().RegisterCurrentIsolate(BootstrapThreadId(env, exports),
                                                                         NodeMajor(env));
  return exports;
}
