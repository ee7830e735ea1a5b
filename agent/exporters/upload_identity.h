// Who is uploading: the service, its deployment tags and the process, as the
// backends' own clients describe them (Pyroscope's series labels, Datadog's
// tags_profiler and event.json). Built once per process (again in a forked
// child: new pid, new runtime id).
//
// Thread-safety: a plain value; ReadUploadIdentity has no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace heapagent {

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

struct UploadIdentity {
  std::string service;          // ServiceName(): HEAPAGENT_SERVICE, DD_SERVICE, else the script
  std::string env;              // HEAPAGENT_ENV / DD_ENV; may be empty
  std::string version;          // HEAPAGENT_VERSION / DD_VERSION; may be empty
  std::vector<Tag> tags;        // HEAPAGENT_TAGS / DD_TAGS
  std::string hostname;         // gethostname()
  int pid = 0;
  std::string runtime_version;  // node's version without "v" ("20.20.2"); empty when unknown
  std::string agent_version;    // heapagent's own version
  std::string runtime_id;       // a random UUID per process, as dd-trace's runtime-id
  std::string arch = "x64";     // process.arch spelling
  std::string kernel_name, kernel_release, kernel_version;  // uname()
  int available_processors = 1;
  int64_t start_unix_nanos = 0;  // when the agent started in this process
};

// "key:value,key2:value2" (DD_TAGS' form; spaces also separate, "=" also
// splits key from value). Entries without a key or value are skipped.
std::vector<Tag> ParseTags(std::string_view text);

// The identity of this process (hostname, pid, uname, a fresh runtime id,
// processors); runtime_version is left empty (see node_version.h).
UploadIdentity ReadUploadIdentity(std::string service, std::string env, std::string version, std::string_view tags,
                                  int64_t start_unix_nanos);

// A random version-4 UUID, lowercase with dashes.
std::string RandomUuid();

}  // namespace heapagent
