// The entry point of libheapagent_extensions.so (see extensions.h): hands
// libheapagent.so the JS heap collectors and the backends' sinks.
#include <utility>

#include "agent/direct_js_collector.h"
#include "agent/exporters/backend_sinks.h"
#include "agent/extensions.h"
#include "agent/js_heap_collector.h"
#include "agent/log.h"
#include "sampling/native_sampler.h"

namespace heapagent {
namespace {

void (*g_mark_thread_as_agent)() = nullptr;

template <typename Collector>
class Running final : public RunningJsCollector {
 public:
  template <typename Options>
  Running(const Options& options, ProfileSinks& sinks) : collector_(options, sinks) {}
  bool Start() { return collector_.Start(); }
  void FinishAndWait(std::chrono::milliseconds timeout) override { collector_.FinishAndWait(timeout); }

 private:
  Collector collector_;
};

template <typename Collector, typename Options>
RunningJsCollector* StartCollector(const Options& options, ProfileSinks& sinks) {
  auto* running = new Running<Collector>(options, sinks);
  if (running->Start()) return running;
  delete running;
  return nullptr;
}

bool AddBackendSinksEntry(const Config& config, const std::string& service, ProfileSinks& sinks,
                          std::function<std::unique_ptr<ProfileSink>()> file_fallback) {
  return AddBackendSinks(config, service, sinks, std::move(file_fallback));
}

constexpr Extensions kExtensions{
    .add_backend_sinks = &AddBackendSinksEntry,
    .prepare_direct_js = &PrepareDirectJs,
    .start_direct_js = &StartCollector<DirectJsCollector, DirectJsCollector::Options>,
    .start_cdp_js = &StartCollector<JsHeapCollector, JsHeapCollector::Options>,
};

}  // namespace

// This object has no sampler of its own: the thread state it marks is
// libheapagent.so's, so the collectors' and uploader's calls go there.
void MarkThreadAsAgent() { g_mark_thread_as_agent(); }

}  // namespace heapagent

extern "C" __attribute__((visibility("default"))) const heapagent::Extensions* heapagent_extensions_v1(
    const heapagent::ExtensionServices* services) {
  if (services == nullptr || services->mark_thread_as_agent == nullptr) return nullptr;
  heapagent::g_mark_thread_as_agent = services->mark_thread_as_agent;
  heapagent::SetLogLevel(services->log_level);
  return &heapagent::kExtensions;
}
