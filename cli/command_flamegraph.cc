// `heapagent flamegraph` and `heapagent diff`: one self-contained HTML page
// with an interactive (differential) flame graph; diff also prints the top
// growing sites as text.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/flame_data.h"
#include "cli/html_page.h"
#include "cli/human_units.h"
#include "cli/input_error.h"
#include "cli/json_text.h"
#include "cli/site_totals.h"

namespace heapagent::cli {
namespace {

std::string BaseName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

struct Growth {
  Frame frame;
  double base = 0, now = 0;
};

// Flat change per function between two profiles, largest growth first.
std::vector<Growth> GrowingSites(const pprof::ProfileData& base, const pprof::ProfileData& now, const std::string& type) {
  std::map<std::pair<std::string, std::string>, Growth> sites;
  for (const SiteTotal& site : FunctionTotals({&base}, type)) {
    Growth& g = sites[{site.frame.function, site.frame.file}];
    g.frame = site.frame;
    g.base = site.flat;
  }
  for (const SiteTotal& site : FunctionTotals({&now}, type)) {
    Growth& g = sites[{site.frame.function, site.frame.file}];
    g.frame = site.frame;
    g.now = site.flat;
  }
  std::vector<Growth> result;
  for (auto& [key, g] : sites) {
    if (g.now != g.base) result.push_back(g);
  }
  std::stable_sort(result.begin(), result.end(), [](const Growth& a, const Growth& b) { return a.now - a.base > b.now - b.base; });
  return result;
}

}  // namespace

void WriteOutputFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw InputError(path + ": cannot be written");
}

int RunFlamegraph(const Arguments& arguments) {
  const CommandLine line = CommandLine::Parse(arguments, {"-o", "--sample"}, {});
  if (line.positional().size() != 1) throw InputError("needs exactly one profile file");
  const std::optional<std::string> output = line.Value("-o");
  if (!output) throw InputError("needs -o out.html");
  const LoadedProfile profile = LoadProfile(line.positional()[0]);
  const std::string type = line.Value("--sample").value_or(DefaultSampleType(profile.data));
  if (profile.data.SampleTypeIndex(type) < 0) throw InputError(profile.path + ": has no sample type '" + type + "'");

  CallTree tree(profile.data.sample_types.size());
  AddProfilesToTree({&profile.data}, profile.data.sample_types, 0, &tree);
  FlameJson flames;
  const std::string title = BaseName(profile.path) + " (" + std::string(HeapKindName(profile.kind)) + " heap)";
  flames.AddView(title, profile.data.sample_types, type, false, tree);
  const std::string data = "{\"title\":" + JsonString("heapagent flame graph: " + BaseName(profile.path)) +
                           ",\"subtitle\":" + JsonString(profile.path) + "," + flames.Fields() + "}";
  WriteOutputFile(*output, HtmlPage("heapagent flame graph", data));
  std::printf("wrote %s\n", output->c_str());
  return 0;
}

int RunDiff(const Arguments& arguments) {
  const CommandLine line = CommandLine::Parse(arguments, {"-o", "--sample", "-n"}, {});
  if (line.positional().size() != 2) throw InputError("needs two profile files: BASE NEW");
  const LoadedProfile base = LoadProfile(line.positional()[0]);
  const LoadedProfile now = LoadProfile(line.positional()[1]);
  const size_t limit = static_cast<size_t>(line.IntValue("-n", 15));
  // The types both profiles have, in the new profile's order.
  std::vector<pprof::ValueTypeData> types;
  for (const auto& t : now.data.sample_types) {
    if (base.data.SampleTypeIndex(t.type) >= 0) types.push_back(t);
  }
  if (types.empty()) throw InputError(now.path + ": shares no sample type with " + base.path);
  const std::string type = line.Value("--sample").value_or(DefaultSampleType(now.data));
  const auto chosen = std::find_if(types.begin(), types.end(), [&](const auto& t) { return t.type == type; });
  if (chosen == types.end()) throw InputError("'" + type + "' is not a sample type of both profiles");

  const std::vector<Growth> growth = GrowingSites(base.data, now.data, type);
  double base_total = 0, now_total = 0;
  FunctionTotals({&base.data}, type, &base_total);
  FunctionTotals({&now.data}, type, &now_total);
  std::printf("%s: %s -> %s (%s%s)\n", type.c_str(), FormatValue(base_total, chosen->unit).c_str(),
              FormatValue(now_total, chosen->unit).c_str(), now_total >= base_total ? "+" : "",
              FormatValue(now_total - base_total, chosen->unit).c_str());
  std::printf("%12s %11s %11s  %s\n", "change", "base", "new", "function (file:line)");
  for (size_t i = 0; i < growth.size() && i < limit; ++i) {
    const Growth& g = growth[i];
    std::printf("%s%11s %11s %11s  %s\n", g.now >= g.base ? "+" : "", FormatValue(g.now - g.base, chosen->unit).c_str(),
                FormatValue(g.base, chosen->unit).c_str(), FormatValue(g.now, chosen->unit).c_str(),
                g.frame.Describe().c_str());
  }

  if (const std::optional<std::string> output = line.Value("-o")) {
    CallTree tree(2 * types.size());
    AddProfilesToTree({&now.data}, types, 0, &tree);
    AddProfilesToTree({&base.data}, types, types.size(), &tree);
    FlameJson flames;
    flames.AddView(BaseName(base.path) + " \u2192 " + BaseName(now.path), types, type, true, tree);
    std::string growth_json = "[";
    for (size_t i = 0; i < growth.size() && i < limit; ++i) {
      if (i) growth_json += ",";
      growth_json += "{\"function\":" + JsonString(growth[i].frame.function) + ",\"file\":" +
                     JsonString(growth[i].frame.file) + ",\"base\":" + JsonNumber(growth[i].base) +
                     ",\"now\":" + JsonNumber(growth[i].now) + ",\"unit\":" + JsonString(chosen->unit) + "}";
    }
    growth_json += "]";
    const std::string data = "{\"title\":" + JsonString("heapagent diff: " + BaseName(base.path) + " \u2192 " + BaseName(now.path)) +
                             ",\"subtitle\":" + JsonString(base.path + " \u2192 " + now.path) + "," + flames.Fields() +
                             ",\"growth\":" + growth_json + "}";
    WriteOutputFile(*output, HtmlPage("heapagent diff", data));
    std::printf("wrote %s\n", output->c_str());
  }
  return 0;
}

}  // namespace heapagent::cli
