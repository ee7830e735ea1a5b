// sampling/jit_code_map: V8's code by address, its moves and replacements,
// and its bounds under code churn (also run under TSan with threads
// announcing code while another looks it up).
#include "sampling/jit_code_map.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "sampling/interpreter_frames.h"
#include "sampling/thread_sampler_state.h"

// The sampler's per-thread state, which the map marks while it allocates;
// defined here because unit tests never link the sampler (it would interpose
// malloc in the test binary).
__thread heapagent::ThreadSamplerState heapagent_thread_sampler __attribute__((tls_model("initial-exec")));

namespace heapagent {
namespace {

constexpr JsCodeKind kCode = JsCodeKind::kMachineCode;
constexpr JsCodeKind kBytecode = JsCodeKind::kBytecode;

TEST(JitCodeMapTest, NamesCodeByAnyAddressInside) {
  JitCodeMap map;
  map.Add(0x7000, 0x100, kCode, "JS:*compressReport /srv/app.js:5:29");
  map.Add(0x9000, 0x40, kBytecode, "JS:~compressReport /srv/app.js:5:29");
  const auto inside = map.Lookup(0x70ff, kCode);
  ASSERT_TRUE(inside);
  EXPECT_EQ(inside->function, "compressReport");
  EXPECT_EQ(inside->script, "/srv/app.js");
  EXPECT_EQ(inside->line, 5);
  EXPECT_EQ(inside->column, 29);
  EXPECT_FALSE(inside->builtin);
  EXPECT_FALSE(map.Lookup(0x7100, kCode));
  EXPECT_FALSE(map.Lookup(0x6fff, kCode));
  // Bytecode and machine code are separate address spaces of lookups.
  EXPECT_FALSE(map.Lookup(0x9010, kCode));
  EXPECT_TRUE(map.Lookup(0x9010, kBytecode));
  EXPECT_EQ(map.entries(), 2u);
}

TEST(JitCodeMapTest, NewCodeReplacesWhatItOverlaps) {
  JitCodeMap map;
  map.Add(0x1000, 0x100, kCode, "JS:*oldA /a.js:1:1");
  map.Add(0x1100, 0x100, kCode, "JS:*oldB /b.js:1:1");
  map.Add(0x1200, 0x100, kCode, "JS:*keep /c.js:1:1");
  map.Add(0x1080, 0x100, kCode, "JS:*reused /d.js:1:1");  // V8 reused the memory of A's tail and B's head
  EXPECT_EQ(map.Lookup(0x1100, kCode)->function, "reused");
  EXPECT_FALSE(map.Lookup(0x1000, kCode));
  EXPECT_FALSE(map.Lookup(0x1190, kCode));
  EXPECT_EQ(map.Lookup(0x1200, kCode)->function, "keep");
  EXPECT_EQ(map.entries(), 2u);
}

TEST(JitCodeMapTest, FollowsMovesAndRemovals) {
  JitCodeMap map;
  map.Add(0x5000, 0x30, kBytecode, "JS:~moved /m.js:2:3");
  map.Move(0x5000, 0x8000);
  EXPECT_FALSE(map.Lookup(0x5010, kBytecode));
  ASSERT_TRUE(map.Lookup(0x8010, kBytecode));
  EXPECT_EQ(map.Lookup(0x8010, kBytecode)->function, "moved");
  map.Move(0x1234, 0x9999);  // unknown: nothing happens
  map.Remove(0x8000);
  EXPECT_FALSE(map.Lookup(0x8010, kBytecode));
  EXPECT_EQ(map.entries(), 0u);
}

TEST(JitCodeMapTest, KeepsBuiltinsAndPublishesTheInterpreter) {
  ResetInterpreterRangesForTesting();
  JitCodeMap map;
  map.Add(0x40000, 0x200, kCode, "Builtin:InterpreterEntryTrampoline");
  map.Add(0x41000, 0x80, kCode, "Builtin:JSConstructStubGeneric");
  map.Add(0x42000, 0x80, kCode, "Stub:WhoKnows");
  EXPECT_TRUE(IsInterpreterCode(0x40100));
  const auto builtin = map.Lookup(0x41010, kCode);
  ASSERT_TRUE(builtin);
  EXPECT_TRUE(builtin->builtin);
  EXPECT_EQ(builtin->function, "Builtins_JSConstructStubGeneric");
  EXPECT_FALSE(map.Lookup(0x42010, kCode));
  ResetInterpreterRangesForTesting();
}

TEST(JitCodeMapTest, ChurnStaysWithinItsBounds) {
  JitCodeMap map;
  // Code churn: many short-lived functions at ever new addresses (V8 never
  // says they are gone), one of them still in use.
  map.Add(0x10, 0x10, kCode, "JS:*hot /hot.js:1:1");
  const size_t total = JitCodeMap::kMaxEntries * 3;
  for (size_t i = 0; i < total; ++i) {
    if (i % 1000 == 0) {
      ASSERT_TRUE(map.Lookup(0x18, kCode)) << i;  // in use: survives eviction
    }
    map.Add(0x100000 + i * 0x100, 0x80, kCode, "JS:*generated" + std::to_string(i) + " /gen.js:1:1");
  }
  EXPECT_LE(map.entries(), JitCodeMap::kMaxEntries);
  EXPECT_TRUE(map.Lookup(0x18, kCode));
  EXPECT_TRUE(map.Lookup(0x100000 + (total - 1) * 0x100, kCode));  // the newest are kept
  EXPECT_FALSE(map.Lookup(0x100000 + 5 * 0x100, kCode));          // the oldest unused are gone
  EXPECT_LT(map.ApproximateBytes(), size_t{32} << 20);
}

TEST(JitCodeMapTest, LongNamesAreBoundedByBytesToo) {
  JitCodeMap map;
  const std::string long_name(64 * 1024, 'f');
  for (size_t i = 0; i < 200; ++i) {
    map.Add(0x100000 + i * 0x100, 0x80, kCode, "JS:*" + long_name + std::to_string(i) + " /gen.js:1:1");
  }
  EXPECT_LT(map.entries(), 200u);
  EXPECT_LE(map.ApproximateBytes(), 3 * JitCodeMap::kMaxNameBytes);
}

TEST(JitCodeMapTest, ConcurrentAnnouncersAndReader) {
  JitCodeMap map;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      (void)map.Lookup(0x200040, kCode);
      (void)map.entries();
    }
  });
  std::thread announcers[2];
  for (int t = 0; t < 2; ++t) {
    announcers[t] = std::thread([&map, t] {
      for (uintptr_t i = 0; i < 5000; ++i) {
        const uintptr_t start = 0x200000 + (t * 100000 + i % 300) * 0x100;
        map.Add(start, 0x80, i % 2 ? kCode : kBytecode, "JS:~f" + std::to_string(i) + " /t.js:1:1");
        if (i % 7 == 0) map.Move(start, start + 0x40);
      }
    });
  }
  for (std::thread& thread : announcers) thread.join();
  stop = true;
  reader.join();
  EXPECT_LE(map.entries(), 1200u);
}

}  // namespace
}  // namespace heapagent
