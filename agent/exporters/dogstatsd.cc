#include "agent/exporters/dogstatsd.h"

#include <netdb.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "agent/exporters/upload_identity.h"
#include "agent/log.h"

namespace heapagent {
namespace {

// dd-trace's rule for tag values (docs.datadoghq.com/tagging): keep
// [a-z0-9_:./-] case-insensitively, replace the rest.
std::string SanitisedValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool kept = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '.' || c == '/' ||
                      c == '-';
    out += kept ? c : '_';
  }
  return out;
}

// Keys are not rewritten by dd-trace, but a key must not break the line.
std::string SanitisedKey(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool kept = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-';
    out += kept ? c : '_';
  }
  return out;
}

}  // namespace

std::vector<std::string> DogStatsdTags(const DogStatsdIdentity& identity) {
  // dd-trace builds one tag object: DD_TAGS first, then service, env and
  // version set over it (in place when DD_TAGS had the key), then runtime-id.
  std::vector<std::pair<std::string, std::string>> tags;
  const auto set = [&tags](const std::string& key, const std::string& value) {
    for (auto& tag : tags) {
      if (tag.first == key) {
        tag.second = value;
        return;
      }
    }
    tags.emplace_back(key, value);
  };
  for (const Tag& tag : ParseTags(identity.tags)) set(tag.key, tag.value);
  if (!identity.service.empty()) set("service", identity.service);
  if (!identity.env.empty()) set("env", identity.env);
  if (!identity.version.empty()) set("version", identity.version);
  if (!identity.runtime_id.empty()) set("runtime-id", identity.runtime_id);
  std::vector<std::string> joined;
  for (const auto& [key, value] : tags) {
    const std::string clean_key = SanitisedKey(key);
    if (clean_key.empty()) continue;
    joined.push_back(clean_key + ":" + SanitisedValue(value));
  }
  return joined;
}

std::string DogStatsdGaugeLine(std::string_view name, uint64_t value, const std::vector<std::string>& tags) {
  std::string line(name);
  line += ':';
  line += std::to_string(value);
  line += "|g";
  for (size_t i = 0; i < tags.size(); ++i) {
    line += i == 0 ? "|#" : ",";
    line += tags[i];
  }
  line += '\n';
  return line;
}

std::vector<std::pair<std::string_view, uint64_t>> SummaryGauges(const HeapSummary& s) {
  std::vector<std::pair<std::string_view, uint64_t>> gauges;
  const auto add = [&gauges](std::string_view name, const std::optional<uint64_t>& value) {
    if (value) gauges.emplace_back(name, *value);
  };
  // dd-trace-js's runtime metrics names (packages/dd-trace/src/runtime_metrics).
  add("runtime.node.mem.rss", s.rss_bytes);
  if (s.v8) {
    add("runtime.node.mem.heap_total", s.v8->heap_total_bytes);
    add("runtime.node.mem.heap_used", s.v8->heap_used_bytes);
    add("runtime.node.mem.external", s.v8->external_bytes);
    add("runtime.node.heap.total_heap_size", s.v8->heap_total_bytes);
    // heapagent's own.
    add("heapagent.mem.array_buffers", s.v8->array_buffers_bytes);
  }
  add("heapagent.native.in_use", s.allocator_in_use_bytes);
  add("heapagent.native.mapped", s.allocator_mapped_bytes);
  add("heapagent.sampled.native.in_use", s.sampled_native_in_use_bytes);
  add("heapagent.sampled.native.sites", s.sampled_native_sites);
  if (s.v8) {
    add("heapagent.sampled.js.in_use", s.v8->sampled_in_use_bytes);
    add("heapagent.sampled.js.sites", s.v8->sampled_sites);
  }
  add("heapagent.agent.tables_resident", s.agent_tables_resident_bytes);
  return gauges;
}

std::vector<std::string> PackDatagrams(const std::vector<std::string>& lines, size_t max_bytes) {
  std::vector<std::string> datagrams;
  std::string current;
  for (const std::string& line : lines) {
    if (!current.empty() && current.size() + line.size() > max_bytes) {
      datagrams.push_back(std::move(current));
      current.clear();
    }
    current += line;
  }
  if (!current.empty()) datagrams.push_back(std::move(current));
  return datagrams;
}

DogStatsdSender::DogStatsdSender(DogStatsdAddress address, std::vector<std::string> tags)
    : address_(std::move(address)), tags_(std::move(tags)) {}

DogStatsdSender::~DogStatsdSender() {
  if (fd_ >= 0) close(fd_);
}

void DogStatsdSender::ReportOnce(const std::string& cause) {
  if (cause == last_reported_cause_) return;
  last_reported_cause_ = cause;
  Log(LogLevel::kWarn, "cannot send heap metrics to DogStatsD at %s: %s; trying again every period",
      address_.Describe().c_str(), cause.c_str());
}

bool DogStatsdSender::Ready() {
  if (fd_ >= 0) return true;
  int family = AF_UNIX;
  if (address_.kind == DogStatsdAddress::Kind::kUnixDatagram) {
    sockaddr_un unix_address{};
    unix_address.sun_family = AF_UNIX;
    std::strncpy(unix_address.sun_path, address_.path.c_str(), sizeof unix_address.sun_path - 1);
    std::memcpy(&peer_, &unix_address, sizeof unix_address);
    peer_length_ = sizeof unix_address;
  } else {
    // On the agent thread: a slow resolver delays this period's record, never the app.
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(address_.port);
    const int error = getaddrinfo(address_.host.c_str(), port.c_str(), &hints, &found);
    if (error != 0 || found == nullptr) {
      ReportOnce(std::string("cannot resolve ") + address_.host + " (" + gai_strerror(error) + ")");
      return false;
    }
    family = found->ai_family;
    std::memcpy(&peer_, found->ai_addr, found->ai_addrlen);
    peer_length_ = found->ai_addrlen;
    freeaddrinfo(found);
  }
  fd_ = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    ReportOnce(std::strerror(errno));
    return false;
  }
  return true;
}

size_t DogStatsdSender::Send(const HeapSummary& summary) {
  if (!Ready()) return 0;
  std::vector<std::string> lines;
  for (const auto& [name, value] : SummaryGauges(summary)) lines.push_back(DogStatsdGaugeLine(name, value, tags_));
  size_t sent = 0;
  for (const std::string& datagram : PackDatagrams(lines)) {
    const ssize_t result = sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&peer_), peer_length_);
    if (result < 0) {
      // A full socket buffer drops this period's gauges; the next replace them.
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ReportOnce(std::strerror(errno));
        // Resolve again next time: the name may point elsewhere by then.
        close(fd_);
        fd_ = -1;
      }
      return sent;
    }
    ++sent;
  }
  if (!last_reported_cause_.empty()) {
    Log(LogLevel::kInfo, "sending heap metrics to DogStatsD at %s works again", address_.Describe().c_str());
    last_reported_cause_.clear();
  }
  return sent;
}

}  // namespace heapagent
