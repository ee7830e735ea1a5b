#include "v8direct/isolate_registry.h"

#include "v8direct/jit_code_events.h"
#include "v8direct/sampler_tree_reader.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace heapagent::v8direct {
namespace {

// Longest string decoded from V8 (function names, script URLs): longer ones
// are cut, which only shortens a label.
constexpr int kMaxDecodedBytes = 64 * 1024;

class V8StringDecoder final : public StringDecoder {
 public:
  V8StringDecoder(const V8Api& api, V8Isolate* isolate) : api_(api), isolate_(isolate) {}

  void Decode(LocalHandle string, std::string& utf8) override {
    int length = api_.string_utf8_length(string, isolate_);
    if (length <= 0) return;
    if (length > kMaxDecodedBytes) length = kMaxDecodedBytes;
    utf8.resize(static_cast<size_t>(length));
    const int written = api_.string_write_utf8(string, isolate_, utf8.data(), length, nullptr,
                                               kWriteUtf8NoNullTermination | kWriteUtf8ReplaceInvalid);
    utf8.resize(written > 0 && written <= length ? static_cast<size_t>(written) : 0);
  }

 private:
  const V8Api& api_;
  V8Isolate* isolate_;
};

void* KeyAsPointer(uint64_t key) { return reinterpret_cast<void*>(static_cast<uintptr_t>(key)); }
uint64_t KeyOf(void* pointer) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(pointer)); }

int64_t ThreadCpuNanos() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// process.memoryUsage().arrayBuffers of the isolate: the byte counter of
// node's own ArrayBuffer allocator, read only once its vtable shows it is
// node's NodeArrayBufferAllocator (see v8_abi.h). A relaxed atomic load.
std::optional<uint64_t> ReadArrayBufferBytes(const V8Api& api, V8Isolate* isolate, int node_major) {
  const std::optional<size_t> offset = ArrayBufferUsageOffset(node_major);
  if (!offset || api.isolate_get_array_buffer_allocator == nullptr ||
      api.node_array_buffer_allocator_allocate == nullptr || api.node_array_buffer_allocator_free == nullptr) {
    return std::nullopt;
  }
  const void* allocator = api.isolate_get_array_buffer_allocator(isolate);
  if (allocator == nullptr) return std::nullopt;
  const void* const* vtable = *static_cast<const void* const* const*>(allocator);
  if (vtable[kAllocatorAllocateSlot] != api.node_array_buffer_allocator_allocate ||
      vtable[kAllocatorFreeSlot] != api.node_array_buffer_allocator_free) {
    return std::nullopt;
  }
  const auto* usage =
      reinterpret_cast<const std::atomic<size_t>*>(static_cast<const char*>(allocator) + *offset);
  return usage->load(std::memory_order_relaxed);
}

int64_t NanosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct IsolateRegistry::Entry {
  // Fixed at registration.
  uint64_t key = 0;
  V8Isolate* isolate = nullptr;
  NodeEnvironment* environment = nullptr;
  V8HeapProfiler* profiler = nullptr;
  int64_t thread_id = 0;
  int64_t os_thread_id = 0;
  bool is_main = false;
  bool owns_sampler = false;

  // The isolate's thread only.
  AllocationProfileCopier copier;
  bool disabled = false;  // V8's data failed a sanity check: never read again
  // Reading V8's own tree (sampler_tree_reader.h): unproved until a checked
  // walk agreed with GetAllocationProfile; off after any doubt.
  enum class TreeState { kUnproved, kProved, kOff } tree_state = TreeState::kOff;
  int tree_proof_attempts = 0;
  // Tree reads since the last GetAllocationProfile read: a tree read meeting
  // a function never seen takes that slow path only once this reaches
  // kTreeReadsBeforeLocating (sampler_tree_reader.h).
  int tree_reads_since_profile = 0;
  std::unique_ptr<SamplerTreeReader> tree_reader;
  RawTree tree;  // reused across reads

  // Under the registry mutex.
  bool ended = false;
  bool final_read_done = false;
  bool sampler_restarted = false;
  uint64_t requested_round = 0;
  uint64_t answered_round = 0;
  bool fresh = false;
  std::shared_ptr<const IsolateHeapCopy> latest;
  uint32_t first_pending_string = 0;
  std::vector<std::string> pending_strings;
};

