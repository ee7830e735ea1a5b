// A call tree (the data of a flame graph): stacks merged from the entry point
// down, each node carrying one value per "slot" (a sample type; for a diff,
// the new profile's types followed by the base profile's). Frames merge by
// function and file, as pprof's flame graph does, so lines of one function
// do not split it.
//
// Thread-safety: none; build on one thread, then read from any.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/stack_frames.h"

namespace heapagent::cli {

struct CallTreeNode {
  Frame frame;                     // the root's is empty
  std::vector<double> values;      // one per slot, including all descendants
  std::vector<uint32_t> children;  // node indexes
};

class CallTree {
 public:
  explicit CallTree(size_t slots);

  // Adds `values` (slot-sized; may be shorter, starting at `first_slot`) to
  // every node of `leaf_first`'s path from the root.
  void Add(std::span<const Frame> leaf_first, std::span<const double> values, size_t first_slot = 0);

  size_t slots() const { return slots_; }
  const std::vector<CallTreeNode>& nodes() const { return nodes_; }
  const CallTreeNode& root() const { return nodes_[0]; }

 private:
  uint32_t Child(uint32_t parent, const Frame& frame);

  size_t slots_;
  std::vector<CallTreeNode> nodes_;
  std::unordered_map<std::string, uint32_t> child_index_;  // parent + function + file
};

}  // namespace heapagent::cli
