// Copies V8's allocation profile (v8::AllocationProfile, read in-process) into
// a compact form the agent owns, on the isolate's own thread, as fast as
// possible: that thread is the app's, stopped for the duration.
//
// Names are interned once per sampling run: a profile node's function name
// and script URL are decoded from V8 strings the first time its node id is
// seen (node ids are unique for one sampling run, formats.md 2.3) and later
// reads only look the id up. New strings are handed to the agent's thread in
// order (TakeNewStrings), so the copy itself carries only small integers.
//
// What V8 returns is checked before it is trusted (the layout is our own
// declaration of V8's, v8_abi.h): the root must be named "(root)", vectors
// must be well-formed, pointers non-null, the tree finite and not too deep,
// lines non-negative, sizes and counts plausible. Any failure is a `problem`
// and the copy is unusable.
//
// Thread-safety: one AllocationProfileCopier per isolate, used only on that
// isolate's thread (TakeNewStrings included: its caller hands the strings
// over under its own lock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "v8direct/flat_id_map.h"
#include "v8direct/v8_abi.h"

namespace heapagent::v8direct {
struct RawTree;
enum class MemoryAccess;
}  // namespace heapagent::v8direct

namespace heapagent::v8direct {

// One profile node. line/column are V8's: 1-based function start, 0 = none.
// name/url are ids in the isolate's string table (0 is always "").
struct CopiedNode {
  uint32_t node_id = 0;
  int32_t parent = -1;  // index into IsolateHeapCopy::nodes, -1 for the root
  uint32_t name = 0;
  uint32_t url = 0;
  int32_t script_id = 0;
  int32_t position = 0;  // where the function starts in its script (V8's start_position)
  int32_t line = 0;
  int32_t column = 0;
};

// One sampled live object: `count` (scaled by V8) objects of `size` bytes.
struct CopiedSample {
  uint32_t node_id = 0;
  uint32_t count = 0;
  uint64_t size = 0;
  uint64_t sample_id = 0;
};

// One read of one isolate's sampler.
struct IsolateHeapCopy {
  std::vector<CopiedNode> nodes;  // pre-order: nodes[0] is the root, parents before children
  std::vector<CopiedSample> samples;
  std::optional<int64_t> external_bytes;  // V8's external memory, as process.memoryUsage().external
  // The isolate's heap at the read, as process.memoryUsage() reports it
  // (heapUsed, heapTotal, arrayBuffers); array buffers only when node's
  // allocator was recognised (v8_abi.h).
  std::optional<uint64_t> heap_used_bytes;
  std::optional<uint64_t> heap_total_bytes;
  std::optional<uint64_t> array_buffer_bytes;
  int64_t read_nanos = 0;  // time the read took on the isolate's thread
  int64_t v8_nanos = 0;    // of which V8 spent building its AllocationProfile
  int64_t read_cpu_nanos = 0;  // CPU time of the read (wall time suffers on a loaded host)
  bool from_tree = false;  // read from V8's own tree (sampler_tree_reader.h), not a v8::AllocationProfile
  size_t unlocated_nodes = 0;  // of a tree read: nodes of functions with no line yet (CopyFromTree)
};

// Turns a V8 string handle into UTF-8 (the real one calls V8; tests fake it).
class StringDecoder {
 public:
  virtual ~StringDecoder() = default;
  virtual void Decode(LocalHandle string, std::string& utf8) = 0;
};

// Limits on what is accepted from V8. V8's own stack depth cap is what the
// agent asks for (at most 1024); sizes and counts beyond these mean the
// layout is not what v8_abi.h declares.
inline constexpr size_t kMaxCopiedNodes = 2'000'000;
inline constexpr size_t kMaxCopiedSamples = 50'000'000;
inline constexpr size_t kMaxChildrenPerNode = 1'000'000;
inline constexpr int32_t kMaxCopiedDepth = 1024;
inline constexpr uint64_t kMaxSampleSize = uint64_t{1} << 40;
// v8::UnboundScript::kNoScriptId: VM states, builtins, "(root)".
inline constexpr int32_t kNoScriptId = 0;

class AllocationProfileCopier {
 public:
  AllocationProfileCopier();

