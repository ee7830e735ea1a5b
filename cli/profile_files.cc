// Finding, naming and loading profiles; see profile_files.h.
#include "cli/profile_files.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/input_error.h"

namespace heapagent::cli {
namespace {

bool ParseInt(std::string_view text, int64_t* value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size() && *value >= 0;
}

bool IsProfileFileName(std::string_view name) {
  for (std::string_view suffix : {".pb.gz", ".pprof", ".pb"}) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return true;
  }
  return false;
}

// Series order: the agent's sequence number, else collection time, else name.
bool EarlierInSeries(const LoadedProfile& a, const LoadedProfile& b) {
  if (a.name && b.name && a.name->sequence != b.name->sequence) return a.name->sequence < b.name->sequence;
  if (a.data.time_nanos != b.data.time_nanos) return a.data.time_nanos < b.data.time_nanos;
  return a.path < b.path;
}

}  // namespace

std::string_view HeapKindName(HeapKind kind) { return kind == HeapKind::kJs ? "js" : "native"; }

HeapKind ParseHeapKind(std::string_view text) {
  if (text == "js") return HeapKind::kJs;
  if (text == "native") return HeapKind::kNative;
  throw InputError("--kind wants js or native, not '" + std::string(text) + "'");
}

std::optional<ProfileFileName> ParseProfileFileName(std::string_view filename) {
  constexpr std::string_view kSuffix = ".pb.gz";
  if (filename.size() <= kSuffix.size() || !filename.ends_with(kSuffix)) return std::nullopt;
  std::string_view stem = filename.substr(0, filename.size() - kSuffix.size());
  // From the right: seq, kind, pid; the service name may contain dashes.
  ProfileFileName name;
  const size_t seq_dash = stem.rfind('-');
  if (seq_dash == std::string_view::npos || !ParseInt(stem.substr(seq_dash + 1), &name.sequence)) return std::nullopt;
  stem = stem.substr(0, seq_dash);
  const size_t kind_dash = stem.rfind('-');
  if (kind_dash == std::string_view::npos) return std::nullopt;
  const std::string_view kind = stem.substr(kind_dash + 1);
  if (kind == "js") {
    name.kind = HeapKind::kJs;
  } else if (kind == "native") {
    name.kind = HeapKind::kNative;
  } else {
    return std::nullopt;
  }
  stem = stem.substr(0, kind_dash);
  const size_t pid_dash = stem.rfind('-');
  if (pid_dash == std::string_view::npos || !ParseInt(stem.substr(pid_dash + 1), &name.pid)) return std::nullopt;
  name.service = std::string(stem.substr(0, pid_dash));
  return name;
}

std::optional<SummaryFileName> ParseSummaryFileName(std::string_view filename) {
  SummaryFileName name;
  std::string_view stem;
  if (filename.ends_with("-summary.jsonl")) {
    stem = filename.substr(0, filename.size() - std::string_view("-summary.jsonl").size());
  } else if (filename.ends_with("-summary.1.jsonl")) {
    stem = filename.substr(0, filename.size() - std::string_view("-summary.1.jsonl").size());
    name.generation = 1;
  } else {
    return std::nullopt;
  }
  const size_t pid_dash = stem.rfind('-');
  if (pid_dash == std::string_view::npos || pid_dash == 0 || !ParseInt(stem.substr(pid_dash + 1), &name.pid)) {
    return std::nullopt;
  }
  name.service = std::string(stem.substr(0, pid_dash));
  return name;
}

std::vector<std::string> SummaryFilesOf(const std::string& directory, int64_t pid) {
  std::vector<std::pair<int, std::string>> found;  // (newer generation first = 0)
  std::error_code error_code;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error_code)) {
    if (!entry.is_regular_file()) continue;
    const auto name = ParseSummaryFileName(entry.path().filename().string());
    if (name && name->pid == pid) found.emplace_back(name->generation, entry.path().string());
  }
  // The previous generation's records come first.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> paths;
  for (auto& [generation, path] : found) paths.push_back(std::move(path));
  return paths;
}

