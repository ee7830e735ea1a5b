// Reads V8's sampling heap profiler tree and live samples in place
// (sampler_tree_layout.h), on the isolate's thread, instead of asking V8 to
// build a v8::AllocationProfile. Measured on node 20/22/24 with ~9k nodes and
// ~27k samples: about a fifth of GetAllocationProfile's time, and independent
// of script URL length (V8's conversion doubles with 230-character paths).
// What is left is cache misses on V8's objects (nodes, red-black map nodes,
// hash nodes, samples); the walks keep many in flight at once (prefetching
// along breadth-first and bucket-by-bucket work lists) rather than follow
// V8's pointers one after another.
//
// What the walk gives per node is what V8 keeps: id, parent, function name
// (a C string V8's StringsStorage owns and never frees while the sampler
// runs), script id and the function's start position. Script URLs and
// line/column are not in the tree; the caller resolves them from earlier
// GetAllocationProfile reads (allocation_profile_copy.h).
//
// Two ways to read memory:
// - checked: every load goes through process_vm_readv on this process, so a
//   wrong address is an error, never a fault. Used to prove the layout on a
//   bounded prefix of the tree before any plain load is made.
// - direct: plain loads, only once the layout was proved for this sampler.
// Both check what they read: the sampler belongs to this isolate and has the
// rate and depth the agent started it with; the root has no parent, id 1 and
// is named "(root)"; every child's parent is the node it hangs from, every
// red-black map node's parent the one it hangs from, every sample's hash
// node sits in its bucket; map sizes match what was walked; node and sample counts, depth and ids are
// bounded; each sample's owner is a node of the walked tree.
//
// Not thread-safe: one reader per isolate, used on the isolate's thread while
// V8 cannot run (an interrupt callback), so the tree cannot change under it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "v8direct/allocation_profile_copy.h"
#include "v8direct/flat_id_map.h"
#include "v8direct/sampler_tree_layout.h"

namespace heapagent::v8direct {

struct RawNode {
  uint32_t node_id = 0;
  int32_t parent = -1;  // index into RawTree::nodes, -1 for the root
  const char* name = nullptr;  // V8's address; read with SamplerTreeReader::ReadName
  int32_t script_id = 0;
  int32_t position = 0;
};

struct RawTree {
  std::vector<RawNode> nodes;  // pre-order (siblings not in V8's order)
  std::vector<CopiedSample> samples;
  bool truncated = false;  // a bounded (checked) walk stopped early
};

struct SamplerExpectations {
  const void* isolate = nullptr;
  uint64_t rate = 0;
  int stack_depth = 0;
};

enum class MemoryAccess { kChecked, kDirect };

// How many steps ahead the walks (and the copy from a walk) prefetch: enough
// independent loads in flight to hide a cache miss, few enough that they
// are still cached when used (8 to 64 measured alike on node 20).
inline constexpr size_t kPrefetchDistance = 16;

// The proof of a layout: a checked walk of this many nodes and samples,
// compared with GetAllocationProfile; retried while V8 changed in between.
inline constexpr size_t kTreeProofNodes = 64;
inline constexpr size_t kTreeProofSamples = 512;
inline constexpr int kTreeProofAttempts = 5;
// New functions keep appearing in a running app (a rarely taken path gets
// its first sample); locating them takes a GetAllocationProfile read, 4–5
// times a tree read's cost. At most one such read per this many tree reads:
// in between, their frames have a name (and the script's URL if known) but
// no line.
inline constexpr int kTreeReadsBeforeLocating = 10;

class SamplerTreeReader {
 public:
  explicit SamplerTreeReader(const SamplerTreeLayout& layout) : layout_(layout) {}
  const SamplerTreeLayout& layout() const { return layout_; }

  // Walks the sampler of the i::HeapProfiler at `heap_profiler`. With
  // `max_nodes`/`max_samples` below the real counts the walk stops there
  // and sets out.truncated (checked proofs only). False, with a sentence in
  // `*problem`, when anything read is not what the layout promises; `out`
  // is then unusable.
  bool Read(const void* heap_profiler, const SamplerExpectations& expected, MemoryAccess access, size_t max_nodes,
            size_t max_samples, RawTree& out, std::string* problem);

  // The C string at `name` (at most 64 KiB), or false if unreadable.
  static bool ReadName(const char* name, MemoryAccess access, std::string& out);

  // False where checked loads cannot work at all (process_vm_readv refused
  // by a seccomp policy): no proof is possible, which is no fault of V8's.
  static bool CheckedLoadsWork();

  // True when the sampler is not there (stopped): nothing to read.
  static bool SamplerAbsent(const void* heap_profiler, const SamplerTreeLayout& layout, MemoryAccess access);

 private:
  template <typename Memory>
  bool Walk(const Memory& memory, uintptr_t heap_profiler, const SamplerExpectations& expected, size_t max_nodes,
            size_t max_samples, RawTree& out, std::string* problem);

  // Walks V8's samples map bucket by bucket (see the .cc); appends to out.samples.
  template <typename Memory>
  bool WalkSamples(const Memory& memory, uintptr_t sampler, uint64_t rate, size_t max_samples, RawTree& out,
                   std::string* problem);

  SamplerTreeLayout layout_;
  // V8's node address -> node id, reused: proves each sample's owner is a
  // walked node without loading from it.
  FlatIdMap<uint32_t> id_of_address_;
  size_t last_node_count_ = 0;  // sizes the map for the next read
  struct Pending {
    uintptr_t node;
    uintptr_t parent_node;  // V8's address of the parent, 0 for the root
    int32_t parent;         // index in RawTree::nodes
    int32_t depth;
  };
  std::vector<Pending> stack_;       // reused across reads
  std::vector<uintptr_t> children_;  // one node's children, reused
  struct MapNode {
    uintptr_t node;    // a node of a children map's red-black tree
    uintptr_t parent;  // the one it hangs from (the map's header for the top)
  };
  std::vector<MapNode> map_nodes_;  // one children map's nodes, reused
  // The samples walk's work lists, reused across reads.
  struct ChainLink {
    uintptr_t hash_node;  // a node of V8's samples map (or the one before a bucket's first)
    size_t bucket;
    bool first;  // the bucket's first node: it must be in that bucket
  };
  std::vector<ChainLink> links_;
  std::vector<ChainLink> next_links_;
  std::vector<uintptr_t> sample_addresses_;
};

}  // namespace heapagent::v8direct
