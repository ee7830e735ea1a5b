#include "agent/profile_sink.h"

#include "agent/log.h"
#include "pprof/gzip.h"

namespace heapagent {

void FileSink::Deliver(const FinishedProfile& profile) {
  const std::string gzipped = pprof::GzipCompress(profile.encoded);
  std::lock_guard lock(mutex_);
  const std::string path = files_->Write(profile.kind, gzipped);
  if (!path.empty()) Log(LogLevel::kInfo, "wrote %s%s", path.c_str(), profile.is_final ? " (final)" : "");
}

}  // namespace heapagent
