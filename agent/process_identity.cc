#include "agent/process_identity.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cctype>

namespace heapagent {
namespace {

std::string Basename(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// node options that take their value as the next argument.
bool TakesSeparateValue(std::string_view option) {
  static constexpr std::array<std::string_view, 14> kOptions = {
      "-r", "--require", "--import", "--loader", "--experimental-loader", "--conditions", "-C",
      "--title", "--input-type", "--env-file", "--inspect-port", "--debug-port", "--stack-size", "--openssl-config"};
  for (std::string_view known : kOptions) {
    if (option == known) return true;
  }
  return false;
}

// "srv/app.mjs" -> "app"
std::string ScriptBaseName(std::string_view path) {
  std::string script = Basename(path);
  if (const auto dot = script.rfind('.'); dot != std::string::npos && dot > 0) script.resize(dot);
  return script;
}

// With read(2), not a std::ifstream: in a program that has no iostreams of
// its own, the first stream initialises libstdc++'s locale facets, which
// faults in a few hundred KiB of its code and data for one small file.
std::string ReadWholeFile(const char* path) {
  std::string contents;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return contents;
  char buffer[4096];
  ssize_t got;
  while ((got = read(fd, buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR)) {
    if (got > 0) contents.append(buffer, static_cast<size_t>(got));
  }
  close(fd);
  return contents;
}

}  // namespace

ProcessIdentity ReadProcessIdentity() {
  ProcessIdentity identity;
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length > 0) identity.executable_name = Basename(std::string_view(path, static_cast<size_t>(length)));
  std::string raw = ReadWholeFile("/proc/self/cmdline");
  for (std::size_t start = 0; start < raw.size();) {
    const std::size_t end = raw.find('\0', start);
    identity.arguments.push_back(raw.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (identity.executable_name.empty() && !identity.arguments.empty()) {
    identity.executable_name = Basename(identity.arguments.front());
  }
  return identity;
}

bool ProcessMatches(std::string_view executable_name, std::string_view patterns) {
  const std::string name(executable_name);
  while (!patterns.empty()) {
    const auto comma = patterns.find(',');
    std::string pattern(patterns.substr(0, comma));
    while (!pattern.empty() && std::isspace(static_cast<unsigned char>(pattern.back()))) pattern.pop_back();
    while (!pattern.empty() && std::isspace(static_cast<unsigned char>(pattern.front()))) pattern.erase(0, 1);
    if (!pattern.empty() && fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
    if (comma == std::string_view::npos) break;
    patterns.remove_prefix(comma + 1);
  }
  return false;
}

std::string ScriptName(const std::vector<std::string>& arguments) {
  for (std::size_t i = 1; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument == "-e" || argument == "--eval" || argument == "-p" || argument == "--print") return {};
    if (argument == "--") {
      // Whatever follows "--" is the script, even if it starts with '-'.
      return i + 1 < arguments.size() ? ScriptBaseName(arguments[i + 1]) : std::string();
    }
    if (!argument.empty() && argument[0] == '-') {
      if (TakesSeparateValue(argument)) ++i;
      continue;
    }
    return ScriptBaseName(argument);
  }
  return {};
}

std::vector<std::string> NodeFlags(const std::vector<std::string>& arguments) {
  std::vector<std::string> flags;
  for (std::size_t i = 1; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument.empty() || argument[0] != '-' || argument == "--") break;
    if (argument == "-e" || argument == "--eval" || argument == "-p" || argument == "--print") break;
    flags.push_back(argument);
    if (TakesSeparateValue(argument) && i + 1 < arguments.size()) flags.push_back(arguments[++i]);
  }
  return flags;
}

std::string ServiceName(const std::string& configured, const ProcessIdentity& identity) {
  std::string name = configured;
  // Only node-like runtimes have a script; other programs are their executable.
  if (name.empty() && identity.executable_name.rfind("node", 0) == 0) name = ScriptName(identity.arguments);
  if (name.empty()) name = identity.executable_name;
  if (name.empty()) name = "process";
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  if (name.size() > 100) name.resize(100);
  return name;
}

}  // namespace heapagent
