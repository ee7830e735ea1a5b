#include "cdp/sampling_heap_profile.h"

#include <cmath>
#include <unordered_map>
#include <utility>

// Error codes only: a throw escaping into the agent thread (or the app) is
// never acceptable, and the error-code API makes every failure visible here.
#ifndef SIMDJSON_EXCEPTIONS
#define SIMDJSON_EXCEPTIONS 0
#endif
#include <simdjson.h>

namespace heapagent::cdp {
namespace {

namespace dom = simdjson::dom;

// JSON depth of a tree of kMaxProfileTreeDepth: two levels per tree level (the
// node object and its "children" array) plus the envelope. simdjson's own limit
// is set above that, so a too-deep tree gets our clearer error first, and
// anything deeper still is refused by simdjson without recursion.
constexpr size_t kMaxJsonDepth = 4 * static_cast<size_t>(kMaxProfileTreeDepth) + 16;

// Collects the first error; every parse step returns false after setting it.
class ErrorSink {
 public:
  explicit ErrorSink(std::string* error) : error_(error) {}
  bool Fail(std::string message) {
    if (error_ != nullptr) *error_ = std::move(message);
    return false;
  }

 private:
  std::string* error_;
};

bool ReadInt32(dom::element value, int32_t& out) {
  int64_t wide = 0;
  if (value.get_int64().get(wide) != simdjson::SUCCESS) return false;
  if (wide < INT32_MIN || wide > INT32_MAX) return false;
  out = static_cast<int32_t>(wide);
  return true;
}

// A JSON number that is a non-negative integer, written as an integer or as an
// integral double (CDP types ordinals as "number").
bool ReadOrdinal(dom::element value, uint64_t& out) {
  if (value.get_uint64().get(out) == simdjson::SUCCESS) return true;
  double d = 0;
  if (value.get_double().get(d) != simdjson::SUCCESS) return false;
  if (!(d >= 0 && d < 18446744073709551616.0) || std::floor(d) != d) return false;
  out = static_cast<uint64_t>(d);
  return true;
}

bool ReadNonNegativeDouble(dom::element value, double& out) {
  if (value.get_double().get(out) != simdjson::SUCCESS) return false;
  return std::isfinite(out) && out >= 0;
}

// Error messages name the node; they are built only on failure.
std::string NodeName(int64_t id) { return "Profile node " + std::to_string(id); }
std::string SampleName(size_t position) { return "Profile sample " + std::to_string(position); }

bool ParseCallFrame(dom::element value, JsCallFrame& frame, int64_t node_id, ErrorSink& sink) {
  dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return sink.Fail(NodeName(node_id) + " has a \"callFrame\" that is not an object.");
  }
  for (dom::key_value_pair field : object) {
    std::string_view text;
    if (field.key == "functionName" || field.key == "url" || field.key == "scriptId") {
      if (field.value.get_string().get(text) != simdjson::SUCCESS) {
        return sink.Fail(NodeName(node_id) + " has a callFrame." + std::string(field.key) + " that is not a string.");
      }
      std::string& target = field.key == "functionName" ? frame.function_name
                            : field.key == "url"        ? frame.url
                                                        : frame.script_id;
      target.assign(text);
    } else if (field.key == "lineNumber" || field.key == "columnNumber") {
      if (!ReadInt32(field.value, field.key == "lineNumber" ? frame.line : frame.column)) {
        return sink.Fail(NodeName(node_id) + " has a callFrame." + std::string(field.key) + " that is not a 32-bit integer.");
      }
    }
  }
  return true;
}

// Reads one node's own fields (not its children) and returns its "children"
// array, if any, in `children`.
bool ParseNode(dom::element value, JsProfileNode& node, std::optional<dom::array>& children, ErrorSink& sink) {
  dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return sink.Fail("A profile node is not an object.");
  }
  // The id first, so that errors about the other fields can name the node.
  dom::element id_value;
  if (object.at_key("id").get(id_value) != simdjson::SUCCESS) {
    return sink.Fail("A profile node has no \"id\".");
  }
  if (id_value.get_int64().get(node.id) != simdjson::SUCCESS) {
    return sink.Fail("A profile node has an \"id\" that is not an integer.");
  }
  for (dom::key_value_pair field : object) {
    if (field.key == "callFrame") {
      if (!ParseCallFrame(field.value, node.frame, node.id, sink)) return false;
    } else if (field.key == "selfSize") {
      if (!ReadNonNegativeDouble(field.value, node.self_size)) {
        return sink.Fail(NodeName(node.id) + " has a \"selfSize\" that is not a non-negative number.");
      }
    } else if (field.key == "children") {
      dom::array array;
      if (field.value.get_array().get(array) != simdjson::SUCCESS) {
        return sink.Fail(NodeName(node.id) + " has \"children\" that is not an array.");
      }
      children = array;
    }
  }
  return true;
}

