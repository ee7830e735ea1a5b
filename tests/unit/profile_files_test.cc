// Tests for agent/profile_files.h on a real file system, each test in its own
// mkdtemp directory. What matters to users: predictable names, whole files
// only (no temporaries left), bounded disk use, and an unusable directory
// costing nothing worse than an empty return and one log line.
#include "agent/profile_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "agent/log.h"

namespace heapagent {
namespace {

namespace fs = std::filesystem;

class ProfileFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "heapagent-unit-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    SetLogLevel(LogLevel::kWarn);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  static std::set<std::string> Names(const fs::path& directory) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory)) names.insert(entry.path().filename().string());
    return names;
  }
  static std::string Contents(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void Touch(const fs::path& path, const std::string& contents = "x") { std::ofstream(path) << contents; }

  fs::path root_;
};

TEST_F(ProfileFilesTest, WritesNamedFilesWithTheGivenBytes) {
  ProfileFiles files(root_.string(), "checkout", 4242, 10);
  // gzip magic and embedded NULs: the bytes must be written verbatim.
  constexpr char kBytes[] = "\x1f\x8b\x08\0binary\0data";
  const std::string profile(kBytes, sizeof kBytes - 1);
  ASSERT_EQ(profile.size(), 15u);
  const std::string first = files.Write("heap", profile);
  EXPECT_EQ(first, (root_ / "checkout-4242-heap-000000.pb.gz").string());
  EXPECT_EQ(Contents(first), profile);

  const std::string second = files.Write("heap", "second");
  EXPECT_EQ(second, (root_ / "checkout-4242-heap-000001.pb.gz").string());
  // Each kind has its own sequence.
  const std::string other = files.Write("alloc", "a");
  EXPECT_EQ(other, (root_ / "checkout-4242-alloc-000000.pb.gz").string());

  EXPECT_EQ(Names(root_), (std::set<std::string>{"checkout-4242-heap-000000.pb.gz", "checkout-4242-heap-000001.pb.gz",
                                                 "checkout-4242-alloc-000000.pb.gz"}));
  EXPECT_EQ(Contents(second), "second");
}

TEST_F(ProfileFilesTest, SequenceKeepsSixDigitsAndGrowsBeyond) {
  ProfileFiles files(root_.string(), "s", 1, 2);
  std::string last;
  for (int i = 0; i < 12; ++i) last = files.Write("heap", "p");
  EXPECT_EQ(fs::path(last).filename(), "s-1-heap-000011.pb.gz");
}

TEST_F(ProfileFilesTest, EmptyProfileIsStillAFile) {
  ProfileFiles files(root_.string(), "s", 1, 2);
  const std::string path = files.Write("heap", "");
  ASSERT_FALSE(path.empty());
  EXPECT_TRUE(fs::is_regular_file(path));
  EXPECT_EQ(fs::file_size(path), 0u);
}

TEST_F(ProfileFilesTest, CreatesMissingNestedDirectories) {
  const fs::path nested = root_ / "a" / "b" / "c";
  ProfileFiles files(nested.string(), "svc", 7, 3);
  const std::string path = files.Write("heap", "data");
  ASSERT_FALSE(path.empty());
  EXPECT_TRUE(fs::is_directory(nested));
  EXPECT_EQ(fs::path(path).parent_path(), nested);
  EXPECT_EQ(Contents(path), "data");
}

TEST_F(ProfileFilesTest, TrailingSlashInDirectoryIsFine) {
  ProfileFiles files(root_.string() + "/sub/", "svc", 7, 3);
  const std::string path = files.Write("heap", "data");
  EXPECT_EQ(path, (root_ / "sub" / "svc-7-heap-000000.pb.gz").string());
  EXPECT_TRUE(fs::is_regular_file(path));
}

TEST_F(ProfileFilesTest, KeepsOnlyTheNewestMaxFilesPerKind) {
  ProfileFiles files(root_.string(), "svc", 99, 3);
  for (int i = 0; i < 7; ++i) ASSERT_FALSE(files.Write("heap", "h" + std::to_string(i)).empty());
  for (int i = 0; i < 2; ++i) ASSERT_FALSE(files.Write("alloc", "a" + std::to_string(i)).empty());
  EXPECT_EQ(Names(root_), (std::set<std::string>{"svc-99-heap-000004.pb.gz", "svc-99-heap-000005.pb.gz",
                                                 "svc-99-heap-000006.pb.gz", "svc-99-alloc-000000.pb.gz",
                                                 "svc-99-alloc-000001.pb.gz"}));
  EXPECT_EQ(Contents(root_ / "svc-99-heap-000006.pb.gz"), "h6");
}

TEST_F(ProfileFilesTest, NeverDeletesFilesItDidNotWrite) {
  // Another process (or an earlier run of this one) shares the directory.
  Touch(root_ / "svc-1-heap-000000.pb.gz");
  Touch(root_ / "svc-99-heap-000000.pb.gz.keep");
  ProfileFiles files(root_.string(), "svc", 99, 1);
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(files.Write("heap", "p").empty());
  EXPECT_EQ(Names(root_), (std::set<std::string>{"svc-1-heap-000000.pb.gz", "svc-99-heap-000000.pb.gz.keep",
                                                 "svc-99-heap-000002.pb.gz"}));
}

TEST_F(ProfileFilesTest, LeavesNoTemporaryFiles) {
  ProfileFiles files(root_.string(), "svc", 5, 4);
  for (int i = 0; i < 10; ++i) files.Write(i % 2 ? "heap" : "alloc", std::string(1000 * i, 'x'));
  for (const std::string& name : Names(root_)) {
    EXPECT_NE(name.front(), '.') << name;
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    EXPECT_TRUE(name.ends_with(".pb.gz")) << name;
  }
  EXPECT_EQ(Names(root_).size(), 8u);
}

TEST_F(ProfileFilesTest, DirectoryUnderARegularFileFailsQuietly) {
  // chmod can't make a directory unwritable for root; a regular file in the
  // path makes it unusable for everyone.
  Touch(root_ / "file");
  ProfileFiles files((root_ / "file" / "profiles").string(), "svc", 1, 3);
  std::string path = "unset";
  EXPECT_NO_THROW(path = files.Write("heap", "data"));
  EXPECT_EQ(path, "");
  EXPECT_EQ(Names(root_), std::set<std::string>{"file"});
  EXPECT_EQ(Contents(root_ / "file"), "x");
}

TEST_F(ProfileFilesTest, DirectoryThatIsARegularFileFailsQuietly) {
  Touch(root_ / "file");
  ProfileFiles files((root_ / "file").string(), "svc", 1, 3);
  EXPECT_EQ(files.Write("heap", "data"), "");
  EXPECT_EQ(Contents(root_ / "file"), "x");
}

TEST_F(ProfileFilesTest, ReportsAFailureOnceAndRecovers) {
  Touch(root_ / "blocker");
  ProfileFiles files((root_ / "blocker" / "out").string(), "svc", 3, 3);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(files.Write("heap", "data"), "");
  const std::string log = ::testing::internal::GetCapturedStderr();
  // One "heapagent: cannot write ..." line, not one per profile.
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_NE(log.find("heapagent: cannot write profiles to"), std::string::npos) << log;

  // Once the obstacle is gone, writing works again and failed attempts did
  // not use up sequence numbers.
  fs::remove(root_ / "blocker");
  const std::string path = files.Write("heap", "data");
  EXPECT_EQ(path, (root_ / "blocker" / "out" / "svc-3-heap-000000.pb.gz").string());
  EXPECT_TRUE(fs::is_regular_file(path));
}

TEST_F(ProfileFilesTest, TwoWritersOfOneProcessReportAFailureOnce) {
  Touch(root_ / "blocker2");
  ProfileFiles native((root_ / "blocker2" / "out").string(), "svc", 3, 3);
  ProfileFiles js((root_ / "blocker2" / "out").string(), "svc", 3, 3);
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(native.Write("native", "data"), "");
    EXPECT_EQ(js.Write("js", "data"), "");
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
}

TEST(JoinPathTest, ExactlyOneSlash) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("/", "c"), "/c");
  EXPECT_EQ(JoinPath("", "c"), "c");
}

}  // namespace
}  // namespace heapagent
