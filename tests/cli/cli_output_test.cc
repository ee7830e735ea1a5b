// The command's outputs: JSON escaping (safe inside <script>, valid UTF-8),
// human units, argument parsing, and HTML pages that are self-contained.
#include <gtest/gtest.h>

#include "cli/command_line.h"
#include "cli/flame_data.h"
#include "cli/html_page.h"
#include "cli/human_units.h"
#include "cli/input_error.h"
#include "cli/json_text.h"
#include "cli/leak_output.h"
#include "test_profiles.h"

namespace heapagent::cli {
namespace {

TEST(JsonTextTest, EscapesForJsonAndForScriptElements) {
  EXPECT_EQ(JsonString("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(JsonString("</script><!--"), "\"\\u003c/script\\u003e\\u003c!--\"");
  EXPECT_EQ(JsonString(std::string("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(JsonString("caf\xc3\xa9 \xe2\x86\x92"), "\"caf\xc3\xa9 \xe2\x86\x92\"");
  EXPECT_EQ(JsonString("bad \xff\xc3"), "\"bad \\ufffd\\ufffd\"");
  EXPECT_EQ(JsonNumber(42), "42");
  EXPECT_EQ(JsonNumber(0.5), "0.5");
  EXPECT_EQ(JsonNumber(std::numeric_limits<double>::quiet_NaN()), "0");
}

TEST(HumanUnitsTest, Formats) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(-3.0 * (1 << 20)), "-3.00 MiB");
  EXPECT_EQ(FormatBytes(200.0 * (1 << 30)), "200 GiB");
  EXPECT_EQ(FormatCount(12345), "12.3k");
  EXPECT_EQ(FormatRate(1 << 20), "+1.00 MiB/min");
  EXPECT_EQ(FormatPercent(0.123), "12.3%");
}

TEST(CommandLineTest, ParsesAndRefuses) {
  const CommandLine line = CommandLine::Parse({"a", "-o", "x.html", "--kind=js", "--json", "b"}, {"-o", "--kind"}, {"--json"});
  EXPECT_EQ(line.positional(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(line.Value("-o"), "x.html");
  EXPECT_EQ(line.Value("--kind"), "js");
  EXPECT_TRUE(line.Has("--json"));
  EXPECT_THROW(CommandLine::Parse({"--nope"}, {}, {}), InputError);
  EXPECT_THROW(CommandLine::Parse({"-o"}, {"-o"}, {}), InputError);
  EXPECT_THROW(CommandLine::Parse({"-n", "x"}, {"-n"}, {}).IntValue("-n", 1), InputError);
}

TEST(HtmlPageTest, IsSelfContainedAndCarriesTheData) {
  const pprof::ProfileData profile = testing::JsProfile({{"leak</script>", "file:///a.js", 1e6, 0}}, 1);
  CallTree tree(profile.sample_types.size());
  AddProfilesToTree({&profile}, profile.sample_types, 0, &tree);
  FlameJson flames;
  flames.AddView("view", profile.sample_types, "inuse_space", false, tree);
  const std::string data = "{\"title\":\"t\"," + flames.Fields() + "}";
  const std::string page = HtmlPage("a <title>", data);
  EXPECT_NE(page.find("<title>a &lt;title&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("leak\\u003c/script\\u003e"), std::string::npos);
  EXPECT_EQ(page.find("leak</script>"), std::string::npos);
  EXPECT_NE(page.find("function FlameGraph"), std::string::npos);
  for (const char* network : {"<script src", "<link", "@import", "url(", "https://", "fetch("}) {
    EXPECT_EQ(page.find(network), std::string::npos) << network;
  }
  // One root, its JS child, the (external) placeholder: kinds 2, 0, 2.
  EXPECT_NE(flames.Fields().find("\"tree\":["), std::string::npos);
}

TEST(LeakOutputTest, SaysSoWhenThereIsNoSuspect) {
  LeakReport report;
  report.timelines.push_back({.kind = HeapKind::kJs, .minutes = {0, 1}, .in_use_bytes = {1, 2}, .files = {"a", "b"}});
  EXPECT_NE(LeakReportText(report, 10).find("No leak suspects"), std::string::npos);
  EXPECT_EQ(LeakReportJson(report, 10).rfind("{\"suspects\":[]", 0), 0u);
}

}  // namespace
}  // namespace heapagent::cli
