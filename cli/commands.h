// The subcommands of `heapagent`. Each takes the words after its name,
// writes its output, and returns the exit code; bad usage and bad input are
// thrown as InputError (main prints it and exits 2).
//
// Thread-safety: each runs on the main thread only.
#pragma once

#include <string>
#include <vector>

namespace heapagent::cli {

using Arguments = std::vector<std::string>;

int RunTop(const Arguments& arguments);         // heapagent top PATH... [--kind] [--sample] [-n]
int RunFlamegraph(const Arguments& arguments);  // heapagent flamegraph FILE -o out.html
int RunDiff(const Arguments& arguments);        // heapagent diff BASE NEW [-o diff.html]
int RunLeaks(const Arguments& arguments);       // heapagent leaks DIR [--json]
int RunReport(const Arguments& arguments);      // heapagent report DIR -o report.html

// Writes `content` to `path`; throws InputError naming the path on failure.
void WriteOutputFile(const std::string& path, const std::string& content);

}  // namespace heapagent::cli
