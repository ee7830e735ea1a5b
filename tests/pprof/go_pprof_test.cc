// Feeds a gzipped profile to the reference reader, `go tool pprof`, to catch
// anything a generated-code parser accepts but pprof itself does not.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pprof/gzip.h"
#include "pprof/profile_builder.h"

namespace heapagent::pprof {
namespace {

bool GoIsOnPath() { return std::system("command -v go >/dev/null 2>&1") == 0; }

struct CommandResult {
  int exit_status = -1;
  std::string output;  // stdout and stderr, interleaved.
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A heap profile in the shape the agent writes: two mappings, an inlined
// frame, labels, and the four standard heap sample types.
std::string BuildGzippedHeapProfile() {
  ProfileBuilder builder;
  builder.AddSampleType("alloc_objects", "count");
  builder.AddSampleType("alloc_space", "bytes");
  builder.AddSampleType("inuse_objects", "count");
  builder.AddSampleType("inuse_space", "bytes");
  builder.SetPeriodType("space", "bytes", 524288);
  builder.SetTimeNanos(1'700'000'000'000'000'000);
  builder.SetDurationNanos(10'000'000'000);
  builder.SetDefaultSampleType("inuse_space");
  builder.AddComment("written by heapagent pprof_tests");

  // has_functions=true: the names are already here, so pprof must not try to
  // symbolize the (nonexistent) files.
  const uint64_t app = builder.AddMapping({.memory_start = 0x400000,
                                           .memory_limit = 0x800000,
                                           .filename = "/nonexistent/heapagent_test_app",
                                           .build_id = "0123456789abcdef",
                                           .has_functions = true,
                                           .has_filenames = true,
                                           .has_line_numbers = true,
                                           .has_inline_frames = true});
  const uint64_t libc = builder.AddMapping({.memory_start = 0x7f0000000000,
                                            .memory_limit = 0x7f0000100000,
                                            .filename = "/nonexistent/libc.so.6",
                                            .has_functions = true});

  const uint64_t main_fn = builder.InternFunction("heapagent_test_main", "main", "main.cc", 1);
  const uint64_t outer_fn =
      builder.InternFunction("HeapagentTestOuter", "_Z18HeapagentTestOuterv", "outer.cc", 20);
  const uint64_t inlined_fn =
      builder.InternFunction("HeapagentTestInlined", "_Z20HeapagentTestInlinedv", "inlined.h", 5);
  const uint64_t malloc_fn = builder.InternFunction("heapagent_test_malloc", "malloc", "");

  const uint64_t main_loc =
      builder.InternLocation(app, 0x401000, std::vector<LineInfo>{{main_fn, 3}});
  const uint64_t outer_loc =
      builder.InternLocation(app, 0x402000, std::vector<LineInfo>{{inlined_fn, 7}, {outer_fn, 25}});
  const uint64_t malloc_loc =
      builder.InternLocation(libc, 0x7f0000001000, std::vector<LineInfo>{{malloc_fn, 0}});

  const std::vector<Label> labels = {{.key = "bytes", .num = 4096, .num_unit = "bytes"},
                                     {.key = "thread", .str = "main"}};
  EXPECT_TRUE(builder.AddSample(std::vector<uint64_t>{malloc_loc, outer_loc, main_loc},
                                std::vector<int64_t>{10, 40960, 5, 20480}, labels));
  EXPECT_TRUE(builder.AddSample(std::vector<uint64_t>{malloc_loc, main_loc},
                                std::vector<int64_t>{1, 1024, 1, 1024}));
  return GzipCompress(builder.Encode());
}

class GoToolPprofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!GoIsOnPath()) GTEST_SKIP() << "`go` is not on PATH";
    path_ = std::filesystem::temp_directory_path() /
            ("heapagent_pprof_test_" + std::to_string(getpid()) + ".pb.gz");
  }
  void TearDown() override {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove(path_, ignored);
  }

  std::filesystem::path path_;
};

TEST_F(GoToolPprofTest, TopListsFunctionNames) {
  {
    std::ofstream file(path_, std::ios::binary);
    file << BuildGzippedHeapProfile();
    ASSERT_TRUE(file.good());
  }

  // Single quotes keep a temp dir with spaces intact. PPROF_TMPDIR stops
  // pprof from creating $HOME/pprof, which may not exist in a sandbox.
  const std::string dir = path_.parent_path().string();
  const CommandResult result = RunCommand("PPROF_TMPDIR='" + dir + "' go tool pprof -top " +
                                          "-sample_index=inuse_space '" + path_.string() + "'");
  ASSERT_EQ(result.exit_status, 0) << result.output;
  EXPECT_NE(result.output.find("Type: inuse_space"), std::string::npos) << result.output;
  for (const char* name : {"heapagent_test_main", "HeapagentTestOuter", "HeapagentTestInlined",
                           "heapagent_test_malloc"}) {
    EXPECT_NE(result.output.find(name), std::string::npos) << name << "\n" << result.output;
  }
}

}  // namespace
}  // namespace heapagent::pprof
