// Tests for agent/process_identity.h: whether the agent wakes up in a process
// (ProcessMatches), and the service name that ends up in every file name
// (ScriptName, ServiceName).
#include "agent/process_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace heapagent {
namespace {

using Arguments = std::vector<std::string>;

TEST(ProcessMatchesTest, DefaultPatterns) {
  EXPECT_TRUE(ProcessMatches("node", "node,nodejs"));
  EXPECT_TRUE(ProcessMatches("nodejs", "node,nodejs"));
  EXPECT_FALSE(ProcessMatches("node18", "node,nodejs"));
  EXPECT_FALSE(ProcessMatches("nod", "node,nodejs"));
  EXPECT_FALSE(ProcessMatches("python3", "node,nodejs"));
  EXPECT_FALSE(ProcessMatches("Node", "node,nodejs")) << "executable names are case-sensitive";
}

TEST(ProcessMatchesTest, Wildcards) {
  EXPECT_TRUE(ProcessMatches("node", "*"));
  EXPECT_TRUE(ProcessMatches("anything-at-all", "*"));
  EXPECT_TRUE(ProcessMatches("node", "nod?"));
  EXPECT_FALSE(ProcessMatches("nodejs", "nod?"));
  EXPECT_TRUE(ProcessMatches("node22", "node*"));
  EXPECT_TRUE(ProcessMatches("nodejs", "node[js]*"));
  EXPECT_FALSE(ProcessMatches("npm", "node*,deno"));
}

TEST(ProcessMatchesTest, PatternsAreTrimmed) {
  EXPECT_TRUE(ProcessMatches("node", " node , x"));
  EXPECT_TRUE(ProcessMatches("x", " node , x"));
  EXPECT_TRUE(ProcessMatches("x", "node,\tx\t"));
  EXPECT_FALSE(ProcessMatches(" node", "node"));
}

TEST(ProcessMatchesTest, EmptyPatternsMatchNothing) {
  EXPECT_FALSE(ProcessMatches("node", ""));
  EXPECT_FALSE(ProcessMatches("node", ","));
  EXPECT_FALSE(ProcessMatches("node", " , ,"));
  EXPECT_FALSE(ProcessMatches("", "node"));
  // An empty entry between others is skipped, not treated as "match all".
  EXPECT_TRUE(ProcessMatches("node", "x,,node"));
  EXPECT_FALSE(ProcessMatches("y", "x,,node"));
}

struct ScriptCase {
  Arguments arguments;
  std::string script;
};

void PrintTo(const ScriptCase& c, std::ostream* out) {
  for (const std::string& argument : c.arguments) *out << argument << ' ';
}

class ScriptNameTest : public ::testing::TestWithParam<ScriptCase> {};

TEST_P(ScriptNameTest, FindsTheScript) { EXPECT_EQ(ScriptName(GetParam().arguments), GetParam().script); }

INSTANTIATE_TEST_SUITE_P(
    CommandLines, ScriptNameTest,
    ::testing::Values(
        ScriptCase{{"node", "app.js"}, "app"},
        ScriptCase{{"node", "--max-old-space-size=100", "srv/app.mjs"}, "app"},
        ScriptCase{{"node", "-r", "dotenv/config", "app.js"}, "app"},
        ScriptCase{{"node", "--require", "dotenv/config", "app.js"}, "app"},
        ScriptCase{{"node", "--require=dotenv/config", "app.js"}, "app"},
        ScriptCase{{"node", "--import", "tsx", "src/server.ts"}, "server"},
        ScriptCase{{"node", "-e", "x"}, ""},
        ScriptCase{{"node", "--eval", "x"}, ""},
        ScriptCase{{"node", "-p", "1+1"}, ""},
        ScriptCase{{"node"}, ""},
        ScriptCase{{}, ""},
        ScriptCase{{"node", "--inspect=0", "--", "app.js"}, "app"},
        ScriptCase{{"node", "--inspect", "app.js", "--port", "80"}, "app"},  // script args are not looked at
        ScriptCase{{"node", "/opt/srv/index.js", "-e", "x"}, "index"},
        ScriptCase{{"node", "app"}, "app"},
        ScriptCase{{"node", "dist/app.min.js"}, "app.min"},  // only the last extension goes
        ScriptCase{{"node", ".hidden"}, ".hidden"},          // a leading dot is not an extension
        ScriptCase{{"/usr/bin/node", "--title", "my-title", "./worker.cjs"}, "worker"}));

// After "--" node takes the next argument as the script file name, even if
// it starts with '-'.
TEST(ScriptNameTest, ArgumentAfterDoubleDashIsTheScript) {
  EXPECT_EQ(ScriptName({"node", "--", "-dash.js"}), "-dash");
  EXPECT_EQ(ScriptName({"node", "--", "-e", "x"}), "-e");
}

TEST(ServiceNameTest, ConfiguredNameWinsAndIsSanitised) {
  const ProcessIdentity node{"node", {"node", "app.js"}};
  EXPECT_EQ(ServiceName("checkout", node), "checkout");
  EXPECT_EQ(ServiceName("Checkout-API_v2.1", node), "Checkout-API_v2.1");
  EXPECT_EQ(ServiceName("my service/../x", node), "my_service_.._x");
  EXPECT_EQ(ServiceName("a:b*c?d\\e\n", node), "a_b_c_d_e_");
  // Non-ASCII: every byte of the UTF-8 sequence is replaced.
  EXPECT_EQ(ServiceName("caf\xc3\xa9", node), "caf__");
}

TEST(ServiceNameTest, NeverContainsAPathSeparatorAndIsBounded) {
  const ProcessIdentity node{"node", {"node", "app.js"}};
  const std::string long_name(500, 'a');
  EXPECT_EQ(ServiceName(long_name, node).size(), 100u);
  const std::string name = ServiceName("/etc/passwd", node);
  EXPECT_EQ(name.find('/'), std::string::npos);
}

TEST(ServiceNameTest, FallsBackToScriptThenExecutable) {
  EXPECT_EQ(ServiceName("", {"node", {"node", "--inspect", "srv/api.js"}}), "api");
  EXPECT_EQ(ServiceName("", {"nodejs", {"/usr/bin/nodejs", "srv/api.js"}}), "api");
  // node without a script (REPL, -e) is named after the executable.
  EXPECT_EQ(ServiceName("", {"node", {"node", "-e", "1"}}), "node");
  EXPECT_EQ(ServiceName("", {"node", {"node"}}), "node");
  // Non-node programs have no script: "python3 app.py" is "python3".
  EXPECT_EQ(ServiceName("", {"python3", {"python3", "app.py"}}), "python3");
  // The script name is sanitised like any other name.
  EXPECT_EQ(ServiceName("", {"node", {"node", "my app!.js"}}), "my_app_");
  // Nothing known at all.
  EXPECT_EQ(ServiceName("", {"", {}}), "process");
}

TEST(ReadProcessIdentityTest, DescribesThisTestBinary) {
  // /proc/self is what the agent reads in production; the test binary is
  // not node, but its name and argv are known.
  const ProcessIdentity identity = ReadProcessIdentity();
  ASSERT_FALSE(identity.arguments.empty());
  EXPECT_FALSE(identity.executable_name.empty());
  EXPECT_EQ(identity.executable_name.find('/'), std::string::npos);
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  ASSERT_GT(length, 0);
  const std::string exe(path, static_cast<std::size_t>(length));
  EXPECT_EQ(identity.executable_name, exe.substr(exe.rfind('/') + 1));
  EXPECT_EQ(ServiceName("", identity), identity.executable_name);
}

}  // namespace
}  // namespace heapagent

namespace heapagent {
namespace {

TEST(NodeFlagsTest, StopsAtTheScriptAndKeepsSeparateValues) {
  EXPECT_EQ(NodeFlags({"node", "--inspect", "-r", "x", "app.js", "--inspect"}),
            (std::vector<std::string>{"--inspect", "-r", "x"}));
  EXPECT_EQ(NodeFlags({"node", "app.js"}), std::vector<std::string>{});
  EXPECT_EQ(NodeFlags({"node", "--inspect-port", "0", "-e", "--inspect"}),
            (std::vector<std::string>{"--inspect-port", "0"}));
  EXPECT_EQ(NodeFlags({"node", "--", "--inspect"}), std::vector<std::string>{});
  EXPECT_EQ(NodeFlags({"node"}), std::vector<std::string>{});
}

}  // namespace
}  // namespace heapagent
