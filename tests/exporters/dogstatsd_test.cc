// DogStatsD lines of the heap summary: dd-trace's tag set and sanitising,
// the gauge line format, datagram packing, which gauges a record yields, and
// the sender against real loopback UDP and unix datagram sockets.
#include "agent/exporters/dogstatsd.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

namespace heapagent {
namespace {

TEST(DogStatsdTagsTest, DdTraceOrderAndOverrides) {
  const DogStatsdIdentity identity{.service = "quotes-api", .env = "staging", .version = "1.2.3",
                                   .tags = "team:memory,env:prod region:eu", .runtime_id = ""};
  EXPECT_EQ(DogStatsdTags(identity),
            (std::vector<std::string>{"team:memory", "env:staging", "region:eu", "service:quotes-api",
                                      "version:1.2.3"}));
}

TEST(DogStatsdTagsTest, RuntimeIdOnlyWhenGivenAndValuesSanitised) {
  const DogStatsdIdentity identity{.service = "my service|x", .env = "", .version = "", .tags = "k:a#b",
                                   .runtime_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"};
  EXPECT_EQ(DogStatsdTags(identity),
            (std::vector<std::string>{"k:a_b", "service:my_service_x",
                                      "runtime-id:1b4e28ba-2fa1-11d2-883f-0016d3cca427"}));
}

TEST(DogStatsdLineTest, GaugeFormat) {
  EXPECT_EQ(DogStatsdGaugeLine("runtime.node.mem.rss", 123456789, {"service:a", "env:b"}),
            "runtime.node.mem.rss:123456789|g|#service:a,env:b\n");
  EXPECT_EQ(DogStatsdGaugeLine("heapagent.native.in_use", 0, {}), "heapagent.native.in_use:0|g\n");
}

TEST(DogStatsdLineTest, PacksDatagramsUnderTheLimit) {
  std::vector<std::string> lines;
  for (int i = 0; i < 40; ++i) lines.push_back(DogStatsdGaugeLine("runtime.node.mem.heap_used", 1000000 + i, {"service:x"}));
  const auto datagrams = PackDatagrams(lines);
  ASSERT_GT(datagrams.size(), 1u);
  std::string joined;
  for (const std::string& datagram : datagrams) {
    EXPECT_LE(datagram.size(), kDogStatsdMaxDatagramBytes);
    EXPECT_EQ(datagram.back(), '\n');
    joined += datagram;
  }
  std::string expected;
  for (const std::string& line : lines) expected += line;
  EXPECT_EQ(joined, expected);
  const std::string huge = "x:1|g|#" + std::string(2000, 't') + "\n";
  EXPECT_EQ(PackDatagrams({huge, "y:2|g\n"}), (std::vector<std::string>{huge, "y:2|g\n"}));
}

TEST(DogStatsdGaugesTest, OnlyKnownValuesUnderDdTraceNames) {
  HeapSummary summary;
  summary.rss_bytes = 100;
  summary.allocator_in_use_bytes = 50;
  summary.v8 = V8HeapFigures{.source = "direct", .isolates = 1, .heap_used_bytes = 20, .heap_total_bytes = 30,
                             .external_bytes = std::nullopt, .array_buffers_bytes = 4, .sampled_in_use_bytes = 18,
                             .sampled_sites = 3};
  std::map<std::string, uint64_t> gauges;
  for (const auto& [name, value] : SummaryGauges(summary)) gauges[std::string(name)] = value;
  EXPECT_EQ(gauges, (std::map<std::string, uint64_t>{{"runtime.node.mem.rss", 100},
                                                      {"runtime.node.mem.heap_used", 20},
                                                      {"runtime.node.mem.heap_total", 30},
                                                      {"runtime.node.heap.total_heap_size", 30},
                                                      {"heapagent.mem.array_buffers", 4},
                                                      {"heapagent.native.in_use", 50},
                                                      {"heapagent.sampled.js.in_use", 18},
                                                      {"heapagent.sampled.js.sites", 3}}));
  EXPECT_TRUE(SummaryGauges(HeapSummary{}).empty());
}

HeapSummary FullSummary() {
  HeapSummary summary;
  summary.rss_bytes = 100 << 20;
  summary.allocator_in_use_bytes = 10 << 20;
  summary.allocator_mapped_bytes = 12 << 20;
  summary.sampled_native_in_use_bytes = 9 << 20;
  summary.sampled_native_sites = 40;
  summary.agent_tables_resident_bytes = 1 << 20;
  summary.v8 = V8HeapFigures{.source = "direct", .isolates = 1, .heap_used_bytes = 20 << 20,
                             .heap_total_bytes = 30 << 20, .external_bytes = 2 << 20, .array_buffers_bytes = 1 << 20,
                             .sampled_in_use_bytes = 19 << 20, .sampled_sites = 12};
  return summary;
}

std::string Receive(int fd) {
  char buffer[4096];
  const ssize_t length = recv(fd, buffer, sizeof buffer, 0);
  return length > 0 ? std::string(buffer, static_cast<size_t>(length)) : std::string();
}

TEST(DogStatsdSenderTest, SendsEveryGaugeOverLoopbackUdp) {
  const int receiver = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(receiver, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(receiver, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(receiver, reinterpret_cast<sockaddr*>(&address), &length), 0);

  DogStatsdAddress target;
  target.host = "127.0.0.1";
  target.port = ntohs(address.sin_port);
  DogStatsdSender sender(target, {"service:svc", "env:test"});
  const size_t datagrams = sender.Send(FullSummary());
  ASSERT_GE(datagrams, 1u);
  std::string received;
  for (size_t i = 0; i < datagrams; ++i) received += Receive(receiver);
  close(receiver);
  EXPECT_NE(received.find("runtime.node.mem.rss:104857600|g|#service:svc,env:test\n"), std::string::npos) << received;
  EXPECT_NE(received.find("runtime.node.mem.heap_used:20971520|g|#service:svc,env:test\n"), std::string::npos);
  EXPECT_NE(received.find("heapagent.native.in_use:10485760|g|#service:svc,env:test\n"), std::string::npos);
  EXPECT_EQ(static_cast<size_t>(std::count(received.begin(), received.end(), '\n')), SummaryGauges(FullSummary()).size());
}

TEST(DogStatsdSenderTest, UnixDatagramSocketAndNoListener) {
  const std::string path = "/tmp/heapagent-dsd-" + std::to_string(getpid()) + ".sock";
  unlink(path.c_str());
  DogStatsdAddress target;
  target.kind = DogStatsdAddress::Kind::kUnixDatagram;
  target.path = path;
  DogStatsdSender sender(target, {});
  EXPECT_EQ(sender.Send(FullSummary()), 0u);  // nobody listens: dropped, no throw, no block

  const int receiver = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(bind(receiver, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_GE(sender.Send(FullSummary()), 1u);
  EXPECT_EQ(Receive(receiver).rfind("runtime.node.mem.rss:104857600|g\n", 0), 0u);
  close(receiver);
  unlink(path.c_str());
}

}  // namespace
}  // namespace heapagent
