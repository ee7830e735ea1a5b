// Finding and loading the profiles the commands work on.
//
// The agent names its files `{service}-{pid}-{native|js}-{seq}.pb.gz`; those
// names give the process, the heap and the order of a series. Any other
// gzipped pprof heap profile (Go's, @datadog/pprof's) is read too: its heap
// kind is told from its sample types and its place in a series from
// time_nanos. Every failure is an InputError naming the file and the reason.
//
// Thread-safety: plain values and functions with no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pprof/profile_data.h"

namespace heapagent::cli {

enum class HeapKind { kJs, kNative };

std::string_view HeapKindName(HeapKind kind);  // "js" / "native"
// Parses "js" or "native"; throws InputError otherwise.
HeapKind ParseHeapKind(std::string_view text);

struct ProfileFileName {
  std::string service;
  int64_t pid = 0;
  HeapKind kind = HeapKind::kNative;
  int64_t sequence = 0;
};

// nullopt when `filename` (a base name) is not in the agent's pattern.
std::optional<ProfileFileName> ParseProfileFileName(std::string_view filename);

// JS when the profile has the agent's `inuse_samples` type or is shaped like
// @datadog/pprof's (objects/space without mappings); native otherwise.
HeapKind GuessHeapKind(const pprof::ProfileData& profile);

struct LoadedProfile {
  std::string path;
  pprof::ProfileData data;
  HeapKind kind = HeapKind::kNative;
  std::optional<ProfileFileName> name;  // when the file name follows the agent's pattern
};

// Reads and decodes one file. Throws InputError("PATH: reason").
LoadedProfile LoadProfile(const std::string& path);

// The profiles of one process and one heap kind, oldest first.
struct ProfileSeries {
  std::optional<int64_t> pid;  // absent for files not named by the agent
  HeapKind kind = HeapKind::kNative;
  std::vector<LoadedProfile> profiles;
};

// The agent's heap summary files: {service}-{pid}-summary.jsonl and its
// previous generation {service}-{pid}-summary.1.jsonl.
struct SummaryFileName {
  std::string service;
  int64_t pid = 0;
  int generation = 0;  // 0 = current, 1 = previous
};
std::optional<SummaryFileName> ParseSummaryFileName(std::string_view filename);
// The summary files of `pid` in `directory`, the previous generation first;
// empty when there are none.
std::vector<std::string> SummaryFilesOf(const std::string& directory, int64_t pid);

// Every *.pb.gz / *.pprof / *.pb file of `directory`, grouped into series per
// kind. Throws InputError when the directory is missing or holds no profile,
// or when it holds several processes and `pid` does not choose one (the
// message lists a file of each process).
std::vector<ProfileSeries> LoadSeries(const std::string& directory, std::optional<int64_t> pid);

}  // namespace heapagent::cli
