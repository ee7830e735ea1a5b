// Fuzzes agent/process_identity: the command line of the host process and the
// configured service name are outside the agent's control, and the service
// name becomes part of every profile's file name.
//
// Input format: NUL-separated fields. The first field is the configured
// service name (HEAPAGENT_SERVICE), the second the executable name, the third
// a HEAPAGENT_PROCESS pattern list, the rest are argv.
//
// Checked, beyond "no crash, no sanitizer report":
//   - ServiceName is never empty, at most 100 bytes, and only [A-Za-z0-9._-]
//     (so never a path separator, never "..": at most a harmless name);
//   - a configured name that is already safe is kept unchanged;
//   - ScriptName is a prefix of the base name of one of the arguments;
//   - "*" matches every executable name and an empty pattern list none.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/process_identity.h"

namespace {

using namespace heapagent;

#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);   \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

bool IsSafeNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

bool IsSafeName(std::string_view name) {
  for (char c : name) {
    if (!IsSafeNameCharacter(c)) return false;
  }
  return true;
}

std::string_view BaseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> fields;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (;;) {
    const std::size_t nul = input.find('\0');
    fields.emplace_back(input.substr(0, nul));
    if (nul == std::string_view::npos) break;
    input.remove_prefix(nul + 1);
  }
  fields.resize(std::max<std::size_t>(fields.size(), 3));
  const std::string& configured = fields[0];
  ProcessIdentity identity;
  identity.executable_name = fields[1];
  // fnmatch backtracks; keep patterns short so a run stays fast (a real
  // HEAPAGENT_PROCESS is a handful of names).
  const std::string patterns = fields[2].substr(0, 64);
  identity.arguments.assign(fields.begin() + 3, fields.end());

  const std::string service = ServiceName(configured, identity);
  FUZZ_CHECK(!service.empty());
  FUZZ_CHECK(service.size() <= 100);
  FUZZ_CHECK(IsSafeName(service));
  if (!configured.empty() && configured.size() <= 100 && IsSafeName(configured)) FUZZ_CHECK(service == configured);

  const std::string script = ScriptName(identity.arguments);
  FUZZ_CHECK(script.find('/') == std::string::npos);
  if (!script.empty()) {
    bool found = false;
    for (std::size_t i = 1; i < identity.arguments.size() && !found; ++i) {
      found = BaseName(identity.arguments[i]).substr(0, script.size()) == script;
    }
    FUZZ_CHECK(found);
  }

  FUZZ_CHECK(ProcessMatches(identity.executable_name, "*"));
  FUZZ_CHECK(!ProcessMatches(identity.executable_name, ""));
  FUZZ_CHECK(!ProcessMatches(identity.executable_name, " , "));
  (void)ProcessMatches(identity.executable_name, patterns);
  return 0;
}
