// cli/profile_files: the agent's file names, series per process and kind,
// and the clear refusal of empty directories, mixed processes and files that
// are not profiles.
#include "cli/profile_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/input_error.h"
#include "pprof/gzip.h"
#include "test_profiles.h"

namespace heapagent::cli {
namespace {

TEST(ProfileFilesTest, ParsesTheAgentsNames) {
  const auto name = ParseProfileFileName("my-service-1234-js-17.pb.gz");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->service, "my-service");
  EXPECT_EQ(name->pid, 1234);
  EXPECT_EQ(name->kind, HeapKind::kJs);
  EXPECT_EQ(name->sequence, 17);
  EXPECT_EQ(ParseProfileFileName("node-1-native-0.pb.gz")->kind, HeapKind::kNative);
  EXPECT_FALSE(ParseProfileFileName("heap.pb.gz"));
  EXPECT_FALSE(ParseProfileFileName("node-1-cpu-0.pb.gz"));
  EXPECT_FALSE(ParseProfileFileName("node-x-js-0.pb.gz"));
  EXPECT_FALSE(ParseProfileFileName("node-1-js-0.pb"));
  EXPECT_FALSE(ParseProfileFileName("node-1-js--1.pb.gz"));
}

class ProfileDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("cli_profile_files_" + std::to_string(::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  void Write(const std::string& name, const std::string& content) {
    std::ofstream(directory_ / name, std::ios::binary) << content;
  }
  std::string Profile(int64_t time) {
    return pprof::GzipCompress(pprof::EncodeProfile(testing::JsProfile({{"f", "file:///a.js", 1e6, 0}}, time)));
  }
  std::string Error(std::optional<int64_t> pid = std::nullopt) {
    try {
      LoadSeries(directory_.string(), pid);
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  }

  std::filesystem::path directory_;
};

TEST_F(ProfileDirectoryTest, GroupsBySeriesInSequenceOrder) {
  for (int seq : {10, 2, 1}) Write("svc-7-js-" + std::to_string(seq) + ".pb.gz", Profile(seq));
  Write("svc-7-native-1.pb.gz", pprof::GzipCompress(pprof::EncodeProfile(testing::JsProfile({}, 1))));
  Write("notes.txt", "not a profile, ignored by its name");
  const auto series = LoadSeries(directory_.string(), std::nullopt);
  ASSERT_EQ(series.size(), 2u);
  const ProfileSeries& js = series[0].kind == HeapKind::kJs ? series[0] : series[1];
  ASSERT_EQ(js.profiles.size(), 3u);
  EXPECT_EQ(js.pid, 7);
  EXPECT_EQ(js.profiles[0].name->sequence, 1);
  EXPECT_EQ(js.profiles[2].name->sequence, 10);  // numeric, not lexical, order
}

TEST_F(ProfileDirectoryTest, RefusesAnEmptyDirectory) {
  EXPECT_NE(Error().find("holds no profile"), std::string::npos);
}

TEST_F(ProfileDirectoryTest, RefusesMixedProcessesUnlessOneIsChosen) {
  Write("svc-7-js-1.pb.gz", Profile(1));
  Write("svc-8-js-1.pb.gz", Profile(1));
  const std::string error = Error();
  EXPECT_NE(error.find("2 processes"), std::string::npos) << error;
  EXPECT_NE(error.find("svc-7-js-1.pb.gz"), std::string::npos) << error;
  EXPECT_NE(error.find("svc-8-js-1.pb.gz"), std::string::npos) << error;
  EXPECT_EQ(LoadSeries(directory_.string(), 8).at(0).pid, 8);
  EXPECT_NE(Error(9).find("no profile of pid 9"), std::string::npos);
}

TEST_F(ProfileDirectoryTest, NamesTheFileThatIsNotAProfile) {
  const std::string good = Profile(1);
  Write("svc-7-js-1.pb.gz", good);
  Write("svc-7-js-2.pb.gz", good.substr(0, good.size() / 2));
  const std::string error = Error();
  EXPECT_NE(error.find("svc-7-js-2.pb.gz"), std::string::npos) << error;
  EXPECT_NE(error.find("gzip"), std::string::npos) << error;
}

TEST(ProfileKindTest, GuessesFromSampleTypes) {
  EXPECT_EQ(GuessHeapKind(testing::JsProfile({}, 1)), HeapKind::kJs);
  pprof::ProfileData go;
  go.sample_types = {{"alloc_objects", "count"}, {"inuse_space", "bytes"}};
  EXPECT_EQ(GuessHeapKind(go), HeapKind::kNative);
  pprof::ProfileData datadog;
  datadog.sample_types = {{"objects", "count"}, {"space", "bytes"}};
  EXPECT_EQ(GuessHeapKind(datadog), HeapKind::kJs);
  pprof::ProfileData in_process;  // the agent's JS heap read in-process
  in_process.sample_types = {{"inuse_objects", "count"}, {"inuse_space", "bytes"}};
  EXPECT_EQ(GuessHeapKind(in_process), HeapKind::kJs);
}

}  // namespace
}  // namespace heapagent::cli
