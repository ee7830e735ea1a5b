// Every isolate of the process that the direct JS heap path samples (the main
// thread's and each worker's), and the reads of their samplers.
//
// Life of an isolate here:
// - Registration, on the isolate's own thread (napi_entry.cc, called when the
//   bootstrap loads the agent as a Node-API module): checks node's version
//   against the V8 the process was started with, learns the isolate
//   (v8::Isolate::GetCurrent) and node's Environment, starts V8's sampler
//   with no flags (no forced GC, ever), and registers node cleanup hooks.
// - Reads: the agent thread asks for one with node::RequestInterrupt, which
//   runs the callback on the isolate's thread either at V8's next interrupt
//   check (busy JS) or from the event loop (idle). The callback copies V8's
//   allocation profile into agent-owned memory (allocation_profile_copy.h)
//   and publishes it; everything else happens on the agent's thread.
// - The end: node's environment cleanup hook (a worker's end, including
//   Worker.terminate(), and the main thread's natural end) and, for the main
//   thread, node::AtExit (process.exit(), an uncaught exception: node runs
//   those before exiting, and never runs cleanup hooks then). The main
//   thread's last read is taken there, synchronously, as the final profile;
//   the sampler the agent started is stopped before the isolate goes away,
//   and the isolate is never touched again: requests for reads stop under
//   the registry lock before node frees the environment, and a read callback
//   node still runs later finds its isolate ended and does nothing.
//
// A sampler someone else started first (dd-trace's @datadog/pprof) is shared:
// read, never stopped. If someone stops the agent's, it is restarted (and
// reported) at the next read.
//
// Nothing here logs: problems are queued as sentences for the agent thread
// (TakeProblems), which says them once.
//
// Thread-safety: all public functions may be called from any thread; the
// callbacks node runs on isolate threads synchronise with the agent thread
// through one mutex, held only briefly (never during a V8 call).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "v8direct/agent_hooks.h"
#include "v8direct/allocation_profile_copy.h"
#include "v8direct/sampler_tree_reader.h"
#include "v8direct/v8_abi.h"

namespace heapagent::v8direct {

struct RegistrySettings {
  uint64_t sampling_interval = 512 * 1024;  // bytes, V8's mean sampling interval
  int stack_depth = 128;                    // frames; CDP's fixed depth, so both paths see the same stacks
  int node_major = 0;                       // the node major the V8 version belongs to (known_runtimes.h)
  AgentHooks hooks;                         // agent work marking, V8's code events (agent_hooks.h)
  bool read_tree = true;                    // read V8's sampler tree in place once proved (sampler_tree_reader.h)
};

// What one isolate has for the agent thread at one collection.
struct IsolateRead {
  uint64_t isolate_key = 0;  // stable for the isolate's lifetime, never reused
  int64_t thread_id = 0;     // node's threadId: 0 = main thread
  int64_t os_thread_id = 0;
  bool fresh = false;  // read in this round (else: the previous read, or none)
  bool ended = false;  // the isolate is gone: this is the last time it appears
  bool sampler_restarted = false;  // since the previous collection: sample ids started over
  std::shared_ptr<const IsolateHeapCopy> copy;  // null: no usable read yet
  // Strings interned since the previous collection; ids first_new_string...
  uint32_t first_new_string = 0;
  std::vector<std::string> new_strings;
};

class IsolateRegistry {
 public:
  // The process's one registry (node calls back into plain functions).
  static IsolateRegistry& Instance();

  // Once, before node starts (the library constructor). Until then,
  // registration refuses every isolate.
  void Configure(const V8Api& api, const RegistrySettings& settings);

  // On the isolate's own thread, from the Node-API entry. `thread_id` is
  // node's threadId as the bootstrap saw it (-1 = unknown), `node_major` is
  // what Node-API reports. False if the isolate is not sampled (the reason is
  // queued as a problem).
  bool RegisterCurrentIsolate(int64_t thread_id, int node_major);

  // Agent thread: asks every live isolate for a read; returns the round.
  uint64_t RequestReads();
  // Waits until every isolate asked in `round` answered (or ended), or
  // `deadline`, or `*abandon` turns true (recheck after NotifyWaiters).
  void WaitForReads(uint64_t round, std::chrono::steady_clock::time_point deadline,
                    const std::atomic<bool>& abandon);
  // What each isolate has now; isolates that ended are forgotten after this.
  std::vector<IsolateRead> TakeReads();
  // Wakes WaitForReads so it rechecks `abandon`.
  void NotifyWaiters();

  // Called (on the main thread, no lock held) once the main isolate's final
  // read has been published.
  void SetMainFinalReadListener(std::function<void()> listener);
  bool main_final_read_done() const;

  // Problems found on isolate threads since the previous call, each a sentence.
  std::vector<std::string> TakeProblems();

  size_t live_isolates() const;

 private:
  struct Entry;
  IsolateRegistry() = default;

  static void OnReadRequested(void* key);
  static void OnMainAtExit(void* key);
  static void OnEnvironmentCleanup(void* key);

  std::shared_ptr<Entry> Find(uint64_t key);
  void Read(Entry& entry, bool is_final);
  // On the isolate's thread. True when `copy` was read from V8's own tree.
  bool ReadTree(Entry& entry, bool is_final, IsolateHeapCopy& copy);
  // Proves the tree layout: a checked walk before an AllocationProfile
  // read (false: layout refuted, tree reads off), compared after it.
  bool StartTreeProof(Entry& entry);
  void FinishTreeProof(Entry& entry, const IsolateHeapCopy& copy);
  void TreeOff(Entry& entry, const std::string& problem);
  SamplerExpectations ExpectationsFor(const Entry& entry) const;
  void AddProblem(std::string problem);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<V8Api> api_;
  RegistrySettings settings_;
  std::map<uint64_t, std::shared_ptr<Entry>> entries_;
  uint64_t next_key_ = 1;
  uint64_t round_ = 0;
  bool main_final_read_done_ = false;
  std::function<void()> main_final_listener_;
  std::vector<std::string> problems_;
  bool reported_shared_sampler_ = false;
  bool reported_restart_ = false;
  bool reported_tree_off_ = false;
};

}  // namespace heapagent::v8direct
