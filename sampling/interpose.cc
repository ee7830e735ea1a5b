// The malloc family, interposed through LD_PRELOAD.
//
// This file is the hot path and nothing else. Each allocating entry point
// forwards to the system allocator, then charges the size to the thread's
// countdown; only when it runs out (about once per mean interval of bytes)
// does it leave this file. Each freeing entry point asks the AddressFilter -
// one relaxed byte load - before doing anything else. No locks, no syscalls,
// no allocation, no hash lookups on the unsampled path.
#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "sampling/native_sampler.h"
#include "sampling/system_allocator.h"
#include "sampling/thread_sampler_state.h"

#define HEAPAGENT_EXPORT extern "C" __attribute__((visibility("default")))
#define HEAPAGENT_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace {

// Charges `size` bytes to the thread's countdown; true when it runs out, i.e.
// this allocation holds a sample point. Deciding before the real allocation
// lets the common path end in a tail call to glibc, with no frame of its own.
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

}  // namespace

HEAPAGENT_EXPORT void* malloc(size_t size) {
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(__libc_malloc(size), size);
  return __libc_malloc(size);
}

HEAPAGENT_EXPORT void free(void* pointer) {
  BeforeRelease(pointer);
  __libc_free(pointer);
}

HEAPAGENT_EXPORT void* calloc(size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (ChargeAndCheck(bytes)) return heapagent::OnCountdownExpired(__libc_calloc(count, size), bytes);
  return __libc_calloc(count, size);
}

HEAPAGENT_EXPORT void* realloc(void* pointer, size_t size) {
  // The old block leaves the live set before it can be handed to anybody
  // else. (If realloc then fails the old block survives unrecorded: a rare,
  // conservative under-count.)
  BeforeRelease(pointer);
  if (ChargeAndCheck(size)) {
    void* resized = __libc_realloc(pointer, size);
    return resized == nullptr ? nullptr : heapagent::OnCountdownExpired(resized, size);
  }
  return __libc_realloc(pointer, size);
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
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *result = ChargeAndCheck(size) ? heapagent::OnCountdownExpired(pointer, size) : pointer;
  return 0;
}

HEAPAGENT_EXPORT void* aligned_alloc(size_t alignment, size_t size) {
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(__libc_memalign(alignment, size), size);
  return __libc_memalign(alignment, size);
}

HEAPAGENT_EXPORT void* memalign(size_t alignment, size_t size) {
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(__libc_memalign(alignment, size), size);
  return __libc_memalign(alignment, size);
}

HEAPAGENT_EXPORT void* valloc(size_t size) {
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(__libc_valloc(size), size);
  return __libc_valloc(size);
}

HEAPAGENT_EXPORT void* pvalloc(size_t size) {
  if (ChargeAndCheck(size)) return heapagent::OnCountdownExpired(__libc_pvalloc(size), size);
  return __libc_pvalloc(size);
}

// malloc_usable_size is not interposed: glibc serves every block, so glibc's
// own answer is right.
