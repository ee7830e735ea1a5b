// Where finished profiles go: the file writer and the backends' exporters.
//
// The native and JS collectors hand every profile they finish (serialized,
// not yet gzipped) to each sink of the process. A sink does its own slow work
// (gzip, disk, network) or queues it; Deliver must never block on a backend.
// At exit, Flush gives queued work one bounded chance to finish.
//
// Thread-safety: Deliver and Flush may be called from the agent's threads
// concurrently (the native agent thread and the JS thread); implementations
// synchronise themselves.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "agent/profile_files.h"
#include "pprof/native_heap_profile.h"

namespace heapagent {

struct FinishedProfile {
  std::string_view kind;        // "native" or "js"
  pprof::ProfileWindow window;  // what the profile covers
  std::string_view encoded;     // serialized perftools.profiles.Profile, not gzipped
  bool is_final = false;        // the last of its kind in this process
};

class ProfileSink {
 public:
  virtual ~ProfileSink() = default;
  virtual void Deliver(const FinishedProfile& profile) = 0;
  // Called once at exit; returns by `deadline` whatever is left undone.
  virtual void Flush(std::chrono::steady_clock::time_point deadline) {}
};

// Writes each profile, gzipped, as {service}-{pid}-{kind}-{seq}.pb.gz.
class FileSink final : public ProfileSink {
 public:
  explicit FileSink(std::unique_ptr<ProfileFiles> files) : files_(std::move(files)) {}
  void Deliver(const FinishedProfile& profile) override;

 private:
  std::mutex mutex_;
  std::unique_ptr<ProfileFiles> files_;
};

// The sinks of this process, in delivery order. Built once at start-up and
// never changed, so delivering needs no lock of its own.
class ProfileSinks {
 public:
  void Add(std::unique_ptr<ProfileSink> sink) { sinks_.push_back(std::move(sink)); }
  void Deliver(const FinishedProfile& profile) {
    for (const auto& sink : sinks_) sink->Deliver(profile);
  }
  void Flush(std::chrono::steady_clock::time_point deadline) {
    for (const auto& sink : sinks_) sink->Flush(deadline);
  }
  bool empty() const { return sinks_.empty(); }

 private:
  std::vector<std::unique_ptr<ProfileSink>> sinks_;
};

}  // namespace heapagent
