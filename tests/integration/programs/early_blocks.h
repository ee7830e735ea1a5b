// What early_blocks_library's constructor allocated before the agent.
#pragma once

#include <cstddef>
#include <string>

constexpr int kSmallBlocks = 64;
constexpr std::size_t kBigBytes = 4 << 20;

struct EarlyBlocks {
  void* small[kSmallBlocks];
  void* big;
  void* zeroed;
  void* aligned;
  void* c11_aligned;
  void* page;
  char* duplicated;
  std::string* object;
  void* to_grow;
  void* to_shrink;
  std::size_t glibc_in_use_after_constructor;
};

extern EarlyBlocks g_early;
