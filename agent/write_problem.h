// Reports a file writer's failures (unwritable directory, full disk) as the
// agent promises: one log line per distinct cause, one more when writing
// works again, and a full disk met by several writers (native and JS
// profiles, the heap summary) in the same directory is still one line.
//
// Thread-safety: one reporter per writer, used by that writer's thread; the
// process-wide de-duplication behind it is locked.
#pragma once

#include <string>

namespace heapagent {

class WriteProblemReporter {
 public:
  // `what` names the output ("profiles", "the heap summary"), `target` where
  // it goes, `skipped` what is lost meanwhile ("profiles", "records").
  WriteProblemReporter(std::string directory, std::string what, std::string target, std::string skipped);

  void Failed(const std::string& cause);
  void Succeeded();

 private:
  std::string directory_;
  std::string what_;
  std::string target_;
  std::string skipped_;
  std::string last_cause_;  // empty while writing works
};

}  // namespace heapagent
