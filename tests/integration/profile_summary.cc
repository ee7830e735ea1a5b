// profile_summary FILE.pb.gz: decodes a pprof profile with libprotobuf (an
// independent decoder, not the agent's encoder), checks the structural rules
// every pprof consumer relies on, and prints a JSON summary the integration
// tests assert on: header fields, mappings, per-function flat and cumulative
// values for every sample type, and every stack with its labels.
// Exit status: 0 ok, 1 invalid profile, 2 unreadable file.
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pprof/gzip.h"
#include "profile.pb.h"

namespace {

std::string Json(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string JsonList(const std::vector<int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "]";
}

int Invalid(const std::string& why) {
  std::cerr << "invalid profile: " << why << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: profile_summary FILE.pb.gz\n";
    return 2;
  }
  std::ifstream file(argv[1], std::ios::binary);
  if (!file) return std::cerr << "cannot open " << argv[1] << "\n", 2;
  std::stringstream raw;
  raw << file.rdbuf();
  const auto data = heapagent::pprof::GzipDecompress(raw.str());
  if (!data) return Invalid("not gzip");
  perftools::profiles::Profile profile;
  if (!profile.ParseFromString(*data)) return Invalid("protobuf parse failed");

  const auto& strings = profile.string_table();
  if (strings.empty() || !strings[0].empty()) return Invalid("string_table[0] must be empty");
  const auto str = [&](int64_t index) -> std::string {
    return index >= 0 && index < strings.size() ? strings[index] : "<bad string index>";
  };
  std::map<uint64_t, const perftools::profiles::Function*> functions;
  for (const auto& function : profile.function()) {
    if (function.id() == 0 || !functions.emplace(function.id(), &function).second) return Invalid("bad function id");
  }
  std::set<uint64_t> mapping_ids;
  for (const auto& mapping : profile.mapping()) {
    if (mapping.id() == 0 || !mapping_ids.insert(mapping.id()).second) return Invalid("bad mapping id");
  }
  std::map<uint64_t, const perftools::profiles::Location*> locations;
  for (const auto& location : profile.location()) {
    if (location.id() == 0 || !locations.emplace(location.id(), &location).second) return Invalid("bad location id");
    if (location.mapping_id() != 0 && !mapping_ids.count(location.mapping_id())) return Invalid("unknown mapping");
    for (const auto& line : location.line()) {
      if (!functions.count(line.function_id())) return Invalid("unknown function");
    }
  }
  const int types = profile.sample_type_size();
  struct FunctionValues {
    std::vector<int64_t> flat, cum;
    std::string file;
    std::set<int64_t> lines;
  };
  std::map<std::string, FunctionValues> by_function;
  std::vector<int64_t> totals(types, 0);
  std::ostringstream stacks;
  bool first_stack = true;
  for (const auto& sample : profile.sample()) {
    if (sample.value_size() != types) return Invalid("value count differs from sample types");
    if (sample.location_id_size() == 0) return Invalid("sample without location");
    for (int t = 0; t < types; ++t) totals[t] += sample.value(t);
    std::set<std::string> seen_in_stack;
    std::vector<std::string> frames;
    for (int depth = 0; depth < sample.location_id_size(); ++depth) {
      auto location = locations.find(sample.location_id(depth));
      if (location == locations.end()) return Invalid("sample references a missing location");
      // Inlined frames first, the real caller last, as pprof orders them.
      for (const auto& line : location->second->line()) {
        const auto* function = functions.at(line.function_id());
        const std::string name = str(function->name());
        frames.push_back(name);
        FunctionValues& values = by_function[name];
        if (values.flat.empty()) values.flat.assign(types, 0), values.cum.assign(types, 0);
        values.file = str(function->filename());
        if (line.line() > 0) values.lines.insert(line.line());
        if (depth == 0 && &line == &location->second->line(0)) {
          for (int t = 0; t < types; ++t) values.flat[t] += sample.value(t);
        }
        if (seen_in_stack.insert(name).second) {
          for (int t = 0; t < types; ++t) values.cum[t] += sample.value(t);
        }
      }
    }
    std::vector<int64_t> values(sample.value().begin(), sample.value().end());
    stacks << (first_stack ? "" : ",") << "{\"frames\":[";
    for (std::size_t i = 0; i < frames.size(); ++i) stacks << (i ? "," : "") << Json(frames[i]);
    stacks << "],\"values\":" << JsonList(values) << ",\"labels\":{";
    for (int i = 0; i < sample.label_size(); ++i) {
      const auto& label = sample.label(i);
      stacks << (i ? "," : "") << Json(str(label.key())) << ":"
             << (label.str() != 0 ? Json(str(label.str())) : std::to_string(label.num()));
    }
    stacks << "}}";
    first_stack = false;
  }

  std::cout << "{\"sample_types\":[";
  for (int t = 0; t < types; ++t) {
    std::cout << (t ? "," : "") << "[" << Json(str(profile.sample_type(t).type())) << ","
              << Json(str(profile.sample_type(t).unit())) << "]";
  }
  std::cout << "],\"default_sample_type\":" << Json(str(profile.default_sample_type()))
            << ",\"period_type\":[" << Json(str(profile.period_type().type())) << ","
            << Json(str(profile.period_type().unit())) << "],\"period\":" << profile.period()
            << ",\"time_nanos\":" << profile.time_nanos() << ",\"duration_nanos\":" << profile.duration_nanos()
            << ",\"comments\":[";
  for (int i = 0; i < profile.comment_size(); ++i) std::cout << (i ? "," : "") << Json(str(profile.comment(i)));
  std::cout << "],\"mappings\":[";
  for (int i = 0; i < profile.mapping_size(); ++i) {
    const auto& mapping = profile.mapping(i);
    std::cout << (i ? "," : "") << "{\"filename\":" << Json(str(mapping.filename()))
              << ",\"build_id\":" << Json(str(mapping.build_id()))
              << ",\"memory_start\":" << mapping.memory_start() << ",\"memory_limit\":" << mapping.memory_limit()
              << ",\"has_functions\":" << (mapping.has_functions() ? "true" : "false") << "}";
  }
  std::cout << "],\"totals\":" << JsonList(totals) << ",\"functions\":{";
  bool first = true;
  for (const auto& [name, values] : by_function) {
    std::vector<int64_t> lines(values.lines.begin(), values.lines.end());
    std::cout << (first ? "" : ",") << Json(name) << ":{\"flat\":" << JsonList(values.flat)
              << ",\"cum\":" << JsonList(values.cum) << ",\"file\":" << Json(values.file)
              << ",\"lines\":" << JsonList(lines) << "}";
    first = false;
  }
  std::cout << "},\"stacks\":[" << stacks.str() << "]}\n";
  return 0;
}
