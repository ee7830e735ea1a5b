// fork() and exec() under the agent.
//   fork_exec OUT_DIR
// 1. The parent retains 8 MiB (RetainParentEightMiB).
// 2. While four threads churn through malloc/free, it forks 100 times; each
//    child allocates and frees, then _exits. A deadlock in the agent's fork
//    handling hangs here (the test's timeout catches it).
// 3. A child that keeps running retains 16 MiB (ChildRetainSixteenMiB) and
//    exits normally: it must write its own profile, under its own pid, with
//    fresh state (none of the parent's allocations).
// 4. A child execs /bin/sh, which records its file descriptors and thread
//    names: nothing of the agent may leak through exec.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
std::vector<void*> g_kept;
std::atomic<bool> g_stop{false};

int WaitFor(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
}  // namespace

extern "C" __attribute__((noinline)) void RetainParentEightMiB() {
  for (int i = 0; i < 8192; ++i) g_kept.push_back(std::memset(std::malloc(1024), 1, 1024));
}

extern "C" __attribute__((noinline)) void ChildRetainSixteenMiB() {
  for (int i = 0; i < 16384; ++i) g_kept.push_back(std::memset(std::malloc(1024), 2, 1024));
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string out_dir = argv[1];
  g_kept.reserve(64 * 1024);
  RetainParentEightMiB();

  std::vector<std::thread> churners;
  for (int t = 0; t < 4; ++t) {
    churners.emplace_back([] {
      while (!g_stop.load()) std::free(std::malloc(64 + (std::rand() % 8192)));
    });
  }
  for (int i = 0; i < 100; ++i) {
    const pid_t child = fork();
    if (child == 0) {
      for (int j = 0; j < 1000; ++j) std::free(std::malloc(1024));
      _exit(0);
    }
    if (child < 0 || WaitFor(child) != 0) return 10;
  }
  g_stop = true;
  for (auto& churner : churners) churner.join();

  const pid_t running_child = fork();
  if (running_child == 0) {
    ChildRetainSixteenMiB();
    std::exit(0);  // normal exit: the child's final profile is written
  }
  const pid_t exec_child = fork();
  if (exec_child == 0) {
    const std::string script = "ls -l /proc/$$/fd > '" + out_dir + "/exec-fds.txt'; cat /proc/$$/task/*/comm > '" +
                               out_dir + "/exec-threads.txt'";
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (WaitFor(running_child) != 0 || WaitFor(exec_child) != 0) return 11;
  std::printf("%d %d\n", static_cast<int>(getpid()), static_cast<int>(running_child));
  return 0;
}
