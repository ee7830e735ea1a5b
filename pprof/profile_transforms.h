// Reshaping a decoded profile (profile_data.h) into what one backend expects:
// renamed sample and period types, fewer labels and decorations, per-stack
// deltas of cumulative types, and a bound on samples and encoded size.
//
// The exporters build each backend's variant from the same decoded profile:
//
//   DecodeProfile ──> copy ──> transforms ──> EncodeWithinLimits ──> gzip
//
// Every transform keeps the profile valid for EncodeProfile: sample value
// counts match the sample types, and every referenced id exists.
//
// Thread-safety: the free functions have no shared state. A CumulativeDelta
// keeps the previous profile of one kind and must be used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pprof/profile_data.h"

namespace heapagent::pprof {

// Renames the sample type called `from` (and its unit); false when absent.
bool RenameSampleType(ProfileData& profile, std::string_view from, const ValueTypeData& to);

// Removes the labels with these keys from every sample.
void DropLabels(ProfileData& profile, const std::vector<std::string>& keys);
void DropAllLabels(ProfileData& profile);

// Removes what only humans and pprof's UI read and some backends' reference
// clients never send: comments, default sample type, drop/keep frames,
// duration, Line.column and Function.start_line.
void StripDecorations(ProfileData& profile);

// Adds up samples with the same stack and labels (after labels were dropped,
// several samples can share a stack).
void MergeIdenticalSamples(ProfileData& profile);

// Removes locations, functions and mappings that no sample refers to.
void RemoveUnreferenced(ProfileData& profile);

// A key naming a sample across profiles of one process: its frames resolved
// to (address, function, file, line) and its labels. Location ids are not
// stable from one profile to the next; these are.
std::string StableSampleKey(const ProfileData& profile, const SampleData& sample);

// Turns cumulative sample types (e.g. alloc_objects, alloc_space: totals
// since the process started) into growth since the previous profile given to
// Apply: backends that read every profile as a standalone period (Pyroscope's
// /ingest, Datadog) would otherwise count the same allocations every period.
// Other types (inuse_*: snapshots) are left alone. A stack seen for the first
// time keeps its whole value; a value that went down (a reset) is taken as
// is. Samples left with only zeros are removed.
class CumulativeDelta {
 public:
  explicit CumulativeDelta(std::vector<std::string> cumulative_types)
      : cumulative_types_(std::move(cumulative_types)) {}
  void Apply(ProfileData& profile);
  bool has_previous() const { return has_previous_; }

 private:
  std::vector<std::string> cumulative_types_;
  // Cumulative values of the previous profile, by StableSampleKey, in the
  // order of cumulative_types_ (absent types: 0).
  std::unordered_map<std::string, std::vector<int64_t>> previous_;
  bool has_previous_ = false;
};

// The weight by which samples are ranked when some must be folded: the sum of
// the absolute values of every "bytes" sample type (all types when none is in
// bytes).
int64_t SampleWeight(const ProfileData& profile, const SampleData& sample);

// Keeps at most `max_samples` samples: merges identical ones, keeps the
// max_samples - 1 heaviest and folds the rest into one sample whose stack is
// the single frame `remainder_function` and whose values are their sums.
// Returns how many samples were folded.
size_t FoldLightestSamples(ProfileData& profile, size_t max_samples, std::string_view remainder_function);

struct EncodedWithinLimits {
  std::string encoded;        // serialized Profile (not gzipped); empty if even one sample is too big
  size_t folded_samples = 0;  // samples folded into the remainder
};

// Encodes `profile` with at most `max_samples` samples and at most
// `max_bytes` bytes (uncompressed), folding the lightest samples, then more
// of them, until both hold. Unreferenced tables are removed first.
EncodedWithinLimits EncodeWithinLimits(ProfileData& profile, size_t max_samples, size_t max_bytes,
                                       std::string_view remainder_function);

// Rewrites JS function names as "<file relative to base_directory>:<name>:<line>"
// ("./app.js:handler:12"; a file outside base_directory keeps its path, a
// frame without a file gets ":(external):0"), the way the Pyroscope Node SDK
// names frames so its flame graphs show where each function is. system_name
// keeps the bare name.
void QualifyFunctionNames(ProfileData& profile, std::string_view base_directory);

}  // namespace heapagent::pprof
