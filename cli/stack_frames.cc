// Location ids to readable frames; see stack_frames.h.
#include "cli/stack_frames.h"

#include <cstdio>

#include "pprof/mapping_names.h"

namespace heapagent::cli {
namespace {

bool IsPlaceholderName(const std::string& name) {
  return !name.empty() && (name.front() == '(' || name.front() == '[') &&
         (name.back() == ')' || name.back() == ']');
}

// "object+0x1234": how the agent (and pprof) name a frame no symbol covers.
bool LooksLikeBareAddress(const Frame& frame) {
  if (!frame.file.empty()) return false;
  // The agent's name for an address outside every mapped object (V8's JIT
  // code before it is named).
  if (frame.function == "[unknown]") return true;
  const size_t plus = frame.function.rfind("+0x");
  if (plus == std::string::npos || frame.function.find(' ') != std::string::npos) return false;
  return frame.function.find_first_not_of("0123456789abcdefABCDEF", plus + 3) == std::string::npos;
}

std::string HexAddress(uint64_t address) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(address));
  return buffer;
}

}  // namespace

std::string Frame::Describe() const {
  std::string text = function;
  if (!file.empty()) {
    text += " (" + file;
    if (line > 0) text += ":" + std::to_string(line);
    text += ")";
  }
  return text;
}

const std::vector<Frame>& StackResolver::LocationFrames(uint64_t location_id) {
  auto [it, inserted] = cache_.try_emplace(location_id);
  if (!inserted) return it->second;
  std::vector<Frame>& frames = it->second;
  const pprof::LocationData* location = profile_.FindLocation(location_id);
  if (location == nullptr) return frames;  // DecodeProfile guarantees it exists
  const pprof::MappingData* mapping = profile_.FindMapping(location->mapping_id);
  // JS heap profiles have no mappings; native ones name JS frames (mixed
  // stacks) with the agent's "[js]" mapping.
  const FrameKind code_kind =
      mapping == nullptr || mapping->filename == pprof::kJsMappingName ? FrameKind::kJs : FrameKind::kNative;
  for (const pprof::LineData& line : location->lines) {
    const pprof::FunctionData* function = profile_.FindFunction(line.function_id);
    Frame frame;
    frame.function = function != nullptr ? function->name : "";
    if (frame.function.empty() && function != nullptr) frame.function = function->system_name;
    frame.file = function != nullptr ? function->filename : "";
    frame.line = line.line;
    frame.kind = IsPlaceholderName(frame.function) ? FrameKind::kPlaceholder : code_kind;
    frame.symbolized = !LooksLikeBareAddress(frame);
    if (frame.function.empty()) frame.function = "(anonymous)";
    frames.push_back(std::move(frame));
  }
  if (frames.empty()) {
    // Unsymbolized: the object and the address are all there is.
    std::string where = mapping != nullptr && !mapping->filename.empty() ? mapping->filename : "?";
    const size_t slash = where.rfind('/');
    if (slash != std::string::npos) where = where.substr(slash + 1);
    frames.push_back(Frame{.function = where + "+" + HexAddress(location->address),
                           .file = mapping != nullptr ? mapping->filename : "",
                           .line = 0,
                           .kind = code_kind,
                           .symbolized = false});
  }
  return frames;
}

std::vector<Frame> StackResolver::LeafFirst(const pprof::SampleData& sample) {
  std::vector<Frame> stack;
  for (uint64_t id : sample.location_ids) {
    const std::vector<Frame>& frames = LocationFrames(id);
    stack.insert(stack.end(), frames.begin(), frames.end());  // innermost inlined first, like the stack
  }
  return stack;
}

}  // namespace heapagent::cli
