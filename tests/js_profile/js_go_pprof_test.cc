// Feeds a gzipped JS heap profile built from the real node 20 reply to the
// reference reader, `go tool pprof`, and checks that it shows the JS function
// names, the (external) sample, the sample types and the thread labels.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixtures.h"
#include "pprof/gzip.h"
#include "pprof/js_heap_profile.h"

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

class GoToolPprofJsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!GoIsOnPath()) GTEST_SKIP() << "`go` is not on PATH";
    path_ = std::filesystem::temp_directory_path() /
            ("heapagent_js_profile_test_" + std::to_string(getpid()) + ".pb.gz");
    const cdp::SamplingHeapProfile parsed = testing_fixtures::ParseOrFail(testing_fixtures::RealNode20Reply());
    const JsThreadHeap main{.thread_name = "Main Event Loop",
                            .thread_id = 0,
                            .os_thread_id = getpid(),
                            .profile = &parsed,
                            .external_bytes = 1 << 20};
    JsHeapProfileOptions options;
    options.sampling_interval = 4096;
    options.window = {.start_unix_nanos = 1'700'000'000'000'000'000, .end_unix_nanos = 1'700'000'010'000'000'000};
    std::ofstream file(path_, std::ios::binary);
    file << GzipCompress(BuildJsHeapProfile({&main, 1}, options));
    ASSERT_TRUE(file.good());
  }
  void TearDown() override {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove(path_, ignored);
  }

  // Single quotes keep a temp dir with spaces intact. PPROF_TMPDIR stops
  // pprof from creating $HOME/pprof, which may not exist in a sandbox.
  CommandResult Pprof(const std::string& flags) {
    return RunCommand("PPROF_TMPDIR='" + path_.parent_path().string() + "' go tool pprof " + flags + " '" +
                      path_.string() + "'");
  }

  std::filesystem::path path_;
};

TEST_F(GoToolPprofJsTest, TopListsJsFunctionNames) {
  const CommandResult result = Pprof("-top -sample_index=inuse_space");
  ASSERT_EQ(result.exit_status, 0) << result.output;
  EXPECT_NE(result.output.find("Type: inuse_space"), std::string::npos) << result.output;
  for (const char* name : {"leakyArrays", "retainStrings", "inner", "(external)"}) {
    EXPECT_NE(result.output.find(name), std::string::npos) << name << "\n" << result.output;
  }
  EXPECT_EQ(result.output.find("(root)"), std::string::npos) << result.output;
}

TEST_F(GoToolPprofJsTest, DefaultSampleTypeIsInuseSpaceAndSamplesAreCounted) {
  const CommandResult space = Pprof("-top");
  ASSERT_EQ(space.exit_status, 0) << space.output;
  EXPECT_NE(space.output.find("Type: inuse_space"), std::string::npos) << space.output;
  const CommandResult count = Pprof("-top -sample_index=inuse_samples");
  ASSERT_EQ(count.exit_status, 0) << count.output;
  EXPECT_NE(count.output.find("Type: inuse_samples"), std::string::npos) << count.output;
}

TEST_F(GoToolPprofJsTest, TagsShowTheThreadLabels) {
  const CommandResult result = Pprof("-tags");
  ASSERT_EQ(result.exit_status, 0) << result.output;
  for (const std::string& fragment : {std::string("thread name"), std::string("Main Event Loop"),
                                     std::string("os thread id"), std::to_string(getpid())}) {
    EXPECT_NE(result.output.find(fragment), std::string::npos) << fragment << "\n" << result.output;
  }
}

}  // namespace
}  // namespace heapagent::pprof
