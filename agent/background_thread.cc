#include "agent/background_thread.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>

namespace heapagent {
namespace {

struct ThreadStart {
  void (*run)(void* object);
  void* object;
};

}  // namespace

bool StartBackgroundThread(const char* name, void (*run)(void* object), void* object) {
  auto* start = new ThreadStart{run, object};
  // The new thread inherits this mask; the caller's own is restored below.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_t thread;
  const int error = pthread_create(
      &thread, nullptr,
      [](void* argument) -> void* {
        const ThreadStart start = *static_cast<ThreadStart*>(argument);
        delete static_cast<ThreadStart*>(argument);
        start.run(start.object);
        return nullptr;
      },
      start);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (error != 0) {
    delete start;
    errno = error;
    return false;
  }
  pthread_setname_np(thread, name);
  pthread_detach(thread);
  return true;
}

}  // namespace heapagent
