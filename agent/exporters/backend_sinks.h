// Builds the uploading sink for the backends the configuration names
// (HEAPAGENT_PYROSCOPE_URL, HEAPAGENT_DATADOG) and starts its thread. Called
// by entry.cc whenever an agent is launched (again in a forked child, so the
// pid and runtime id are the child's).
//
// Thread-safety: call from the launching thread only.
#pragma once

#include <string>

#include "agent/config.h"
#include "agent/exporters/upload_sink.h"
#include "agent/profile_sink.h"

namespace heapagent {

// The agent's own version (CMake's PROJECT_VERSION).
const char* AgentVersion();

// Adds one UploadingSink to `sinks` when at least one backend is configured
// and returns true; false (nothing added) otherwise or if its thread could
// not start. `file_fallback` (may be empty) makes the files that stand in for
// uploads when libcurl turns out to be missing.
bool AddBackendSinks(const Config& config, const std::string& service, ProfileSinks& sinks,
                     UploadingSink::FileFallback file_fallback);

}  // namespace heapagent
