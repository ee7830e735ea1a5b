// The process's resident set, as the kernel counts it.
//
// Thread-safety: any thread; reads /proc, so call it from the agent's threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace heapagent {

// Resident bytes from /proc/self/statm; nullopt if it cannot be read.
std::optional<uint64_t> ReadResidentBytes();

// The resident pages field of a statm line ("size resident shared ..."),
// times the page size.
std::optional<uint64_t> ParseStatmResidentBytes(std::string_view statm, uint64_t page_bytes);

}  // namespace heapagent
