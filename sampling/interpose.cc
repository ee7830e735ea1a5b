// The malloc family, interposed through LD_PRELOAD.
//
// This file is the hot path and nothing else. Each allocating entry point
// forwards to the allocator that serves this process (glibc, or jemalloc
// with HEAPAGENT_ALLOCATOR=jemalloc: one indirect call through
// g_allocator, see allocator_dispatch.h), then charges the size to the
// thread's countdown; only when it runs out (about once per mean interval of
// bytes) does it leave this file. Each freeing entry point asks the
// AddressFilter - one relaxed byte load - before doing anything else. No
// locks, no syscalls, no allocation, no hash lookups on the unsampled path.
#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "sampling/allocator_dispatch.h"
#include "sampling/native_sampler.h"
#include "sampling/thread_sampler_state.h"

#define HEAPAGENT_EXPORT extern "C" __attribute__((visibility("default")))
#define HEAPAGENT_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace {

// Charges `size` bytes to the thread's countdown; true when it runs out, i.e.
// this allocation holds a sample point. Deciding before the real allocation
// lets the common path end in a tail call to the allocator, with no frame of
// its own.
inline bool ChargeAndCheck(size_t size) {
  int64_t& countdown = heapagent_thread_sampler.bytes_until_sample;
  countdown -= static_cast<int64_t>(size);
  return HEAPAGENT_UNLIKELY(countdown < 0);
}

inline void BeforeRelease(void* pointer) {
  if (HEAPAGENT_UNLIKELY(heapagent::g_sampled_address_filter.MaybeContains(pointer))) {
    heapagent::OnFreeOfMaybeSampled(pointer);
  }
}

inline bool IsValidPosixAlignment(size_t alignment) {
  return alignment % sizeof(void*) == 0 && (alignment & (alignment - 1)) == 0 && alignment != 0;
}

// The serving allocator's entry points (acquire: a plain load on x86-64).
constexpr auto kServing = std::memory_order_acquire;

}  // namespace

HEAPAGENT_EXPORT void* malloc(size_t size) {
  const heapagent::MallocFunction allocate = heapagent::g_allocator.malloc.load(kServing);
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(allocate(size), size);
  return allocate(size);
}

HEAPAGENT_EXPORT void free(void* pointer) {
  BeforeRelease(pointer);
  heapagent::g_allocator.free.load(kServing)(pointer);
}

// C23's sized frees (glibc 2.39+ exports them): a block may only go back
// through the allocator that serves it, never straight to glibc's.
HEAPAGENT_EXPORT void free_sized(void* pointer, size_t /*size*/) { free(pointer); }
HEAPAGENT_EXPORT void free_aligned_sized(void* pointer, size_t /*alignment*/, size_t /*size*/) { free(pointer); }

HEAPAGENT_EXPORT void* calloc(size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  const heapagent::CallocFunction allocate = heapagent::g_allocator.calloc.load(kServing);
  if (ChargeAndCheck(bytes)) return heapagent::OnCountdownExpired(allocate(count, size), bytes);
  return allocate(count, size);
}

HEAPAGENT_EXPORT void* realloc(void* pointer, size_t size) {
  // The old block leaves the live set before it can be handed to anybody
  // else. (If realloc then fails the old block survives unrecorded: a rare,
  // conservative under-count.)
  BeforeRelease(pointer);
  const heapagent::ReallocFunction resize = heapagent::g_allocator.realloc.load(kServing);
  if (ChargeAndCheck(size)) {
    void* resized = resize(pointer, size);
    return resized == nullptr ? nullptr : heapagent::OnCountdownExpired(resized, size);
  }
  return resize(pointer, size);
}

HEAPAGENT_EXPORT void* reallocarray(void* pointer, size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(pointer, bytes);
}

HEAPAGENT_EXPORT int posix_memalign(void** result, size_t alignment, size_t size) {
  if (!IsValidPosixAlignment(alignment)) return EINVAL;
  void* pointer = heapagent::g_allocator.memalign.load(kServing)(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *result = ChargeAndCheck(size) ? heapagent::OnCountdownExpired(pointer, size) : pointer;
  return 0;
}

HEAPAGENT_EXPORT void* aligned_alloc(size_t alignment, size_t size) {
  const heapagent::MemalignFunction allocate = heapagent::g_allocator.memalign.load(kServing);
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(allocate(alignment, size), size);
  return allocate(alignment, size);
}

HEAPAGENT_EXPORT void* memalign(size_t alignment, size_t size) {
  const heapagent::MemalignFunction allocate = heapagent::g_allocator.memalign.load(kServing);
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(allocate(alignment, size), size);
  return allocate(alignment, size);
}

HEAPAGENT_EXPORT void* valloc(size_t size) {
  const heapagent::MallocFunction allocate = heapagent::g_allocator.valloc.load(kServing);
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(allocate(size), size);
  return allocate(size);
}

HEAPAGENT_EXPORT void* pvalloc(size_t size) {
  const heapagent::MallocFunction allocate = heapagent::g_allocator.pvalloc.load(kServing);
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(allocate(size), size);
  return allocate(size);
}

// Interposed because under jemalloc glibc's answer would be read from
// jemalloc's memory; each block is asked of the allocator that made it.
HEAPAGENT_EXPORT size_t malloc_usable_size(void* pointer) {
  return heapagent::g_allocator.usable_size.load(kServing)(pointer);
}
