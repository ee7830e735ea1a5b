#include "v8direct/v8_abi.h"

#include <dlfcn.h>

namespace heapagent::v8direct {
namespace {

// Looks `name` up in the process and stores it in `slot`; false if absent.
template <typename Function>
bool Find(Function*& slot, const char* name, std::string* missing) {
  slot = reinterpret_cast<Function*>(dlsym(RTLD_DEFAULT, name));
  if (slot == nullptr && missing != nullptr && missing->empty()) *missing = name;
  return slot != nullptr;
}

}  // namespace

std::optional<V8Api> ResolveV8Api(std::string* missing) {
  V8Api api{};
  std::string first_missing;
  // Itanium-mangled names, checked with `nm -D` against node 20, 22 and 24.
  bool ok = Find(api.v8_get_version, "_ZN2v82V810GetVersionEv", &first_missing);
  ok &= Find(api.isolate_get_current, "_ZN2v87Isolate10GetCurrentEv", &first_missing);
  ok &= Find(api.isolate_get_heap_profiler, "_ZN2v87Isolate15GetHeapProfilerEv", &first_missing);
  ok &= Find(api.isolate_get_current_context, "_ZN2v87Isolate17GetCurrentContextEv", &first_missing);
  ok &= Find(api.isolate_get_heap_statistics, "_ZN2v87Isolate17GetHeapStatisticsEPNS_14HeapStatisticsE",
             &first_missing);
  ok &= Find(api.start_sampling, "_ZN2v812HeapProfiler25StartSamplingHeapProfilerEmiNS0_13SamplingFlagsE",
             &first_missing);
  ok &= Find(api.stop_sampling, "_ZN2v812HeapProfiler24StopSamplingHeapProfilerEv", &first_missing);
  ok &= Find(api.get_allocation_profile, "_ZN2v812HeapProfiler20GetAllocationProfileEv", &first_missing);
  ok &= Find(api.handle_scope_construct, "_ZN2v811HandleScopeC1EPNS_7IsolateE", &first_missing);
  ok &= Find(api.handle_scope_destruct, "_ZN2v811HandleScopeD1Ev", &first_missing);
  ok &= Find(api.string_utf8_length, "_ZNK2v86String10Utf8LengthEPNS_7IsolateE", &first_missing);
  ok &= Find(api.string_write_utf8, "_ZNK2v86String9WriteUtf8EPNS_7IsolateEPciPii", &first_missing);
  ok &= Find(api.node_get_current_environment, "_ZN4node21GetCurrentEnvironmentEN2v85LocalINS0_7ContextEEE",
             &first_missing);
  ok &= Find(api.node_request_interrupt, "_ZN4node16RequestInterruptEPNS_11EnvironmentEPFvPvES2_", &first_missing);
  ok &= Find(api.node_at_exit, "_ZN4node6AtExitEPNS_11EnvironmentEPFvPvES2_", &first_missing);
  ok &= Find(api.node_add_environment_cleanup_hook, "_ZN4node25AddEnvironmentCleanupHookEPN2v87IsolateEPFvPvES3_",
             &first_missing);
  api.isolate_set_jit_code_event_handler =
      reinterpret_cast<decltype(api.isolate_set_jit_code_event_handler)>(dlsym(
          RTLD_DEFAULT, "_ZN2v87Isolate22SetJitCodeEventHandlerENS_19JitCodeEventOptionsEPFvPKNS_12JitCodeEventEE"));
  if (!ok) {
    if (missing != nullptr) *missing = first_missing;
    return std::nullopt;
  }
  // Optional: only the array-buffer figure of the heap summary needs them.
  Find(api.isolate_get_array_buffer_allocator, "_ZN2v87Isolate23GetArrayBufferAllocatorEv", nullptr);
  api.node_array_buffer_allocator_allocate = dlsym(RTLD_DEFAULT, "_ZN4node24NodeArrayBufferAllocator8AllocateEm");
  api.node_array_buffer_allocator_free = dlsym(RTLD_DEFAULT, "_ZN4node24NodeArrayBufferAllocator4FreeEPvm");
  return api;
}

std::optional<size_t> ArrayBufferUsageOffset(int node_major) {
  switch (node_major) {
    case 20:
    case 22:
      return 16;
    case 24:
      return 8;
    default:
      return std::nullopt;
  }
}

}  // namespace heapagent::v8direct
