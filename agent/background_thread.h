// Starts one of the agent's own threads: detached, named, and with every
// signal blocked, so the app's signal handlers (and node's SIGINT/SIGUSR1
// logic) always run on the app's threads, never on the agent's.
//
// Thread-safety: may be called from any thread.
#pragma once

namespace heapagent {

// Runs `run(object)` on a new detached thread named `name` (at most 15
// characters). Returns false, with errno set, if the thread could not be
// created.
bool StartBackgroundThread(const char* name, void (*run)(void* object), void* object);

// The same for a member function: StartBackgroundThread<&Class::Run>("name", this).
template <auto Method, typename Class>
bool StartBackgroundThread(const char* name, Class* object) {
  return StartBackgroundThread(name, [](void* self) { (static_cast<Class*>(self)->*Method)(); }, object);
}

}  // namespace heapagent
