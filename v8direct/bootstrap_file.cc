#include "v8direct/bootstrap_file.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cdp/json_string.h"

namespace heapagent::v8direct {
namespace {

// The JS, with LIBRARY_PATH replaced by a JSON string literal.
constexpr std::string_view kTemplate = R"js(// Loaded by heapagent (libheapagent.so) through NODE_OPTIONS on each thread
// that runs JS: loads the agent into this isolate, then forgets itself.
'use strict';
{
  const file = __filename;
  delete require.cache[file];
  const resolved = module.constructor._pathCache;
  if (resolved) for (const key of Object.keys(resolved)) if (resolved[key] === file) delete resolved[key];
  const loaded = process.moduleLoadList;
  const inWorker = Array.isArray(loaded) && loaded.includes('NativeModule worker_threads');
  const threadId = inWorker ? require('worker_threads').threadId : 0;
  try { process.dlopen({ exports: { threadId } }, LIBRARY_PATH); } catch {}
}
)js";

uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

// A directory that is ours alone: not a symlink, owned by us, no group/other bits.
bool IsPrivateDirectory(const std::string& path) {
  struct stat status;
  if (lstat(path.c_str(), &status) != 0) return false;
  return S_ISDIR(status.st_mode) && status.st_uid == geteuid() && (status.st_mode & 077) == 0;
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat status;
  std::optional<std::string> content;
  if (fstat(fd, &status) == 0 && S_ISREG(status.st_mode) && status.st_uid == geteuid() && status.st_size < 65536) {
    std::string text(static_cast<size_t>(status.st_size), '\0');
    if (read(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) content = std::move(text);
  }
  close(fd);
  return content;
}

}  // namespace

std::string BootstrapSource(std::string_view library_path) {
  std::string source(kTemplate);
  const size_t at = source.find("LIBRARY_PATH");
  source.replace(at, std::strlen("LIBRARY_PATH"), JsonString(library_path));
  return source;
}

std::optional<std::string> RequireFlagFor(std::string_view bootstrap_path) {
  for (const char c : bootstrap_path) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
  }
  return "--require \"" + std::string(bootstrap_path) + "\"";
}

std::optional<std::string> PrivateBootstrapDirectory(const char* xdg_runtime_dir, std::string* problem) {
  if (xdg_runtime_dir != nullptr && xdg_runtime_dir[0] == '/' && IsPrivateDirectory(xdg_runtime_dir)) {
    const std::string directory = std::string(xdg_runtime_dir) + "/heapagent";
    if ((mkdir(directory.c_str(), 0700) == 0 || errno == EEXIST) && IsPrivateDirectory(directory)) return directory;
  }
  const std::string directory = "/tmp/heapagent-" + std::to_string(geteuid());
  if ((mkdir(directory.c_str(), 0700) == 0 || errno == EEXIST) && IsPrivateDirectory(directory)) return directory;
  *problem = directory + " is not a private directory of this user (a symlink, someone else's, or open to others)";
  return std::nullopt;
}

std::optional<std::string> InstallBootstrap(const std::string& directory, std::string_view library_path,
                                            std::string* problem) {
  const std::string source = BootstrapSource(library_path);
  char name[64];
  std::snprintf(name, sizeof name, "/bootstrap-%016llx.js", static_cast<unsigned long long>(Fnv1a(source)));
  const std::string path = directory + name;
  if (const auto existing = ReadSmallFile(path); existing && *existing == source) return path;

  const std::string temporary = path + ".tmp-" + std::to_string(getpid());
  unlink(temporary.c_str());  // a leftover of a crashed earlier run of this pid
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *problem = "cannot create " + temporary + ": " + std::strerror(errno);
    return std::nullopt;
  }
  const bool written = write(fd, source.data(), source.size()) == static_cast<ssize_t>(source.size());
  close(fd);
  if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
    *problem = "cannot write " + path + ": " + std::strerror(errno);
    unlink(temporary.c_str());
    return std::nullopt;
  }
  return path;
}

std::string OwnLibraryPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&OwnLibraryPath), &info) == 0 || info.dli_fname == nullptr) return "";
  char resolved[PATH_MAX];
  if (realpath(info.dli_fname, resolved) == nullptr) return "";
  return resolved;
}

}  // namespace heapagent::v8direct
