#include "agent/write_problem.h"

#include <mutex>
#include <utility>

#include "agent/log.h"

namespace heapagent {
namespace {

// The last problem reported in this process, by any writer.
struct LastReport {
  std::mutex mutex;
  std::string report;  // directory + '\0' + cause; empty once writing works again
};
LastReport& ProcessLastReport() {
  static auto* last = new LastReport;  // never destroyed: writers may run during exit
  return *last;
}

bool FirstReportInProcess(const std::string& directory, const std::string& cause) {
  LastReport& last = ProcessLastReport();
  std::lock_guard lock(last.mutex);
  std::string report = directory + '\0' + cause;
  if (report == last.report) return false;
  last.report = std::move(report);
  return true;
}

void ClearProcessReport() {
  LastReport& last = ProcessLastReport();
  std::lock_guard lock(last.mutex);
  last.report.clear();
}

}  // namespace

WriteProblemReporter::WriteProblemReporter(std::string directory, std::string what, std::string target,
                                           std::string skipped)
    : directory_(std::move(directory)), what_(std::move(what)), target_(std::move(target)),
      skipped_(std::move(skipped)) {}

void WriteProblemReporter::Failed(const std::string& cause) {
  if (cause == last_cause_) return;
  last_cause_ = cause;
  if (!FirstReportInProcess(directory_, cause)) return;
  Log(LogLevel::kError, "cannot write %s to %s: %s; %s are skipped until it works again", what_.c_str(),
      target_.c_str(), cause.c_str(), skipped_.c_str());
}

void WriteProblemReporter::Succeeded() {
  if (last_cause_.empty()) return;
  Log(LogLevel::kInfo, "writing %s to %s works again", what_.c_str(), target_.c_str());
  last_cause_.clear();
  ClearProcessReport();
}

}  // namespace heapagent
