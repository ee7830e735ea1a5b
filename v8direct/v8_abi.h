// The few V8 and node entry points the direct JS heap path calls, declared by
// the project itself (node's headers are not used: they differ per version and
// are not installed everywhere), and looked up in the running node binary.
//
// Why lookup instead of linking: libheapagent.so is preloaded into every
// process, most of them not node; an undefined V8 symbol would break them.
// Each entry point is found with dlsym(RTLD_DEFAULT, <Itanium-mangled name>),
// and direct mode is only used when every one of them is found.
//
// What was checked, in node's own headers (v8-profiler.h, v8-local-handle.h,
// v8-primitive.h, v8-statistics.h, node.h) of node 20.20 (V8 11.3.244),
// 22.23 (V8 12.4.254) and 24.21 (V8 13.6.233), and is the same in all three:
// - v8::AllocationProfile: virtual GetRootNode(), GetSamples(), then the
//   virtual destructor (so vtable slots 0, 1, then D1/D0), and the Node,
//   Allocation and Sample structs below, field for field;
// - v8::Local<T> is one pointer (node builds V8 without direct handles:
//   common.gypi v8_enable_direct_local=0) with no user-declared copy
//   constructor, so it is passed and returned in a register like a pointer;
//   calling a v8::String method on it passes that pointer as `this`;
// - v8::HandleScope is 3 pointers (4 words with V8_ENABLE_CHECKS), built and
//   destroyed through its exported constructor and destructor;
// - v8::String::Utf8Length / WriteUtf8 exist in all three (deprecated, not
//   removed, in 13.6), with WriteOptions NO_NULL_TERMINATION = 2 and
//   REPLACE_INVALID_UTF8 = 8;
// - v8::HeapStatistics: size_t fields total_heap_size_ (word 0),
//   used_heap_size_ (word 4), external_memory_ (word 7);
// - v8::ArrayBuffer::Allocator's virtual functions: the destructors (slots
//   0, 1), Allocate (2), AllocateUninitialized (3), Free (4);
// - node::RequestInterrupt, AtExit, AddEnvironmentCleanupHook and
//   GetCurrentEnvironment have the same signatures.
// std::vector members are read as their three pointers (begin, end, end of
// storage), the layout of both libstdc++ and libc++.
//
// Thread-safety: ResolveV8Api may run on any thread; the table it returns is
// immutable. The V8 functions themselves must be called on the isolate's own
// thread, except node::RequestInterrupt (any thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace heapagent::v8direct {

// Opaque handles of V8/node objects the agent never looks into.
struct V8Isolate;
struct V8HeapProfiler;
struct NodeEnvironment;

// A v8::Local<T>: the address of a handle slot; null = empty handle.
using LocalHandle = const void*;

// std::vector<T> as its three pointers.
template <typename T>
struct VectorView {
  T* begin_ = nullptr;
  T* end_ = nullptr;
  T* storage_end_ = nullptr;
};

// v8::AllocationProfile::Allocation: `count` objects of `size` bytes, count
// already scaled by V8 (1 / (1 - exp(-size/interval)), rounded).
struct V8Allocation {
  size_t size;
  unsigned int count;
};

// v8::AllocationProfile::Node. line_number/column_number are 1-based where
// the *function* starts; 0 = unknown.
struct V8AllocationNode {
  LocalHandle name;
  LocalHandle script_name;
  int script_id;
  int start_position;
  int line_number;
  int column_number;
  uint32_t node_id;
  VectorView<V8AllocationNode*> children;
  VectorView<V8Allocation> allocations;
};

// v8::AllocationProfile::Sample: one sampled live object; `count` is the
// scaled number of objects it stands for, sample_id is unique per run.
struct V8AllocationSample {
  uint32_t node_id;
  size_t size;
  unsigned int count;
  uint64_t sample_id;
};

static_assert(sizeof(V8Allocation) == 16);
static_assert(offsetof(V8AllocationNode, node_id) == 32);
static_assert(offsetof(V8AllocationNode, children) == 40);
static_assert(offsetof(V8AllocationNode, allocations) == 64);
static_assert(sizeof(V8AllocationNode) == 88);
static_assert(offsetof(V8AllocationSample, count) == 16);
static_assert(sizeof(V8AllocationSample) == 32);

// v8::AllocationProfile, virtual functions in V8's declaration order. Only
// ever a pointer to V8's object; `delete` runs V8's own deleting destructor.
class V8AllocationProfile {
 public:
  virtual V8AllocationNode* GetRootNode() = 0;
  virtual const VectorView<V8AllocationSample>& GetSamples() = 0;
  virtual ~V8AllocationProfile() = default;
};

// Storage for a v8::HandleScope (3 or 4 words), built in place.
struct alignas(16) HandleScopeStorage {
  unsigned char bytes[64];
};