IsolateRegistry& IsolateRegistry::Instance() {
  static IsolateRegistry* registry = new IsolateRegistry;  // never destroyed: node calls in during exit
  return *registry;
}

void IsolateRegistry::Configure(const V8Api& api, const RegistrySettings& settings) {
  std::lock_guard lock(mutex_);
  api_ = api;
  settings_ = settings;
  SetJitCodeHooks(settings.hooks);
}

void IsolateRegistry::AddProblem(std::string problem) {
  std::lock_guard lock(mutex_);
  if (problems_.size() < 64) problems_.push_back(std::move(problem));
}

std::vector<std::string> IsolateRegistry::TakeProblems() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> taken;
  taken.swap(problems_);
  return taken;
}

std::shared_ptr<IsolateRegistry::Entry> IsolateRegistry::Find(uint64_t key) {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(key);
  return found == entries_.end() ? nullptr : found->second;
}

bool IsolateRegistry::RegisterCurrentIsolate(int64_t thread_id, int node_major) {
  std::optional<ScopedAgentWork> unsampled;  // on the isolate's thread, for the agent
  std::optional<V8Api> api;
  RegistrySettings settings;
  {
    std::lock_guard lock(mutex_);
    api = api_;
    settings = settings_;
  }
  if (!api) return false;  // direct mode was not prepared: an app loading the library itself
  unsampled.emplace(settings.hooks);
  if (node_major != settings.node_major) {
    AddProblem("node reports major version " + std::to_string(node_major) + " but its V8 is node " +
               std::to_string(settings.node_major) + "'s; this isolate's JS heap is not profiled");
    return false;
  }
  V8Isolate* isolate = api->isolate_get_current();
  if (isolate == nullptr) {
    AddProblem("no current V8 isolate on a thread that loaded the bootstrap; its JS heap is not profiled");
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, entry] : entries_) {
      if (entry->isolate == isolate && !entry->ended) return true;  // loaded twice: already sampled
    }
  }
  NodeEnvironment* environment = api->node_get_current_environment(api->isolate_get_current_context(isolate));
  V8HeapProfiler* profiler = api->isolate_get_heap_profiler(isolate);
  if (environment == nullptr || profiler == nullptr) {
    AddProblem("node gave no environment or heap profiler for an isolate; its JS heap is not profiled");
    return false;
  }

  auto entry = std::make_shared<Entry>();
  entry->isolate = isolate;
  entry->environment = environment;
  entry->profiler = profiler;
  entry->os_thread_id = static_cast<int64_t>(syscall(SYS_gettid));
  entry->is_main = entry->os_thread_id == static_cast<int64_t>(getpid());
  entry->thread_id = entry->is_main ? 0 : thread_id;
  // No flags: V8 then never collects garbage for a read. False means a
  // sampler already runs (someone else's): shared, never stopped.
  entry->owns_sampler =
      api->start_sampling(profiler, settings.sampling_interval, settings.stack_depth, kSamplingNoFlags);
  {
    std::lock_guard lock(mutex_);
    entry->key = next_key_++;
    entries_.emplace(entry->key, entry);
    if (!entry->owns_sampler && !reported_shared_sampler_) {
      reported_shared_sampler_ = true;
      problems_.push_back(
          "V8's sampling heap profiler was already running in an isolate (another profiler, e.g. dd-trace); "
          "heapagent shares it: its interval applies, not HEAPAGENT_JS_INTERVAL");
    }
  }
  if (const auto layout = SamplerTreeLayoutFor(settings.node_major); layout && settings.read_tree && entry->owns_sampler) {
    entry->tree_reader = std::make_unique<SamplerTreeReader>(*layout);
    entry->tree_state = Entry::TreeState::kUnproved;
  }
  StartJitCodeEvents(*api, isolate);
  api->node_add_environment_cleanup_hook(isolate, &IsolateRegistry::OnEnvironmentCleanup, KeyAsPointer(entry->key));
  if (entry->is_main) api->node_at_exit(environment, &IsolateRegistry::OnMainAtExit, KeyAsPointer(entry->key));
  return true;
}