// Walks the tree from `head` in pre-order with an explicit stack, so input
// depth costs heap (bounded by the caps), never C++ stack.
bool ParseTree(dom::element head, SamplingHeapProfile& profile,
               std::unordered_map<int64_t, int32_t>& index_of_id, ErrorSink& sink) {
  struct Level {
    dom::array::iterator next;
    dom::array::iterator end;
    int32_t parent;  // index of the node whose children these are
    int32_t depth;   // depth of these children
  };
  std::vector<Level> stack;

  auto add_node = [&](dom::element value, int32_t parent, int32_t depth) -> bool {
    if (profile.nodes.size() >= kMaxProfileNodes) {
      return sink.Fail("The profile has more than " + std::to_string(kMaxProfileNodes) + " nodes.");
    }
    JsProfileNode node;
    node.parent = parent;
    std::optional<dom::array> children;
    if (!ParseNode(value, node, children, sink)) return false;
    const auto index = static_cast<int32_t>(profile.nodes.size());
    if (!index_of_id.emplace(node.id, index).second) {
      return sink.Fail("The profile has two nodes with id " + std::to_string(node.id) + ".");
    }
    profile.nodes.push_back(std::move(node));
    if (children.has_value() && children->begin() != children->end()) {
      if (depth + 1 > kMaxProfileTreeDepth) {
        return sink.Fail("The profile tree is deeper than " + std::to_string(kMaxProfileTreeDepth) + " levels.");
      }
      stack.push_back({children->begin(), children->end(), index, depth + 1});
    }
    return true;
  };

  if (!add_node(head, -1, 0)) return false;
  while (!stack.empty()) {
    Level& level = stack.back();
    if (!(level.next != level.end)) {
      stack.pop_back();
      continue;
    }
    const dom::element child = *level.next;
    ++level.next;
    // add_node may push and so invalidate `level`: copy what it needs first.
    const int32_t parent = level.parent;
    const int32_t depth = level.depth;
    if (!add_node(child, parent, depth)) return false;
  }
  return true;
}

bool ParseSamples(dom::element value, SamplingHeapProfile& profile,
                  const std::unordered_map<int64_t, int32_t>& index_of_id, ErrorSink& sink) {
  dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return sink.Fail("The profile's \"samples\" is not an array.");
  }
  profile.samples.reserve(array.size());
  size_t position = 0;
  for (dom::element element : array) {
    dom::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS) {
      return sink.Fail(SampleName(position) + " is not an object.");
    }
    JsSample sample;
    bool has_node_id = false;
    for (dom::key_value_pair field : object) {
      if (field.key == "size") {
        if (!ReadNonNegativeDouble(field.value, sample.size)) {
          return sink.Fail(SampleName(position) + " has a \"size\" that is not a non-negative number.");
        }
      } else if (field.key == "nodeId") {
        if (field.value.get_int64().get(sample.node_id) != simdjson::SUCCESS) {
          return sink.Fail(SampleName(position) + " has a \"nodeId\" that is not an integer.");
        }
        has_node_id = true;
      } else if (field.key == "ordinal") {
        if (!ReadOrdinal(field.value, sample.ordinal)) {
          return sink.Fail(SampleName(position) + " has an \"ordinal\" that is not a non-negative integer.");
        }
      }
    }
    const auto found = has_node_id ? index_of_id.find(sample.node_id) : index_of_id.end();
    if (found == index_of_id.end()) {
      ++profile.dropped_samples;
      ++position;
      continue;
    }
    sample.node_index = found->second;
    profile.samples.push_back(sample);
    ++position;
  }
  return true;
}

}  // namespace

std::optional<SamplingHeapProfile> ParseSamplingHeapProfile(std::string_view json, std::string* error) {
  ErrorSink sink(error);
  if (json.empty()) {
    sink.Fail("The sampling heap profile is empty.");
    return std::nullopt;
  }
  dom::parser parser;
  if (parser.allocate(json.size(), kMaxJsonDepth) != simdjson::SUCCESS) {
    sink.Fail("Could not allocate a JSON parser for " + std::to_string(json.size()) + " bytes.");
    return std::nullopt;
  }
  dom::element root;
  if (const auto code = parser.parse(json.data(), json.size()).get(root); code != simdjson::SUCCESS) {
    std::string reason = simdjson::error_message(code);
    if (!reason.empty() && reason.back() != '.') reason += '.';
    sink.Fail("The sampling heap profile is not valid JSON: " + reason);
    return std::nullopt;
  }

  // Accept both the whole `result` ({"profile":{...}}) and its "profile" value.
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    sink.Fail("The sampling heap profile is not a JSON object.");
    return std::nullopt;
  }
  if (dom::element inner; object.at_key("profile").get(inner) == simdjson::SUCCESS) {
    if (inner.get_object().get(object) != simdjson::SUCCESS) {
      sink.Fail("The reply's \"profile\" is not an object.");
      return std::nullopt;
    }
  }
  dom::element head;
  if (object.at_key("head").get(head) != simdjson::SUCCESS) {
    sink.Fail("The sampling heap profile has no \"head\".");
    return std::nullopt;
  }

  SamplingHeapProfile profile;
  std::unordered_map<int64_t, int32_t> index_of_id;
  if (!ParseTree(head, profile, index_of_id, sink)) return std::nullopt;
  // "samples" appeared in V8 7.x; older profiles carry only selfSize.
  if (dom::element samples; object.at_key("samples").get(samples) == simdjson::SUCCESS) {
    if (!ParseSamples(samples, profile, index_of_id, sink)) return std::nullopt;
  }
  return profile;
}

}  // namespace heapagent::cdp