// v8::String::WriteOptions used here.
inline constexpr int kWriteUtf8NoNullTermination = 2;
inline constexpr int kWriteUtf8ReplaceInvalid = 8;
// v8::HeapProfiler::SamplingFlags: no flag = no forced GC per read.
inline constexpr int kSamplingNoFlags = 0;
// v8::HeapStatistics as an array of words.
inline constexpr size_t kHeapStatisticsWords = 32;
inline constexpr size_t kHeapStatisticsTotalHeapSizeWord = 0;  // process.memoryUsage().heapTotal
inline constexpr size_t kHeapStatisticsUsedHeapSizeWord = 4;   // .heapUsed
inline constexpr size_t kHeapStatisticsExternalMemoryWord = 7;  // .external

// node::NodeArrayBufferAllocator, the allocator node gives every isolate:
// its std::atomic<size_t> total_mem_usage_ is process.memoryUsage()
// .arrayBuffers. Byte offset of that field: 16 on node 20 and 22 (after the
// vtable pointer and uint32_t zero_fill_field_), 8 on node 24 (which dropped
// zero_fill_field_). Read from each binary's NodeArrayBufferAllocator::
// Allocate, whose `lock add %size, OFFSET(%this)` updates it (node 20.20,
// 22.23, 24.21). nullopt: unknown for that node.
std::optional<size_t> ArrayBufferUsageOffset(int node_major);
// Vtable slots of v8::ArrayBuffer::Allocator used to recognise node's own
// allocator before reading it (a debugging allocator overrides them).
inline constexpr size_t kAllocatorAllocateSlot = 2;
inline constexpr size_t kAllocatorFreeSlot = 4;

// v8::JitCodeEvent (v8-callbacks.h), the same in V8 11.3, 12.4 and 13.6.
struct V8JitCodeEvent {
  enum Type : int { kCodeAdded = 0, kCodeMoved = 1, kCodeRemoved = 2 };
  enum CodeType : int { kByteCode = 0, kJitCode = 1, kWasmCode = 2 };
  int type;
  int code_type;
  void* code_start;
  size_t code_len;
  LocalHandle script;
  void* user_data;
  void* wasm_source_info;
  union {
    struct {
      const char* str;
      size_t len;
    } name;
    struct {
      size_t offset, pos;
      int position_type;
    } line_info;
    void* new_code_start;
  };
  V8Isolate* isolate;
};
static_assert(offsetof(V8JitCodeEvent, code_start) == 8);
static_assert(offsetof(V8JitCodeEvent, name) == 48);
static_assert(offsetof(V8JitCodeEvent, isolate) == 72);
using V8JitCodeEventHandler = void (*)(const V8JitCodeEvent*);
// v8::JitCodeEventOptions: also announce the code that already exists.
inline constexpr int kJitCodeEventEnumExisting = 1;

// The entry points, as plain function pointers; member functions take their
// `this` first (the Itanium C++ ABI on x86-64 and AArch64).
struct V8Api {
  const char* (*v8_get_version)();                                   // v8::V8::GetVersion()
  V8Isolate* (*isolate_get_current)();                               // v8::Isolate::GetCurrent()
  V8HeapProfiler* (*isolate_get_heap_profiler)(V8Isolate*);          // v8::Isolate::GetHeapProfiler()
  LocalHandle (*isolate_get_current_context)(V8Isolate*);            // v8::Isolate::GetCurrentContext()
  void (*isolate_get_heap_statistics)(V8Isolate*, void* statistics);  // v8::Isolate::GetHeapStatistics()
  bool (*start_sampling)(V8HeapProfiler*, uint64_t interval, int depth, int flags);
  void (*stop_sampling)(V8HeapProfiler*);
  V8AllocationProfile* (*get_allocation_profile)(V8HeapProfiler*);
  void (*handle_scope_construct)(HandleScopeStorage*, V8Isolate*);
  void (*handle_scope_destruct)(HandleScopeStorage*);
  int (*string_utf8_length)(LocalHandle string, V8Isolate*);
  int (*string_write_utf8)(LocalHandle string, V8Isolate*, char* buffer, int capacity, int* chars, int options);
  NodeEnvironment* (*node_get_current_environment)(LocalHandle context);
  void (*node_request_interrupt)(NodeEnvironment*, void (*callback)(void*), void* data);
  void (*node_at_exit)(NodeEnvironment*, void (*callback)(void*), void* data);
  void (*node_add_environment_cleanup_hook)(V8Isolate*, void (*callback)(void*), void* data);
  // Optional (null if absent): naming JS frames in native stacks needs it,
  // the JS heap path does not.
  void (*isolate_set_jit_code_event_handler)(V8Isolate*, int options, V8JitCodeEventHandler handler);

  // Optional (null when node does not export them; then array-buffer bytes
  // are unknown): v8::Isolate::GetArrayBufferAllocator() and the addresses
  // of node::NodeArrayBufferAllocator::Allocate and ::Free.
  const void* (*isolate_get_array_buffer_allocator)(V8Isolate*);
  const void* node_array_buffer_allocator_allocate;
  const void* node_array_buffer_allocator_free;
};

// Every entry point, or nullopt with the name of the first one missing in
// `*missing`.
std::optional<V8Api> ResolveV8Api(std::string* missing);

}  // namespace heapagent::v8direct