  // Copies the tree under `root` and `samples` into `out` (its vectors are
  // reused). False, with a one-sentence `*problem`, when V8's data fails a
  // sanity check.
  bool Copy(const V8AllocationNode* root, const VectorView<V8AllocationSample>& samples, StringDecoder& decoder,
            IsolateHeapCopy& out, std::string* problem);

  // Builds `out` from a walk of V8's own tree: names read from V8's C
  // strings (once per string), script URL, line and column from what
  // earlier Copy calls saw for the same function (script id and start
  // position). A function never seen gets its script's URL if another
  // function of that script was seen, and no line, when
  // `unlocated_allowed`; otherwise the result is false, `out` unusable,
  // and the caller reads V8's AllocationProfile instead.
  bool CopyFromTree(const RawTree& tree, MemoryAccess access, bool unlocated_allowed, IsolateHeapCopy& out);

  // How a walk of V8's tree compares with a Copy of the same moment.
  enum class Agreement { kSame, kDifferent, kInconclusive };
  // Every node and sample of `tree` (possibly a prefix) must be in `copy`
  // with the same fields; one missing (V8 sampled or collected during its
  // translation) makes it inconclusive.
  Agreement Compare(const RawTree& tree, MemoryAccess access, const IsolateHeapCopy& copy);

  // The sampler restarted: node ids start over and mean other functions,
  // and V8's name strings may be new ones.
  void ForgetNodes() {
    names_of_node_.clear();
    name_of_address_.clear();
    from_tree_.Reset(0);
  }

  // Strings interned since the previous call, in id order: the first has id
  // `first_id`, the next first_id + 1, and so on.
  std::vector<std::string> TakeNewStrings(uint32_t* first_id);

  size_t interned_strings() const { return ids_.size(); }

 private:
  struct NodeNames {
    uint32_t name;
    uint32_t url;
  };
  uint32_t Intern(const std::string& text);
  bool NameOfAddress(const char* address, MemoryAccess access, uint32_t* name);
  bool NamesOf(const V8AllocationNode& node, bool is_root, StringDecoder& decoder, NodeNames* names,
               std::string* problem);

  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> new_strings_;
  uint32_t first_new_id_ = 0;
  std::unordered_map<uint32_t, NodeNames> names_of_node_;
  std::unordered_map<int32_t, uint32_t> url_of_script_;
  struct Location {
    uint32_t url;
    int32_t line;
    int32_t column;
  };
  static uint64_t FunctionKey(int32_t script_id, int32_t position) {
    return (uint64_t{static_cast<uint32_t>(script_id)} << 32) | static_cast<uint32_t>(position);
  }
  std::unordered_map<uint64_t, Location> location_of_function_;  // bounded like names_of_node_
  std::unordered_map<const char*, uint32_t> name_of_address_;    // V8's name strings, stable per sampler
  // What CopyFromTree made of a node id, with what it was made from (a
  // node's name, script and position never change; checking them keeps a
  // stale id harmless): one lookup per node instead of two.
  struct TreeNodeCopy {
    const char* name_address = nullptr;
    int32_t script_id = 0;
    int32_t position = 0;
    uint32_t name = 0;
    uint32_t url = 0;
    int32_t line = 0;
    int32_t column = 0;
  };
  FlatIdMap<TreeNodeCopy> from_tree_;  // bounded like names_of_node_
  std::string scratch_;
  struct Pending {
    const V8AllocationNode* node;
    int32_t parent;
    int32_t depth;
  };
  std::vector<Pending> stack_;  // reused across reads
};

}  // namespace heapagent::v8direct
