#include "agent/native_heap_collector.h"

#include "sampling/jit_code_map.h"

#include <sys/auxv.h>

#include "agent/log.h"
#include "sampling/native_sampler.h"

namespace heapagent {

void NativeHeapCollector::WarmUp() {
  // Resolving the main executable's entry point makes libdwfl report every
  // module and read the executable's (for node: large) symbol table once.
  symbolizer_.Symbolize(static_cast<uintptr_t>(getauxval(AT_ENTRY)) + 1);
  symbolizer_.ReleaseFilePages();
}

void NativeHeapCollector::Collect(const pprof::ProfileWindow& window, bool is_final) {
  const NativeHeapSnapshot snapshot = TakeNativeHeapSnapshot();
  double in_use = 0, allocated = 0;
  uint64_t sites = 0;
  for (const NativeSite& site : snapshot.sites) {
    in_use += site.inuse_bytes;
    allocated += site.alloc_bytes;
    sites += site.inuse_bytes > 0 ? 1 : 0;
  }
  last_totals_ = {static_cast<uint64_t>(in_use), static_cast<uint64_t>(allocated), sites};
  const std::string profile = pprof::BuildNativeHeapProfile(snapshot, symbolizer_, window);
  symbolizer_.ReleaseFilePages();
  Log(LogLevel::kDebug, "native heap profile: %zu sites, %zu live samples%s", snapshot.sites.size(),
      snapshot.live_samples, is_final ? ", final" : "");
  if (JitCodeMap* js_code = JitCodeMap::IfCreated()) {
    Log(LogLevel::kDebug, "JS code map: %zu ranges, about %zu KiB", js_code->entries(),
        js_code->ApproximateBytes() / 1024);
  }
  sinks_.Deliver({.kind = "native", .window = window, .encoded = profile, .is_final = is_final});
}

}  // namespace heapagent
