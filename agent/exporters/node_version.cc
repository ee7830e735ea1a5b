#include "agent/exporters/node_version.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

namespace heapagent {
namespace {

// "20.20.2" at the start of `text`: digits and exactly two dots.
std::string VersionAt(std::string_view text) {
  size_t length = 0, dots = 0;
  while (length < text.size() && length < 32 &&
         (std::isdigit(static_cast<unsigned char>(text[length])) || text[length] == '.')) {
    dots += text[length] == '.';
    ++length;
  }
  if (dots != 2 || length < 5 || text[length - 1] == '.' || text[0] == '.') return "";
  return std::string(text.substr(0, length));
}

}  // namespace

std::string FindNodeVersion(std::string_view bytes) {
  for (std::string_view marker : {std::string_view("nodejs.org/download/release/v"), std::string_view("node.js/v")}) {
    size_t position = 0;
    while ((position = bytes.find(marker, position)) != std::string_view::npos) {
      position += marker.size();
      std::string version = VersionAt(bytes.substr(position));
      if (!version.empty()) return version;
    }
  }
  return "";
}

std::string NodeVersionOfExecutable(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat status{};
  std::string version;
  if (fstat(fd, &status) == 0 && status.st_size > static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    const size_t size = static_cast<size_t>(status.st_size);
    void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped != MAP_FAILED) {
      const auto* bytes = static_cast<const char*>(mapped);
      const auto* header = static_cast<const Elf64_Ehdr*>(mapped);
      std::string_view scanned;  // .rodata if the section table says where it is
      if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) == 0 && header->e_ident[EI_CLASS] == ELFCLASS64 &&
          header->e_shoff > 0 && header->e_shentsize == sizeof(Elf64_Shdr) &&
          header->e_shoff + uint64_t{header->e_shnum} * sizeof(Elf64_Shdr) <= size && header->e_shstrndx < header->e_shnum) {
        const auto* sections = reinterpret_cast<const Elf64_Shdr*>(bytes + header->e_shoff);
        const Elf64_Shdr& names = sections[header->e_shstrndx];
        for (unsigned i = 0; i < header->e_shnum && names.sh_offset < size; ++i) {
          const Elf64_Shdr& section = sections[i];
          if (section.sh_name >= names.sh_size || names.sh_offset + section.sh_name + 8 > size) continue;
          if (std::strncmp(bytes + names.sh_offset + section.sh_name, ".rodata", 8) != 0) continue;
          if (section.sh_offset <= size && section.sh_size <= size - section.sh_offset) {
            scanned = std::string_view(bytes + section.sh_offset, section.sh_size);
          }
        }
      }
      if (!scanned.empty()) version = FindNodeVersion(scanned);
      munmap(mapped, size);
    }
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // hand the page cache back, as the symbolizer does
  close(fd);
  return version;
}

}  // namespace heapagent
