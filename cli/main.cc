// `heapagent`: flame graphs, diffs and a leak finder over the pprof heap
// profiles the agent (or Go, or @datadog/pprof) writes. Dispatches to the
// subcommands; turns every InputError into one stderr line and exit code 2.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/input_error.h"

namespace {

constexpr const char kUsage[] =
    "usage: heapagent COMMAND ...\n"
    "  top PATH... [--kind js|native] [--sample TYPE] [-n N]   top allocation sites (flat, cumulative)\n"
    "  flamegraph FILE -o out.html [--sample TYPE]            interactive flame graph, one HTML file\n"
    "  diff BASE NEW [-o diff.html] [--sample TYPE] [-n N]      what grew and shrank (text, or HTML with -o)\n"
    "  leaks DIR [--json] [--pid PID] [--kind K] [-n N]         rank leak suspects of one process's series\n"
    "  report DIR -o report.html [--pid PID]                    timeline, suspects, flame graph and diff\n"
    "Profiles: gzipped (or plain) pprof heap profiles; DIR is an agent's HEAPAGENT_OUTPUT_DIR.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace heapagent::cli;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitBadInput : 0;
  }
  const std::string command = argv[1];
  const Arguments arguments(argv + 2, argv + argc);
  try {
    if (command == "top") return RunTop(arguments);
    if (command == "flamegraph") return RunFlamegraph(arguments);
    if (command == "diff") return RunDiff(arguments);
    if (command == "leaks") return RunLeaks(arguments);
    if (command == "report") return RunReport(arguments);
    std::fprintf(stderr, "heapagent: unknown command '%s'\n%s", command.c_str(), kUsage);
    return kExitBadInput;
  } catch (const InputError& error) {
    std::fprintf(stderr, "heapagent %s: %s\n", command.c_str(), error.what());
    return kExitBadInput;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "heapagent %s: %s\n", command.c_str(), error.what());
    return 1;
  }
}
