// Subcommand argument parsing; see command_line.h.
#include "cli/command_line.h"

#include <algorithm>
#include <charconv>

#include "cli/input_error.h"

namespace heapagent::cli {

CommandLine CommandLine::Parse(const std::vector<std::string>& arguments,
                               std::initializer_list<std::string_view> value_flags,
                               std::initializer_list<std::string_view> switches) {
  auto is_one_of = [](std::string_view flag, std::initializer_list<std::string_view> flags) {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
  };
  CommandLine result;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& word = arguments[i];
    if (word.size() < 2 || word[0] != '-' || word == "--") {
      result.positional_.push_back(word);
      continue;
    }
    std::string flag = word;
    std::optional<std::string> inline_value;
    if (const size_t equals = word.find('='); equals != std::string::npos) {
      flag = word.substr(0, equals);
      inline_value = word.substr(equals + 1);
    }
    if (is_one_of(flag, switches) && !inline_value) {
      result.switches_.insert(flag);
    } else if (is_one_of(flag, value_flags)) {
      if (!inline_value) {
        if (i + 1 >= arguments.size()) throw InputError(flag + " needs a value");
        inline_value = arguments[++i];
      }
      result.values_[flag] = *inline_value;
    } else {
      throw InputError("unknown option " + word);
    }
  }
  return result;
}

std::optional<std::string> CommandLine::Value(std::string_view flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

long long CommandLine::IntValue(std::string_view flag, long long fallback) const {
  const std::optional<std::string> text = Value(flag);
  if (!text) return fallback;
  long long value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < 0) {
    throw InputError(std::string(flag) + " wants a non-negative integer, not '" + *text + "'");
  }
  return value;
}

}  // namespace heapagent::cli
