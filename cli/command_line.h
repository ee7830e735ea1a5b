// The arguments of one subcommand: positional arguments, flags that take a
// value (`-o out.html`, `--kind=js`) and switches (`--json`). Unknown flags
// and missing values are usage errors (InputError), never ignored.
//
// Thread-safety: a plain value.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace heapagent::cli {

class CommandLine {
 public:
  // `arguments` are the words after the subcommand's name.
  static CommandLine Parse(const std::vector<std::string>& arguments,
                           std::initializer_list<std::string_view> value_flags,
                           std::initializer_list<std::string_view> switches);

  const std::vector<std::string>& positional() const { return positional_; }
  std::optional<std::string> Value(std::string_view flag) const;
  bool Has(std::string_view flag) const { return switches_.contains(std::string(flag)); }
  // A value flag that must parse as a non-negative integer; `fallback` if absent.
  long long IntValue(std::string_view flag, long long fallback) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string, std::less<>> values_;
  std::set<std::string, std::less<>> switches_;
};

}  // namespace heapagent::cli
