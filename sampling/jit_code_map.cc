#include "sampling/jit_code_map.h"

#include <atomic>
#include <new>

#include "sampling/interpreter_frames.h"
#include "sampling/agent_work_scope.h"

namespace heapagent {
namespace {

std::atomic<JitCodeMap*> g_map{nullptr};

std::string NameKey(const CodeEventName& name) {
  return name.function + '\x1f' + name.script + '\x1f' + std::to_string(name.line) + ':' +
         std::to_string(name.column);
}

}  // namespace

JitCodeMap& JitCodeMap::Instance() {
  JitCodeMap* map = g_map.load(std::memory_order_acquire);
  if (map != nullptr) return *map;
  AgentWorkScope scope;
  auto* fresh = new JitCodeMap;  // never destroyed: V8 announces code until the process ends
  if (g_map.compare_exchange_strong(map, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;
  return *map;
}

JitCodeMap* JitCodeMap::IfCreated() { return g_map.load(std::memory_order_acquire); }

void JitCodeMap::ResetAfterFork() {
  // The parent's map (and its possibly held mutex) is abandoned, not freed.
  if (g_map.load(std::memory_order_relaxed) != nullptr) g_map.store(new JitCodeMap, std::memory_order_release);
}

void JitCodeMap::Add(uintptr_t start, size_t size, JsCodeKind kind, std::string_view v8_name) {
  if (start == 0 || size == 0 || start + size < start) return;
  AgentWorkScope scope;
  CodeEventName parsed = ParseCodeEventName(v8_name);
  if (parsed.kind == CodeEventNameKind::kInterpreter && kind == JsCodeKind::kMachineCode) {
    PublishInterpreterRange(start, start + size);
  }
  std::lock_guard lock(mutex_);
  Ranges& ranges = RangesOf(kind);
  EraseOverlapping(ranges, start, start + size);
  if (parsed.kind == CodeEventNameKind::kOther) return;
  Insert(kind, start, start + size, InternName(std::move(parsed)));
  EvictWhileOverBudget();
}

void JitCodeMap::Move(uintptr_t from, uintptr_t to) {
  AgentWorkScope scope;
  std::lock_guard lock(mutex_);
  for (JsCodeKind kind : {JsCodeKind::kBytecode, JsCodeKind::kMachineCode}) {
    Ranges& ranges = RangesOf(kind);
    const auto found = ranges.find(from);
    if (found == ranges.end()) continue;
    const uintptr_t size = found->second.end - from;
    const uint32_t name = found->second.name;
    ++names_[name].references;  // the moved range's reference, kept across the erase
    Erase(ranges, found);
    EraseOverlapping(ranges, to, to + size);
    Insert(kind, to, to + size, name);
    return;
  }
}

void JitCodeMap::Remove(uintptr_t start) {
  AgentWorkScope scope;
  std::lock_guard lock(mutex_);
  for (JsCodeKind kind : {JsCodeKind::kBytecode, JsCodeKind::kMachineCode}) {
    Ranges& ranges = RangesOf(kind);
    if (const auto found = ranges.find(start); found != ranges.end()) Erase(ranges, found);
  }
}

std::optional<JsFunctionName> JitCodeMap::Lookup(uintptr_t address, JsCodeKind kind) {
  std::lock_guard lock(mutex_);
  Ranges& ranges = RangesOf(kind);
  auto after = ranges.upper_bound(address);
  if (after == ranges.begin()) return std::nullopt;
  Range& range = std::prev(after)->second;
  if (address >= range.end) return std::nullopt;
  range.looked_up = true;
  return names_[range.name].value;
}

size_t JitCodeMap::entries() {
  std::lock_guard lock(mutex_);
  return machine_code_.size() + bytecode_.size();
}

size_t JitCodeMap::ApproximateBytes() {
  std::lock_guard lock(mutex_);
  // A red-black tree node: three pointers, a colour word, the pair.
  constexpr size_t kTreeNodeBytes = 4 * sizeof(void*) + sizeof(Ranges::value_type);
  return (machine_code_.size() + bytecode_.size()) * kTreeNodeBytes + order_.size() * sizeof(Inserted) +
         names_.capacity() * sizeof(Name) + 2 * name_bytes_ + name_ids_.size() * 4 * sizeof(void*);
}

void JitCodeMap::Insert(JsCodeKind kind, uintptr_t start, uintptr_t end, uint32_t name) {
  const uint64_t generation = next_generation_++;
  RangesOf(kind)[start] = Range{.end = end, .name = name, .generation = generation, .looked_up = false};
  order_.push_back({kind, start, generation});
}

void JitCodeMap::EraseOverlapping(Ranges& ranges, uintptr_t start, uintptr_t end) {
  auto it = ranges.upper_bound(start);
  if (it != ranges.begin() && std::prev(it)->second.end > start) it = std::prev(it);
  while (it != ranges.end() && it->first < end) {
    const auto next = std::next(it);
    Erase(ranges, it);
    it = next;
  }
}

void JitCodeMap::Erase(Ranges& ranges, Ranges::iterator it) {
  ReleaseName(it->second.name);
  ranges.erase(it);
}

uint32_t JitCodeMap::InternName(CodeEventName&& parsed) {
  std::string key = NameKey(parsed);
  if (const auto found = name_ids_.find(key); found != name_ids_.end()) {
    ++names_[found->second].references;
    return found->second;
  }
  uint32_t id;
  if (!free_names_.empty()) {
    id = free_names_.back();
    free_names_.pop_back();
  } else {
    id = static_cast<uint32_t>(names_.size());
    names_.emplace_back();
  }
  name_bytes_ += key.size();
  names_[id] = Name{.value = {.function = std::move(parsed.function),
                              .script = std::move(parsed.script),
                              .line = parsed.line,
                              .column = parsed.column,
                              .builtin = parsed.kind != CodeEventNameKind::kJsFunction},
                    .key = key,
                    .references = 1};
  name_ids_.emplace(std::move(key), id);
  return id;
}

void JitCodeMap::ReleaseName(uint32_t id) {
  Name& name = names_[id];
  if (--name.references != 0) return;
  name_bytes_ -= name.key.size();
  name_ids_.erase(name.key);
  name = Name{};
  free_names_.push_back(id);
}

void JitCodeMap::EvictWhileOverBudget() {
  // Bounded: each range is pushed once per insertion, and a range given a
  // second chance is pushed again only after it was looked up.
  while (!order_.empty() && (machine_code_.size() + bytecode_.size() > kMaxEntries || name_bytes_ > kMaxNameBytes)) {
    const Inserted oldest = order_.front();
    order_.pop_front();
    Ranges& ranges = RangesOf(oldest.kind);
    const auto found = ranges.find(oldest.start);
    if (found == ranges.end() || found->second.generation != oldest.generation) continue;  // moved or replaced
    if (found->second.looked_up) {
      found->second.looked_up = false;
      found->second.generation = next_generation_++;
      order_.push_back({oldest.kind, oldest.start, found->second.generation});
      continue;
    }
    Erase(ranges, found);
  }
  // Stale queue entries of moved/replaced ranges must not pile up either.
  if (order_.size() > 4 * kMaxEntries) {
    std::deque<Inserted> live;
    for (const Inserted& item : order_) {
      const Ranges& ranges = RangesOf(item.kind);
      const auto found = ranges.find(item.start);
      if (found != ranges.end() && found->second.generation == item.generation) live.push_back(item);
    }
    order_.swap(live);
  }
}

}  // namespace heapagent