void IsolateRegistry::Read(Entry& entry, bool is_final) {
  // On the isolate's thread, inside a node interrupt, AtExit or cleanup hook.
  if (entry.disabled) return;
  ScopedAgentWork unsampled(settings_.hooks);
  const V8Api& api = *api_;  // set before any isolate registered, never changed
  if (api.isolate_get_current() != entry.isolate) {
    entry.disabled = true;
    AddProblem("a JS heap read ran outside its isolate; that isolate's JS heap is no longer profiled");
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  const int64_t cpu_started = ThreadCpuNanos();
  auto copy = std::make_shared<IsolateHeapCopy>();
  std::string problem;
  bool restarted = false;
  bool ok = true;
  if (!ReadTree(entry, is_final, *copy)) {
    // The proof's checked walk comes first: what V8 samples while it
    // translates (new nodes and samples head its lists) is then not in it.
    const bool proving = entry.tree_state == Entry::TreeState::kUnproved && StartTreeProof(entry);
    HandleScopeStorage scope;
    api.handle_scope_construct(&scope, entry.isolate);
    const auto v8_started = std::chrono::steady_clock::now();
    V8AllocationProfile* profile = api.get_allocation_profile(entry.profiler);
    copy->v8_nanos = NanosSince(v8_started);
    if (profile == nullptr) {
      // Someone stopped V8's sampler (another profiler's stop()). Start it
      // again; its history is gone and its ids start over.
      ok = false;
      if (!is_final) {
        entry.owns_sampler = api.start_sampling(entry.profiler, settings_.sampling_interval, settings_.stack_depth,
                                                kSamplingNoFlags);
        entry.copier.ForgetNodes();
        restarted = true;
        if (!entry.owns_sampler) entry.tree_state = Entry::TreeState::kOff;  // someone else's now
      }
    } else {
      V8StringDecoder decoder(api, entry.isolate);
      ok = entry.copier.Copy(profile->GetRootNode(), profile->GetSamples(), decoder, *copy, &problem);
      delete profile;
      entry.tree_reads_since_profile = 0;
      if (ok && proving) FinishTreeProof(entry, *copy);
    }
    api.handle_scope_destruct(&scope);
  }
  if (ok) {
    size_t statistics[kHeapStatisticsWords] = {};
    api.isolate_get_heap_statistics(entry.isolate, statistics);
    copy->external_bytes = static_cast<int64_t>(statistics[kHeapStatisticsExternalMemoryWord]);
    copy->heap_used_bytes = statistics[kHeapStatisticsUsedHeapSizeWord];
    copy->heap_total_bytes = statistics[kHeapStatisticsTotalHeapSizeWord];
    copy->array_buffer_bytes = ReadArrayBufferBytes(api, entry.isolate, settings_.node_major);
  } else if (!problem.empty()) {
    // Distrust everything after one implausible read: stop, never read again.
    entry.disabled = true;
    if (entry.owns_sampler) api.stop_sampling(entry.profiler);
    entry.owns_sampler = false;
  }
  copy->read_nanos = NanosSince(started);
  copy->read_cpu_nanos = ThreadCpuNanos() - cpu_started;

  uint32_t first_new = 0;
  std::vector<std::string> new_strings = entry.copier.TakeNewStrings(&first_new);
  {
    std::lock_guard lock(mutex_);
    if (ok) {
      entry.latest = std::move(copy);
      entry.fresh = true;
    }
    if (entry.pending_strings.empty()) entry.first_pending_string = first_new;
    for (std::string& text : new_strings) entry.pending_strings.push_back(std::move(text));
    if (restarted) {
      entry.sampler_restarted = true;
      entry.latest = nullptr;
      if (!reported_restart_) {
        reported_restart_ = true;
        problems_.push_back(
            "V8's sampling heap profiler was stopped by someone else in this process (another profiler?); "
            "heapagent restarts it, in-use history before now is lost");
      }
    }
    if (!problem.empty()) {
      problems_.push_back(problem + "; that isolate's JS heap is no longer profiled");
    }
    entry.answered_round = entry.requested_round;
  }
  changed_.notify_all();
}

SamplerExpectations IsolateRegistry::ExpectationsFor(const Entry& entry) const {
  return {.isolate = entry.isolate, .rate = settings_.sampling_interval, .stack_depth = settings_.stack_depth};
}

bool IsolateRegistry::ReadTree(Entry& entry, bool is_final, IsolateHeapCopy& copy) {
  if (entry.tree_state != Entry::TreeState::kProved) return false;
  // A stopped sampler is the AllocationProfile path's to notice and restart.
  if (SamplerTreeReader::SamplerAbsent(entry.profiler, entry.tree_reader->layout(), MemoryAccess::kDirect)) return false;
  std::string problem;
  if (!entry.tree_reader->Read(entry.profiler, ExpectationsFor(entry), MemoryAccess::kDirect, kMaxCopiedNodes,
                               kMaxCopiedSamples, entry.tree, &problem)) {
    TreeOff(entry, problem);
    return false;
  }
  // A function never seen in an AllocationProfile has no line yet (nor a
  // URL, if its script is new): this read takes the AllocationProfile path,
  // which learns them, unless one did recently; until then such frames go
  // without a line. Never in the final profile, the one left behind.
  const bool unlocated_allowed = !is_final && entry.tree_reads_since_profile < kTreeReadsBeforeLocating;
  if (!entry.copier.CopyFromTree(entry.tree, MemoryAccess::kDirect, unlocated_allowed, copy)) return false;
  ++entry.tree_reads_since_profile;
  return true;
}

bool IsolateRegistry::StartTreeProof(Entry& entry) {
  // Checked loads (never a fault) over a bounded prefix: each load is a
  // system call, so the prefix is small; it still covers every field.
  if (!SamplerTreeReader::CheckedLoadsWork()) {
    entry.tree_state = Entry::TreeState::kOff;  // a sandbox's choice, not a problem to report
    return false;
  }
  std::string problem;
  if (!entry.tree_reader->Read(entry.profiler, ExpectationsFor(entry), MemoryAccess::kChecked, kTreeProofNodes,
                               kTreeProofSamples, entry.tree, &problem)) {
    TreeOff(entry, problem);
    return false;
  }
  return true;
}

void IsolateRegistry::FinishTreeProof(Entry& entry, const IsolateHeapCopy& copy) {
  switch (entry.copier.Compare(entry.tree, MemoryAccess::kChecked, copy)) {
    case AllocationProfileCopier::Agreement::kSame:
      entry.tree_state = Entry::TreeState::kProved;
      break;
    case AllocationProfileCopier::Agreement::kDifferent:
      TreeOff(entry, "a walk of V8's sampler tree disagrees with V8's allocation profile");
      break;
    case AllocationProfileCopier::Agreement::kInconclusive:
      if (++entry.tree_proof_attempts >= kTreeProofAttempts) {
        TreeOff(entry, "a walk of V8's sampler tree never matched V8's allocation profile");
      }
      break;
  }
}

void IsolateRegistry::TreeOff(Entry& entry, const std::string& problem) {
  entry.tree_state = Entry::TreeState::kOff;
  std::lock_guard lock(mutex_);
  if (reported_tree_off_) return;
  reported_tree_off_ = true;
  problems_.push_back(problem + "; JS heap reads use V8's allocation profile (slower) from now on");
}

void IsolateRegistry::OnReadRequested(void* key) {
  IsolateRegistry& registry = Instance();
  const std::shared_ptr<Entry> entry = registry.Find(KeyOf(key));
  if (entry == nullptr) return;
  {
    std::lock_guard lock(registry.mutex_);
    if (entry->ended || entry->final_read_done) return;
  }
  registry.Read(*entry, false);
}

void IsolateRegistry::OnMainAtExit(void* key) {
  IsolateRegistry& registry = Instance();
  const std::shared_ptr<Entry> entry = registry.Find(KeyOf(key));
  if (entry == nullptr) return;
  std::function<void()> listener;
  {
    std::lock_guard lock(registry.mutex_);
    if (entry->ended || entry->final_read_done) return;
  }
  registry.Read(*entry, true);
  {
    std::lock_guard lock(registry.mutex_);
    entry->final_read_done = true;
    registry.main_final_read_done_ = true;
    listener = registry.main_final_listener_;
  }
  registry.changed_.notify_all();
  if (listener) listener();
}

void IsolateRegistry::OnEnvironmentCleanup(void* key) {
  IsolateRegistry& registry = Instance();
  const std::shared_ptr<Entry> entry = registry.Find(KeyOf(key));
  if (entry == nullptr) return;
  // The main thread's natural end: its final read happens here (AtExit runs
  // after the cleanup hooks then, or not at all after process.exit()).
  if (entry->is_main) OnMainAtExit(key);
  // Stopped while the isolate is whole, so that no sampled object's weak
  // callback runs into a half-torn-down sampler.
  if (entry->owns_sampler && !entry->disabled) registry.api_->stop_sampling(entry->profiler);
  if (registry.settings_.hooks.wants_code_events()) StopJitCodeEvents(*registry.api_, entry->isolate);
  {
    std::lock_guard lock(registry.mutex_);
    entry->ended = true;
    entry->owns_sampler = false;
  }
  registry.changed_.notify_all();
}

uint64_t IsolateRegistry::RequestReads() {
  std::lock_guard lock(mutex_);
  const uint64_t round = ++round_;
  if (!api_) return round;
  for (auto& [key, entry] : entries_) {
    if (entry->ended || entry->final_read_done) continue;
    entry->requested_round = round;
    // Under the lock: the cleanup hook takes it before the environment can
    // go away, so `environment` is alive for this call.
    api_->node_request_interrupt(entry->environment, &IsolateRegistry::OnReadRequested, KeyAsPointer(key));
  }
  return round;
}

void IsolateRegistry::WaitForReads(uint64_t round, std::chrono::steady_clock::time_point deadline,
                                   const std::atomic<bool>& abandon) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] {
    if (abandon.load()) return true;
    for (const auto& [key, entry] : entries_) {
      if (entry->requested_round == round && entry->answered_round < round && !entry->ended &&
          !entry->final_read_done) {
        return false;
      }
    }
    return true;
  });
}

