// A FIFO bounded by the bytes of what it holds: adding to a full queue drops
// the oldest entries first (old profiles are the least useful ones, and a
// backend may reject them as stale anyway), and counts what it dropped.
//
// Thread-safety: none; the owner locks if it shares the queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace heapagent {

template <typename T>
class DropOldestQueue {
 public:
  explicit DropOldestQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Adds `item`, which costs `bytes`, dropping the oldest entries until it
  // fits. An item larger than the whole bound is dropped itself. Returns the
  // number of entries dropped.
  size_t Push(T item, size_t bytes) {
    if (bytes > max_bytes_) {
      ++dropped_;
      return 1;
    }
    size_t dropped = 0;
    while (!entries_.empty() && bytes_ + bytes > max_bytes_) {
      bytes_ -= entries_.front().second;
      entries_.pop_front();
      ++dropped;
    }
    entries_.emplace_back(std::move(item), bytes);
    bytes_ += bytes;
    dropped_ += dropped;
    return dropped;
  }

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  size_t max_bytes() const { return max_bytes_; }
  T& front() { return entries_.front().first; }
  void pop_front() {
    bytes_ -= entries_.front().second;
    entries_.pop_front();
  }
  // Dropped since the last call.
  uint64_t TakeDropped() { return std::exchange(dropped_, 0); }

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;
  std::deque<std::pair<T, size_t>> entries_;
};

}  // namespace heapagent
