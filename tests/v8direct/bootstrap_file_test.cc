// The bootstrap: its source, its NODE_OPTIONS flag, and where and how it is
// written (private directory, content-checked reuse, no symlink following).
#include "v8direct/bootstrap_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace heapagent::v8direct {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    char pattern[] = "/tmp/v8direct-test-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TemporaryDirectory() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(BootstrapFileTest, SourceEmbedsTheLibraryPathAsAJsonString) {
  const std::string source = BootstrapSource("/opt/a \"b\"\\c/libheapagent.so");
  EXPECT_NE(source.find(R"("/opt/a \"b\"\\c/libheapagent.so")"), std::string::npos) << source;
  EXPECT_NE(source.find("delete require.cache[file]"), std::string::npos);
  EXPECT_NE(source.find("process.dlopen"), std::string::npos);
  EXPECT_EQ(source.find("LIBRARY_PATH"), std::string::npos);
}

TEST(BootstrapFileTest, RequireFlagIsQuotedAndRefusesWhatNodeOptionsCannotCarry) {
  EXPECT_EQ(RequireFlagFor("/run/user/1000/heapagent/b.js"), "--require \"/run/user/1000/heapagent/b.js\"");
  EXPECT_EQ(RequireFlagFor("/tmp/with space/b.js"), "--require \"/tmp/with space/b.js\"");
  EXPECT_EQ(RequireFlagFor("/tmp/q\"/b.js"), std::nullopt);
  EXPECT_EQ(RequireFlagFor("/tmp/b\\/b.js"), std::nullopt);
  EXPECT_EQ(RequireFlagFor("/tmp/\n/b.js"), std::nullopt);
}

TEST(BootstrapFileTest, UsesAPrivateRuntimeDirectoryAndRefusesAnOpenOne) {
  TemporaryDirectory runtime;
  ASSERT_EQ(chmod(runtime.path().c_str(), 0700), 0);
  std::string problem;
  EXPECT_EQ(PrivateBootstrapDirectory(runtime.path().c_str(), &problem), runtime.path() + "/heapagent");
  struct stat status;
  ASSERT_EQ(lstat((runtime.path() + "/heapagent").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0700u);

  ASSERT_EQ(chmod(runtime.path().c_str(), 0755), 0);  // not private: falls back to /tmp/heapagent-<uid>
  const auto fallback = PrivateBootstrapDirectory(runtime.path().c_str(), &problem);
  ASSERT_TRUE(fallback) << problem;
  EXPECT_EQ(*fallback, "/tmp/heapagent-" + std::to_string(geteuid()));
}

TEST(BootstrapFileTest, RefusesASymlinkedRuntimeDirectory) {
  TemporaryDirectory runtime;
  ASSERT_EQ(chmod(runtime.path().c_str(), 0700), 0);
  TemporaryDirectory elsewhere;
  ASSERT_EQ(symlink(elsewhere.path().c_str(), (runtime.path() + "/heapagent").c_str()), 0);
  std::string problem;
  const auto directory = PrivateBootstrapDirectory(runtime.path().c_str(), &problem);
  ASSERT_TRUE(directory) << problem;
  EXPECT_NE(*directory, runtime.path() + "/heapagent");
}

TEST(BootstrapFileTest, InstallsOnceAndRepairsATamperedFile) {
  TemporaryDirectory directory;
  std::string problem;
  const auto path = InstallBootstrap(directory.path(), "/lib/libheapagent.so", &problem);
  ASSERT_TRUE(path) << problem;
  EXPECT_EQ(ReadFile(*path), BootstrapSource("/lib/libheapagent.so"));
  EXPECT_EQ(InstallBootstrap(directory.path(), "/lib/libheapagent.so", &problem), path);

  std::ofstream(*path) << "console.log('not ours')";
  EXPECT_EQ(InstallBootstrap(directory.path(), "/lib/libheapagent.so", &problem), path);
  EXPECT_EQ(ReadFile(*path), BootstrapSource("/lib/libheapagent.so"));

  // A symlink planted at the name is replaced, never followed.
  TemporaryDirectory elsewhere;
  const std::string target = elsewhere.path() + "/victim";
  std::ofstream(target) << "keep";
  ASSERT_EQ(unlink(path->c_str()), 0);
  ASSERT_EQ(symlink(target.c_str(), path->c_str()), 0);
  EXPECT_EQ(InstallBootstrap(directory.path(), "/lib/libheapagent.so", &problem), path);
  EXPECT_EQ(ReadFile(target), "keep");
  struct stat status;
  ASSERT_EQ(lstat(path->c_str(), &status), 0);
  EXPECT_TRUE(S_ISREG(status.st_mode));

  // Another library path gets another file.
  const auto other = InstallBootstrap(directory.path(), "/other/libheapagent.so", &problem);
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *path);
}

}  // namespace
}  // namespace heapagent::v8direct
