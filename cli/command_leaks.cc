// `heapagent leaks` and `heapagent report`: the leak finder over one
// process's series, as text/JSON, or as the one-page HTML report (timeline,
// suspects, latest flame graphs, first->last diffs).
#include <cstdio>
#include <filesystem>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/flame_data.h"
#include "cli/html_page.h"
#include "cli/input_error.h"
#include "cli/json_text.h"
#include "cli/leak_finder.h"
#include "cli/leak_output.h"
#include "cli/site_totals.h"
#include "cli/summary_series.h"

namespace heapagent::cli {
namespace {

std::optional<int64_t> PidOption(const CommandLine& line) {
  if (!line.Value("--pid")) return std::nullopt;
  return line.IntValue("--pid", 0);
}

std::vector<ProfileSeries> SeriesFor(const CommandLine& line) {
  if (line.positional().size() != 1) throw InputError("needs exactly one directory of profiles");
  std::vector<ProfileSeries> series = LoadSeries(line.positional()[0], PidOption(line));
  if (const auto kind = line.Value("--kind")) {
    const HeapKind wanted = ParseHeapKind(*kind);
    std::erase_if(series, [&](const ProfileSeries& s) { return s.kind != wanted; });
    if (series.empty()) throw InputError(line.positional()[0] + ": holds no " + *kind + " profile");
  }
  return series;
}

LeakOptions OptionsFrom(const CommandLine& line) {
  LeakOptions options;
  if (const auto text = line.Value("--min-confidence")) {
    try {
      options.min_confidence = std::stod(*text);
    } catch (const std::exception&) {
      throw InputError("--min-confidence wants a number between 0 and 1, not '" + *text + "'");
    }
  }
  return options;
}

std::string BaseName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The agent's heap summary of the process the series belong to, if it wrote one.
std::optional<SummarySeries> SummaryFor(const CommandLine& line, const std::vector<ProfileSeries>& series) {
  std::optional<int64_t> pid = PidOption(line);
  if (!pid && !series.empty()) pid = series.front().pid;
  if (!pid) return std::nullopt;
  return LoadSummarySeries(line.positional()[0], *pid);
}

}  // namespace

int RunLeaks(const Arguments& arguments) {
  const CommandLine line = CommandLine::Parse(arguments, {"--pid", "--kind", "-n", "--min-confidence"}, {"--json"});
  const std::vector<ProfileSeries> series = SeriesFor(line);
  const std::optional<SummarySeries> summary = SummaryFor(line, series);
  const LeakReport report = FindLeaks(series, OptionsFrom(line), summary ? &*summary : nullptr);
  const size_t limit = static_cast<size_t>(line.IntValue("-n", 10));
  const std::string text = line.Has("--json") ? LeakReportJson(report, limit) + "\n" : LeakReportText(report, limit);
  std::fputs(text.c_str(), stdout);
  return 0;
}

int RunReport(const Arguments& arguments) {
  const CommandLine line = CommandLine::Parse(arguments, {"-o", "--pid", "--kind", "-n", "--min-confidence"}, {});
  const std::optional<std::string> output = line.Value("-o");
  if (!output) throw InputError("needs -o report.html");
  const std::vector<ProfileSeries> series = SeriesFor(line);
  const std::optional<SummarySeries> summary = SummaryFor(line, series);
  const LeakReport report = FindLeaks(series, OptionsFrom(line), summary ? &*summary : nullptr);
  const size_t limit = static_cast<size_t>(line.IntValue("-n", 15));

  // The latest profile of each heap that shows its steady state: an exit
  // profile, taken while the heap was being released, is not it.
  auto latest = [&](const ProfileSeries& s) -> const LoadedProfile& {
    for (const HeapTimeline& timeline : report.timelines) {
      if (timeline.kind == s.kind && timeline.analysed_profiles > 0) return s.profiles[timeline.analysed_profiles - 1];
    }
    return s.profiles.back();
  };
  FlameJson flames;
  for (const ProfileSeries& s : series) {
    const LoadedProfile& last = latest(s);
    CallTree tree(last.data.sample_types.size());
    AddProfilesToTree({&last.data}, last.data.sample_types, 0, &tree);
    flames.AddView("latest " + std::string(HeapKindName(s.kind)) + " heap: " + BaseName(last.path),
                   last.data.sample_types, DefaultSampleType(last.data), false, tree);
  }
  for (const ProfileSeries& s : series) {  // first -> last of each heap
    if (s.profiles.size() < 2) continue;
    const LoadedProfile& first = s.profiles.front();
    const LoadedProfile& last = latest(s);
    if (&first == &last) continue;
    std::vector<pprof::ValueTypeData> types;
    for (const auto& t : last.data.sample_types) {
      if (first.data.SampleTypeIndex(t.type) >= 0) types.push_back(t);
    }
    CallTree tree(2 * types.size());
    AddProfilesToTree({&last.data}, types, 0, &tree);
    AddProfilesToTree({&first.data}, types, types.size(), &tree);
    flames.AddView(std::string(HeapKindName(s.kind)) + " heap: " + BaseName(first.path) + " \u2192 " + BaseName(last.path),
                   types, DefaultSampleType(last.data), true, tree);
  }
  std::string subtitle = line.positional()[0];
  if (!series.empty() && series.front().pid) subtitle += " \u2014 pid " + std::to_string(*series.front().pid);
  subtitle += " \u2014 " + std::to_string(report.suspects.size()) + " leak suspect(s)";
  const std::string data = "{\"title\":" + JsonString("heapagent report") + ",\"subtitle\":" + JsonString(subtitle) + "," +
                           LeakReportPageFields(report, limit, 5) + "," + flames.Fields() +
                           ",\"flameTitle\":\"Latest flame graph\",\"diffTitle\":" +
                           JsonString("First \u2192 last (red: grew, blue: shrank)") + "}";
  WriteOutputFile(*output, HtmlPage("heapagent report", data));
  std::fputs(LeakReportText(report, 5).c_str(), stdout);
  std::printf("wrote %s\n", output->c_str());
  return 0;
}

}  // namespace heapagent::cli
