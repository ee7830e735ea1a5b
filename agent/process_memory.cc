#include "agent/process_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

namespace heapagent {

std::optional<uint64_t> ParseStatmResidentBytes(std::string_view statm, uint64_t page_bytes) {
  const size_t space = statm.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view rest = statm.substr(space + 1);
  uint64_t pages = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), pages);
  if (error != std::errc() || end == rest.data() || (end != rest.data() + rest.size() && *end != ' ')) {
    return std::nullopt;
  }
  return pages * page_bytes;
}

std::optional<uint64_t> ReadResidentBytes() {
  // open/read rather than a stream: no allocation, one syscall each.
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[256];
  const ssize_t length = read(fd, text, sizeof text - 1);
  close(fd);
  if (length <= 0) return std::nullopt;
  return ParseStatmResidentBytes(std::string_view(text, static_cast<size_t>(length)),
                                 static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}

}  // namespace heapagent