HeapKind GuessHeapKind(const pprof::ProfileData& profile) {
  if (profile.SampleTypeIndex("inuse_samples") >= 0) return HeapKind::kJs;
  // Native heap profiles (ours, Go's, ddprof's) count allocations too; JS
  // heap profiles (ours in either mode, @datadog/pprof's) are in-use only and
  // map no binaries.
  for (const auto& type : profile.sample_types) {
    if (type.type.rfind("alloc", 0) == 0) return HeapKind::kNative;
  }
  if (profile.mappings.empty() &&
      (profile.SampleTypeIndex("space") >= 0 || profile.SampleTypeIndex("inuse_space") >= 0)) {
    return HeapKind::kJs;
  }
  return HeapKind::kNative;
}

LoadedProfile LoadProfile(const std::string& path) {
  std::error_code error_code;
  if (std::filesystem::is_directory(path, error_code)) throw InputError(path + ": is a directory, not a profile file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot be opened");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string error;
  std::optional<pprof::ProfileData> data = pprof::DecodeProfile(buffer.str(), &error);
  if (!data) throw InputError(path + ": not a readable pprof profile: " + error);
  if (data->sample_types.empty()) throw InputError(path + ": the profile has no sample types");
  LoadedProfile loaded;
  loaded.path = path;
  loaded.name = ParseProfileFileName(std::filesystem::path(path).filename().string());
  loaded.kind = loaded.name ? loaded.name->kind : GuessHeapKind(*data);
  loaded.data = std::move(*data);
  return loaded;
}

std::vector<ProfileSeries> LoadSeries(const std::string& directory, std::optional<int64_t> pid) {
  std::error_code error_code;
  if (!std::filesystem::is_directory(directory, error_code)) {
    throw InputError(directory + ": not a directory");
  }
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error_code)) {
    if (entry.is_regular_file() && IsProfileFileName(entry.path().filename().string())) {
      paths.push_back(entry.path().string());
    }
  }
  if (error_code) throw InputError(directory + ": cannot be listed: " + error_code.message());
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) throw InputError(directory + ": holds no profile (*.pb.gz)");

  // One file per process first, so a mix of processes is refused before
  // anything is decoded.
  std::map<std::optional<int64_t>, std::string> file_per_process;
  for (const std::string& path : paths) {
    const auto name = ParseProfileFileName(std::filesystem::path(path).filename().string());
    file_per_process.emplace(name ? std::optional<int64_t>(name->pid) : std::nullopt, path);
  }
  if (pid) {
    if (!file_per_process.contains(pid)) {
      throw InputError(directory + ": holds no profile of pid " + std::to_string(*pid));
    }
  } else if (file_per_process.size() > 1) {
    std::string message = directory + ": holds profiles of " + std::to_string(file_per_process.size()) +
                           " processes; choose one with --pid:";
    for (const auto& [process, path] : file_per_process) {
      message += "\n  " + (process ? "pid " + std::to_string(*process) : std::string("unnamed files")) +
                 ", e.g. " + path;
    }
    throw InputError(message);
  }

  std::map<HeapKind, ProfileSeries> series;
  for (const std::string& path : paths) {
    const auto name = ParseProfileFileName(std::filesystem::path(path).filename().string());
    if (pid && (!name || name->pid != *pid)) continue;
    LoadedProfile loaded = LoadProfile(path);
    ProfileSeries& target = series[loaded.kind];
    target.kind = loaded.kind;
    if (name) target.pid = name->pid;
    target.profiles.push_back(std::move(loaded));
  }
  std::vector<ProfileSeries> result;
  for (auto& [kind, one] : series) {
    std::sort(one.profiles.begin(), one.profiles.end(), EarlierInSeries);
    result.push_back(std::move(one));
  }
  return result;
}

}  // namespace heapagent::cli
