// The identity of a profile in each backend's own vocabulary: Pyroscope's
// series name "app{label=value,...}" and Datadog's tags_profiler string.
// Kept apart from the exporters so the exact strings are unit-tested.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/exporters/upload_identity.h"

namespace heapagent {

// Pyroscope's `name` query parameter (not yet URL-encoded):
//   <service>{otel.scope.name=heapagent,otel.scope.version=<v>,
//             process.runtime.name=nodejs,process.runtime.version=<node>,
//             heap=<js|native>,host.name=<host>,process.pid=<pid>,
//             env=<env>,version=<version>,<user tags>}
// in the Node SDK's order (its labels, then the user's; a user tag with the
// same key replaces an earlier label). The app name keeps only
// [A-Za-z0-9_.-/], label keys only [A-Za-z0-9_.], and values lose the
// characters the server's parser cannot take (",{}=" and spaces); keys
// starting with "__" are reserved by the server and skipped.
std::string PyroscopeSeriesName(const UploadIdentity& identity, std::string_view heap_kind);

// Datadog's tags_profiler, one comma-joined string with dd-trace-js's keys
// in its order: language, runtime, runtime_arch, runtime_os,
// runtime_version, process_id, profiler_version, format, service, env,
// version, the user's tags, runtime-id, snapshot, profile_seq. `language` is
// "javascript" for the JS heap and "native" for the native heap.
std::string DatadogProfilerTags(const UploadIdentity& identity, std::string_view heap_kind, uint64_t profile_seq,
                                bool is_final);

}  // namespace heapagent
