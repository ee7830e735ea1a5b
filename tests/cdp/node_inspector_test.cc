// CdpSession against a real node 20 inspector (/usr/bin/node): the frames and
// handshake node actually accepts, and the calls the agent makes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>

#include "cdp/cdp_session.h"

extern char** environ;

namespace heapagent::cdp {
namespace {

using namespace std::chrono_literals;

constexpr char kNode[] = "/usr/bin/node";

// A node child process with its stderr on a pipe; killed when destroyed.
class NodeProcess {
 public:
  bool Start() {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    const char* argv[] = {kNode, "--inspect=127.0.0.1:0", "--inspect-publish-uid=stderr", "-e",
                          "setTimeout(()=>{}, 60000)", nullptr};
    const int error = posix_spawn(&pid_, kNode, &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    stderr_fd_ = pipe_fds[0];
    if (error != 0) pid_ = -1;
    return error == 0;
  }

  // The ws:// URL from "Debugger listening on ws://...", read within `timeout`.
  std::string ReadInspectorUrl(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    static const std::regex kListening(R"(Debugger listening on (ws://\S+))");
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch match;
      if (std::regex_search(stderr_text_, match, kListening)) return match[1];
      pollfd poll_fd{stderr_fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (::poll(&poll_fd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) <= 0) continue;
      char chunk[4096];
      const ssize_t got = ::read(stderr_fd_, chunk, sizeof(chunk));
      if (got <= 0) break;
      stderr_text_.append(chunk, static_cast<size_t>(got));
    }
    return {};
  }

  const std::string& stderr_text() const { return stderr_text_; }

  ~NodeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
  }

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string stderr_text_;
};

TEST(NodeInspector, SpeaksCdpWithRealNode) {
  if (::access(kNode, X_OK) != 0) GTEST_SKIP() << kNode << " is missing";
  NodeProcess node;
  ASSERT_TRUE(node.Start());
  const std::string url = node.ReadInspectorUrl(15s);
  ASSERT_FALSE(url.empty()) << "no inspector URL; node's stderr: " << node.stderr_text();

  auto connected = CdpSession::Connect(url, 5s);
  ASSERT_TRUE(connected.session) << connected.error;
  CdpSession& session = *connected.session;

  CallResult usage = session.Call("Runtime.getHeapUsage", "", 10s);
  ASSERT_TRUE(usage.ok) << usage.error;
  EXPECT_NE(usage.result_json.find("\"usedSize\""), std::string::npos) << usage.result_json;

  CallResult not_started = session.Call("HeapProfiler.getSamplingProfile", "", 10s);
  EXPECT_FALSE(not_started.ok);
  EXPECT_EQ(not_started.error, "CDP error -32000: V8 sampling heap profiler was not started.");

  CallResult start = session.Call("HeapProfiler.startSampling", R"({"samplingInterval":65536})", 10s);
  ASSERT_TRUE(start.ok) << start.error;
  CallResult profile = session.Call("HeapProfiler.getSamplingProfile", "", 30s);
  ASSERT_TRUE(profile.ok) << profile.error;
  EXPECT_NE(profile.result_json.find("\"head\""), std::string::npos);

  CallResult workers = session.Call("NodeWorker.enable", R"({"waitForDebuggerOnStart":false})", 10s);
  EXPECT_TRUE(workers.ok) << workers.error;

  CallResult unknown = session.Call("No.suchMethod", "", 10s);
  EXPECT_FALSE(unknown.ok);
  EXPECT_NE(unknown.error.find("-32601"), std::string::npos) << unknown.error;

  EXPECT_TRUE(session.IsOpen());  // node dropped nothing we sent
  const auto close_start = std::chrono::steady_clock::now();
  session.Close(2s);
  EXPECT_LT(std::chrono::steady_clock::now() - close_start, 2500ms);
  connected.session.reset();
}

}  // namespace
}  // namespace heapagent::cdp
