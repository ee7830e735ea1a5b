// Writes profiles as files: {service}-{pid}-{kind}-{seq}.pb.gz in one
// directory, atomically, keeping at most `max_files` per kind.
//
// Atomic: each file is written to a hidden temporary name in the same
// directory, flushed, then renamed, so a reader (or an upload sidecar) never
// sees half a profile. Bounded: this process deletes its own oldest files of a
// kind beyond max_files, so a long-lived process can't fill the disk. Errors
// (unwritable directory, full disk) are reported once per distinct cause and
// retried quietly at the next profile.
//
// Thread-safety: none; used by the agent thread only.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <string_view>

namespace heapagent {

class ProfileFiles {
 public:
  ProfileFiles(std::string directory, std::string service, int pid, int max_files);

  // Writes one profile; returns the path written, or empty on failure.
  std::string Write(std::string_view kind, std::string_view gzipped_profile);

  const std::string& directory() const { return directory_; }

 private:
  bool EnsureDirectory();
  void ReportOnce(const std::string& cause);

  std::string directory_;
  std::string service_;
  int pid_;
  int max_files_;
  std::map<std::string, uint64_t, std::less<>> next_sequence_;
  std::map<std::string, std::deque<std::string>, std::less<>> written_;
  std::string last_reported_cause_;
};

// Whether this (directory, cause) of a write failure is news for the whole
// process: the native and JS profile writers and the heap summary file each
// meet a full disk, and it is still one line. A success clears it.
bool FirstReportOfWriteProblem(const std::string& directory, const std::string& cause);
void ClearWriteProblem();

// mkdir -p; true if the directory exists afterwards.
bool MakeDirectories(const std::string& path);

// "a/b" + "c" with exactly one slash; absolute if `path` is relative and `cwd` given.
std::string JoinPath(std::string_view directory, std::string_view name);

}  // namespace heapagent
