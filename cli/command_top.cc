// `heapagent top`: the top allocation sites of one or more profiles, flat and
// cumulative, as a text table.
#include <cstdio>
#include <filesystem>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/human_units.h"
#include "cli/input_error.h"
#include "cli/site_totals.h"

namespace heapagent::cli {

int RunTop(const Arguments& arguments) {
  const CommandLine line = CommandLine::Parse(arguments, {"--kind", "--sample", "-n"}, {});
  if (line.positional().empty()) throw InputError("needs at least one profile file or directory");
  std::optional<HeapKind> kind;
  if (auto text = line.Value("--kind")) kind = ParseHeapKind(*text);
  const size_t limit = static_cast<size_t>(line.IntValue("-n", 20));

  std::vector<LoadedProfile> loaded;
  for (const std::string& path : line.positional()) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      for (ProfileSeries& series : LoadSeries(path, std::nullopt)) {
        for (LoadedProfile& profile : series.profiles) loaded.push_back(std::move(profile));
      }
    } else {
      loaded.push_back(LoadProfile(path));
    }
  }
  std::vector<const pprof::ProfileData*> profiles;
  for (const LoadedProfile& profile : loaded) {
    if (!kind || profile.kind == *kind) profiles.push_back(&profile.data);
  }
  if (profiles.empty()) throw InputError("no " + std::string(HeapKindName(*kind)) + " profile among the inputs");
  const std::string type = line.Value("--sample").value_or(DefaultSampleType(*profiles.front()));
  const int column = profiles.front()->SampleTypeIndex(type);
  if (column < 0) {
    std::string known;
    for (const auto& t : profiles.front()->sample_types) known += " " + t.type;
    throw InputError(loaded.front().path + ": has no sample type '" + type + "' (it has:" + known + ")");
  }
  const std::string unit = profiles.front()->sample_types[column].unit;

  double total = 0;
  const std::vector<SiteTotal> totals = FunctionTotals(profiles, type, &total);
  std::printf("%zu profile(s), %s total %s, top %zu of %zu functions\n", profiles.size(), type.c_str(),
              FormatValue(total, unit).c_str(), std::min(limit, totals.size()), totals.size());
  std::printf("%11s %6s %6s %11s %6s  %s\n", "flat", "flat%", "sum%", "cum", "cum%", "function (file:line)");
  double running = 0;
  for (size_t i = 0; i < totals.size() && i < limit; ++i) {
    const SiteTotal& site = totals[i];
    running += site.flat;
    std::printf("%11s %6s %6s %11s %6s  %s%s\n", FormatValue(site.flat, unit).c_str(),
                FormatPercent(total ? site.flat / total : 0).c_str(), FormatPercent(total ? running / total : 0).c_str(),
                FormatValue(site.cumulative, unit).c_str(),
                FormatPercent(total ? site.cumulative / total : 0).c_str(), site.frame.Describe().c_str(),
                site.frame.kind == FrameKind::kJs ? "  [js]" : "");
  }
  return 0;
}

}  // namespace heapagent::cli
