// The libc entry points the agent interposes to run node's inspector for
// itself without a trace on the app's environment or console.
//
// * getenv: node reads NODE_OPTIONS exactly once at start-up, on its main
//   thread (verified on node 20, 22 and 24). When armed, that one read sees
//   the app's value plus the agent's inspector flags; every other read - the
//   app's process.env, a Worker's env, a child's inherited environment - sees
//   the real, unchanged value. So a child that inherits the environment but
//   not the agent never opens an inspector.
// * fprintf/__fprintf_chk, fwrite, fputs on stderr: node prints its inspector
//   lines through these (fprintf for "Debugger listening on ws://...",
//   fwrite for "Debugger attached." and "Waiting for the debugger to
//   disconnect..."). The filter reads the websocket URL from the first and
//   swallows exactly the lines the agent itself causes: the banner of an
//   inspector the agent opened, the "attached" line of its own connection, and
//   the "waiting" line at exit while its session is open - at which point it
//   also tells the agent that node is waiting for it, and starts a watchdog
//   that shuts the agent's socket down if the agent has not let go in time,
//   so exit is never held up for long. Everything else passes through
//   untouched.
//
// Unarmed (every process the agent does not profile, and node processes with
// JS profiling off) each hook is one relaxed load and a tail call into glibc.
//
// Thread-safety: all functions may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "cdp/inspector_activation.h"

namespace heapagent::cdp {

// Arms the getenv hook: the first NODE_OPTIONS read on the main thread
// returns `node_options`. Call once, from the library constructor.
void ArmNodeOptionsForStartup(const std::string& node_options);

// Starts watching node's inspector lines on stderr. With kAgent the banner is
// the agent's and is swallowed; with kApp it is the app's and is printed.
void WatchInspectorConsole(InspectorOwner owner);

// The websocket URL node published ("ws://127.0.0.1:PORT/UUID"), waiting up to
// `timeout` for it; empty if none came or StopWaitingForInspectorUrl was called.
std::string WaitForInspectorUrl(std::chrono::milliseconds timeout);
void StopWaitingForInspectorUrl();

// The agent is about to connect: the next "Debugger attached." line is its
// own, and from now on node's "Waiting for the debugger to disconnect..." at
// exit is caused by it. When node prints that, `on_exit_waiting` runs on
// node's main thread (it must only signal, never block), and after `grace`
// the agent's socket is shut down unless EndOwnSession was called first.
void BeginOwnSession(std::function<void()> on_exit_waiting, std::chrono::milliseconds grace);
// The connected session's socket, for that last-resort shutdown(2).
void SetOwnSessionSocket(int fd);
// The agent's session is closed (or never opened).
void EndOwnSession();

}  // namespace heapagent::cdp
