// A deduplicating table that hands out dense 1-based ids in insertion order,
// the id scheme profile.proto uses for functions and locations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace heapagent::pprof {

// Mixes `value`'s hash into `seed` (the boost::hash_combine recipe, widened).
template <typename T>
void HashCombine(size_t& seed, const T& value) {
  seed ^= std::hash<T>{}(value) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}

// Hash and KeyEqual may be transparent (define is_transparent) so that a key
// can be looked up through a cheaper view type, e.g. std::string_view for
// std::string, without building a Key first.
template <typename Key, typename Hash, typename KeyEqual = std::equal_to<>>
class InternTable {
 public:
  // Returns the id of `key`, adding it with the next id if it is new.
  template <typename Lookup>
  uint64_t Intern(Lookup&& key) {
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;
    auto it = ids_.emplace(Key(std::forward<Lookup>(key)), by_id_.size() + 1).first;
    // unordered_map nodes never move, so the pointer survives rehashing.
    by_id_.push_back(&it->first);
    return it->second;
  }

  bool contains_id(uint64_t id) const { return id >= 1 && id <= by_id_.size(); }
  size_t size() const { return by_id_.size(); }

  // Calls visit(id, key) for every entry, in id order.
  template <typename Visitor>
  void ForEach(Visitor&& visit) const {
    for (size_t i = 0; i < by_id_.size(); ++i) visit(static_cast<uint64_t>(i + 1), *by_id_[i]);
  }

 private:
  std::unordered_map<Key, uint64_t, Hash, KeyEqual> ids_;
  std::vector<const Key*> by_id_;
};

}  // namespace heapagent::pprof
