// Per-site series and ranking of leak suspects; see leak_finder.h.
#include "cli/leak_finder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "cli/human_units.h"

namespace heapagent::cli {
namespace {

// Where a profile keeps the numbers the leak finder needs.
struct ValueColumns {
  int bytes = -1;    // in-use bytes
  int samples = -1;  // JS: raw sample count
  int objects = -1;  // native: unsampled object count
};

ValueColumns FindColumns(const pprof::ProfileData& profile) {
  ValueColumns columns;
  for (const char* name : {"inuse_space", "space", "inuse-space", "heap-space"}) {
    if (columns.bytes < 0) columns.bytes = profile.SampleTypeIndex(name);
  }
  if (columns.bytes < 0) {
    for (size_t i = 0; i < profile.sample_types.size(); ++i) {
      if (profile.sample_types[i].unit == "bytes") columns.bytes = static_cast<int>(i);
    }
  }
  columns.samples = profile.SampleTypeIndex("inuse_samples");
  for (const char* name : {"inuse_objects", "objects", "inuse-objects"}) {
    if (columns.objects < 0) columns.objects = profile.SampleTypeIndex(name);
  }
  return columns;
}

// Number of samples behind an unsampled (objects, bytes) estimate: each
// sample of a block of s bytes stands for 1/p blocks, p = 1 - exp(-s/period).
double SamplesBehind(double objects, double bytes, double period) {
  if (objects <= 0) return 0;
  if (period <= 0) return objects;
  const double average_size = bytes / objects;
  return objects * -std::expm1(-average_size / period);
}

bool IsAllocatorFrame(const Frame& frame) {
  static const std::set<std::string, std::less<>> kAllocators = {
      "malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign",
      "valloc", "pvalloc", "operator new", "operator new[]", "__libc_malloc", "__libc_calloc",
      "__libc_realloc", "strdup", "strndup"};
  std::string_view name = frame.function;
  if (const size_t paren = name.find('('); paren != std::string_view::npos && paren > 0) name = name.substr(0, paren);
  return kAllocators.contains(name);
}

bool IsGeneratedOrCallMachinery(const Frame& frame) {
  static constexpr std::string_view kMachinery[] = {
      "Builtins_",
      "v8::internal::FunctionCallbackArguments::",
      "v8::internal::(anonymous namespace)::HandleApiCallHelper",
      "v8::internal::MaybeHandle<v8::internal::Object> v8::internal::(anonymous namespace)::HandleApiCallHelper",
      "v8::internal::Builtin_HandleApiCall",
  };
  for (std::string_view prefix : kMachinery) {
    if (frame.function.starts_with(prefix)) return true;
  }
  return false;
}

struct SiteSeries {
  Frame site;
  std::vector<double> bytes, samples, old_bytes, old_samples;
  // Stack key -> bytes, in each of the last two profiles (the last may be an
  // exit profile, not analysed).
  std::map<std::string, double> last_stack_bytes[2];
  std::map<std::string, std::vector<Frame>> stacks;
  bool has_age = false;
};

// Frames of a native stack that identify its site: deep enough to tell the
// callers of a shared allocator apart, shallow enough that one site is not
// split by unrelated differences far up the stack.
constexpr size_t kNativeSiteDepth = 16;

std::string StackKey(const std::vector<Frame>& frames) {
  std::string key;
  for (const Frame& frame : frames) key += frame.function + '\x1f' + frame.file + '\x1e';
  return key;
}

// The allocation site of a stack, and the key its series is kept under.
// nullopt: a placeholder sample (off-heap total, truncated stack) that names
// no code.
std::optional<std::pair<std::string, Frame>> SiteOf(HeapKind kind, const std::vector<Frame>& stack) {
  size_t leaf = 0;
  if (kind == HeapKind::kNative) {
    while (leaf + 1 < stack.size() && IsAllocatorFrame(stack[leaf])) ++leaf;
  }
  if (leaf >= stack.size() || stack[leaf].kind == FrameKind::kPlaceholder) return std::nullopt;
  if (kind == HeapKind::kJs) {
    // node's own modules (node:buffer) and V8's builtins (no script) allocate
    // on behalf of their caller: the site is the innermost frame of the
    // application's code, when there is one.
    for (size_t i = leaf; i < stack.size(); ++i) {
      const Frame& frame = stack[i];
      if (frame.kind == FrameKind::kJs && !frame.file.empty() && !frame.file.starts_with("node:")) {
        leaf = i;
        break;
      }
    }
    return std::make_pair(stack[leaf].function + '\x1f' + stack[leaf].file, stack[leaf]);
  }
  // Native: the symbolized frames from the allocation site up. Left out of
  // the key, because they change as V8 tiers JS code up and one site would
  // otherwise split into several short series:
  //  - V8's generated code (bare JIT addresses, Builtins_* trampolines);
  //  - V8's call machinery between JS and an embedder's C++ callback
  //    (FunctionCallbackArguments::Call, HandleApiCallHelper, ...): present
  //    when the interpreter calls node::Buffer's binding, absent when
  //    optimized code calls it directly;
  //  - JS frames (mixed stacks): optimized code inlines callees, so the JS
  //    frames of one call path change as it tiers up. They stay in the
  //    suspect's stack, which is what tells the user the route.
  std::vector<Frame> symbolized;
  for (size_t i = leaf; i < stack.size() && symbolized.size() < kNativeSiteDepth; ++i) {
    const Frame& frame = stack[i];
    if (frame.symbolized && frame.kind != FrameKind::kJs && !IsGeneratedOrCallMachinery(frame)) {
      symbolized.push_back(frame);
    }
  }
  return std::make_pair(StackKey(symbolized), stack[leaf]);
}

std::vector<SeriesPoint> Points(const std::vector<double>& minutes, const std::vector<double>& bytes,
                                const std::vector<double>& samples, double one_sample_bytes) {
  std::vector<SeriesPoint> points;
  for (size_t i = 0; i < bytes.size(); ++i) {
    // Poisson: relative error 1/sqrt(n). An empty point could still hide
    // about one sample's worth.
    const double se = samples[i] >= 1 ? bytes[i] / std::sqrt(samples[i]) : one_sample_bytes;
    points.push_back({.minutes = minutes[i], .value = bytes[i], .standard_error = std::max(se, 1.0)});
  }
  return points;
}

bool IsExitProfile(const pprof::ProfileData& last, double last_total, double previous_total) {
  for (const std::string& comment : last.comments) {
    if (comment.find("at process exit") != std::string::npos) return true;
  }
  return last_total < previous_total / 2;
}

void AnalyseSeries(const ProfileSeries& series, const LeakOptions& options, LeakReport* report) {
  const size_t n = series.profiles.size();
  HeapTimeline timeline{.kind = series.kind, .minutes = {}, .in_use_bytes = {}, .files = {}};
  std::unordered_map<std::string, SiteSeries> sites;
  double period_sum = 0, weight_sum = 0, weight_samples = 0;

  const int64_t first_time = series.profiles.front().data.time_nanos;
  timeline.first_time_nanos = first_time;
  for (size_t i = 0; i < n; ++i) {
    const pprof::ProfileData& profile = series.profiles[i].data;
    const ValueColumns columns = FindColumns(profile);
    timeline.minutes.push_back(first_time != 0 && profile.time_nanos != 0
                                   ? static_cast<double>(profile.time_nanos - first_time) / 60e9
                                   : static_cast<double>(i));
    timeline.files.push_back(series.profiles[i].path);
    period_sum += static_cast<double>(profile.period);
    double total = 0;
    if (columns.bytes < 0) {
      timeline.in_use_bytes.push_back(0);
      continue;
    }
    StackResolver resolver(profile);
    for (const pprof::SampleData& sample : profile.samples) {
      const double bytes = static_cast<double>(sample.values[columns.bytes]);
      total += bytes;
      const std::vector<Frame> stack = resolver.LeafFirst(sample);
      const auto site = SiteOf(series.kind, stack);
      if (!site) continue;
      double samples = 0;
      if (columns.samples >= 0) {
        samples = static_cast<double>(sample.values[columns.samples]);
      } else if (columns.objects >= 0) {
        samples = SamplesBehind(static_cast<double>(sample.values[columns.objects]), bytes,
                                static_cast<double>(profile.period));
      } else {
        samples = 1;
      }
      if (samples > 0) {
        weight_sum += bytes;
        weight_samples += samples;
      }
      SiteSeries& s = sites[site->first];
      if (s.bytes.empty()) {
        s.site = site->second;
        s.bytes.assign(n, 0);
        s.samples.assign(n, 0);
        s.old_bytes.assign(n, 0);
        s.old_samples.assign(n, 0);
      }
      s.bytes[i] += bytes;
      s.samples[i] += samples;
      for (const pprof::LabelData& label : sample.labels) {
        if (label.key != "age") continue;
        s.has_age = true;
        if (label.str == "old") {
          s.old_bytes[i] += bytes;
          s.old_samples[i] += samples;
        }
      }
      if (i + 2 >= n) {
        const std::string key = StackKey(stack);
        s.last_stack_bytes[n - 1 - i][key] += bytes;
        s.stacks.try_emplace(key, stack);
      }
    }
    timeline.in_use_bytes.push_back(total);
  }
  const double one_sample_bytes =
      period_sum > 0 ? period_sum / static_cast<double>(n) : weight_samples > 0 ? weight_sum / weight_samples : 1;

  // The last profile of a process is usually written at exit, after the
  // runtime has begun releasing its heap (node tears its environment down
  // before the agent's final read): it says nothing about growth. It is left
  // out of the statistics (not of the timeline) when the agent marks it as
  // the final one, or when the heap it shows collapsed to less than half of
  // the previous profile's.
  size_t analysed = n;
  if (n >= 2 && IsExitProfile(series.profiles.back().data, timeline.in_use_bytes[n - 1], timeline.in_use_bytes[n - 2])) {
    analysed = n - 1;
    report->notes.push_back(std::string(HeapKindName(series.kind)) + ": the last profile (" +
                            series.profiles.back().path +
                            ") was taken at exit, while the heap was being released; it is not used for growth");
  }
  const std::vector<double> minutes(timeline.minutes.begin(), timeline.minutes.begin() + analysed);
  auto head = [analysed](const std::vector<double>& values) {
    return std::vector<double>(values.begin(), values.begin() + analysed);
  };

  const size_t needed = options.growth.min_window_points + 1;
  if (analysed < needed) {
    report->notes.push_back(std::string(HeapKindName(series.kind)) + ": " + std::to_string(analysed) +
                            " profile(s); the leak finder needs at least " + std::to_string(needed));
  }
  for (auto& [key, s] : sites) {
    const std::vector<SeriesPoint> points = Points(minutes, head(s.bytes), head(s.samples), one_sample_bytes);
    std::vector<SeriesPoint> old_points;
    if (s.has_age) old_points = Points(minutes, head(s.old_bytes), head(s.old_samples), one_sample_bytes);
    LeakSuspect suspect;
    suspect.growth = AssessGrowth(points, old_points, options.growth);
    if (suspect.growth.window_points == 0 || suspect.growth.confidence < options.min_confidence) continue;
    suspect.kind = series.kind;
    suspect.site = s.site;
    suspect.in_use_bytes = s.bytes;
    suspect.samples = s.samples;
    suspect.score = suspect.growth.rate_per_minute * suspect.growth.confidence;
    suspect.analysed_profiles = analysed;
    // Its heaviest stack in the last analysed profile.
    const std::map<std::string, double>& stack_bytes = s.last_stack_bytes[n - analysed];
    const auto heaviest = std::max_element(stack_bytes.begin(), stack_bytes.end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; });
    if (heaviest != stack_bytes.end()) suspect.stack = s.stacks[heaviest->first];
    report->suspects.push_back(std::move(suspect));
  }
  timeline.analysed_profiles = analysed;
  report->timelines.push_back(std::move(timeline));
}

std::string Bytes(double value) { return FormatBytes(value); }

constexpr const char* kJsScope = "V8 heap used + external";

// The process series of the summary, on the clock of the heap timelines.
void AddProcessSeries(const SummarySeries& summary, const LeakReport& report, const LeakOptions& options,
                      std::vector<ProcessMemorySeries>* out) {
  int64_t origin = 0;
  for (const HeapTimeline& t : report.timelines) {
    if (t.first_time_nanos != 0 && (origin == 0 || t.first_time_nanos < origin)) origin = t.first_time_nanos;
  }
  std::vector<const SummaryRecord*> records;
  for (const SummaryRecord& record : summary.records) {
    if (!record.is_final) records.push_back(&record);
  }
  if (records.empty()) return;
  if (origin == 0) origin = static_cast<int64_t>(records.front()->unix_ms * 1e6);
  double rss_level = 0;  // the mean RSS: the yardstick of a material rise
  size_t rss_points = 0;
  for (const SummaryRecord* record : records) {
    if (record->rss_bytes) rss_level += *record->rss_bytes, ++rss_points;
  }
  if (rss_points > 0) rss_level /= static_cast<double>(rss_points);
  const auto add = [&](const char* name, auto value_of, bool plotted) {
    ProcessMemorySeries s;
    s.name = name;
    s.plotted = plotted;
    for (const SummaryRecord* record : records) {
      const std::optional<double> value = value_of(*record);
      if (!value) continue;
      s.minutes.push_back((record->unix_ms * 1e6 - static_cast<double>(origin)) / 60e9);
      s.bytes.push_back(*value);
    }
    if (s.bytes.empty()) return;
    // The same warm-up rule as the sites': the first quarter is start-up.
    const size_t n = s.bytes.size();
    size_t begin = static_cast<size_t>(static_cast<double>(n) * options.growth.warmup_fraction);
    if (n >= 5 && begin == 0) begin = 1;
    std::vector<SeriesPoint> points;
    for (size_t i = begin; i < n; ++i) points.push_back({.minutes = s.minutes[i], .value = s.bytes[i], .standard_error = 1});
    if (points.size() >= options.growth.min_window_points) {
      s.rate_per_minute = TheilSenSlope(points);
      s.mann_kendall_z = MannKendallZ(points);
      // Material too: the rise over the window is at least 2% of the
      // process's RSS (V8's uncollected garbage drifts up by less between
      // major GCs, which in-process reads do not force).
      const double rise = s.rate_per_minute * (points.back().minutes - points.front().minutes);
      const double scale = rss_level > 0 ? rss_level : s.bytes.back();
      s.grows = s.rate_per_minute > 0 && s.mann_kendall_z > 1.645 && rise >= 0.02 * scale;
    }
    out->push_back(std::move(s));
  };
  add("RSS", [](const SummaryRecord& r) { return r.rss_bytes; }, true);
  add("V8 heap used", [](const SummaryRecord& r) { return r.v8_heap_used_bytes; }, true);
  add("allocator in use", [](const SummaryRecord& r) { return r.allocator_in_use_bytes; }, true);
  // What a JS profile covers: V8's heap and, as its (external) sample and
  // the backing stores V8 samples at their JS allocation sites, the
  // off-heap memory of ArrayBuffers and Buffers.
  add(kJsScope, [](const SummaryRecord& r) -> std::optional<double> {
    if (!r.v8_heap_used_bytes || !r.v8_external_bytes) return std::nullopt;
    return *r.v8_heap_used_bytes + *r.v8_external_bytes;
  }, false);
}

const ProcessMemorySeries* ProcessSeriesNamed(const LeakReport& report, std::string_view name) {
  for (const ProcessMemorySeries& s : report.process) {
    if (s.name == name && s.bytes.size() >= 2) return &s;
  }
  return nullptr;
}

// The whole-process figure a suspect of `kind` must show up in.
const ProcessMemorySeries* HeapOf(const LeakReport& report, HeapKind kind) {
  const ProcessMemorySeries* heap = kind == HeapKind::kJs ? ProcessSeriesNamed(report, kJsScope)
                                                          : ProcessSeriesNamed(report, "allocator in use");
  if (heap == nullptr && kind == HeapKind::kJs) heap = ProcessSeriesNamed(report, "V8 heap used");
  return heap != nullptr ? heap : ProcessSeriesNamed(report, "RSS");
}

void WeighAgainstProcess(const LeakOptions& options, LeakReport* report) {
  if (report->process.empty()) return;
  // The verdict comes from the heaps when they are known: RSS also moves
  // with the runtime settling in (code, heap reservations, the agent's own
  // caches) and creeps up in a process that keeps nothing.
  const bool heaps_known = ProcessSeriesNamed(*report, "V8 heap used") != nullptr ||
                           ProcessSeriesNamed(*report, "allocator in use") != nullptr;
  std::string trends;
  bool any_grows = false;
  for (const ProcessMemorySeries& s : report->process) {
    if (s.bytes.size() < 2) continue;
    if (!heaps_known || s.name != "RSS") any_grows |= s.grows;
    if (!s.plotted) continue;
    trends += (trends.empty() ? "" : ", ") + s.name + " " + Bytes(s.bytes.front()) + " -> " + Bytes(s.bytes.back()) +
              " (" + (s.grows ? "grows " + FormatRate(s.rate_per_minute) : std::string("flat")) + ")";
  }
  if (trends.empty()) return;
  report->notes.push_back("process (heap summary): " + trends);
  size_t set_aside = 0;
  for (LeakSuspect& suspect : report->suspects) {
    const ProcessMemorySeries* heap = HeapOf(*report, suspect.kind);
    if (heap == nullptr || heap->rate_per_minute >= 0.25 * suspect.growth.rate_per_minute) continue;
    suspect.unseen_in_process = true;
    suspect.growth.confidence *= 0.5;
    suspect.score = suspect.growth.rate_per_minute * suspect.growth.confidence;
    ++set_aside;
  }
  const size_t before = report->suspects.size();
  std::erase_if(report->suspects,
                [&](const LeakSuspect& s) { return s.unseen_in_process && s.growth.confidence < options.min_confidence; });
  if (set_aside > 0) {
    report->notes.push_back(std::to_string(set_aside) + " site(s) grow in the profiles but the process's heap does not "
                            "grow with them (churn, or memory given back elsewhere): confidence halved" +
                            (before > report->suspects.size()
                                 ? ", " + std::to_string(before - report->suspects.size()) + " no longer a suspect"
                                 : std::string()));
  }
  if (!any_grows) {
    report->notes.push_back(std::string("the process's ") + (heaps_known ? "heaps stay" : "memory stays") +
                            " flat: what is allocated is freed again (churn), nothing accumulates");
    return;
  }
  for (const HeapKind kind : {HeapKind::kJs, HeapKind::kNative}) {
    const ProcessMemorySeries* heap = HeapOf(*report, kind);
    if (heap == nullptr || !heap->grows) continue;
    double explained = 0;
    size_t count = 0;
    for (const LeakSuspect& s : report->suspects) {
      if (s.kind == kind && !s.unseen_in_process) explained += s.growth.rate_per_minute, ++count;
    }
    if (count == 0) continue;
    char share[64];
    std::snprintf(share, sizeof share, "%.0f%%", 100 * explained / heap->rate_per_minute);
    report->notes.push_back("the " + std::to_string(count) + " " + std::string(HeapKindName(kind)) +
                            " suspect(s) grow " + FormatRate(explained) + ", " + share + " of the " + heap->name +
                            "'s growth (" + FormatRate(heap->rate_per_minute) + ")");
  }
}

}  // namespace

LeakReport FindLeaks(const std::vector<ProfileSeries>& series, const LeakOptions& options,
                     const SummarySeries* summary) {
  LeakReport report;
  for (const ProfileSeries& one : series) {
    if (!one.profiles.empty()) AnalyseSeries(one, options, &report);
  }
  if (summary != nullptr) {
    AddProcessSeries(*summary, report, options, &report.process);
    WeighAgainstProcess(options, &report);
  }
  std::stable_sort(report.suspects.begin(), report.suspects.end(),
                   [](const LeakSuspect& a, const LeakSuspect& b) { return a.score > b.score; });
  return report;
}

}  // namespace heapagent::cli
