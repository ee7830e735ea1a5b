#include "agent/exporters/upload_identity.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <random>

namespace heapagent {

std::vector<Tag> ParseTags(std::string_view text) {
  std::vector<Tag> tags;
  size_t position = 0;
  while (position < text.size()) {
    size_t end = text.find_first_of(", \t\n", position);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view entry = text.substr(position, end - position);
    position = end + 1;
    const size_t split = entry.find_first_of(":=");
    if (split == std::string_view::npos || split == 0 || split + 1 == entry.size()) continue;
    tags.push_back(Tag{std::string(entry.substr(0, split)), std::string(entry.substr(split + 1))});
  }
  return tags;
}

std::string RandomUuid() {
  std::random_device device;
  unsigned char bytes[16];
  for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(device());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

UploadIdentity ReadUploadIdentity(std::string service, std::string env, std::string version, std::string_view tags,
                                  int64_t start_unix_nanos) {
  UploadIdentity identity;
  identity.service = std::move(service);
  identity.env = std::move(env);
  identity.version = std::move(version);
  identity.tags = ParseTags(tags);
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) identity.hostname = host;
  identity.pid = static_cast<int>(getpid());
  identity.runtime_id = RandomUuid();
  utsname names{};
  if (uname(&names) == 0) {
    identity.kernel_name = names.sysname;
    identity.kernel_release = names.release;
    identity.kernel_version = names.version;
    const std::string machine = names.machine;
    identity.arch = machine == "x86_64" ? "x64" : machine == "aarch64" ? "arm64" : machine;
  }
  const long processors = sysconf(_SC_NPROCESSORS_ONLN);
  identity.available_processors = processors > 0 ? static_cast<int>(processors) : 1;
  identity.start_unix_nanos = start_unix_nanos;
  return identity;
}

}  // namespace heapagent
