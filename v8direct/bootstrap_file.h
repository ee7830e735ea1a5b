// The bootstrap: a few lines of JS that node preloads on every thread it
// starts JS on (`--require`, added to the NODE_OPTIONS value of node's one
// start-up read, see cdp/inspector_hooks.h), and that load the agent's
// libheapagent_extensions.so into that isolate as a Node-API module
// (napi_entry.cc) - the only way for the agent to run code once on each
// isolate's own thread.
//
// It leaves no trace the app can see: it removes its own require.cache entry
// and resolution-cache entry, creates no global, prints nothing, requires
// nothing new (worker_threads is read only where it is already loaded: in
// workers; the main thread is threadId 0), and swallows any error.
// process.dlopen() of the already preloaded library returns the same handle.
//
// Where the file lives: in a private per-user directory, not next to the
// library (whose directory is often read-only or shared): $XDG_RUNTIME_DIR/
// heapagent when that runtime directory is ours and private, else
// /tmp/heapagent-<uid>. The directory must be a real directory (not a
// symlink), owned by us, with no group/other access; it is created 0700. The
// file is named after a hash of its content (which embeds the library path),
// written once with O_EXCL|O_NOFOLLOW and renamed into place, and reused only
// if it is a regular file of ours with exactly the expected content.
//
// Thread-safety: pure functions and file system calls; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace heapagent::v8direct {

// The bootstrap's source for `library_path`.
std::string BootstrapSource(std::string_view library_path);

// `--require "<path>"`, quoted as node's NODE_OPTIONS parser expects; nullopt
// for paths it cannot carry (a quote, a backslash, a control character).
std::optional<std::string> RequireFlagFor(std::string_view bootstrap_path);

// The private directory for the bootstrap (created if needed), or nullopt
// with `*problem`. `xdg_runtime_dir` may be null.
std::optional<std::string> PrivateBootstrapDirectory(const char* xdg_runtime_dir, std::string* problem);

// Writes (or finds) the bootstrap for `library_path` in `directory`; returns
// its path, or nullopt with `*problem`.
std::optional<std::string> InstallBootstrap(const std::string& directory, std::string_view library_path,
                                            std::string* problem);

// Absolute, resolved path of the object this code is linked into
// (libheapagent_extensions.so, via dladdr), or "".
std::string OwnLibraryPath();

}  // namespace heapagent::v8direct
