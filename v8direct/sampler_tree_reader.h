// Reads V8's sampling heap profiler tree and live samples in place
// (sampler_tree_layout.h), on the isolate's thread, instead of asking V8 to
// build a v8::AllocationProfile. Measured on node 20/22/24 with ~9k nodes and
// ~27k samples: about 30% of GetAllocationProfile's time, and independent of
// script URL length (V8's conversion doubles with 230-character paths).
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
// is named "(root)"; every child's parent is the node it hangs from; map and
// list sizes match what was walked; node and sample counts, depth and ids are
// bounded; each sample's owner is a node of the walked tree.
//
// Not thread-safe: one reader per isolate, used on the isolate's thread while
// V8 cannot run (an interrupt callback), so the tree cannot change under it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "v8direct/allocation_profile_copy.h"
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
  std::vector<RawNode> nodes;  // pre-order, children in V8's order (as GetAllocationProfile)
  std::vector<CopiedSample> samples;
  bool truncated = false;  // a bounded (checked) walk stopped early
};

struct SamplerExpectations {
  const void* isolate = nullptr;
  uint64_t rate = 0;
  int stack_depth = 0;
};

enum class MemoryAccess { kChecked, kDirect };

// The proof of a layout: a checked walk of this many nodes and samples,
// compared with GetAllocationProfile; retried while V8 changed in between.
inline constexpr size_t kTreeProofNodes = 64;
inline constexpr size_t kTreeProofSamples = 512;
inline constexpr int kTreeProofAttempts = 5;

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

  // V8's node address -> index in RawTree::nodes (open addressing, reused):
  // proves each sample's owner is a walked node without loading from it.
  class AddressIndex {
   public:
    void Reset(size_t expected);
    bool Insert(uintptr_t address, int32_t index);  // false: already there
    int32_t Find(uintptr_t address) const;          // -1: absent

   private:
    struct Slot {
      uintptr_t address = 0;
      int32_t index = -1;
    };
    size_t Hash(uintptr_t address) const;
    void Grow();
    std::vector<Slot> slots_;
    size_t mask_ = 0;
    unsigned shift_ = 64;
    size_t size_ = 0;
  };

  SamplerTreeLayout layout_;
  AddressIndex index_of_address_;
  struct Pending {
    uintptr_t node;
    int32_t parent;
    int32_t depth;
  };
  std::vector<Pending> stack_;               // reused across reads
  std::vector<uintptr_t> children_;          // one node's children, reused
  std::vector<int32_t> index_of_id_;         // node id -> index in RawTree::nodes, -1 = none
  std::vector<uintptr_t> address_of_index_;  // index in RawTree::nodes -> V8's node
};

}  // namespace heapagent::v8direct
