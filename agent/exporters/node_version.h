// node's version ("20.20.2"), read from the executable without running any
// JS or spawning `node --version`: every official and distribution build
// embeds its release URL ("…/download/release/v20.20.2/…", process.release)
// and, with the inspector, "node.js/v20.20.2" in .rodata. Only .rodata is
// scanned, through a private read-only mapping that is unmapped afterwards.
// Empty when the file is not such an executable.
//
// Thread-safety: no shared state. Reads ~40 MB of page cache: call it off
// node's threads (the uploader does, once).
#pragma once

#include <string>
#include <string_view>

namespace heapagent {

std::string NodeVersionOfExecutable(const char* path = "/proc/self/exe");

// The version after the first of the markers in `bytes`; exposed for tests.
std::string FindNodeVersion(std::string_view bytes);

}  // namespace heapagent
