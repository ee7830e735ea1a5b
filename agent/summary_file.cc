#include "agent/summary_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/log.h"
#include "agent/profile_files.h"

namespace heapagent {

std::string SummaryFileName(std::string_view service, int pid) {
  return std::string(service) + "-" + std::to_string(pid) + "-summary.jsonl";
}

std::string PreviousSummaryFileName(std::string_view service, int pid) {
  return std::string(service) + "-" + std::to_string(pid) + "-summary.1.jsonl";
}

SummaryFile::SummaryFile(std::string directory, std::string_view service, int pid, uint64_t max_bytes,
                         bool keep_previous)
    : directory_(std::move(directory)),
      path_(JoinPath(directory_, SummaryFileName(service, pid))),
      previous_path_(JoinPath(directory_, PreviousSummaryFileName(service, pid))),
      max_bytes_(max_bytes),
      keep_previous_(keep_previous) {}

SummaryFile::~SummaryFile() {
  if (fd_ >= 0) close(fd_);
}

void SummaryFile::ReportOnce(const std::string& cause) {
  if (cause == last_reported_cause_) return;
  last_reported_cause_ = cause;
  // The profile writers usually met the same problem first: one line.
  if (!FirstReportOfWriteProblem(directory_, cause)) return;
  Log(LogLevel::kError, "cannot write the heap summary to %s: %s; records are skipped until it works again",
      path_.c_str(), cause.c_str());
}

bool SummaryFile::Open() {
  if (fd_ >= 0) return true;
  if (!MakeDirectories(directory_)) {
    ReportOnce(std::strerror(errno ? errno : ENOTDIR));
    return false;
  }
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    ReportOnce(std::strerror(errno));
    return false;
  }
  struct stat status {};
  size_ = fstat(fd_, &status) == 0 ? static_cast<uint64_t>(status.st_size) : 0;
  return true;
}

void SummaryFile::Rotate() {
  close(fd_);
  fd_ = -1;
  if (keep_previous_) {
    rename(path_.c_str(), previous_path_.c_str());
  } else {
    unlink(path_.c_str());
  }
}

bool SummaryFile::Append(std::string_view line) {
  if (!Open()) return false;
  if (size_ > 0 && size_ + line.size() > max_bytes_) {
    Rotate();
    if (!Open()) return false;
  }
  // One write: O_APPEND keeps a line whole for readers.
  ssize_t written;
  do {
    written = write(fd_, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
  if (written != static_cast<ssize_t>(line.size())) {
    ReportOnce(written < 0 ? std::strerror(errno) : "short write (disk full?)");
    // Cut a partial line off so the next one starts on its own line; then
    // start again from a fresh descriptor (the file may have been removed).
    if (written > 0 && ftruncate(fd_, static_cast<off_t>(size_)) != 0) size_ = 0;
    close(fd_);
    fd_ = -1;
    return false;
  }
  size_ += line.size();
  if (!last_reported_cause_.empty()) {
    Log(LogLevel::kInfo, "writing the heap summary to %s works again", path_.c_str());
    last_reported_cause_.clear();
    ClearWriteProblem();
  }
  return true;
}

}  // namespace heapagent
