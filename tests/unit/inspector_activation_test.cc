// Tests for cdp/inspector_activation.h: when the agent opens node's inspector
// itself, and that it never takes over an inspector the app asked for.
#include "cdp/inspector_activation.h"

#include <gtest/gtest.h>

namespace heapagent::cdp {
namespace {

TEST(InspectorActivationTest, AgentOpensItWhenTheAppHasNoInspectorFlag) {
  const InspectorPlan plan = PlanInspector({"--max-old-space-size=100", "-r", "dotenv/config"}, nullptr, true);
  EXPECT_EQ(plan.owner, InspectorOwner::kAgent);
  EXPECT_EQ(plan.node_options, kAgentInspectorFlags);
}

TEST(InspectorActivationTest, AppsOwnNodeOptionsComeFirstAndStayIntact) {
  const InspectorPlan plan = PlanInspector({}, "--enable-source-maps --title=\"my app\"", true);
  EXPECT_EQ(plan.owner, InspectorOwner::kAgent);
  EXPECT_EQ(plan.node_options, "--enable-source-maps --title=\"my app\" " + std::string(kAgentInspectorFlags));
}

TEST(InspectorActivationTest, EveryInspectorFlagLeavesTheInspectorToTheApp) {
  for (const char* flag : {"--inspect", "--inspect=0", "--inspect=127.0.0.1:9230", "--inspect-brk", "--inspect-brk=0",
                           "--inspect-wait", "--inspect-port=0", "--inspect-port", "--debug-port=9230",
                           "--inspect-publish-uid=http"}) {
    SCOPED_TRACE(flag);
    EXPECT_EQ(PlanInspector({flag}, nullptr, true).owner, InspectorOwner::kApp);
    EXPECT_EQ(PlanInspector({}, (std::string("--no-warnings ") + flag).c_str(), true).owner, InspectorOwner::kApp);
    EXPECT_TRUE(PlanInspector({flag}, nullptr, true).node_options.empty());
  }
}

TEST(InspectorActivationTest, LookalikesAreNotInspectorFlags) {
  EXPECT_FALSE(IsInspectorFlag("--expose-gc"));
  EXPECT_FALSE(IsInspectorFlag("inspect"));
  EXPECT_FALSE(IsInspectorFlag("--title=--inspect"));
  EXPECT_EQ(PlanInspector({"--title=--inspect"}, "--title=x--inspect", true).owner, InspectorOwner::kAgent);
}

TEST(InspectorActivationTest, NodeThatRunsNoJsNeedsNoInspector) {
  for (const char* flag : {"--version", "-v", "--help", "-h", "--v8-options", "--check", "-c"}) {
    SCOPED_TRACE(flag);
    EXPECT_EQ(PlanInspector({flag}, nullptr, true).owner, InspectorOwner::kNotNeeded);
  }
  EXPECT_EQ(PlanInspector({"--expose-gc", "--check"}, "--inspect", true).owner, InspectorOwner::kNotNeeded);
  EXPECT_FALSE(IsNoJsFlag("--version-x"));
}

TEST(InspectorActivationTest, NoInspectorInThisNodeMeansNoPlan) {
  const InspectorPlan plan = PlanInspector({}, nullptr, false);
  EXPECT_EQ(plan.owner, InspectorOwner::kUnavailable);
  EXPECT_TRUE(plan.node_options.empty());
}

TEST(InspectorActivationTest, ATestBinaryIsNotNode) { EXPECT_FALSE(NodeHasInspector()); }

}  // namespace
}  // namespace heapagent::cdp
