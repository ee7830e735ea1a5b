// Who this process is: its executable, its script, the service it belongs to,
// and whether the agent should wake up in it at all.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace heapagent {

struct ProcessIdentity {
  std::string executable_name;  // basename of /proc/self/exe, e.g. "node"
  std::vector<std::string> arguments;  // argv from /proc/self/cmdline
};

ProcessIdentity ReadProcessIdentity();

// True if `executable_name` matches one of the comma-separated shell patterns
// in `patterns` (fnmatch), e.g. "node,nodejs" or "*".
bool ProcessMatches(std::string_view executable_name, std::string_view patterns);

// The script a node command line runs, without directory and extension:
// "node --max-old-space-size=100 srv/app.js" -> "app". Empty for -e/-p/REPL.
std::string ScriptName(const std::vector<std::string>& arguments);

// node's own options on a command line: the arguments between the executable
// and the script (or "--"), with their separate values; -e/-p and their code
// end them too. {"node","--inspect","-r","x","app.js","--inspect"} ->
// {"--inspect","-r","x"}.
std::vector<std::string> NodeFlags(const std::vector<std::string>& arguments);

// HEAPAGENT_SERVICE / DD_SERVICE if given, else the script name, else the
// executable name; reduced to characters that are safe in a file name.
std::string ServiceName(const std::string& configured, const ProcessIdentity& identity);

}  // namespace heapagent
