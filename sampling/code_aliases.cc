#include "sampling/code_aliases.h"

#include <charconv>
#include <string>

namespace heapagent {
namespace {

struct ExecutableMapping {
  uintptr_t start = 0, end = 0, offset = 0;
  std::string_view path;
};

bool ParseHex(std::string_view text, uintptr_t* value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value, 16);
  return error == std::errc() && end == text.data() + text.size();
}

// "start-end perms offset dev inode   path"
bool ParseLine(std::string_view line, ExecutableMapping* mapping) {
  std::string_view fields[5];
  for (std::string_view& field : fields) {
    const size_t begin = line.find_first_not_of(' ');
    if (begin == std::string_view::npos) return false;
    line.remove_prefix(begin);
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return false;
    field = line.substr(0, space);
    line.remove_prefix(space);
  }
  const size_t path_begin = line.find_first_not_of(' ');
  if (path_begin == std::string_view::npos) return false;
  mapping->path = line.substr(path_begin);
  if (!mapping->path.starts_with('/') || fields[1].size() < 3 || fields[1][2] != 'x') return false;
  const size_t dash = fields[0].find('-');
  return dash != std::string_view::npos && ParseHex(fields[0].substr(0, dash), &mapping->start) &&
         ParseHex(fields[0].substr(dash + 1), &mapping->end) && ParseHex(fields[2], &mapping->offset) &&
         mapping->end > mapping->start;
}

}  // namespace

std::vector<CodeAlias> FindCodeAliases(std::string_view proc_maps) {
  std::vector<ExecutableMapping> mappings;
  while (!proc_maps.empty()) {
    const size_t newline = proc_maps.find('\n');
    const std::string_view line = proc_maps.substr(0, newline);
    proc_maps.remove_prefix(newline == std::string_view::npos ? proc_maps.size() : newline + 1);
    ExecutableMapping mapping;
    if (ParseLine(line, &mapping)) mappings.push_back(mapping);
  }
  std::vector<CodeAlias> aliases;
  for (const ExecutableMapping& alias : mappings) {
    const uintptr_t length = alias.end - alias.start;
    for (const ExecutableMapping& primary : mappings) {
      if (&primary == &alias || primary.path != alias.path) continue;
      // The primary holds all of the alias's file bytes and is the larger
      // mapping (the binary's text), so a pair never points both ways.
      const bool covers = alias.offset >= primary.offset &&
                          alias.offset + length <= primary.offset + (primary.end - primary.start);
      if (!covers || primary.end - primary.start <= length) continue;
      aliases.push_back({alias.start, alias.end, primary.start + (alias.offset - primary.offset)});
      break;
    }
  }
  return aliases;
}

uintptr_t TranslateCodeAlias(const std::vector<CodeAlias>& aliases, uintptr_t address) {
  for (const CodeAlias& alias : aliases) {
    if (address >= alias.start && address < alias.end) return alias.primary_start + (address - alias.start);
  }
  return address;
}

}  // namespace heapagent
