// Text and JSON forms of the leak report; see leak_output.h.
#include "cli/leak_output.h"

#include <algorithm>
#include <cstdio>

#include "cli/human_units.h"
#include "cli/json_text.h"

namespace heapagent::cli {
namespace {

std::string FrameJson(const Frame& frame) {
  return "{\"function\":" + JsonString(frame.function) + ",\"file\":" + JsonString(frame.file) +
         ",\"line\":" + std::to_string(frame.line) + ",\"kind\":" +
         JsonString(frame.kind == FrameKind::kJs ? "js" : frame.kind == FrameKind::kNative ? "native" : "other") + "}";
}

std::string NumberArray(const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + JsonNumber(values[i]);
  return out + "]";
}

std::string NotesJson(const LeakReport& report) {
  std::string out = "[";
  for (size_t i = 0; i < report.notes.size(); ++i) out += (i ? "," : "") + JsonString(report.notes[i]);
  return out + "]";
}

const HeapTimeline* TimelineOf(const LeakReport& report, HeapKind kind) {
  for (const HeapTimeline& timeline : report.timelines) {
    if (timeline.kind == kind) return &timeline;
  }
  return nullptr;
}

// One suspect; `page` selects the page's field names (rendered by
// html_script.js) over the documented JSON of `leaks --json`.
std::string SuspectJson(const LeakSuspect& s, bool page) {
  const GrowthAssessment& g = s.growth;
  const double in_use = s.InUseNow();
  std::string out = "{\"kind\":" + JsonString(HeapKindName(s.kind)) + ",\"function\":" + JsonString(s.site.function) +
                    ",\"file\":" + JsonString(s.site.file) + ",\"line\":" + std::to_string(s.site.line);
  if (page) {
    out += ",\"rate\":" + JsonNumber(g.rate_per_minute) + ",\"confidence\":" + JsonNumber(g.confidence) +
           ",\"inUse\":" + JsonNumber(in_use) + ",\"trendZ\":" + JsonNumber(g.trend_z) +
           ",\"mannKendallZ\":" + JsonNumber(g.mann_kendall_z) + ",\"lateRate\":" + JsonNumber(g.late_rate_per_minute) +
           ",\"trend\":" + JsonNumber(g.trend_confidence) + ",\"monotonic\":" + JsonNumber(g.monotonic_confidence) +
           ",\"persistence\":" + JsonNumber(g.persistence_confidence) + ",\"survival\":" + JsonNumber(g.survival_confidence) +
           ",\"stack\":[";
    for (size_t i = 0; i < s.stack.size(); ++i) out += (i ? "," : "") + JsonString(s.stack[i].Describe());
    return out + "]}";
  }
  out += ",\"growth_bytes_per_minute\":" + JsonNumber(g.rate_per_minute) + ",\"confidence\":" + JsonNumber(g.confidence) +
         ",\"in_use_bytes\":" + JsonNumber(in_use) + ",\"score\":" + JsonNumber(s.score) +
         ",\"evidence\":{\"window_first_profile\":" + std::to_string(g.window_begin) +
         ",\"window_profiles\":" + std::to_string(g.window_points) + ",\"trend_z\":" + JsonNumber(g.trend_z) +
         ",\"mann_kendall_z\":" + JsonNumber(g.mann_kendall_z) +
         ",\"late_growth_bytes_per_minute\":" + JsonNumber(g.late_rate_per_minute) +
         ",\"trend_confidence\":" + JsonNumber(g.trend_confidence) +
         ",\"monotonic_confidence\":" + JsonNumber(g.monotonic_confidence) +
         ",\"persistence_confidence\":" + JsonNumber(g.persistence_confidence) +
         ",\"survival_confidence\":" + JsonNumber(g.survival_confidence) + "}" +
         ",\"in_use_series\":" + NumberArray(s.in_use_bytes) + ",\"samples_series\":" + NumberArray(s.samples) +
         ",\"stack\":[";
  for (size_t i = 0; i < s.stack.size(); ++i) out += (i ? "," : "") + FrameJson(s.stack[i]);
  return out + "]}";
}

}  // namespace

std::string LeakReportText(const LeakReport& report, size_t limit) {
  std::string out;
  char buffer[512];
  for (const HeapTimeline& timeline : report.timelines) {
    const double first = timeline.in_use_bytes.empty() ? 0 : timeline.in_use_bytes.front();
    const double last = timeline.analysed_profiles ? timeline.in_use_bytes[timeline.analysed_profiles - 1] : 0;
    std::snprintf(buffer, sizeof buffer, "%s heap: %zu profiles over %.1f min, in use %s -> %s\n",
                  std::string(HeapKindName(timeline.kind)).c_str(), timeline.minutes.size(),
                  timeline.minutes.empty() ? 0.0 : timeline.minutes.back(), FormatBytes(first).c_str(),
                  FormatBytes(last).c_str());
    out += buffer;
  }
  for (const std::string& note : report.notes) out += "note: " + note + "\n";
  if (report.suspects.empty()) {
    out += "No leak suspects: no allocation site keeps growing.\n";
    return out;
  }
  out += "\nLeak suspects (ranked by growth rate x confidence):\n";
  for (size_t i = 0; i < report.suspects.size() && i < limit; ++i) {
    const LeakSuspect& s = report.suspects[i];
    std::snprintf(buffer, sizeof buffer, "#%zu  %-6s %s  confidence %.0f%%  in use %s\n    %s\n", i + 1,
                  std::string(HeapKindName(s.kind)).c_str(), FormatRate(s.growth.rate_per_minute).c_str(),
                  100 * s.growth.confidence, FormatBytes(s.InUseNow()).c_str(),
                  s.site.Describe().c_str());
    out += buffer;
    // The callers, from the site (allocator frames below it are not shown).
    size_t first = 0;
    while (first < s.stack.size() && !(s.stack[first].function == s.site.function && s.stack[first].file == s.site.file)) ++first;
    constexpr size_t kShownFrames = 12;
    const size_t end = std::min(s.stack.size(), first + 1 + kShownFrames);
    for (size_t f = first + 1; f < end; ++f) out += "      <- " + s.stack[f].Describe() + "\n";
    if (s.stack.size() > end) out += "      ... " + std::to_string(s.stack.size() - end) + " more frames\n";
  }
  return out;
}

std::string LeakReportJson(const LeakReport& report, size_t limit) {
  std::string out = "{\"suspects\":[";
  for (size_t i = 0; i < report.suspects.size() && i < limit; ++i) {
    out += (i ? "," : "") + SuspectJson(report.suspects[i], false);
  }
  out += "],\"timelines\":[";
  for (size_t i = 0; i < report.timelines.size(); ++i) {
    const HeapTimeline& t = report.timelines[i];
    out += std::string(i ? "," : "") + "{\"kind\":" + JsonString(HeapKindName(t.kind)) +
           ",\"minutes\":" + NumberArray(t.minutes) + ",\"in_use_bytes\":" + NumberArray(t.in_use_bytes) + "}";
  }
  out += "],\"process\":[";
  for (size_t i = 0; i < report.process.size(); ++i) {
    const ProcessMemorySeries& p = report.process[i];
    out += std::string(i ? "," : "") + "{\"name\":" + JsonString(p.name) + ",\"minutes\":" + NumberArray(p.minutes) +
           ",\"bytes\":" + NumberArray(p.bytes) + ",\"growth_bytes_per_minute\":" + JsonNumber(p.rate_per_minute) +
           ",\"mann_kendall_z\":" + JsonNumber(p.mann_kendall_z) + ",\"grows\":" + (p.grows ? "true" : "false") + "}";
  }
  return out + "],\"notes\":" + NotesJson(report) + "}";
}

std::string LeakReportPageFields(const LeakReport& report, size_t limit, size_t plotted) {
  std::string series;
  auto add_series = [&](const std::string& name, const char* kind, const std::vector<double>& minutes,
                        const std::vector<double>& bytes) {
    if (!series.empty()) series += ",";
    series += "{\"name\":" + JsonString(name) + ",\"kind\":" + JsonString(kind) + ",\"points\":[";
    for (size_t i = 0; i < minutes.size() && i < bytes.size(); ++i) {
      series += std::string(i ? "," : "") + "[" + JsonNumber(minutes[i]) + "," + JsonNumber(bytes[i]) + "]";
    }
    series += "]}";
  };
  // Only the analysed profiles are plotted: an exit profile's collapse is
  // the teardown, not the app (the notes say it was left out).
  auto analysed = [](const std::vector<double>& values, size_t count) {
    return std::vector<double>(values.begin(), values.begin() + std::min(count, values.size()));
  };
  for (const HeapTimeline& t : report.timelines) {
    add_series(std::string(t.kind == HeapKind::kJs ? "JS heap" : "native heap") + " in use", "heap",
               analysed(t.minutes, t.analysed_profiles), analysed(t.in_use_bytes, t.analysed_profiles));
  }
  // The whole process, from the heap summary: what the sampled heaps sit in.
  for (const ProcessMemorySeries& p : report.process) {
    if (p.plotted) add_series(p.name, "process", p.minutes, p.bytes);
  }
  for (size_t i = 0; i < report.suspects.size() && i < plotted; ++i) {
    const LeakSuspect& s = report.suspects[i];
    if (const HeapTimeline* t = TimelineOf(report, s.kind)) {
      add_series("#" + std::to_string(i + 1) + " " + s.site.function, "suspect",
                 analysed(t->minutes, s.analysed_profiles), analysed(s.in_use_bytes, s.analysed_profiles));
    }
  }
  std::string out = "\"timeline\":{\"series\":[" + series + "]},\"suspects\":[";
  for (size_t i = 0; i < report.suspects.size() && i < limit; ++i) {
    out += (i ? "," : "") + SuspectJson(report.suspects[i], true);
  }
  return out + "],\"notes\":" + NotesJson(report);
}

}  // namespace heapagent::cli
