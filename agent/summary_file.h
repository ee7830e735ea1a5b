// Appends the heap summary series to {service}-{pid}-summary.jsonl beside the
// profiles, one JSON line per period.
//
// Bounded: when the next line would take the file past `max_bytes`, the file
// is renamed to {service}-{pid}-summary.1.jsonl (replacing an older one) and
// a new file is started, so a process never keeps more than two generations
// (2 x max_bytes) on disk; with `keep_previous` false (HEAPAGENT_MAX_FILES=1)
// the full file is removed instead. Each line is one write() on an O_APPEND
// descriptor, so a reader sees whole lines (a line a full disk cut short is
// truncated away; readers skip an unterminated last line all the same). Errors are
// reported once per cause, like the profile files', and retried at the next
// line.
//
// Thread-safety: none; used by the agent thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace heapagent {

class SummaryFile {
 public:
  SummaryFile(std::string directory, std::string_view service, int pid, uint64_t max_bytes, bool keep_previous);
  ~SummaryFile();
  SummaryFile(const SummaryFile&) = delete;
  SummaryFile& operator=(const SummaryFile&) = delete;

  // Appends one '\n'-terminated line; false if it could not be written.
  bool Append(std::string_view line);

  const std::string& path() const { return path_; }
  const std::string& previous_path() const { return previous_path_; }

 private:
  bool Open();
  void Rotate();
  void ReportOnce(const std::string& cause);

  std::string directory_;
  std::string path_;
  std::string previous_path_;
  uint64_t max_bytes_;
  bool keep_previous_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string last_reported_cause_;
};

// "{service}-{pid}-summary.jsonl" and its previous generation's name.
std::string SummaryFileName(std::string_view service, int pid);
std::string PreviousSummaryFileName(std::string_view service, int pid);

}  // namespace heapagent
