#include "agent/profile_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "agent/log.h"

namespace heapagent {
bool MakeDirectories(const std::string& path) {
  struct stat status {};
  if (stat(path.c_str(), &status) == 0) return S_ISDIR(status.st_mode);
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) MakeDirectories(path.substr(0, slash));
  return mkdir(path.c_str(), 0755) == 0 || errno == EEXIST;
}

namespace {

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

}  // namespace

std::string JoinPath(std::string_view directory, std::string_view name) {
  std::string path(directory);
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

ProfileFiles::ProfileFiles(std::string directory, std::string service, int pid, int max_files)
    : directory_(std::move(directory)), service_(std::move(service)), pid_(pid), max_files_(max_files) {}

namespace {
// The (directory, cause) last reported by any writer of this process: the
// native and JS collectors write through writers of their own, and a full
// disk is still one line. Never destroyed: the final profiles are written
// from exit handlers that may run after static destructors.
struct LastReport {
  std::mutex mutex;
  std::string report;  // directory + '\0' + cause; empty once writing works again
};
LastReport& ProcessLastReport() {
  static auto* last = new LastReport;
  return *last;
}
}  // namespace

bool FirstReportOfWriteProblem(const std::string& directory, const std::string& cause) {
  LastReport& last = ProcessLastReport();
  std::lock_guard lock(last.mutex);
  const std::string report = directory + '\0' + cause;
  if (report == last.report) return false;
  last.report = report;
  return true;
}

void ClearWriteProblem() {
  LastReport& last = ProcessLastReport();
  std::lock_guard lock(last.mutex);
  last.report.clear();
}

void ProfileFiles::ReportOnce(const std::string& cause) {
  if (cause == last_reported_cause_) return;
  last_reported_cause_ = cause;
  if (!FirstReportOfWriteProblem(directory_, cause)) return;
  Log(LogLevel::kError, "cannot write profiles to %s: %s; profiles are skipped until it works again",
      directory_.c_str(), cause.c_str());
}

bool ProfileFiles::EnsureDirectory() {
  if (MakeDirectories(directory_) && access(directory_.c_str(), W_OK | X_OK) == 0) return true;
  ReportOnce(std::strerror(errno ? errno : ENOTDIR));
  return false;
}

std::string ProfileFiles::Write(std::string_view kind, std::string_view gzipped_profile) {
  if (!EnsureDirectory()) return {};
  uint64_t& sequence = next_sequence_[std::string(kind)];
  char name[512];
  std::snprintf(name, sizeof name, "%s-%d-%.*s-%06llu.pb.gz", service_.c_str(), pid_, static_cast<int>(kind.size()),
                kind.data(), static_cast<unsigned long long>(sequence));
  const std::string final_path = JoinPath(directory_, name);
  const std::string temporary_path = JoinPath(directory_, std::string(".") + name + ".tmp");

  const int fd = open(temporary_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    ReportOnce(std::strerror(errno));
    return {};
  }
  const bool written = WriteAll(fd, gzipped_profile);
  const int write_error = errno;
  const bool closed = close(fd) == 0;
  if (!written || !closed || rename(temporary_path.c_str(), final_path.c_str()) != 0) {
    ReportOnce(std::strerror(written && closed ? errno : write_error));
    unlink(temporary_path.c_str());
    return {};
  }
  if (!last_reported_cause_.empty()) {
    Log(LogLevel::kInfo, "writing profiles to %s works again", directory_.c_str());
    last_reported_cause_.clear();
    ClearWriteProblem();
  }
  ++sequence;
  auto& written_files = written_[std::string(kind)];
  written_files.push_back(final_path);
  while (static_cast<int>(written_files.size()) > max_files_) {
    unlink(written_files.front().c_str());
    written_files.pop_front();
  }
  return final_path;
}

}  // namespace heapagent
