#include "v8direct/known_runtimes.h"

#include <charconv>

namespace heapagent::v8direct {
namespace {

struct KnownRuntime {
  int v8_major;
  int v8_minor;
  int node_major;
};

constexpr KnownRuntime kKnownRuntimes[] = {
    {11, 3, 20},
    {12, 4, 22},
    {13, 6, 24},
};

// Parses a decimal number at the front of `text` and the '.' after it.
std::optional<int> TakeComponent(std::string_view& text, bool expect_dot) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  if (expect_dot) {
    if (text.empty() || text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
  return value;
}

}  // namespace

std::optional<int> KnownNodeMajorForV8(std::string_view v8_version) {
  const auto major = TakeComponent(v8_version, true);
  if (!major) return std::nullopt;
  const auto minor = TakeComponent(v8_version, false);
  if (!minor) return std::nullopt;
  // Node's V8 carries "-node.N" after the build numbers: require it, so a V8
  // of the same minor embedded elsewhere (Electron, Deno) is not mistaken for
  // node's.
  if (v8_version.find("-node.") == std::string_view::npos) return std::nullopt;
  for (const KnownRuntime& known : kKnownRuntimes) {
    if (known.v8_major == *major && known.v8_minor == *minor) return known.node_major;
  }
  return std::nullopt;
}

}  // namespace heapagent::v8direct