void IsolateRegistry::NotifyWaiters() {
  { std::lock_guard lock(mutex_); }
  changed_.notify_all();
}

std::vector<IsolateRead> IsolateRegistry::TakeReads() {
  std::lock_guard lock(mutex_);
  std::vector<IsolateRead> reads;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = *it->second;
    IsolateRead read;
    read.isolate_key = entry.key;
    read.thread_id = entry.thread_id;
    read.os_thread_id = entry.os_thread_id;
    read.fresh = entry.fresh;
    // The main isolate stays listed after its end: its final read is what
    // the final profile is made of.
    const bool forget = entry.ended && !entry.is_main;
    read.ended = forget;
    read.sampler_restarted = entry.sampler_restarted;
    read.copy = entry.latest;
    read.first_new_string = entry.first_pending_string;
    read.new_strings.swap(entry.pending_strings);
    entry.first_pending_string += static_cast<uint32_t>(read.new_strings.size());
    entry.fresh = false;
    entry.sampler_restarted = false;
    reads.push_back(std::move(read));
    it = forget ? entries_.erase(it) : std::next(it);
  }
  return reads;
}

void IsolateRegistry::SetMainFinalReadListener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  main_final_listener_ = std::move(listener);
}

bool IsolateRegistry::main_final_read_done() const {
  std::lock_guard lock(mutex_);
  return main_final_read_done_;
}

size_t IsolateRegistry::live_isolates() const {
  std::lock_guard lock(mutex_);
  size_t live = 0;
  for (const auto& [key, entry] : entries_) live += entry->ended ? 0 : 1;
  return live;
}

}  // namespace heapagent::v8direct
